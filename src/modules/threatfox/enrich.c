/* enrich.c: CTIM from ThreatFox answers: verdicts, sightings, judgements, indicators, refer.
 *
 * One request = one lookup_many() for all its supported observables, then
 * one pass that turns each result into entities or an error entry, in the
 * order the observables were sent. Every string from ThreatFox goes through
 * the Markdown writers of ctim/text.h; every link through uri_valid_http.
 */
#include "modules/threatfox/enrich.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctim/text.h"
#include "ctim/uri.h"
#include "ctim/uuid5.h"
#include "http/metrics.h"
#include "lib/arena.h"
#include "lib/strbuf.h"
#include "lookups/cache.h"
#include "modules/threatfox/answer.h"
#include "modules/threatfox/lookup.h"
#include "modules/threatfox/settings.h"

static struct lookup_cache *shared_cache;

int threatfox_enrich_start(const struct relay_config *cfg)
{
	if (threatfox_keys_start() != 0)
		return -1;
	long cache_seconds = threatfox_settings(cfg)->cache_seconds;
	if (cache_seconds <= 0)
		return 0; /* THREATFOX_CACHE_SECONDS=0: every lookup asks the upstream */
	shared_cache = lookup_cache_new(THREATFOX_CACHE_CAPACITY, THREATFOX_CACHE_BYTES,
					(double)cache_seconds);
	return shared_cache ? 0 : -1;
}

void threatfox_enrich_stop(void)
{
	lookup_cache_free(shared_cache);
	shared_cache = NULL;
	threatfox_keys_stop();
}

struct lookup_cache *threatfox_enrich_cache(void)
{
	return shared_cache;
}

const char *threatfox_request_key(const struct relay_request *req, const char **problem)
{
	*problem = NULL;
	if (req->claims.key_state == CLAIMS_KEY_OK)
		return req->claims.key;
	if (req->claims.key_state == CLAIMS_KEY_INVALID) {
		*problem = "Authorization failed: the Auth-Key in the module's configuration "
			   "(the token's key claim) must be 1 to 256 printable characters "
			   "without spaces.";
		return NULL;
	}
	const struct threatfox_settings *ts = threatfox_settings(req->cfg);
	if (ts && ts->auth_key)
		return ts->auth_key;
	*problem = "Authorization failed: no ThreatFox Auth-Key: set the key in the module's "
		   "configuration (Auth-Key) or THREATFOX_AUTH_KEY on the relay.";
	return NULL;
}

/* Appends `label` then s as inert Markdown; -1 when the buffer refused. */
static int md_field(struct strbuf *sb, const char *label, const char *s, size_t max)
{
	if (!s)
		return 0;
	return strbuf_appends(sb, label) == STRBUF_OK && md_text(sb, s, max) == 0 &&
			       strbuf_appends(sb, "\n\n") == STRBUF_OK
		       ? 0
		       : -1;
}

/* s as inert Markdown between prefix and suffix; NULL when out of memory. */
static char *md_line(const char *prefix, const char *s, const char *suffix, size_t max)
{
	struct strbuf sb;
	strbuf_init(&sb, 8 * CTIM_DESCRIPTION_MAX);
	char *line = NULL;
	if (strbuf_appends(&sb, prefix) == STRBUF_OK && md_text(&sb, s, max) == 0 &&
	    strbuf_appends(&sb, suffix) == STRBUF_OK)
		line = strbuf_detach(&sb, NULL);
	strbuf_free(&sb);
	return line;
}

/* The sighting's description: threat type, malware, reporter, tags and
 * the reference link (only a valid http(s) URI). NULL when out of memory. */
