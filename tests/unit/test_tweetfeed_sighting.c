/* test_tweetfeed_sighting.c: the tweetfeed module's sightings and texts (sighting.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctim/entities.h"
#include "ctim/text.h"
#include "modules/tweetfeed/sighting.h"

/* 2025-11-22 13:05:09 UTC */
#define WHEN 1763816709.0

static struct feed_ioc iocs[] = {
	{.kind = FEED_IOC_IP, .value = "203.0.113.7", .ctim_type = "ip"},
	{.kind = FEED_IOC_URL, .value = "https://evil.example/login", .ctim_type = "url"},
};
static const char *tags[] = {"phishing", "[x](javascript:alert(1))"};

static struct feed_tweet tweet(void)
{
	struct feed_tweet t = {
		.id = "1800000000000000000",
		.user = "phisher",
		.text = "",
		.link = "",
		.hashtags = tags,
		.n_hashtags = 2,
		.timestamp = WHEN,
		.iocs = iocs,
		.n_iocs = 2,
	};
	return t;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	ck_assert_msg(cJSON_IsString(v), "no string %s", k);
	return v->valuestring;
}

/* Whole numbers are raw JSON text in the tree (entities.c). */
static const char *raw(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	ck_assert_msg(cJSON_IsRaw(v), "no raw %s", k);
	return v->valuestring;
}

START_TEST(tweet_description_names_account_tags_iocs_and_link)
{
	struct feed_tweet t = tweet();
	char *d = tweetfeed_tweet_description(&t, "https://twitter.com/phisher/status/1");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d, "**Account:** [@phisher](https://twitter.com/phisher) on Twitter, "
			    "2025-11-22 13:05 UTC\n\n"
			    "**Tags:** \\#phishing \\#\\[x\\]\\(javascript\\:alert\\(1\\)\\)\n\n"
			    "**IOCs:** ip `203.0.113.7`, url `https://evil.example/login`\n\n"
			    "**Link:** [open the tweet](https://twitter.com/phisher/status/1)");
	free(d);
}
END_TEST

START_TEST(tweet_description_stays_within_ctim_limits_with_many_long_iocs)
{
	static struct feed_ioc many[200];
	static char values[200][600];
	for (int i = 0; i < 200; i++) {
		memset(values[i], 'a', 599);
		values[i][0] = (char)('a' + i % 26);
		values[i][599] = '\0';
		many[i] = (struct feed_ioc){
			.kind = FEED_IOC_DOMAIN, .value = values[i], .ctim_type = "domain"};
	}
	struct feed_tweet t = tweet();
	t.iocs = many;
	t.n_iocs = 200;
	char *d = tweetfeed_tweet_description(&t, "https://twitter.com/phisher/status/1");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_le(text_utf16_len(d), CTIM_DESCRIPTION_MAX);
	ck_assert_ptr_nonnull(strstr(d, "more)"));
	/* The link survives the cut: it comes after the IOCs. */
	ck_assert_ptr_nonnull(strstr(d, "[open the tweet](https://twitter.com/phisher/status/1)"));
	/* Every code span is closed. */
	size_t ticks = 0;
	for (const char *p = d; *p; p++)
		ticks += *p == '`';
	ck_assert_uint_eq(ticks % 2, 0);
	free(d);
}
END_TEST

START_TEST(tweet_sighting_has_tweetfeed_source_table_and_link)
{
	struct feed_tweet t = tweet();
	cJSON *s = tweetfeed_tweet_sighting(&t, "ip", "203.0.113.7", NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(str(s, "source"), "TweetFeed");
	ck_assert_str_eq(str(s, "title"), "Tweeted by @phisher");
	ck_assert_str_eq(str(s, "source_uri"),
			 "https://twitter.com/phisher/status/1800000000000000000");
	ck_assert_str_eq(raw(s, "count"), "1");
	const cJSON *data = cJSON_GetObjectItem(s, "data");
	const cJSON *cols = cJSON_GetObjectItem(data, "columns");
	ck_assert_int_eq(cJSON_GetArraySize(cols), 4);
	const char *names[] = {"Account", "Tags", "IOCs", "Link"};
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(str(cJSON_GetArrayItem(cols, i), "name"), names[i]);
	const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(data, "rows"), 0);
	ck_assert_str_eq(cJSON_GetArrayItem(row, 0)->valuestring, "@phisher");
	ck_assert_str_eq(cJSON_GetArrayItem(row, 1)->valuestring,
			 "#phishing #[x](javascript:alert(1))");
	ck_assert_str_eq(cJSON_GetArrayItem(row, 2)->valuestring,
			 "ip `203.0.113.7`, url `https://evil.example/login`");
	ck_assert_str_eq(
		str(s, "short_description"),
		"@phisher tweeted ip 203\\[.\\]0\\[.\\]113\\[.\\]7 on 2025-11-22 13:05 UTC");
	cJSON_Delete(s);
}
END_TEST

