/* enrich.c: CTIM from CyberCrime Tracker answers: verdicts, judgements, refer links.
 *
 * One request = one call to cybercrime_lookup_many() for all its supported
 * observables, then one pass that turns each result into entities or an
 * error entry, in the order the observables were sent.
 */
#include "modules/cybercrime/enrich.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctim/text.h"
#include "ctim/uuid5.h"
#include "http/metrics.h"
#include "lib/now.h"
#include "lookups/report.h"
#include "modules/cybercrime/settings.h"
#include "lib/strbuf.h"
#include "ctim/uri.h"

/* Observables a deadline error names before "...". */

static struct cybercrime_cache *shared_cache;

int cybercrime_enrich_start(const struct relay_config *cfg)
{
	long cache_seconds = cybercrime_settings(cfg)->cache_seconds;
	if (cache_seconds <= 0)
		return 0; /* CYBERCRIME_CACHE_SECONDS=0: every lookup asks the upstream */
	shared_cache = cybercrime_cache_new(CYBERCRIME_CACHE_CAPACITY, (double)cache_seconds);
	return shared_cache ? 0 : -1;
}

void cybercrime_enrich_stop(void)
{
	cybercrime_cache_free(shared_cache);
	shared_cache = NULL;
}

struct cybercrime_cache *cybercrime_enrich_cache(void)
{
	return shared_cache;
}

/* The family a "Malicious: <family>" message names, without the spaces
 * around it; "" when it names none. */
static const char *family_of(const char *message, char *out, size_t len)
{
	const char *p = strchr(message, ':');
	p = p ? p + 1 : "";
	while (*p == ' ')
		p++;
	size_t n = strlen(p);
	while (n > 0 && p[n - 1] == ' ')
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

/* `s` as inert Markdown (ctim/text.h) with `prefix` before it; NULL when
 * out of memory. */
static char *md_line(const char *prefix, const char *s, const char *suffix, size_t max_units)
{
	struct strbuf sb;
	strbuf_init(&sb, 8 * CTIM_DESCRIPTION_MAX);
	char *line = NULL;
	if (strbuf_appends(&sb, prefix) == STRBUF_OK && md_text(&sb, s, max_units) == 0 &&
	    strbuf_appends(&sb, suffix) == STRBUF_OK)
		line = strbuf_detach(&sb, NULL);
	strbuf_free(&sb);
	return line;
}

/* 1 when `list` already holds an entity with this id. */
static int bundle_has(const cJSON *list, const char *id)
{
	const cJSON *e;
	cJSON_ArrayForEach (e, list) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "id");
		if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
			return 1;
	}
	return 0;
}

/* The judgement's reason: the "Malicious:" the answer starts with (lookup.c
 * checked it) as written, then the upstream's own words as inert Markdown
 * (ctim/text.h escapes every ':' of them). NULL when out of memory. */
static char *reason_of(const char *message)
{
	static const char verdict[] = "Malicious:";
	size_t head = strncmp(message, verdict, sizeof(verdict) - 1) == 0 ? sizeof(verdict) - 1 : 0;
	return md_line(head ? verdict : "", message + head, "", CTIM_TITLE_MAX - head);
}

/* The Indicator for the family the answer names, and the Relationship
 * judgement -> indicator. "based-on" is the type Cisco's CTIM bundle
 * builder relates a judgement to its indicator with
 * (CiscoSecurity/tr-05-ctim-bundle-builder,
 * tests/unit/models/primary/test_relationship.py). The indicator's id is
 * stable (ctim/uuid5.h): one family is one node in XDR's graph in every
 * answer, and is emitted once per answer however many observables name
 * it. Returns 0, -1 when out of memory. */
