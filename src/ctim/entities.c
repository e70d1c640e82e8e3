/* entities.c: CTIM entity builders (sighting, judgement, verdict, refer, docs).
 *
 * CTIM's limits live here and in ctim/values.c and nowhere else: the schema
 * version and the title/description lengths here; time format, transient
 * ids and cutting strings there.
 */
#include "ctim/entities.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctim/text.h"
#include "ctim/uri.h"
#include "ctim/uuid5.h"

/*
 * Field setters for the hot path. Keys are string literals, so cJSON need
 * not copy them (cJSON_AddItemToObjectCS); literal values are referenced,
 * not copied; whole numbers are written as raw JSON, because this cJSON
 * version prints every number through "%1.15g" and sscanf. Each returns 1,
 * or 0 when out of memory.
 */
static int put_item(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return 0;
	cJSON_AddItemToObjectCS(obj, key, item);
	return 1;
}

static int put_str(cJSON *obj, const char *key, const char *value)
{
	return put_item(obj, key, cJSON_CreateString(value));
}

/* `value` must outlive the tree: a literal or a static table entry. */
static int put_const(cJSON *obj, const char *key, const char *value)
{
	return put_item(obj, key, cJSON_CreateStringReference(value));
}

static int put_int(cJSON *obj, const char *key, long value)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long v = value < 0 ? 0UL - (unsigned long)value : (unsigned long)value;
	*--p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (value < 0)
		*--p = '-';
	return put_item(obj, key, cJSON_CreateRaw(p));
}

cJSON *ctim_observable(const char *type, const char *value)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !put_str(o, "type", type) || !put_str(o, "value", value)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *time_pair(const char *k1, double start, const char *k2, double end)
{
	char a[CTIM_TIME_LEN], b[CTIM_TIME_LEN];
	ctim_format_time(start, a);
	ctim_format_time(end, b);
	cJSON *o = cJSON_CreateObject();
	if (!o || !put_str(o, k1, a) || !put_str(o, k2, b)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *ctim_valid_time(double start, double end)
{
	return time_pair("start_time", start, "end_time", end);
}

/* Adds `child` to `obj` under `key`; frees child and returns 0 on failure. */
static int add(cJSON *obj, const char *key, cJSON *child)
{
	if (!child)
		return 0;
	cJSON_AddItemToObjectCS(obj, key, child);
	return 1;
}

static int add_cut_string(cJSON *obj, const char *key, const char *s, size_t max)
{
	/* Valid and short enough: no cut, no replacement. */
	if (s && text_fits(s, max))
		return put_str(obj, key, s);
	char *cut = ctim_truncate(s ? s : "", max);
	int ok = cut && put_str(obj, key, cut);
	free(cut);
	return ok;
}

/* A string node: a reference to `s` when `borrow` (s outlives the tree),
 * else a copy. NULL when out of memory. */
static cJSON *ctim_string(const char *s, int borrow)
{
	return borrow ? cJSON_CreateStringReference(s) : cJSON_CreateString(s);
}

/* An optional URI field: left out when absent or not strictly valid. */
static int add_uri(cJSON *obj, const char *key, const char *uri)
{
	if (!uri || !uri_valid_http(uri))
		return 1;
	return put_str(obj, key, uri);
}

cJSON *ctim_docs(cJSON *docs)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !docs) {
		cJSON_Delete(o);
		cJSON_Delete(docs);
		return NULL;
	}
	if (!put_int(o, "count", cJSON_GetArraySize(docs))) {
		cJSON_Delete(o);
		cJSON_Delete(docs);
		return NULL;
	}
	add(o, "docs", docs); /* cannot fail: docs is not NULL */
	return o;
}

