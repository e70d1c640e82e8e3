/* test_threatfox.c: the ThreatFox module's request, entities and accepted keys (lookup.c, enrich.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctim/entities.h"
#include "ctim/uuid5.h"
#include "http/response.h"
#include "modules/threatfox/enrich.h"
#include "modules/threatfox/lookup.h"

#define RECORD(id, ioc, last)                                                        \
	"{\"id\":\"" id "\",\"ioc\":\"" ioc "\",\"threat_type\":\"botnet_cc\","      \
	"\"threat_type_desc\":\"Botnet C&C\",\"ioc_type\":\"ip:port\","              \
	"\"malware\":\"win.cobalt_strike\",\"malware_printable\":\"Cobalt Strike\"," \
	"\"malware_alias\":\"Agentemis,BEACON\",\"confidence_level\":60,"            \
	"\"first_seen\":\"2026-11-01 10:00:00 UTC\",\"last_seen\":" last ","         \
	"\"reference\":\"https://example.org/r\",\"reporter\":\"abuse_ch\",\"tags\":null}"

/* uuid5(ce801a56-e465-43ec-a4e7-ea126212c037, "threatfox:Cobalt Strike"),
 * computed with Python's uuid.uuid5. */
#define COBALT_ID "transient:indicator-a47fc85a-da54-5422-bea1-e55be9a26150"

static char ip_type[] = "ip", ip_value[] = "1.2.3.4";
static const struct observable ip = {.type = ip_type, .value = ip_value};

/* A successful lookup whose blob is `json`. */
static struct lookup_result ok_result(const char *json)
{
	struct lookup_result r = {.err = RELAY_OK, .blob = strdup(json)};
	ck_assert_ptr_nonnull(r.blob);
	r.blob_len = strlen(json);
	return r;
}

static int count(const cJSON *bundle, const char *key)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(bundle, key);
	return list ? cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "docs")) : 0;
}

START_TEST(query_bodies_name_the_right_search)
{
	char *b = threatfox_query_body("ip", "1.2.3.4");
	ck_assert_str_eq(b, "{\"query\":\"search_ioc\",\"search_term\":\"1.2.3.4\"}");
	cJSON_free(b);
	b = threatfox_query_body("sha256", "ab\"cd");
	ck_assert_str_eq(b, "{\"query\":\"search_hash\",\"hash\":\"ab\\\"cd\"}");
	cJSON_free(b);
	ck_assert_ptr_null(threatfox_query_body("email", "a@b.example"));
	char *u = threatfox_search_url("http://x.example/a b?c=1&d");
	ck_assert_str_eq(u, "https://threatfox.abuse.ch/browse.php?search=ioc%3Ahttp%3A%2F%2Fx."
			    "example%2Fa%20b%3Fc%3D1%26d");
	free(u);
	char key[32];
	ck_assert_int_eq(threatfox_cache_key("ip", "1.2.3.4", key, sizeof(key)), 0);
	ck_assert_str_eq(key, "ip\n1.2.3.4");
	ck_assert_int_eq(threatfox_cache_key("url", "http://a-long-value.example/", key, 8), -1);
}
END_TEST

START_TEST(records_become_sightings_judgements_and_one_stable_indicator)
{
	struct lookup_result r = ok_result(
		"{\"query_status\":\"ok\",\"data\":[" RECORD("1", "1.2.3.4:80", "null") "," RECORD(
			"2", "1.2.3.4:443",
			"\"2026-11-03 10:00:00 UTC\"") "," RECORD("3", "11.2.3.4:80", "null") "]}");
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	int refused = 0;
	ck_assert_int_eq(threatfox_emit(&ip, &r, 1, 100, 1.8e9, &bundle, &res, &refused), 0);
	ck_assert_int_eq(refused, 0);
	ck_assert_ptr_null(res.errors);
	cJSON *data = ctim_bundle_take(&bundle);
	ck_assert_int_eq(count(data, "sightings"), 2); /* 11.2.3.4:80 is not 1.2.3.4 */
	ck_assert_int_eq(count(data, "judgements"), 2);
	ck_assert_int_eq(count(data, "verdicts"), 1);
	ck_assert_int_eq(count(data, "indicators"), 1);
	ck_assert_int_eq(count(data, "relationships"), 4);
	const cJSON *ind = cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(data, "indicators"), "docs"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(ind, "id")->valuestring, COBALT_ID);
	/* The most recent record first: its sighting ends at its last_seen. */
	const cJSON *s = cJSON_GetArrayItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(data, "sightings"), "docs"), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(s, "confidence")->valuestring, "Medium");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "observed_time"), "end_time")
				 ->valuestring,
			 "2026-11-03T10:00:00.000Z");
	cJSON_Delete(data);
	lookup_results_free(&r, 1);
	response_free(&res);
}
END_TEST