static int emit_indicator(const struct cybercrime_result *r, const char *judgement_id,
			  const char *source_uri, double now, double end,
			  struct ctim_bundle *bundle)
{
	char family[CYBERCRIME_MESSAGE_MAX];
	family_of(r->answer.message, family, sizeof(family));
	if (!family[0])
		return 0;
	char indicator_id[CTIM_ID_LEN];
	if (ctim_stable_id("indicator", CYBERCRIME_MODULE_ID, family, indicator_id,
			   sizeof(indicator_id)) != 0)
		return -1;
	if (bundle_has(bundle->indicators, indicator_id))
		return ctim_bundle_add(&bundle->relationships,
				       ctim_relationship("based-on", judgement_id, indicator_id,
							 CYBERCRIME_SOURCE, source_uri));
	char *title = md_line("Malware family: ", family, "", 200);
	char *short_description =
		md_line("CyberCrime Tracker lists the C2 panels of ", family, "", 400);
	char *description =
		md_line("CyberCrime Tracker lists command-and-control panels of the **", family,
			"** malware family. An address it lists is judged Malicious.", 400);
	int rc = -1;
	if (title && short_description && description) {
		struct ctim_indicator_in in = {
			.title = title,
			.short_description = short_description,
			.description = description,
			.producer = CYBERCRIME_SOURCE,
			.source = CYBERCRIME_SOURCE,
			.source_uri = source_uri,
			.confidence = CYBERCRIME_CONFIDENCE,
			.severity = CYBERCRIME_SEVERITY,
			.valid_start = now,
			.valid_end = end,
			.id_module = CYBERCRIME_MODULE_ID,
			.id_name = family,
		};
		rc = ctim_bundle_add(&bundle->indicators,
				     ctim_indicator(&in, indicator_id, sizeof(indicator_id)));
		if (rc == 0)
			rc = ctim_bundle_add(&bundle->relationships,
					     ctim_relationship("based-on", judgement_id,
							       indicator_id, CYBERCRIME_SOURCE,
							       source_uri));
	}
	free(title);
	free(short_description);
	free(description);
	return rc;
}

int cybercrime_emit(const char *base_url, const struct observable *o,
		    const struct cybercrime_result *r, int observe, double now,
		    struct ctim_bundle *bundle, struct relay_response *res)
{
	if (r->err == RELAY_ERR_INTERNAL)
		return -1;
	if (r->err != RELAY_OK) {
		char msg[1536];
		cybercrime_error_message(r->err, r->detail, o->type, o->value, msg, sizeof(msg));
		response_add_error(res, r->err, "%s", msg);
		return 0;
	}
	if (!r->answer.malicious)
		return 0;
	if (!ctim_observable_ok(o->type, o->value)) {
		metrics_count_dropped_entity(); /* no valid entity can carry it */
		return 0;
	}
	char judgement_id[CTIM_ID_LEN];
	double end = now + CTIM_VALID_SECONDS;
	if (observe) {
		char *source_uri =
			cybercrime_search_url(base_url, cybercrime_query_value(o->type, o->value));
		/* The upstream's message is feed text: escaped like any other. */
		char *reason = reason_of(r->answer.message);
		if (!source_uri || !reason) {
			free(source_uri);
			free(reason);
			return -1;
		}
		struct ctim_judgement_in j = {
			.type = o->type,
			.value = o->value,
			.disposition = CTIM_MALICIOUS,
			.source = CYBERCRIME_SOURCE,
			.source_uri = source_uri, /* left out when not a valid URI */
			.reason = reason,
			.confidence = CYBERCRIME_CONFIDENCE,
			.severity = CYBERCRIME_SEVERITY,
			.priority = CYBERCRIME_PRIORITY,
			.valid_start = now,
			.valid_end = end,
		};
		int rc = ctim_bundle_add(&bundle->judgements,
					 ctim_judgement(&j, judgement_id, sizeof(judgement_id)));
		if (rc == 0)
			rc = emit_indicator(r, judgement_id, source_uri, now, end, bundle);
		free(source_uri);
		free(reason);
		if (rc != 0)
			return -1;
	} else if (ctim_transient_id("judgement", judgement_id, sizeof(judgement_id)) != 0) {
		return -1;
	}
	return ctim_bundle_add(&bundle->verdicts, ctim_verdict(o->type, o->value, CTIM_MALICIOUS,
							       judgement_id, now, end));
}

