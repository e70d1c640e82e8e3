/* test_token_cache.c: the verified-token cache on its own: digests, expiry, LRU, flush, threads.
 *
 * Times are passed in, so expiry is tested without sleeping; auth-level
 * behaviour (a hit skips the signature, claims still checked) is in
 * test_auth.c.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "auth/token_cache.h"

static struct token_digest digest_of(const char *token)
{
	struct token_digest d;
	ck_assert_int_eq(token_digest(token, strlen(token), &d), 0);
	return d;
}

static void setup(void)
{
	ck_assert_int_eq(token_cache_init(3), 0);
}

static void teardown(void)
{
	token_cache_shutdown();
}

START_TEST(token_digest_is_sha256_of_the_whole_token)
{
	/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
	static const unsigned char abc[TOKEN_DIGEST_LEN] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	struct token_digest d = digest_of("abc");
	ck_assert_mem_eq(d.bytes, abc, TOKEN_DIGEST_LEN);
	/* One byte apart (the signature's last character): another entry. */
	struct token_digest a = digest_of("h.p.sigA"), b = digest_of("h.p.sigB");
	ck_assert_int_ne(memcmp(a.bytes, b.bytes, TOKEN_DIGEST_LEN), 0);
}
END_TEST

START_TEST(token_cache_finds_what_was_added)
{
	struct token_digest a = digest_of("token-a"), b = digest_of("token-b");
	ck_assert_int_eq(token_cache_contains(&a, 100), 0);
	token_cache_add(&a, 100, 60);
	ck_assert_int_eq(token_cache_contains(&a, 100), 1);
	ck_assert_int_eq(token_cache_contains(&b, 100), 0);
	ck_assert_uint_eq(token_cache_count(), 1);
	ck_assert_uint_eq(token_cache_hits(), 1);
	ck_assert_uint_eq(token_cache_misses(), 2);
}
END_TEST

START_TEST(token_cache_entry_expires_after_its_lifetime)
{
	struct token_digest a = digest_of("token-a");
	token_cache_add(&a, 1000, 30);
	ck_assert_int_eq(token_cache_contains(&a, 1029), 1);
	ck_assert_int_eq(token_cache_contains(&a, 1030), 0);
	ck_assert_uint_eq(token_cache_count(), 0); /* dropped when found expired */
}
END_TEST

START_TEST(token_cache_entry_lives_at_most_an_hour)
{
	struct token_digest a = digest_of("token-a");
	token_cache_add(&a, 0, 10L * 24 * 3600); /* exp ten days away */
	ck_assert_int_eq(token_cache_contains(&a, TOKEN_CACHE_MAX_SECONDS - 1), 1);
	ck_assert_int_eq(token_cache_contains(&a, TOKEN_CACHE_MAX_SECONDS), 0);
}
END_TEST

START_TEST(token_cache_ignores_a_lifetime_of_zero_or_less)
{
	struct token_digest a = digest_of("token-a");
	token_cache_add(&a, 100, 0);
	token_cache_add(&a, 100, -5);
	ck_assert_uint_eq(token_cache_count(), 0);
	ck_assert_int_eq(token_cache_contains(&a, 100), 0);
}
END_TEST

START_TEST(token_cache_evicts_the_least_recently_used)
{
	struct token_digest a = digest_of("a"), b = digest_of("b"), c = digest_of("c"),
			    d = digest_of("d");
	token_cache_add(&a, 0, 600);
	token_cache_add(&b, 0, 600);
	token_cache_add(&c, 0, 600);
	/* a is used again, so b is now the oldest and goes when d comes. */
	ck_assert_int_eq(token_cache_contains(&a, 1), 1);
	token_cache_add(&d, 1, 600);
	ck_assert_uint_eq(token_cache_count(), 3);
	ck_assert_int_eq(token_cache_contains(&b, 2), 0);
	ck_assert_int_eq(token_cache_contains(&a, 2), 1);
	ck_assert_int_eq(token_cache_contains(&c, 2), 1);
	ck_assert_int_eq(token_cache_contains(&d, 2), 1);
}
END_TEST

START_TEST(token_cache_refreshes_an_entry_added_twice)
{
	struct token_digest a = digest_of("a");
	token_cache_add(&a, 0, 10);
	token_cache_add(&a, 5, 10);
	ck_assert_uint_eq(token_cache_count(), 1);
	ck_assert_int_eq(token_cache_contains(&a, 14), 1);
	ck_assert_int_eq(token_cache_contains(&a, 15), 0);
}
END_TEST

START_TEST(token_cache_flush_forgets_everything)
{
	struct token_digest a = digest_of("a"), b = digest_of("b");
	token_cache_add(&a, 0, 600);
	token_cache_add(&b, 0, 600);
	token_cache_flush();
	ck_assert_uint_eq(token_cache_count(), 0);
	ck_assert_int_eq(token_cache_contains(&a, 1), 0);
	token_cache_add(&a, 1, 600); /* and still works after */
	ck_assert_int_eq(token_cache_contains(&a, 2), 1);
}
END_TEST

START_TEST(token_cache_does_nothing_before_init)
{
	token_cache_shutdown();
	struct token_digest a = digest_of("a");
	token_cache_add(&a, 0, 600);
	ck_assert_int_eq(token_cache_contains(&a, 1), 0);
	ck_assert_uint_eq(token_cache_count(), 0);
	token_cache_flush();
	ck_assert_int_eq(token_cache_init(0), 0);
	ck_assert_int_eq(token_cache_init(0), -1); /* once */
}
END_TEST

/* Worker threads share the cache: adds, hits, evictions and flushes at
 * once, under ASan; the count never exceeds the capacity. */
static void *hammer(void *arg)
{
	unsigned id = (unsigned)(size_t)arg;
	for (unsigned i = 0; i < 4000; i++) {
		char token[32];
		/* Two tokens per thread fill the cache; every tenth call
		 * brings a new one that evicts. */
		if (i % 10 == 0)
			snprintf(token, sizeof(token), "new-%u-%u", id, i);
		else
			snprintf(token, sizeof(token), "t-%u-%u", id, i % 2);
		struct token_digest d = digest_of(token);
		if (!token_cache_contains(&d, (time_t)i))
			token_cache_add(&d, (time_t)i, 100);
		if (i % 997 == 0)
			token_cache_flush();
		ck_assert_uint_le(token_cache_count(), 8);
	}
	return NULL;
}

START_TEST(token_cache_is_shared_by_threads)
{
	token_cache_shutdown();
	ck_assert_int_eq(token_cache_init(8), 0);
	pthread_t t[4];
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
	for (size_t i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_le(token_cache_count(), 8);
	ck_assert_uint_gt(token_cache_hits(), 0);
}
END_TEST

static Suite *token_cache_suite(void)
{
	Suite *s = suite_create("token_cache");
	TCase *tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, token_digest_is_sha256_of_the_whole_token);
	tcase_add_test(tc, token_cache_finds_what_was_added);
	tcase_add_test(tc, token_cache_entry_expires_after_its_lifetime);
	tcase_add_test(tc, token_cache_entry_lives_at_most_an_hour);
	tcase_add_test(tc, token_cache_ignores_a_lifetime_of_zero_or_less);
	tcase_add_test(tc, token_cache_evicts_the_least_recently_used);
	tcase_add_test(tc, token_cache_refreshes_an_entry_added_twice);
	tcase_add_test(tc, token_cache_flush_forgets_everything);
	tcase_add_test(tc, token_cache_does_nothing_before_init);
	tcase_add_test(tc, token_cache_is_shared_by_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(token_cache_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
