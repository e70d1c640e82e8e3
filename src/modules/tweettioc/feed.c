/* feed.c: parses the Twitter IOC Hunter JSON into tweets (newest first).
 *
 * The feed is untrusted: every field is type-checked, strings must be valid
 * UTF-8, and an item that fails is skipped and counted rather than failing
 * the whole copy. The parse is a stream: bytes go in as they download,
 * the scan (feed_scan.c) hands over each complete item, which is read once
 * with cJSON and given to the builder (feed_build.c); only a partial item
 * waits for the next bytes. An item over the size limit (feed.h) is
 * skipped unread, and a copy over its memory budget (feed_copy.h) stops
 * the parse.
 */
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/feed_scan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "http/observables.h"
#include "modules/tweettioc/normalize.h"

/* The parse: the scan that splits the array into items, the builder that
 * stores each tweet, and a scratch arena for the one item being read (its
 * refanged values and arrays). */
struct feed_stream {
	struct feed_scan scan;
	struct feed_builder b;
	struct arena scratch;
	size_t skipped;	  /* items of the wrong shape or over the limit */
	size_t oversized; /* of those, over the limit */
	size_t future;	  /* of those, dated after not_after */
	double not_after;
	size_t items, total;
	int oom, over_budget;
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

/* Adds one feed item; 0, -1 when out of memory, FEED_OVER_BUDGET. */
static int add_item(struct feed_stream *s, const cJSON *item)
{
	struct feed_tweet t;
	arena_rewind(&s->scratch, 1024 * 1024);
	s->items++;
	int rc = parse_item(&s->scratch, item, &t);
	if (rc > 0 && t.timestamp > s->not_after) {
		/* It would never expire, and CTIM refuses its observed_time. */
		rc = 0;
		s->future++;
	}
	if (rc == 0)
		s->skipped++;
	if (rc > 0)
		rc = feed_builder_put(&s->b, &t);
	return rc < 0 ? rc : 0;
}

size_t feed_item_limit(size_t max_bytes)
{
	size_t limit = max_bytes ? max_bytes / 16 : FEED_ITEM_MAX;
	if (limit < FEED_ITEM_MIN)
		limit = FEED_ITEM_MIN;
	return limit > FEED_ITEM_MAX ? FEED_ITEM_MAX : limit;
}

struct feed_stream *feed_stream_new(const struct feed *reuse)
{
	struct feed_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	arena_init(&s->scratch, 64 * 1024);
	feed_scan_init(&s->scan, FEED_ITEM_MAX);
	if (feed_builder_init(&s->b, NULL) != 0) {
		free(s);
		return NULL;
	}
	/* No id table: repeated ids are folded at the end (dedupe.h). */
	g_hash_table_destroy(s->b.ids);
	s->b.ids = NULL;
	s->b.reuse = reuse;
	s->not_after = (double)time(NULL) + FEED_MAX_AHEAD;
	return s;
}

void feed_stream_limit(struct feed_stream *s, size_t max_bytes)
{
	s->scan.limit = feed_item_limit(max_bytes);
	s->b.budget = feed_memory_budget(max_bytes);
}

void feed_stream_free(struct feed_stream *s)
{
	if (!s)
		return;
	arena_free(&s->scratch);
	feed_builder_abort(&s->b);
	feed_scan_free(&s->scan);
	free(s);
}

/* Parses the item of n bytes at p, whose `\u0000` escapes are overwritten
 * with bytes that are not UTF-8 first: cJSON would cut that string at the
 * NUL ("6.6.6.6\u0000x" read as "6.6.6.6"), whereas now the string fails
 * its UTF-8 check and only its value (or item) is skipped. */
static cJSON *parse_blanked(const char *p, size_t n)
{
	char *copy = malloc(n ? n : 1);
	if (!copy)
		return NULL;
	memcpy(copy, p, n);
	for (long at = json_find_nul_escape(copy, n); at >= 0;) {
		memset(copy + at, 0xff, 6);
		long next = json_find_nul_escape(copy + at + 6, n - (size_t)at - 6);
		at = next < 0 ? -1 : at + 6 + next;
	}
	cJSON *item = cJSON_ParseWithLengthOpts(copy, n, NULL, 0);
	free(copy);
	return item;
}

/* The scan's callback: reads one whole item (n bytes at q) with a single
 * cJSON parse, or counts an item over the limit (q NULL) as skipped. */
static enum feed_scan_next read_item(void *ctx, const char *q, size_t n)
{
	struct feed_stream *s = ctx;
	if (!q) {
		s->items++;
		s->skipped++;
		s->oversized++;
		return FEED_SCAN_GO;
	}
	const char *next = NULL;
	errno = 0;
	cJSON *item = n ? cJSON_ParseWithLengthOpts(q, n, &next, 0) : NULL;
	if (item && next != q + n) { /* "truex", "1.5e": not one value */
		cJSON_Delete(item);
		item = NULL;
		errno = 0;
	}
	if (item && json_find_nul_escape(q, n) >= 0) {
		cJSON_Delete(item);
		errno = 0;
		item = parse_blanked(q, n);
	}
	if (!item) {
		s->oom = errno == ENOMEM;
		return s->oom ? FEED_SCAN_STOP : FEED_SCAN_INVALID;
	}
	int rc = add_item(s, item);
	cJSON_Delete(item);
	s->oom = rc == -1;
	s->over_budget = rc == FEED_OVER_BUDGET;
	return rc < 0 ? FEED_SCAN_STOP : FEED_SCAN_GO;
}

int feed_stream_write(struct feed_stream *s, const char *data, size_t n)
{
	s->total += n;
	if (feed_scan_write(&s->scan, data, n, read_item, s) != 0)
		s->oom |= s->scan.nomem;
	return s->oom || s->over_budget ? -1 : 0;
}

size_t feed_stream_pending(const struct feed_stream *s)
{
	return s->scan.pending_len;
}

size_t feed_stream_oversized(const struct feed_stream *s)
{
	return s->oversized;
}

int feed_stream_over_budget(const struct feed_stream *s)
{
	return s->over_budget;
}

/* Not an array: says whether it is JSON at all (when it was short enough
 * to be kept whole). */
static enum relay_err not_an_array(const struct feed_stream *s, char *err, size_t errlen)
{
	const struct feed_scan *sc = &s->scan;
	errno = 0;
	cJSON *other = sc->cut ? NULL
			       : cJSON_ParseWithLengthOpts(sc->pending ? sc->pending : "",
							   sc->pending_len, NULL, 0);
	if (!other && errno == ENOMEM) {
		snprintf(err, errlen, "out of memory while parsing the feed");
		return RELAY_ERR_INTERNAL;
	}
	snprintf(err, errlen, "%s",
		 other || sc->cut ? "the feed is not a JSON array" : "the feed is not valid JSON");
	cJSON_Delete(other);
	return RELAY_ERR_KEY_ERROR;
}

enum relay_err feed_stream_finish(struct feed_stream *s, struct feed **out, char *err,
				  size_t errlen)
{
	*out = NULL;
	if (s->oom) {
		snprintf(err, errlen, "out of memory while parsing the feed");
		return RELAY_ERR_INTERNAL;
	}
	if (s->over_budget) {
		snprintf(err, errlen,
			 "the parsed feed would take more than its memory budget of %zu bytes "
			 "(2 x TWEETTIOC_MAX_BYTES + 2 MiB)",
			 s->b.budget);
		return RELAY_ERR_UPSTREAM_TOO_LARGE;
	}
	if (s->scan.state == FEED_SCAN_START || s->scan.state == FEED_SCAN_NOT_ARRAY)
		return not_an_array(s, err, errlen);
	if (s->scan.state != FEED_SCAN_END) {
		snprintf(err, errlen, "the feed is not valid JSON");
		return RELAY_ERR_KEY_ERROR;
	}
	if (s->items > 0 && s->b.feed->n_tweets == 0) {
		/* Every item was of the wrong shape: the format has changed. */
		snprintf(err, errlen, "none of the feed's %zu items has the expected shape",
			 s->items);
		return RELAY_ERR_KEY_ERROR;
	}
	/* Not compacted: feed_merge() adds the retained tweets first. */
	struct feed *feed = feed_builder_finish(&s->b, 0);
	if (!feed) {
		snprintf(err, errlen, "out of memory while parsing the feed");
		return RELAY_ERR_INTERNAL;
	}
	feed->source_bytes = s->total;
	feed->n_skipped = s->skipped;
	feed->n_future = s->future;
	*out = feed;
	return RELAY_OK;
}

enum relay_err feed_parse(const char *json, size_t len, struct feed **out, char *err, size_t errlen)
{
	*out = NULL;
	struct feed_stream *s = feed_stream_new(NULL);
	enum relay_err rc = RELAY_ERR_INTERNAL;
	if (s && feed_stream_write(s, json, len) == 0)
		rc = feed_stream_finish(s, out, err, errlen);
	else
		snprintf(err, errlen, "out of memory while parsing the feed");
	feed_stream_free(s);
	return rc;
}
