/* json_print.h: prints a cJSON tree, byte for byte as cJSON_PrintUnformatted does, faster.
 *
 * cJSON's printer measures every value twice (an escape count, then a
 * strlen of what it just wrote) and copies strings a byte at a time; on an
 * observe answer of a few hundred sightings it was half of the relay's CPU
 * time (`make bench`, perf). This printer makes one pass and copies runs of
 * plain bytes with memcpy. tests/unit/test_json_print.c and the fuzz
 * targets compare its output with cJSON_PrintUnformatted's.
 */
#ifndef JSON_PRINT_H
#define JSON_PRINT_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Appends the text of `item` (NUL-terminated) to the malloc'd buffer
 * *buf of capacity *cap, growing it with realloc; *len is the text's
 * length. Returns 0, or -1 when out of memory or when the tree holds what
 * cJSON cannot print either (an invalid type, a raw item without text);
 * the buffer stays valid (and owned by the caller) either way. */
int json_print(const cJSON *item, char **buf, size_t *cap, size_t *len);

/* JSON text written piece by piece, for parts of an answer that are many
 * small nodes with mostly constant text (a sighting's relations and data
 * table): the text goes into the tree as one cJSON Raw item. Errors are
 * sticky: after an allocation failure `failed` is set and writes do
 * nothing. Start from {0}; reuse by setting len = 0. */
struct json_text {
	char *buf;
	size_t len, cap;
	int failed;
};

/* Appends n bytes as they are (text that is already JSON). */
void json_text_raw(struct json_text *t, const char *s, size_t n);
#define json_text_literal(t, lit) json_text_raw((t), (lit), sizeof(lit) - 1)
/* Appends s as a JSON string, quoted and escaped as json_print does. */
void json_text_string(struct json_text *t, const char *s);
/* A new Raw item holding a copy of the text; NULL when out of memory or
 * when a write failed. */
cJSON *json_text_to_raw(const struct json_text *t);
void json_text_free(struct json_text *t);

#endif
