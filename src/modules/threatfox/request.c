/* request.c: one ThreatFox request: the key, the lookups, the entries for the bounds, refer.
 *
 * The key (enrich.h) is asked for only when there is something to look
 * up; a tenant is served from the shared cache only once ThreatFox has
 * accepted its key (lookup.h), and a key ThreatFox answers with 2xx
 * becomes accepted.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctim/entities.h"
#include "ctim/uri.h"
#include "http/metrics.h"
#include "lib/now.h"
#include "lookups/report.h"
#include "modules/threatfox/enrich.h"
#include "modules/threatfox/lookup.h"
#include "modules/threatfox/settings.h"

static size_t max_lookups(const struct relay_config *cfg)
{
	const struct threatfox_settings *ts = threatfox_settings(cfg);
	return ts && ts->max_lookups > 0 ? (size_t)ts->max_lookups : 100;
}

static long deadline_ms(const struct relay_config *cfg)
{
	return cfg->request_deadline_ms > 0 ? cfg->request_deadline_ms : 20000;
}

static void enrich(const struct relay_request *req, const struct observable_list *obs,
		   struct relay_response *res, int observe)
{
	size_t cap = obs->count ? obs->count : 1;
	struct lookup_query *queries = calloc(cap, sizeof(*queries));
	char **keys = calloc(cap, sizeof(*keys));
	const struct observable **which = calloc(cap, sizeof(*which));
	struct lookup_result *results = calloc(cap, sizeof(*results));
	struct ctim_bundle bundle = {0};
	size_t n = 0, failed = 0, left_out = 0;
	int oom = !queries || !keys || !which || !results, refused = 0;
	for (size_t i = 0; !oom && i < obs->count; i++) {
		const struct observable *o = &obs->items[i];
		if (!threatfox_supported_type(o->type))
			continue; /* unsupported types are skipped silently */
		size_t len = strlen(o->type) + strlen(o->value) + 2;
		if (!(keys[n] = malloc(len))) {
			oom = 1;
			break;
		}
		threatfox_cache_key(o->type, o->value, keys[n], len);
		queries[n] =
			(struct lookup_query){.type = o->type, .value = o->value, .key = keys[n]};
		which[n++] = o;
	}
	const char *problem = NULL;
	const char *key = n ? threatfox_request_key(req, &problem) : NULL;
	if (!oom && n && !key) {
		response_add_error(res, RELAY_ERR_AUTH, "%s", problem);
		goto done;
	}
	struct threatfox_call call = {.base_url = threatfox_settings(req->cfg)->url, .key = key};
	struct lookup_bounds b = {.max_lookups = max_lookups(req->cfg),
				  .deadline_ms = deadline_ms(req->cfg),
				  .cache_read = key && threatfox_key_accepted(key)};
	if (!oom && n &&
	    lookup_many(req->cfg, &threatfox_lookup_module, &call, threatfox_enrich_cache(), &b,
			queries, n, results) != 0)
		oom = 1;
	for (size_t i = 0; !oom && i < n; i++)
		if (!results[i].cached && results[i].status >= 200 && results[i].status < 300) {
			threatfox_key_accept(key);
			break;
		}
	double now = now_seconds();
	size_t limit = req->entities_limit > 0 ? (size_t)req->entities_limit : 100;
	for (size_t i = 0; !oom && i < n; i++) {
		if (results[i].left_out || results[i].late) {
			left_out += results[i].left_out;
			failed += results[i].late;
			continue; /* one entry each for all of them, below */
		}
		failed += results[i].err != RELAY_OK;
		if (threatfox_emit(which[i], &results[i], observe, limit, now, &bundle, res,
				   &refused) != 0)
			oom = 1;
	}
	if (!oom && refused)
		response_add_error(res, RELAY_ERR_AUTH,
				   "Authorization failed: ThreatFox refused the Auth-Key.");
	if (!oom)
		lookup_report_bounds(
			&(struct lookup_bounds_text){.name = "ThreatFox",
						     .subject = "ThreatFox",
						     .max_var = "THREATFOX_MAX_LOOKUPS",
						     .max_lookups = max_lookups(req->cfg),
						     .deadline_ms = deadline_ms(req->cfg)},
			which, results, sizeof(*results), offsetof(struct lookup_result, late), n,
			left_out, res);
done:
	if (!oom && n > 0 && (failed == n - left_out || (!key && n))) {
		ctim_bundle_free(&bundle); /* errors only: no empty data that reads as "nothing" */
	} else if (!oom) {
		cJSON *data = ctim_bundle_take(&bundle);
		if (data)
			response_set_data(res, data);
		else
			oom = 1;
	}
	lookup_results_free(results, n);
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	free(queries);
	free(which);
	free(results);
	if (oom) {
		ctim_bundle_free(&bundle);
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	}
}

void threatfox_deliberate(const struct relay_request *req, const struct observable_list *obs,
			  struct relay_response *res)
{
	enrich(req, obs, res, 0);
}

void threatfox_observe(const struct relay_request *req, const struct observable_list *obs,
		       struct relay_response *res)
{
	enrich(req, obs, res, 1);
}

/* The Search link for one observable; -1 when out of memory. */
static int refer_one(cJSON *list, const struct observable *o)
{
	char *url = threatfox_search_url(o->value);
	if (!url)
		return -1;
	if (!uri_valid_http(url) || !ctim_observable_ok(o->type, o->value)) {
		free(url); /* no valid refer can be made: left out */
		metrics_count_dropped_entity();
		return 0;
	}
	struct ctim_refer_in in = {
		.module_id = THREATFOX_MODULE_ID,
		.kind = "search",
		.type = o->type,
		.value = o->value,
		.title = "Search ThreatFox",
		.description = "Look up this IOC on ThreatFox",
		.url = url,
		.category = "Search",
		.source_name = THREATFOX_SOURCE,
	};
	cJSON *r = ctim_refer(&in);
	free(url);
	if (!r || !cJSON_AddItemToArray(list, r)) {
		cJSON_Delete(r);
		return -1;
	}
	return 0;
}

void threatfox_refer(const struct relay_request *req, const struct observable_list *obs,
		     struct relay_response *res)
{
	(void)req;
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; list && i < obs->count; i++) {
		const struct observable *o = &obs->items[i];
		if (threatfox_supported_type(o->type) && refer_one(list, o) != 0) {
			cJSON_Delete(list);
			list = NULL;
		}
	}
	if (!list)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else
		response_set_data(res, list);
}
