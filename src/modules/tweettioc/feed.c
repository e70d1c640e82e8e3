/* feed.c: parses the Twitter IOC Hunter JSON into tweets (newest first).
 *
 * The feed is untrusted: every field is type-checked, strings must be valid
 * UTF-8, and an item that fails is skipped and counted rather than failing
 * the whole copy. The parse is a stream: bytes go in as they download, each
 * complete item is read with cJSON and handed to the builder (feed_build.c),
 * and only a partial item waits for the next bytes.
 */
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"

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

/* Where the stream is in the feed's one JSON array. */
enum stream_state {
	STREAM_START,	  /* before the '[' */
	STREAM_FIRST,	  /* after '[': an item or ']' */
	STREAM_ITEM,	  /* after ',': an item */
	STREAM_AFTER,	  /* after an item: ',' or ']' */
	STREAM_END,	  /* after ']': the rest is ignored */
	STREAM_NOT_ARRAY, /* kept whole, to say what it is at the end */
	STREAM_BROKEN,	  /* not valid JSON: the rest is ignored */
};

/* The parse: the builder that stores each tweet, a scratch arena for the
 * one item being read (its refanged values and arrays), and where the
 * bytes received so far leave it. */
struct feed_stream {
	struct feed_builder b;
	struct arena scratch;
	size_t skipped; /* items of the wrong shape */
	size_t future;	/* of those, dated after not_after */
	double not_after;
	enum stream_state state;
	char *pending; /* bytes received but not parsed: at most a partial item */
	size_t len, cap;
	/* An item that did not parse yet is tried again once this many bytes
	 * are pending: each try doubles what it sees, so an item split over
	 * many writes costs at most twice its parse. */
	size_t retry_at;
	size_t items, total;
	int oom;
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
	return rc < 0 || (rc > 0 && feed_builder_put(&s->b, &t) < 0) ? -1 : 0;
}

/* Whitespace as cJSON skips it. */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p <= 32)
		p++;
	return p;
}

