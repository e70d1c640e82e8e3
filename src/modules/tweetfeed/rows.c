/* rows.c: groups TweetFeed's one-IOC rows into tweets (see rows.h).
 *
 * Every field is attacker-written: types are checked, strings must be
 * valid UTF-8 and short, the date must be a real UTC time not more than a
 * day ahead, and the tweet link must be a twitter.com or x.com status link
 * (its id is what groups rows; its handle is the account when the row's
 * own `user` is not one). Kept strings are copied into the grouper's arena,
 * so the rows can be freed at once.
 */
#include "modules/tweetfeed/rows.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "ctim/uri.h"
#include "lib/arena.h"
#include "lib/utc_time.h"
#include "lib/utf8.h"
#include "modules/tweettioc/normalize.h"

/* A tweet more than this far ahead of now is refused (clock skew allowed). */
#define ROWS_FUTURE_SLACK (24.0 * 3600.0)

struct group {
	struct feed_tweet t;
	size_t ioc_cap;
	size_t tag_cap;
	struct group *next; /* all groups, for emit and free */
};

struct tweetfeed_rows {
	struct arena arena;
	GHashTable *by_id;     /* status id -> struct group (arena-owned) */
	GHashTable *iocs_seen; /* "<id>\n<kind>\n<value>" -> 1: repeated rows */
	struct group *groups;
	size_t n_groups;
	double now;
	struct tweetfeed_row_stats stats;
};

/* The row types TweetFeed lists and the relay indexes. */
static const struct {
	const char *name;
	enum feed_ioc_kind kind;
} row_types[] = {
	{"url", FEED_IOC_URL},	     {"domain", FEED_IOC_DOMAIN}, {"ip", FEED_IOC_IP},
	{"sha256", FEED_IOC_SHA256}, {"md5", FEED_IOC_MD5},
};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int tweetfeed_parse_date(const char *s, double *out)
{
	return s ? utc_parse_datetime(s, strlen(s), out) : -1;
}

int tweetfeed_status_link(const char *link, char id[21], char handle[16])
{
	static const char *const hosts[] = {"twitter.com/", "www.twitter.com/",
					    "mobile.twitter.com/", "x.com/", "www.x.com/"};
	if (!link)
		return 0;
	const char *p;
	if (g_ascii_strncasecmp(link, "https://", 8) == 0)
		p = link + 8;
	else if (g_ascii_strncasecmp(link, "http://", 7) == 0)
		p = link + 7;
	else
		return 0;
	size_t i = 0;
	for (; i < G_N_ELEMENTS(hosts); i++) {
		size_t n = strlen(hosts[i]);
		if (g_ascii_strncasecmp(p, hosts[i], n) == 0) {
			p += n;
			break;
		}
	}
	if (i == G_N_ELEMENTS(hosts))
		return 0;
	size_t hn = strcspn(p, "/");
	if (hn == 0 || hn > 15)
		return 0;
	memcpy(handle, p, hn);
	handle[hn] = '\0';
	if (!uri_twitter_handle(handle))
		return 0;
	p += hn;
	if (strncmp(p, "/status/", 8) != 0 && strncmp(p, "/statuses/", 10) != 0)
		return 0;
	p += p[7] == '/' ? 8 : 10;
	size_t in = 0;
	while (is_digit(p[in]))
		in++;
	if (in == 0 || in > 20 || (p[in] && !strchr("/?#", p[in])))
		return 0;
	memcpy(id, p, in);
	id[in] = '\0';
	/* The rest must be a URI tail: no spaces or control characters. */
	for (const char *q = p + in; *q; q++)
		if ((unsigned char)*q <= 32 || *q == 127)
			return 0;
	return 1;
}

struct tweetfeed_rows *tweetfeed_rows_new(double now)
{
	struct tweetfeed_rows *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	arena_init(&r->arena, 256 * 1024);
	r->by_id = g_hash_table_new(g_str_hash, g_str_equal);
	r->iocs_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	r->now = now;
	return r;
}

void tweetfeed_rows_free(struct tweetfeed_rows *r)
{
	if (!r)
		return;
	g_hash_table_destroy(r->by_id);
	g_hash_table_destroy(r->iocs_seen);
	arena_free(&r->arena);
	free(r);
}

/* A short valid string field, or NULL. */
static const char *row_str(const cJSON *row, const char *name, size_t max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, name);
	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	size_t n = strlen(v->valuestring);
	if (n == 0 || n > max || !utf8_valid(v->valuestring, n))
		return NULL;
	return v->valuestring;
}

