/* utf8.c: UTF-8 validation, boundary-safe cuts and U+FFFD repair (see utf8.h). */
#include "lib/utf8.h"

#include <string.h>

/* Length of the valid sequence starting at p (at most `avail` bytes), or 0
 * when the bytes there are not valid UTF-8 (or a NUL). */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned c = *p;
	size_t n;
	unsigned min;
	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		n = 1, min = 0x80, c &= 0x1F;
	else if ((c & 0xF0) == 0xE0)
		n = 2, min = 0x800, c &= 0x0F;
	else if ((c & 0xF8) == 0xF0)
		n = 3, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (avail <= n)
		return 0;
	for (size_t i = 1; i <= n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return n + 1;
}

int utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		size_t n = utf8_seq_len(p, (size_t)(end - p));
		if (n == 0)
			return 0;
		p += n;
	}
	return 1;
}

size_t utf8_cut(const char *s, size_t len, size_t max_bytes)
{
	if (len <= max_bytes)
		return len;
	size_t n = max_bytes;
	/* s[n] is the first byte left out: while it continues a sequence, the
	 * sequence started inside the prefix, so cut before its lead byte. At
	 * most three steps back for valid input. */
	for (size_t steps = 0; n > 0 && steps < 4 && ((unsigned char)s[n] & 0xC0) == 0x80; steps++)
		n--;
	return n;
}

size_t utf8_sanitize(const char *s, size_t len, char *out, size_t outsize)
{
	static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */
	if (outsize == 0)
		return 0;
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t w = 0;
	while (p < end) {
		size_t n = utf8_seq_len(p, (size_t)(end - p));
		const char *src = (const char *)p;
		size_t take = n;
		if (n == 0) {
			src = replacement;
			take = 3;
			n = 1; /* one bad byte, one replacement */
		}
		if (w + take > outsize - 1)
			break;
		memcpy(out + w, src, take);
		w += take;
		p += n;
	}
	out[w] = '\0';
	return w;
}