/* The fields every entity carries. */
static cJSON *entity_new(const char *type)
{
	cJSON *o = cJSON_CreateObject();
	if (!o || !put_const(o, "type", type) ||
	    !put_const(o, "schema_version", CTIM_SCHEMA_VERSION)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *ctim_judgement(const struct ctim_judgement_in *in, char *id, size_t idlen)
{
	cJSON *o = entity_new("judgement");
	if (!o || ctim_transient_id("judgement", id, idlen) != 0)
		goto fail;
	if (!put_str(o, "id", id) || !add(o, "observable", ctim_observable(in->type, in->value)) ||
	    !put_int(o, "disposition", in->disposition) ||
	    !put_const(o, "disposition_name", ctim_disposition_name(in->disposition)) ||
	    !put_int(o, "priority", in->priority) || !put_str(o, "confidence", in->confidence) ||
	    !put_str(o, "severity", in->severity) || !put_str(o, "source", in->source) ||
	    !add_uri(o, "source_uri", in->source_uri) ||
	    !add_cut_string(o, "reason", in->reason, CTIM_TITLE_MAX) ||
	    !put_const(o, "tlp", "white") ||
	    !add(o, "valid_time", ctim_valid_time(in->valid_start, in->valid_end)))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

cJSON *ctim_verdict(const char *type, const char *value, int disposition, const char *judgement_id,
		    double valid_start, double valid_end)
{
	/* Only Verdict keys: CTIM's Verdict has no schema_version or id. */
	cJSON *o = cJSON_CreateObject();
	if (!o || !put_const(o, "type", "verdict") ||
	    !add(o, "observable", ctim_observable(type, value)) ||
	    !put_int(o, "disposition", disposition) ||
	    !put_const(o, "disposition_name", ctim_disposition_name(disposition)) ||
	    (judgement_id && !put_str(o, "judgement_id", judgement_id)) ||
	    !add(o, "valid_time", ctim_valid_time(valid_start, valid_end))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *ctim_sighting(const struct ctim_sighting_in *in)
{
	char id[CTIM_ID_LEN];
	cJSON *relations = in->relations, *data = in->data;
	cJSON *o = entity_new("sighting");
	cJSON *observables = cJSON_CreateArray();
	if (!o || !observables || ctim_transient_id("sighting", id, sizeof(id)) != 0)
		goto fail;
	if (!cJSON_AddItemToArray(observables, ctim_observable(in->type, in->value)) ||
	    cJSON_GetArraySize(observables) != 1)
		goto fail;
	/* `observables` stays ours until added: a failed "id" must not lose it. */
	if (!put_str(o, "id", id) || !add(o, "observables", observables))
		goto fail;
	observables = NULL;
	if (!put_str(o, "source", in->source) || !add_uri(o, "source_uri", in->source_uri) ||
	    !add_cut_string(o, "title", in->title, CTIM_TITLE_MAX) ||
	    !add_cut_string(o, "description", in->description, CTIM_DESCRIPTION_MAX) ||
	    (in->short_description && !add_cut_string(o, "short_description", in->short_description,
						      CTIM_SHORT_DESCRIPTION_MAX)) ||
	    !put_str(o, "confidence", in->confidence) ||
	    !put_int(o, "count", in->count > 0 ? in->count : 1) ||
	    !put_item(o, "internal", cJSON_CreateFalse()) || !put_const(o, "tlp", "white") ||
	    !add(o, "observed_time",
		 time_pair("start_time", in->observed, "end_time",
			   in->observed_end > 0 ? in->observed_end : in->observed)))
		goto fail;
	if (in->external_id) {
		cJSON *ext = cJSON_CreateArray();
		cJSON *one = ctim_string(in->external_id, in->borrow);
		if (!ext || !one) {
			cJSON_Delete(ext); /* either may have been made */
			cJSON_Delete(one);
			goto fail;
		}
		cJSON_AddItemToArray(ext, one);
		add(o, "external_ids", ext);
	}
	if (relations) {
		cJSON *r = relations;
		relations = NULL;
		if (!add(o, "relations", r))
			goto fail;
	}
	if (data) {
		cJSON *d = data;
		data = NULL;
		if (!add(o, "data", d))
			goto fail;
	}
	return o;
fail:
	cJSON_Delete(observables);
	cJSON_Delete(relations);
	cJSON_Delete(data);
	cJSON_Delete(o);
	return NULL;
}

cJSON *ctim_indicator(const struct ctim_indicator_in *in, char *id, size_t idlen)
{
	cJSON *o = entity_new("indicator");
	if (!o || (in->id_name ? ctim_stable_id("indicator", in->id_module, in->id_name, id, idlen)
			       : ctim_transient_id("indicator", id, idlen)) != 0)
		goto fail;
	if (!put_str(o, "id", id) || !add_cut_string(o, "title", in->title, CTIM_TITLE_MAX) ||
	    !add_cut_string(o, "short_description", in->short_description,
			    CTIM_SHORT_DESCRIPTION_MAX) ||
	    (in->description &&
	     !add_cut_string(o, "description", in->description, CTIM_DESCRIPTION_MAX)) ||
	    !add_cut_string(o, "producer", in->producer, CTIM_TITLE_MAX) ||
	    !put_str(o, "source", in->source) || !add_uri(o, "source_uri", in->source_uri) ||
	    !put_str(o, "confidence", in->confidence) || !put_str(o, "severity", in->severity) ||
	    !put_const(o, "tlp", "white") ||
	    !add(o, "valid_time", ctim_valid_time(in->valid_start, in->valid_end)))
		goto fail;
	if (in->tag) {
		cJSON *tags = cJSON_AddArrayToObject(o, "tags");
		char *tag = ctim_truncate(in->tag, CTIM_TITLE_MAX);
		cJSON *one = tag ? cJSON_CreateString(tag) : NULL;
		free(tag);
		if (!tags || !one || !cJSON_AddItemToArray(tags, one)) {
			cJSON_Delete(one);
			goto fail;
		}
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

cJSON *ctim_relationship(const char *relationship_type, const char *source_ref,
			 const char *target_ref, const char *source, const char *source_uri)
{
	char id[CTIM_ID_LEN];
	cJSON *o = entity_new("relationship");
	if (!o || ctim_transient_id("relationship", id, sizeof(id)) != 0 || !put_str(o, "id", id) ||
	    !put_str(o, "relationship_type", relationship_type) ||
	    !put_str(o, "source_ref", source_ref) || !put_str(o, "target_ref", target_ref) ||
	    !put_str(o, "source", source) || !add_uri(o, "source_uri", source_uri) ||
	    !put_const(o, "tlp", "white")) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void ctim_observable_write(struct json_text *t, const char *type, const char *value)
{
	json_text_literal(t, "{\"type\":");
	json_text_string(t, type);
	json_text_literal(t, ",\"value\":");
	json_text_string(t, value);
	json_text_literal(t, "}");
}

void ctim_relation_head_write(struct json_text *t, const char *origin, const char *relation,
			      const char *src_type, const char *src_value)
{
	json_text_literal(t, "{\"origin\":");
	json_text_string(t, origin);
	json_text_literal(t, ",\"relation\":");
	json_text_string(t, relation);
	json_text_literal(t, ",\"source\":");
	ctim_observable_write(t, src_type, src_value);
	json_text_literal(t, ",\"related\":");
}

void ctim_relation_write(struct json_text *t, const struct json_text *head, const char *rel_type,
			 const char *rel_value)
{
	if (head->failed)
		t->failed = 1; /* a cut-short head would be wrong JSON */
	json_text_raw(t, head->buf, head->len);
	ctim_observable_write(t, rel_type, rel_value);
	json_text_literal(t, "}");
}

cJSON *ctim_refer(const struct ctim_refer_in *in)
{
	char *own = in->value_escaped ? NULL : uri_escape(in->value);
	const char *enc = in->value_escaped ? in->value_escaped : own;
	if (!enc || !uri_valid_http(in->url)) {
		free(own);
		return NULL;
	}
	size_t idlen =
		strlen(in->module_id) + strlen(in->kind) + strlen(in->type) + strlen(enc) + 8;
	char *id = malloc(idlen);
	cJSON *o = cJSON_CreateObject();
	const char *cats[2] = {in->category, in->source_name};
	if (!id || !o)
		goto fail;
	snprintf(id, idlen, "ref-%s-%s-%s-%s", in->module_id, in->kind, in->type, enc);
	if (!put_str(o, "id", id) || !add_cut_string(o, "title", in->title, CTIM_TITLE_MAX) ||
	    !add_cut_string(o, "description", in->description, CTIM_DESCRIPTION_MAX) ||
	    !put_str(o, "url", in->url) || !add(o, "categories", cJSON_CreateStringArray(cats, 2)))
		goto fail;
	free(id);
	free(own);
	return o;
fail:
	free(id);
	free(own);
	cJSON_Delete(o);
	return NULL;
}

int ctim_bundle_add(cJSON **list, cJSON *entity)
{
	if (!entity)
		return -1;
	if (!*list && !(*list = cJSON_CreateArray())) {
		cJSON_Delete(entity);
		return -1;
	}
	if (!cJSON_AddItemToArray(*list, entity)) {
		cJSON_Delete(entity);
		return -1;
	}
	return 0;
}

cJSON *ctim_bundle_take(struct ctim_bundle *bundle)
{
	cJSON *o = cJSON_CreateObject();
	struct {
		const char *key;
		cJSON **list;
	} lists[] = {{"sightings", &bundle->sightings},
		     {"judgements", &bundle->judgements},
		     {"verdicts", &bundle->verdicts},
		     {"indicators", &bundle->indicators},
		     {"relationships", &bundle->relationships}};
	/* Every list is consumed, also after a failure. */
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		cJSON *l = *lists[i].list;
		*lists[i].list = NULL;
		if (!l)
			continue;
		if (!o) {
			cJSON_Delete(l);
			continue;
		}
		if (!add(o, lists[i].key, ctim_docs(l))) {
			cJSON_Delete(o);
			o = NULL;
		}
	}
	ctim_bundle_free(bundle);
	return o;
}

void ctim_bundle_free(struct ctim_bundle *bundle)
{
	cJSON_Delete(bundle->sightings);
	cJSON_Delete(bundle->judgements);
	cJSON_Delete(bundle->verdicts);
	cJSON_Delete(bundle->indicators);
	cJSON_Delete(bundle->relationships);
	memset(bundle, 0, sizeof(*bundle));
}
