/* parse.c: a TweetFeed answer (rows) into a feed copy, read as it arrives (see parse.h).
 *
 * The stream keeps only the bytes of the row being received: after the
 * array's '[' (and each ','), cJSON reads one value from the pending bytes
 * and says where it ended; the row goes to the grouper (rows.c) at once and
 * its bytes are dropped. A row still incomplete is read again when more
 * bytes come; rows are small (TweetFeed's are a few hundred bytes), and one
 * that stays unreadable past TWEETFEED_ROW_MAX bytes ends the answer as not
 * valid JSON. So a refresh holds the grouped tweets and one row, never the
 * download or its whole JSON tree.
 */
#include "modules/tweetfeed/parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "http/observables.h"
#include "modules/tweettioc/feed_build.h"

/* Longest row read; anything longer is not a TweetFeed row. */
#define TWEETFEED_ROW_MAX (64 * 1024)
/* What is kept of an answer that is not an array, to say what it is. */
#define TWEETFEED_HEAD_MAX 4096

enum stream_state {
	ST_START,     /* before the '[' */
	ST_FIRST,     /* after '[': a row or ']' */
	ST_ITEM,      /* after ',': a row */
	ST_AFTER,     /* after a row: ',' or ']' */
	ST_END,	      /* after ']': white space only */
	ST_NOT_ARRAY, /* the answer does not start with '[' */
	ST_BROKEN,    /* not valid JSON */
};

struct tweetfeed_stream {
	char *pending; /* bytes not read yet (a partial row) */
	size_t len, cap;
	size_t total; /* bytes written */
	/* A partial row is read again only once it has grown by half (or at
	 * the end): a row dripping in byte by byte costs a few reads of it,
	 * not one per byte. 0: read at once. */
	size_t retry_at;
	enum stream_state state;
	struct tweetfeed_rows *rows;
	const struct feed *reuse;
	double now;
	int oom;
	int cut_short; /* the last row did not end */
};

struct tweetfeed_stream *tweetfeed_stream_new(const struct feed *reuse, double now)
{
	struct tweetfeed_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (!(s->rows = tweetfeed_rows_new(now))) {
		free(s);
		return NULL;
	}
	s->reuse = reuse;
	s->now = now;
	return s;
}

