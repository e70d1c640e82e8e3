/* fuzz_utf8.c: libFuzzer target for the UTF-8 helpers (utf8.h).
 *
 * Any bytes: utf8_sanitize() must always give valid UTF-8 that fits its
 * buffer and leaves valid input unchanged; utf8_cut() must stay within its
 * budget and, on valid input, keep a valid prefix.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "lib/utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data;
	int valid = utf8_valid(s, size);
	size_t cap = 3 * size + 1;
	char *out = malloc(cap);
	if (!out)
		return 0;
	size_t n = utf8_sanitize(s, size, out, cap);
	if (n >= cap || out[n] != '\0' || !utf8_valid(out, n))
		fuzz_fail("utf8_sanitize gave invalid UTF-8 or overflowed");
	if (valid && (n != size || memcmp(out, s, size) != 0))
		fuzz_fail("utf8_sanitize changed valid input");
	/* A smaller buffer: still valid, still within it. */
	size_t small = size / 2 + 1;
	n = utf8_sanitize(s, size, out, small);
	if (n >= small || !utf8_valid(out, n))
		fuzz_fail("utf8_sanitize overflowed a small buffer");
	for (size_t max = 0; max <= size + 1; max += 1 + size / 8) {
		size_t cut = utf8_cut(s, size, max);
		if (cut > size || (size > max && cut > max))
			fuzz_fail("utf8_cut went over its budget");
		if (valid && !utf8_valid(s, cut))
			fuzz_fail("utf8_cut split a character of valid input");
	}
	free(out);
	return 0;
}
