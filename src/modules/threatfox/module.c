/* module.c: the threatfox module's table entry, /health, start/stop and metrics. */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "lookups/cache.h"
#include "module.h"
#include "modules/threatfox/enrich.h"
#include "modules/threatfox/lookup.h"
#include "modules/threatfox/settings.h"

static int threatfox_start(const struct relay_config *cfg, char *err, size_t errlen)
{
	if (threatfox_enrich_start(cfg) != 0) {
		snprintf(err, errlen, "cannot allocate the ThreatFox answer cache");
		return -1;
	}
	return 0;
}

/* One real, uncached search with the request's key (the token's, else
 * THREATFOX_AUTH_KEY): ok only when ThreatFox answers it now. Without a
 * key there is nothing to ask with: the health check says so. */
static void threatfox_health(const struct relay_request *req, struct relay_response *res)
{
	const char *problem = NULL;
	const char *key = threatfox_request_key(req, &problem);
	if (!key) {
		response_add_error(res, RELAY_ERR_AUTH, "%s", problem);
		return;
	}
	struct threatfox_call call = {.base_url = threatfox_settings(req->cfg)->url, .key = key};
	struct lookup_query q = {.type = "ip", .value = THREATFOX_HEALTH_VALUE, .key = ""};
	struct lookup_result r;
	lookup_one(req->cfg, &threatfox_lookup_module, &call, &q, &r);
	if (r.err == RELAY_OK)
		threatfox_key_accept(key);
	lookup_results_free(&r, 1);
	if (r.err == RELAY_ERR_INTERNAL) {
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	if (r.err != RELAY_OK) {
		char msg[1024];
		threatfox_error_message(r.err, r.detail, NULL, NULL, msg, sizeof(msg));
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

static void threatfox_metrics(struct strbuf *out)
{
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
	struct lookup_stats st;
	struct lookup_cache *cache = threatfox_enrich_cache();
	threatfox_stats_get(&st);
	strbuf_printf(
		out,
		"# HELP threatfox_lookups_total Observable values looked up (cache hits "
		"included).\n# TYPE threatfox_lookups_total counter\n"
		"threatfox_lookups_total %lu\n"
		"# HELP threatfox_cache_hits_total Lookups answered from the cache.\n"
		"# TYPE threatfox_cache_hits_total counter\nthreatfox_cache_hits_total %lu\n"
		"# HELP threatfox_cache_entries Answers held in the cache.\n"
		"# TYPE threatfox_cache_entries gauge\nthreatfox_cache_entries %zu\n"
		"# HELP threatfox_cache_bytes Bytes of answers held in the cache.\n"
		"# TYPE threatfox_cache_bytes gauge\nthreatfox_cache_bytes %zu\n"
		"# HELP threatfox_upstream_requests_total Calls to the ThreatFox API (health "
		"included).\n# TYPE threatfox_upstream_requests_total counter\n"
		"threatfox_upstream_requests_total %lu\n"
		"# HELP threatfox_lookups_late_total Lookups cut by the request deadline.\n"
		"# TYPE threatfox_lookups_late_total counter\nthreatfox_lookups_late_total %lu\n"
		"# HELP threatfox_lookups_left_out_total Values not asked: over "
		"THREATFOX_MAX_LOOKUPS.\n# TYPE threatfox_lookups_left_out_total counter\n"
		"threatfox_lookups_left_out_total %lu\n"
		"# HELP threatfox_upstream_errors_total Calls to the ThreatFox API that gave no "
		"answer, by reason.\n# TYPE threatfox_upstream_errors_total counter\n",
		st.lookups, st.cache_hits, lookup_cache_count(cache), lookup_cache_bytes(cache),
		st.upstream_requests, st.late, st.left_out);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		strbuf_printf(out, "threatfox_upstream_errors_total{reason=\"%s\"} %lu\n",
			      reasons[i].reason, st.errors[reasons[i].err]);
}

extern const struct module_type_info threatfox_module_type;

const struct relay_module threatfox_module = {
	.id = "threatfox",
	.title = "ThreatFox",
	.type_info = &threatfox_module_type,
	.settings = &threatfox_settings_table,
	.start = threatfox_start,
	.stop = threatfox_enrich_stop,
	.health = threatfox_health,
	.deliberate = threatfox_deliberate,
	.observe = threatfox_observe,
	.refer = threatfox_refer,
	.metrics = threatfox_metrics,
};
