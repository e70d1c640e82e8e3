/* test_cybercrime.c: the CyberCrime Tracker module: URLs, answers, CTIM, errors, cache.
 *
 * Mapping and cache tests call the functions directly, with time passed in
 * (no sleeps). Lookups that must fail go to a loopback port nobody listens
 * on; nothing here needs the real upstream or any fake server.
 */
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "ctim/entities.h"
#include "modules/cybercrime/cache.h"
#include "modules/cybercrime/enrich.h"
#include "modules/cybercrime/lookup.h"
#include "module.h"
#include "http/response.h"
#include "testutil.h"
#include "lib/now.h"
#include "net/upstream.h"

extern const struct relay_module cybercrime_module;

#define BASE "http://cybercrime-tracker.net"
#define NOW 1700000000.0

/* ---- helpers ----------------------------------------------------------- */

static struct cybercrime_result answer_result(const char *message)
{
	struct cybercrime_result r;
	memset(&r, 0, sizeof(r));
	r.err = RELAY_OK;
	ck_assert_int_eq(cybercrime_parse_answer(message, strlen(message), &r.answer), RELAY_OK);
	return r;
}

static struct cybercrime_result failed_result(enum relay_err err, const char *detail)
{
	struct cybercrime_result r;
	memset(&r, 0, sizeof(r));
	r.err = err;
	snprintf(r.detail, sizeof(r.detail), "%s", detail);
	return r;
}

static const cJSON *only_doc(const cJSON *list)
{
	ck_assert_ptr_nonnull(list);
	ck_assert_int_eq(cJSON_GetArraySize(list), 1);
	return cJSON_GetArrayItem(list, 0);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	ck_assert_msg(cJSON_IsString(v), "%s is not a string", key);
	return v->valuestring;
}

/* A number as clients see it (ctim/entities.c may store numbers as raw JSON text). */
static double num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsRaw(v)) {
		char *end;
		double d = strtod(v->valuestring, &end);
		ck_assert_msg(end != v->valuestring && *end == '\0', "%s is not a number", key);
		return d;
	}
	ck_assert_msg(cJSON_IsNumber(v), "%s is not a number", key);
	return v->valuedouble;
}

static void assert_observable(const cJSON *entity, const char *type, const char *value)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(entity, "observable");
	ck_assert_str_eq(str(o, "type"), type);
	ck_assert_str_eq(str(o, "value"), value);
}

/* A loopback port that was free a moment ago: connecting to it is refused. */
static int refused_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static struct relay_config cfg;
static char dead_url[64];

static void dead_upstream_setup(void)
{
	snprintf(dead_url, sizeof(dead_url), "http://127.0.0.1:%d", refused_port());
	const char *const env[] = {"RELAY_MODULES",
				   "cybercrime",
				   "CYBERCRIME_URL",
				   dead_url,
				   "RELAY_UPSTREAM_TIMEOUT_MS",
				   "3000",
				   NULL};
	test_config_load(&cfg, env);
	char err[256];
	ck_assert_int_eq(cybercrime_module.start(&cfg, err, sizeof(err)), 0);
}

static void dead_upstream_teardown(void)
{
	cybercrime_module.stop();
	config_free(&cfg);
}

/* ---- query URLs ---------------------------------------------------------- */

START_TEST(query_value_strips_only_a_leading_scheme_of_urls)
{
	ck_assert_str_eq(cybercrime_query_value("url", "http://x/y?a=1&b=2#f"), "x/y?a=1&b=2#f");
	ck_assert_str_eq(cybercrime_query_value("url", "HTTPS://Host/p"), "Host/p");
	ck_assert_str_eq(cybercrime_query_value("url", "x/y"), "x/y");
	ck_assert_str_eq(cybercrime_query_value("url", "a/b?u=http://z"), "a/b?u=http://z");
	ck_assert_str_eq(cybercrime_query_value("url", "http:/x"), "http:/x");
	ck_assert_str_eq(cybercrime_query_value("url", "1http://x"), "1http://x");
	ck_assert_str_eq(cybercrime_query_value("url", "http://"), "");
	ck_assert_str_eq(cybercrime_query_value("ip", "http://1.2.3.4"), "http://1.2.3.4");
	ck_assert_str_eq(cybercrime_query_value("ip", "1.2.3.4"), "1.2.3.4");
}
END_TEST

START_TEST(query_url_encodes_question_mark_ampersand_and_hash)
{
	char *url =
		cybercrime_query_url(BASE, cybercrime_query_value("url", "http://x/y?a=1&b=2#f"));
	ck_assert_str_eq(url, BASE "/query.php?url=x%2Fy%3Fa%3D1%26b%3D2%23f");
	free(url);
	url = cybercrime_query_url(BASE, "1.2.3.4");
	ck_assert_str_eq(url, BASE "/query.php?url=1.2.3.4");
	free(url);
	url = cybercrime_search_url(BASE, "a b+c");
	ck_assert_str_eq(url, BASE "/index.php?search=a%20b%2Bc");
	free(url);
}
END_TEST

START_TEST(supported_types_are_ip_and_url_only)
{
	ck_assert(cybercrime_supported_type("ip"));
	ck_assert(cybercrime_supported_type("url"));
	ck_assert(!cybercrime_supported_type("domain"));
	ck_assert(!cybercrime_supported_type("ipv6"));
	ck_assert(!cybercrime_supported_type("sha256"));
}
END_TEST

