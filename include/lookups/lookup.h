/* lookup.h: the on-demand lookup engine: one request's values asked of an upstream at once.
 *
 * A lookup module (cybercrime, threatfox) provides only what is its own:
 * the upstream request for one query (URL, method, body, headers), how a
 * finished call reads (its answer reduced to a blob the module emits from,
 * or an error), and its entities. The engine does the rest the same way
 * for every module (docs/api.md, "Upstreams"):
 *
 * - cache hits first (struct lookup_cache, positive answers only, TTL);
 * - the distinct misses through upstream_get_many(), `parallel` in flight
 *   at a time within the process-wide UPSTREAM_MAX_CONCURRENT slots;
 * - at most `max_lookups` distinct keys asked per request (the first ones
 *   sent; cache hits are free), the rest `left_out`;
 * - nothing asked after the request deadline: what has no answer by then
 *   is `late`, its transfer aborted;
 * - counters for /metrics.
 *
 * Ownership: results own their blobs (lookup_results_free()); the engine
 * copies what it caches.
 */
#ifndef LOOKUPS_LOOKUP_H
#define LOOKUPS_LOOKUP_H

#include <stdatomic.h>
#include <stddef.h>

#include "http/relay_error.h"
#include "net/upstream.h"

struct relay_config;
struct lookup_cache;

/* The counters of one module, since start (relaxed atomics). */
struct lookup_counters {
	atomic_ulong lookups, cache_hits, upstream_requests, upstream_errors, late, left_out;
	atomic_ulong errors[RELAY_ERR__MAX];
};

/* A snapshot of them. */
struct lookup_stats {
	unsigned long lookups;		      /* values looked up (hits + misses) */
	unsigned long cache_hits;	      /* answered from the cache */
	unsigned long upstream_requests;      /* calls made */
	unsigned long upstream_errors;	      /* of those, the ones that gave no answer */
	unsigned long late;		      /* lookups cut by the request deadline */
	unsigned long left_out;		      /* values not asked: over the per-request cap */
	unsigned long errors[RELAY_ERR__MAX]; /* the failures, by error */
};

/* One value to look up. `key` names the answer in the cache and makes
 * equal queries one call (e.g. "ip\n1.2.3.4"); `type` and `value` are what
 * the module builds its request from. All borrowed. */
struct lookup_query {
	const char *type, *value, *key;
};

/* The outcome of one lookup. */
struct lookup_result {
	enum relay_err err; /* RELAY_OK: blob is the module's answer */
	char detail[256];   /* why it failed, e.g. "HTTP 500"; may be "" */
	long status;	    /* the upstream's HTTP status, 0 when none (or cached) */
	int cached;	    /* answered from the cache, no upstream call */
	int left_out;	    /* not asked: over max_lookups (err UNAVAILABLE) */
	int late;	    /* no answer before the deadline (err UNAVAILABLE) */
	char *blob;	    /* owned; NULL when err != RELAY_OK */
	size_t blob_len;
};

/* What a module gives the engine. */
struct lookup_module {
	size_t parallel;   /* upstream calls of one request in flight at once */
	size_t answer_max; /* size cap of one answer body */
	struct lookup_counters *counters;
	/* Fills up->url (and method, send, headers) for one query; what it
	 * allocates it hangs on *scratch (NULL before the call) and frees in
	 * release(), which runs after every prepare(), failed ones included.
	 * `ctx` is the module's per-request context (e.g. the Auth-Key).
	 * Returns 0, -1 when out of memory. */
	int (*prepare)(void *ctx, const struct lookup_query *q, struct upstream_request *up,
		       void **scratch);
	void (*release)(void *ctx, struct upstream_request *up, void *scratch);
	/* Reads a finished call (up->err, up->status and up->body as
	 * upstream.c left them). Returns RELAY_OK with a malloc'd blob in
	 * *blob (the caller owns it) and *cacheable set when the answer may be
	 * cached; else an error with a detail in `detail`. RELAY_ERR_INTERNAL
	 * means out of memory. */
	enum relay_err (*finish)(void *ctx, const struct lookup_query *q,
				 const struct upstream_request *up, char **blob, size_t *len,
				 int *cacheable, char *detail, size_t detail_len);
};

/* Bounds of one request's lookups. */
struct lookup_bounds {
	size_t max_lookups; /* distinct keys asked at most */
	long deadline_ms;   /* from the call of lookup_many() */
	int cache_read;	    /* 0: ask the upstream even on a cache hit (answers still stored) */
};

/* Looks up n queries (duplicate keys allowed: each distinct miss is asked
 * once) and fills results[i] for queries[i]. `cache` may be NULL. Returns
 * 0, or -1 when out of memory (results are then all RELAY_ERR_INTERNAL).
 * Free the results with lookup_results_free() either way. */
int lookup_many(const struct relay_config *cfg, const struct lookup_module *m, void *ctx,
		struct lookup_cache *cache, const struct lookup_bounds *b,
		const struct lookup_query *queries, size_t n, struct lookup_result *results);

/* Runs m->finish on a finished call into *r, counts it, and caches a
 * cacheable answer under q->key in `cache` (may be NULL) as of `now`. */
void lookup_finish(const struct lookup_module *m, void *ctx, struct lookup_cache *cache,
		   const struct lookup_query *q, const struct upstream_request *up,
		   struct lookup_result *r, double now);

/* One uncached call (for /health): fills *r like a lookup. */
void lookup_one(const struct relay_config *cfg, const struct lookup_module *m, void *ctx,
		const struct lookup_query *q, struct lookup_result *r);

/* Frees the blobs of n results (the array itself is the caller's). */
void lookup_results_free(struct lookup_result *results, size_t n);

/* A snapshot of a module's counters (cannot fail). */
void lookup_stats_get(const struct lookup_counters *c, struct lookup_stats *out);

#endif
