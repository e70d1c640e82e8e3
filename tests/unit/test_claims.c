/* test_claims.c: a verified token's claims into the call's configuration (auth/claims.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "auth/claims.h"

/* Reads the claims of a payload given as JSON text; the limit starts at 100. */
static long read_json(const char *json, struct relay_claims *c)
{
	cJSON *p = cJSON_Parse(json);
	ck_assert_ptr_nonnull(p);
	long limit = 100;
	claims_read(p, &limit, c);
	cJSON_Delete(p);
	return limit;
}

START_TEST(the_entities_limit_claim_is_a_string_or_an_integer_cut_at_1000)
{
	struct relay_claims c;
	ck_assert_int_eq(read_json("{\"CTR_ENTITIES_LIMIT\":\"25\"}", &c), 25);
	ck_assert_int_eq(c.entities_limit_invalid, 0);
	ck_assert_int_eq(read_json("{\"CTR_ENTITIES_LIMIT\":7}", &c), 7);
	ck_assert_int_eq(read_json("{\"CTR_ENTITIES_LIMIT\":1000}", &c), 1000);
	ck_assert_int_eq(read_json("{\"CTR_ENTITIES_LIMIT\":1001}", &c), 1000);
	ck_assert_int_eq(read_json("{\"CTR_ENTITIES_LIMIT\":\"999999\"}", &c), 1000);
	ck_assert_int_eq(c.entities_limit_invalid, 0);
	ck_assert_int_eq(read_json("{}", &c), 100);
	ck_assert_int_eq(c.entities_limit_invalid, 0);
}
END_TEST

START_TEST(an_unusable_entities_limit_claim_falls_back_and_is_flagged)
{
	static const char *const bad[] = {"\"many\"", "0",    "-4",  "\"0\"",
					  "2.5",      "null", "[5]", "1e300"};
	struct relay_claims c;
	char json[64];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"CTR_ENTITIES_LIMIT\":%s}", bad[i]);
		ck_assert_msg(read_json(json, &c) == 100, "%s", bad[i]);
		ck_assert_msg(c.entities_limit_invalid == 1, "%s", bad[i]);
	}
}
END_TEST

START_TEST(the_key_claim_is_kept_only_when_printable_and_bounded)
{
	struct relay_claims c;
	read_json("{\"key\":\"abc-123_XYZ\"}", &c);
	ck_assert_int_eq(c.key_state, CLAIMS_KEY_OK);
	ck_assert_str_eq(c.key, "abc-123_XYZ");
	static const char *const bad[] = {
		"\"\"",		 "42",	      "null",	       "[\"k\"]", "\"a b\"",
		"\"a\\u0001b\"", "\"a\\nb\"", "\"caf\\u00e9\""};
	char json[64];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(json, sizeof(json), "{\"key\":%s}", bad[i]);
		read_json(json, &c);
		ck_assert_msg(c.key_state == CLAIMS_KEY_INVALID, "%s", bad[i]);
		ck_assert_msg(c.key[0] == '\0', "%s", bad[i]);
	}
	read_json("{}", &c);
	ck_assert_int_eq(c.key_state, CLAIMS_KEY_ABSENT);
}
END_TEST

START_TEST(a_key_of_256_is_kept_257_and_10_kb_are_not)
{
	size_t sizes[] = {256, 257, 10240};
	for (size_t i = 0; i < 3; i++) {
		char *json = malloc(sizes[i] + 16);
		ck_assert_ptr_nonnull(json);
		memcpy(json, "{\"key\":\"", 8);
		memset(json + 8, 'k', sizes[i]);
		memcpy(json + 8 + sizes[i], "\"}", 3);
		struct relay_claims c;
		read_json(json, &c);
		ck_assert_int_eq(c.key_state, i == 0 ? CLAIMS_KEY_OK : CLAIMS_KEY_INVALID);
		ck_assert_uint_eq(strlen(c.key), i == 0 ? 256 : 0);
		free(json);
	}
}
END_TEST

START_TEST(wiping_clears_the_key)
{
	struct relay_claims c;
	read_json("{\"key\":\"secret-key\"}", &c);
	claims_wipe(&c);
	static const struct relay_claims zero;
	ck_assert_int_eq(memcmp(&c, &zero, sizeof(c)), 0);
	claims_wipe(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("claims");
	TCase *tc = tcase_create("claims");
	tcase_add_test(tc, the_entities_limit_claim_is_a_string_or_an_integer_cut_at_1000);
	tcase_add_test(tc, an_unusable_entities_limit_claim_falls_back_and_is_flagged);
	tcase_add_test(tc, the_key_claim_is_kept_only_when_printable_and_bounded);
	tcase_add_test(tc, a_key_of_256_is_kept_257_and_10_kb_are_not);
	tcase_add_test(tc, wiping_clears_the_key);
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
