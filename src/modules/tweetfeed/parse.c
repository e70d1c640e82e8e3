/* parse.c: a TweetFeed answer (rows) into a feed copy (see parse.h). */
#include "modules/tweetfeed/parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "http/observables.h"
#include "lib/strbuf.h"
#include "modules/tweettioc/feed_build.h"

/* Bytes held at most; the download's own cap (TWEETFEED_MAX_BYTES) is
 * lower by default and stops a larger answer first. */
#define TWEETFEED_STREAM_MAX ((size_t)1 << 30)

struct tweetfeed_stream {
	struct strbuf body;
	const struct feed *reuse;
	double now;
	int oom;
};

struct tweetfeed_stream *tweetfeed_stream_new(const struct feed *reuse, double now)
{
	struct tweetfeed_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	strbuf_init(&s->body, TWEETFEED_STREAM_MAX);
	s->reuse = reuse;
	s->now = now;
	return s;
}

int tweetfeed_stream_write(struct tweetfeed_stream *s, const char *data, size_t n)
{
	if (s->oom || strbuf_append(&s->body, data, n) != STRBUF_OK) {
		s->oom = 1;
		return -1;
	}
	return 0;
}

void tweetfeed_stream_free(struct tweetfeed_stream *s)
{
	if (!s)
		return;
	strbuf_free(&s->body);
	free(s);
}

static int emit_tweet(void *ctx, const struct feed_tweet *t)
{
	struct feed_builder *b = ctx;
	/* 0 (refused by the builder's checks) only skips the tweet. */
	return feed_builder_add(b, t) < 0 ? -1 : 0;
}

/* The rows of `doc` grouped and built into *out. */
static enum relay_err build(const cJSON *doc, size_t bytes, const struct feed *reuse, double now,
			    struct feed **out, struct tweetfeed_parse_info *info, char *err,
			    size_t errlen)
{
	struct tweetfeed_rows *rows = tweetfeed_rows_new(now);
	struct feed_builder b;
	int have_b = 0;
	enum relay_err rc = RELAY_ERR_INTERNAL;
	if (!rows)
		goto oom;
	const cJSON *row;
	cJSON_ArrayForEach (row, doc)
		if (tweetfeed_rows_add(rows, row) < 0)
			goto oom;
	tweetfeed_rows_stats(rows, &info->rows);
	info->capped = info->rows.rows >= TWEETFEED_ROW_CAP;
	if (feed_builder_init(&b, NULL) != 0)
		goto oom;
	have_b = 1;
	b.reuse = reuse;
	if (tweetfeed_rows_emit(rows, emit_tweet, &b) != 0)
		goto oom;
	if (info->rows.rows > 0 && b.feed->n_tweets == 0) {
		snprintf(err, errlen, "none of the answer's %zu rows has the expected shape",
			 info->rows.rows);
		rc = RELAY_ERR_KEY_ERROR;
		goto out;
	}
	const struct tweetfeed_row_stats *st = &info->rows;
	size_t skipped = st->bad_shape + st->bad_type + st->bad_link + st->bad_date + st->repeated +
			 st->over_per_tweet;
	struct feed *feed = feed_builder_finish(&b, 0);
	have_b = 0;
	if (!feed)
		goto oom;
	feed->source_bytes = bytes;
	feed->n_skipped = skipped;
	info->tweets = feed->n_tweets;
	*out = feed;
	rc = RELAY_OK;
	goto out;
oom:
	snprintf(err, errlen, "out of memory while reading the TweetFeed answer");
	rc = RELAY_ERR_INTERNAL;
out:
	if (have_b)
		feed_builder_abort(&b);
	tweetfeed_rows_free(rows);
	return rc;
}

/* cJSON decodes "\u0000" into a NUL that silently cuts its string ("evil.example\u0000x"
 * would read as "evil.example"): each becomes U+FFFD, which matches no real value, so
 * one such row never fails the whole answer. */
static void defuse_nul_escapes(char *json, size_t len)
{
	size_t at = 0;
	long off;
	while (at < len && (off = json_find_nul_escape(json + at, len - at)) >= 0) {
		memcpy(json + at + (size_t)off, "\\ufffd", 6);
		at += (size_t)off + 6;
	}
}

static enum relay_err parse_bytes(char *json, size_t len, const struct feed *reuse, double now,
				  struct feed **out, struct tweetfeed_parse_info *info, char *err,
				  size_t errlen)
{
	struct tweetfeed_parse_info scratch;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	*out = NULL;
	char empty[1] = "";
	if (!json)
		json = empty; /* nothing was written */
	defuse_nul_escapes(json, len);
	errno = 0;
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	while (doc && end < json + len && (unsigned char)*end <= 32)
		end++;
	if (doc && end != json + len) { /* bytes after the array: not one answer */
		cJSON_Delete(doc);
		doc = NULL;
	}
	if (!doc) {
		if (errno == ENOMEM) {
			snprintf(err, errlen, "out of memory while reading the TweetFeed answer");
			return RELAY_ERR_INTERNAL;
		}
		snprintf(err, errlen, "the TweetFeed answer is not valid JSON");
		return RELAY_ERR_KEY_ERROR;
	}
	enum relay_err rc;
	if (!cJSON_IsArray(doc)) {
		snprintf(err, errlen, "the TweetFeed answer is not a JSON array");
		rc = RELAY_ERR_KEY_ERROR;
	} else {
		rc = build(doc, len, reuse, now, out, info, err, errlen);
	}
	cJSON_Delete(doc);
	return rc;
}

enum relay_err tweetfeed_stream_finish(struct tweetfeed_stream *s, struct feed **out,
				       struct tweetfeed_parse_info *info, char *err, size_t errlen)
{
	if (s->oom) {
		*out = NULL;
		if (info)
			memset(info, 0, sizeof(*info));
		snprintf(err, errlen, "out of memory while reading the TweetFeed answer");
		return RELAY_ERR_INTERNAL;
	}
	return parse_bytes(s->body.data, s->body.len, s->reuse, s->now, out, info, err, errlen);
}

enum relay_err tweetfeed_parse(const char *json, size_t len, double now, struct feed **out,
			       struct tweetfeed_parse_info *info, char *err, size_t errlen)
{
	char *copy = malloc(len + 1);
	if (!copy) {
		*out = NULL;
		if (info)
			memset(info, 0, sizeof(*info));
		snprintf(err, errlen, "out of memory while reading the TweetFeed answer");
		return RELAY_ERR_INTERNAL;
	}
	if (len)
		memcpy(copy, json, len);
	copy[len] = '\0';
	enum relay_err rc = parse_bytes(copy, len, NULL, now, out, info, err, errlen);
	free(copy);
	return rc;
}
