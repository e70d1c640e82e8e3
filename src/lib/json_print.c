/* json_print.c: a one-pass printer for cJSON trees, and json_text (JSON written piece by
 * piece with the same escaping); see json_print.h.
 *
 * The output rules are cJSON 1.7's: no whitespace; strings escape '"',
 * '\\', \b \f \n \r \t and other bytes below 0x20 as \u00xx (lower-case hex),
 * every other byte is copied as is; a NULL string prints as ""; numbers
 * print as %1.15g, or %1.17g when %1.15g does not read back as the same
 * double (whole numbers in int range take %d, which prints the same digits
 * without the read-back); NaN and infinities print as null; raw items print
 * their text verbatim.
 */
#include "lib/json_print.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grows the buffer to hold n more bytes and the NUL. */
static int grow(struct json_text *o, size_t n)
{
	size_t cap = o->cap ? o->cap : 4096;
	while (cap - o->len <= n) {
		if (cap > ((size_t)-1) / 2)
			return -1;
		cap *= 2;
	}
	char *bigger = realloc(o->buf, cap);
	if (!bigger)
		return -1;
	o->buf = bigger;
	o->cap = cap;
	return 0;
}

/* Where n more bytes go (room for the NUL too), or NULL when out of memory. */
static inline char *room(struct json_text *o, size_t n)
{
	if (o->cap - o->len <= n && grow(o, n) != 0)
		return NULL;
	return o->buf + o->len;
}

static int put(struct json_text *o, const char *s, size_t n)
{
	char *d = room(o, n);
	if (!d)
		return -1;
	memcpy(d, s, n);
	o->len += n;
	return 0;
}

static inline int put_char(struct json_text *o, char c)
{
	char *d = room(o, 1);
	if (!d)
		return -1;
	*d = c;
	o->len++;
	return 0;
}

/* The bytes a JSON string must escape (the NUL ends the string). */
static int escaped(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Nonzero when one of the 8 bytes of w must be escaped: below 0x20, '"' or
 * '\\' (the classic "has zero byte" test, see Hacker's Delight 6-1). */
static uint64_t word_needs_escape(uint64_t w)
{
	uint64_t quote = w ^ (ONES * '"'), backslash = w ^ (ONES * '\\');
	uint64_t below = (w - ONES * 0x20) & ~w;
	uint64_t zq = (quote - ONES) & ~quote, zb = (backslash - ONES) & ~backslash;
	return (below | zq | zb) & HIGHS;
}

/* Length of the run of plain bytes at the start of p[0..n). Answers are
 * mostly long plain strings (tweets, links): 8 bytes are tested at a time. */
static size_t plain_run(const unsigned char *p, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (word_needs_escape(w))
			break;
	}
	while (i < n && !escaped(p[i]))
		i++;
	return i;
}

/* The escaped text of s, quoted, followed by `tail` unless it is 0 (the
 * ':' after a key). */
static int put_string(struct json_text *o, const char *s, char tail)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), extra = tail ? 3 : 2;
	size_t run = plain_run(p, n);
	char *d = room(o, n + extra);
	if (!d)
		return -1;
	d[0] = '"';
	memcpy(d + 1, p, run);
	if (run == n) { /* nothing to escape: the usual case */
		d[1 + n] = '"';
		d[2 + n] = tail;
		o->len += n + extra;
		return 0;
	}
	o->len += 1 + run;
	p += run;
	n -= run;
	while (n > 0) { /* the rare string with something to escape */
		char esc[8] = {'\\', 0};
		size_t e = 2;
		switch (*p) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default: e = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p); break;
		}
		if (put(o, esc, e) != 0)
			return -1;
		p++;
		n--;
		run = plain_run(p, n);
		if (put(o, (const char *)p, run) != 0)
			return -1;
		p += run;
		n -= run;
	}
	if (!(d = room(o, extra - 1)))
		return -1;
	d[0] = '"';
	if (tail)
		d[1] = tail;
	o->len += extra - 1;
	return 0;
}

static int same_double(double a, double b)
{
	double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return fabs(a - b) <= max * DBL_EPSILON;
}

static int put_number(struct json_text *o, const cJSON *item)
{
	char num[32];
	double d = item->valuedouble;
	int n;
	if (isnan(d) || isinf(d)) {
		n = snprintf(num, sizeof(num), "null");
	} else if (d >= INT_MIN && d <= INT_MAX && d == (double)(int)d && !(d == 0 && signbit(d))) {
		n = snprintf(num, sizeof(num), "%d", (int)d);
	} else {
		double back = 0;
		n = snprintf(num, sizeof(num), "%1.15g", d);
		if (sscanf(num, "%lg", &back) != 1 || !same_double(back, d))
			n = snprintf(num, sizeof(num), "%1.17g", d);
	}
	if (n < 0 || (size_t)n >= sizeof(num))
		return -1;
	/* The C locale's decimal point is '.': the relay never calls setlocale. */
	return put(o, num, (size_t)n);
}

static int put_value(struct json_text *o, const cJSON *item)
{
	switch (item->type & 0xFF) {
	case cJSON_NULL: return put(o, "null", 4);
	case cJSON_False: return put(o, "false", 5);
	case cJSON_True: return put(o, "true", 4);
	case cJSON_Number: return put_number(o, item);
	case cJSON_String: return put_string(o, item->valuestring, 0);
	case cJSON_Raw:
		return item->valuestring ? put(o, item->valuestring, strlen(item->valuestring))
					 : -1;
	case cJSON_Array:
	case cJSON_Object: {
		int object = (item->type & 0xFF) == cJSON_Object;
		if (put_char(o, object ? '{' : '[') != 0)
			return -1;
		for (const cJSON *c = item->child; c; c = c->next) {
			if (c != item->child && put_char(o, ',') != 0)
				return -1;
			if (object && put_string(o, c->string, ':') != 0)
				return -1;
			if (put_value(o, c) != 0)
				return -1;
		}
		return put_char(o, object ? '}' : ']');
	}
	default: return -1;
	}
}

int json_print(const cJSON *item, char **buf, size_t *cap, size_t *len)
{
	struct json_text o = {.buf = *buf, .len = 0, .cap = *buf ? *cap : 0};
	int rc = item ? put_value(&o, item) : -1;
	if (rc == 0 && !room(&o, 0))
		rc = -1;
	if (o.buf && o.cap > o.len)
		o.buf[o.len] = '\0';
	*buf = o.buf;
	*cap = o.cap;
	*len = rc == 0 ? o.len : 0;
	return rc;
}

void json_text_raw(struct json_text *t, const char *s, size_t n)
{
	if (!t->failed && put(t, s, n) != 0)
		t->failed = 1;
}

void json_text_string(struct json_text *t, const char *s)
{
	if (!t->failed && put_string(t, s, 0) != 0)
		t->failed = 1;
}

cJSON *json_text_to_raw(const struct json_text *t)
{
	if (t->failed)
		return NULL;
	char *copy = cJSON_malloc(t->len + 1);
	cJSON *raw = cJSON_CreateNull(); /* made Raw below, with `copy` as its text */
	if (!copy || !raw) {
		cJSON_free(copy);
		cJSON_Delete(raw);
		return NULL;
	}
	memcpy(copy, t->buf, t->len);
	copy[t->len] = '\0';
	raw->type = cJSON_Raw;
	raw->valuestring = copy; /* owned: cJSON_Delete frees it */
	return raw;
}

void json_text_free(struct json_text *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}