START_TEST(the_entities_limit_cuts_records_with_a_warning)
{
	struct lookup_result r = ok_result(
		"{\"query_status\":\"ok\",\"data\":[" RECORD("1", "1.2.3.4", "null") "," RECORD(
			"2", "1.2.3.4", "null") "," RECORD("3", "1.2.3.4", "null") "]}");
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	int refused = 0;
	ck_assert_int_eq(threatfox_emit(&ip, &r, 1, 2, 1.8e9, &bundle, &res, &refused), 0);
	cJSON *data = ctim_bundle_take(&bundle);
	ck_assert_int_eq(count(data, "sightings"), 2);
	ck_assert_int_eq(cJSON_GetArraySize(res.errors), 1);
	const cJSON *e = cJSON_GetArrayItem(res.errors, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(e, "code")->valuestring, "too-many-entities");
	cJSON_Delete(data);
	lookup_results_free(&r, 1);
	response_free(&res);
}
END_TEST

START_TEST(a_refused_key_and_other_statuses)
{
	struct lookup_result auth = {.err = RELAY_ERR_AUTH};
	struct lookup_result other =
		ok_result("{\"query_status\":\"illegal_hash\",\"data\":\"x\"}");
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	int refused = 0;
	ck_assert_int_eq(threatfox_emit(&ip, &auth, 1, 100, 1.8e9, &bundle, &res, &refused), 0);
	ck_assert_int_eq(refused, 1);
	ck_assert_ptr_null(res.errors); /* the request adds one entry for all */
	ck_assert_int_eq(threatfox_emit(&ip, &other, 1, 100, 1.8e9, &bundle, &res, &refused), 0);
	const cJSON *e = cJSON_GetArrayItem(res.errors, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(e, "type")->valuestring, "warning");
	ck_assert_ptr_nonnull(
		strstr(cJSON_GetObjectItem(e, "message")->valuestring, "illegal_hash"));
	ck_assert_ptr_null(bundle.verdicts);
	lookup_results_free(&other, 1);
	response_free(&res);
}
END_TEST

START_TEST(keys_are_accepted_only_once_threatfox_accepted_them)
{
	ck_assert_int_eq(threatfox_keys_start(), 0);
	ck_assert_int_eq(threatfox_key_accepted("key-one"), 0);
	threatfox_key_accept("key-one");
	ck_assert_int_eq(threatfox_key_accepted("key-one"), 1);
	ck_assert_int_eq(threatfox_key_accepted("key-one "), 0);
	ck_assert_int_eq(threatfox_key_accepted("key-two"), 0);
	/* A full ring forgets the oldest key first. */
	char k[32];
	for (int i = 0; i < THREATFOX_KEYS_MAX; i++) {
		snprintf(k, sizeof(k), "filler-%d", i);
		threatfox_key_accept(k);
	}
	ck_assert_int_eq(threatfox_key_accepted("key-one"), 0);
	ck_assert_int_eq(threatfox_key_accepted("filler-0"), 1);
	threatfox_keys_stop();
	ck_assert_int_eq(threatfox_key_accepted("filler-0"), 0);
}
END_TEST

START_TEST(error_messages_name_the_observable_and_never_a_key)
{
	char msg[512];
	threatfox_error_message(RELAY_ERR_UNAVAILABLE, "HTTP 503", "ip", "1.2.3.4", msg,
				sizeof(msg));
	ck_assert_str_eq(msg, "ThreatFox is unavailable. Please, try again later. (HTTP 503, ip "
			      "1.2.3.4)");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("threatfox");
	TCase *tc = tcase_create("module");
	tcase_add_test(tc, query_bodies_name_the_right_search);
	tcase_add_test(tc, records_become_sightings_judgements_and_one_stable_indicator);
	tcase_add_test(tc, the_entities_limit_cuts_records_with_a_warning);
	tcase_add_test(tc, a_refused_key_and_other_statuses);
	tcase_add_test(tc, keys_are_accepted_only_once_threatfox_accepted_them);
	tcase_add_test(tc, error_messages_name_the_observable_and_never_a_key);
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
