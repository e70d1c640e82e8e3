/* test_alloc_failure.c: every allocation of a request, failed in turn, gives a clean 500.
 *
 * For a representative request of each endpoint (and for loading a feed,
 * and for a whole feed refresh through libcurl), the loop runs the request
 * with allocation N failing, for N = 1, 2, 3, ... until the request no
 * longer reaches N. Each run must end without a crash, without a leak
 * (LeakSanitizer, checked after every loop, or after every run with
 * FAILALLOC_LEAK_EVERY=1; FAILALLOC_ONLY=<name> runs one request), and with either a 500/503 {"code", "message"}
 * answer or an answer equal to the one without a failure (ids and times
 * aside). Two modes: only the Nth allocation fails, and every allocation
 * from the Nth on fails (so error paths also run out of memory).
 *
 * Built by the Makefile with --wrap for the allocators (failalloc.h); run
 * by `make unit`. Prints how many allocations each request made.
 */
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sanitizer/lsan_interface.h>

#include "auth/auth.h"
#include "auth/jwks.h"
#include "auth/token_cache.h"
#include "config.h"
#include "failalloc.h"
#include "module.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "testutil.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/refresh.h"
#include "modules/tweettioc/snapshot.h"
#include "modules/tweettioc/state_dir.h"

#include "jwt_testkit.h"

#define FIXTURE "fixtures/tweettioc-feed-200.json"
#define MAX_RUNS 200000UL
#define HS256_SECRET "alloc-failure-test-secret-of-32-bytes"
#define JWKS_HOST "visibility.amp.cisco.com"

struct spec {
	const char *name;
	const char *method, *path, *body;
	const char *authorization, *health_check;
	int text_answer; /* /metrics: not JSON, counters change between calls */
};

static struct relay_config cfg;
static char *feed_small, *feed_router; /* rebased fixture slices (10 and 40 items) */
static const char *const *env_now;

/* ---- set-up ------------------------------------------------------------ */

/* The first `n` items of the fixture, timestamps shifted so the newest is a
 * minute old (the tiles only count recent tweets). */
static char *rebased_fixture(int n)
{
	size_t len;
	char *text = test_read_file(FIXTURE, &len);
	cJSON *all = cJSON_ParseWithLength(text, len);
	free(text);
	ck_assert_ptr_nonnull(all);
	while (cJSON_GetArraySize(all) > n)
		cJSON_DeleteItemFromArray(all, n);
	double newest = 0;
	cJSON *it;
	cJSON_ArrayForEach (it, all) {
		cJSON *ts = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "tweet"), "timestamp");
		if (cJSON_IsNumber(ts) && ts->valuedouble > newest)
			newest = ts->valuedouble;
	}
	double shift = (double)time(NULL) - 60 - newest;
	cJSON_ArrayForEach (it, all) {
		cJSON *ts = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "tweet"), "timestamp");
		if (cJSON_IsNumber(ts))
			cJSON_SetNumberValue(ts, (double)(long)(ts->valuedouble + shift));
	}
	char *out = cJSON_PrintUnformatted(all);
	cJSON_Delete(all);
	ck_assert_ptr_nonnull(out);
	return out;
}

static void load_config(const char *const *env)
{
	env_now = env;
	test_config_load(&cfg, env);
}

static void setup_none(void)
{
	static const char *const env[] = {"CTR_ENTITIES_LIMIT", "2", NULL};
	load_config(env);
	feed_small = rebased_fixture(10);
	feed_router = rebased_fixture(40);
	test_load_feed_json(feed_router);
}

static void teardown(void)
{
	feed_store_clear();
	auth_shutdown();
	config_set(NULL);
	config_free(&cfg);
	free(feed_small);
	free(feed_router);
	feed_small = feed_router = NULL;
}

/* ---- one request, rendered as the front end would ----------------------- */

struct answer {
	int status;
	char *text; /* NULL: render failed, the front end sends RESPONSE_FALLBACK_BODY */
};

