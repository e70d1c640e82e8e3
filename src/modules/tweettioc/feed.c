/* feed.c: parses the Twitter IOC Hunter JSON into tweets (newest first).
 *
 * The feed is untrusted: every field is type-checked, strings must be valid
 * UTF-8, and an item that fails is skipped and counted rather than failing
 * the whole copy.
 */
#include "tweettioc/feed.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "observables.h"
#include "tweettioc/normalize.h"

const char *const feed_ioc_list_names[FEED_IOC__MAX] = {
	[FEED_IOC_IP] = "ip",	      [FEED_IOC_MD5] = "md5",	[FEED_IOC_SHA1] = "sha1",
	[FEED_IOC_SHA256] = "sha256", [FEED_IOC_MAIL] = "mail", [FEED_IOC_DOMAIN] = "domain",
	[FEED_IOC_URL] = "url",
};

static const char *const kind_ctim_types[FEED_IOC__MAX] = {
	[FEED_IOC_IP] = "ip",	      [FEED_IOC_MD5] = "md5",	 [FEED_IOC_SHA1] = "sha1",
	[FEED_IOC_SHA256] = "sha256", [FEED_IOC_MAIL] = "email", [FEED_IOC_DOMAIN] = "domain",
	[FEED_IOC_URL] = "url",
};

/* Longest string field kept from the feed; longer items are skipped. */
#define FEED_MAX_FIELD (64 * 1024)

struct parse_ctx {
	struct feed *feed;
	GHashTable *users; /* account name -> interned copy */
};

void feed_free(struct feed *feed)
{
	if (!feed)
		return;
	arena_free(&feed->arena);
	free(feed->tweets);
	free(feed);
}

static const char *str_field(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	size_t n = strlen(v->valuestring);
	if (n > FEED_MAX_FIELD || !utf8_valid(v->valuestring, n))
		return NULL;
	return v->valuestring;
}

/* The same account name always yields the same pointer. */
static const char *intern_user(struct parse_ctx *ctx, const char *user)
{
	const char *found = g_hash_table_lookup(ctx->users, user);
	if (found)
		return found;
	char *copy = arena_strdup(&ctx->feed->arena, user);
	if (!copy)
		return NULL;
	g_hash_table_insert(ctx->users, copy, copy);
	ctx->feed->n_accounts++;
	return copy;
}

/* Tweet ids come as strings or numbers. Returns 1 with *out set, 0 for an
 * id of the wrong shape, -1 when out of memory (never a skipped tweet). */
static int tweet_id(struct arena *a, const cJSON *tweet, const char **out)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(tweet, "id");
	if (cJSON_IsString(id) && id->valuestring && id->valuestring[0] &&
	    strlen(id->valuestring) <= 64 && utf8_valid(id->valuestring, strlen(id->valuestring)))
		return (*out = arena_strdup(a, id->valuestring)) ? 1 : -1;
	if (cJSON_IsNumber(id) && isfinite(id->valuedouble) && id->valuedouble >= 0 &&
	    id->valuedouble < 1e20) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%.0f", id->valuedouble);
		return (*out = arena_strdup(a, buf)) ? 1 : -1;
	}
	return 0;
}

static int add_hashtags(struct arena *a, const cJSON *tweet, struct feed_tweet *t)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(tweet, "hashtags");
	t->hashtags = NULL;
	t->n_hashtags = 0;
	if (!cJSON_IsArray(tags))
		return 0; /* missing or odd hashtags cost the tweet nothing */
	size_t n = (size_t)cJSON_GetArraySize(tags);
	if (n > FEED_MAX_HASHTAGS)
		n = FEED_MAX_HASHTAGS;
	if (n == 0)
		return 0;
	t->hashtags = arena_alloc(a, n * sizeof(*t->hashtags));
	if (!t->hashtags)
		return -1;
	const cJSON *tag;
	cJSON_ArrayForEach (tag, tags) {
		if (t->n_hashtags >= n)
			break;
		if (!cJSON_IsString(tag) || !tag->valuestring)
			continue;
		const char *s = tag->valuestring;
		while (*s == '#')
			s++;
		size_t len = strlen(s);
		if (len == 0 || len > 280 || !utf8_valid(s, len))
			continue;
		if (!(t->hashtags[t->n_hashtags++] = arena_strdup(a, s)))
			return -1;
	}
	return 0;
}

/* A copy of the value with 2 spare bytes before it (feed_ioc.key_room). */
static const char *value_copy(struct arena *a, struct feed_ioc *ioc, const char *s, size_t n)
{
	char *p = arena_alloc_bytes(a, n + 3);
	if (!p)
		return NULL;
	p[0] = p[1] = '\0';
	memcpy(p + 2, s, n);
	p[n + 2] = '\0';
	ioc->key_room = 1;
	return p + 2;
}

