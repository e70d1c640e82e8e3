/* values.h: the values CTIM fields take, apart from the entities that
 * carry them: transient ids, times, disposition names, cut strings.
 *
 * Owned by src/ctim/values.c. Results go into the caller's buffers, or are
 * new strings the caller frees; ctim/entities.h includes this header.
 */
#ifndef CTIM_VALUES_H
#define CTIM_VALUES_H

#include <stddef.h>

#define CTIM_TIME_LEN 32
#define CTIM_ID_LEN 64
#define CTIM_VALID_SECONDS (7 * 24 * 3600)

enum ctim_disposition {
	CTIM_CLEAN = 1,
	CTIM_MALICIOUS = 2,
	CTIM_SUSPICIOUS = 3,
	CTIM_COMMON = 4,
	CTIM_UNKNOWN = 5
};

/* "Clean", "Malicious", ...; "Unknown" for an out-of-range value. */
const char *ctim_disposition_name(int disposition);

/* Writes "transient:<kind>-<uuid4>" into buf (CTIM_ID_LEN). Returns 0, -1 if
 * no randomness was available. */
int ctim_transient_id(const char *kind, char *buf, size_t len);

/* Writes t (seconds, fractions kept to the millisecond) as 2025-11-22T13:05:09.000Z. */
void ctim_format_time(double t, char buf[CTIM_TIME_LEN]);

/* A copy of s cut to at most max_units UTF-16 units, ending in "..." when
 * cut, never inside a character; invalid UTF-8 becomes U+FFFD. NULL when
 * out of memory. */
char *ctim_truncate(const char *s, size_t max_units);

/* 1 when an observable can be carried by a valid entity: a type and a
 * value that are valid UTF-8 (an observable is always sent as it came, so
 * one that is not cannot be repaired; its entities are left out). */
int ctim_observable_ok(const char *type, const char *value);

#endif