static struct answer run(const struct spec *s)
{
	struct relay_request req;
	struct relay_response res;
	struct route_match match;
	memset(&req, 0, sizeof(req));
	response_init(&res);
	/* Each run verifies its token again: a cached verification would hide
	 * the allocations of the signature check from the later runs. */
	token_cache_flush();
	req.cfg = &cfg;
	req.method = s->method;
	req.path = s->path;
	req.authorization = s->authorization;
	req.health_check = s->health_check;
	req.body = s->body;
	req.body_len = s->body ? strlen(s->body) : 0;
	req.entities_limit = cfg.entities_limit;
	if (router_precheck(&cfg, &req, &match, &res) == RELAY_OK)
		router_handle(&req, &match, &res);
	size_t len = 0;
	struct answer a;
	a.text = response_render(&res, &len);
	a.status = res.status;
	response_free(&res);
	return a;
}

/* Replaces what differs between two runs of the same request: transient
 * ids and ISO times (valid_time starts "now"). */
static void normalise(cJSON *node)
{
	if (cJSON_IsString(node)) {
		const char *s = node->valuestring;
		size_t n = strlen(s);
		if (strncmp(s, "transient:", 10) == 0)
			cJSON_SetValuestring(node, "transient:ID");
		else if (n == 24 && s[10] == 'T' && s[23] == 'Z')
			cJSON_SetValuestring(node, "TIME");
		return;
	}
	cJSON *child;
	cJSON_ArrayForEach (child, node)
		normalise(child);
}

static cJSON *parse_normalised(const char *text)
{
	cJSON *json = cJSON_Parse(text);
	if (json)
		normalise(json);
	return json;
}

struct loop_stats {
	unsigned long allocations; /* counted allocations of a run without failure */
	unsigned long failures;	   /* runs answered 500/503 */
	unsigned long fallbacks;   /* runs whose render itself failed */
	unsigned long absorbed;	   /* runs with a failure that still gave the full answer */
	unsigned long curl_errors; /* libcurl failed inside and said it as an upstream error */
};

/* Checks one run with allocation `n` failing (hit: it was reached). */
static void check_run(const struct spec *s, unsigned long n, int hit, const struct answer *ref,
		      const cJSON *ref_json, const struct answer *a, struct loop_stats *st)
{
	if (!a->text) {
		ck_assert_msg(hit, "%s: render returned NULL without a failure (N=%lu)", s->name,
			      n);
		ck_assert_int_eq(a->status, 500);
		st->fallbacks++;
		return;
	}
	if (a->status != ref->status || (hit && a->status != 200 && ref->status != 200)) {
		/* A non-application failure: {"code": status, "message": text}. */
		ck_assert_msg(hit, "%s: status %d (want %d) without a failure (N=%lu): %s", s->name,
			      a->status, ref->status, n, a->text);
		ck_assert_msg(a->status == 500 || a->status == 503 || a->status == ref->status,
			      "%s: N=%lu gave HTTP %d: %s", s->name, n, a->status, a->text);
		cJSON *j = cJSON_Parse(a->text);
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
		ck_assert_msg(
			cJSON_IsNumber(code) && code->valueint == a->status &&
				cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "message")),
			"%s: N=%lu: a %d answer that is not {code, message}: %s", s->name, n,
			a->status, a->text);
		cJSON_Delete(j);
		st->failures += a->status != ref->status;
		return;
	}
	if (hit && failalloc_hit_in_curl() && a->status == 200 && strstr(a->text, "\"errors\"") &&
	    (strstr(a->text, "\"service unavailable\"") || strstr(a->text, "\"unknown\""))) {
		/* See failalloc_hit_in_curl(): an upstream error entry is all
		 * the relay can say; it is still a complete, valid answer. */
		cJSON *j = cJSON_Parse(a->text);
		ck_assert_msg(cJSON_IsObject(j), "%s: N=%lu: not JSON: %s", s->name, n, a->text);
		cJSON_Delete(j);
		st->curl_errors++;
		return;
	}
	if (s->text_answer) {
		ck_assert_msg(a->text[0] != '\0', "%s: N=%lu: empty answer", s->name, n);
	} else {
		cJSON *got = parse_normalised(a->text);
		if (!got || !cJSON_Compare(got, ref_json, 1)) {
			/* Show where the two answers part. */
			char *g = got ? cJSON_PrintUnformatted(got) : NULL;
			char *w = cJSON_PrintUnformatted(ref_json);
			size_t at = 0;
			while (g && w && g[at] && g[at] == w[at])
				at++;
			at = at > 80 ? at - 80 : 0;
			ck_abort_msg(
				"%s: N=%lu (%s) gave an answer that differs from the one without "
				"a failure:\n...%.300s\nwant:\n...%.300s",
				s->name, n, hit ? "failed" : "not reached", g ? g + at : a->text,
				w ? w + at : "?");
		}
		cJSON_Delete(got);
	}
	st->absorbed += hit;
}