static int add_iocs(struct arena *a, const cJSON *item, struct feed_tweet *t)
{
	size_t total = 0;
	for (int k = 0; k < FEED_IOC__MAX; k++) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(item, feed_ioc_list_names[k]);
		if (cJSON_IsArray(list))
			total += (size_t)cJSON_GetArraySize(list);
	}
	if (total > FEED_MAX_IOCS_PER_TWEET)
		total = FEED_MAX_IOCS_PER_TWEET;
	t->iocs = total ? arena_alloc(a, total * sizeof(*t->iocs)) : NULL;
	t->n_iocs = 0;
	if (total && !t->iocs)
		return -1;
	char buf[IOC_KEY_MAX];
	for (int k = 0; k < FEED_IOC__MAX; k++) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(item, feed_ioc_list_names[k]);
		const cJSON *v;
		cJSON_ArrayForEach (v, list) {
			if (t->n_iocs >= total)
				break;
			if (!cJSON_IsString(v) || !v->valuestring)
				continue;
			size_t len = strlen(v->valuestring);
			if (len == 0 || len > IOC_MAX_VALUE || !utf8_valid(v->valuestring, len))
				continue;
			long n = ioc_refang(v->valuestring, buf, sizeof(buf));
			if (n <= 0)
				continue;
			struct feed_ioc *ioc = &t->iocs[t->n_iocs];
			memset(ioc, 0, sizeof(*ioc));
			ioc->kind = (enum feed_ioc_kind)k;
			ioc->ctim_type = kind_ctim_types[k];
			if (k == FEED_IOC_IP && strchr(buf, ':'))
				ioc->ctim_type = "ipv6";
			if (!(ioc->value = value_copy(a, ioc, buf, (size_t)n)))
				return -1;
			t->n_iocs++;
		}
	}
	return 0;
}

/* Fills one tweet from one item. Returns 1 when kept, 0 when the item has
 * the wrong shape, -1 when out of memory. */
static int parse_item(struct parse_ctx *ctx, const cJSON *item, struct feed_tweet *t)
{
	struct arena *a = &ctx->feed->arena;
	const cJSON *tweet = cJSON_GetObjectItemCaseSensitive(item, "tweet");
	if (!cJSON_IsObject(item) || !cJSON_IsObject(tweet))
		return 0;
	const char *user = str_field(tweet, "user");
	const char *text = str_field(tweet, "tweet");
	const char *link = str_field(tweet, "link");
	const cJSON *ts = cJSON_GetObjectItemCaseSensitive(tweet, "timestamp");
	if (!user || !user[0] || !text || !link || !link[0] || !cJSON_IsNumber(ts) ||
	    !isfinite(ts->valuedouble) || ts->valuedouble < 0 || ts->valuedouble > 1e11)
		return 0;
	memset(t, 0, sizeof(*t));
	t->timestamp = ts->valuedouble;
	int id_ok = tweet_id(a, tweet, &t->id);
	if (id_ok <= 0)
		return id_ok;
	if (!(t->user = intern_user(ctx, user)) || !(t->text = arena_strdup(a, text)) ||
	    !(t->link = arena_strdup(a, link)) || add_hashtags(a, tweet, t) != 0 ||
	    add_iocs(a, item, t) != 0)
		return -1;
	return 1;
}

/* Newest first; ties keep a stable order by id text. */
static int newest_first(const void *pa, const void *pb)
{
	const struct feed_tweet *a = pa, *b = pb;
	if (a->timestamp != b->timestamp)
		return a->timestamp < b->timestamp ? 1 : -1;
	size_t la = strlen(a->id), lb = strlen(b->id);
	if (la != lb)
		return la < lb ? 1 : -1;
	return -strcmp(a->id, b->id);
}

/* A copy of the feed with every \u0000 escape overwritten by bytes that
 * are not UTF-8: cJSON would cut that string at the NUL ("6.6.6.6\u0000x"
 * read as "6.6.6.6"), whereas now the string fails its UTF-8 check and only
 * its value (or item) is skipped. NULL when out of memory. */
static char *blank_nul_escapes(const char *json, size_t len, long first)
{
	char *copy = malloc(len ? len : 1);
	if (!copy)
		return NULL;
	memcpy(copy, json, len);
	for (size_t at = (size_t)first;;) {
		memset(copy + at, 0xff, 6);
		long next = json_find_nul_escape(copy + at + 6, len - at - 6);
		if (next < 0)
			break;
		at += 6 + (size_t)next;
	}
	return copy;
}