static char *describe(const struct threatfox_record *r)
{
	struct strbuf sb;
	strbuf_init(&sb, 8 * CTIM_DESCRIPTION_MAX);
	int rc = md_field(&sb, "**Threat type:** ",
			  r->threat_type_desc ? r->threat_type_desc : r->threat_type, 200);
	if (rc == 0)
		rc = md_field(&sb, "**Malware:** ", r->malware_printable, 200);
	if (rc == 0)
		rc = md_field(&sb, "**Reporter:** ", r->reporter, 100);
	if (rc == 0 && r->n_tags) {
		rc = strbuf_appends(&sb, "**Tags:** ") == STRBUF_OK ? 0 : -1;
		for (size_t i = 0; rc == 0 && i < r->n_tags; i++)
			rc = (i == 0 || strbuf_appends(&sb, ", ") == STRBUF_OK) &&
					     md_text(&sb, r->tags[i], 60) == 0
				     ? 0
				     : -1;
		if (rc == 0)
			rc = strbuf_appends(&sb, "\n\n") == STRBUF_OK ? 0 : -1;
	}
	if (rc == 0 && r->reference && uri_valid_http(r->reference))
		rc = strbuf_appends(&sb, "**Reference:** [link](") == STRBUF_OK &&
				     md_url(&sb, r->reference) == 0 &&
				     strbuf_appends(&sb, ")\n") == STRBUF_OK
			     ? 0
			     : -1;
	char *text = rc == 0 ? strbuf_detach(&sb, NULL) : NULL;
	strbuf_free(&sb);
	return text;
}

/* "<threat_type_desc>: <malware_printable>" as inert Markdown; NULL when
 * out of memory. */
static char *reason_of(const struct threatfox_record *r)
{
	struct strbuf sb;
	strbuf_init(&sb, 8 * CTIM_TITLE_MAX);
	const char *what = r->threat_type_desc ? r->threat_type_desc : "Malicious";
	char *text = NULL;
	if (md_text(&sb, what, 300) == 0 && strbuf_appends(&sb, ": ") == STRBUF_OK &&
	    md_text(&sb, r->malware_printable, 300) == 0)
		text = strbuf_detach(&sb, NULL);
	strbuf_free(&sb);
	return text;
}

/* "https://threatfox.abuse.ch/ioc/<id>/" into buf (the id is digits). */
static void ioc_page(const struct threatfox_record *r, char *buf, size_t len)
{
	snprintf(buf, len, "https://threatfox.abuse.ch/ioc/%s/", r->id);
}

/* The id of an entity built by ctim/entities.c (never NULL for one of them). */
static const char *id_of(const cJSON *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "id");
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* 1 when `list` already holds an entity with this id. */
static int bundle_has(const cJSON *list, const char *id)
{
	const cJSON *e;
	cJSON_ArrayForEach (e, list)
		if (strcmp(id_of(e), id) == 0)
			return 1;
	return 0;
}

/* Sets key to a new string in o (replacing it); 0, -1 when out of memory. */
static int set_string(cJSON *o, const char *key, const char *value)
{
	cJSON *s = cJSON_CreateString(value);
	if (!s)
		return -1;
	int ok = cJSON_GetObjectItemCaseSensitive(o, key)
			 ? cJSON_ReplaceItemInObjectCaseSensitive(o, key, s)
			 : cJSON_AddItemToObject(o, key, s);
	if (!ok)
		cJSON_Delete(s); /* cJSON leaves a refused item to its caller */
	return ok ? 0 : -1;
}