static void leak_check(const char *what, unsigned long n)
{
	ck_assert_msg(__lsan_do_recoverable_leak_check() == 0,
		      "%s: leak after the run with allocation %lu failing (report above)", what, n);
}

static void torture(const struct spec *s, enum failalloc_mode mode)
{
	/* FAILALLOC_ONLY=<name> runs one request (for reading a report). */
	const char *only = getenv("FAILALLOC_ONLY");
	if (only && strcmp(only, s->name) != 0)
		return;
	struct answer ref = run(s);
	ck_assert_msg(ref.text != NULL, "%s: no answer without a failure", s->name);
	cJSON *ref_json = s->text_answer ? NULL : parse_normalised(ref.text);
	ck_assert_msg(s->text_answer || ref_json, "%s: reference is not JSON: %s", s->name,
		      ref.text);
	int every = getenv("FAILALLOC_LEAK_EVERY") != NULL;
	struct loop_stats st = {0};
	unsigned long n;
	for (n = 1; n < MAX_RUNS; n++) {
		failalloc_arm(n, mode);
		struct answer a = run(s);
		unsigned long counted = failalloc_disarm();
		int hit = failalloc_hit();
		check_run(s, n, hit, &ref, ref_json, &a, &st);
		free(a.text);
		if (every)
			leak_check(s->name, n);
		if (!hit) {
			st.allocations = counted;
			break;
		}
	}
	ck_assert_msg(n < MAX_RUNS, "%s: still allocating after %lu runs", s->name, n);
	leak_check(s->name, n);
	printf("alloc-failure: %-28s %-6s %5lu allocations: %5lu x 500, %4lu render "
	       "fallbacks, %3lu absorbed, %3lu upstream errors from libcurl\n",
	       s->name, mode == FAILALLOC_ONCE ? "once" : "from-n", st.allocations, st.failures,
	       st.fallbacks, st.absorbed, st.curl_errors);
	free(ref.text);
	cJSON_Delete(ref_json);
}

static void torture_both(const struct spec *s)
{
	torture(s, FAILALLOC_ONCE);
	torture(s, FAILALLOC_FROM_N);
}

/* ---- the requests ------------------------------------------------------- */

#define OBSERVABLES                                                                             \
	"[{\"type\":\"sha256\",\"value\":"                                                      \
	"\"bf6261d95e886ca2c46f53d808ddfe4c1449e4559144d2ef615481e2c5eccbac\"},"                \
	"{\"type\":\"MD5\",\"value\":\"0c62a0d991dc53ef70a56f15ae2234d8\"},"                    \
	"{\"type\":\"url\",\"value\":\"http://122.73.120.199/docs/scan.pdf.exe\"},"             \
	"{\"type\":\"domain\",\"value\":\"secure-portal643.club\"},"                            \
	"{\"type\":\"ip\",\"value\":\"9.101.220.148\"},{\"type\":\"ip\",\"value\":\"9.101.220." \
	"148\"},"                                                                               \
	"{\"type\":\"ip\",\"value\":\"203.0.113.77\"},{\"type\":\"file_name\",\"value\":\"x."   \
	"exe\"},"                                                                               \
	"{\"type\":\"ip\"},7]"