void tweetfeed_stream_free(struct tweetfeed_stream *s)
{
	if (!s)
		return;
	tweetfeed_rows_free(s->rows);
	free(s->pending);
	free(s);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* cJSON decodes "\u0000" into a NUL that silently cuts its string
 * ("evil.example\u0000x" would read as "evil.example"): each becomes
 * U+FFFD, which matches no real value, so one such row never fails the
 * whole answer. `s` starts outside a string (a row's first byte). */
static void defuse_nul_escapes(char *s, size_t len)
{
	size_t at = 0;
	long off;
	while (at < len && (off = json_find_nul_escape(s + at, len - at)) >= 0) {
		memcpy(s + at + (size_t)off, "\\ufffd", 6);
		at += (size_t)off + 6;
	}
}

/* Reads one row at p (avail bytes). Returns the bytes it used, 0 when it
 * needs more bytes, or -1 (state set) when it cannot be a row. A value
 * that ends exactly at the end of what arrived may be cut (a number), so
 * it is read only when more follows or the answer is complete. */
static long read_row(struct tweetfeed_stream *s, char *p, size_t avail, int final)
{
	if (!final && avail < s->retry_at)
		return 0;
	defuse_nul_escapes(p, avail);
	const char *end = NULL;
	errno = 0;
	cJSON *row = cJSON_ParseWithLengthOpts(p, avail, &end, 0);
	if (row && end == p + avail && !final) {
		cJSON_Delete(row);
		s->retry_at = avail + 1;
		return 0;
	}
	if (!row) {
		if (errno == ENOMEM) {
			s->oom = 1;
			return -1;
		}
		if (final || avail > TWEETFEED_ROW_MAX) {
			s->state = ST_BROKEN;
			s->cut_short = final && avail <= TWEETFEED_ROW_MAX;
			return -1;
		}
		s->retry_at = avail + avail / 2 + 1;
		return 0;
	}
	s->retry_at = 0;
	int rc = tweetfeed_rows_add(s->rows, row);
	cJSON_Delete(row);
	if (rc < 0) {
		s->oom = 1;
		return -1;
	}
	return (long)(end - p);
}

/* Reads what the pending bytes complete; with `final`, all of them. */
static void scan(struct tweetfeed_stream *s, int final)
{
	size_t pos = 0;
	while (!s->oom && s->state < ST_NOT_ARRAY) {
		while (pos < s->len && is_space(s->pending[pos]))
			pos++;
		if (pos == s->len)
			break;
		char c = s->pending[pos];
		if (s->state == ST_START) {
			if (c != '[') {
				s->state = ST_NOT_ARRAY;
				break;
			}
			s->state = ST_FIRST;
			pos++;
		} else if (s->state == ST_AFTER) {
			s->state = c == ',' ? ST_ITEM : c == ']' ? ST_END : ST_BROKEN;
			pos++;
		} else if (s->state == ST_END) {
			s->state = ST_BROKEN; /* bytes after the array: not one answer */
		} else if (s->state == ST_FIRST && c == ']') {
			s->state = ST_END;
			pos++;
		} else {
			long used = read_row(s, s->pending + pos, s->len - pos, final);
			if (used <= 0)
				break;
			pos += (size_t)used;
			s->state = ST_AFTER;
		}
	}
	/* Keep what is not read yet: a partial row, or a non-array's start. */
	if (pos == 0)
		return;
	memmove(s->pending, s->pending + pos, s->len - pos);
	s->len -= pos;
}

int tweetfeed_stream_write(struct tweetfeed_stream *s, const char *data, size_t n)
{
	if (s->oom)
		return -1;
	s->total += n;
	if (s->state >= ST_BROKEN || (s->state == ST_END && n == 0))
		return 0;
	if (s->state == ST_NOT_ARRAY) {
		/* Only its start is kept, to say what it is. */
		if (s->len >= TWEETFEED_HEAD_MAX)
			return 0;
		n = n < TWEETFEED_HEAD_MAX - s->len ? n : TWEETFEED_HEAD_MAX - s->len;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16 * 1024;
		while (cap < s->len + n + 1)
			cap *= 2;
		char *p = realloc(s->pending, cap);
		if (!p) {
			s->oom = 1;
			return -1;
		}
		s->pending = p;
		s->cap = cap;
	}
	memcpy(s->pending + s->len, data, n);
	s->len += n;
	s->pending[s->len] = '\0';
	if (s->state != ST_NOT_ARRAY)
		scan(s, 0);
	return s->oom ? -1 : 0;
}

static int emit_tweet(void *ctx, const struct feed_tweet *t)
{
	struct feed_builder *b = ctx;
	/* 0 (refused by the builder's checks) only skips the tweet. */
	return feed_builder_add(b, t) < 0 ? -1 : 0;
}

/* The grouped rows built into *out. */
static enum relay_err build(struct tweetfeed_stream *s, struct feed **out,
			    struct tweetfeed_parse_info *info, char *err, size_t errlen)
{
	struct feed_builder b;
	if (feed_builder_init(&b, NULL) != 0)
		goto oom;
	b.reuse = s->reuse;
	if (tweetfeed_rows_emit(s->rows, emit_tweet, &b) != 0) {
		feed_builder_abort(&b);
		goto oom;
	}
	if (info->rows.rows > 0 && b.feed->n_tweets == 0) {
		feed_builder_abort(&b);
		snprintf(err, errlen, "none of the answer's %zu rows has the expected shape",
			 info->rows.rows);
		return RELAY_ERR_KEY_ERROR;
	}
	const struct tweetfeed_row_stats *st = &info->rows;
	size_t skipped = st->bad_shape + st->bad_type + st->bad_link + st->bad_date + st->repeated +
			 st->over_per_tweet;
	struct feed *feed = feed_builder_finish(&b, 0);
	if (!feed)
		goto oom;
	feed->source_bytes = s->total;
	feed->n_skipped = skipped;
	info->tweets = feed->n_tweets;
	*out = feed;
	return RELAY_OK;
oom:
	snprintf(err, errlen, "out of memory while reading the TweetFeed answer");
	return RELAY_ERR_INTERNAL;
}

/* Why an answer that never became an array is refused. */
static enum relay_err not_an_array(struct tweetfeed_stream *s, char *err, size_t errlen)
{
	cJSON *doc = s->len ? cJSON_ParseWithLengthOpts(s->pending, s->len, NULL, 0) : NULL;
	snprintf(err, errlen, "%s",
		 doc ? "the TweetFeed answer is not a JSON array"
		     : "the TweetFeed answer is not valid JSON");
	cJSON_Delete(doc);
	return RELAY_ERR_KEY_ERROR;
}

enum relay_err tweetfeed_stream_finish(struct tweetfeed_stream *s, struct feed **out,
				       struct tweetfeed_parse_info *info, char *err, size_t errlen)
{
	struct tweetfeed_parse_info scratch;
	if (!info)
		info = &scratch;
	memset(info, 0, sizeof(*info));
	*out = NULL;
	if (!s->oom && s->state < ST_NOT_ARRAY)
		scan(s, 1);
	tweetfeed_rows_stats(s->rows, &info->rows);
	info->capped = info->rows.rows >= TWEETFEED_ROW_CAP;
	if (s->oom) {
		snprintf(err, errlen, "out of memory while reading the TweetFeed answer");
		return RELAY_ERR_INTERNAL;
	}
	if (s->state == ST_START || s->state == ST_NOT_ARRAY)
		return not_an_array(s, err, errlen);
	if (s->state != ST_END) {
		snprintf(err, errlen, "the TweetFeed answer is not valid JSON%s",
			 s->state == ST_BROKEN && !s->cut_short ? "" : " (cut short)");
		return RELAY_ERR_KEY_ERROR;
	}
	return build(s, out, info, err, errlen);
}

enum relay_err tweetfeed_parse(const char *json, size_t len, double now, struct feed **out,
			       struct tweetfeed_parse_info *info, char *err, size_t errlen)
{
	struct tweetfeed_stream *s = tweetfeed_stream_new(NULL, now);
	enum relay_err rc;
	if (!s || tweetfeed_stream_write(s, json, len) != 0) {
		*out = NULL;
		if (info)
			memset(info, 0, sizeof(*info));
		snprintf(err, errlen, "out of memory while reading the TweetFeed answer");
		rc = RELAY_ERR_INTERNAL;
	} else {
		rc = tweetfeed_stream_finish(s, out, info, err, errlen);
	}
	tweetfeed_stream_free(s);
	return rc;
}