/* ---- answers ------------------------------------------------------------- */

START_TEST(parse_answer_reads_a_malicious_listing)
{
	struct cybercrime_answer a;
	const char *body = "{\"success\": true, \"message\": \"Malicious: Keitaro\"}";
	ck_assert_int_eq(cybercrime_parse_answer(body, strlen(body), &a), RELAY_OK);
	ck_assert_int_eq(a.malicious, 1);
	ck_assert_str_eq(a.message, "Malicious: Keitaro");
	body = "{\"message\": \"Malicious\"}  \n";
	ck_assert_int_eq(cybercrime_parse_answer(body, strlen(body), &a), RELAY_OK);
	ck_assert_int_eq(a.malicious, 1);
}
END_TEST

START_TEST(parse_answer_treats_every_other_message_as_no_listing)
{
	static const char *const bodies[] = {
		"{\"success\": false, \"message\": \"Not found\"}",
		"{\"success\": true, \"message\": \"\"}",
		"{\"message\": \"malicious: lower case\"}",
		"{\"message\": \"Maliciousness unknown\"}",
		"{\"message\": \"Clean\"}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct cybercrime_answer a;
		ck_assert_int_eq(cybercrime_parse_answer(bodies[i], strlen(bodies[i]), &a),
				 RELAY_OK);
		ck_assert_msg(!a.malicious, "%s read as malicious", bodies[i]);
	}
}
END_TEST

START_TEST(parse_answer_without_a_string_message_is_a_key_error)
{
	static const char *const bodies[] = {
		"{}",
		"{\"success\": true}",
		"{\"message\": 5}",
		"{\"message\": null}",
		"{\"Message\": \"Malicious: X\"}",
		"[{\"message\": \"Malicious: X\"}]",
		"\"Malicious: X\"",
		"<html>502 Bad Gateway</html>",
		"{\"message\": \"Malicious: X\"} trailing",
		"{\"message\": \"Malicious: X\"",
		"",
		"{\"message\": \"bad \xC3\x28 utf8\"}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct cybercrime_answer a;
		ck_assert_msg(cybercrime_parse_answer(bodies[i], strlen(bodies[i]), &a) ==
				      RELAY_ERR_KEY_ERROR,
			      "%s was accepted", bodies[i]);
		ck_assert_int_eq(a.malicious, 0);
	}
	struct cybercrime_answer a;
	ck_assert_int_eq(cybercrime_parse_answer(NULL, 0, &a), RELAY_ERR_KEY_ERROR);
}
END_TEST

START_TEST(parse_answer_cuts_a_long_message_on_a_utf8_boundary)
{
	/* "Malicious: " then 400 two-byte characters: 811 bytes. */
	char body[1024] = "{\"message\": \"Malicious: ";
	size_t o = strlen(body);
	for (int i = 0; i < 400; i++) {
		body[o++] = '\xC3';
		body[o++] = '\xA9';
	}
	memcpy(body + o, "\"}", 3);
	struct cybercrime_answer a;
	ck_assert_int_eq(cybercrime_parse_answer(body, strlen(body), &a), RELAY_OK);
	ck_assert_int_eq(a.malicious, 1);
	size_t n = strlen(a.message);
	ck_assert_uint_lt(n, CYBERCRIME_MESSAGE_MAX);
	ck_assert_int_eq((n - strlen("Malicious: ")) % 2, 0); /* whole characters only */
}
END_TEST

/* ---- CTIM ---------------------------------------------------------------- */

