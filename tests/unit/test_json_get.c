/* test_json_get.c: strict parsing of one untrusted JSON document and typed
 * member reads (lib/json_get). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_get.h"
#include "testutil.h"

static enum json_get_status parse(const char *text, size_t *at)
{
	cJSON *json = NULL;
	enum json_get_status rc = json_get_document(text, text ? strlen(text) : 0, &json, at);
	ck_assert(rc == JSON_GET_OK ? json != NULL : json == NULL);
	cJSON_Delete(json);
	return rc;
}

START_TEST(document_takes_one_value_with_white_space_around)
{
	size_t at = 99;
	ck_assert_int_eq(parse(" {\"a\": [1, \"x\"]}\r\n\t ", &at), JSON_GET_OK);
	ck_assert_uint_eq(at, 0);
	ck_assert_int_eq(parse("\"plain\"", NULL), JSON_GET_OK);
}
END_TEST

START_TEST(document_refuses_trailing_bytes_where_they_start)
{
	size_t at = 0;
	ck_assert_int_eq(parse("{} {}", &at), JSON_GET_TRAILING);
	ck_assert_uint_eq(at, 3);
	ck_assert_int_eq(parse("[1]x", &at), JSON_GET_TRAILING);
	ck_assert_uint_eq(at, 3);
}
END_TEST

START_TEST(document_refuses_a_nul_escape_before_cjson_cuts_the_string)
{
	size_t at = 0;
	ck_assert_int_eq(parse("{\"v\": \"1.2.3.4\\u0000x\"}", &at), JSON_GET_NUL_ESCAPE);
	ck_assert_uint_eq(at, 14);
	/* An escaped backslash followed by u0000 is text, not the escape. */
	ck_assert_int_eq(parse("\"\\\\u0000\"", NULL), JSON_GET_OK);
}
END_TEST

START_TEST(document_refuses_empty_bad_and_too_deep_input)
{
	ck_assert_int_eq(parse("", NULL), JSON_GET_SYNTAX);
	ck_assert_int_eq(parse(NULL, NULL), JSON_GET_SYNTAX);
	ck_assert_int_eq(parse("{\"a\":", NULL), JSON_GET_SYNTAX);
	char deep[2 * CJSON_NESTING_LIMIT + 8];
	size_t n = CJSON_NESTING_LIMIT + 2;
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	deep[2 * n] = '\0';
	ck_assert_int_eq(parse(deep, NULL), JSON_GET_SYNTAX);
}
END_TEST

START_TEST(string_field_tells_absent_from_wrong_type)
{
	cJSON *o = cJSON_Parse("{\"s\":\"x\",\"n\":1,\"z\":null,\"e\":\"\"}");
	const char *s = "unchanged";
	ck_assert_int_eq(json_get_string_field(o, "s", &s), JSON_GET_OK);
	ck_assert_str_eq(s, "x");
	ck_assert_int_eq(json_get_string_field(o, "e", &s), JSON_GET_OK);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(json_get_string_field(o, "n", &s), JSON_GET_WRONG_TYPE);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(json_get_string_field(o, "z", &s), JSON_GET_WRONG_TYPE);
	ck_assert_int_eq(json_get_string_field(o, "missing", &s), JSON_GET_ABSENT);
	ck_assert_int_eq(json_get_string_field(o, "S", &s), JSON_GET_ABSENT); /* case counts */
	ck_assert_ptr_null(json_get_string(o, "n"));
	ck_assert_str_eq(json_get_string(o, "s"), "x");
	cJSON_Delete(o);
}
END_TEST

START_TEST(members_of_a_non_object_are_absent)
{
	cJSON *a = cJSON_Parse("[{\"s\":\"x\"}]");
	const char *s;
	double d = 7;
	ck_assert_int_eq(json_get_string_field(a, "s", &s), JSON_GET_ABSENT);
	ck_assert_int_eq(json_get_string_field(NULL, "s", &s), JSON_GET_ABSENT);
	ck_assert_int_eq(json_get_number(a, "s", &d), JSON_GET_ABSENT);
	ck_assert_ptr_null(json_get_string(NULL, "s"));
	ck_assert(d == 7);
	cJSON_Delete(a);
}
END_TEST

START_TEST(number_field_is_read_only_from_numbers)
{
	cJSON *o = cJSON_Parse("{\"n\":1.5e3,\"s\":\"12\"}");
	double d = 0;
	ck_assert_int_eq(json_get_number(o, "n", &d), JSON_GET_OK);
	ck_assert(d == 1500.0);
	ck_assert_int_eq(json_get_number(o, "s", &d), JSON_GET_WRONG_TYPE);
	ck_assert(d == 1500.0);
	ck_assert_int_eq(json_get_number(o, "x", &d), JSON_GET_ABSENT);
	cJSON_Delete(o);
}
END_TEST

static Suite *json_get_suite(void)
{
	Suite *s = suite_create("json_get");
	TCase *doc = tcase_create("document");
	tcase_add_test(doc, document_takes_one_value_with_white_space_around);
	tcase_add_test(doc, document_refuses_trailing_bytes_where_they_start);
	tcase_add_test(doc, document_refuses_a_nul_escape_before_cjson_cuts_the_string);
	tcase_add_test(doc, document_refuses_empty_bad_and_too_deep_input);
	suite_add_tcase(s, doc);
	TCase *fields = tcase_create("fields");
	tcase_add_test(fields, string_field_tells_absent_from_wrong_type);
	tcase_add_test(fields, members_of_a_non_object_are_absent);
	tcase_add_test(fields, number_field_is_read_only_from_numbers);
	suite_add_tcase(s, fields);
	return s;
}

int main(void)
{
	return test_run_suite(json_get_suite());
}
