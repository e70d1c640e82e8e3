/* test_bounds.c: the bounds of issue 11: redirect rule, shared slots, deadline, lookup cap, answer budget.
 *
 * Upstreams that must never answer are a loopback socket that listens and
 * never accepts: the kernel completes the connections, libcurl sends its
 * GET and waits, so only the deadline can end the transfers. Nothing here
 * needs a real server.
 */
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/answer_budget.h"
#include "config.h"
#include "modules/cybercrime/lookup.h"
#include "lib/json_print.h"
#include "http/response.h"
#include "testutil.h"
#include "lib/now.h"
#include "net/redirect.h"
#include "net/upstream.h"

/* ---- the redirect rule ---------------------------------------------------- */

START_TEST(redirect_rule_allows_only_the_same_host_and_port)
{
	static const struct {
		const char *from, *to;
		int https_only, allowed;
	} cases[] = {
		{"http://a.example:8080/x", "http://a.example:8080/y?z=1", 0, 1},
		{"http://a.example/x", "https://a.example/x", 0, 1},   /* to TLS, default ports */
		{"http://A.Example/x", "http://a.example/y", 0, 1},    /* host case */
		{"http://a.example:80/x", "http://a.example/y", 0, 1}, /* 80 is the default */
		{"https://a.example/x", "https://a.example:443/y", 0, 1}, /* so is 443 */
		{"http://127.0.0.1:5000/q", "https://127.0.0.1:5000/q", 0, 1},
		{"http://a.example:8080/", "http://a.example:8081/", 0, 0},
		{"http://a.example/", "http://b.example/", 0, 0},
		{"http://a.example/", "http://a.example.evil/", 0, 0},
		{"http://a.example/", "http://a.example@b.example/", 0, 0}, /* userinfo */
		{"http://127.0.0.1:1234/", "http://localhost:1234/", 0, 0},
		{"http://127.0.0.1:1234/", "http://127.0.0.1:4321/internal-secret", 0, 0},
		{"https://a.example/", "http://a.example/", 0, 0}, /* never down from TLS */
		{"https://a.example/", "https://a.example:8443/", 0, 0},
		{"http://a.example:8080/", "https://a.example/", 0, 0}, /* 8080 is not 80 */
		{"http://a.example/", "ftp://a.example/", 0, 0},
		{"http://a.example/", "file:///etc/passwd", 0, 0},
		{"http://a.example/", "http://a.example/", 1, 0}, /* https_only */
		{"https://a.example/", "https://a.example/k", 1, 1},
		{"http://a.example/", "not a url", 0, 0},
		{"http://a.example/", "", 0, 0},
		{"not a url", "http://a.example/", 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(redirect_allowed(cases[i].from, cases[i].to, cases[i].https_only) ==
				      cases[i].allowed,
			      "%s -> %s (https_only %d): expected %d", cases[i].from, cases[i].to,
			      cases[i].https_only, cases[i].allowed);
}
END_TEST

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

/* ---- a silent upstream ------------------------------------------------------ */

static int silent_fd = -1;
static char silent_url[64];

static void silent_setup(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	silent_fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(silent_fd, 0);
	ck_assert_int_eq(bind(silent_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(silent_fd, 1024), 0); /* and never accept() */
	ck_assert_int_eq(getsockname(silent_fd, (struct sockaddr *)&a, &len), 0);
	snprintf(silent_url, sizeof(silent_url), "http://127.0.0.1:%u", ntohs(a.sin_port));
}

static void silent_teardown(void)
{
	close(silent_fd);
	silent_fd = -1;
}

struct batch {
	struct upstream_request *reqs;
	size_t n, late;
	double deadline;
	char url[96];
};

static void batch_init(struct batch *b, size_t n, double seconds)
{
	memset(b, 0, sizeof(*b));
	b->n = n;
	b->reqs = calloc(n, sizeof(*b->reqs));
	ck_assert_ptr_nonnull(b->reqs);
	snprintf(b->url, sizeof(b->url), "%s/query.php?url=x", silent_url);
	for (size_t i = 0; i < n; i++) {
		b->reqs[i].url = b->url;
		b->reqs[i].timeout_ms = 30000;
	}
	b->deadline = now_monotonic() + seconds;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		upstream_request_free(&b->reqs[i]);
	free(b->reqs);
}

static void *batch_run(void *arg)
{
	struct batch *b = arg;
	struct upstream_limits lim = {.deadline = b->deadline};
	b->late = upstream_get_many(NULL, b->reqs, b->n, &lim);
	return NULL;
}

START_TEST(nothing_is_started_after_the_deadline)
{
	struct batch b;
	batch_init(&b, 5, -1); /* already over */
	double t0 = now_monotonic();
	batch_run(&b);
	ck_assert_double_lt(now_monotonic() - t0, 0.5);
	ck_assert_uint_eq(b.late, 5);
	for (size_t i = 0; i < 5; i++) {
		ck_assert_int_eq(b.reqs[i].late, 1);
		ck_assert_int_eq(b.reqs[i].err, RELAY_ERR_UNAVAILABLE);
	}
	ck_assert_uint_eq(upstream_in_flight(), 0);
	batch_free(&b);
}
END_TEST

START_TEST(the_deadline_aborts_transfers_that_would_run_on)
{
	struct batch b;
	batch_init(&b, 10, 0.3);
	double t0 = now_monotonic();
	batch_run(&b); /* the per-call timeout is 30 s */
	double took = now_monotonic() - t0;
	ck_assert_msg(took >= 0.25 && took < 2.0, "took %.2f s", took);
	ck_assert_uint_eq(b.late, 10);
	ck_assert_str_eq(b.reqs[0].detail, "no answer before the request's deadline");
	ck_assert_uint_eq(upstream_in_flight(), 0); /* every slot given back */
	batch_free(&b);
}
END_TEST

/* Three calls of 100 transfers each at once: never more than the shared
 * slots in flight, and the slots are really used. */
START_TEST(all_calls_together_stay_within_the_shared_slots)
{
	enum { CALLS = 3, EACH = 100 };
	struct batch b[CALLS];
	pthread_t th[CALLS];
	for (int i = 0; i < CALLS; i++) {
		batch_init(&b[i], EACH, 1.0);
		ck_assert_int_eq(pthread_create(&th[i], NULL, batch_run, &b[i]), 0);
	}
	size_t most = 0;
	for (int k = 0; k < 40; k++) {
		size_t now = upstream_in_flight();
		most = now > most ? now : most;
		usleep(20000);
	}
	for (int i = 0; i < CALLS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_uint_eq(b[i].late, EACH);
		batch_free(&b[i]);
	}
	ck_assert_uint_le(most, UPSTREAM_MAX_CONCURRENT);
	ck_assert_uint_eq(most, UPSTREAM_MAX_CONCURRENT);
	ck_assert_uint_eq(upstream_in_flight(), 0);
}
END_TEST

/* ---- the cybercrime bounds ------------------------------------------------- */

START_TEST(lookups_over_the_cap_are_left_out_in_the_order_sent)
{
	struct relay_config cfg;
	const char *env[] = {"RELAY_MODULES",
			     "cybercrime",
			     "CYBERCRIME_URL",
			     silent_url,
			     "CYBERCRIME_MAX_LOOKUPS",
			     "3",
			     "RELAY_REQUEST_DEADLINE_MS",
			     "200",
			     NULL};
	test_config_load(&cfg, env);
	const char *queries[] = {"e", "d", "e", "c", "b", "a", "d"};
	struct cybercrime_result r[7];
	struct cybercrime_stats before, after;
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
			     silent_url,
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

/* ---- the answer budget ------------------------------------------------------ */

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

/* ---- a sink: the upstream's time, not the parse's --------------------------- */

/* Serves one GET: headers, then `chunks` pieces of the body 30 ms apart. */
struct slow_server {
	int fd;
	int chunks;
	char url[64];
	pthread_t thread;
};

static void *slow_serve(void *arg)
{
	struct slow_server *sv = arg;
	int c = accept(sv->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	char buf[4096];
	if (read(c, buf, sizeof(buf)) > 0) {
		static const char head[] =
			"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n";
		ssize_t w = send(c, head, sizeof(head) - 1, MSG_NOSIGNAL);
		for (int i = 0; i < sv->chunks && w >= 0; i++) {
			usleep(30 * 1000);
			w = send(c, "[] ", 3, MSG_NOSIGNAL);
		}
	}
	close(c);
	return NULL;
}

static void slow_start(struct slow_server *sv, int chunks)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	sv->chunks = chunks;
	sv->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(sv->fd, 0);
	ck_assert_int_eq(bind(sv->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(sv->fd, 4), 0);
	ck_assert_int_eq(getsockname(sv->fd, (struct sockaddr *)&a, &len), 0);
	snprintf(sv->url, sizeof(sv->url), "http://127.0.0.1:%u/feed", ntohs(a.sin_port));
	ck_assert_int_eq(pthread_create(&sv->thread, NULL, slow_serve, sv), 0);
}

static void slow_stop(struct slow_server *sv)
{
	pthread_join(sv->thread, NULL);
	close(sv->fd);
}

struct sink_seen {
	size_t bytes, calls;
	useconds_t pause; /* what each call takes: our own time */
};

static int slow_sink(void *ctx, const char *data, size_t n)
{
	struct sink_seen *seen = ctx;
	(void)data;
	seen->bytes += n;
	seen->calls++;
	usleep(seen->pause);
	return 0;
}

/* A feed parsed as it arrives must not be cut off by its own parse: with
 * a 400 ms timeout, 4 pieces 30 ms apart, each call taking the sink 300 ms,
 * still arrive whole; the body goes to the sink, not `body`. */
START_TEST(a_sinks_own_time_does_not_count_against_the_timeout)
{
	struct slow_server sv;
	slow_start(&sv, 4);
	struct sink_seen seen = {.pause = 300 * 1000};
	struct upstream_request req = {.url = sv.url, .timeout_ms = 400, .max_bytes = 1 << 20};
	req.sink = slow_sink;
	req.sink_ctx = &seen;
	double t0 = now_monotonic();
	ck_assert_msg(upstream_get(NULL, &req) == RELAY_OK, "%s", req.detail);
	ck_assert_uint_ge(seen.calls, 2);
	ck_assert_double_ge(now_monotonic() - t0, 0.6); /* past the timeout */
	ck_assert_uint_eq(seen.bytes, 12);
	ck_assert_uint_eq(req.sunk, 12);
	ck_assert_uint_eq(req.body.len, 0);
	upstream_request_free(&req);
	slow_stop(&sv);
}
END_TEST

/* ... but the upstream's own time does: one that never answers is cut off
 * at the timeout, in libcurl's words, and so is one whose pieces come too
 * slowly. */
START_TEST(a_sinks_upstream_still_times_out)
{
	struct sink_seen seen = {0};
	char url[96];
	snprintf(url, sizeof(url), "%s/feed", silent_url);
	struct upstream_request req = {.url = url, .timeout_ms = 300, .max_bytes = 1 << 20};
	req.sink = slow_sink;
	req.sink_ctx = &seen;
	double t0 = now_monotonic();
	ck_assert_int_eq(upstream_get(NULL, &req), RELAY_ERR_UNAVAILABLE);
	ck_assert_double_le(now_monotonic() - t0, 2.5);
	ck_assert_msg(strstr(req.detail, "Operation timed out after "), "%s", req.detail);
	upstream_request_free(&req);

	struct slow_server sv;
	slow_start(&sv, 30); /* 0.9 s of pieces */
	struct upstream_request slow = {.url = sv.url, .timeout_ms = 300, .max_bytes = 1 << 20};
	slow.sink = slow_sink;
	slow.sink_ctx = &seen;
	ck_assert_int_eq(upstream_get(NULL, &slow), RELAY_ERR_UNAVAILABLE);
	ck_assert_msg(strstr(slow.detail, "bytes received"), "%s", slow.detail);
	upstream_request_free(&slow);
	slow_stop(&sv);
}
END_TEST

static Suite *bounds_suite(void)
{
	Suite *s = suite_create("bounds");
	TCase *tc = tcase_create("redirects");
	tcase_add_test(tc, redirect_rule_allows_only_the_same_host_and_port);
	tcase_add_test(tc, refused_redirect_message_names_the_target_first);
	suite_add_tcase(s, tc);

	tc = tcase_create("work");
	tcase_add_checked_fixture(tc, silent_setup, silent_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, nothing_is_started_after_the_deadline);
	tcase_add_test(tc, the_deadline_aborts_transfers_that_would_run_on);
	tcase_add_test(tc, all_calls_together_stay_within_the_shared_slots);
	tcase_add_test(tc, lookups_over_the_cap_are_left_out_in_the_order_sent);
	tcase_add_test(tc, a_request_past_its_deadline_keeps_one_error_for_the_late_ones);
	tcase_add_test(tc, bounds_fall_back_to_the_defaults);
	tcase_add_test(tc, a_sinks_own_time_does_not_count_against_the_timeout);
	tcase_add_test(tc, a_sinks_upstream_still_times_out);
	suite_add_tcase(s, tc);

	tc = tcase_create("answer budget");
	tcase_add_test(tc, size_bound_never_undercounts);
	tcase_add_test(tc, budget_leaves_sightings_out_before_verdicts_and_says_so);
	tcase_add_test(tc, budget_drops_an_emptied_list_and_cuts_a_bare_array);
	tcase_add_test(tc, budget_leaves_a_small_answer_alone);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	upstream_global_init();
	SRunner *sr = srunner_create(bounds_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	upstream_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
