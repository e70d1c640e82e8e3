/* test_tweetfeed_rows.c: TweetFeed rows grouped into tweets (rows.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "modules/tweetfeed/rows.h"

/* 2026-12-04 00:00:00 UTC */
#define NOW 1796342400.0

struct collected {
	const struct feed_tweet *t[16];
	size_t n;
};

static int collect(void *ctx, const struct feed_tweet *t)
{
	struct collected *c = ctx;
	if (c->n < 16)
		c->t[c->n++] = t;
	return 0;
}

/* Adds every row of a JSON array; returns how many were kept. */
static int add_all(struct tweetfeed_rows *r, const char *json)
{
	cJSON *rows = cJSON_Parse(json);
	ck_assert_ptr_nonnull(rows);
	int kept = 0;
	const cJSON *row;
	cJSON_ArrayForEach (row, rows) {
		int rc = tweetfeed_rows_add(r, row);
		ck_assert_int_ge(rc, 0);
		kept += rc;
	}
	cJSON_Delete(rows);
	return kept;
}

static const struct feed_tweet *find(const struct collected *c, const char *id)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->t[i]->id, id) == 0)
			return c->t[i];
	return NULL;
}

START_TEST(rows_of_one_status_id_are_one_tweet_on_x_and_twitter_alike)
{
	struct tweetfeed_rows *r = tweetfeed_rows_new(NOW);
	int kept = add_all(
		r, "[{\"date\":\"2026-12-03 10:00:05\",\"user\":\"@alice\",\"type\":\"ip\","
		   "\"value\":\"1.2.3.4\",\"tags\":[\"#c2\"],"
		   "\"tweet\":\"https://x.com/alice/status/111\"},"
		   "{\"date\":\"2026-12-03 09:59:00\",\"user\":\"alice\",\"type\":\"domain\","
		   "\"value\":\"evil[.]example\",\"tags\":[\"phishing\",\"#c2\"],"
		   "\"tweet\":\"https://twitter.com/alice/status/111\"},"
		   "{\"date\":\"2026-12-03 11:00:00\",\"user\":\"bob\",\"type\":\"sha256\","
		   "\"value\":\"" /* 64 hex */
		   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		   "\"tweet\":\"https://x.com/bob/status/222?s=20\"}]");
	ck_assert_int_eq(kept, 3);
	struct collected c = {0};
	ck_assert_int_eq(tweetfeed_rows_emit(r, collect, &c), 0);
	ck_assert_uint_eq(c.n, 2);
	const struct feed_tweet *a = find(&c, "111");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->user, "alice");
	ck_assert_str_eq(a->link, ""); /* rebuilt from user and id */
	ck_assert_uint_eq(a->n_iocs, 2);
	ck_assert_str_eq(a->iocs[1].value, "evil.example"); /* refanged */
	ck_assert_uint_eq(a->n_hashtags, 2);		    /* union, '#' dropped */
	ck_assert_str_eq(a->hashtags[0], "c2");
	ck_assert_str_eq(a->hashtags[1], "phishing");
	double earliest;
	ck_assert_int_eq(tweetfeed_parse_date("2026-12-03 09:59:00", &earliest), 0);
	ck_assert(a->timestamp == earliest);
	ck_assert_ptr_nonnull(find(&c, "222"));
	tweetfeed_rows_free(r);
}
END_TEST

START_TEST(rows_that_cannot_be_attributed_are_skipped_and_counted)
{
	struct tweetfeed_rows *r = tweetfeed_rows_new(NOW);
	int kept =
		add_all(r, "[1, \"x\", {},"
			   "{\"date\":\"2026-12-03 10:00:00\",\"user\":\"a\",\"type\":\"email\","
			   "\"value\":\"a@b.c\",\"tweet\":\"https://x.com/a/status/1\"},"
			   "{\"date\":\"2026-12-03 10:00:00\",\"user\":\"a\",\"type\":\"ip\","
			   "\"value\":\"1.1.1.1\",\"tweet\":\"https://evil.example/a/status/1\"},"
			   "{\"date\":\"2026-12-03 10:00:00\",\"user\":\"a\",\"type\":\"ip\","
			   "\"value\":\"1.1.1.1\",\"tweet\":\"https://x.com.evil/a/status/1\"},"
			   "{\"date\":\"2026-12-03 10:00:00\",\"user\":\"a\",\"type\":\"ip\","
			   "\"value\":\"1.1.1.1\",\"tweet\":\"https://x.com/a/likes/1\"},"
			   "{\"date\":\"2026-02-30 10:00:00\",\"user\":\"a\",\"type\":\"ip\","
			   "\"value\":\"1.1.1.1\",\"tweet\":\"https://x.com/a/status/1\"},"
			   "{\"date\":\"5138-01-01 00:00:00\",\"user\":\"a\",\"type\":\"ip\","
			   "\"value\":\"1.1.1.1\",\"tweet\":\"https://x.com/a/status/1\"},"
			   "{\"date\":\"2026-12-03 10:00:00\",\"user\":\"a\",\"type\":\"ip\","
			   "\"value\":7,\"tweet\":\"https://x.com/a/status/1\"},"
			   "{\"date\":\"2026-12-03 10:00:00\",\"user\":\"a\",\"type\":\"ip\","
			   "\"value\":\"1.1.1.1\",\"tags\":\"not-a-list\","
			   "\"tweet\":\"https://x.com/a/status/1\"},"
			   "{\"date\":\"2026-12-03 10:00:00\",\"user\":\"a\",\"type\":\"ip\","
			   "\"value\":\"1.1.1.1\",\"tweet\":\"https://x.com/a/status/1\"}]");
	ck_assert_int_eq(kept, 1);
	struct tweetfeed_row_stats st;
	tweetfeed_rows_stats(r, &st);
	ck_assert_uint_eq(st.rows, 12);
	ck_assert_uint_eq(st.bad_shape, 4);
	ck_assert_uint_eq(st.bad_type, 1);
	ck_assert_uint_eq(st.bad_link, 3);
	ck_assert_uint_eq(st.bad_date, 2);
	ck_assert_uint_eq(st.repeated, 1);
	tweetfeed_rows_free(r);
}
END_TEST