START_TEST(malicious_keitaro_gives_the_python_relays_judgement_and_a_verdict)
{
	char o_type[] = "ip", o_value[] = "104.24.123.62";
	struct observable o = {.type = o_type, .value = o_value};
	struct cybercrime_result r = answer_result("{\"success\": true, \"message\": "
						   "\"Malicious: Keitaro\"}");
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	ck_assert_int_eq(cybercrime_emit(BASE, &o, &r, 1, NOW, &bundle, &res), 0);
	ck_assert_ptr_null(res.errors);

	const cJSON *j = only_doc(bundle.judgements);
	ck_assert_str_eq(str(j, "type"), "judgement");
	ck_assert_str_eq(str(j, "confidence"), "Low");
	ck_assert_int_eq((int)num(j, "priority"), 90);
	ck_assert_str_eq(str(j, "severity"), "Medium");
	ck_assert_str_eq(str(j, "source"), "CyberCrime Tracker");
	ck_assert_str_eq(str(j, "source_uri"),
			 "http://cybercrime-tracker.net/index.php?search=104.24.123.62");
	ck_assert_int_eq((int)num(j, "disposition"), 2);
	ck_assert_str_eq(str(j, "disposition_name"), "Malicious");
	ck_assert_str_eq(str(j, "reason"), "Malicious: Keitaro");
	ck_assert_str_eq(str(j, "schema_version"), CTIM_SCHEMA_VERSION);
	ck_assert(strncmp(str(j, "id"), "transient:judgement-", 20) == 0);
	assert_observable(j, "ip", "104.24.123.62");

	const cJSON *v = only_doc(bundle.verdicts);
	ck_assert_str_eq(str(v, "type"), "verdict");
	ck_assert_int_eq((int)num(v, "disposition"), 2);
	ck_assert_str_eq(str(v, "disposition_name"), "Malicious");
	ck_assert_str_eq(str(v, "judgement_id"), str(j, "id"));
	assert_observable(v, "ip", "104.24.123.62");
	/* Only Verdict keys (threatgrid/ctim verdict.cljc): no schema_version, no id. */
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(v, "schema_version"));
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(v, "id"));

	/* The family is an Indicator, and the judgement is based on it. */
	const cJSON *ind = only_doc(bundle.indicators), *rel = only_doc(bundle.relationships);
	ck_assert_str_eq(str(ind, "type"), "indicator");
	ck_assert_str_eq(str(ind, "producer"), "CyberCrime Tracker");
	ck_assert_str_eq(str(ind, "tlp"), "white");
	ck_assert_str_eq(str(ind, "title"), "Malware family: Keitaro");
	ck_assert(strncmp(str(ind, "id"), "transient:indicator-", 20) == 0);
	ck_assert_str_eq(str(rel, "relationship_type"), "based-on");
	ck_assert_str_eq(str(rel, "source_ref"), str(j, "id"));
	ck_assert_str_eq(str(rel, "target_ref"), str(ind, "id"));

	char start[CTIM_TIME_LEN], end[CTIM_TIME_LEN];
	ctim_format_time(NOW, start);
	ctim_format_time(NOW + 7 * 24 * 3600, end);
	const cJSON *vt = cJSON_GetObjectItemCaseSensitive(v, "valid_time");
	ck_assert_str_eq(str(vt, "start_time"), start);
	ck_assert_str_eq(str(vt, "end_time"), end);
	vt = cJSON_GetObjectItemCaseSensitive(j, "valid_time");
	ck_assert_str_eq(str(vt, "start_time"), start);
	ck_assert_str_eq(str(vt, "end_time"), end);
	ctim_bundle_free(&bundle);
	response_free(&res);
}
END_TEST

START_TEST(a_hostile_family_is_escaped_wherever_it_lands)
{
	char o_type[] = "ip", o_value[] = "10.0.0.9";
	struct observable o = {.type = o_type, .value = o_value};
	struct cybercrime_result r =
		answer_result("{\"success\": true, \"message\": \"Malicious: "
			      "[x](https://evil.example) <img src=x> www.evil.example\"}");
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	ck_assert_int_eq(cybercrime_emit(BASE, &o, &r, 1, NOW, &bundle, &res), 0);
	const cJSON *j = only_doc(bundle.judgements), *ind = only_doc(bundle.indicators);
	ck_assert_str_eq(str(j, "reason"), "Malicious: \\[x\\]\\(hxxps\\://evil\\[.\\]example\\) "
					   "\\<img src=x\\> www\\[.\\]evil\\[.\\]example");
	ck_assert_ptr_null(strstr(str(ind, "description"), "https://"));
	ck_assert_ptr_nonnull(strstr(str(ind, "title"), "\\<img"));
	ctim_bundle_free(&bundle);
	response_free(&res);
}
END_TEST

/* The indicator of one answer for `value` naming `message`; its id and the
 * judgement's into the buffers. */
static void indicator_for(const char *value, const char *message, double now,
			  char ind_id[CTIM_ID_LEN], char j_id[CTIM_ID_LEN])
{
	char o_type[] = "ip", o_value[64];
	snprintf(o_value, sizeof(o_value), "%s", value);
	struct observable o = {.type = o_type, .value = o_value};
	char answer[256];
	snprintf(answer, sizeof(answer), "{\"success\": true, \"message\": \"%s\"}", message);
	struct cybercrime_result r = answer_result(answer);
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	ck_assert_int_eq(cybercrime_emit(BASE, &o, &r, 1, now, &bundle, &res), 0);
	snprintf(ind_id, CTIM_ID_LEN, "%s", str(only_doc(bundle.indicators), "id"));
	snprintf(j_id, CTIM_ID_LEN, "%s", str(only_doc(bundle.judgements), "id"));
	ck_assert_str_eq(str(only_doc(bundle.relationships), "target_ref"), ind_id);
	ctim_bundle_free(&bundle);
	response_free(&res);
}

START_TEST(one_family_is_one_indicator_id_in_every_answer)
{
	char a[CTIM_ID_LEN], b[CTIM_ID_LEN], c[CTIM_ID_LEN];
	char ja[CTIM_ID_LEN], jb[CTIM_ID_LEN], jc[CTIM_ID_LEN];
	indicator_for("10.0.1.1", "Malicious: Keitaro", NOW, a, ja);
	indicator_for("10.0.1.2", "Malicious: Keitaro", NOW + 3600, b, jb);
	indicator_for("10.0.1.1", "Malicious: Azorult", NOW, c, jc);
	/* uuid5(ce801a56-e465-43ec-a4e7-ea126212c037, "cybercrime:Keitaro"). */
	ck_assert_str_eq(a, "transient:indicator-71881a37-c27d-5a0a-876e-9802ee4bbfe6");
	ck_assert_str_eq(a, b);
	ck_assert_str_eq(c, "transient:indicator-cc7eb6a9-9030-5d16-bac4-4cf8541f05d9");
	/* Judgements stay per answer. */
	ck_assert_str_ne(ja, jb);
	ck_assert_str_ne(ja, jc);
}
END_TEST

