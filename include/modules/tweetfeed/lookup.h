/* lookup.h: TweetFeed's /v1/ioc asked about index misses (docs/api.md,
 * module tweetfeed: lookups beyond the kept window).
 *
 * GET <base>/v1/ioc?value=<value URL-encoded>. tweetfeed_lookup_many()
 * answers one relay request: cache hits first, then the distinct misses
 * concurrently through upstream_get_many() (TWEETFEED_LOOKUP_PARALLEL in
 * flight, within the process-wide slots), at most `max_lookups` of them
 * (the first sent; the rest are `left_out`), and nothing after the
 * request's deadline (`late`, the transfer aborted). Positive answers
 * ("found": true) are cached for the TTL; negative ones and failures never
 * are, so a listing that appears upstream is seen at the next request.
 *
 * Ownership: results and the records they point at live in the caller's
 * arena. The cache owns copies of its keys and answers; it is shared by
 * every worker thread (a mutex guards it) and holds at most `capacity`
 * answers of at most TWEETFEED_ANSWER_MAX bytes.
 */
#ifndef TWEETFEED_LOOKUP_H
#define TWEETFEED_LOOKUP_H

#include <stddef.h>

#include "http/relay_error.h"
#include "modules/tweetfeed/ioc_answer.h"

struct arena;
struct relay_config;

/* Size cap of one /v1/ioc answer. */
#define TWEETFEED_ANSWER_MAX (64 * 1024)
/* Transfers in flight at once for one relay request. */
#define TWEETFEED_LOOKUP_PARALLEL 16
/* Answers the cache holds at most (<= 64 MiB of answers). */
#define TWEETFEED_CACHE_CAPACITY 1000
/* Values longer than this are looked up but never cached. */
#define TWEETFEED_CACHE_KEY_MAX 2048

struct tweetfeed_cache;

/* NULL when out of memory or ttl_seconds <= 0 (caching off). */
struct tweetfeed_cache *tweetfeed_cache_new(size_t capacity, double ttl_seconds);
void tweetfeed_cache_free(struct tweetfeed_cache *c);
size_t tweetfeed_cache_count(struct tweetfeed_cache *c);

/* What one relay request may ask. */
struct tweetfeed_lookup_opts {
	const char *base_url; /* TWEETFEED_URL */
	size_t max_lookups;   /* TWEETFEED_MAX_LOOKUPS */
	long deadline_ms;     /* RELAY_REQUEST_DEADLINE_MS */
};

struct tweetfeed_lookup_result {
	enum relay_err err; /* RELAY_OK: `answer` is valid */
	struct tweetfeed_ioc_answer answer;
	char detail[256]; /* why it failed, e.g. "HTTP 500" */
	int cached;	  /* from the cache, no upstream call */
	int left_out;	  /* not asked: over max_lookups (err UNAVAILABLE) */
	int late;	  /* no answer before the deadline (err UNAVAILABLE) */
};

/* Counters since start, for /metrics. */
struct tweetfeed_lookup_stats {
	unsigned long lookups, cache_hits, upstream_requests, upstream_errors, late, left_out;
};

/* <base>/v1/ioc?value=<value URL-encoded>: a new string, NULL when out of memory. */
char *tweetfeed_ioc_url(const char *base, const char *value);

/* Looks up n values (duplicates asked once) into results[i], within the
 * bounds of `opts`. `cache` may be NULL. Returns 0, or -1 when out of
 * memory (every result then RELAY_ERR_INTERNAL). */
int tweetfeed_lookup_many(const struct relay_config *cfg, const struct tweetfeed_lookup_opts *opts,
			  struct tweetfeed_cache *cache, const char *const *values, size_t n,
			  struct arena *a, struct tweetfeed_lookup_result *results);

void tweetfeed_lookup_stats_get(struct tweetfeed_lookup_stats *out);

#endif
