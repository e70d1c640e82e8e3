/* test_upstream.c: outbound calls (net/): the same-host redirect rule, the
 * request's deadline, the process-wide slots, and a sink's time.
 *
 * Upstreams that must never answer are a loopback socket that listens and
 * never accepts (test_silent_listener): the kernel completes the
 * connections, libcurl sends its GET and waits, so only the deadline can
 * end the transfers.
 */
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/now.h"
#include "net/redirect.h"
#include "net/upstream.h"
#include "testutil.h"

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

/* A silent upstream: a loopback socket that listens and never accepts. */
static int silent_fd = -1;
static char silent_url[64];

static void silent_setup(void)
{
	silent_fd = test_silent_listener(silent_url, sizeof(silent_url));
}

static void silent_teardown(void)
{
	close(silent_fd);
	silent_fd = -1;
}

/* ---- the deadline and the shared slots ------------------------------------ */

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

static Suite *upstream_suite(void)
{
	Suite *s = suite_create("upstream");
	TCase *tc = tcase_create("redirects");
	tcase_add_test(tc, redirect_rule_allows_only_the_same_host_and_port);
	suite_add_tcase(s, tc);

	tc = tcase_create("work");
	tcase_add_checked_fixture(tc, silent_setup, silent_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, nothing_is_started_after_the_deadline);
	tcase_add_test(tc, the_deadline_aborts_transfers_that_would_run_on);
	tcase_add_test(tc, all_calls_together_stay_within_the_shared_slots);
	tcase_add_test(tc, a_sinks_own_time_does_not_count_against_the_timeout);
	tcase_add_test(tc, a_sinks_upstream_still_times_out);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	upstream_global_init();
	int rc = test_run_suite(upstream_suite());
	upstream_global_cleanup();
	return rc;
}
