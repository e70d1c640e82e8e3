/* entities.h: builders for the CTIM entities the relay emits.
 *
 * Sightings, judgements, verdicts, indicators, relationships, refer objects
 * and the `docs` wrapper, with the limits of the CTIM schema applied in one
 * place: one schema_version (on every entity type whose schema has it: a
 * Verdict has none, threatgrid/ctim src/ctim/schemas/verdict.cljc), ISO-8601
 * UTC times with milliseconds and Z, transient ids with a random uuid4,
 * titles and descriptions cut in UTF-16 units (CTIM's strings are Java's) on
 * a character boundary with an ellipsis. A URI field whose value does not
 * pass uri_valid_http is left out (the optional ones) or fails the builder
 * (refer `url`).
 *
 * Every builder returns a new cJSON tree owned by the caller, or NULL when
 * out of memory. Builders that take a cJSON* argument take ownership of it,
 * also when they fail.
 */
#ifndef CTIM_H
#define CTIM_H

#include <stddef.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "ctim/values.h"
#include "lib/json_print.h"

#define CTIM_SCHEMA_VERSION "1.3.7"
#define CTIM_TITLE_MAX 1024
#define CTIM_DESCRIPTION_MAX 5000
#define CTIM_SHORT_DESCRIPTION_MAX 2048
cJSON *ctim_observable(const char *type, const char *value);
cJSON *ctim_valid_time(double start, double end);
/* {"count": n, "docs": docs}; takes ownership of docs. */
cJSON *ctim_docs(cJSON *docs);

struct ctim_judgement_in {
	const char *type, *value; /* the observable as sent */
	int disposition;
	const char *source, *source_uri, *reason, *confidence, *severity;
	int priority; /* source_uri: left out when NULL or not a valid URI */
	double valid_start, valid_end;
};
/* Also writes the judgement's id into id (CTIM_ID_LEN) for the verdict. */
cJSON *ctim_judgement(const struct ctim_judgement_in *in, char *id, size_t idlen);

cJSON *ctim_verdict(const char *type, const char *value, int disposition, const char *judgement_id,
		    double valid_start, double valid_end);

struct ctim_sighting_in {
	const char *type, *value; /* the observable as sent */
	const char *source, *source_uri, *title, *description, *confidence;
	const char *short_description; /* may be NULL */
	const char *external_id;       /* may be NULL */
	double observed;	       /* observed_time start */
	double observed_end;	       /* its end; 0: the same as the start */
	long count;		       /* "count"; 0: 1 */
	cJSON *relations;	       /* array or NULL; ownership taken */
	cJSON *data;		       /* table or NULL; ownership taken */
	/* When set, external_id outlives the returned tree and is referenced
	 * instead of copied. source_uri is left out when NULL or invalid. */
	int borrow;
};
cJSON *ctim_sighting(const struct ctim_sighting_in *in);

struct ctim_indicator_in {
	const char *title, *short_description, *description; /* description may be NULL */
	const char *producer, *source, *source_uri;	     /* source_uri may be NULL */
	const char *confidence, *severity;
	const char *tag; /* one tag, or NULL */
	double valid_start, valid_end;
	/* When id_name is set, the id is stable: ctim_stable_id("indicator",
	 * id_module, id_name) of ctim/uuid5.h; else a random one. */
	const char *id_module, *id_name;
};
/* tlp white; also writes the indicator's id into id (CTIM_ID_LEN). */
cJSON *ctim_indicator(const struct ctim_indicator_in *in, char *id, size_t idlen);

/* A Relationship source_ref -> target_ref of relationship_type (CTIM's
 * vocabulary, e.g. "based-on"), with source and source_uri (may be NULL). */
cJSON *ctim_relationship(const char *relationship_type, const char *source_ref,
			 const char *target_ref, const char *source, const char *source_uri);

/* Relations are written as JSON text (json_print.h) rather than built as
 * cJSON nodes: a sighting carries one per other IOC of its tweet, and they
 * were most of an observe answer's nodes.
 *
 * ctim_observable_write appends {"type":...,"value":...}.
 * ctim_relation_head_write appends what every relation from one observable
 * shares: {"origin":...,"relation":...,"source":{...},"related": ; write it
 * once per observable. ctim_relation_write appends one relation: that head,
 * the related observable and the closing brace. */
void ctim_observable_write(struct json_text *t, const char *type, const char *value);
void ctim_relation_head_write(struct json_text *t, const char *origin, const char *relation,
			      const char *src_type, const char *src_value);
void ctim_relation_write(struct json_text *t, const struct json_text *head, const char *rel_type,
			 const char *rel_value);

struct ctim_refer_in {
	const char *module_id; /* "tweettioc" */
	const char *kind;      /* "search" or "browse" */
	const char *type, *value;
	const char *title, *description, *url;
	const char *category;	   /* "Search" or "Browse" */
	const char *source_name;   /* second category, e.g. "Twitter IOC Hunter" */
	const char *value_escaped; /* uri_escape(value) when the caller has it, or NULL */
};
/* id = ref-<module>-<kind>-<type>-<urlencoded value>. NULL also when `url`
 * is not a valid URI (the caller leaves the refer out). */
cJSON *ctim_refer(const struct ctim_refer_in *in);

/* The lists a module fills for one request; each NULL until first used. */
struct ctim_bundle {
	cJSON *sightings;
	cJSON *judgements;
	cJSON *verdicts;
	cJSON *indicators;
	cJSON *relationships;
};
/* Appends `entity` to *list (creating the array). Returns 0, -1 on OOM
 * (entity freed). */
int ctim_bundle_add(cJSON **list, cJSON *entity);
/* {"sightings": docs, ...} with only the non-empty lists, or {}; consumes
 * the bundle (its lists become NULL). NULL when out of memory. */
cJSON *ctim_bundle_take(struct ctim_bundle *bundle);
void ctim_bundle_free(struct ctim_bundle *bundle);

#endif
