/* text.c: UTF-16 lengths and cuts, and feed text written as inert Markdown.
 *
 * One decoder (text_decode) feeds every function here, so a string is
 * judged the same way when it is measured, cut and escaped. The escaping
 * follows CommonMark 0.31 section 2.4 (any ASCII punctuation may be
 * backslash-escaped, and shows as itself) and the GFM table extension (a
 * cell ends at a pipe not preceded by an odd number of backslashes).
 *
 * GFM also links text with no Markdown syntax at all. The rules followed
 * here are github/cmark-gfm extensions/autolink.c (www_match: "www." after
 * a line start, a space or one of *_~( ; url_match: http/https/ftp at a
 * ':' followed by "//"; postprocess_text: an e-mail address, found in the
 * text *after* escapes are resolved, with a '.' followed by an ASCII
 * letter or digit in its domain; 0.29.0.gfm.6, Debian's, and later also
 * link mailto: and xmpp: addresses, reading an xmpp: resource after '/' as
 * domain) and markedjs/marked src/rules.ts (inlineGfm.url: "www.",
 * http(s):// and ftp://, mailto: and xmpp: addresses, bare addresses;
 * tried at the start of every inline token, escapes included, on the raw
 * source). So, in running text:
 *  - every ':' and '@' is backslash-escaped: no scheme, mailto:/xmpp: or
 *    address matches in marked or in cmark-gfm's url_match;
 *  - a '.' between host characters (an ASCII letter, digit, '-' or '_',
 *    or any non-ASCII character, or an '@' or '/' before it) is defanged to
 *    [.], as threat-intel feeds do: cmark-gfm's address rule (mailto: and
 *    xmpp: ones included, whose resource after a '/' it scans as domain)
 *    needs such a dot in the resolved text, which no escape can hide;
 *  - the dot of any other "www." (any case) is escaped, and http(s):// and
 *    ftp:// are defanged to hxxp(s):// and fxp:// as well.
 */
#include "ctim/text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPLACEMENT 0xFFFDu

size_t text_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t need;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		min = 0x80;
		c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		min = 0x800;
		c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		min = 0x10000;
		c &= 0x07;
	} else {
		*cp = REPLACEMENT;
		return 1;
	}
	if (n < need + 1) {
		*cp = REPLACEMENT;
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = REPLACEMENT;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		*cp = REPLACEMENT;
		return 1;
	}
	*cp = c;
	return need + 1;
}

static size_t units_of(unsigned cp)
{
	return cp > 0xFFFF ? 2 : 1;
}

/* Writes cp as UTF-8 into out (4 bytes); returns its length. */
static size_t encode(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The length of the leading ASCII run: one byte, one UTF-16 unit each, and
 * always valid UTF-8. Most feed text is ASCII, so the decoder below only
 * sees what follows the first other byte. */
static size_t ascii_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] < 0x80)
		i++;
	return i;
}

size_t text_utf16_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = ascii_prefix(p, n), units = i;
	while (i < n) {
		unsigned cp;
		i += text_decode(p + i, n - i, &cp);
		units += units_of(cp);
	}
	return units;
}

int text_fits(const char *s, size_t max_units)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i = ascii_prefix(p, n), units = i;
	if (units > max_units)
		return 0;
	while (i < n) {
		unsigned cp;
		size_t k = text_decode(p + i, n - i, &cp);
		if (cp == REPLACEMENT && k == 1)
			return 0; /* an invalid byte (a real U+FFFD is 3 bytes) */
		i += k;
		units += units_of(cp);
		if (units > max_units)
			return 0;
	}
	return 1;
}

char *text_cut_utf16(const char *s, size_t max_units)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	size_t total = text_utf16_len((const char *)p);
	size_t room = total <= max_units ? total : (max_units >= 3 ? max_units - 3 : 0);
	/* Worst case: every byte becomes a 3-byte U+FFFD. */
	char *out = malloc(n * 3 + 4);
	if (!out)
		return NULL;
	size_t i = 0, o = 0, units = 0;
	while (i < n) {
		unsigned cp;
		size_t k = text_decode(p + i, n - i, &cp);
		if (units + units_of(cp) > room)
			break;
		units += units_of(cp);
		o += encode(cp, out + o);
		i += k;
	}
	if (total > max_units) {
		size_t dots = max_units < 3 ? max_units : 3;
		memcpy(out + o, "...", dots);
		o += dots;
	}
	out[o] = '\0';
	return out;
}

/* Characters that show nothing and would hide what the text really is
 * ("http:<soft hyphen>//x" reads as a URL): soft hyphen, Mongolian vowel
 * separator, zero-width space, word joiner and the invisible operators,
 * zero-width no-break space. The zero-width (non-)joiners stay: emoji
 * sequences and several scripts need them. */
