/* test_tweetfeed_lookup.c: /v1/ioc URLs and the bounds of one request's lookups (lookup.c). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "lib/arena.h"
#include "modules/tweetfeed/lookup.h"
#include "net/upstream.h"
#include "testutil.h"

/* A loopback port nothing listens on: every lookup is refused at once. */
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

START_TEST(ioc_url_escapes_the_value_as_data)
{
	char *u = tweetfeed_ioc_url("https://api.tweetfeed.live", "http://x.example/a b?c=1&d#e");
	ck_assert_str_eq(u, "https://api.tweetfeed.live/v1/ioc?value="
			    "http%3A%2F%2Fx.example%2Fa%20b%3Fc%3D1%26d%23e");
	free(u);
}
END_TEST

START_TEST(at_most_max_lookups_distinct_values_are_asked)
{
	struct relay_config cfg;
	const char *const env[] = {"RELAY_UPSTREAM_TIMEOUT_MS", "3000", NULL};
	test_config_load(&cfg, env);
	char base[64];
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", refused_port());
	/* Seven values, two of them repeated: five distinct, three may be asked. */
	const char *values[] = {"192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.3",
				"192.0.2.4", "192.0.2.5", "192.0.2.2"};
	size_t n = sizeof(values) / sizeof(*values);
	struct tweetfeed_lookup_result results[7];
	struct tweetfeed_lookup_opts opts = {
		.base_url = base, .max_lookups = 3, .deadline_ms = 5000};
	struct tweetfeed_lookup_stats before, after;
	tweetfeed_lookup_stats_get(&before);
	struct arena a;
	arena_init(&a, 4096);
	ck_assert_int_eq(tweetfeed_lookup_many(&cfg, &opts, NULL, values, n, &a, results), 0);
	tweetfeed_lookup_stats_get(&after);
	ck_assert_uint_eq(after.upstream_requests - before.upstream_requests, 3);
	ck_assert_uint_eq(after.left_out - before.left_out, 2);
	ck_assert_uint_eq(after.lookups - before.lookups, 7);
	/* The first three distinct values sent were asked (and refused). */
	const int left_out[] = {0, 0, 0, 0, 1, 1, 0};
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(results[i].left_out, left_out[i]);
		ck_assert_int_eq(results[i].err, RELAY_ERR_UNAVAILABLE);
	}
	arena_free(&a);
	config_free(&cfg);
}
END_TEST

START_TEST(a_disabled_cache_is_none)
{
	ck_assert_ptr_null(tweetfeed_cache_new(10, 0));
	ck_assert_uint_eq(tweetfeed_cache_count(NULL), 0);
	struct tweetfeed_cache *c = tweetfeed_cache_new(10, 60);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(tweetfeed_cache_count(c), 0);
	tweetfeed_cache_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tweetfeed_lookup");
	TCase *tc = tcase_create("lookup");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, ioc_url_escapes_the_value_as_data);
	tcase_add_test(tc, at_most_max_lookups_distinct_values_are_asked);
	tcase_add_test(tc, a_disabled_cache_is_none);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	upstream_global_init();
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	upstream_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
