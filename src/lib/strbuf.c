/* strbuf.c: growable byte buffer with a ceiling fixed at creation. */
#include "lib/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, size_t max)
{
	memset(sb, 0, sizeof(*sb));
	sb->max = max;
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

static enum strbuf_status strbuf_fail(struct strbuf *sb, enum strbuf_status st)
{
	if (!sb->failed)
		sb->failed = (int)st;
	return st;
}

static enum strbuf_status strbuf_reserve(struct strbuf *sb, size_t n)
{
	if (n > sb->max || sb->len > sb->max - n)
		return strbuf_fail(sb, STRBUF_TOO_BIG);
	size_t need = sb->len + n + 1;
	if (need <= sb->cap)
		return STRBUF_OK;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < need)
		cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
	if (cap > sb->max + 1)
		cap = sb->max + 1;
	char *p = realloc(sb->data, cap);
	if (!p)
		return strbuf_fail(sb, STRBUF_NOMEM);
	sb->data = p;
	sb->cap = cap;
	return STRBUF_OK;
}

enum strbuf_status strbuf_append(struct strbuf *sb, const void *bytes, size_t n)
{
	enum strbuf_status st = strbuf_reserve(sb, n);
	if (st != STRBUF_OK)
		return st;
	if (n)
		memcpy(sb->data + sb->len, bytes, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
	return STRBUF_OK;
}

enum strbuf_status strbuf_appends(struct strbuf *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}

enum strbuf_status strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return strbuf_fail(sb, STRBUF_NOMEM);
	if ((size_t)n < sizeof(small))
		return strbuf_append(sb, small, (size_t)n);
	enum strbuf_status st = strbuf_reserve(sb, (size_t)n);
	if (st != STRBUF_OK)
		return st;
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return STRBUF_OK;
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *out = sb->data;
	if (!out)
		out = calloc(1, 1);
	if (len)
		*len = out ? sb->len : 0;
	sb->data = NULL;
	sb->len = sb->cap = 0;
	return out;
}
