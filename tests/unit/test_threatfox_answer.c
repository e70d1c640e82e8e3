/* test_threatfox_answer.c: ThreatFox's answer, exact matching, confidence (answer.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "modules/threatfox/answer.h"

static enum relay_err parse(struct arena *a, const char *json, struct threatfox_answer *out)
{
	char err[256] = "";
	return threatfox_parse(json, strlen(json), a, out, err, sizeof(err));
}

#define RECORD(id, ioc, type)                                                           \
	"{\"id\":" id ",\"ioc\":\"" ioc "\",\"threat_type\":\"botnet_cc\","             \
	"\"threat_type_desc\":\"Botnet C2\",\"ioc_type\":\"" type "\","                 \
	"\"malware\":\"win.cobalt_strike\",\"malware_printable\":\"Cobalt Strike\","    \
	"\"malware_alias\":\"Agentemis, BEACON,CobaltStrike\",\"confidence_level\":75," \
	"\"first_seen\":\"2026-11-01 10:00:00 UTC\",\"last_seen\":null,"                \
	"\"reference\":\"https://example.org/report\",\"reporter\":\"abuse_ch\","       \
	"\"tags\":[\"c2\",\"CobaltStrike\"]}"

START_TEST(an_ok_answer_gives_checked_records)
{
	struct arena a;
	arena_init(&a, 4096);
	struct threatfox_answer ans;
	ck_assert_int_eq(
		parse(&a,
		      "{\"query_status\":\"ok\",\"data\":[" RECORD(
			      "41", "1.2.3.4:443", "ip:port") "," RECORD("\"42\"", "evil.example",
									 "domain") "]}",
		      &ans),
		RELAY_OK);
	ck_assert_int_eq(ans.status, THREATFOX_OK);
	ck_assert_uint_eq(ans.n_records, 2);
	const struct threatfox_record *r = &ans.records[0];
	ck_assert_str_eq(r->id, "41");
	ck_assert_str_eq(r->malware_printable, "Cobalt Strike");
	ck_assert_uint_eq(r->n_aliases, 3);
	ck_assert_str_eq(r->aliases[1], "BEACON");
	ck_assert_int_eq(r->confidence, 75);
	ck_assert(r->first_seen > 0);
	ck_assert(r->last_seen < 0);
	ck_assert_str_eq(r->reference, "https://example.org/report");
	ck_assert_uint_eq(r->n_tags, 2);
	ck_assert_str_eq(ans.records[1].id, "42");
	arena_free(&a);
}
END_TEST

START_TEST(no_result_and_other_statuses)
{
	struct arena a;
	arena_init(&a, 4096);
	struct threatfox_answer ans;
	ck_assert_int_eq(parse(&a,
			       "{\"query_status\":\"no_result\",\"data\":\"Your search did not "
			       "yield any results\"}",
			       &ans),
			 RELAY_OK);
	ck_assert_int_eq(ans.status, THREATFOX_NO_RESULT);
	ck_assert_int_eq(parse(&a, "{\"query_status\":\"ok\",\"data\":[]}", &ans), RELAY_OK);
	ck_assert_int_eq(ans.status, THREATFOX_NO_RESULT);
	ck_assert_int_eq(
		parse(&a, "{\"query_status\":\"illegal_search_term\\n\\u001b[31m\"}", &ans),
		RELAY_OK);
	ck_assert_int_eq(ans.status, THREATFOX_REFUSED);
	ck_assert_str_eq(ans.status_text, "illegal_search_term??[31m");
	arena_free(&a);
}
END_TEST

START_TEST(answers_of_the_wrong_shape_are_key_errors)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"query_status\":1}",
		"{\"query_status\":\"ok\"}",
		"{\"query_status\":\"ok\",\"data\":{}}",
		"<html>",
		"{\"query_status\":\"ok\",\"data\":[]} x",
		"{\"query_status\":\"ok\\u0000\",\"data\":[]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct arena a;
		arena_init(&a, 4096);
		struct threatfox_answer ans;
		ck_assert_msg(parse(&a, bad[i], &ans) == RELAY_ERR_KEY_ERROR, "%s", bad[i]);
		arena_free(&a);
	}
}
END_TEST

START_TEST(records_of_the_wrong_shape_are_skipped_the_others_kept)
{
	struct arena a;
	arena_init(&a, 4096);
	struct threatfox_answer ans;
	ck_assert_int_eq(
		parse(&a,
		      "{\"query_status\":\"ok\",\"data\":[1,{},"
		      "{\"id\":\"x1\",\"ioc\":\"a\",\"ioc_type\":\"domain\"},"
		      "{\"id\":5,\"ioc\":7,\"ioc_type\":\"domain\"},"
		      "{\"id\":6,\"ioc\":\"a.example\",\"ioc_type\":\"domain\","
		      "\"confidence_level\":\"high\"},"
		      "{\"id\":7,\"ioc\":\"a.example\",\"ioc_type\":\"domain\","
		      "\"first_seen\":\"yesterday\"},"
		      "{\"id\":8,\"ioc\":\"a.example\",\"ioc_type\":\"domain\",\"tags\":null,"
		      "\"last_seen\":null,\"reference\":\"javascript:alert(1)\","
		      "\"malware_printable\":\"[x](http://evil)\"}]}",
		      &ans),
		RELAY_OK);
	ck_assert_uint_eq(ans.n_records, 1);
	ck_assert_uint_eq(ans.skipped, 6);
	ck_assert_ptr_null(ans.records[0].reference);
	ck_assert_uint_eq(ans.records[0].n_tags, 0);
	ck_assert_str_eq(ans.records[0].malware_printable, "[x](http://evil)"); /* escaped later */
	arena_free(&a);
}
END_TEST

