/* fuzz_markdown.c: libFuzzer target for the feed-text writers of ctim/text.h and uri.h.
 *
 * The bytes are any feed string. Whatever they are, md_text and md_code
 * must write valid UTF-8 within their budget with no line break, no
 * unescaped pipe and no live scheme; text_cut_utf16 must stay within its
 * units; uri_valid_http must never accept a space, a control byte or a
 * non-ASCII byte.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctim/text.h"
#include "fuzz_common.h"
#include "ctim/uri.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

static void check_markdown(const char *out, size_t max_units)
{
	if (!text_fits(out, max_units))
		fuzz_fail("md writer: invalid UTF-8 or over its budget");
	if (strchr(out, '\n') || strchr(out, '\r'))
		fuzz_fail("md writer: a line break");
	for (size_t i = 0; out[i]; i++) {
		size_t back = 0;
		while (back < i && out[i - 1 - back] == '\\')
			back++;
		if (out[i] == '|' && back % 2 == 0)
			fuzz_fail("md writer: an unescaped pipe");
		if (strncasecmp(out + i, "http://", 7) == 0 ||
		    strncasecmp(out + i, "https://", 8) == 0)
			fuzz_fail("md writer: a live URL scheme");
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0'; /* feed strings are C strings: stop at the first NUL */
	size_t budget = 1 + size % 300;
	struct strbuf sb;
	strbuf_init(&sb, 1 << 20);
	if (md_text(&sb, s, budget) == 0)
		check_markdown(sb.data ? sb.data : "", budget);
	sb.len = 0;
	if (sb.data)
		sb.data[0] = '\0';
	if (md_code(&sb, s, budget) == 0 && sb.data && !text_fits(sb.data, (size_t)-1))
		fuzz_fail("md_code: invalid UTF-8");
	strbuf_free(&sb);
	char *cut = text_cut_utf16(s, budget);
	if (cut && !text_fits(cut, budget))
		fuzz_fail("text_cut_utf16: over its budget or invalid");
	free(cut);
	if (uri_valid_http(s))
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '\\')
				fuzz_fail("uri_valid_http accepted a byte a URI cannot hold");
	free(s);
	return 0;
}