/* Whitespace as cJSON skips it. */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p <= 32)
		p++;
	return p;
}

/* Adds one feed item; 0, or -1 when out of memory. */
static int add_item(struct parse_ctx *ctx, const cJSON *item, size_t *cap)
{
	struct feed *feed = ctx->feed;
	if (feed->n_tweets == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		struct feed_tweet *bigger = realloc(feed->tweets, ncap * sizeof(*bigger));
		if (!bigger)
			return -1;
		feed->tweets = bigger;
		*cap = ncap;
	}
	struct feed_tweet *t = &feed->tweets[feed->n_tweets];
	memset(t, 0, sizeof(*t));
	int rc = parse_item(ctx, item, t);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		feed->n_skipped++;
		return 0;
	}
	feed->n_iocs += t->n_iocs;
	feed->n_tweets++;
	return 0;
}

/* Gives the whole pages of [from, to) of `base` back to the kernel; they
 * read as zeros afterwards. Best effort: a failed madvise only keeps them. */
static void release_pages(char *base, size_t from, size_t to)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = ((uintptr_t)base + from + page - 1) & ~(page - 1);
	uintptr_t hi = ((uintptr_t)base + to) & ~(page - 1);
	if (base && hi > lo)
		(void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* Bytes parsed between two releases of the download's pages. */
#define FEED_RELEASE_STEP (4u * 1024 * 1024)

/* The feed is one JSON array of items. It is read an item at a time (cJSON
 * parses one value and says where it ended), so the cJSON tree of a
 * million-IOC feed, several times the feed's size, never exists at once:
 * building and freeing it, and the kernel zeroing its fresh pages, was most
 * of the parse time (`make bench`, perf). With `spent` (json itself), the
 * pages already parsed are released as the parse goes (feed_parse_release). */
static enum relay_err parse_feed(const char *json, size_t len, char *spent, struct feed **out,
				 char *err, size_t errlen)
{
	*out = NULL;
	size_t released = 0;
	char *blanked = NULL;
	long nul = json_find_nul_escape(json, len);
	if (nul >= 0 && !(json = blanked = blank_nul_escapes(json, len, nul))) {
		snprintf(err, errlen, "out of memory while parsing the feed");
		return RELAY_ERR_INTERNAL;
	}
	const char *end = json + len, *p = skip_space(json, end);
	if (p == end || *p != '[') {
		/* Not an array: say whether it is JSON at all. */
		errno = 0;
		cJSON *other = cJSON_ParseWithLengthOpts(json, len, NULL, 0);
		int parse_errno = errno;
		free(blanked);
		if (!other && parse_errno == ENOMEM) {
			snprintf(err, errlen, "out of memory while parsing the feed");
			return RELAY_ERR_INTERNAL;
		}
		snprintf(err, errlen, "%s",
			 other ? "the feed is not a JSON array" : "the feed is not valid JSON");
		cJSON_Delete(other);
		return RELAY_ERR_KEY_ERROR;
	}
	struct parse_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	size_t cap = 0, items = 0;
	const char *why = NULL;
	struct feed *feed = calloc(1, sizeof(*feed));
	if (!feed)
		goto oom;
	ctx.feed = feed;
	arena_init(&feed->arena, 1024 * 1024);
	feed->source_bytes = len;
	ctx.users = g_hash_table_new(g_str_hash, g_str_equal);
	if (!ctx.users)
		goto oom;
	p = skip_space(p + 1, end);
	if (p < end && *p == ']')
		p++;
	else
		for (;;) {
			const char *next = NULL;
			errno = 0;
			cJSON *item = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &next, 0);
			if (!item) {
				if (errno == ENOMEM)
					goto oom;
				why = "the feed is not valid JSON";
				break;
			}
			items++;
			int rc = add_item(&ctx, item, &cap);
			cJSON_Delete(item);
			if (rc < 0)
				goto oom;
			p = skip_space(next, end);
			if (spent && (size_t)(p - json) - released >= FEED_RELEASE_STEP) {
				/* The items before p are copied: the download's pages
				 * (and the blanked copy's) are not needed any more. */
				release_pages(spent, released, (size_t)(p - json));
				release_pages(blanked, released, (size_t)(p - json));
				released = (size_t)(p - json);
			}
			if (p < end && *p == ',') {
				p = skip_space(p + 1, end);
				continue;
			}
			if (p < end && *p == ']')
				break;
			why = "the feed is not valid JSON";
			break;
		}
	g_hash_table_destroy(ctx.users);
	ctx.users = NULL;
	free(blanked);
	blanked = NULL;
	if (why || (items > 0 && feed->n_tweets == 0)) {
		if (why)
			snprintf(err, errlen, "%s", why);
		else /* every item was of the wrong shape: the format has changed */
			snprintf(err, errlen, "none of the feed's %zu items has the expected shape",
				 items);
		feed_free(feed);
		return RELAY_ERR_KEY_ERROR;
	}
	if (!feed->tweets && !(feed->tweets = calloc(1, sizeof(*feed->tweets))))
		goto oom;
	qsort(feed->tweets, feed->n_tweets, sizeof(*feed->tweets), newest_first);
	*out = feed;
	return RELAY_OK;
oom:
	if (ctx.users)
		g_hash_table_destroy(ctx.users);
	free(blanked);
	feed_free(feed);
	snprintf(err, errlen, "out of memory while parsing the feed");
	return RELAY_ERR_INTERNAL;
}