START_TEST(one_answer_carries_a_family_once_with_a_relationship_per_judgement)
{
	char t[] = "ip", v1[] = "10.0.2.1", v2[] = "10.0.2.2", v3[] = "10.0.2.3";
	struct observable o[] = {
		{.type = t, .value = v1}, {.type = t, .value = v2}, {.type = t, .value = v3}};
	const char *msg[] = {"{\"message\": \"Malicious: Keitaro\"}",
			     "{\"message\": \"Malicious: Keitaro\"}",
			     "{\"message\": \"Malicious: Azorult\"}"};
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	for (int i = 0; i < 3; i++) {
		struct cybercrime_result r = answer_result(msg[i]);
		ck_assert_int_eq(cybercrime_emit(BASE, &o[i], &r, 1, NOW, &bundle, &res), 0);
	}
	ck_assert_int_eq(cJSON_GetArraySize(bundle.judgements), 3);
	ck_assert_int_eq(cJSON_GetArraySize(bundle.indicators), 2);
	ck_assert_int_eq(cJSON_GetArraySize(bundle.relationships), 3);
	const char *keitaro = str(cJSON_GetArrayItem(bundle.indicators, 0), "id");
	for (int i = 0; i < 3; i++) {
		const cJSON *rel = cJSON_GetArrayItem(bundle.relationships, i);
		ck_assert_str_eq(str(rel, "source_ref"),
				 str(cJSON_GetArrayItem(bundle.judgements, i), "id"));
		ck_assert_int_eq(strcmp(str(rel, "target_ref"), keitaro) == 0, i < 2);
	}
	ctim_bundle_free(&bundle);
	response_free(&res);
}
END_TEST

START_TEST(deliberate_gives_only_the_verdict)
{
	char o_type[] = "ip", o_value[] = "104.24.123.62";
	struct observable o = {.type = o_type, .value = o_value};
	struct cybercrime_result r = answer_result("{\"message\": \"Malicious: Keitaro\"}");
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	ck_assert_int_eq(cybercrime_emit(BASE, &o, &r, 0, NOW, &bundle, &res), 0);
	ck_assert_ptr_null(bundle.judgements);
	const cJSON *v = only_doc(bundle.verdicts);
	ck_assert(strncmp(str(v, "judgement_id"), "transient:judgement-", 20) == 0);
	ctim_bundle_free(&bundle);
	response_free(&res);
}
END_TEST

START_TEST(url_entities_report_the_url_as_sent_and_search_without_scheme)
{
	char o_type[] = "url", o_value[] = "http://x/y?a=1&b=2#f";
	struct observable o = {.type = o_type, .value = o_value};
	struct cybercrime_result r = answer_result("{\"message\": \"Malicious: Azorult\"}");
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	ck_assert_int_eq(cybercrime_emit(BASE, &o, &r, 1, NOW, &bundle, &res), 0);
	const cJSON *j = only_doc(bundle.judgements);
	assert_observable(j, "url", "http://x/y?a=1&b=2#f");
	assert_observable(only_doc(bundle.verdicts), "url", "http://x/y?a=1&b=2#f");
	ck_assert_str_eq(str(j, "source_uri"), BASE "/index.php?search=x%2Fy%3Fa%3D1%26b%3D2%23f");
	ctim_bundle_free(&bundle);
	response_free(&res);
}
END_TEST

START_TEST(an_answer_that_is_not_a_listing_gives_nothing)
{
	char o_type[] = "ip", o_value[] = "1.1.1.1";
	struct observable o = {.type = o_type, .value = o_value};
	struct cybercrime_result r =
		answer_result("{\"success\": false, \"message\": \"Not found\"}");
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	ck_assert_int_eq(cybercrime_emit(BASE, &o, &r, 1, NOW, &bundle, &res), 0);
	ck_assert_ptr_null(bundle.judgements);
	ck_assert_ptr_null(bundle.verdicts);
	ck_assert_ptr_null(res.errors);
	response_free(&res);
}
END_TEST

/* ---- errors -------------------------------------------------------------- */

/* The error entry cybercrime_emit adds for a failed result. */
static void assert_error_entry(enum relay_err err, const char *detail, const char *code,
			       const char *message)
{
	char o_type[] = "ip", o_value[] = "10.9.8.7";
	struct observable o = {.type = o_type, .value = o_value};
	struct cybercrime_result r = failed_result(err, detail);
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	ck_assert_int_eq(cybercrime_emit(BASE, &o, &r, 1, NOW, &bundle, &res), 0);
	ck_assert_ptr_null(bundle.verdicts);
	const cJSON *e = only_doc(res.errors);
	ck_assert_str_eq(str(e, "type"), "fatal");
	ck_assert_str_eq(str(e, "code"), code);
	ck_assert_str_eq(str(e, "message"), message);
	ck_assert_int_eq(res.status, 200);
	response_free(&res);
}

