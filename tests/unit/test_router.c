/* test_router.c: routing, the envelope and body validation. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "http/observables.h"
#include "http/router.h"
#include "lib/utf8.h"
#include "testutil.h"
#include "modules/tweettioc/refresh.h"

static struct relay_config cfg;

static void setup(void)
{
	static const char *const env[] = {"RELAY_MODULES", "tweettioc", NULL};
	test_config_load(&cfg, env);
}

static void teardown(void)
{
	feed_store_clear();
	config_free(&cfg);
}

static void assert_route(const char *method, const char *path, int found, int method_ok,
			 enum route_endpoint ep)
{
	struct route_match m;
	char msg[256];
	int rc = route_find(&cfg, method, path, &m, msg, sizeof(msg));
	ck_assert_msg((rc == 0) == found, "%s %s: found=%d", method, path, rc == 0);
	if (found) {
		ck_assert_msg(m.method_ok == method_ok, "%s %s: method_ok=%d", method, path,
			      m.method_ok);
		ck_assert_int_eq(m.endpoint, ep);
	}
}

START_TEST(route_accepts_module_bare_prefixed_and_trailing_slash_paths)
{
	assert_route("POST", "/tweettioc/health", 1, 1, ROUTE_HEALTH);
	assert_route("POST", "/health", 1, 1, ROUTE_HEALTH);
	assert_route("POST", "/relay/tweettioc/health", 1, 1, ROUTE_HEALTH);
	assert_route("POST", "/relay/health/", 1, 1, ROUTE_HEALTH);
	assert_route("POST", "/tweettioc/observe/observables/", 1, 1, ROUTE_OBSERVE);
	assert_route("POST", "/deliberate/observables", 1, 1, ROUTE_DELIBERATE);
	assert_route("POST", "/refer/observables", 1, 1, ROUTE_REFER);
	assert_route("POST", "/version", 1, 1, ROUTE_VERSION);
	assert_route("GET", "/watchdog", 1, 1, ROUTE_WATCHDOG);
}
END_TEST

START_TEST(route_refuses_unknown_paths_and_wrong_methods)
{
	assert_route("POST", "/nothing", 0, 0, ROUTE_HEALTH);
	assert_route("POST", "", 0, 0, ROUTE_HEALTH);
	assert_route("POST", "health", 0, 0, ROUTE_HEALTH);
	assert_route("POST", "/xhealth", 0, 0, ROUTE_HEALTH);
	assert_route("POST", "/observables", 0, 0, ROUTE_HEALTH);
	assert_route("GET", "/health", 1, 0, ROUTE_HEALTH);
	assert_route("POST", "/watchdog", 1, 0, ROUTE_WATCHDOG);
	/* a compiled-in module that RELAY_MODULES does not enable */
	assert_route("POST", "/cybercrime/health", 0, 0, ROUTE_HEALTH);
}
END_TEST

START_TEST(route_refuses_an_overlong_path)
{
	char *path = malloc(REQUEST_MAX_PATH + 32);
	memset(path, 'a', REQUEST_MAX_PATH + 20);
	path[0] = '/';
	memcpy(path + REQUEST_MAX_PATH + 10, "/health", 8);
	assert_route("POST", path, 0, 0, ROUTE_HEALTH);
	free(path);
}
END_TEST

START_TEST(not_found_and_method_errors_carry_the_status_in_json)
{
	int status;
	cJSON *a = test_call(&cfg, "POST", "/unknown", NULL, &status, NULL);
	ck_assert_int_eq(status, 404);
	ck_assert_int_eq(cJSON_GetObjectItem(a, "code")->valueint, 404);
	ck_assert(cJSON_IsString(cJSON_GetObjectItem(a, "message")));
	cJSON_Delete(a);
	a = test_call(&cfg, "GET", "/tweettioc/observe/observables", NULL, &status, NULL);
	ck_assert_int_eq(status, 405);
	ck_assert_int_eq(cJSON_GetObjectItem(a, "code")->valueint, 405);
	cJSON_Delete(a);
}
END_TEST

