/* observables.h: the observables array of a request, validated and deduplicated.
 *
 * observables_parse() checks the body against CONTRACT section 2: a JSON
 * array of objects with non-empty string `type` and `value`. Items that fail
 * are reported one message each (with their index and field) and left out;
 * exact duplicates (type compared case-insensitively) are kept once.
 *
 * Ownership: the list owns its strings; observables_free() releases them.
 */
#ifndef OBSERVABLES_H
#define OBSERVABLES_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "http/relay_error.h"
#include "lib/json_get.h" /* json_find_nul_escape(), used with the parsers */
#include "lib/utf8.h"	  /* utf8_valid(), used with the parsers */

struct observable {
	char *type;  /* lowercased type, e.g. "ip" */
	char *value; /* exactly as sent */
};

struct observable_list {
	struct observable *items;
	size_t count;
	/* Validation problems of single items (invalid argument), in order. */
	char **problems;
	size_t n_problems;
};

/* Parses `body` (len bytes, need not be NUL-terminated). Returns RELAY_OK
 * with `list` filled (possibly empty, possibly with problems), or
 * RELAY_ERR_INVALID_ARGUMENT with a message in `err` when the body as a whole
 * is unusable (not JSON, not an array, too deep, invalid UTF-8), or
 * RELAY_ERR_INTERNAL when out of memory. `list` is always safe to free. */
enum relay_err observables_parse(const char *body, size_t len, struct observable_list *list,
				 char *err, size_t errlen);

void observables_free(struct observable_list *list);

/* Parses a JSON body (tiles parameters). Same failures as above: the
 * caller checks the type of *out. */
enum relay_err json_parse_body(const char *body, size_t len, cJSON **out, char *err, size_t errlen);

#endif