START_TEST(failed_lookups_map_to_the_contract_error_codes_naming_the_observable)
{
	assert_error_entry(RELAY_ERR_NOT_FOUND, "HTTP 404", "not found",
			   "The CyberCrime Tracker answered: not found. (HTTP 404, ip 10.9.8.7)");
	assert_error_entry(RELAY_ERR_UNAVAILABLE, "HTTP 500", "service unavailable",
			   "The CyberCrime Tracker is unavailable. Please, try again later. "
			   "(HTTP 500, ip 10.9.8.7)");
	assert_error_entry(RELAY_ERR_TOO_MANY_REQUESTS, "HTTP 429", "too many requests",
			   "Too many requests have been made to the CyberCrime Tracker. Please, "
			   "try again later. (HTTP 429, ip 10.9.8.7)");
	assert_error_entry(RELAY_ERR_UNKNOWN,
			   "Unable to verify SSL certificate: self signed certificate", "unknown",
			   "Unable to verify SSL certificate: self signed certificate "
			   "(ip 10.9.8.7)");
	assert_error_entry(RELAY_ERR_UNKNOWN, "HTTP 302", "unknown",
			   "Unexpected response from the CyberCrime Tracker. (HTTP 302, ip "
			   "10.9.8.7)");
	assert_error_entry(RELAY_ERR_KEY_ERROR, "", "key error",
			   "The data structure of CyberCrime Tracker has changed. The module is "
			   "broken. (ip 10.9.8.7)");
	assert_error_entry(RELAY_ERR_UPSTREAM_TOO_LARGE, "answer larger than 65536 bytes",
			   "unknown",
			   "The CyberCrime Tracker answer is larger than allowed. (answer larger "
			   "than 65536 bytes, ip 10.9.8.7)");
}
END_TEST

START_TEST(health_error_message_has_no_observable)
{
	char buf[512];
	cybercrime_error_message(RELAY_ERR_UNAVAILABLE, "", NULL, NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "The CyberCrime Tracker is unavailable. Please, try again later.");
	cybercrime_error_message(RELAY_ERR_KEY_ERROR, "", NULL, NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "The data structure of CyberCrime Tracker has changed. The module is "
			      "broken.");
}
END_TEST

/* ---- cache --------------------------------------------------------------- */

static struct cybercrime_answer answer_of(const char *message)
{
	struct cybercrime_answer a;
	memset(&a, 0, sizeof(a));
	a.malicious = strncmp(message, "Malicious", 9) == 0;
	snprintf(a.message, sizeof(a.message), "%s", message);
	return a;
}

START_TEST(cache_answers_within_the_ttl_and_forgets_after_it)
{
	struct cybercrime_cache *c = cybercrime_cache_new(16, 100);
	struct cybercrime_answer in = answer_of("Malicious: Keitaro"), out;
	ck_assert_int_eq(cybercrime_cache_get(c, "1.2.3.4", NOW, &out), 0);
	ck_assert_int_eq(cybercrime_cache_put(c, "1.2.3.4", &in, NOW), 0);
	ck_assert_int_eq(cybercrime_cache_get(c, "1.2.3.4", NOW + 99.9, &out), 1);
	ck_assert_int_eq(out.malicious, 1);
	ck_assert_str_eq(out.message, "Malicious: Keitaro");
	ck_assert_int_eq(cybercrime_cache_get(c, "1.2.3.5", NOW, &out), 0);
	ck_assert_int_eq(cybercrime_cache_get(c, "1.2.3.4", NOW + 100, &out), 0);
	ck_assert_uint_eq(cybercrime_cache_count(c), 0); /* the expired entry was dropped */
	cybercrime_cache_free(c);
}
END_TEST

START_TEST(cache_put_of_the_same_value_refreshes_the_answer_and_its_ttl)
{
	struct cybercrime_cache *c = cybercrime_cache_new(16, 100);
	struct cybercrime_answer a = answer_of("Not found"), b = answer_of("Malicious: X"), out;
	cybercrime_cache_put(c, "x/y", &a, NOW);
	cybercrime_cache_put(c, "x/y", &b, NOW + 50);
	ck_assert_uint_eq(cybercrime_cache_count(c), 1);
	ck_assert_int_eq(cybercrime_cache_get(c, "x/y", NOW + 120, &out), 1);
	ck_assert_str_eq(out.message, "Malicious: X");
	cybercrime_cache_free(c);
}
END_TEST

START_TEST(cache_is_bounded_and_evicts_the_least_recently_used)
{
	struct cybercrime_cache *c = cybercrime_cache_new(4, 1000);
	struct cybercrime_answer a = answer_of("Not found"), out;
	ck_assert_uint_eq(cybercrime_cache_capacity(c), 4);
	cybercrime_cache_put(c, "a", &a, NOW);
	cybercrime_cache_put(c, "b", &a, NOW + 1);
	cybercrime_cache_put(c, "c", &a, NOW + 2);
	cybercrime_cache_put(c, "d", &a, NOW + 3);
	ck_assert_int_eq(cybercrime_cache_get(c, "a", NOW + 4, &out), 1); /* a is now recent */
	cybercrime_cache_put(c, "e", &a, NOW + 5);
	ck_assert_uint_eq(cybercrime_cache_count(c), 4);
	ck_assert_uint_eq(cybercrime_cache_evictions(c), 1);
	ck_assert_int_eq(cybercrime_cache_get(c, "b", NOW + 6, &out), 0);
	ck_assert_int_eq(cybercrime_cache_get(c, "a", NOW + 6, &out), 1);
	ck_assert_int_eq(cybercrime_cache_get(c, "e", NOW + 6, &out), 1);
	cybercrime_cache_free(c);

	/* Many more values than room: never more entries than the capacity. */
	c = cybercrime_cache_new(64, 1000);
	for (int i = 0; i < 5000; i++) {
		char key[32];
		snprintf(key, sizeof(key), "10.0.%d.%d", i / 256, i % 256);
		ck_assert_int_eq(cybercrime_cache_put(c, key, &a, NOW), 0);
		ck_assert_uint_le(cybercrime_cache_count(c), 64);
	}
	ck_assert_uint_eq(cybercrime_cache_count(c), 64);
	cybercrime_cache_free(c);
}
END_TEST

