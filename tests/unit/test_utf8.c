/* test_utf8.c: UTF-8 validation, boundary cuts and U+FFFD repair. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"

START_TEST(utf8_valid_refuses_overlongs_surrogates_nul_and_truncation)
{
	ck_assert(utf8_valid("abc \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 15));
	ck_assert(!utf8_valid("\xC0\xAF", 2));	       /* overlong '/' */
	ck_assert(!utf8_valid("\xED\xA0\x80", 3));     /* surrogate */
	ck_assert(!utf8_valid("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
	ck_assert(!utf8_valid("a\0b", 3));
	ck_assert(!utf8_valid("\xC3", 1));
	ck_assert(!utf8_valid("\xFF", 1));
}
END_TEST

START_TEST(utf8_cut_never_splits_a_character)
{
	const char *s = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"; /* a é € 😀: 1+2+3+4 */
	size_t len = strlen(s);
	static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 10};
	for (size_t max = 0; max <= len + 1; max++) {
		size_t n = utf8_cut(s, len, max);
		ck_assert_msg(n == want[max], "max %zu: %zu", max, n);
		ck_assert(utf8_valid(s, n));
	}
}
END_TEST

START_TEST(utf8_sanitize_replaces_each_bad_byte_and_fits_the_buffer)
{
	char out[32];
	size_t n = utf8_sanitize("\xFF\xFE"
				 "abc",
				 5, out, sizeof(out));
	ck_assert_str_eq(out, "\xEF\xBF\xBD\xEF\xBF\xBD"
			      "abc");
	ck_assert_uint_eq(n, 9);
	n = utf8_sanitize("a\0b\xC3\xA9", 5, out, sizeof(out));
	ck_assert_str_eq(out, "a\xEF\xBF\xBD"
			      "b\xC3\xA9");
	/* A character that does not fit is left out whole. */
	n = utf8_sanitize("ab\xC3\xA9", 4, out, 4);
	ck_assert_str_eq(out, "ab");
	ck_assert_uint_eq(n, 2);
	n = utf8_sanitize("\xFF", 1, out, 3);
	ck_assert_str_eq(out, "");
	ck_assert(utf8_valid(out, n));
}
END_TEST

static Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, utf8_valid_refuses_overlongs_surrogates_nul_and_truncation);
	tcase_add_test(tc, utf8_cut_never_splits_a_character);
	tcase_add_test(tc, utf8_sanitize_replaces_each_bad_byte_and_fits_the_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(utf8_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
