/* test_json_arena.c: the request arena cJSON allocates from
 * (lib/json_arena): a scope's memory is reused, what outlives its scope
 * aborts, and a missing cJSON_Delete is reported. */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_arena.h"
#include "lib/json_print.h"
#include "testutil.h"

static void arena_setup(void)
{
	json_arena_install();
}

static cJSON *small_answer(void)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "verdict");
	cJSON_AddNumberToObject(o, "disposition", 3);
	return o;
}

START_TEST(a_scope_rewinds_and_reuses_its_memory)
{
	json_arena_begin();
	cJSON *first = small_answer();
	uintptr_t a = (uintptr_t)first;
	cJSON_Delete(first);
	json_arena_end();

	json_arena_begin();
	cJSON *second = small_answer();
	/* The second request gets the same memory back: nothing went to malloc. */
	ck_assert_uint_eq((uintptr_t)second, a);
	ck_assert_str_eq(cJSON_GetObjectItem(second, "type")->valuestring, "verdict");
	cJSON_Delete(second);
	json_arena_end();
}
END_TEST

START_TEST(a_large_request_spans_chunks)
{
	json_arena_begin();
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; i < 200000; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString("a string of some length"));
	ck_assert_int_eq(cJSON_GetArraySize(a), 200000);
	char *buf = NULL;
	size_t cap = 0, len = 0;
	ck_assert_int_eq(json_print(a, &buf, &cap, &len), 0);
	ck_assert_uint_eq(len, 2 + 200000 * 25 + 199999);
	free(buf);
	cJSON_Delete(a);
	json_arena_end();
}
END_TEST

START_TEST(outside_a_scope_cjson_uses_malloc)
{
	cJSON *lasting = small_answer();      /* no scope: malloc */
	cJSON *freed_inside = small_answer(); /* malloc'd, given back during a scope */
	json_arena_begin();
	cJSON *transient = small_answer();
	cJSON_Delete(transient);
	cJSON_Delete(freed_inside); /* back to malloc: the scope's count stays right */
	json_arena_end();
	cJSON *cached = small_answer(); /* after the scope: malloc, may outlive */
	/* Both survive the scope and are freed normally afterwards. */
	ck_assert_str_eq(cJSON_GetObjectItem(lasting, "type")->valuestring, "verdict");
	ck_assert_str_eq(cJSON_GetObjectItem(cached, "type")->valuestring, "verdict");
	cJSON_Delete(lasting);
	cJSON_Delete(cached);
}
END_TEST

START_TEST(freeing_an_arena_block_outside_its_scope_aborts)
{
	json_arena_begin();
	void *p = cJSON_malloc(16);
	cJSON_free(p);
	json_arena_end();
	test_stderr_capture(); /* its "outlived its request" line is expected */
	cJSON_free(p);	       /* a block of a finished scope: abort */
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
START_TEST(a_missing_delete_is_reported_at_the_end_of_the_scope)
{
	json_arena_begin();
	cJSON *o = small_answer();
	(void)o;
	test_stderr_capture(); /* its "never freed" line is expected */
	json_arena_end();      /* the leak check aborts */
}
END_TEST
#endif

static Suite *json_arena_suite(void)
{
	Suite *s = suite_create("json_arena");
	TCase *a = tcase_create("arena");
	tcase_add_checked_fixture(a, arena_setup, NULL);
	tcase_add_test(a, a_scope_rewinds_and_reuses_its_memory);
	tcase_add_test(a, a_large_request_spans_chunks);
	tcase_add_test(a, outside_a_scope_cjson_uses_malloc);
	tcase_add_test_raise_signal(a, freeing_an_arena_block_outside_its_scope_aborts, SIGABRT);
#if defined(__SANITIZE_ADDRESS__)
	tcase_add_test_raise_signal(a, a_missing_delete_is_reported_at_the_end_of_the_scope,
				    SIGABRT);
#endif
	suite_add_tcase(s, a);
	return s;
}

int main(void)
{
	return test_run_suite(json_arena_suite());
}