START_TEST(cache_reuses_expired_slots_before_evicting_live_answers)
{
	struct cybercrime_cache *c = cybercrime_cache_new(2, 100);
	struct cybercrime_answer a = answer_of("Not found"), out;
	cybercrime_cache_put(c, "old", &a, NOW);
	cybercrime_cache_put(c, "live", &a, NOW + 50);
	cybercrime_cache_put(c, "new", &a, NOW + 120); /* "old" expired at NOW + 100 */
	ck_assert_uint_eq(cybercrime_cache_evictions(c), 0);
	ck_assert_int_eq(cybercrime_cache_get(c, "live", NOW + 121, &out), 1);
	ck_assert_int_eq(cybercrime_cache_get(c, "new", NOW + 121, &out), 1);
	cybercrime_cache_free(c);
}
END_TEST

START_TEST(cache_refuses_overlong_values_and_is_off_with_zero_ttl)
{
	struct cybercrime_cache *c = cybercrime_cache_new(16, 100);
	struct cybercrime_answer a = answer_of("Not found"), out;
	char *key = malloc(CYBERCRIME_CACHE_KEY_MAX + 2);
	memset(key, 'k', CYBERCRIME_CACHE_KEY_MAX + 1);
	key[CYBERCRIME_CACHE_KEY_MAX + 1] = '\0';
	ck_assert_int_eq(cybercrime_cache_put(c, key, &a, NOW), -1);
	ck_assert_int_eq(cybercrime_cache_get(c, key, NOW, &out), 0);
	key[CYBERCRIME_CACHE_KEY_MAX] = '\0';
	ck_assert_int_eq(cybercrime_cache_put(c, key, &a, NOW), 0);
	free(key);
	cybercrime_cache_free(c);

	ck_assert_ptr_null(cybercrime_cache_new(16, 0));
	ck_assert_int_eq(cybercrime_cache_put(NULL, "a", &a, NOW), -1);
	ck_assert_int_eq(cybercrime_cache_get(NULL, "a", NOW, &out), 0);
	ck_assert_uint_eq(cybercrime_cache_count(NULL), 0);
}
END_TEST

static void *cache_hammer(void *arg)
{
	struct cybercrime_cache *c = arg;
	struct cybercrime_answer a = answer_of("Malicious: T"), out;
	for (int i = 0; i < 2000; i++) {
		char key[32];
		snprintf(key, sizeof(key), "v%d", i % 300);
		if (!cybercrime_cache_get(c, key, NOW + i, &out))
			cybercrime_cache_put(c, key, &a, NOW + i);
		else
			ck_assert_str_eq(out.message, "Malicious: T");
	}
	return NULL;
}

START_TEST(cache_is_shared_safely_by_threads)
{
	struct cybercrime_cache *c = cybercrime_cache_new(128, 50);
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, cache_hammer, c), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_le(cybercrime_cache_count(c), 128);
	cybercrime_cache_free(c);
}
END_TEST

/* ---- lookups: what is cached ------------------------------------------- */

static void finish_with(struct cybercrime_cache *c, const char *query, enum relay_err err,
			const char *body, struct cybercrime_result *r)
{
	struct upstream_request up;
	memset(&up, 0, sizeof(up));
	strbuf_init(&up.body, CYBERCRIME_ANSWER_MAX);
	if (body)
		strbuf_appends(&up.body, body);
	up.err = err;
	up.status = err == RELAY_OK ? 200 : 500;
	snprintf(up.detail, sizeof(up.detail), "%s", err == RELAY_OK ? "" : "HTTP 500");
	cybercrime_lookup_finish(c, query, &up, r, NOW);
	upstream_request_free(&up);
}