enum relay_err feed_parse(const char *json, size_t len, struct feed **out, char *err, size_t errlen)
{
	return parse_feed(json, len, NULL, out, err, errlen);
}

enum relay_err feed_parse_release(char *json, size_t len, struct feed **out, char *err,
				  size_t errlen)
{
	return parse_feed(json, len, json, out, err, errlen);
}

const char *feed_ioc_ctim_type(enum feed_ioc_kind kind, const char *value)
{
	if (kind == FEED_IOC_IP && strchr(value, ':'))
		return "ipv6";
	return kind_ctim_types[kind];
}

static int text_ok(const char *s, size_t max, int nonempty)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, max + 1);
	return n <= max && (!nonempty || n > 0) && utf8_valid(s, n);
}

int feed_builder_init(struct feed_builder *b, struct feed *adopt)
{
	memset(b, 0, sizeof(*b));
	b->users = g_hash_table_new(g_str_hash, g_str_equal);
	b->ids = g_hash_table_new(g_str_hash, g_str_equal);
	b->feed = adopt ? adopt : calloc(1, sizeof(*b->feed));
	if (!b->feed || !b->users || !b->ids) {
		if (!adopt)
			free(b->feed);
		else
			feed_free(adopt);
		b->feed = NULL;
		feed_builder_abort(b);
		return -1;
	}
	if (!adopt) {
		arena_init(&b->feed->arena, 1024 * 1024);
		return 0;
	}
	b->cap = adopt->n_tweets;
	adopt->n_accounts = 0;
	for (size_t i = 0; i < adopt->n_tweets; i++) {
		const struct feed_tweet *t = &adopt->tweets[i];
		g_hash_table_insert(b->ids, (gpointer)t->id, (gpointer)t->id);
		if (!g_hash_table_lookup(b->users, t->user)) {
			g_hash_table_insert(b->users, (gpointer)t->user, (gpointer)t->user);
			adopt->n_accounts++;
		}
	}
	return 0;
}

int feed_builder_has(const struct feed_builder *b, const char *id)
{
	return g_hash_table_contains(b->ids, id);
}

/* Copies the IOCs of src into t; 1, 0 (wrong shape), -1 (out of memory). */
static int copy_iocs(struct arena *a, const struct feed_tweet *src, struct feed_tweet *t)
{
	t->n_iocs = 0;
	t->iocs = NULL;
	if (src->n_iocs > FEED_MAX_IOCS_PER_TWEET || (src->n_iocs && !src->iocs))
		return 0;
	for (size_t j = 0; j < src->n_iocs; j++)
		if ((unsigned)src->iocs[j].kind >= FEED_IOC__MAX ||
		    !text_ok(src->iocs[j].value, IOC_MAX_VALUE, 1))
			return 0;
	if (!src->n_iocs)
		return 1;
	if (!(t->iocs = arena_alloc(a, src->n_iocs * sizeof(*t->iocs))))
		return -1;
	for (size_t j = 0; j < src->n_iocs; j++) {
		struct feed_ioc *ioc = &t->iocs[j];
		memset(ioc, 0, sizeof(*ioc));
		ioc->kind = src->iocs[j].kind;
		if (!(ioc->value =
			      value_copy(a, ioc, src->iocs[j].value, strlen(src->iocs[j].value))))
			return -1;
		ioc->ctim_type = feed_ioc_ctim_type(ioc->kind, ioc->value);
	}
	t->n_iocs = src->n_iocs;
	return 1;
}

