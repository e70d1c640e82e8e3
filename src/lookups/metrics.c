/* metrics.c: one lookup module's Prometheus lines (see metrics.h). */
#include "lookups/metrics.h"

#include "lookups/cache.h"

void lookup_metrics_write(struct strbuf *out, const struct lookup_metrics_text *t,
			  const struct lookup_stats *st, struct lookup_cache *cache)
{
	/* Label values for the failures a lookup can end in. */
	static const struct {
		enum relay_err err;
		const char *reason;
	} reasons[] = {
		{RELAY_ERR_AUTH, "auth"},
		{RELAY_ERR_UNAVAILABLE, "unavailable"},
		{RELAY_ERR_NOT_FOUND, "not_found"},
		{RELAY_ERR_TOO_MANY_REQUESTS, "too_many_requests"},
		{RELAY_ERR_UNKNOWN, "unknown"},
		{RELAY_ERR_KEY_ERROR, "key_error"},
		{RELAY_ERR_UPSTREAM_TOO_LARGE, "too_large"},
		{RELAY_ERR_INTERNAL, "internal"},
	};
	const char *p = t->prefix;
	strbuf_printf(out,
		      "# HELP %s_lookups_total Observable values looked up (cache hits "
		      "included).\n# TYPE %s_lookups_total counter\n%s_lookups_total %lu\n",
		      p, p, p, st->lookups);
	strbuf_printf(out,
		      "# HELP %s_cache_hits_total Lookups answered from the cache.\n"
		      "# TYPE %s_cache_hits_total counter\n%s_cache_hits_total %lu\n",
		      p, p, p, st->cache_hits);
	strbuf_printf(out,
		      "# HELP %s_cache_entries Answers held in the cache.\n"
		      "# TYPE %s_cache_entries gauge\n%s_cache_entries %zu\n",
		      p, p, p, lookup_cache_count(cache));
	strbuf_printf(out,
		      "# HELP %s_cache_capacity Most answers the cache holds (0: disabled).\n"
		      "# TYPE %s_cache_capacity gauge\n%s_cache_capacity %zu\n",
		      p, p, p, lookup_cache_capacity(cache));
	strbuf_printf(out,
		      "# HELP %s_cache_bytes Bytes of answers held in the cache.\n"
		      "# TYPE %s_cache_bytes gauge\n%s_cache_bytes %zu\n",
		      p, p, p, lookup_cache_bytes(cache));
	strbuf_printf(out,
		      "# HELP %s_cache_evictions_total Live answers dropped to make room.\n"
		      "# TYPE %s_cache_evictions_total counter\n%s_cache_evictions_total %lu\n",
		      p, p, p, lookup_cache_evictions(cache));
	strbuf_printf(out,
		      "# HELP %s_upstream_requests_total Calls to %s (health included).\n"
		      "# TYPE %s_upstream_requests_total counter\n%s_upstream_requests_total %lu\n",
		      p, t->upstream, p, p, st->upstream_requests);
	strbuf_printf(out,
		      "# HELP %s_lookups_late_total Lookups cut by the request deadline "
		      "(RELAY_REQUEST_DEADLINE_MS).\n# TYPE %s_lookups_late_total counter\n"
		      "%s_lookups_late_total %lu\n",
		      p, p, p, st->late);
	strbuf_printf(out,
		      "# HELP %s_lookups_left_out_total Values not asked: over %s.\n"
		      "# TYPE %s_lookups_left_out_total counter\n%s_lookups_left_out_total %lu\n",
		      p, t->max_var, p, p, st->left_out);
	strbuf_printf(out,
		      "# HELP %s_upstream_errors_total Calls to %s that gave no answer, by "
		      "reason.\n# TYPE %s_upstream_errors_total counter\n",
		      p, t->upstream, p);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		strbuf_printf(out, "%s_upstream_errors_total{reason=\"%s\"} %lu\n", p,
			      reasons[i].reason, st->errors[reasons[i].err]);
}