static const struct spec specs[] = {
	{"health", "POST", "/tweettioc/health", "{}", NULL, NULL, 0},
	{"deliberate", "POST", "/tweettioc/deliberate/observables", OBSERVABLES, NULL, NULL, 0},
	{"observe", "POST", "/tweettioc/observe/observables", OBSERVABLES, NULL, NULL, 0},
	{"refer", "POST", "/tweettioc/refer/observables", OBSERVABLES, NULL, NULL, 0},
	{"observe (bad body)", "POST", "/observe/observables", "{\"type\":1}", NULL, NULL, 0},
	{"tiles", "POST", "/tweettioc/tiles", "", NULL, NULL, 0},
	{"tile", "POST", "/tweettioc/tiles/tile", "{\"tile_id\":\"tweettioc-summary\"}", NULL, NULL,
	 0},
	{"tile-data recent", "POST", "/tweettioc/tiles/tile-data",
	 "{\"tile_id\":\"tweettioc-recent\",\"period\":\"last_7_days\"}", NULL, NULL, 0},
	{"tile-data summary", "POST", "/tweettioc/tiles/tile-data",
	 "{\"tile_id\":\"tweettioc-summary\",\"period\":\"last_7_days\"}", NULL, NULL, 0},
	{"tile-data ioc-types", "POST", "/tweettioc/tiles/tile-data",
	 "{\"tile_id\":\"tweettioc-ioc-types\",\"period\":\"last_7_days\"}", NULL, NULL, 0},
	{"tile-data activity", "POST", "/tweettioc/tiles/tile-data",
	 "{\"tile_id\":\"tweettioc-activity\",\"period\":\"last_7_days\"}", NULL, NULL, 0},
	{"tile-data top-accounts", "POST", "/tweettioc/tiles/tile-data",
	 "{\"tile_id\":\"tweettioc-top-accounts\",\"period\":\"last_24_hours\"}", NULL, NULL, 0},
	{"tile-data top-hashtags", "POST", "/tweettioc/tiles/tile-data",
	 "{\"tile_id\":\"tweettioc-top-hashtags\"}", NULL, NULL, 0},
	{"tile-data legacy", "POST", "/tweettioc/tiles/tile-data",
	 "{\"tile_id\":\"twitter_ioc_hunter\",\"period\":\"last_7_days\"}", NULL, NULL, 0},
	{"tile-data bad period", "POST", "/tweettioc/tiles/tile-data",
	 "{\"tile_id\":\"tweettioc-recent\",\"period\":\"last_year\"}", NULL, NULL, 0},
	{"version", "POST", "/version", "", NULL, NULL, 0},
	{"watchdog", "GET", "/watchdog", NULL, NULL, "ping", 0},
	{"watchdog (no header)", "GET", "/watchdog", NULL, NULL, NULL, 0},
	{"metrics", "GET", "/metrics", NULL, NULL, NULL, 1},
	{"not found", "POST", "/nope/nothing", "", NULL, NULL, 0},
	{"method", "GET", "/tweettioc/health", NULL, NULL, NULL, 0},
};
#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

START_TEST(each_endpoint_answers_500_or_in_full_when_any_allocation_fails)
{
	torture_both(&specs[_i]);
}
END_TEST

/* ---- authentication ----------------------------------------------------- */

START_TEST(hs256_auth_answers_500_or_in_full_when_any_allocation_fails)
{
	static const char *const env[] = {"RELAY_AUTH",
					  "hs256",
					  "RELAY_JWT_SECRET",
					  HS256_SECRET,
					  "RELAY_PUBLIC_URL",
					  "https://relay.example.com",
					  NULL};
	config_set(NULL);
	config_free(&cfg);
	load_config(env);
	char err[256];
	ck_assert_int_eq(auth_init(&cfg, err, sizeof(err)), 0);
	char *token = kit_sign_hs256(HS256_SECRET, strlen(HS256_SECRET),
				     "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
				     "{\"aud\":\"https://relay.example.com/tweettioc\","
				     "\"CTR_ENTITIES_LIMIT\":\"1\"}");
	char *bearer = kit_printf("Bearer %s", token);
	struct spec s = {"health (hs256)", "POST", "/tweettioc/health", "{}", bearer, NULL, 0};
	torture_both(&s);
	struct spec o = {"observe (hs256)",
			 "POST",
			 "/tweettioc/observe/observables",
			 "[{\"type\":\"md5\",\"value\":\"0c62a0d991dc53ef70a56f15ae2234d8\"}]",
			 bearer,
			 NULL,
			 0};
	torture(&o, FAILALLOC_ONCE);
	free(token);
	free(bearer);
}
END_TEST

