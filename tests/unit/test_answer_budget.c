/* test_answer_budget.c: the answer budget (http/answer_budget.c): its size
 * bound never undercounts, and over RELAY_MAX_ANSWER_BYTES it leaves
 * entities out (sightings before verdicts) and says so. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/answer_budget.h"
#include "http/response.h"
#include "lib/json_print.h"
#include "testutil.h"

static size_t printed_len(const cJSON *item)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	ck_assert_int_eq(json_print(item, &buf, &cap, &len), 0);
	free(buf);
	return len;
}

START_TEST(size_bound_never_undercounts)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "plain", "abc");
	cJSON_AddStringToObject(o, "esc\"aped\n", "\x01\x02\"\\\n\t\x1f");
	cJSON_AddStringToObject(o, "utf8", "\xc3\xa9\xe2\x82\xac");
	cJSON_AddNumberToObject(o, "n", -1.2345678901234567e+308);
	cJSON_AddNumberToObject(o, "i", 42);
	cJSON_AddTrueToObject(o, "t");
	cJSON_AddFalseToObject(o, "f");
	cJSON_AddNullToObject(o, "z");
	cJSON_AddRawToObject(o, "raw", "[1,2,{\"a\":\"b\"}]");
	cJSON *arr = cJSON_AddArrayToObject(o, "arr");
	cJSON_AddItemToArray(arr, cJSON_CreateString(""));
	cJSON_AddItemToArray(arr, cJSON_CreateObject());
	cJSON_AddItemToArray(arr, cJSON_CreateArray());
	ck_assert_uint_ge(answer_budget_bound(o), printed_len(o));
	cJSON_Delete(o);
}
END_TEST

/* {"verdicts": {"count": n, "docs": [...]}, "sightings": {...}} of n and m entities. */
static cJSON *answer_of(int verdicts, int sightings)
{
	cJSON *data = cJSON_CreateObject();
	const char *names[] = {"sightings", "verdicts"};
	int counts[] = {sightings, verdicts};
	for (int k = 0; k < 2; k++) {
		cJSON *docs = cJSON_CreateArray();
		for (int i = 0; i < counts[k]; i++) {
			cJSON *e = cJSON_CreateObject();
			char v[64];
			snprintf(v, sizeof(v), "%s-%04d-%s", names[k], i,
				 "padding-padding-padding-padding-padding-padding");
			cJSON_AddStringToObject(e, "value", v);
			cJSON_AddItemToArray(docs, e);
		}
		cJSON *holder = cJSON_CreateObject();
		cJSON_AddNumberToObject(holder, "count", counts[k]);
		cJSON_AddItemToObject(holder, "docs", docs);
		cJSON_AddItemToObject(data, names[k], holder);
	}
	return data;
}

static int count_of(const cJSON *data, const char *list)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(data, list);
	if (!l)
		return -1;
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(l, "docs"));
	ck_assert_int_eq((int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(l, "count")),
			 n);
	return n;
}

START_TEST(budget_leaves_sightings_out_before_verdicts_and_says_so)
{
	struct relay_response res;
	response_init(&res);
	response_set_data(&res, answer_of(20, 200)); /* each entity is ~75 bytes */
	response_add_error(&res, RELAY_ERR_UNAVAILABLE, "one upstream failed");
	answer_budget_apply(&res, 4096);
	size_t len;
	const char *body = response_render_view(&res, &len);
	ck_assert_uint_le(len, 4096);
	cJSON *a = cJSON_ParseWithLength(body, len);
	ck_assert_ptr_nonnull(a);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(a, "data");
	ck_assert_int_eq(count_of(data, "verdicts"), 20);
	int kept = count_of(data, "sightings");
	ck_assert(kept > 0 && kept < 200);
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(a, "errors");
	ck_assert_int_eq(cJSON_GetArraySize(errors), 2); /* the module's error stays */
	const cJSON *w = cJSON_GetArrayItem(errors, 1);
	ck_assert_str_eq(cJSON_GetObjectItem(w, "code")->valuestring, "too-many-entities");
	char expected[160];
	snprintf(expected, sizeof(expected),
		 "%d entities were left out: the answer would have been larger than 4096 bytes "
		 "(RELAY_MAX_ANSWER_BYTES).",
		 200 - kept);
	ck_assert_str_eq(cJSON_GetObjectItem(w, "message")->valuestring, expected);
	cJSON_Delete(a);
	response_free(&res);
}
END_TEST

START_TEST(budget_drops_an_emptied_list_and_cuts_a_bare_array)
{
	struct relay_response res;
	response_init(&res);
	cJSON *data = answer_of(1, 1);
	char big[3000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cJSON *sighting = cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(data, "sightings"), "docs"), 0);
	cJSON_AddStringToObject(sighting, "description", big);
	response_set_data(&res, data);
	answer_budget_apply(&res, 1000);
	size_t len;
	const char *body = response_render_view(&res, &len);
	ck_assert_uint_le(len, 1000);
	cJSON *a = cJSON_ParseWithLength(body, len);
	ck_assert_int_eq(count_of(cJSON_GetObjectItem(a, "data"), "verdicts"), 1);
	ck_assert_int_eq(count_of(cJSON_GetObjectItem(a, "data"), "sightings"), -1);
	cJSON_Delete(a);
	response_free(&res);

	response_init(&res);
	cJSON *list = cJSON_CreateArray();
	for (int i = 0; i < 1000; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString("a refer object, more or less"));
	response_set_data(&res, list);
	answer_budget_apply(&res, 5000);
	body = response_render_view(&res, &len);
	ck_assert_uint_le(len, 5000);
	a = cJSON_ParseWithLength(body, len);
	int kept = cJSON_GetArraySize(cJSON_GetObjectItem(a, "data"));
	ck_assert(kept > 100 && kept < 1000);
	cJSON_Delete(a);
	response_free(&res);
}
END_TEST

START_TEST(budget_leaves_a_small_answer_alone)
{
	struct relay_response res;
	response_init(&res);
	response_set_data(&res, answer_of(3, 3));
	answer_budget_apply(&res, 4096);
	ck_assert_ptr_null(res.errors);
	ck_assert_int_eq(count_of(res.data, "sightings"), 3);
	answer_budget_apply(&res, 0); /* 0: no budget */
	ck_assert_ptr_null(res.errors);
	response_free(&res);
}
END_TEST

static Suite *answer_budget_suite(void)
{
	Suite *s = suite_create("answer_budget");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, size_bound_never_undercounts);
	tcase_add_test(tc, budget_leaves_sightings_out_before_verdicts_and_says_so);
	tcase_add_test(tc, budget_drops_an_emptied_list_and_cuts_a_bare_array);
	tcase_add_test(tc, budget_leaves_a_small_answer_alone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(answer_budget_suite());
}
