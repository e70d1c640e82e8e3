/* test_cybercrime_lookup.c: the bounds of the CyberCrime lookups
 * (modules/cybercrime/lookup.c): the cap per request, the request's
 * deadline, the defaults, and how a refused redirect is worded.
 *
 * The upstream never answers (test_silent_listener), so only the deadline
 * ends the lookups that were started.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lib/now.h"
#include "modules/cybercrime/lookup.h"
#include "net/upstream.h"
#include "testutil.h"

START_TEST(refused_redirect_message_names_the_target_first)
{
	char msg[512];
	cybercrime_error_message(
		RELAY_ERR_UNKNOWN,
		"redirected to http://127.0.0.1:1234/internal-secret; redirects to "
		"another host are not followed",
		"ip", "1.2.3.4", msg, sizeof(msg));
	ck_assert_str_eq(msg, "The CyberCrime Tracker redirected to "
			      "http://127.0.0.1:1234/internal-secret; redirects to another host "
			      "are not followed. (ip 1.2.3.4)");
}
END_TEST

START_TEST(lookups_over_the_cap_are_left_out_in_the_order_sent)
{
	struct relay_config cfg;
	const char *env[] = {"RELAY_MODULES",
			     "cybercrime",
			     "CYBERCRIME_URL",
			     test_silent_url,
			     "CYBERCRIME_MAX_LOOKUPS",
			     "3",
			     "RELAY_REQUEST_DEADLINE_MS",
			     "200",
			     NULL};
	test_config_load(&cfg, env);
	const char *queries[] = {"e", "d", "e", "c", "b", "a", "d"};
	struct cybercrime_result r[7];
	struct lookup_stats before, after;
	cybercrime_stats_get(&before);
	ck_assert_int_eq(cybercrime_lookup_many(&cfg, NULL, queries, 7, r), 0);
	cybercrime_stats_get(&after);
	/* e, d, c asked (and cut by the deadline); b, a over the cap. */
	int late[] = {1, 1, 1, 1, 0, 0, 1}, left[] = {0, 0, 0, 0, 1, 1, 0};
	for (int i = 0; i < 7; i++) {
		ck_assert_msg(r[i].late == late[i] && r[i].left_out == left[i],
			      "%s: late %d left %d", queries[i], r[i].late, r[i].left_out);
		ck_assert_int_eq(r[i].err, RELAY_ERR_UNAVAILABLE);
	}
	ck_assert_uint_eq(after.left_out - before.left_out, 2);
	ck_assert_uint_eq(after.late - before.late, 3);
	config_free(&cfg);
}
END_TEST

START_TEST(a_request_past_its_deadline_keeps_one_error_for_the_late_ones)
{
	struct relay_config cfg;
	const char *env[] = {"RELAY_MODULES",
			     "cybercrime",
			     "CYBERCRIME_URL",
			     test_silent_url,
			     "CYBERCRIME_MAX_LOOKUPS",
			     "2",
			     "RELAY_REQUEST_DEADLINE_MS",
			     "200",
			     NULL};
	test_config_load(&cfg, env);
	int status;
	double t0 = now_monotonic();
	cJSON *a = test_call(&cfg, "POST", "/deliberate/observables",
			     "[{\"type\": \"ip\", \"value\": \"1.2.3.4\"},"
			     " {\"type\": \"url\", \"value\": \"http://x/y\"},"
			     " {\"type\": \"ip\", \"value\": \"5.6.7.8\"}]",
			     &status, NULL);
	ck_assert_double_lt(now_monotonic() - t0, 2.0);
	ck_assert_int_eq(status, 200);
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(a, "errors");
	ck_assert_int_eq(cJSON_GetArraySize(errors), 2);
	const cJSON *w = cJSON_GetArrayItem(errors, 0), *e = cJSON_GetArrayItem(errors, 1);
	ck_assert_str_eq(cJSON_GetObjectItem(w, "type")->valuestring, "warning");
	ck_assert_str_eq(cJSON_GetObjectItem(w, "message")->valuestring,
			 "CyberCrime Tracker: 1 observable was not looked up: one request asks "
			 "about at most 2 values (CYBERCRIME_MAX_LOOKUPS).");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "code")->valuestring, "service unavailable");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "message")->valuestring,
			 "The CyberCrime Tracker did not answer about 2 observables within the "
			 "request's deadline of 200 ms (RELAY_REQUEST_DEADLINE_MS): ip 1.2.3.4, "
			 "url http://x/y.");
	cJSON_Delete(a);
	config_free(&cfg);
}
END_TEST

START_TEST(bounds_fall_back_to_the_defaults)
{
	struct relay_config zero;
	memset(&zero, 0, sizeof(zero));
	ck_assert_int_eq(cybercrime_deadline_ms(&zero), 20000);
	ck_assert_uint_eq(cybercrime_max_lookups(&zero), 200);
	ck_assert_int_eq(cybercrime_deadline_ms(NULL), 20000);
}
END_TEST

static Suite *cybercrime_lookup_suite(void)
{
	Suite *s = suite_create("cybercrime_lookup");
	TCase *tc = tcase_create("bounds");
	tcase_add_checked_fixture(tc, test_silent_setup, test_silent_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, refused_redirect_message_names_the_target_first);
	tcase_add_test(tc, lookups_over_the_cap_are_left_out_in_the_order_sent);
	tcase_add_test(tc, a_request_past_its_deadline_keeps_one_error_for_the_late_ones);
	tcase_add_test(tc, bounds_fall_back_to_the_defaults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	upstream_global_init();
	int rc = test_run_suite(cybercrime_lookup_suite());
	upstream_global_cleanup();
	return rc;
}