START_TEST(rs256_auth_answers_500_or_in_full_when_any_allocation_fails)
{
	static const char *const env[] = {"RELAY_AUTH",
					  "jwt",
					  "RELAY_JWKS_HOSTS",
					  JWKS_HOST,
					  "RELAY_PUBLIC_URL",
					  "https://relay.example.com",
					  NULL};
	config_set(NULL);
	config_free(&cfg);
	load_config(env);
	char err[256];
	ck_assert_int_eq(auth_init(&cfg, err, sizeof(err)), 0);
	EVP_PKEY *key = kit_rsa_key(2048);
	char *jwks = kit_jwks(key, "k1", NULL, NULL);
	ck_assert_int_eq(jwks_cache_put_for_test(JWKS_HOST, jwks), 0);
	char *token = kit_sign_rs256(key, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}",
				     "{\"jwks_host\":\"" JWKS_HOST "\","
				     "\"aud\":\"https://relay.example.com/tweettioc\"}");
	char *bearer = kit_printf("Bearer %s", token);
	struct spec s = {"health (rs256)", "POST", "/tweettioc/health", "{}", bearer, NULL, 0};
	torture_both(&s);
	free(token);
	free(bearer);
	free(jwks);
	EVP_PKEY_free(key);
}
END_TEST

/* ---- loading a feed ------------------------------------------------------ */

START_TEST(feed_load_fails_cleanly_and_keeps_the_previous_copy_when_any_allocation_fails)
{
	const struct feed_index *before = feed_store_acquire();
	feed_store_release(before);
	ck_assert_ptr_nonnull(before);
	unsigned long n, allocations = 0, failures = 0;
	for (n = 1; n < MAX_RUNS; n++) {
		char err[256];
		failalloc_arm(n, FAILALLOC_ONCE);
		enum relay_err rc =
			feed_load_json(feed_small, strlen(feed_small), err, sizeof(err));
		unsigned long counted = failalloc_disarm();
		const struct feed_index *now = feed_store_acquire();
		feed_store_release(now);
		if (!failalloc_hit()) {
			ck_assert_int_eq(rc, RELAY_OK);
			ck_assert_ptr_ne(now, before);
			ck_assert_uint_eq(now->feed->n_tweets, 10);
			allocations = counted;
			break;
		}
		ck_assert_msg(rc == RELAY_ERR_INTERNAL, "N=%lu: feed_load_json gave %d (%s)", n, rc,
			      rc == RELAY_OK ? "no error" : err);
		ck_assert_msg(now == before, "N=%lu: a failed load replaced the copy", n);
		failures++;
	}
	leak_check("feed load", n);
	printf("alloc-failure: %-28s %-6s %5lu allocations: %5lu x error, previous copy kept\n",
	       "feed parse + index", "once", allocations, failures);
}
END_TEST

/* ---- loading the snapshot ----------------------------------------------- */

/* Read into memory, decoded, a repeated id folded (dedupe.c): each
 * allocation failing in turn refuses the file cleanly. */
