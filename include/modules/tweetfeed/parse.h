/* parse.h: a TweetFeed /v1/week or /v1/today answer read into a feed copy
 * (docs/api.md, module tweetfeed).
 *
 * The answer is a JSON array of one-IOC rows; rows.c groups them into
 * tweets, which go through the feed builder (feed_build.h) exactly as
 * tweettioc's items do: the same checks, the same normalisation and match
 * keys, and a tweet equal to one of the serving copy shares its strings.
 * An answer that is not a JSON array is a key error; one whose rows are all
 * of the wrong shape too (the format changed); an empty array is an empty
 * copy (today, just after midnight). An answer of TWEETFEED_ROW_CAP rows or
 * more is used, and reported as cut.
 *
 * The stream form takes the bytes as they download and parses them at the
 * end: the upstream caps an answer at 10,000 rows (a few MB), so holding it
 * costs little, and TWEETFEED_MAX_BYTES bounds it anyway.
 *
 * Ownership: the stream owns what it was given until finish; the feed it
 * returns belongs to the caller (feed_free); `reuse` must outlive the
 * stream.
 */
#ifndef TWEETFEED_PARSE_H
#define TWEETFEED_PARSE_H

#include <stddef.h>

#include "http/relay_error.h"
#include "modules/tweetfeed/rows.h"
#include "modules/tweettioc/feed.h"

/* What one answer held. */
struct tweetfeed_parse_info {
	struct tweetfeed_row_stats rows;
	size_t tweets; /* grouped tweets kept */
	int capped;    /* TWEETFEED_ROW_CAP rows or more: the window was cut */
};

struct tweetfeed_stream;

/* A stream that judges dates against `now` (epoch seconds) and shares the
 * strings of equal tweets of `reuse` (may be NULL). NULL when out of memory. */
struct tweetfeed_stream *tweetfeed_stream_new(const struct feed *reuse, double now);
/* Takes n more bytes. 0, or -1 when out of memory (only free is left). */
int tweetfeed_stream_write(struct tweetfeed_stream *s, const char *data, size_t n);
/* Parses what was written. RELAY_OK with *out set (newest first, not
 * compacted: feed_merge() adds the retained tweets), else
 * RELAY_ERR_KEY_ERROR / RELAY_ERR_INTERNAL with a message in err and *out
 * NULL. `info` (may be NULL) gets the counts either way. Call once. */
enum relay_err tweetfeed_stream_finish(struct tweetfeed_stream *s, struct feed **out,
				       struct tweetfeed_parse_info *info, char *err, size_t errlen);
void tweetfeed_stream_free(struct tweetfeed_stream *s);

/* The whole parse of len bytes at once (tests, the fuzz target). */
enum relay_err tweetfeed_parse(const char *json, size_t len, double now, struct feed **out,
			       struct tweetfeed_parse_info *info, char *err, size_t errlen);

#endif
