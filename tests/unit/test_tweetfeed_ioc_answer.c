/* test_tweetfeed_ioc_answer.c: TweetFeed's /v1/ioc answer (ioc_answer.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "modules/tweetfeed/ioc_answer.h"

static enum relay_err parse(struct arena *a, const char *json, struct tweetfeed_ioc_answer *out)
{
	char err[256] = "";
	return tweetfeed_ioc_parse(json, strlen(json), a, out, err, sizeof(err));
}

START_TEST(a_found_answer_gives_bounded_clean_records)
{
	struct arena a;
	arena_init(&a, 4096);
	struct tweetfeed_ioc_answer ans;
	ck_assert_int_eq(
		parse(&a,
		      "{\"found\":true,\"query\":\"1.2.3.4\",\"window\":\"365d\",\"ai\":{},"
		      "\"records\":[{\"type\":\"ip\",\"value\":\"1[.]2.3.4\","
		      "\"first_seen\":\"2026-01-02 03:04:05\",\"last_seen\":\"2026-03-01 "
		      "00:00:00\","
		      "\"count\":7,\"users\":[\"@alice\",\"alice\",\"bad user\",3],"
		      "\"tags\":[\"#c2\",\"c2\",\"\"],"
		      "\"tweets\":[\"https://x.com/alice/status/1?s=1\",\"https://evil/a/status/"
		      "2\","
		      "\"https://twitter.com/bob/status/3\",\"https://x.com/c/status/4\","
		      "\"https://x.com/d/status/5\",\"https://x.com/e/status/6\","
		      "\"https://x.com/f/status/7\"]}]}",
		      &ans),
		RELAY_OK);
	ck_assert_int_eq(ans.found, 1);
	ck_assert_uint_eq(ans.n_records, 1);
	const struct tweetfeed_record *r = &ans.records[0];
	ck_assert_str_eq(r->value, "1.2.3.4");
	ck_assert_int_eq(r->count, 7);
	ck_assert(r->last_seen > r->first_seen);
	ck_assert_uint_eq(r->n_users, 1);
	ck_assert_str_eq(r->users[0], "alice");
	ck_assert_uint_eq(r->n_tags, 1);
	ck_assert_uint_eq(r->n_tweets, 5);
	ck_assert_str_eq(r->tweets[0], "https://twitter.com/alice/status/1");
	ck_assert_str_eq(r->tweets[1], "https://twitter.com/bob/status/3");
	arena_free(&a);
}
END_TEST

START_TEST(records_of_the_wrong_shape_are_skipped)
{
	struct arena a;
	arena_init(&a, 4096);
	struct tweetfeed_ioc_answer ans;
	ck_assert_int_eq(parse(&a,
			       "{\"found\":true,\"records\":[1,{},"
			       "{\"type\":\"ip\",\"value\":\"1.1.1.1\",\"first_seen\":\"x\","
			       "\"last_seen\":\"2026-01-01 00:00:00\"},"
			       "{\"type\":\"ip\",\"value\":\"1.1.1.1\","
			       "\"first_seen\":\"2026-02-01 00:00:00\","
			       "\"last_seen\":\"2026-01-01 00:00:00\"},"
			       "{\"type\":\"ip\",\"value\":\"1.1.1.1\","
			       "\"first_seen\":\"2026-01-01 00:00:00\","
			       "\"last_seen\":\"2026-01-01 00:00:00\",\"count\":-3,"
			       "\"users\":\"alice\",\"tags\":null}]}",
			       &ans),
			 RELAY_OK);
	ck_assert_uint_eq(ans.n_records, 1);
	ck_assert_uint_eq(ans.skipped, 4);
	ck_assert_int_eq(ans.records[0].count, 1);
	ck_assert_uint_eq(ans.records[0].n_users, 0);
	arena_free(&a);
}
END_TEST

START_TEST(an_answer_of_the_wrong_shape_is_a_key_error)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"found\":1}",
		"{\"found\":true",
		"<html>",
		"{\"found\":true,\"records\":[]} x",
		"{\"found\":\"\\u0000true\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct arena a;
		arena_init(&a, 4096);
		struct tweetfeed_ioc_answer ans;
		ck_assert_msg(parse(&a, bad[i], &ans) == RELAY_ERR_KEY_ERROR, "%s", bad[i]);
		arena_free(&a);
	}
	struct arena a;
	arena_init(&a, 4096);
	struct tweetfeed_ioc_answer ans;
	ck_assert_int_eq(parse(&a, "{\"found\":false,\"records\":[{}]}", &ans), RELAY_OK);
	ck_assert_int_eq(ans.found, 0);
	ck_assert_uint_eq(ans.n_records, 0);
	arena_free(&a);
}
END_TEST

START_TEST(many_records_are_cut_to_the_limit)
{
	struct arena a;
	arena_init(&a, 4096);
	char json[16384] = "{\"found\":true,\"records\":[";
	for (int i = 0; i < 40; i++) {
		char rec[256];
		snprintf(rec, sizeof(rec),
			 "%s{\"type\":\"domain\",\"value\":\"d%d.example\","
			 "\"first_seen\":\"2026-01-01 00:00:00\",\"last_seen\":\"2026-01-02 "
			 "00:00:00\"}",
			 i ? "," : "", i);
		strncat(json, rec, sizeof(json) - strlen(json) - 1);
	}
	strncat(json, "]}", sizeof(json) - strlen(json) - 1);
	struct tweetfeed_ioc_answer ans;
	ck_assert_int_eq(parse(&a, json, &ans), RELAY_OK);
	ck_assert_uint_eq(ans.n_records, TWEETFEED_MAX_RECORDS);
	arena_free(&a);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tweetfeed_ioc_answer");
	TCase *tc = tcase_create("answer");
	tcase_add_test(tc, a_found_answer_gives_bounded_clean_records);
	tcase_add_test(tc, records_of_the_wrong_shape_are_skipped);
	tcase_add_test(tc, an_answer_of_the_wrong_shape_is_a_key_error);
	tcase_add_test(tc, many_records_are_cut_to_the_limit);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
