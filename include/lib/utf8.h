/* utf8.h: UTF-8 checks, cuts on a character boundary, and repair with U+FFFD.
 *
 * Every string the relay puts into an answer must be valid UTF-8 (docs/api.md:
 * strict UTF-8 JSON), so anything cut to a byte budget goes through
 * utf8_cut() and anything echoed from a caller goes through utf8_sanitize().
 * None of these functions allocates.
 */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

/* True when `s` (len bytes) is valid UTF-8 with no NUL byte (no overlong
 * forms, no surrogates, nothing above U+10FFFF). */
int utf8_valid(const char *s, size_t len);

/* Largest prefix of `s` (len bytes) of at most max_bytes that ends on a
 * character boundary: never splits a multi-byte sequence of valid UTF-8.
 * Returns len when len <= max_bytes. */
size_t utf8_cut(const char *s, size_t len, size_t max_bytes);

/* Copies `s` (len bytes) into `out` (outsize bytes, NUL-terminated when
 * outsize > 0), replacing each byte that does not start a valid sequence
 * (a NUL included) with U+FFFD, one replacement per bad byte, and stopping before the character that would not fit. Returns the bytes
 * written, without the NUL. The result is always valid UTF-8. */
size_t utf8_sanitize(const char *s, size_t len, char *out, size_t outsize);

#endif
