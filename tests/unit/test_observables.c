/* test_observables.c: a request's observables (http/observables.c): the bad
 * items named and left out, duplicates kept once, hostile bodies refused. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/observables.h"
#include "testutil.h"

START_TEST(observables_parse_names_the_bad_item_and_keeps_the_good_ones)
{
	struct observable_list list;
	char err[256];
	const char *body = "[{\"type\":\"IP\",\"value\":\"1.2.3.4\"},7,{\"type\":\"ip\"},"
			   "{\"type\":\"ip\",\"value\":\"\"},{\"type\":5,\"value\":\"x\"},"
			   "{\"type\":\"ip\",\"value\":\"1.2.3.4\"},{\"type\":\"ip\",\"value\":"
			   "\"1.2.3.4\",\"extra\":1}]";
	ck_assert_int_eq(observables_parse(body, strlen(body), &list, err, sizeof(err)), RELAY_OK);
	ck_assert_uint_eq(list.count, 1); /* duplicates, type case-insensitive, kept once */
	ck_assert_str_eq(list.items[0].type, "ip");
	ck_assert_str_eq(list.items[0].value, "1.2.3.4");
	ck_assert_uint_eq(list.n_problems, 4);
	ck_assert_ptr_nonnull(strstr(list.problems[0], "observables[1]"));
	ck_assert_ptr_nonnull(strstr(list.problems[1], "observables[2].value"));
	ck_assert_ptr_nonnull(
		strstr(list.problems[2], "observables[3].value: must be a non-empty"));
	ck_assert_ptr_nonnull(strstr(list.problems[3], "observables[4].type: must be a string"));
	observables_free(&list);
}
END_TEST

START_TEST(observables_parse_refuses_invalid_utf8_and_deep_nesting)
{
	struct observable_list list;
	char err[256];
	const char bad[] = "[{\"type\":\"ip\",\"value\":\"\xff\xfe\"}]";
	ck_assert_int_eq(observables_parse(bad, strlen(bad), &list, err, sizeof(err)),
			 RELAY_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_nonnull(strstr(err, "UTF-8"));
	observables_free(&list);

	size_t depth = 100000;
	char *deep = malloc(depth * 2 + 1);
	memset(deep, '[', depth);
	memset(deep + depth, ']', depth);
	deep[depth * 2] = '\0';
	ck_assert_int_eq(observables_parse(deep, depth * 2, &list, err, sizeof(err)),
			 RELAY_ERR_INVALID_ARGUMENT);
	observables_free(&list);
	free(deep);
}
END_TEST

START_TEST(observables_parse_handles_thousands_of_items)
{
	size_t n = 20000;
	char *body = malloc(n * 48 + 8);
	size_t o = 0;
	body[o++] = '[';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(body + o, 48,
				      "%s{\"type\":\"ip\",\"value\":\"10.%zu.%zu.1\"}",
				      i ? "," : "", i / 256, i % 256);
	body[o++] = ']';
	body[o] = '\0';
	struct observable_list list;
	char err[256];
	ck_assert_int_eq(observables_parse(body, o, &list, err, sizeof(err)), RELAY_OK);
	ck_assert_uint_eq(list.count, n);
	observables_free(&list);
	free(body);
}
END_TEST

static Suite *observables_suite(void)
{
	Suite *s = suite_create("observables");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, observables_parse_names_the_bad_item_and_keeps_the_good_ones);
	tcase_add_test(tc, observables_parse_refuses_invalid_utf8_and_deep_nesting);
	tcase_add_test(tc, observables_parse_handles_thousands_of_items);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(observables_suite());
}
