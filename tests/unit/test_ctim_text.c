/* test_ctim_text.c: the Markdown writers of ctim/text.h leave no GFM autolink.
 *
 * The forms of issue 18 (www. names with a user name and an IPv4 written as
 * one number, www. in Cyrillic, mailto:/xmpp: and bare addresses with odd
 * domains, www. after ( * _ ~) and their neighbours, each with the exact
 * Markdown written and, where nothing is defanged, the text a CommonMark
 * renderer shows for it (the input itself). tests/e2e/test_render.py renders
 * the same forms with cmark-gfm and marked through the relay.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctim/text.h"
#include "lib/strbuf.h"

/* md_text(s) with a budget that never cuts; the caller frees. */
static char *text_of(const char *s)
{
	struct strbuf sb;
	strbuf_init(&sb, 1 << 16);
	ck_assert_int_eq(md_text(&sb, s, 10000), 0);
	char *out = strbuf_detach(&sb, NULL);
	strbuf_free(&sb);
	ck_assert_ptr_nonnull(out);
	return out;
}

/* What CommonMark shows for text with no Markdown syntax left in it: each
 * backslash before ASCII punctuation dropped (CommonMark 0.31, 2.4). */
static char *shown(const char *md)
{
	size_t n = strlen(md), o = 0;
	char *out = malloc(n + 1);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i++) {
		if (md[i] == '\\' && i + 1 < n &&
		    strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", md[i + 1]))
			i++;
		out[o++] = md[i];
	}
	out[o] = '\0';
	return out;
}

static const struct {
	const char *in, *md;
	int same_text; /* 1: shown exactly as the input (nothing defanged) */
} forms[] = {
	/* The review's forms. */
	{"Check www.-a@2130706433/login now", "Check www\\.-a\\@2130706433/login now", 1},
	{"Malicious: www.-a@2130706433/login", "Malicious\\: www\\.-a\\@2130706433/login", 1},
	{"www.\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84/login",
	 "www\\[.\\]\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80\\[.\\]\xd1\x80\xd1\x84/login",
	 0},
	{"mailto:a@b.-c", "mailto\\:a\\@b.-c", 1},
	/* www. at the start of a line, after ( * _ ~, in capitals. */
	{"www.-a@2130706433/x", "www\\.-a\\@2130706433/x", 1},
	{"(www.-a)", "\\(www\\.-a\\)", 1},
	{"*www.-a*", "\\*www\\.-a\\*", 1},
	{"_www.-a_", "\\_www\\.-a\\_", 1},
	{"~www.-a~", "\\~www\\.-a\\~", 1},
	{"WWW.-a@2130706433/x", "WWW\\.-a\\@2130706433/x", 1},
	{"wWw._x", "wWw\\.\\_x", 1},
	{"www.", "www\\.", 1},
	{"www.x.y", "www\\[.\\]x\\[.\\]y", 0},
	/* Addresses: bare, mailto:, xmpp:, in any case, a dot right after '@'. */
	{"a@b.co", "a\\@b\\[.\\]co", 0},
	{"a@.bc", "a\\@\\[.\\]bc", 0},
	{"(a@.bc)", "\\(a\\@\\[.\\]bc\\)", 0},
	{"xmpp:a@b.-c/r", "xmpp\\:a\\@b.-c/r", 1},
	{"xmpp:a@b-/.mx", "xmpp\\:a\\@b-/\\[.\\]mx", 0}, /* the resource counts as domain */
	{"MAILTO:a@b_c.-d", "MAILTO\\:a\\@b\\_c.-d", 1},
	{"<a@b.co>", "\\<a\\@b\\[.\\]co\\>", 0},
	{"@user: 12:30", "\\@user\\: 12\\:30", 1},
	/* Schemes: defanged, the ':' escaped; an IPv4 as one number. */
	{"http://2130706433/login", "hxxp\\://2130706433/login", 0},
	{"HTTPS://x", "hxxps\\://x", 0},
	{"ftp://x", "fxp\\://x", 0},
	{"javascript:alert(1)", "javascript\\:alert\\(1\\)", 1},
	{"x:www.-a", "x\\:www\\.-a", 1},
	/* Domains in other scripts, and invisible characters shown as spaces. */
	{"\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.com",
	 "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80\\[.\\]com", 0},
	{"http:\xc2\xad//2130706433/", "http\\: //2130706433/", 0},
	{"www\xe2\x80\x8b.-a", "www .-a", 0},
	{"a\xef\xbb\xbf@b", "a \\@b", 0},
	/* Ordinary text is left alone (the fast path). */
	{"plain words, 123 and more; end.", "plain words, 123 and more; end.", 1},
};

