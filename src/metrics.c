/* metrics.c: request counters and the Prometheus exposition of GET /metrics. */
#include "metrics.h"

#include <stdatomic.h>
#include <string.h>

#include "auth/token_cache.h"
#include "config.h"
#include "module.h"
#include "version.h"

static const char *const endpoint_names[ROUTE__MAX] = {
	[ROUTE_HEALTH] = "health",	 [ROUTE_DELIBERATE] = "deliberate",
	[ROUTE_OBSERVE] = "observe",	 [ROUTE_REFER] = "refer",
	[ROUTE_TILES] = "tiles",	 [ROUTE_TILE] = "tile",
	[ROUTE_TILE_DATA] = "tile_data", [ROUTE_VERSION] = "version",
	[ROUTE_WATCHDOG] = "watchdog",	 [ROUTE_METRICS] = "metrics",
};

static atomic_ulong requests[ROUTE__MAX];
static atomic_ulong with_errors[ROUTE__MAX];
static atomic_ulong failures[ROUTE__MAX];

void metrics_count_request(enum route_endpoint endpoint, int http_status, int had_errors)
{
	if ((int)endpoint < 0 || endpoint >= ROUTE__MAX)
		return;
	atomic_fetch_add_explicit(&requests[endpoint], 1, memory_order_relaxed);
	if (had_errors)
		atomic_fetch_add_explicit(&with_errors[endpoint], 1, memory_order_relaxed);
	if (http_status >= 500)
		atomic_fetch_add_explicit(&failures[endpoint], 1, memory_order_relaxed);
}

void metrics_render(const struct relay_config *cfg, struct strbuf *out)
{
	strbuf_printf(out,
		      "# HELP relay_info Build information.\n# TYPE relay_info gauge\n"
		      "relay_info{version=\"%s\"} 1\n",
		      RELAY_VERSION);
	strbuf_appends(out, "# HELP relay_requests_total Requests answered, by endpoint.\n"
			    "# TYPE relay_requests_total counter\n");
	for (int i = 0; i < ROUTE__MAX; i++)
		strbuf_printf(out, "relay_requests_total{endpoint=\"%s\"} %lu\n", endpoint_names[i],
			      atomic_load_explicit(&requests[i], memory_order_relaxed));
	strbuf_appends(out, "# HELP relay_request_errors_total Requests answered with an errors "
			    "entry, by endpoint.\n# TYPE relay_request_errors_total counter\n");
	for (int i = 0; i < ROUTE__MAX; i++)
		strbuf_printf(out, "relay_request_errors_total{endpoint=\"%s\"} %lu\n",
			      endpoint_names[i],
			      atomic_load_explicit(&with_errors[i], memory_order_relaxed));
	strbuf_appends(out, "# HELP relay_request_failures_total Requests answered 5xx, by "
			    "endpoint.\n# TYPE relay_request_failures_total counter\n");
	for (int i = 0; i < ROUTE__MAX; i++)
		strbuf_printf(out, "relay_request_failures_total{endpoint=\"%s\"} %lu\n",
			      endpoint_names[i],
			      atomic_load_explicit(&failures[i], memory_order_relaxed));
	for (size_t i = 0; cfg && i < cfg->n_modules; i++) {
		const struct relay_module *m =
			modules_find(cfg->modules[i], strlen(cfg->modules[i]));
		if (m && m->metrics)
			m->metrics(out);
	}
	if (cfg && cfg->auth_mode != AUTH_MODE_NONE)
		strbuf_printf(out,
			      "# HELP relay_auth_token_cache_hits_total Calls whose token was "
			      "verified before (signature skipped).\n"
			      "# TYPE relay_auth_token_cache_hits_total counter\n"
			      "relay_auth_token_cache_hits_total %lu\n"
			      "# HELP relay_auth_token_cache_misses_total Calls whose token was "
			      "verified.\n"
			      "# TYPE relay_auth_token_cache_misses_total counter\n"
			      "relay_auth_token_cache_misses_total %lu\n"
			      "# HELP relay_auth_token_cache_entries Verified tokens remembered.\n"
			      "# TYPE relay_auth_token_cache_entries gauge\n"
			      "relay_auth_token_cache_entries %zu\n",
			      token_cache_hits(), token_cache_misses(), token_cache_count());
}