static void enrich(const struct relay_request *req, const struct observable_list *obs,
		   struct relay_response *res, int observe)
{
	const char **queries = calloc(obs->count ? obs->count : 1, sizeof(*queries));
	const struct observable **which = calloc(obs->count ? obs->count : 1, sizeof(*which));
	struct cybercrime_result *results = calloc(obs->count ? obs->count : 1, sizeof(*results));
	struct ctim_bundle bundle = {0};
	size_t n = 0, failed = 0;
	int oom = !queries || !which || !results;
	for (size_t i = 0; !oom && i < obs->count; i++) {
		const struct observable *o = &obs->items[i];
		if (!cybercrime_supported_type(o->type))
			continue; /* docs/api.md#endpoints: unsupported types are skipped silently */
		const char *q = cybercrime_query_value(o->type, o->value);
		if (!q[0])
			continue; /* "http://" alone: nothing to ask about */
		queries[n] = q;
		which[n++] = o;
	}
	if (!oom && cybercrime_lookup_many(req->cfg, shared_cache, queries, n, results) != 0)
		oom = 1;
	double now = now_seconds();
	size_t left_out = 0, asked = 0;
	for (size_t i = 0; !oom && i < n; i++) {
		if (results[i].left_out || results[i].late) {
			left_out += results[i].left_out;
			continue; /* one entry each for all of them, below */
		}
		asked++;
		failed += results[i].err != RELAY_OK;
		if (cybercrime_emit(cybercrime_settings(req->cfg)->url, which[i], &results[i],
				    observe, now, &bundle, res) != 0)
			oom = 1;
	}
	if (!oom)
		lookup_report_bounds(
			&(struct lookup_bounds_text){
				.name = "CyberCrime Tracker",
				.subject = "The CyberCrime Tracker",
				.max_var = "CYBERCRIME_MAX_LOOKUPS",
				.max_lookups = cybercrime_max_lookups(req->cfg),
				.deadline_ms = cybercrime_deadline_ms(req->cfg)},
			which, results, sizeof(*results), offsetof(struct cybercrime_result, late),
			n, left_out, res);
	failed += n - asked - left_out; /* the late ones */
	n -= left_out;
	free(queries);
	free(which);
	free(results);
	if (oom) {
		ctim_bundle_free(&bundle);
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	/* Every lookup failed: errors only, no empty `data` that reads as "nothing found". */
	if (n > 0 && failed == n) {
		ctim_bundle_free(&bundle);
		return;
	}
	cJSON *data = ctim_bundle_take(&bundle);
	if (!data)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else
		response_set_data(res, data);
}

void cybercrime_deliberate(const struct relay_request *req, const struct observable_list *obs,
			   struct relay_response *res)
{
	enrich(req, obs, res, 0);
}

void cybercrime_observe(const struct relay_request *req, const struct observable_list *obs,
			struct relay_response *res)
{
	enrich(req, obs, res, 1);
}

/* The Search link for one observable; -1 when out of memory. */
static int refer_one(cJSON *list, const char *base_url, const struct observable *o)
{
	const char *label = strcmp(o->type, "ip") == 0 ? "IP" : "URL";
	char title[64], description[128];
	char *url = cybercrime_search_url(base_url, cybercrime_query_value(o->type, o->value));
	if (!url)
		return -1;
	if (!uri_valid_http(url) || !ctim_observable_ok(o->type, o->value)) {
		free(url); /* no valid refer can be made: left out */
		metrics_count_dropped_entity();
		return 0;
	}
	snprintf(title, sizeof(title), "Search for this %s", label);
	snprintf(description, sizeof(description), "Look up this %s on CyberCrime Tracker", label);
	struct ctim_refer_in in = {
		.module_id = "cybercrime",
		.kind = "search",
		.type = o->type,
		.value = o->value,
		.title = title,
		.description = description,
		.url = url,
		.category = "Search",
		.source_name = CYBERCRIME_SOURCE,
	};
	cJSON *r = ctim_refer(&in);
	free(url);
	if (!r || !cJSON_AddItemToArray(list, r)) {
		cJSON_Delete(r);
		return -1;
	}
	return 0;
}

void cybercrime_refer(const struct relay_request *req, const struct observable_list *obs,
		      struct relay_response *res)
{
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; list && i < obs->count; i++) {
		const struct observable *o = &obs->items[i];
		if (!cybercrime_supported_type(o->type) ||
		    !cybercrime_query_value(o->type, o->value)[0])
			continue;
		if (refer_one(list, cybercrime_settings(req->cfg)->url, o) != 0) {
			cJSON_Delete(list);
			list = NULL;
		}
	}
	if (!list)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else
		response_set_data(res, list);
}