START_TEST(version_has_no_envelope)
{
	int status;
	cJSON *a = test_call(&cfg, "POST", "/version", NULL, &status, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(cJSON_GetObjectItem(a, "version")->valuestring, "1.0.0");
	ck_assert_ptr_null(cJSON_GetObjectItem(a, "data"));
	cJSON_Delete(a);
}
END_TEST

START_TEST(watchdog_echoes_the_header_or_fails_without_it)
{
	int status;
	cJSON *a = test_call(&cfg, "GET", "/watchdog", NULL, &status, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(test_error_code(a, 0), "health check failed");
	cJSON_Delete(a);
}
END_TEST

START_TEST(watchdog_replaces_invalid_utf8_of_the_header)
{
	struct relay_request req = {.method = "GET",
				    .path = "/watchdog",
				    .health_check = "\xff\xfe"
						    "abc",
				    .cfg = &cfg};
	struct route_match m;
	struct relay_response res;
	response_init(&res);
	ck_assert_int_eq(router_precheck(&cfg, &req, &m, &res), RELAY_OK);
	router_handle(&req, &m, &res);
	size_t len;
	char *text = response_render(&res, &len);
	ck_assert(utf8_valid(text, len));
	ck_assert_str_eq(text, "{\"data\":\"\xEF\xBF\xBD\xEF\xBF\xBD"
			       "abc\"}");
	free(text);
	response_free(&res);
}
END_TEST

START_TEST(long_messages_are_cut_on_a_character_boundary)
{
	/* 3000 two-byte characters: the 2048-byte buffer would cut one in half. */
	char big[6001];
	for (size_t i = 0; i < 3000; i++)
		memcpy(big + 2 * i, "\xC3\xA9", 2);
	big[6000] = '\0';
	for (int offset = 0; offset < 2; offset++) {
		struct relay_response res;
		response_init(&res);
		response_add_error(&res, RELAY_ERR_UNKNOWN, "%.*s%s", offset, "x", big);
		response_fail(&res, RELAY_ERR_OVERLOADED, "%.*s%s", offset, "x", big);
		size_t len;
		char *text = response_render(&res, &len);
		ck_assert_msg(utf8_valid(text, len), "offset %d", offset);
		free(text);
		response_free(&res);
		response_init(&res);
		response_add_error(&res, RELAY_ERR_UNKNOWN, "%.*s%s", offset, "x", big);
		text = response_render(&res, &len);
		ck_assert_msg(utf8_valid(text, len), "offset %d", offset);
		ck_assert(len > 2000);
		free(text);
		response_free(&res);
	}
}
END_TEST

START_TEST(request_ids_must_be_short_printable_ascii)
{
	char long_id[ROUTER_REQUEST_ID_MAX + 2];
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	ck_assert_str_eq(router_request_id("nginx-id", "header-id"), "nginx-id");
	ck_assert_str_eq(router_request_id(NULL, "header-id"), "header-id");
	ck_assert_str_eq(router_request_id("", "header-id"), "header-id");
	ck_assert_ptr_null(router_request_id("a b", "x\ty"));
	ck_assert_ptr_null(router_request_id(long_id, "\xC3\xA9"));
	long_id[ROUTER_REQUEST_ID_MAX] = '\0';
	ck_assert_ptr_eq(router_request_id(long_id, NULL), long_id);
}
END_TEST

START_TEST(ready_is_503_with_the_reason_until_the_feed_is_loaded_and_needs_no_token)
{
	static const char *const env[] = {"RELAY_MODULES",
					  "tweettioc,cybercrime",
					  "RELAY_AUTH",
					  "hs256",
					  "RELAY_JWT_SECRET",
					  "router-test-secret-of-32-bytes-at-least",
					  NULL};
	struct relay_config c;
	test_config_load(&c, env);
	int status;
	char *raw = NULL;
	cJSON *a = test_call(&c, "GET", "/ready", NULL, &status, &raw);
	ck_assert_int_eq(status, 503);
	ck_assert_int_eq(cJSON_GetObjectItem(a, "code")->valueint, 503);
	const char *msg = cJSON_GetObjectItem(a, "message")->valuestring;
	ck_assert_msg(strstr(msg, "tweettioc") && strstr(msg, "not loaded"), "%s", msg);
	ck_assert_ptr_null(cJSON_GetObjectItem(a, "data"));
	cJSON_Delete(a);
	free(raw);
	a = test_call(&c, "POST", "/ready", NULL, &status, NULL);
	ck_assert_int_eq(status, 405);
	cJSON_Delete(a);

	test_load_feed_json("[]");
	a = test_call(&c, "GET", "/tweettioc/ready/", NULL, &status, &raw);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(raw, "{\"ready\":true}");
	cJSON_Delete(a);
	free(raw);
	config_free(&c);
	config_set(&cfg);
}
END_TEST

START_TEST(ready_is_200_for_a_module_that_queries_on_demand)
{
	static const char *const env[] = {"RELAY_MODULES", "cybercrime", NULL};
	struct relay_config c;
	test_config_load(&c, env);
	int status;
	cJSON *a = test_call(&c, "GET", "/ready", NULL, &status, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(a, "ready")));
	cJSON_Delete(a);
	config_free(&c);
	config_set(&cfg);
}
END_TEST

START_TEST(observables_that_are_not_json_are_an_invalid_argument)
{
	const char *bodies[] = {"", "nope", "{\"type\":\"ip\"}", "\"x\"", "[1", "[] junk", "null"};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		int status;
		cJSON *a = test_call(&cfg, "POST", "/deliberate/observables", bodies[i], &status,
				     NULL);
		ck_assert_int_eq(status, 200);
		ck_assert_msg(test_error_code(a, 0) &&
				      strcmp(test_error_code(a, 0), "invalid argument") == 0,
			      "body %s", bodies[i]);
		cJSON_Delete(a);
	}
}
END_TEST