/* The family's indicator (once per answer) into *id. 0, -1 when out of memory. */
static int emit_indicator(const struct threatfox_record *r, const char *page, double now,
			  struct ctim_bundle *bundle, char id[CTIM_ID_LEN])
{
	const char *family = r->malware_printable;
	if (ctim_stable_id("indicator", THREATFOX_MODULE_ID, family, id, CTIM_ID_LEN) != 0)
		return -1;
	if (bundle_has(bundle->indicators, id))
		return 0;
	char *title = md_line("", family, "", 200);
	char *short_description = md_line("ThreatFox reports IOCs of ", family, "", 400);
	char *description = md_line("IOCs of the **", family,
				    "** malware family shared with ThreatFox (abuse.ch).", 400);
	int rc = -1;
	if (title && short_description && description) {
		struct ctim_indicator_in in = {
			.title = title,
			.short_description = short_description,
			.description = description,
			.producer = THREATFOX_SOURCE,
			.source = THREATFOX_SOURCE,
			.source_uri = page,
			.confidence = threatfox_confidence(r->confidence),
			.severity = THREATFOX_SEVERITY,
			.valid_start = now,
			.valid_end = now + THREATFOX_VALID_SECONDS,
			.id_module = THREATFOX_MODULE_ID,
			.id_name = family,
		};
		char built[CTIM_ID_LEN];
		cJSON *ind = ctim_indicator(&in, built, sizeof(built));
		cJSON *tags = r->n_aliases ? cJSON_CreateArray() : NULL;
		int ok = ind && (!r->n_aliases || tags);
		for (size_t i = 0; ok && i < r->n_aliases; i++) {
			char *t = ctim_truncate(r->aliases[i], 256);
			cJSON *s = t ? cJSON_CreateString(t) : NULL;
			free(t);
			ok = s && cJSON_AddItemToArray(tags, s);
			if (!ok)
				cJSON_Delete(s);
		}
		if (ok && tags) {
			cJSON_DeleteItemFromObjectCaseSensitive(ind, "tags");
			ok = cJSON_AddItemToObject(ind, "tags", tags);
			if (ok)
				tags = NULL; /* the indicator owns it now */
		}
		cJSON_Delete(tags);
		if (!ok)
			cJSON_Delete(ind);
		else
			rc = ctim_bundle_add(&bundle->indicators, ind);
	}
	free(title);
	free(short_description);
	free(description);
	return rc;
}

/* The sighting, judgement, indicator and relationships of one record;
 * the judgement's id into jid. 0, -1 when out of memory. */
static int emit_record(const struct observable *o, const struct threatfox_record *r, double now,
		       struct ctim_bundle *bundle, char jid[CTIM_ID_LEN])
{
	char page[96], ext[48], ind[CTIM_ID_LEN], t[CTIM_TIME_LEN];
	ioc_page(r, page, sizeof(page));
	snprintf(ext, sizeof(ext), "threatfox-%s", r->id);
	const char *conf = threatfox_confidence(r->confidence);
	char *description = describe(r);
	char *reason = reason_of(r);
	int rc = -1;
	if (!description || !reason)
		goto out;
	double first = r->first_seen >= 0 ? r->first_seen : now;
	struct ctim_sighting_in s = {
		.type = o->type,
		.value = o->value,
		.source = THREATFOX_SOURCE,
		.source_uri = page,
		.title = "Reported to ThreatFox",
		.description = description,
		.confidence = conf,
		.external_id = ext,
		.observed = first,
	};
	cJSON *sighting = ctim_sighting(&s);
	if (!sighting)
		goto out;
	if (r->last_seen >= first) {
		ctim_format_time(r->last_seen, t);
		cJSON *ot = cJSON_GetObjectItemCaseSensitive(sighting, "observed_time");
		if (!ot || set_string(ot, "end_time", t) != 0) {
			cJSON_Delete(sighting);
			goto out;
		}
	}
	if (ctim_bundle_add(&bundle->sightings, sighting) != 0)
		goto out;
	struct ctim_judgement_in j = {
		.type = o->type,
		.value = o->value,
		.disposition = CTIM_MALICIOUS,
		.source = THREATFOX_SOURCE,
		.source_uri = page,
		.reason = reason,
		.confidence = conf,
		.severity = THREATFOX_SEVERITY,
		.priority = THREATFOX_PRIORITY,
		.valid_start = now,
		.valid_end = now + THREATFOX_VALID_SECONDS,
	};
	cJSON *judgement = ctim_judgement(&j, jid, CTIM_ID_LEN);
	if (!judgement || set_string(judgement, "reason_uri", page) != 0) {
		cJSON_Delete(judgement);
		goto out;
	}
	if (ctim_bundle_add(&bundle->judgements, judgement) != 0 ||
	    emit_indicator(r, page, now, bundle, ind) != 0)
		goto out;
	rc = ctim_bundle_add(&bundle->relationships,
			     ctim_relationship("based-on", jid, ind, THREATFOX_SOURCE, page));
	if (rc == 0)
		rc = ctim_bundle_add(&bundle->relationships,
				     ctim_relationship("sighting-of", id_of(sighting), ind,
						       THREATFOX_SOURCE, page));
out:
	free(description);
	free(reason);
	return rc;
}

