/* metrics.h: the Prometheus lines of one lookup module (GET /metrics).
 *
 * Every module on the lookup engine exposes the same counters under its own
 * prefix: lookups, cache hits, the cache's entries, capacity, bytes and
 * evictions, upstream calls, the values the deadline cut and those over the
 * per-request cap, and the failed calls by reason. No label ever carries a
 * value a client or an upstream wrote (docs/operations.md#metrics).
 */
#ifndef LOOKUPS_METRICS_H
#define LOOKUPS_METRICS_H

#include "lib/strbuf.h"
#include "lookups/lookup.h"

struct lookup_cache;

struct lookup_metrics_text {
	const char *prefix;   /* metric name prefix, e.g. "cybercrime" */
	const char *upstream; /* what is called, for the help texts, e.g. "query.php" */
	const char *max_var;  /* the per-request cap's variable */
};

/* Appends the lines for `st` and `cache` (may be NULL: caching disabled).
 * Never fails: strbuf keeps its own ceiling. */
void lookup_metrics_write(struct strbuf *out, const struct lookup_metrics_text *t,
			  const struct lookup_stats *st, struct lookup_cache *cache);

#endif
