/* test_json_print.c: lib/json_print prints byte for byte what
 * cJSON_PrintUnformatted prints, faster, and fails where cJSON would. */
#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_print.h"
#include "testutil.h"

/* json_print's text of `item` equals cJSON_PrintUnformatted's. */
static void assert_same_print(const cJSON *item)
{
	char *want = cJSON_PrintUnformatted(item);
	ck_assert_ptr_nonnull(want);
	char *buf = NULL;
	size_t cap = 0, len = 0;
	ck_assert_int_eq(json_print(item, &buf, &cap, &len), 0);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(buf, want);
	free(buf);
	cJSON_free(want);
}

START_TEST(every_byte_in_values_and_keys)
{
	char s[2] = {0, 0};
	cJSON *o = cJSON_CreateObject();
	for (int c = 1; c < 256; c++) {
		s[0] = (char)c;
		char key[8];
		snprintf(key, sizeof(key), "k%c", c);
		cJSON_AddItemToObject(o, key, cJSON_CreateString(s));
	}
	cJSON_AddItemToObject(o, "mixed",
			      cJSON_CreateString("a\"b\\c\b\f\n\r\t\x01\x1f/\x7f\xc3\xa9z"));
	assert_same_print(o);
	cJSON_Delete(o);
}
END_TEST

START_TEST(numbers_as_cjson_prints_them)
{
	static const double values[] = {
		0,
		-0.0,
		1,
		-1,
		2147483647.0,
		-2147483648.0,
		2147483648.0,
		-2147483649.0,
		1e300,
		-1e-300,
		0.1,
		1.0 / 3,
		123456789012345678.0,
		0.30000000000000004,
		5e-324,
		1.7976931348623157e308,
		42.5,
		1e15,
		1e16,
		1e17,
		NAN,
		INFINITY,
		-INFINITY,
	};
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(values[i]));
	assert_same_print(a);
	cJSON_Delete(a);
}
END_TEST

START_TEST(literals_raw_empty_containers_and_null_strings)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "n", cJSON_CreateNull());
	cJSON_AddItemToObject(o, "t", cJSON_CreateTrue());
	cJSON_AddItemToObject(o, "f", cJSON_CreateFalse());
	cJSON_AddItemToObject(o, "raw", cJSON_CreateRaw("{\"pre\": [1, 2]}"));
	cJSON_AddItemToObject(o, "ea", cJSON_CreateArray());
	cJSON_AddItemToObject(o, "eo", cJSON_CreateObject());
	cJSON *nested = cJSON_CreateArray();
	cJSON_AddItemToArray(nested, cJSON_CreateArray());
	cJSON_AddItemToArray(nested, cJSON_CreateObject());
	cJSON_AddItemToObject(o, "nested", nested);
	cJSON *s = cJSON_CreateString("x");
	free(s->valuestring);
	s->valuestring = NULL; /* cJSON prints a string without text as "" */
	cJSON_AddItemToObject(o, "nullstr", s);
	cJSON *keyless = cJSON_CreateNumber(7);
	cJSON_AddItemToArray(cJSON_GetObjectItem(o, "eo"), keyless); /* no key: "" */
	assert_same_print(o);
	cJSON_Delete(o);
}
END_TEST

/* Random trees, seeded: what the answers are made of, in any mix. */
static cJSON *random_tree(unsigned *seed, int depth)
{
	int kind = rand_r(seed) % (depth > 4 ? 5 : 8);
	switch (kind) {
	case 0: return cJSON_CreateNull();
	case 1: return cJSON_CreateBool(rand_r(seed) & 1);
	case 2:
		return cJSON_CreateNumber((double)(rand_r(seed) - RAND_MAX / 2) /
					  (rand_r(seed) % 7 + 1));
	case 3:
	case 4: {
		char s[32];
		size_t n = (size_t)(rand_r(seed) % 31);
		for (size_t i = 0; i < n; i++)
			s[i] = (char)(rand_r(seed) % 255 + 1);
		s[n] = '\0';
		return cJSON_CreateString(s);
	}
	case 5:
	case 6: {
		cJSON *a = cJSON_CreateArray();
		for (int i = rand_r(seed) % 6; i > 0; i--)
			cJSON_AddItemToArray(a, random_tree(seed, depth + 1));
		return a;
	}
	default: {
		cJSON *o = cJSON_CreateObject();
		for (int i = rand_r(seed) % 6; i > 0; i--) {
			char key[8];
			snprintf(key, sizeof(key), "k%d\n", rand_r(seed) % 100);
			cJSON_AddItemToObject(o, key, random_tree(seed, depth + 1));
		}
		return o;
	}
	}
}

START_TEST(random_trees_print_identically)
{
	unsigned seed = 20261123;
	for (int i = 0; i < 500; i++) {
		cJSON *t = random_tree(&seed, 0);
		assert_same_print(t);
		cJSON_Delete(t);
	}
}
END_TEST

START_TEST(grows_a_small_buffer_and_reuses_it)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < 5000; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString("twenty bytes of text"));
	char *buf = malloc(1);
	size_t cap = 1, len = 0;
	ck_assert_int_eq(json_print(a, &buf, &cap, &len), 0);
	ck_assert_uint_gt(cap, len);
	ck_assert_uint_eq(len, strlen(buf));
	ck_assert_uint_eq(len, 2 + 5000 * 22 + 4999);
	char *first = buf;
	ck_assert_int_eq(json_print(a->child, &buf, &cap, &len), 0);
	ck_assert_ptr_eq(buf, first); /* big enough: no new buffer */
	ck_assert_str_eq(buf, "\"twenty bytes of text\"");
	free(buf);
	cJSON_Delete(a);
}
END_TEST

START_TEST(what_cjson_cannot_print_fails)
{
	cJSON *raw = cJSON_CreateRaw("1");
	free(raw->valuestring);
	raw->valuestring = NULL;
	cJSON *invalid = cJSON_CreateNull();
	invalid->type = cJSON_Invalid;
	char *buf = NULL;
	size_t cap = 0, len = 99;
	ck_assert_int_eq(json_print(raw, &buf, &cap, &len), -1);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(json_print(invalid, &buf, &cap, &len), -1);
	ck_assert_int_eq(json_print(NULL, &buf, &cap, &len), -1);
	ck_assert_ptr_null(cJSON_PrintUnformatted(raw));
	ck_assert_ptr_null(cJSON_PrintUnformatted(invalid));
	free(buf);
	cJSON_Delete(raw);
	cJSON_Delete(invalid);
}
END_TEST

static Suite *json_print_suite(void)
{
	Suite *s = suite_create("json_print");
	TCase *p = tcase_create("print");
	tcase_add_test(p, every_byte_in_values_and_keys);
	tcase_add_test(p, numbers_as_cjson_prints_them);
	tcase_add_test(p, literals_raw_empty_containers_and_null_strings);
	tcase_add_test(p, random_trees_print_identically);
	tcase_add_test(p, grows_a_small_buffer_and_reuses_it);
	tcase_add_test(p, what_cjson_cannot_print_fails);
	suite_add_tcase(s, p);
	return s;
}

int main(void)
{
	return test_run_suite(json_print_suite());
}
