/* text.h: feed text made fit for CTIM: UTF-16 lengths and inert Markdown.
 *
 * CTIM counts string limits in UTF-16 units (its schemas run on Java
 * strings), so an emoji is two. Everything a feed or an upstream says is
 * hostile: the Markdown writers below escape it for the context it lands in
 * (running text, a GFM table cell, a code span) so that no link, image,
 * autolink, raw HTML, emphasis or table breakout comes out of it, whichever
 * CommonMark/GFM renderer shows it. URLs and domains in the text are
 * defanged (hxxps://phish[.]example), and the characters GFM's extended
 * autolinks need are escaped, because GFM renderers link bare www.x,
 * http(s)://x, a@b.c, mailto: and xmpp: even without Markdown syntax.
 *
 * Invalid UTF-8 never passes: each bad byte becomes U+FFFD.
 */
#ifndef CTIM_TEXT_H
#define CTIM_TEXT_H

#include <stddef.h>

#include "lib/strbuf.h"

/* Decodes the code point at s (n > 0 bytes left) into *cp. Returns the
 * bytes it used (1..4); an invalid, overlong or surrogate sequence uses
 * one byte and yields U+FFFD. */
size_t text_decode(const unsigned char *s, size_t n, unsigned *cp);

/* UTF-16 units of s (invalid bytes count as the U+FFFD they become). */
size_t text_utf16_len(const char *s);

/* A copy of s with invalid UTF-8 replaced, cut to at most max_units UTF-16
 * units on a character boundary, ending in "..." when cut. NULL when out of
 * memory. */
char *text_cut_utf16(const char *s, size_t max_units);

/* 1 when s is valid UTF-8 of at most max_units UTF-16 units. */
int text_fits(const char *s, size_t max_units);

/* Appends s as inert Markdown text for running text or a GFM table cell:
 * line breaks and control, bidi, line-separator and invisible characters
 * become spaces, Markdown/HTML punctuation is backslash-escaped (pipes
 * included, so a cell never splits), and so are every ':' and '@' and the
 * dot of any "www." (no GFM autolink: www., e-mail, mailto:, xmpp:); URL
 * schemes and dots between host characters are defanged (hxxps\://,
 * [.]). Escapes show as the character itself. Appends at most max_units
 * UTF-16 units of output, cutting before a whole escape and ending in
 * "..." when cut. It is meant to sit between spaces, punctuation or line
 * edges, as every caller writes it: a letter or digit written right after
 * it could make its last '.' part of a host name. Returns 0, or -1 when
 * the buffer refused the bytes. */
int md_text(struct strbuf *sb, const char *s, size_t max_units);

/* Appends s as an inline code span (IOC values: verbatim and never a link):
 * fenced with more backticks than it contains, line breaks and the other
 * characters md_text blanks as spaces, at most max_units units of s. A
 * value with a pipe or a backslash cannot be a code span in a GFM table in
 * every renderer (marked counts the backslashes before a pipe), nor one
 * with a run of 80 or more backticks (cmark-gfm reads no fence over 80),
 * so such a value is written with md_text instead.
 * Returns 0 or -1 like md_text. */
int md_code(struct strbuf *sb, const char *s, size_t max_units);

/* Appends a valid http(s) URI (uri_valid_http) as a Markdown link
 * destination: parentheses percent-encoded. Returns 0 or -1. */
int md_url(struct strbuf *sb, const char *uri);

#endif