/* Grows a group's array of `size`-byte elements to hold one more. */
static int grow(struct arena *a, void **arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *p = arena_alloc(a, ncap * size);
	if (!p)
		return -1;
	if (n)
		memcpy(p, *arr, n * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

static int add_tags(struct tweetfeed_rows *r, struct group *g, const cJSON *row)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(row, "tags");
	const cJSON *tag;
	if (!cJSON_IsArray(tags))
		return 0; /* a missing tag list costs the row nothing */
	cJSON_ArrayForEach (tag, tags) {
		if (g->t.n_hashtags >= TWEETFEED_MAX_TAGS)
			break;
		if (!cJSON_IsString(tag) || !tag->valuestring)
			continue;
		const char *s = tag->valuestring;
		while (*s == '#')
			s++;
		size_t len = strlen(s);
		if (len == 0 || len > 280 || !utf8_valid(s, len))
			continue;
		int dup = 0;
		for (uint32_t i = 0; i < g->t.n_hashtags && !dup; i++)
			dup = strcmp(g->t.hashtags[i], s) == 0;
		if (dup)
			continue;
		void *arr = (void *)g->t.hashtags;
		if (grow(&r->arena, &arr, g->t.n_hashtags, &g->tag_cap, sizeof(char *)) != 0)
			return -1;
		g->t.hashtags = arr;
		if (!(g->t.hashtags[g->t.n_hashtags] = arena_strndup(&r->arena, s, len)))
			return -1;
		g->t.n_hashtags++;
	}
	return 0;
}

/* The group of status id `id`, made on first sight. NULL when out of memory. */
static struct group *group_for(struct tweetfeed_rows *r, const char *id, const char *user,
			       const char *handle)
{
	struct group *g = g_hash_table_lookup(r->by_id, id);
	if (g)
		return g;
	if (!(g = arena_alloc(&r->arena, sizeof(*g))))
		return NULL;
	memset(g, 0, sizeof(*g));
	if (!(g->t.id = arena_strdup(&r->arena, id)))
		return NULL;
	/* The account is the row's `user` (with or without '@') when it is a
	 * handle; otherwise the link's. The link is rebuilt from account and
	 * id when they agree (""), else kept in canonical form. */
	const char *u = user;
	while (u && *u == '@')
		u++;
	if (!u || !uri_twitter_handle(u))
		u = handle;
	if (!(g->t.user = arena_strdup(&r->arena, u)))
		return NULL;
	if (g_ascii_strcasecmp(u, handle) == 0) {
		g->t.link = "";
	} else {
		char buf[URI_MAX + 1];
		const char *link;
		if (!uri_tweet_link(NULL, handle, id, buf, &link) ||
		    !(g->t.link = arena_strdup(&r->arena, link)))
			return NULL;
	}
	g->t.text = "";
	g->t.timestamp = -1;
	g->next = r->groups;
	r->groups = g;
	r->n_groups++;
	g_hash_table_insert(r->by_id, (char *)g->t.id, g);
	return g;
}

/* 1 when the row's IOC is new in its tweet, 0 when repeated, -1 on OOM. */
static int first_sighting(struct tweetfeed_rows *r, const char *id, enum feed_ioc_kind kind,
			  const char *value)
{
	char *key = g_strdup_printf("%s\n%d\n%s", id, (int)kind, value);
	if (g_hash_table_contains(r->iocs_seen, key)) {
		g_free(key);
		return 0;
	}
	g_hash_table_add(r->iocs_seen, key);
	return 1;
}

int tweetfeed_rows_add(struct tweetfeed_rows *r, const cJSON *row)
{
	r->stats.rows++;
	if (!cJSON_IsObject(row)) {
		r->stats.bad_shape++;
		return 0;
	}
	const char *date = row_str(row, "date", 32);
	const char *user = row_str(row, "user", 64);
	const char *type = row_str(row, "type", 32);
	const char *value = row_str(row, "value", IOC_MAX_VALUE);
	const char *link = row_str(row, "tweet", URI_MAX);
	if (!date || !type || !value || !link) {
		r->stats.bad_shape++;
		return 0;
	}
	size_t k = 0;
	while (k < G_N_ELEMENTS(row_types) && strcmp(row_types[k].name, type) != 0)
		k++;
	if (k == G_N_ELEMENTS(row_types)) {
		r->stats.bad_type++;
		return 0;
	}
	char id[21], handle[16];
	if (!tweetfeed_status_link(link, id, handle)) {
		r->stats.bad_link++;
		return 0;
	}
	double when;
	if (tweetfeed_parse_date(date, &when) != 0 || when > r->now + ROWS_FUTURE_SLACK) {
		r->stats.bad_date++;
		return 0;
	}
	char buf[IOC_KEY_MAX];
	long n = ioc_refang(value, buf, sizeof(buf));
	if (n <= 0) {
		r->stats.bad_shape++;
		return 0;
	}
	struct group *g = group_for(r, id, user, handle);
	if (!g)
		return -1;
	if (g->t.timestamp < 0 || when < g->t.timestamp)
		g->t.timestamp = when;
	if (add_tags(r, g, row) != 0)
		return -1;
	int first = first_sighting(r, id, row_types[k].kind, buf);
	if (first == 0) {
		r->stats.repeated++;
		return 0;
	}
	if (g->t.n_iocs >= FEED_MAX_IOCS_PER_TWEET) {
		r->stats.over_per_tweet++;
		return 0;
	}
	void *arr = g->t.iocs;
	if (grow(&r->arena, &arr, g->t.n_iocs, &g->ioc_cap, sizeof(struct feed_ioc)) != 0)
		return -1;
	g->t.iocs = arr;
	struct feed_ioc *ioc = &g->t.iocs[g->t.n_iocs];
	memset(ioc, 0, sizeof(*ioc));
	ioc->kind = row_types[k].kind;
	if (!(ioc->value = arena_strndup(&r->arena, buf, (size_t)n)))
		return -1;
	g->t.n_iocs++;
	return 1;
}

int tweetfeed_rows_emit(struct tweetfeed_rows *r,
			int (*emit)(void *ctx, const struct feed_tweet *t), void *ctx)
{
	for (struct group *g = r->groups; g; g = g->next) {
		if (g->t.n_iocs == 0)
			continue; /* every row of it was repeated or over the cap */
		int rc = emit(ctx, &g->t);
		if (rc != 0)
			return rc;
	}
	return 0;
}

size_t tweetfeed_rows_tweets(const struct tweetfeed_rows *r)
{
	return r->n_groups;
}

void tweetfeed_rows_stats(const struct tweetfeed_rows *r, struct tweetfeed_row_stats *out)
{
	*out = r->stats;
}
