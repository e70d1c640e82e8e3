/* test_token_cache.c: the verified-token cache on its own: digests, expiry, LRU, flush, threads.
 *
 * Times are passed in, so expiry is tested without sleeping; auth-level
 * behaviour (a hit skips the signature, claims still checked, the key still
 * published) is in test_auth.c.
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
	ck_assert_int_eq(token_cache_contains(&a, 100, NULL), 0);
	token_cache_add(&a, 100, 60, NULL);
	ck_assert_int_eq(token_cache_contains(&a, 100, NULL), 1);
	ck_assert_int_eq(token_cache_contains(&b, 100, NULL), 0);
	ck_assert_uint_eq(token_cache_count(), 1);
	ck_assert_uint_eq(token_cache_hits(), 1);
	ck_assert_uint_eq(token_cache_misses(), 2);
}
END_TEST

START_TEST(token_cache_entry_expires_after_its_lifetime)
{
	struct token_digest a = digest_of("token-a");
	token_cache_add(&a, 1000, 30, NULL);
	ck_assert_int_eq(token_cache_contains(&a, 1029, NULL), 1);
	ck_assert_int_eq(token_cache_contains(&a, 1030, NULL), 0);
	ck_assert_uint_eq(token_cache_count(), 0); /* dropped when found expired */
}
END_TEST

START_TEST(token_cache_entry_lives_at_most_an_hour)
{
	struct token_digest a = digest_of("token-a");
	token_cache_add(&a, 0, 10L * 24 * 3600, NULL); /* exp ten days away */
	ck_assert_int_eq(token_cache_contains(&a, TOKEN_CACHE_MAX_SECONDS - 1, NULL), 1);
	ck_assert_int_eq(token_cache_contains(&a, TOKEN_CACHE_MAX_SECONDS, NULL), 0);
}
END_TEST

START_TEST(token_cache_ignores_a_lifetime_of_zero_or_less)
{
	struct token_digest a = digest_of("token-a");
	token_cache_add(&a, 100, 0, NULL);
	token_cache_add(&a, 100, -5, NULL);
	ck_assert_uint_eq(token_cache_count(), 0);
	ck_assert_int_eq(token_cache_contains(&a, 100, NULL), 0);
}
END_TEST

START_TEST(token_cache_evicts_the_least_recently_used)
{
	struct token_digest a = digest_of("a"), b = digest_of("b"), c = digest_of("c"),
			    d = digest_of("d");
	token_cache_add(&a, 0, 600, NULL);
	token_cache_add(&b, 0, 600, NULL);
	token_cache_add(&c, 0, 600, NULL);
	/* a is used again, so b is now the oldest and goes when d comes. */
	ck_assert_int_eq(token_cache_contains(&a, 1, NULL), 1);
	token_cache_add(&d, 1, 600, NULL);
	ck_assert_uint_eq(token_cache_count(), 3);
	ck_assert_int_eq(token_cache_contains(&b, 2, NULL), 0);
	ck_assert_int_eq(token_cache_contains(&a, 2, NULL), 1);
	ck_assert_int_eq(token_cache_contains(&c, 2, NULL), 1);
	ck_assert_int_eq(token_cache_contains(&d, 2, NULL), 1);
}
END_TEST

START_TEST(token_cache_refreshes_an_entry_added_twice)
{
	struct token_digest a = digest_of("a");
	token_cache_add(&a, 0, 10, NULL);
	token_cache_add(&a, 5, 10, NULL);
	ck_assert_uint_eq(token_cache_count(), 1);
	ck_assert_int_eq(token_cache_contains(&a, 14, NULL), 1);
	ck_assert_int_eq(token_cache_contains(&a, 15, NULL), 0);
}
END_TEST

START_TEST(token_cache_flush_forgets_everything)
{
	struct token_digest a = digest_of("a"), b = digest_of("b");
	token_cache_add(&a, 0, 600, NULL);
	token_cache_add(&b, 0, 600, NULL);
	token_cache_flush();
	ck_assert_uint_eq(token_cache_count(), 0);
	ck_assert_int_eq(token_cache_contains(&a, 1, NULL), 0);
	token_cache_add(&a, 1, 600, NULL); /* and still works after */
	ck_assert_int_eq(token_cache_contains(&a, 2, NULL), 1);
}
END_TEST

START_TEST(token_cache_does_nothing_before_init)
{
	token_cache_shutdown();
	struct token_digest a = digest_of("a");
	token_cache_add(&a, 0, 600, NULL);
	ck_assert_int_eq(token_cache_contains(&a, 1, NULL), 0);
	ck_assert_uint_eq(token_cache_count(), 0);
	token_cache_flush();
	ck_assert_int_eq(token_cache_init(0), 0);
	ck_assert_int_eq(token_cache_init(0), -1); /* once */
}
END_TEST

/* ---- the key of each entry (issue 18, finding 6) ------------------------ */

static struct token_key key_of(const char *host, const char *kid, unsigned long serial)
{
	struct token_key k;
	memset(&k, 0, sizeof(k));
	snprintf(k.host, sizeof(k.host), "%s", host);
	snprintf(k.kid, sizeof(k.kid), "%s", kid);
	k.serial = serial;
	return k;
}