START_TEST(autolink_forms_become_escaped_text)
{
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *md = text_of(forms[i].in);
		ck_assert_msg(strcmp(md, forms[i].md) == 0, "%s: wrote %s, want %s", forms[i].in,
			      md, forms[i].md);
		if (forms[i].same_text) {
			char *text = shown(md);
			ck_assert_msg(strcmp(text, forms[i].in) == 0, "%s shows as %s", forms[i].in,
				      text);
			free(text);
		}
		free(md);
	}
}
END_TEST

START_TEST(no_www_dot_colon_or_at_is_left_bare)
{
	static const char *const hostile[] = {
		"www.-a@2130706433/login www.-b@0x7f000001/x WWW.-c@017700000001/",
		"x@.y a@b.c.d a.@b.c a+b@c-d.e_f mailto:x@y.-z xmpp:x@y.z/r?x",
		"(www.a.b) *www.a.b* _www.a.b_ ~www.a.b~ \xc3\xa9www.-a.\xc3\xa9",
		"www.www.www. w.w.w. wwww.-x .www.-x www.\xe2\x80\xae-x",
	};
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char *md = text_of(hostile[i]);
		for (size_t j = 0; md[j]; j++) {
			ck_assert_msg(strncasecmp(md + j, "www.", 4) != 0, "www. in %s", md);
			if (md[j] == ':' || md[j] == '@')
				ck_assert_msg(j > 0 && md[j - 1] == '\\', "bare %c in %s", md[j],
					      md);
		}
		free(md);
	}
}
END_TEST

START_TEST(escapes_count_in_the_budget_and_are_never_split)
{
	struct strbuf sb;
	strbuf_init(&sb, 1 << 10);
	ck_assert_int_eq(md_text(&sb, "a@b", 4), 0);
	ck_assert_str_eq(sb.data, "a\\@b");
	sb.len = 0;
	ck_assert_int_eq(md_text(&sb, "ab@cdef", 6), 0);
	ck_assert_str_eq(sb.data, "ab...");
	sb.len = 0;
	ck_assert_int_eq(md_text(&sb, "abc:", 5), 0);
	ck_assert_str_eq(sb.data, "abc\\:");
	sb.len = 0;
	ck_assert_int_eq(md_text(&sb, "www.-abcdef", 8), 0);
	ck_assert_str_eq(sb.data, "www\\...."); /* "www\." then the ellipsis */
	/* Cut right after "www": "www..." would be a link, so one 'w' goes. */
	sb.len = 0;
	ck_assert_int_eq(md_text(&sb, "WWW.-abcdef", 6), 0);
	ck_assert_str_eq(sb.data, "WW...");
	sb.len = 0;
	ck_assert_int_eq(md_text(&sb, "a wwwww.-abcdef", 10), 0);
	ck_assert_str_eq(sb.data, "a ww...");
	strbuf_free(&sb);
}
END_TEST

START_TEST(code_spans_stay_verbatim_and_a_pipe_falls_back_to_text)
{
	struct strbuf sb;
	strbuf_init(&sb, 1 << 10);
	ck_assert_int_eq(md_code(&sb, "www.-a@2130706433/login", 100), 0);
	ck_assert_str_eq(sb.data, "`www.-a@2130706433/login`"); /* never linked in code */
	sb.len = 0;
	ck_assert_int_eq(md_code(&sb, "www.-a@x|y", 100), 0);
	ck_assert_str_eq(sb.data, "www\\.-a\\@x\\|y");
	sb.len = 0;
	ck_assert_int_eq(md_code(&sb,
				 "a\xc2\xad"
				 "b",
				 100),
			 0);
	ck_assert_str_eq(sb.data, "`a b`");
	/* 79 backticks inside: an 80-backtick fence still opens a code span in
	 * cmark-gfm; 80 inside would need 81, which it never reads. */
	char ticks[100];
	memset(ticks, '`', sizeof(ticks));
	memcpy(ticks + 79, " www.-a", 8);
	sb.len = 0;
	ck_assert_int_eq(md_code(&sb, ticks, 1000), 0);
	ck_assert_uint_eq(strspn(sb.data, "`"), 80);
	memset(ticks, '`', sizeof(ticks));
	memcpy(ticks + 80, " www.-a", 8);
	sb.len = 0;
	ck_assert_int_eq(md_code(&sb, ticks, 1000), 0);
	ck_assert_str_eq(sb.data + 160, " www\\.-a");
	ck_assert_uint_eq(strlen(sb.data), 168); /* 80 "\`", the text */
	strbuf_free(&sb);
}
END_TEST

static Suite *ctim_text_suite(void)
{
	Suite *s = suite_create("ctim_text");
	TCase *tc = tcase_create("markdown");
	tcase_add_test(tc, autolink_forms_become_escaped_text);
	tcase_add_test(tc, no_www_dot_colon_or_at_is_left_bare);
	tcase_add_test(tc, escapes_count_in_the_budget_and_are_never_split);
	tcase_add_test(tc, code_spans_stay_verbatim_and_a_pipe_falls_back_to_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctim_text_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