static int is_invisible(unsigned cp)
{
	return cp == 0x00AD || cp == 0x180E || cp == 0x200B || (cp >= 0x2060 && cp <= 0x2064) ||
	       cp == 0xFEFF;
}

/* Characters that never reach Markdown output: C0/C1 controls, DEL, line
 * and paragraph separators, the bidi controls (they reorder what the
 * analyst reads) and the invisible characters above. */
static int is_blank(unsigned cp)
{
	if (cp < 0x80)
		return cp < 0x20 || cp == 0x7F;
	return cp <= 0x9F || cp == 0x2028 || cp == 0x2029 || cp == 0x061C || cp == 0x200E ||
	       cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       is_invisible(cp);
}

static int is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A '.' at p[i] that some autolinker could read as part of a host name:
 * after an ASCII word character, an '@', a '/' (cmark-gfm reads an xmpp:
 * address's resource as part of its domain) or a non-ASCII character,
 * before an ASCII letter or digit or a non-ASCII character. */
static int is_host_dot(const unsigned char *p, size_t n, size_t i)
{
	unsigned char prev = i > 0 ? p[i - 1] : 0, next = i + 1 < n ? p[i + 1] : 0;
	return (is_word(prev) || prev == '@' || prev == '/' || prev >= 0x80) &&
	       (is_alnum(next) || next >= 0x80);
}

/* What one step of md_text writes. */
struct md_token {
	char bytes[16];
	size_t len;   /* bytes in `bytes` */
	size_t units; /* UTF-16 units they are */
	size_t used;  /* source bytes consumed */
};

/* Inline Markdown and HTML syntax, the GFM cell separator, the escape
 * itself, and the two characters every extended autolink needs (a scheme's
 * ':' and an address's '@'): \\ ` * _ [ ] ( ) < > | ~ ! & : @ */
static const unsigned char md_special[128] = {
	['\\'] = 1, ['`'] = 1, ['*'] = 1, ['_'] = 1, ['['] = 1, [']'] = 1, ['('] = 1, [')'] = 1,
	['<'] = 1,  ['>'] = 1, ['|'] = 1, ['~'] = 1, ['!'] = 1, ['&'] = 1, [':'] = 1, ['@'] = 1};

/* How many bytes from i on md_next() would copy unchanged: printable ASCII
 * that is not special, not a '.', and does not start "ht"/"ft" (a scheme
 * to defang). Lets md_text() copy ordinary words in one append. */
static size_t md_plain_run(const unsigned char *p, size_t n, size_t i)
{
	size_t j = i;
	while (j < n) {
		unsigned char c = p[j], lc = c | 0x20;
		if (c < 0x20 || c >= 0x7F || md_special[c] || c == '.' ||
		    ((lc == 'h' || lc == 'f') && j + 1 < n && (p[j + 1] | 0x20) == 't'))
			break;
		j++;
	}
	return j - i;
}

static void md_next(const unsigned char *p, size_t n, size_t i, struct md_token *t)
{
	/* Defanged, and the ':' escaped like any other. */
	static const struct {
		const char *scheme, *defanged;
		size_t len;
	} schemes[] = {{"https://", "hxxps\\://", 8},
		       {"http://", "hxxp\\://", 7},
		       {"ftp://", "fxp\\://", 6}};
	/* Only an 'h' or an 'f' can start a scheme: the common case costs one
	 * comparison (this runs once per character of every tweet). */
	unsigned char c0 = p[i] | 0x20;
	for (size_t k = 0; (c0 == 'h' || c0 == 'f') && k < sizeof(schemes) / sizeof(schemes[0]);
	     k++) {
		size_t len = schemes[k].len;
		if (n - i >= len && strncasecmp((const char *)p + i, schemes[k].scheme, len) == 0) {
			t->len = strlen(schemes[k].defanged);
			memcpy(t->bytes, schemes[k].defanged, t->len);
			t->units = t->len;
			t->used = len;
			return;
		}
	}
	unsigned cp;
	t->used = text_decode(p + i, n - i, &cp);
	if (cp == '.' && is_host_dot(p, n, i)) {
		memcpy(t->bytes, "\\[.\\]", 5); /* renders as [.] */
		t->len = t->units = 5;
	} else if (cp == '.' && i >= 3 && (p[i - 3] | 0x20) == 'w' && (p[i - 2] | 0x20) == 'w' &&
		   (p[i - 1] | 0x20) == 'w') {
		memcpy(t->bytes, "\\.", 2); /* "www\." is no www. autolink */
		t->len = t->units = 2;
	} else if (is_blank(cp)) {
		t->bytes[0] = ' ';
		t->len = t->units = 1;
	} else if (cp < 0x80 && md_special[cp]) {
		t->bytes[0] = '\\';
		t->bytes[1] = (char)cp;
		t->len = t->units = 2;
	} else {
		t->len = encode(cp, t->bytes);
		t->units = units_of(cp);
	}
}

int md_text(struct strbuf *sb, const char *s, size_t max_units)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), i, total = 0, mark = sb->len;
	struct md_token t;
	/* Most texts fit: written in one pass. One that does not is taken back
	 * and written again, cut to leave room for the ellipsis. */
	for (i = 0; i < n && total <= max_units;) {
		size_t run = md_plain_run(p, n, i);
		if (run > 0) {
			total += run;
			if (total > max_units)
				break;
			if (strbuf_append(sb, p + i, run) != STRBUF_OK)
				return -1;
			i += run;
			continue;
		}
		md_next(p, n, i, &t);
		total += t.units;
		if (total > max_units)
			break;
		if (strbuf_append(sb, t.bytes, t.len) != STRBUF_OK)
			return -1;
		i += t.used;
	}
	if (total <= max_units)
		return 0;
	sb->len = mark;
	if (sb->data)
		sb->data[mark] = '\0';
	size_t room = max_units >= 3 ? max_units - 3 : 0, used = 0;
	for (i = 0; i < n; i += t.used) {
		md_next(p, n, i, &t);
		if (used + t.units > room)
			break;
		used += t.units;
		if (strbuf_append(sb, t.bytes, t.len) != STRBUF_OK)
			return -1;
	}
	/* "www" and the ellipsis would make "www...", which cmark-gfm links
	 * to http://www: 'w's off until no "www" ends the text. */
	while (sb->len - mark >= 3 && strncasecmp(sb->data + sb->len - 3, "www", 3) == 0)
		sb->len--;
	if (strbuf_append(sb, "...", max_units < 3 ? max_units : 3) != STRBUF_OK)
		return -1;
	return 0;
}

