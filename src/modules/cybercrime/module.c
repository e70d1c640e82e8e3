/* module.c: the cybercrime module's table entry, /health, start/stop and metrics. */
#include <stdio.h>

#include "config.h"
#include "modules/cybercrime/cache.h"
#include "modules/cybercrime/enrich.h"
#include "modules/cybercrime/lookup.h"
#include "modules/cybercrime/settings.h"
#include "module.h"

static int cybercrime_start(const struct relay_config *cfg, char *err, size_t errlen)
{
	if (cybercrime_enrich_start(cfg) != 0) {
		snprintf(err, errlen, "cannot allocate the CyberCrime Tracker answer cache");
		return -1;
	}
	return 0;
}

/* One real, uncached query: ok only when the upstream answers JSON with a
 * message right now (CONTRACT 2: /health tells the truth). */
static void cybercrime_health(const struct relay_request *req, struct relay_response *res)
{
	struct cybercrime_result r;
	cybercrime_lookup_health(req->cfg, &r);
	if (r.err == RELAY_ERR_INTERNAL) {
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	if (r.err != RELAY_OK) {
		char msg[1024];
		cybercrime_error_message(r.err, r.detail, NULL, NULL, msg, sizeof(msg));
		response_add_error(res, r.err, "%s", msg);
		return;
	}
	cJSON *data = cJSON_CreateObject();
	if (!data || !cJSON_AddStringToObject(data, "status", "ok")) {
		cJSON_Delete(data);
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	response_set_data(res, data);
}

static void cybercrime_metrics(struct strbuf *out)
{
	/* Label values for the failures a lookup can end in. */
	static const struct {
		enum relay_err err;
		const char *reason;
	} reasons[] = {
		{RELAY_ERR_UNAVAILABLE, "unavailable"},
		{RELAY_ERR_NOT_FOUND, "not_found"},
		{RELAY_ERR_TOO_MANY_REQUESTS, "too_many_requests"},
		{RELAY_ERR_UNKNOWN, "unknown"},
		{RELAY_ERR_KEY_ERROR, "key_error"},
		{RELAY_ERR_UPSTREAM_TOO_LARGE, "too_large"},
		{RELAY_ERR_INTERNAL, "internal"},
	};
	struct cybercrime_stats st;
	struct cybercrime_cache *cache = cybercrime_enrich_cache();
	cybercrime_stats_get(&st);
	strbuf_printf(
		out,
		"# HELP cybercrime_lookups_total Observable values looked up (cache hits "
		"included).\n# TYPE cybercrime_lookups_total counter\n"
		"cybercrime_lookups_total %lu\n"
		"# HELP cybercrime_cache_hits_total Lookups answered from the cache.\n"
		"# TYPE cybercrime_cache_hits_total counter\ncybercrime_cache_hits_total %lu\n"
		"# HELP cybercrime_cache_entries Answers held in the cache.\n"
		"# TYPE cybercrime_cache_entries gauge\ncybercrime_cache_entries %zu\n"
		"# HELP cybercrime_cache_capacity Most answers the cache holds (0: "
		"disabled).\n# TYPE cybercrime_cache_capacity gauge\n"
		"cybercrime_cache_capacity %zu\n"
		"# HELP cybercrime_cache_evictions_total Live answers dropped to make room.\n"
		"# TYPE cybercrime_cache_evictions_total counter\n"
		"cybercrime_cache_evictions_total %lu\n"
		"# HELP cybercrime_upstream_requests_total Calls to query.php (health "
		"included).\n# TYPE cybercrime_upstream_requests_total counter\n"
		"cybercrime_upstream_requests_total %lu\n"
		"# HELP cybercrime_lookups_late_total Lookups cut by the request deadline "
		"(RELAY_REQUEST_DEADLINE_MS).\n# TYPE cybercrime_lookups_late_total counter\n"
		"cybercrime_lookups_late_total %lu\n"
		"# HELP cybercrime_lookups_left_out_total Values not asked: over "
		"CYBERCRIME_MAX_LOOKUPS.\n# TYPE cybercrime_lookups_left_out_total counter\n"
		"cybercrime_lookups_left_out_total %lu\n"
		"# HELP cybercrime_upstream_errors_total Calls to query.php that gave no "
		"answer, by reason.\n# TYPE cybercrime_upstream_errors_total counter\n",
		st.lookups, st.cache_hits, cybercrime_cache_count(cache),
		cybercrime_cache_capacity(cache), cybercrime_cache_evictions(cache),
		st.upstream_requests, st.late, st.left_out);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		strbuf_printf(out, "cybercrime_upstream_errors_total{reason=\"%s\"} %lu\n",
			      reasons[i].reason, st.errors[reasons[i].err]);
}

extern const struct module_type_info cybercrime_module_type;

const struct relay_module cybercrime_module = {
	.id = "cybercrime",
	.title = "CyberCrime Tracker",
	.type_info = &cybercrime_module_type,
	.settings = &cybercrime_settings_table,
	.start = cybercrime_start,
	.stop = cybercrime_enrich_stop,
	.health = cybercrime_health,
	.deliberate = cybercrime_deliberate,
	.observe = cybercrime_observe,
	.refer = cybercrime_refer,
	.metrics = cybercrime_metrics,
};
