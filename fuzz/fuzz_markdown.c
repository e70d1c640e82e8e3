/* fuzz_markdown.c: libFuzzer target for the feed-text writers of ctim/text.h and uri.h.
 *
 * The bytes are any feed string. Whatever they are, md_text and md_code
 * must write valid UTF-8 within their budget with no line break and no
 * unescaped pipe, and nothing a GFM renderer links:
 *  - rendered by libcmark-gfm with GitHub's extensions (autolink, table,
 *    strikethrough, tagfilter) in every context the relay writes them in
 *    (a paragraph, after a bold label, between "**", "(", "_", "~", after
 *    "@", "\#" or "Malicious:", in table cells), the document has no link,
 *    no image and no raw HTML;
 *  - for marked (JavaScript, so not linked here; tests/e2e/test_render.py
 *    runs it), a conservative check of the rules of its src/rules.ts
 *    inlineGfm.url, which reads the source: no "www." in any case, no ':'
 *    or '@' without a backslash, no bare '.' between host characters.
 * text_cut_utf16 must stay within its units; uri_valid_http must never
 * accept a space, a control byte or a non-ASCII byte.
 */
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctim/text.h"
#include "ctim/uri.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	cmark_gfm_core_extensions_ensure_registered();
	return 0;
}

/* 1 when out[i] follows an odd number of backslashes (it is escaped). */
static int escaped(const char *out, size_t i)
{
	size_t back = 0;
	while (back < i && out[i - 1 - back] == '\\')
		back++;
	return back % 2 == 1;
}

static int host_before(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '@' || c == '/' || c >= 0x80;
}

static int host_after(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c >= 0x80;
}

/* The source-level check, for marked's rules (and any renderer that reads
 * the source the same way). */
static void check_source(const char *out)
{
	for (size_t i = 0; out[i]; i++) {
		unsigned char c = (unsigned char)out[i];
		if ((c == '|' || c == ':' || c == '@') && !escaped(out, i))
			fuzz_fail("md writer: an unescaped '|', ':' or '@'");
		if (strncasecmp(out + i, "www.", 4) == 0)
			fuzz_fail("md writer: a www. autolink start");
		if (c == '.' && !escaped(out, i) && i > 0 &&
		    host_before((unsigned char)out[i - 1]) && host_after((unsigned char)out[i + 1]))
			fuzz_fail("md writer: a bare '.' between host characters");
	}
}

/* The contexts the relay writes Markdown text in (ctim/text.h: always
 * between a space, punctuation or a line edge), one paragraph each, then
 * one GFM table; "%" stands for the text. */
static const char *const contexts[] = {
	"%",
	"**Tweet:** % end",
	"the **%** family",
	"(%)",
	"_%_",
	"~%~",
	"by @% on",
	"**Hashtags:** \\#% \\#x",
	"Malicious:%",
	"| A | B | C |\n| --- | --- | --- |\n| % | @% | #% #x |",
};

static void append(struct strbuf *sb, const char *s, size_t n)
{
	if (strbuf_append(sb, s, n) != STRBUF_OK)
		fuzz_fail("out of memory building the document");
}

/* Renders `md` in every context with libcmark-gfm and fails on any link,
 * image or raw HTML node. */
static void check_rendered(const char *md)
{
	struct strbuf doc;
	strbuf_init(&doc, 1 << 22);
	for (size_t k = 0; k < sizeof(contexts) / sizeof(contexts[0]); k++) {
		for (const char *c = contexts[k]; *c; c++) {
			if (*c == '%')
				append(&doc, md, strlen(md));
			else
				append(&doc, c, 1);
		}
		append(&doc, "\n\n", 2);
	}
	cmark_parser *parser = cmark_parser_new(CMARK_OPT_UNSAFE);
	if (!parser)
		fuzz_fail("cmark_parser_new");
	static const char *const extensions[] = {"autolink", "table", "strikethrough", "tagfilter"};
	for (size_t k = 0; k < sizeof(extensions) / sizeof(extensions[0]); k++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(extensions[k]);
		if (!ext || !cmark_parser_attach_syntax_extension(parser, ext))
			fuzz_fail("libcmark-gfm: an extension is missing");
	}
	cmark_parser_feed(parser, doc.data, doc.len);
	cmark_node *root = cmark_parser_finish(parser);
	if (!root)
		fuzz_fail("cmark_parser_finish");
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(cmark_iter_get_node(it))) {
		case CMARK_NODE_LINK: fuzz_fail("md writer: cmark-gfm rendered a link");
		case CMARK_NODE_IMAGE: fuzz_fail("md writer: cmark-gfm rendered an image");
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_HTML_BLOCK: fuzz_fail("md writer: cmark-gfm rendered raw HTML");
		default: break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(root);
	cmark_parser_free(parser);
	strbuf_free(&doc);
}

static void check_markdown(const char *out, size_t max_units)
{
	if (!text_fits(out, max_units))
		fuzz_fail("md writer: invalid UTF-8 or over its budget");
	if (strchr(out, '\n') || strchr(out, '\r'))
		fuzz_fail("md writer: a line break");
	check_source(out);
	check_rendered(out);
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
	if (md_code(&sb, s, budget) == 0 && sb.data) {
		if (!text_fits(sb.data, (size_t)-1))
			fuzz_fail("md_code: invalid UTF-8");
		check_rendered(sb.data); /* a code span is never a link */
	}
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
