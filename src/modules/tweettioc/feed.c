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

/* Parsing state: the builder that stores each tweet, and a scratch arena
 * for the one item being read (its refanged values and arrays). */
struct parse_ctx {
	struct feed_builder b;
	struct arena scratch;
	size_t skipped;
};

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

/* Tweet ids come as strings or numbers. Returns 1 with *out set, 0 for an
 * id of the wrong shape, -1 when out of memory (never a skipped tweet). */
static int tweet_id(struct arena *a, const cJSON *tweet, const char **out)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(tweet, "id");
	if (cJSON_IsString(id) && id->valuestring && id->valuestring[0] &&
	    strlen(id->valuestring) <= 64 && utf8_valid(id->valuestring, strlen(id->valuestring))) {
		*out = id->valuestring;
		return 1;
	}
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
		t->hashtags[t->n_hashtags++] = s;
	}
	return 0;
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
			if (!(ioc->value = arena_strndup(a, buf, (size_t)n)))
				return -1;
			t->n_iocs++;
		}
	}
	return 0;
}

/* Reads one item into a tweet whose strings are the item's own (and the
 * scratch arena's). Returns 1 when kept, 0 when the item has the wrong
 * shape, -1 when out of memory. */
static int parse_item(struct arena *a, const cJSON *item, struct feed_tweet *t)
{
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
	t->user = user;
	t->text = text;
	t->link = link;
	if (add_hashtags(a, tweet, t) != 0 || add_iocs(a, item, t) != 0)
		return -1;
	return 1;
}

/* Adds one feed item; 0, or -1 when out of memory. */
static int add_item(struct parse_ctx *ctx, const cJSON *item)
{
	struct feed_tweet t;
	arena_rewind(&ctx->scratch, 1024 * 1024);
	int rc = parse_item(&ctx->scratch, item, &t);
	if (rc == 0)
		ctx->skipped++;
	return rc < 0 || (rc > 0 && feed_builder_put(&ctx->b, &t) < 0) ? -1 : 0;
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
static enum relay_err parse_feed(const char *json, size_t len, char *spent,
				 const struct feed *reuse, struct feed **out, char *err,
				 size_t errlen)
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
	arena_init(&ctx.scratch, 64 * 1024);
	size_t items = 0;
	const char *why = NULL;
	if (feed_builder_init(&ctx.b, NULL) != 0)
		goto oom;
	/* A download may list a tweet twice; feed_merge() checks ids. */
	g_hash_table_destroy(ctx.b.ids);
	ctx.b.ids = NULL;
	ctx.b.reuse = reuse;
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
			int rc = add_item(&ctx, item);
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
	arena_free(&ctx.scratch);
	free(blanked);
	blanked = NULL;
	if (why || (items > 0 && ctx.b.feed->n_tweets == 0)) {
		if (why)
			snprintf(err, errlen, "%s", why);
		else /* every item was of the wrong shape: the format has changed */
			snprintf(err, errlen, "none of the feed's %zu items has the expected shape",
				 items);
		feed_builder_abort(&ctx.b);
		return RELAY_ERR_KEY_ERROR;
	}
	/* Not compacted: feed_merge() adds the retained tweets first. */
	struct feed *feed = feed_builder_finish(&ctx.b, 0);
	if (!feed)
		goto oom;
	feed->source_bytes = len;
	feed->n_skipped = ctx.skipped;
	*out = feed;
	return RELAY_OK;
oom:
	arena_free(&ctx.scratch);
	feed_builder_abort(&ctx.b);
	free(blanked);
	snprintf(err, errlen, "out of memory while parsing the feed");
	return RELAY_ERR_INTERNAL;
}

enum relay_err feed_parse(const char *json, size_t len, struct feed **out, char *err, size_t errlen)
{
	return parse_feed(json, len, NULL, NULL, out, err, errlen);
}

enum relay_err feed_parse_release(char *json, size_t len, const struct feed *reuse,
				  struct feed **out, char *err, size_t errlen)
{
	return parse_feed(json, len, json, reuse, out, err, errlen);
}

const char *feed_ioc_ctim_type(enum feed_ioc_kind kind, const char *value)
{
	if (kind == FEED_IOC_IP && strchr(value, ':'))
		return "ipv6";
	return kind_ctim_types[kind];
}
