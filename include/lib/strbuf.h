/* strbuf.h: a growable byte buffer with a ceiling fixed when it is created.
 *
 * Used wherever bytes accumulate: upstream answers, metrics text, markdown.
 * Appending past the ceiling fails with STRBUF_TOO_BIG and leaves the buffer
 * as it was; running out of memory fails with STRBUF_NOMEM. The buffer is
 * always NUL-terminated when non-empty. The struct owns `data`.
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stddef.h>

enum strbuf_status { STRBUF_OK = 0, STRBUF_TOO_BIG, STRBUF_NOMEM };

struct strbuf {
	char *data; /* NULL until the first append */
	size_t len; /* bytes used, without the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* ceiling on len */
	int failed; /* sticky: an append failed (status of the first failure) */
};

void strbuf_init(struct strbuf *sb, size_t max);
void strbuf_free(struct strbuf *sb);

enum strbuf_status strbuf_append(struct strbuf *sb, const void *bytes, size_t n);
enum strbuf_status strbuf_appends(struct strbuf *sb, const char *s);
enum strbuf_status strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Hands the bytes to the caller (free() them) and resets the buffer. Returns
 * an empty allocated string for an empty buffer, NULL when out of memory. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

#endif
