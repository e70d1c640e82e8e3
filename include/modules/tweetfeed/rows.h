/* rows.h: TweetFeed's rows grouped into tweets (docs/api.md, module tweetfeed).
 *
 * TweetFeed answers /v1/week and /v1/today with a JSON array of rows, one
 * IOC each: {"date", "user", "type", "value", "tags", "tweet"}. Rows that
 * carry the same tweet status id (twitter.com and x.com links alike) are
 * one tweet: its IOCs are the rows' values, its tags the union of theirs,
 * its time the earliest row's date. A row of the wrong shape, of a type the
 * relay does not index, or whose `tweet` is not a status link is skipped
 * and counted: its IOC cannot be attributed.
 *
 * Ownership: the grouper copies what it keeps into its own arena; rows may
 * be freed as soon as tweetfeed_rows_add() returns. The tweets it hands to
 * the emit callback point into that arena and live until
 * tweetfeed_rows_free().
 */
#ifndef TWEETFEED_ROWS_H
#define TWEETFEED_ROWS_H

#include <stddef.h>

#include "modules/tweettioc/feed.h"

struct cJSON;

/* The upstream cuts an answer at this many rows (docs/api.md). */
#define TWEETFEED_ROW_CAP 10000

/* Tags kept per tweet, and IOCs per tweet, at most. */
#define TWEETFEED_MAX_TAGS 64

/* What the grouping skipped, by reason. */
struct tweetfeed_row_stats {
	size_t rows;	       /* rows seen */
	size_t bad_shape;      /* not an object, a field missing or of the wrong type */
	size_t bad_type;       /* a type the relay does not index */
	size_t bad_link;       /* `tweet` not a twitter.com / x.com status link */
	size_t bad_date;       /* not "YYYY-MM-DD HH:MM:SS", or too far in the future */
	size_t repeated;       /* the same IOC twice in one tweet */
	size_t over_per_tweet; /* IOCs past FEED_MAX_IOCS_PER_TWEET */
};

struct tweetfeed_rows;

/* A new grouper; `now` (epoch seconds) judges dates in the future. NULL
 * when out of memory. */
struct tweetfeed_rows *tweetfeed_rows_new(double now);

/* Reads one row. Returns 1 when kept, 0 when skipped (counted), -1 when
 * out of memory (the grouper is then only to free). */
int tweetfeed_rows_add(struct tweetfeed_rows *r, const struct cJSON *row);

/* Calls emit once per tweet, in no particular order. The tweet and its
 * strings belong to the grouper. Returns 0, or the first non-zero value
 * emit returned. */
int tweetfeed_rows_emit(struct tweetfeed_rows *r,
			int (*emit)(void *ctx, const struct feed_tweet *t), void *ctx);

/* Tweets grouped so far. */
size_t tweetfeed_rows_tweets(const struct tweetfeed_rows *r);

void tweetfeed_rows_stats(const struct tweetfeed_rows *r, struct tweetfeed_row_stats *out);

void tweetfeed_rows_free(struct tweetfeed_rows *r);

/* The status id of a tweet link: http(s)://[www.|mobile.]twitter.com or
 * x.com, path /<handle>/status/<1-20 digits>[/...][?...][#...]. Writes the
 * id and the handle (NUL-terminated) and returns 1, or 0 for anything
 * else. */
int tweetfeed_status_link(const char *link, char id[21], char handle[16]);

/* "YYYY-MM-DD HH:MM:SS" (UTC) to epoch seconds; returns 0 with *out set,
 * -1 for anything else (an impossible date included). */
int tweetfeed_parse_date(const char *s, double *out);

#endif
