/* observables.c: validates, lowercases and deduplicates a request's observables.
 *
 * The body is untrusted: it is checked for UTF-8 before cJSON sees it, parsed
 * with an explicit length (cJSON bounds nesting at CJSON_NESTING_LIMIT), and
 * every field is type-checked. One bad item does not cost the others their
 * answer: it becomes a problem message and is left out.
 */
#include "http/observables.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* At most this many per-item messages are kept; the rest are counted. */
#define OBSERVABLES_MAX_PROBLEMS 10

enum relay_err json_parse_body(const char *body, size_t len, cJSON **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!body || len == 0) {
		snprintf(err, errlen, "Invalid JSON payload received. The body is empty.");
		return RELAY_ERR_INVALID_ARGUMENT;
	}
	if (!utf8_valid(body, len)) {
		snprintf(err, errlen,
			 "Invalid JSON payload received. The body is not valid UTF-8 text.");
		return RELAY_ERR_INVALID_ARGUMENT;
	}
	size_t at = 0;
	switch (json_get_document(body, len, out, &at)) {
	case JSON_GET_OK: return RELAY_OK;
	case JSON_GET_NOMEM: snprintf(err, errlen, "out of memory"); return RELAY_ERR_INTERNAL;
	case JSON_GET_NUL_ESCAPE:
		snprintf(err, errlen,
			 "Invalid JSON payload received. A string holds a NUL character "
			 "(\\u0000) at byte %zu.",
			 at);
		return RELAY_ERR_INVALID_ARGUMENT;
	case JSON_GET_TRAILING:
		snprintf(err, errlen,
			 "Invalid JSON payload received. Unexpected data after the JSON "
			 "value at byte %zu.",
			 at);
		return RELAY_ERR_INVALID_ARGUMENT;
	default:
		snprintf(
			err, errlen,
			"Invalid JSON payload received. The body is not valid JSON (near byte %zu; "
			"nesting deeper than %d levels is refused).",
			at, CJSON_NESTING_LIMIT);
		return RELAY_ERR_INVALID_ARGUMENT;
	}
}

void observables_free(struct observable_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].type);
		free(list->items[i].value);
	}
	for (size_t i = 0; i < list->n_problems; i++)
		free(list->problems[i]);
	free(list->items);
	free(list->problems);
	memset(list, 0, sizeof(*list));
}

static int add_problem(struct observable_list *list, size_t *dropped, const char *fmt, size_t index,
		       const char *field)
{
	if (list->n_problems >= OBSERVABLES_MAX_PROBLEMS) {
		(*dropped)++;
		return 0;
	}
	char msg[256];
	snprintf(msg, sizeof(msg), fmt, index, field);
	char *copy = strdup(msg);
	if (!copy)
		return -1;
	list->problems[list->n_problems++] = copy;
	return 0;
}

/* Why item.field is unusable, or NULL with *out set to its text. */
static const char *check_field(const cJSON *item, const char *field, const char **out)
{
	switch (json_get_string_field(item, field, out)) {
	case JSON_GET_OK: return **out ? NULL : "must be a non-empty string";
	case JSON_GET_ABSENT: return "is required";
	default: return "must be a string";
	}
}

static char *lowercase_dup(const char *s)
{
	char *out = strdup(s);
	for (char *p = out; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

static guint observable_hash(gconstpointer p)
{
	const struct observable *o = p;
	return g_str_hash(o->type) * 31u + g_str_hash(o->value);
}

static gboolean observable_equal(gconstpointer pa, gconstpointer pb)
{
	const struct observable *a = pa, *b = pb;
	return strcmp(a->type, b->type) == 0 && strcmp(a->value, b->value) == 0;
}

/* Lists up to this size are deduplicated by a plain scan, larger ones
 * through a hash set. */
#define OBSERVABLES_SCAN_MAX 16

/* Is `o` already among list->items[0..count)? `seen` indexes them when
 * the list is large. */
static int already_listed(const struct observable_list *list, GHashTable *seen,
			  const struct observable *o)
{
	if (seen)
		return g_hash_table_contains(seen, o);
	for (size_t i = 0; i < list->count; i++)
		if (observable_equal(&list->items[i], o))
			return 1;
	return 0;
}

/* Builds the list from a parsed array. Returns 0 or -1 when out of memory. */
static int collect(const cJSON *array, struct observable_list *list)
{
	size_t n = (size_t)cJSON_GetArraySize(array);
	size_t dropped = 0, index = 0;
	GHashTable *seen = NULL; /* of struct observable * into list->items */
	int rc = -1;

	list->items = calloc(n ? n : 1, sizeof(*list->items));
	list->problems = calloc(OBSERVABLES_MAX_PROBLEMS + 1, sizeof(*list->problems));
	if (!list->items || !list->problems)
		goto out;
	if (n > OBSERVABLES_SCAN_MAX)
		seen = g_hash_table_new(observable_hash, observable_equal);

	const cJSON *item;
	cJSON_ArrayForEach (item, array) {
		size_t i = index++;
		if (!cJSON_IsObject(item)) {
			if (add_problem(list, &dropped,
					"Invalid JSON payload received. "
					"observables[%zu]%s: must be an object",
					i, ""))
				goto out;
			continue;
		}
		const char *type, *value;
		const char *why_type = check_field(item, "type", &type);
		const char *why_value = check_field(item, "value", &value);
		if (why_type || why_value) {
			char what[64];
			snprintf(what, sizeof(what), "%s: %s", why_type ? ".type" : ".value",
				 why_type ? why_type : why_value);
			if (add_problem(list, &dropped,
					"Invalid JSON payload received. observables[%zu]%s", i,
					what))
				goto out;
			continue;
		}
		struct observable *o = &list->items[list->count];
		if (!(o->type = lowercase_dup(type)) || !(o->value = strdup(value))) {
			free(o->type);
			o->type = NULL;
			goto out;
		}
		if (already_listed(list, seen, o)) {
			free(o->type);
			free(o->value);
			o->type = o->value = NULL;
			continue;
		}
		if (seen)
			g_hash_table_add(seen, o);
		list->count++;
	}
	if (dropped) {
		char msg[128];
		snprintf(msg, sizeof(msg),
			 "Invalid JSON payload received. %zu more invalid observables.", dropped);
		if (!(list->problems[list->n_problems] = strdup(msg)))
			goto out;
		list->n_problems++;
	}
	rc = 0;
out:
	if (seen)
		g_hash_table_destroy(seen);
	return rc;
}

enum relay_err observables_parse(const char *body, size_t len, struct observable_list *list,
				 char *err, size_t errlen)
{
	memset(list, 0, sizeof(*list));
	cJSON *json = NULL;
	enum relay_err rc = json_parse_body(body, len, &json, err, errlen);
	if (rc != RELAY_OK)
		return rc;
	if (!cJSON_IsArray(json)) {
		cJSON_Delete(json);
		snprintf(err, errlen,
			 "Invalid JSON payload received. Expected an array of observables, "
			 "each {\"type\": ..., \"value\": ...}.");
		return RELAY_ERR_INVALID_ARGUMENT;
	}
	int ok = collect(json, list);
	cJSON_Delete(json);
	if (ok != 0) {
		snprintf(err, errlen, "out of memory");
		return RELAY_ERR_INTERNAL;
	}
	return RELAY_OK;
}
