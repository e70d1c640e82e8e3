/* metrics.c: request counters and the Prometheus exposition of GET /metrics. */
#include "http/metrics.h"

#include <stdatomic.h>
#include <string.h>

#include "auth/token_cache.h"
#include "config.h"
#include "module.h"
#include "version.h"

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

/* Upper bounds (seconds) of relay_request_duration_seconds; +Inf is the count. */
static const double duration_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
					 0.25,	 0.5,	1,	2.5,   5,    10,    20,	  30};
#define DURATION_BUCKETS (sizeof(duration_bounds) / sizeof(duration_bounds[0]))

/* Per bucket (not cumulative: render adds them up), per endpoint. */
static atomic_ulong duration_hits[ROUTE__MAX][DURATION_BUCKETS];
static atomic_ulong duration_count[ROUTE__MAX];
static atomic_ullong duration_sum_us[ROUTE__MAX];

void metrics_observe_duration(enum route_endpoint endpoint, double seconds)
{
	if ((int)endpoint < 0 || endpoint >= ROUTE__MAX || !(seconds >= 0))
		return;
	for (size_t b = 0; b < DURATION_BUCKETS; b++)
		if (seconds <= duration_bounds[b]) {
			atomic_fetch_add_explicit(&duration_hits[endpoint][b], 1,
						  memory_order_relaxed);
			break;
		}
	atomic_fetch_add_explicit(&duration_count[endpoint], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&duration_sum_us[endpoint],
				  (unsigned long long)(seconds * 1e6 + 0.5), memory_order_relaxed);
}

static void render_durations(struct strbuf *out)
{
	strbuf_appends(out, "# HELP relay_request_duration_seconds Time from the request's "
			    "parameters read to its answer written, by endpoint.\n"
			    "# TYPE relay_request_duration_seconds histogram\n");
	for (int i = 0; i < ROUTE__MAX; i++) {
		const char *name = route_endpoint_name(i);
		/* The count is read first: buckets bumped after it can only
		 * make a bucket exceed +Inf by a request or two, never less. */
		unsigned long count =
			atomic_load_explicit(&duration_count[i], memory_order_relaxed);
		unsigned long long sum_us =
			atomic_load_explicit(&duration_sum_us[i], memory_order_relaxed);
		unsigned long cumulative = 0;
		for (size_t b = 0; b < DURATION_BUCKETS; b++) {
			cumulative +=
				atomic_load_explicit(&duration_hits[i][b], memory_order_relaxed);
			if (cumulative > count)
				cumulative = count;
			strbuf_printf(out,
				      "relay_request_duration_seconds_bucket{endpoint=\"%s\","
				      "le=\"%g\"} %lu\n",
				      name, duration_bounds[b], cumulative);
		}
		strbuf_printf(out,
			      "relay_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} "
			      "%lu\nrelay_request_duration_seconds_sum{endpoint=\"%s\"} %.6f\n"
			      "relay_request_duration_seconds_count{endpoint=\"%s\"} %lu\n",
			      name, count, name, (double)sum_us / 1e6, name, count);
	}
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
		strbuf_printf(out, "relay_requests_total{endpoint=\"%s\"} %lu\n",
			      route_endpoint_name(i),
			      atomic_load_explicit(&requests[i], memory_order_relaxed));
	strbuf_appends(out, "# HELP relay_request_errors_total Requests answered with an errors "
			    "entry, by endpoint.\n# TYPE relay_request_errors_total counter\n");
	for (int i = 0; i < ROUTE__MAX; i++)
		strbuf_printf(out, "relay_request_errors_total{endpoint=\"%s\"} %lu\n",
			      route_endpoint_name(i),
			      atomic_load_explicit(&with_errors[i], memory_order_relaxed));
	strbuf_appends(out, "# HELP relay_request_failures_total Requests answered 5xx, by "
			    "endpoint.\n# TYPE relay_request_failures_total counter\n");
	for (int i = 0; i < ROUTE__MAX; i++)
		strbuf_printf(out, "relay_request_failures_total{endpoint=\"%s\"} %lu\n",
			      route_endpoint_name(i),
			      atomic_load_explicit(&failures[i], memory_order_relaxed));
	render_durations(out);
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
