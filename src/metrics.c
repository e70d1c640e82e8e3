/* metrics.c: request counters and the Prometheus exposition of GET /metrics. */
#include "metrics.h"

#include <stdatomic.h>
#include <string.h>

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
static atomic_ulong entities_dropped;

void metrics_count_dropped_entity(void)
{
	atomic_fetch_add_explicit(&entities_dropped, 1, memory_order_relaxed);
}

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
	strbuf_printf(out,
		      "# HELP relay_entities_dropped_total Entities left out because they could "
		      "not be made valid CTIM.\n# TYPE relay_entities_dropped_total counter\n"
		      "relay_entities_dropped_total %lu\n",
		      atomic_load_explicit(&entities_dropped, memory_order_relaxed));
	for (size_t i = 0; cfg && i < cfg->n_modules; i++) {
		const struct relay_module *m =
			modules_find(cfg->modules[i], strlen(cfg->modules[i]));
		if (m && m->metrics)
			m->metrics(out);
	}
}