START_TEST(snapshot_load_fails_cleanly_when_any_allocation_fails)
{
	char dir[] = "/tmp/relay-alloc-snap-XXXXXX", err[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	int fd = state_dir_open(dir, err, sizeof(err));
	ck_assert_msg(fd >= 0, "%s", err);
	struct feed *f = NULL;
	ck_assert_int_eq(feed_parse(feed_small, strlen(feed_small), &f, err, sizeof(err)),
			 RELAY_OK);
	/* The newest tweet written twice, the copy with an IOC of its own. */
	struct feed_tweet *more = realloc(f->tweets, (f->n_tweets + 1) * sizeof(*more));
	ck_assert_ptr_nonnull(more);
	f->tweets = more;
	struct feed_ioc extra = {.kind = FEED_IOC_IP, .value = "198.51.100.77"};
	f->tweets[f->n_tweets] = f->tweets[0];
	f->tweets[f->n_tweets].iocs = &extra;
	f->tweets[f->n_tweets].n_iocs = 1;
	f->n_tweets++;
	double now = (double)time(NULL);
	ck_assert_int_eq(snapshot_write(fd, f, now, NULL, err, sizeof(err)), 0);
	f->n_tweets--;
	size_t tweets = f->n_tweets;
	feed_free(f);
	unsigned long n, allocations = 0, failures = 0;
	for (n = 1; n < MAX_RUNS; n++) {
		struct feed *g = (struct feed *)1;
		double when;
		failalloc_arm(n, FAILALLOC_ONCE);
		int rc = snapshot_load(fd, 0, now, &g, &when, err, sizeof(err));
		unsigned long counted = failalloc_disarm();
		if (!failalloc_hit()) {
			ck_assert_msg(rc == 1, "%s", err);
			ck_assert_uint_eq(g->n_tweets, tweets);
			feed_free(g);
			allocations = counted;
			break;
		}
		ck_assert_msg(rc == -1 && g == NULL, "N=%lu: rc %d", n, rc);
		failures++;
	}
	close(fd);
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	leak_check("snapshot load", n);
	printf("alloc-failure: %-28s %-6s %5lu allocations: %5lu x refused\n", "snapshot load",
	       "once", allocations, failures);
}
END_TEST

/* ---- a whole refresh through libcurl ------------------------------------ */

/* A fake upstream on 127.0.0.1 that answers every connection with the feed.
 * It allocates nothing, so it never touches the counter. */
struct fake_upstream {
	int fd;
	int port;
	const char *body;
	pthread_t thread;
};

static void *fake_upstream_main(void *arg)
{
	struct fake_upstream *f = arg;
	for (;;) {
		int c = accept(f->fd, NULL, NULL);
		if (c < 0)
			return NULL;
		char buf[4096];
		size_t got = 0;
		while (got < sizeof(buf) - 1) {
			ssize_t r = read(c, buf + got, sizeof(buf) - 1 - got);
			if (r <= 0)
				break;
			got += (size_t)r;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		char head[256];
		size_t blen = strlen(f->body);
		int hl = snprintf(head, sizeof(head),
				  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
				  blen);
		/* The relay may have given up (MSG_NOSIGNAL: no SIGPIPE then). */
		if (send(c, head, (size_t)hl, MSG_NOSIGNAL) == hl)
			(void)!send(c, f->body, blen, MSG_NOSIGNAL);
		close(c);
	}
}

static void fake_upstream_start(struct fake_upstream *f, const char *body)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	f->body = body;
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(f->fd, 16), 0);
	ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&a, &alen), 0);
	f->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_upstream_main, f), 0);
}

static void fake_upstream_stop(struct fake_upstream *f)
{
	shutdown(f->fd, SHUT_RDWR);
	close(f->fd);
	pthread_join(f->thread, NULL);
}