START_TEST(tweet_without_usable_link_has_no_link_column)
{
	struct feed_tweet t = tweet();
	cJSON *table = tweetfeed_tweet_table(&t, NULL);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(table, "columns")), 3);
	ck_assert_int_eq(
		cJSON_GetArraySize(cJSON_GetArrayItem(cJSON_GetObjectItem(table, "rows"), 0)), 3);
	cJSON_Delete(table);
}
END_TEST

START_TEST(record_sighting_counts_and_spans_first_to_last_seen)
{
	const char *users[] = {"alice", "bob"};
	const char *rtags[] = {"c2"};
	const char *tweets[] = {"https://twitter.com/alice/status/1",
				"https://twitter.com/bob/status/2"};
	struct tweetfeed_record r = {
		.type = "ip",
		.value = "203.0.113.7",
		.first_seen = WHEN - 86400,
		.last_seen = WHEN,
		.count = 7,
		.users = users,
		.n_users = 2,
		.tags = rtags,
		.n_tags = 1,
		.tweets = tweets,
		.n_tweets = 2,
	};
	cJSON *s = tweetfeed_record_sighting(&r, "ip", "203.0.113.7");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(str(s, "title"), "Seen on TweetFeed (365 days)");
	ck_assert_str_eq(raw(s, "count"), "7");
	const cJSON *ot = cJSON_GetObjectItem(s, "observed_time");
	ck_assert_str_eq(str(ot, "start_time"), "2025-11-21T13:05:09.000Z");
	ck_assert_str_eq(str(ot, "end_time"), "2025-11-22T13:05:09.000Z");
	ck_assert_str_eq(str(s, "source_uri"), "https://twitter.com/alice/status/1");
	ck_assert_str_eq(str(s, "description"),
			 "**Seen:** 7 times on TweetFeed, first 2025-11-21 13:05 UTC, last "
			 "2025-11-22 13:05 UTC\n\n"
			 "**Accounts:** [@alice](https://twitter.com/alice), "
			 "[@bob](https://twitter.com/bob)\n\n"
			 "**Tags:** \\#c2\n\n"
			 "**Tweets:** [tweet 1](https://twitter.com/alice/status/1), "
			 "[tweet 2](https://twitter.com/bob/status/2)");
	cJSON_Delete(s);
}
END_TEST

START_TEST(reasons_count_in_words)
{
	char out[128];
	tweetfeed_tweets_reason(1, 1, out, sizeof(out));
	ck_assert_str_eq(out, "Mentioned in 1 tweet by 1 account");
	tweetfeed_tweets_reason(3, 2, out, sizeof(out));
	ck_assert_str_eq(out, "Mentioned in 3 tweets by 2 accounts");
	tweetfeed_record_reason(12, out, sizeof(out));
	ck_assert_str_eq(out, "Seen 12 times on TweetFeed in 365 days");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tweetfeed_sighting");
	TCase *tc = tcase_create("sighting");
	tcase_add_test(tc, tweet_description_names_account_tags_iocs_and_link);
	tcase_add_test(tc, tweet_description_stays_within_ctim_limits_with_many_long_iocs);
	tcase_add_test(tc, tweet_sighting_has_tweetfeed_source_table_and_link);
	tcase_add_test(tc, tweet_without_usable_link_has_no_link_column);
	tcase_add_test(tc, record_sighting_counts_and_spans_first_to_last_seen);
	tcase_add_test(tc, reasons_count_in_words);
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
