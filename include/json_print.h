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

#endif