/* A hit hands back the JWKS host, kid and serial the token was verified
 * with, so the caller can ask whether that key is still published. */
START_TEST(token_cache_remembers_the_key_of_each_entry)
{
	struct token_digest a = digest_of("a"), b = digest_of("b");
	struct token_key ka = key_of("visibility.amp.cisco.com", "k1", 7);
	token_cache_add(&a, 0, 600, &ka);
	token_cache_add(&b, 0, 600, NULL); /* hs256: no key */
	struct token_key got = key_of("stale", "stale", 99);
	ck_assert_int_eq(token_cache_contains(&a, 1, &got), 1);
	ck_assert_str_eq(got.host, "visibility.amp.cisco.com");
	ck_assert_str_eq(got.kid, "k1");
	ck_assert_uint_eq(got.serial, 7);
	ck_assert_int_eq(token_cache_contains(&b, 1, &got), 1);
	ck_assert_str_eq(got.host, "");
	ck_assert_str_eq(got.kid, "");
	ck_assert_uint_eq(got.serial, 0);
	/* A miss leaves `key` alone. */
	struct token_digest c = digest_of("c");
	got = key_of("x", "y", 3);
	ck_assert_int_eq(token_cache_contains(&c, 1, &got), 0);
	ck_assert_str_eq(got.host, "x");
}
END_TEST

/* Verified again with another key (the entry was forgotten meanwhile, or
 * two threads raced): the last key counts. */
START_TEST(token_cache_add_replaces_the_key_of_an_entry)
{
	struct token_digest a = digest_of("a");
	struct token_key k1 = key_of("h", "k1", 1), k2 = key_of("h", "k2-longer-kid", 2);
	token_cache_add(&a, 0, 600, &k1);
	token_cache_add(&a, 0, 600, &k2);
	ck_assert_uint_eq(token_cache_count(), 1);
	struct token_key got;
	ck_assert_int_eq(token_cache_contains(&a, 1, &got), 1);
	ck_assert_str_eq(got.kid, "k2-longer-kid");
	ck_assert_uint_eq(got.serial, 2);
}
END_TEST

/* The longest host and kid the JWKS cache accepts fit; an unterminated
 * name is not read past its array, and not cached. */
START_TEST(token_cache_keeps_names_within_their_bounds)
{
	struct token_digest a = digest_of("a"), b = digest_of("b");
	struct token_key k;
	memset(k.host, 'h', sizeof(k.host));
	k.host[TOKEN_KEY_MAX_HOST] = '\0';
	memset(k.kid, 'k', sizeof(k.kid));
	k.kid[TOKEN_KEY_MAX_KID] = '\0';
	k.serial = 5;
	token_cache_add(&a, 0, 600, &k);
	struct token_key got;
	ck_assert_int_eq(token_cache_contains(&a, 1, &got), 1);
	ck_assert_uint_eq(strlen(got.host), TOKEN_KEY_MAX_HOST);
	ck_assert_uint_eq(strlen(got.kid), TOKEN_KEY_MAX_KID);
	k.kid[TOKEN_KEY_MAX_KID] = 'k'; /* no terminator left */
	token_cache_add(&b, 0, 600, &k);
	ck_assert_int_eq(token_cache_contains(&b, 1, NULL), 0);
	ck_assert_uint_eq(token_cache_count(), 1);
}
END_TEST

/* A hit whose key is gone: the entry goes, and the lookup was a miss. */
START_TEST(token_cache_forget_drops_the_entry_and_counts_a_miss)
{
	struct token_digest a = digest_of("a"), b = digest_of("b");
	struct token_key k = key_of("h", "k1", 1);
	token_cache_add(&a, 0, 600, &k);
	token_cache_add(&b, 0, 600, &k);
	ck_assert_int_eq(token_cache_contains(&a, 1, NULL), 1);
	ck_assert_uint_eq(token_cache_hits(), 1);
	token_cache_forget(&a);
	ck_assert_uint_eq(token_cache_hits(), 0);
	ck_assert_uint_eq(token_cache_misses(), 1);
	ck_assert_uint_eq(token_cache_count(), 1);
	ck_assert_int_eq(token_cache_contains(&a, 2, NULL), 0);
	ck_assert_int_eq(token_cache_contains(&b, 2, NULL), 1);
	token_cache_forget(&a); /* gone already: only the count moves */
	ck_assert_uint_eq(token_cache_count(), 1);
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
		if (!token_cache_contains(&d, (time_t)i, NULL))
			token_cache_add(&d, (time_t)i, 100, NULL);
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
	tcase_add_test(tc, token_cache_remembers_the_key_of_each_entry);
	tcase_add_test(tc, token_cache_add_replaces_the_key_of_an_entry);
	tcase_add_test(tc, token_cache_keeps_names_within_their_bounds);
	tcase_add_test(tc, token_cache_forget_drops_the_entry_and_counts_a_miss);
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