START_TEST(status_links_are_strict)
{
	char id[21], h[16];
	ck_assert_int_eq(tweetfeed_status_link("https://x.com/a_b/status/123", id, h), 1);
	ck_assert_str_eq(id, "123");
	ck_assert_str_eq(h, "a_b");
	ck_assert_int_eq(
		tweetfeed_status_link("HTTPS://Mobile.Twitter.com/a/status/9/photo/1", id, h), 1);
	ck_assert_int_eq(tweetfeed_status_link("https://x.com/a/status/", id, h), 0);
	ck_assert_int_eq(tweetfeed_status_link("https://x.com/a/status/12a", id, h), 0);
	ck_assert_int_eq(
		tweetfeed_status_link("https://x.com/a/status/123456789012345678901", id, h), 0);
	ck_assert_int_eq(tweetfeed_status_link("https://x.com/abcdefghijklmnop/status/1", id, h),
			 0);
	ck_assert_int_eq(tweetfeed_status_link("https://x.com/a b/status/1", id, h), 0);
	ck_assert_int_eq(tweetfeed_status_link("https://x.com/a/status/1 x", id, h), 0);
	ck_assert_int_eq(tweetfeed_status_link("javascript://x.com/a/status/1", id, h), 0);
	ck_assert_int_eq(tweetfeed_status_link("https://x.com@evil/a/status/1", id, h), 0);
	ck_assert_int_eq(tweetfeed_status_link(NULL, id, h), 0);
}
END_TEST

START_TEST(dates_are_utc_and_real)
{
	double t;
	ck_assert_int_eq(tweetfeed_parse_date("1970-01-01 00:00:00", &t), 0);
	ck_assert(t == 0);
	ck_assert_int_eq(tweetfeed_parse_date("2024-02-29 23:59:59", &t), 0);
	ck_assert(t == 1709251199.0);
	ck_assert_int_eq(tweetfeed_parse_date("2023-02-29 00:00:00", &t), -1);
	ck_assert_int_eq(tweetfeed_parse_date("2023-13-01 00:00:00", &t), -1);
	ck_assert_int_eq(tweetfeed_parse_date("2023-01-01T00:00:00", &t), -1);
	ck_assert_int_eq(tweetfeed_parse_date("2023-01-01 00:00:00Z", &t), -1);
	ck_assert_int_eq(tweetfeed_parse_date("2023-01-01 24:00:00", &t), -1);
	ck_assert_int_eq(tweetfeed_parse_date("", &t), -1);
}
END_TEST

START_TEST(a_user_that_is_not_a_handle_takes_the_links_account)
{
	struct tweetfeed_rows *r = tweetfeed_rows_new(NOW);
	add_all(r, "[{\"date\":\"2026-12-03 10:00:00\",\"user\":\"[x](javascript:1)\","
		   "\"type\":\"ip\",\"value\":\"1.1.1.1\","
		   "\"tweet\":\"https://x.com/carol/status/5\"},"
		   "{\"date\":\"2026-12-03 10:00:00\",\"user\":\"dave\","
		   "\"type\":\"ip\",\"value\":\"2.2.2.2\","
		   "\"tweet\":\"https://x.com/erin/status/6\"}]");
	struct collected c = {0};
	tweetfeed_rows_emit(r, collect, &c);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_str_eq(find(&c, "5")->user, "carol");
	ck_assert_str_eq(find(&c, "5")->link, "");
	ck_assert_str_eq(find(&c, "6")->user, "dave");
	ck_assert_str_eq(find(&c, "6")->link, "https://twitter.com/erin/status/6");
	tweetfeed_rows_free(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tweetfeed_rows");
	TCase *tc = tcase_create("rows");
	tcase_add_test(tc, rows_of_one_status_id_are_one_tweet_on_x_and_twitter_alike);
	tcase_add_test(tc, rows_that_cannot_be_attributed_are_skipped_and_counted);
	tcase_add_test(tc, status_links_are_strict);
	tcase_add_test(tc, dates_are_utc_and_real);
	tcase_add_test(tc, a_user_that_is_not_a_handle_takes_the_links_account);
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
