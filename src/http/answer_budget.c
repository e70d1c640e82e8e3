/* answer_budget.c: leaves entities out of an answer that would exceed RELAY_MAX_ANSWER_BYTES.
 *
 * The exact size of an entity is the length json_print gives it, Raw parts
 * (a sighting's relations and table, ctim/entities.c) included, so the check is done
 * on printed text and never on a guess per module. Printing every entity
 * twice would cost the hot path (printing is most of an observe answer's
 * CPU time), so a bound that never undercounts decides first whether the
 * exact pass is needed.
 */
#include "http/answer_budget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_print.h"

/* {"data":,"errors":} around the two values. */
#define ENVELOPE_BYTES (sizeof("{\"data\":,\"errors\":}") - 1)
/* Room for a list's "count" growing to its final number of digits. */
#define COUNT_DIGITS 20
/* Longest text cJSON/json_print gives a number ("-1.2345678901234567e+308"). */
#define NUMBER_MAX 32
/* Lists of one answer looked at; any further ones are kept as they are. */
#define MAX_LISTS 16

static size_t string_bound(const char *s)
{
	/* The worst escape, \u00XX, is 6 bytes for one byte; quotes around. */
	return (s ? strlen(s) : 0) * 6 + 2;
}

size_t answer_budget_bound(const cJSON *item)
{
	size_t n = 0;
	switch (item->type & 0xFF) {
	case cJSON_False: return 5;
	case cJSON_True: return 4;
	case cJSON_NULL: return 4;
	case cJSON_Number: return NUMBER_MAX;
	case cJSON_Raw: return item->valuestring ? strlen(item->valuestring) : 0;
	case cJSON_String: return string_bound(item->valuestring);
	case cJSON_Array:
	case cJSON_Object: {
		int object = (item->type & 0xFF) == cJSON_Object;
		n = 2; /* brackets */
		for (const cJSON *c = item->child; c; c = c->next) {
			n += answer_budget_bound(c) + (c->next ? 1 : 0);
			if (object)
				n += string_bound(c->string) + 1; /* "key": */
		}
		return n;
	}
	default: return 0;
	}
}

struct budget_list {
	cJSON *holder; /* {"count": n, "docs": [...]}, or NULL for a bare array */
	cJSON *docs;
	cJSON **items; /* detached entities, in order */
	size_t n_items;
};

static int is_list(const cJSON *holder)
{
	return cJSON_IsObject(holder) &&
	       cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(holder, "docs"));
}

/* The lists of `data` in the order they are kept. Returns how many. */
static size_t find_lists(cJSON *data, struct budget_list *lists)
{
	static const char *const order[] = {"verdicts", "judgements", "indicators", "relationships",
					    "sightings"};
	const size_t n_order = sizeof(order) / sizeof(order[0]);
	size_t n = 0;
	if (cJSON_IsArray(data)) {
		lists[n++].docs = data;
		return n;
	}
	if (!cJSON_IsObject(data))
		return 0;
	for (size_t i = 0; i < n_order; i++) {
		cJSON *c = cJSON_GetObjectItemCaseSensitive(data, order[i]);
		if (is_list(c)) {
			lists[n].holder = c;
			lists[n++].docs = cJSON_GetObjectItemCaseSensitive(c, "docs");
		}
	}
	for (cJSON *c = data->child; c && n < MAX_LISTS; c = c->next) {
		size_t rank = 0;
		while (rank < n_order && !(c->string && strcmp(c->string, order[rank]) == 0))
			rank++;
		if (rank == n_order && is_list(c)) {
			lists[n].holder = c;
			lists[n++].docs = cJSON_GetObjectItemCaseSensitive(c, "docs");
		}
	}
	return n;
}

/* Takes every entity out of its list (the lists stay, empty). -1 when out of memory. */
static int detach_all(struct budget_list *l)
{
	size_t n = (size_t)cJSON_GetArraySize(l->docs);
	l->items = malloc((n ? n : 1) * sizeof(*l->items));
	if (!l->items)
		return -1;
	while (l->docs->child)
		l->items[l->n_items++] = cJSON_DetachItemViaPointer(l->docs, l->docs->child);
	return 0;
}

/* Sets the holder's "count" to the list's length; -1 when out of memory. */
static int set_count(struct budget_list *l)
{
	char num[24];
	snprintf(num, sizeof(num), "%d", cJSON_GetArraySize(l->docs));
	cJSON *count = cJSON_CreateRaw(num);
	if (!count || !cJSON_ReplaceItemInObjectCaseSensitive(l->holder, "count", count)) {
		cJSON_Delete(count);
		return -1;
	}
	return 0;
}

/* The exact cut. Returns how many entities were left out, or -1 when out of memory. */
static long trim(struct relay_response *res, size_t max_bytes)
{
	struct budget_list lists[MAX_LISTS];
	memset(lists, 0, sizeof(lists));
	size_t n = find_lists(res->data, lists);
	char *buf = NULL;
	size_t cap = 0, len = 0;
	long dropped = 0;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = detach_all(&lists[i]);
	/* What stays whatever is cut: the skeleton of data, the errors, the
	 * envelope, the warning and the counts' digits. */
	size_t used = ENVELOPE_BYTES + ANSWER_BUDGET_WARNING_RESERVE + COUNT_DIGITS * n;
	if (rc == 0 && (rc = json_print(res->data, &buf, &cap, &len)) == 0)
		used += len;
	if (rc == 0 && res->errors && (rc = json_print(res->errors, &buf, &cap, &len)) == 0)
		used += len;
	for (size_t i = 0; i < n; i++) {
		struct budget_list *l = &lists[i];
		for (size_t j = 0; j < l->n_items; j++) {
			cJSON *it = l->items[j];
			if (rc == 0)
				rc = json_print(it, &buf, &cap, &len);
			size_t need = len + (l->docs->child ? 1 : 0); /* the comma */
			if (rc == 0 && used + need <= max_bytes) {
				cJSON_AddItemToArray(l->docs, it); /* cannot fail: both exist */
				used += need;
			} else {
				cJSON_Delete(it);
				dropped++;
			}
		}
		free(l->items);
		if (rc == 0 && l->holder && !l->docs->child) {
			/* An emptied list goes: modules leave empty lists out. */
			cJSON_Delete(cJSON_DetachItemViaPointer(res->data, l->holder));
		} else if (rc == 0 && l->holder) {
			rc = set_count(l);
		}
	}
	free(buf);
	return rc == 0 ? dropped : -1;
}

void answer_budget_apply(struct relay_response *res, size_t max_bytes)
{
	if (!max_bytes || res->failure != RELAY_OK || !res->data || res->raw || res->text)
		return;
	size_t bound = ENVELOPE_BYTES + answer_budget_bound(res->data) +
		       (res->errors ? answer_budget_bound(res->errors) : 0);
	if (bound <= max_bytes)
		return;
	long dropped = trim(res, max_bytes);
	if (dropped < 0)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else if (dropped > 0)
		response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
				   "%ld entities were left out: the answer would have been larger "
				   "than %zu bytes (RELAY_MAX_ANSWER_BYTES).",
				   dropped, max_bytes);
}
