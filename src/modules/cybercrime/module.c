/* module.c: the cybercrime module's table entry, /health, start/stop and metrics. */
#include <stdio.h>

#include "config.h"
#include "modules/cybercrime/cache.h"
#include "modules/cybercrime/enrich.h"
#include "modules/cybercrime/lookup.h"
#include "modules/cybercrime/settings.h"
#include "lookups/metrics.h"
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
 * message right now (docs/api.md#endpoints: /health tells the truth). */
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
	response_set_status_ok(res);
}

static void cybercrime_metrics(struct strbuf *out)
{
	struct lookup_stats st;
	cybercrime_stats_get(&st);
	lookup_metrics_write(out,
			     &(struct lookup_metrics_text){.prefix = "cybercrime",
							   .upstream = "query.php",
							   .max_var = "CYBERCRIME_MAX_LOOKUPS"},
			     &st, cybercrime_cache_engine(cybercrime_enrich_cache()));
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