START_TEST(feed_refresh_fails_cleanly_and_keeps_the_previous_copy_when_any_allocation_fails)
{
	struct fake_upstream f;
	fake_upstream_start(&f, feed_small);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f.port);
	const char *const env[] = {"TWEETTIOC_URL", url, "RELAY_UPSTREAM_TIMEOUT_MS", "5000", NULL};
	config_set(NULL);
	config_free(&cfg);
	load_config(env);
	/* A first refresh, so libcurl's and libcrypto's one-time set-up is done. */
	ck_assert_int_eq(feed_refresh_once(&cfg), RELAY_OK);
	unsigned long n, allocations = 0, failures = 0;
	for (n = 1; n < MAX_RUNS; n++) {
		const struct feed_index *before = feed_store_acquire();
		feed_store_release(before);
		failalloc_arm(n, FAILALLOC_ONCE);
		enum relay_err rc = feed_refresh_once(&cfg);
		unsigned long counted = failalloc_disarm();
		const struct feed_index *now = feed_store_acquire();
		feed_store_release(now);
		if (!failalloc_hit()) {
			ck_assert_int_eq(rc, RELAY_OK);
			allocations = counted;
			break;
		}
		ck_assert_msg(rc != RELAY_OK ? now == before : now != before,
			      "N=%lu: rc %d but the copy %s", n, rc,
			      now == before ? "stayed" : "changed");
		struct feed_status st;
		feed_store_status(&st);
		ck_assert_msg(rc == RELAY_OK || st.last_err == rc,
			      "N=%lu: /health would not see the failure", n);
		failures += rc != RELAY_OK;
	}
	fake_upstream_stop(&f);
	leak_check("feed refresh", n);
	printf("alloc-failure: %-28s %-6s %5lu allocations: %5lu x error, previous copy kept\n",
	       "feed refresh (libcurl)", "once", allocations, failures);
}
END_TEST

/* ---- the CyberCrime Tracker module (concurrent lookups through libcurl) -- */

START_TEST(cybercrime_answers_500_or_in_full_when_any_allocation_fails)
{
	struct fake_upstream f;
	fake_upstream_start(&f, "{\"success\": true, \"message\": \"Malicious: Pony\"}");
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f.port);
	/* No cache: every run asks the upstream. */
	const char *const env[] = {"RELAY_MODULES",
				   "cybercrime",
				   "CYBERCRIME_URL",
				   url,
				   "CYBERCRIME_CACHE_SECONDS",
				   "0",
				   "RELAY_UPSTREAM_TIMEOUT_MS",
				   "5000",
				   NULL};
	config_set(NULL);
	config_free(&cfg);
	load_config(env);
	const struct relay_module *m = modules_find("cybercrime", 10);
	char err[256];
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->start(&cfg, err, sizeof(err)), 0);
	static const char body[] = "[{\"type\":\"ip\",\"value\":\"192.0.2.1\"},"
				   "{\"type\":\"url\",\"value\":\"http://evil.example/x\"},"
				   "{\"type\":\"domain\",\"value\":\"evil.example\"}]";
	const struct spec specs_cc[] = {
		{"cybercrime health", "POST", "/cybercrime/health", "{}", NULL, NULL, 0},
		{"cybercrime deliberate", "POST", "/cybercrime/deliberate/observables", body, NULL,
		 NULL, 0},
		{"cybercrime observe", "POST", "/cybercrime/observe/observables", body, NULL, NULL,
		 0},
		{"cybercrime refer", "POST", "/cybercrime/refer/observables", body, NULL, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(specs_cc) / sizeof(specs_cc[0]); i++)
		torture(&specs_cc[i], FAILALLOC_ONCE);
	m->stop();
	fake_upstream_stop(&f);
}
END_TEST

static Suite *alloc_suite(void)
{
	Suite *s = suite_create("alloc_failure");
	TCase *tc = tcase_create("endpoints");
	tcase_add_checked_fixture(tc, setup_none, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, each_endpoint_answers_500_or_in_full_when_any_allocation_fails, 0,
			    (int)N_SPECS);
	tcase_add_test(tc, hs256_auth_answers_500_or_in_full_when_any_allocation_fails);
	tcase_add_test(tc, rs256_auth_answers_500_or_in_full_when_any_allocation_fails);
	tcase_add_test(
		tc, feed_load_fails_cleanly_and_keeps_the_previous_copy_when_any_allocation_fails);
	tcase_add_test(
		tc,
		feed_refresh_fails_cleanly_and_keeps_the_previous_copy_when_any_allocation_fails);
	tcase_add_test(tc, snapshot_load_fails_cleanly_when_any_allocation_fails);
	tcase_add_test(tc, cybercrime_answers_500_or_in_full_when_any_allocation_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	failalloc_install();
	SRunner *sr = srunner_create(alloc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