int feed_builder_add(struct feed_builder *b, const struct feed_tweet *src)
{
	struct feed *feed = b->feed;
	if (!text_ok(src->id, 64, 1) || !text_ok(src->user, FEED_MAX_FIELD, 1) ||
	    !text_ok(src->text, FEED_MAX_FIELD, 0) || !text_ok(src->link, FEED_MAX_FIELD, 1) ||
	    !isfinite(src->timestamp) || src->timestamp < 0 || src->timestamp > 1e11 ||
	    src->n_hashtags > FEED_MAX_HASHTAGS || (src->n_hashtags && !src->hashtags))
		return 0;
	for (size_t i = 0; i < src->n_hashtags; i++)
		if (!text_ok(src->hashtags[i], 280, 1) || src->hashtags[i][0] == '#')
			return 0;
	if (feed_builder_has(b, src->id))
		return 0;
	if (feed->n_tweets == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		struct feed_tweet *bigger = realloc(feed->tweets, ncap * sizeof(*bigger));
		if (!bigger)
			return -1;
		feed->tweets = bigger;
		b->cap = ncap;
	}
	struct arena *a = &feed->arena;
	struct feed_tweet *t = &feed->tweets[feed->n_tweets];
	memset(t, 0, sizeof(*t));
	t->timestamp = src->timestamp;
	const char *user = g_hash_table_lookup(b->users, src->user);
	if (!user) {
		char *copy = arena_strdup(a, src->user);
		if (!copy)
			return -1;
		g_hash_table_insert(b->users, copy, copy);
		feed->n_accounts++;
		user = copy;
	}
	t->user = user;
	if (!(t->id = arena_strdup(a, src->id)) || !(t->text = arena_strdup(a, src->text)) ||
	    !(t->link = arena_strdup(a, src->link)))
		return -1;
	if (src->n_hashtags) {
		if (!(t->hashtags = arena_alloc(a, src->n_hashtags * sizeof(*t->hashtags))))
			return -1;
		for (size_t i = 0; i < src->n_hashtags; i++)
			if (!(t->hashtags[i] = arena_strdup(a, src->hashtags[i])))
				return -1;
		t->n_hashtags = src->n_hashtags;
	}
	int rc = copy_iocs(a, src, t);
	if (rc <= 0)
		return rc; /* a rejected tweet's copies stay in the arena, unused */
	g_hash_table_insert(b->ids, (gpointer)t->id, (gpointer)t->id);
	feed->n_iocs += t->n_iocs;
	feed->n_tweets++;
	return 1;
}

static void builder_tables_free(struct feed_builder *b)
{
	if (b->users)
		g_hash_table_destroy(b->users);
	if (b->ids)
		g_hash_table_destroy(b->ids);
	b->users = b->ids = NULL;
}

struct feed *feed_builder_finish(struct feed_builder *b)
{
	struct feed *feed = b->feed;
	builder_tables_free(b);
	b->feed = NULL;
	if (!feed)
		return NULL;
	if (!feed->tweets && !(feed->tweets = calloc(1, sizeof(*feed->tweets)))) {
		feed_free(feed);
		return NULL;
	}
	qsort(feed->tweets, feed->n_tweets, sizeof(*feed->tweets), newest_first);
	return feed;
}

void feed_builder_abort(struct feed_builder *b)
{
	builder_tables_free(b);
	feed_free(b->feed);
	b->feed = NULL;
}

size_t feed_tweet_bytes(const struct feed_tweet *t)
{
	/* The JSON around the strings of one item is about 150 bytes. */
	size_t n = 150 + strlen(t->id) + strlen(t->user) + strlen(t->text) + strlen(t->link);
	for (size_t i = 0; i < t->n_hashtags; i++)
		n += strlen(t->hashtags[i]) + 4;
	for (size_t i = 0; i < t->n_iocs; i++)
		n += strlen(t->iocs[i].value) + 4;
	return n;
}

struct feed *feed_merge(struct feed *fresh, const struct feed *retained, double cutoff,
			size_t max_bytes)
{
	struct feed_builder b;
	size_t bytes = fresh->source_bytes;
	if (feed_builder_init(&b, fresh) != 0)
		return NULL;
	for (size_t i = 0; retained && i < retained->n_tweets; i++) {
		const struct feed_tweet *t = &retained->tweets[i];
		if (t->timestamp < cutoff || feed_builder_has(&b, t->id))
			continue;
		/* Newest first: past the cap, the older history goes. */
		bytes += feed_tweet_bytes(t);
		if (max_bytes && bytes > max_bytes)
			break;
		if (feed_builder_add(&b, t) < 0) {
			feed_builder_abort(&b);
			return NULL;
		}
	}
	return feed_builder_finish(&b);
}
