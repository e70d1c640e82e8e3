/* module.c: the threatfox module's table entry, /health, start/stop and metrics. */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "lookups/metrics.h"
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
	response_set_status_ok(res);
}

static void threatfox_metrics(struct strbuf *out)
{
	struct lookup_stats st;
	threatfox_stats_get(&st);
	lookup_metrics_write(out,
			     &(struct lookup_metrics_text){.prefix = "threatfox",
							   .upstream = "the ThreatFox API",
							   .max_var = "THREATFOX_MAX_LOOKUPS"},
			     &st, threatfox_enrich_cache());
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