struct feed_stream *feed_stream_new(const struct feed *reuse)
{
	struct feed_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	arena_init(&s->scratch, 64 * 1024);
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

void feed_stream_free(struct feed_stream *s)
{
	if (!s)
		return;
	arena_free(&s->scratch);
	feed_builder_abort(&s->b);
	free(s->pending);
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

/* Reads the item at q (avail bytes). Returns its length, 0 when it needs
 * more bytes, -1 when out of memory, -2 when it is not valid JSON. */
static long stream_item(struct feed_stream *s, const char *q, size_t avail, int final)
{
	if (!final && avail < s->retry_at)
		return 0;
	const char *next = NULL;
	errno = 0;
	cJSON *item = cJSON_ParseWithLengthOpts(q, avail, &next, 0);
	if (item && !final && next == q + avail) {
		/* A number or literal that ends the bytes so far may go on. */
		cJSON_Delete(item);
		item = NULL;
		errno = 0;
	}
	if (!item) {
		if (errno == ENOMEM)
			return -1;
		if (final)
			return -2;
		s->retry_at = avail * 2;
		return 0;
	}
	s->retry_at = 0;
	size_t n = (size_t)(next - q);
	if (json_find_nul_escape(q, n) >= 0) {
		cJSON_Delete(item);
		errno = 0;
		if (!(item = parse_blanked(q, n)))
			return errno == ENOMEM ? -1 : -2;
	}
	int rc = add_item(s, item);
	cJSON_Delete(item);
	return rc < 0 ? -1 : (long)n;
}

/* Parses what it can of the n bytes at p; returns how many it used (the
 * rest is a partial item, or the whole document when it is not an array). */
static size_t stream_parse(struct feed_stream *s, const char *p, size_t n, int final)
{
	const char *q = p, *end = p + n;
	for (;;) {
		q = skip_space(q, end);
		if (s->state >= STREAM_END || s->oom)
			return s->state == STREAM_NOT_ARRAY ? (size_t)(q - p) : n;
		if (q == end)
			return n;
		switch (s->state) {
		case STREAM_START:
			if (*q != '[') {
				s->state = STREAM_NOT_ARRAY;
				continue;
			}
			q++;
			s->state = STREAM_FIRST;
			continue;
		case STREAM_AFTER:
			if (*q == ',' || *q == ']') {
				s->state = *q == ',' ? STREAM_ITEM : STREAM_END;
				q++;
			} else {
				s->state = STREAM_BROKEN;
			}
			continue;
		case STREAM_FIRST:
			if (*q == ']') {
				s->state = STREAM_END;
				continue;
			}
			/* fall through */
		default: {
			long used = stream_item(s, q, (size_t)(end - q), final);
			if (used == 0)
				return (size_t)(q - p);
			if (used < 0) {
				s->oom = used == -1;
				s->state = used == -1 ? s->state : STREAM_BROKEN;
				continue;
			}
			q += used;
			s->state = STREAM_AFTER;
		}
		}
	}
}

/* Keeps n bytes for later; 0, or -1 when out of memory. */
static int stream_keep(struct feed_stream *s, const char *data, size_t n)
{
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 64 * 1024;
		while (cap < s->len + n)
			cap *= 2;
		char *bigger = realloc(s->pending, cap);
		if (!bigger)
			return -1;
		s->pending = bigger;
		s->cap = cap;
	}
	memcpy(s->pending + s->len, data, n);
	s->len += n;
	return 0;
}

int feed_stream_write(struct feed_stream *s, const char *data, size_t n)
{
	s->total += n;
	if (s->oom)
		return -1;
	if (s->state == STREAM_END || s->state == STREAM_BROKEN)
		return 0;
	size_t used = 0;
	if (s->len == 0 && s->state != STREAM_NOT_ARRAY) {
		/* Nothing pending: parse straight from the caller's bytes. */
		used = stream_parse(s, data, n, 0);
	} else if (s->state != STREAM_NOT_ARRAY) {
		if (stream_keep(s, data, n) != 0)
			return s->oom = 1, -1;
		size_t done = stream_parse(s, s->pending, s->len, 0);
		if (done) /* else still one partial item: nothing to move */
			memmove(s->pending, s->pending + done, s->len - done);
		s->len -= done;
		return s->oom ? -1 : 0;
	}
	if (s->oom)
		return -1;
	if (s->state != STREAM_END && s->state != STREAM_BROKEN && used < n &&
	    stream_keep(s, data + used, n - used) != 0)
		return s->oom = 1, -1;
	return 0;
}

size_t feed_stream_pending(const struct feed_stream *s)
{
	return s->len;
}

/* Not an array: says whether it is JSON at all. */
static enum relay_err not_an_array(const struct feed_stream *s, char *err, size_t errlen)
{
	errno = 0;
	cJSON *other = cJSON_ParseWithLengthOpts(s->pending ? s->pending : "", s->len, NULL, 0);
	if (!other && errno == ENOMEM) {
		snprintf(err, errlen, "out of memory while parsing the feed");
		return RELAY_ERR_INTERNAL;
	}
	snprintf(err, errlen, "%s",
		 other ? "the feed is not a JSON array" : "the feed is not valid JSON");
	cJSON_Delete(other);
	return RELAY_ERR_KEY_ERROR;
}

enum relay_err feed_stream_finish(struct feed_stream *s, struct feed **out, char *err,
				  size_t errlen)
{
	*out = NULL;
	if (s->state < STREAM_END && !s->oom)
		stream_parse(s, s->pending ? s->pending : "", s->len, 1);
	if (s->oom) {
		snprintf(err, errlen, "out of memory while parsing the feed");
		return RELAY_ERR_INTERNAL;
	}
	if (s->state == STREAM_START || s->state == STREAM_NOT_ARRAY)
		return not_an_array(s, err, errlen);
	if (s->state != STREAM_END) {
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

const char *feed_ioc_ctim_type(enum feed_ioc_kind kind, const char *value)
{
	if (kind == FEED_IOC_IP && strchr(value, ':'))
		return "ipv6";
	return kind_ctim_types[kind];
}