START_TEST(lookup_caches_answers_but_never_failures)
{
	struct cybercrime_cache *c = cybercrime_cache_new(16, 100);
	struct cybercrime_result r;
	struct cybercrime_answer out;
	finish_with(c, "good", RELAY_OK, "{\"message\": \"Malicious: Keitaro\"}", &r);
	ck_assert_int_eq(r.err, RELAY_OK);
	ck_assert_int_eq(cybercrime_cache_get(c, "good", NOW + 1, &out), 1);
	finish_with(c, "clean", RELAY_OK, "{\"message\": \"Not found\"}", &r);
	ck_assert_int_eq(cybercrime_cache_get(c, "clean", NOW + 1, &out), 1); /* an answer too */

	finish_with(c, "down", RELAY_ERR_UNAVAILABLE, "{\"error\": \"x\"}", &r);
	ck_assert_int_eq(r.err, RELAY_ERR_UNAVAILABLE);
	ck_assert_str_eq(r.detail, "HTTP 500");
	finish_with(c, "odd", RELAY_OK, "{\"success\": true}", &r);
	ck_assert_int_eq(r.err, RELAY_ERR_KEY_ERROR);
	finish_with(c, "empty", RELAY_OK, NULL, &r);
	ck_assert_int_eq(r.err, RELAY_ERR_KEY_ERROR);
	ck_assert_int_eq(cybercrime_cache_get(c, "down", NOW + 1, &out), 0);
	ck_assert_int_eq(cybercrime_cache_get(c, "odd", NOW + 1, &out), 0);
	ck_assert_int_eq(cybercrime_cache_get(c, "empty", NOW + 1, &out), 0);
	ck_assert_uint_eq(cybercrime_cache_count(c), 2);
	cybercrime_cache_free(c);
}
END_TEST

START_TEST(lookup_many_reports_a_refused_upstream_per_value_and_caches_nothing)
{
	struct cybercrime_cache *c = cybercrime_enrich_cache();
	ck_assert_ptr_nonnull(c);
	const char *queries[] = {"1.2.3.4", "x/y", "1.2.3.4"};
	struct cybercrime_result r[3];
	ck_assert_int_eq(cybercrime_lookup_many(&cfg, c, queries, 3, r), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(r[i].err, RELAY_ERR_UNAVAILABLE);
		ck_assert_int_eq(r[i].cached, 0);
	}
	ck_assert_uint_eq(cybercrime_cache_count(c), 0);
}
END_TEST

START_TEST(lookup_many_answers_cached_values_without_the_upstream)
{
	struct cybercrime_cache *c = cybercrime_enrich_cache();
	struct cybercrime_answer a = answer_of("Malicious: Keitaro");
	ck_assert_int_eq(cybercrime_cache_put(c, "1.2.3.4", &a, now_monotonic()), 0);
	const char *queries[] = {"1.2.3.4", "5.6.7.8"};
	struct cybercrime_result r[2];
	ck_assert_int_eq(cybercrime_lookup_many(&cfg, c, queries, 2, r), 0);
	ck_assert_int_eq(r[0].err, RELAY_OK);
	ck_assert_int_eq(r[0].cached, 1);
	ck_assert_str_eq(r[0].answer.message, "Malicious: Keitaro");
	ck_assert_int_eq(r[1].err, RELAY_ERR_UNAVAILABLE); /* the upstream is down */
}
END_TEST

/* ---- the module through the router -------------------------------------- */

START_TEST(module_skips_unsupported_types_without_asking_the_upstream)
{
	int status;
	cJSON *a = test_call(&cfg, "POST", "/cybercrime/observe/observables",
			     "[{\"type\": \"domain\", \"value\": \"example.com\"},"
			     " {\"type\": \"sha256\", \"value\": \"abc\"}]",
			     &status, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(a, "errors"));
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(a, "data");
	ck_assert(cJSON_IsObject(data) && data->child == NULL);
	cJSON_Delete(a);
}
END_TEST

START_TEST(module_reports_one_error_per_observable_when_the_upstream_is_down)
{
	int status;
	cJSON *a = test_call(&cfg, "POST", "/cybercrime/deliberate/observables",
			     "[{\"type\": \"ip\", \"value\": \"1.2.3.4\"},"
			     " {\"type\": \"URL\", \"value\": \"http://x/y\"},"
			     " {\"type\": \"domain\", \"value\": \"example.com\"}]",
			     &status, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(a, "data"));
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(a, "errors");
	ck_assert_int_eq(cJSON_GetArraySize(errors), 2);
	ck_assert_str_eq(test_error_code(a, 0), "service unavailable");
	ck_assert_str_eq(test_error_code(a, 1), "service unavailable");
	ck_assert_ptr_nonnull(strstr(str(cJSON_GetArrayItem(errors, 0), "message"), "ip 1.2.3.4"));
	ck_assert_ptr_nonnull(
		strstr(str(cJSON_GetArrayItem(errors, 1), "message"), "url http://x/y"));
	cJSON_Delete(a);
}
END_TEST

