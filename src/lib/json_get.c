/* json_get.c: one untrusted JSON document parsed strictly, and its members
 * read with their types checked (see lib/json_get.h). */
#include "lib/json_get.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

long json_find_nul_escape(const char *s, size_t len)
{
	/* A backslash only ever appears inside a string, where it starts a
	 * two-character escape ("\\\\" included), so pairs can be skipped. */
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && len - i >= 6 && memcmp(s + i + 2, "0000", 4) == 0)
			return (long)i;
		i++;
	}
	return -1;
}

enum json_get_status json_get_document(const char *text, size_t len, cJSON **out, size_t *at)
{
	size_t where = 0;
	enum json_get_status rc = JSON_GET_OK;
	cJSON *json = NULL;
	long nul = text && len ? json_find_nul_escape(text, len) : -1;
	if (!text || len == 0) {
		rc = JSON_GET_SYNTAX;
	} else if (nul >= 0) {
		rc = JSON_GET_NUL_ESCAPE;
		where = (size_t)nul;
	} else {
		const char *end = NULL;
		/* cJSON answers NULL for bad JSON and for a failed allocation
		 * alike; malloc's ENOMEM tells them apart. */
		errno = 0;
		json = cJSON_ParseWithLengthOpts(text, len, &end, 0);
		if (!json) {
			rc = errno == ENOMEM ? JSON_GET_NOMEM : JSON_GET_SYNTAX;
			where = end && end >= text ? (size_t)(end - text) : 0;
		}
		/* Only white space may follow the value. */
		for (const char *p = end; json && p && p < text + len; p++)
			if (!isspace((unsigned char)*p)) {
				cJSON_Delete(json);
				json = NULL;
				rc = JSON_GET_TRAILING;
				where = (size_t)(p - text);
			}
	}
	*out = json;
	if (at)
		*at = where;
	return rc;
}

enum json_get_status json_get_string_field(const cJSON *obj, const char *name, const char **out)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
	*out = NULL;
	if (!v)
		return JSON_GET_ABSENT;
	if (!cJSON_IsString(v) || !v->valuestring)
		return JSON_GET_WRONG_TYPE;
	*out = v->valuestring;
	return JSON_GET_OK;
}

const char *json_get_string(const cJSON *obj, const char *name)
{
	const char *s;
	return json_get_string_field(obj, name, &s) == JSON_GET_OK ? s : NULL;
}

enum json_get_status json_get_number(const cJSON *obj, const char *name, double *out)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
	if (!v)
		return JSON_GET_ABSENT;
	if (!cJSON_IsNumber(v))
		return JSON_GET_WRONG_TYPE;
	*out = v->valuedouble;
	return JSON_GET_OK;
}