START_TEST(a_huge_data_array_is_cut)
{
	struct arena a;
	arena_init(&a, 1 << 20);
	size_t cap = 64 + 80 * (THREATFOX_MAX_RECORDS + 50);
	char *json = malloc(cap);
	size_t o = (size_t)snprintf(json, cap, "{\"query_status\":\"ok\",\"data\":[");
	for (int i = 0; i < THREATFOX_MAX_RECORDS + 50; i++)
		o += (size_t)snprintf(
			json + o, cap - o,
			"%s{\"id\":%d,\"ioc\":\"d%d.example\",\"ioc_type\":\"domain\"}",
			i ? "," : "", i, i);
	snprintf(json + o, cap - o, "]}");
	struct threatfox_answer ans;
	ck_assert_int_eq(parse(&a, json, &ans), RELAY_OK);
	ck_assert_uint_eq(ans.n_records, THREATFOX_MAX_RECORDS);
	ck_assert_uint_eq(ans.over, 50);
	free(json);
	arena_free(&a);
}
END_TEST

static int match(const char *type, const char *value, const char *ioc)
{
	struct threatfox_record r = {.ioc = ioc};
	return threatfox_match(type, value, &r);
}

START_TEST(matching_is_exact)
{
	ck_assert(match("ip", "1.2.3.4", "1.2.3.4"));
	ck_assert(match("ip", "1.2.3.4", "1.2.3.4:443"));
	ck_assert(!match("ip", "1.2.3.4", "11.2.3.4:80"));
	ck_assert(!match("ip", "1.2.3.4", "1.2.3.45"));
	ck_assert(!match("ip", "1.2.3.4", "1.2.3.4:80:1"));
	ck_assert(match("domain", "Evil.Example", "evil.example"));
	ck_assert(match("domain", "evil[.]example", "evil.example"));
	ck_assert(!match("domain", "vil.example", "evil.example"));
	ck_assert(match("url", "http://Evil.Example/Gate.php", "http://evil.example/Gate.php"));
	ck_assert(!match("url", "http://evil.example/gate.php", "http://evil.example/Gate.php"));
	ck_assert(match("url", "evil.example/x", "https://evil.example/x"));
	ck_assert(match("md5", "D41D8CD98F00B204E9800998ECF8427E",
			"d41d8cd98f00b204e9800998ecf8427e"));
	ck_assert(!match("md5", "d41d8cd98f00b204e9800998ecf8427",
			 "d41d8cd98f00b204e9800998ecf8427e"));
	ck_assert(!match("email", "a@b.c", "a@b.c"));
}
END_TEST

START_TEST(confidence_and_times)
{
	ck_assert_str_eq(threatfox_confidence(100), "High");
	ck_assert_str_eq(threatfox_confidence(75), "High");
	ck_assert_str_eq(threatfox_confidence(74), "Medium");
	ck_assert_str_eq(threatfox_confidence(50), "Medium");
	ck_assert_str_eq(threatfox_confidence(49), "Low");
	ck_assert_str_eq(threatfox_confidence(0), "Low");
	double t;
	ck_assert_int_eq(threatfox_parse_time("2026-11-01 10:00:00 UTC", &t), 0);
	ck_assert(t == 1793527200.0);
	ck_assert_int_eq(threatfox_parse_time("2026-11-01 10:00:00", &t), -1);
	ck_assert_int_eq(threatfox_parse_time("2026-11-31 10:00:00 UTC", &t), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("threatfox_answer");
	TCase *tc = tcase_create("answer");
	tcase_add_test(tc, an_ok_answer_gives_checked_records);
	tcase_add_test(tc, no_result_and_other_statuses);
	tcase_add_test(tc, answers_of_the_wrong_shape_are_key_errors);
	tcase_add_test(tc, records_of_the_wrong_shape_are_skipped_the_others_kept);
	tcase_add_test(tc, a_huge_data_array_is_cut);
	tcase_add_test(tc, matching_is_exact);
	tcase_add_test(tc, confidence_and_times);
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