/* The longest code span fence every renderer reads. */
#define MD_CODE_MAX_FENCE 80

int md_code(struct strbuf *sb, const char *s, size_t max_units)
{
	s = s ? s : "";
	if (strchr(s, '|') || strchr(s, '\\'))
		return md_text(sb, s, max_units);
	char *cut = text_cut_utf16(s, max_units);
	if (!cut)
		return -1;
	size_t n = strlen(cut), run = 0, longest = 0;
	for (size_t i = 0; i < n; i++) {
		run = cut[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	/* cmark-gfm opens no code span with a fence over 80 backticks
	 * (MAXBACKTICKS, src/inlines.c): the value would be read as Markdown,
	 * its URLs linked. Such a value is written as text instead. */
	if (longest + 1 > MD_CODE_MAX_FENCE) {
		free(cut);
		return md_text(sb, s, max_units);
	}
	/* CommonMark 6.1: a fence longer than any backtick run inside;
	 * padding spaces (stripped by the renderer) when the content touches
	 * a fence. */
	size_t fence = longest + 1;
	int pad = n > 0 && (cut[0] == '`' || cut[n - 1] == '`');
	int rc = 0;
	for (size_t f = 0; f < fence && rc == 0; f++)
		rc = strbuf_append(sb, "`", 1) == STRBUF_OK ? 0 : -1;
	if (rc == 0 && pad)
		rc = strbuf_append(sb, " ", 1) == STRBUF_OK ? 0 : -1;
	const unsigned char *p = (const unsigned char *)cut;
	for (size_t i = 0; rc == 0 && i < n;) {
		unsigned cp;
		size_t k = text_decode(p + i, n - i, &cp);
		char out[4];
		size_t len = is_blank(cp) ? (out[0] = ' ', 1) : encode(cp, out);
		rc = strbuf_append(sb, out, len) == STRBUF_OK ? 0 : -1;
		i += k;
	}
	if (rc == 0 && pad)
		rc = strbuf_append(sb, " ", 1) == STRBUF_OK ? 0 : -1;
	for (size_t f = 0; f < fence && rc == 0; f++)
		rc = strbuf_append(sb, "`", 1) == STRBUF_OK ? 0 : -1;
	free(cut);
	return rc;
}

int md_url(struct strbuf *sb, const char *uri)
{
	for (const char *p = uri; *p; p++) {
		enum strbuf_status st;
		if (*p == '(')
			st = strbuf_append(sb, "%28", 3);
		else if (*p == ')')
			st = strbuf_append(sb, "%29", 3);
		else
			st = strbuf_append(sb, p, 1);
		if (st != STRBUF_OK)
			return -1;
	}
	return 0;
}
