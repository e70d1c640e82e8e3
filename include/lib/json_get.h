/* json_get.h: reading untrusted JSON: one whole document, then typed fields.
 *
 * Owned by src/lib/json_get.c; used by every parser of bytes from outside
 * (request bodies, upstream answers). cJSON does the parsing
 * (cJSON_ParseWithLengthOpts, nesting bounded by CJSON_NESTING_LIMIT);
 * this adds what each caller would otherwise repeat: no \u0000 escape, only
 * white space after the value, out of memory told apart from bad input,
 * and members read with their type checked. Nothing here prints; the
 * caller words the failure. Strings returned point into the cJSON tree and
 * live as long as it does.
 */
#ifndef LIB_JSON_GET_H
#define LIB_JSON_GET_H

#include <stddef.h>
#include <cjson/cJSON.h>

enum json_get_status {
	JSON_GET_OK,
	JSON_GET_ABSENT,     /* the member is not there (or the holder is no object) */
	JSON_GET_WRONG_TYPE, /* the member is there with another type */
	JSON_GET_NUL_ESCAPE, /* a string holds \u0000 */
	JSON_GET_SYNTAX,     /* not JSON, or nested deeper than CJSON_NESTING_LIMIT */
	JSON_GET_TRAILING,   /* more than white space after the value */
	JSON_GET_NOMEM,	     /* out of memory: the relay's fault, not the input's */
	JSON_GET__MAX
};

/* Parses `text` (len bytes, need not be NUL-terminated) as exactly one JSON
 * value. JSON_GET_OK with *out the tree (cJSON_Delete() it); else *out is
 * NULL, the status says why and *at (may be NULL) the byte offset where it
 * went wrong. An empty text is JSON_GET_SYNTAX at 0. */
enum json_get_status json_get_document(const char *text, size_t len, cJSON **out, size_t *at);

/* The string member `name` of `obj`: JSON_GET_OK with *out set,
 * JSON_GET_ABSENT, or JSON_GET_WRONG_TYPE (*out is NULL then). */
enum json_get_status json_get_string_field(const cJSON *obj, const char *name, const char **out);

/* The string member `name` of `obj`, or NULL when it is absent or no
 * string. */
const char *json_get_string(const cJSON *obj, const char *name);

/* The number member `name` of `obj`: JSON_GET_OK with *out set,
 * JSON_GET_ABSENT, or JSON_GET_WRONG_TYPE (*out untouched then). */
enum json_get_status json_get_number(const cJSON *obj, const char *name, double *out);

/* Offset of the first \u0000 escape in JSON text `s` (len bytes), or -1.
 * cJSON decodes that escape into a NUL byte, which silently cuts its string
 * short ("1.2.3.4\u0000x" would read as "1.2.3.4"), so parsers of untrusted
 * JSON look for it first (json_get_document() does). */
long json_find_nul_escape(const char *s, size_t len);

#endif