START_TEST(partial_success_keeps_data_beside_item_errors)
{
	int status;
	test_load_feed_json(
		"[{\"ip\":[\"1.2.3.4\"],\"tweet\":{\"id\":\"1\",\"user\":\"a\",\"tweet\":"
		"\"t\",\"hashtags\":[],\"link\":\"https://x/1\",\"timestamp\":100}}]");
	cJSON *a = test_call(&cfg, "POST", "/deliberate/observables",
			     "[{\"type\":\"ip\",\"value\":\"1.2.3.4\"},{\"type\":\"ip\"}]", &status,
			     NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(test_error_code(a, 0), "invalid argument");
	const cJSON *verdicts = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "data"), "verdicts");
	ck_assert_int_eq(cJSON_GetObjectItem(verdicts, "count")->valueint, 1);
	cJSON_Delete(a);
}
END_TEST

static Suite *router_suite(void)
{
	Suite *s = suite_create("router");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, route_accepts_module_bare_prefixed_and_trailing_slash_paths);
	tcase_add_test(tc, route_refuses_unknown_paths_and_wrong_methods);
	tcase_add_test(tc, route_refuses_an_overlong_path);
	tcase_add_test(tc, not_found_and_method_errors_carry_the_status_in_json);
	tcase_add_test(tc, version_has_no_envelope);
	tcase_add_test(tc, watchdog_echoes_the_header_or_fails_without_it);
	tcase_add_test(tc, watchdog_replaces_invalid_utf8_of_the_header);
	tcase_add_test(tc, long_messages_are_cut_on_a_character_boundary);
	tcase_add_test(tc, request_ids_must_be_short_printable_ascii);
	tcase_add_test(tc,
		       ready_is_503_with_the_reason_until_the_feed_is_loaded_and_needs_no_token);
	tcase_add_test(tc, ready_is_200_for_a_module_that_queries_on_demand);
	tcase_add_test(tc, observables_that_are_not_json_are_an_invalid_argument);
	tcase_add_test(tc, partial_success_keeps_data_beside_item_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(router_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