START_TEST(refer_gives_one_search_link_per_supported_observable)
{
	int status;
	cJSON *a = test_call(&cfg, "POST", "/cybercrime/refer/observables",
			     "[{\"type\": \"ip\", \"value\": \"1.2.3.4\"},"
			     " {\"type\": \"url\", \"value\": \"http://x/y?a=1&b=2#f\"},"
			     " {\"type\": \"domain\", \"value\": \"example.com\"}]",
			     &status, NULL);
	ck_assert_int_eq(status, 200);
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(a, "data");
	ck_assert_int_eq(cJSON_GetArraySize(data), 2);
	const cJSON *ip = cJSON_GetArrayItem(data, 0), *url = cJSON_GetArrayItem(data, 1);
	ck_assert_str_eq(str(ip, "id"), "ref-cybercrime-search-ip-1.2.3.4");
	ck_assert_str_eq(str(url, "id"),
			 "ref-cybercrime-search-url-http%3A%2F%2Fx%2Fy%3Fa%3D1%26b%3D2%23f");
	char expect[128];
	snprintf(expect, sizeof(expect), "%s/index.php?search=1.2.3.4", dead_url);
	ck_assert_str_eq(str(ip, "url"), expect);
	snprintf(expect, sizeof(expect), "%s/index.php?search=x%%2Fy%%3Fa%%3D1%%26b%%3D2%%23f",
		 dead_url);
	ck_assert_str_eq(str(url, "url"), expect);
	ck_assert_str_eq(str(ip, "title"), "Search for this IP");
	const cJSON *cats = cJSON_GetObjectItemCaseSensitive(url, "categories");
	ck_assert_int_eq(cJSON_GetArraySize(cats), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(cats, 0)->valuestring, "Search");
	ck_assert_str_eq(cJSON_GetArrayItem(cats, 1)->valuestring, "CyberCrime Tracker");
	cJSON_Delete(a);
}
END_TEST

START_TEST(health_says_service_unavailable_when_the_upstream_refuses)
{
	int status;
	cJSON *a = test_call(&cfg, "POST", "/cybercrime/health", "", &status, NULL);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(a, "data"));
	ck_assert_str_eq(test_error_code(a, 0), "service unavailable");
	cJSON_Delete(a);
}
END_TEST

START_TEST(metrics_name_lookups_cache_hits_and_upstream_errors)
{
	int status;
	char *raw = NULL;
	cJSON *a = test_call(&cfg, "GET", "/metrics", NULL, &status, &raw);
	ck_assert_int_eq(status, 200);
	ck_assert_ptr_nonnull(strstr(raw, "\ncybercrime_lookups_total "));
	ck_assert_ptr_nonnull(strstr(raw, "\ncybercrime_cache_hits_total "));
	ck_assert_ptr_nonnull(strstr(raw, "\ncybercrime_cache_capacity 10000\n"));
	ck_assert_ptr_nonnull(
		strstr(raw, "\ncybercrime_upstream_errors_total{reason=\"unavailable\"} "));
	cJSON_Delete(a);
	free(raw);
}
END_TEST

static Suite *cybercrime_suite(void)
{
	Suite *s = suite_create("cybercrime");
	TCase *tc = tcase_create("mapping");
	tcase_add_test(tc, query_value_strips_only_a_leading_scheme_of_urls);
	tcase_add_test(tc, query_url_encodes_question_mark_ampersand_and_hash);
	tcase_add_test(tc, supported_types_are_ip_and_url_only);
	tcase_add_test(tc, a_hostile_family_is_escaped_wherever_it_lands);
	tcase_add_test(tc, parse_answer_reads_a_malicious_listing);
	tcase_add_test(tc, parse_answer_treats_every_other_message_as_no_listing);
	tcase_add_test(tc, parse_answer_without_a_string_message_is_a_key_error);
	tcase_add_test(tc, parse_answer_cuts_a_long_message_on_a_utf8_boundary);
	tcase_add_test(tc, malicious_keitaro_gives_the_python_relays_judgement_and_a_verdict);
	tcase_add_test(tc, one_family_is_one_indicator_id_in_every_answer);
	tcase_add_test(tc, one_answer_carries_a_family_once_with_a_relationship_per_judgement);
	tcase_add_test(tc, deliberate_gives_only_the_verdict);
	tcase_add_test(tc, url_entities_report_the_url_as_sent_and_search_without_scheme);
	tcase_add_test(tc, an_answer_that_is_not_a_listing_gives_nothing);
	tcase_add_test(tc, failed_lookups_map_to_the_contract_error_codes_naming_the_observable);
	tcase_add_test(tc, health_error_message_has_no_observable);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_test(tc, cache_answers_within_the_ttl_and_forgets_after_it);
	tcase_add_test(tc, cache_put_of_the_same_value_refreshes_the_answer_and_its_ttl);
	tcase_add_test(tc, cache_is_bounded_and_evicts_the_least_recently_used);
	tcase_add_test(tc, cache_reuses_expired_slots_before_evicting_live_answers);
	tcase_add_test(tc, cache_refuses_overlong_values_and_is_off_with_zero_ttl);
	tcase_add_test(tc, cache_is_shared_safely_by_threads);
	tcase_add_test(tc, lookup_caches_answers_but_never_failures);
	suite_add_tcase(s, tc);

	tc = tcase_create("module");
	tcase_add_checked_fixture(tc, dead_upstream_setup, dead_upstream_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, lookup_many_reports_a_refused_upstream_per_value_and_caches_nothing);
	tcase_add_test(tc, lookup_many_answers_cached_values_without_the_upstream);
	tcase_add_test(tc, module_skips_unsupported_types_without_asking_the_upstream);
	tcase_add_test(tc, module_reports_one_error_per_observable_when_the_upstream_is_down);
	tcase_add_test(tc, refer_gives_one_search_link_per_supported_observable);
	tcase_add_test(tc, health_says_service_unavailable_when_the_upstream_refuses);
	tcase_add_test(tc, metrics_name_lookups_cache_hits_and_upstream_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	upstream_global_init();
	SRunner *sr = srunner_create(cybercrime_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	upstream_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