/* Newest first: by last_seen, else first_seen. */
static int newer_first(const void *a, const void *b)
{
	const struct threatfox_record *x = *(const struct threatfox_record *const *)a;
	const struct threatfox_record *y = *(const struct threatfox_record *const *)b;
	double tx = x->last_seen >= 0 ? x->last_seen : x->first_seen;
	double ty = y->last_seen >= 0 ? y->last_seen : y->first_seen;
	return (ty > tx) - (ty < tx);
}

int threatfox_emit(const struct observable *o, const struct lookup_result *r, int observe,
		   size_t limit, double now, struct ctim_bundle *bundle, struct relay_response *res,
		   int *auth_refused)
{
	char msg[1536];
	if (r->err == RELAY_ERR_INTERNAL)
		return -1;
	if (r->err == RELAY_ERR_AUTH) {
		*auth_refused = 1;
		return 0;
	}
	if (r->err != RELAY_OK) {
		threatfox_error_message(r->err, r->detail, o->type, o->value, msg, sizeof(msg));
		response_add_error(res, r->err, "%s", msg);
		return 0;
	}
	struct arena a;
	struct threatfox_answer ans;
	arena_init(&a, 16 * 1024);
	enum relay_err err = threatfox_parse(r->blob, r->blob_len, &a, &ans, msg, sizeof(msg));
	const struct threatfox_record **hits =
		err == RELAY_OK && ans.n_records ? calloc(ans.n_records, sizeof(*hits)) : NULL;
	size_t n = 0;
	int rc = 0;
	if (err == RELAY_ERR_INTERNAL || (ans.n_records && !hits)) {
		rc = -1;
		goto out;
	}
	if (err != RELAY_OK) { /* a cached answer always parses; kept for safety */
		threatfox_error_message(err, NULL, o->type, o->value, msg, sizeof(msg));
		response_add_error(res, err, "%s", msg);
		goto out;
	}
	if (ans.status == THREATFOX_REFUSED) {
		char *shown = ctim_truncate(o->value, 200);
		response_add_error(res, RELAY_ERR_WARNING, "ThreatFox answered \"%s\" (%s %s)",
				   ans.status_text, o->type, shown ? shown : "");
		free(shown);
		goto out;
	}
	for (size_t i = 0; i < ans.n_records; i++)
		if (threatfox_match(o->type, o->value, &ans.records[i]))
			hits[n++] = &ans.records[i];
	if (n == 0)
		goto out;
	if (!ctim_observable_ok(o->type, o->value)) {
		metrics_count_dropped_entity();
		goto out;
	}
	qsort(hits, n, sizeof(*hits), newer_first);
	char jid[CTIM_ID_LEN] = "";
	size_t used = n < limit ? n : limit;
	for (size_t i = 0; rc == 0 && observe && i < used; i++) {
		char this_jid[CTIM_ID_LEN];
		rc = emit_record(o, hits[i], now, bundle, this_jid);
		if (rc == 0 && i == 0)
			memcpy(jid, this_jid, sizeof(jid));
	}
	if (rc == 0 && observe && (n > used || ans.over)) {
		char *shown = ctim_truncate(o->value, 200);
		if (ans.over) /* records past the parser's cap were never read */
			response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
					   "ThreatFox answered %zu records for %s %s: the first "
					   "%d were read, %zu of their %zu matches used "
					   "(CTR_ENTITIES_LIMIT %zu).",
					   ans.n_records + ans.skipped + ans.over, o->type,
					   shown ? shown : "", THREATFOX_MAX_RECORDS, used, n,
					   limit);
		else
			response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
					   "ThreatFox: %zu of %zu records left out for %s %s "
					   "(CTR_ENTITIES_LIMIT %zu).",
					   n - used, n, o->type, shown ? shown : "", limit);
		free(shown);
	}
	if (rc == 0 && !jid[0] && ctim_transient_id("judgement", jid, sizeof(jid)) != 0)
		rc = -1;
	if (rc == 0)
		rc = ctim_bundle_add(&bundle->verdicts,
				     ctim_verdict(o->type, o->value, CTIM_MALICIOUS, jid, now,
						  now + THREATFOX_VALID_SECONDS));
out:
	free(hits);
	arena_free(&a);
	return rc;
}
