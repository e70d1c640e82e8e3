/* test_tweetfeed_parse.c: TweetFeed answers into indexed feed copies (parse.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strbuf.h"
#include "modules/tweetfeed/parse.h"
#include "modules/tweettioc/index.h"

/* 2026-12-04 00:00:00 UTC */
#define NOW 1796342400.0

static const char *ANSWER =
	"[{\"date\":\"2026-12-03 10:00:05\",\"user\":\"@alice\",\"type\":\"ip\","
	"\"value\":\"203.0.113.7\",\"tags\":[\"#c2\"],"
	"\"tweet\":\"https://x.com/alice/status/111\"},"
	"{\"date\":\"2026-12-03 09:59:00\",\"user\":\"alice\",\"type\":\"domain\","
	"\"value\":\"Evil[.]Example\",\"tags\":[\"phishing\"],"
	"\"tweet\":\"https://twitter.com/alice/status/111\"},"
	"{\"date\":\"2026-12-03 11:00:00\",\"user\":\"bob\",\"type\":\"url\","
	"\"value\":\"hxxps://evil[.]example/login\","
	"\"tweet\":\"https://x.com/bob/status/222\"},"
	"{\"date\":\"2026-12-03 11:00:00\",\"user\":\"bob\",\"type\":\"btc\","
	"\"value\":\"1abc\",\"tweet\":\"https://x.com/bob/status/222\"}]";

static struct feed_index *parse_index(const char *json, struct tweetfeed_parse_info *info)
{
	struct feed *feed = NULL;
	char err[256];
	ck_assert_int_eq(tweetfeed_parse(json, strlen(json), NOW, &feed, info, err, sizeof(err)),
			 RELAY_OK);
	struct feed_index *index = feed_index_build(feed);
	ck_assert_ptr_nonnull(index);
	return index;
}

START_TEST(rows_become_tweets_newest_first_with_refanged_matching_iocs)
{
	struct tweetfeed_parse_info info;
	struct feed_index *index = parse_index(ANSWER, &info);
	const struct feed *f = index->feed;
	ck_assert_uint_eq(f->n_tweets, 2);
	ck_assert_str_eq(f->tweets[0].id, "222");
	ck_assert_str_eq(f->tweets[1].id, "111");
	ck_assert_uint_eq(f->tweets[1].n_iocs, 2);
	ck_assert_uint_eq(info.rows.rows, 4);
	ck_assert_uint_eq(info.rows.bad_type, 1);
	ck_assert_uint_eq(f->n_skipped, 1);
	ck_assert_int_eq(info.capped, 0);
	const uint32_t *ids;
	/* Exact, refanged, case-folded for domains, scheme-less URL too. */
	ck_assert_uint_eq(feed_index_lookup(index, "domain", "evil.example", &ids), 1);
	ck_assert_str_eq(f->tweets[ids[0]].id, "111");
	ck_assert_uint_eq(feed_index_lookup(index, "domain", "EVIL.EXAMPLE", &ids), 1);
	ck_assert_uint_eq(feed_index_lookup(index, "url", "https://evil.example/login", &ids), 1);
	ck_assert_uint_eq(feed_index_lookup(index, "url", "evil.example/login", &ids), 1);
	ck_assert_uint_eq(feed_index_lookup(index, "ip", "203.0.113.7", &ids), 1);
	ck_assert_uint_eq(feed_index_lookup(index, "ip", "3.0.113.7", &ids), 0);
	ck_assert_uint_eq(feed_index_lookup(index, "domain", "vil.example", &ids), 0);
	feed_index_free(index);
}
END_TEST

START_TEST(answers_of_the_wrong_shape_are_refused)
{
	static const char *bad[] = {
		"",	   "{\"rows\":[]}", "[{\"date\":",
		"[1,2,3]", "[] x",	    "[{\"type\":\"ip\",\"value\":\"1.2.3.4\"}]"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct feed *feed = (struct feed *)1;
		char err[256] = "";
		ck_assert_int_eq(
			tweetfeed_parse(bad[i], strlen(bad[i]), NOW, &feed, NULL, err, sizeof(err)),
			RELAY_ERR_KEY_ERROR);
		ck_assert_ptr_null(feed);
		ck_assert_msg(err[0], "no reason for %s", bad[i]);
	}
}
END_TEST

START_TEST(an_answer_cut_short_or_with_an_endless_row_is_refused)
{
	/* A row that never ends: refused once it is past any row's size. */
	struct tweetfeed_stream *s = tweetfeed_stream_new(NULL, NOW);
	ck_assert_int_eq(tweetfeed_stream_write(s, "[{\"value\":\"", 11), 0);
	static char chunk[4096];
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(tweetfeed_stream_write(s, chunk, sizeof(chunk)), 0);
	struct feed *feed = NULL;
	char err[256];
	ck_assert_int_eq(tweetfeed_stream_finish(s, &feed, NULL, err, sizeof(err)),
			 RELAY_ERR_KEY_ERROR);
	ck_assert_str_eq(err, "the TweetFeed answer is not valid JSON");
	tweetfeed_stream_free(s);
	/* The first rows of an answer cut short are not used either. */
	size_t cut = strlen(ANSWER) - 30;
	ck_assert_int_eq(tweetfeed_parse(ANSWER, cut, NOW, &feed, NULL, err, sizeof(err)),
			 RELAY_ERR_KEY_ERROR);
	ck_assert_ptr_null(feed);
	ck_assert_str_eq(err, "the TweetFeed answer is not valid JSON (cut short)");
}
END_TEST

START_TEST(an_empty_answer_is_an_empty_copy)
{
	struct tweetfeed_parse_info info;
	struct feed_index *index = parse_index(" [ ] ", &info);
	ck_assert_uint_eq(index->feed->n_tweets, 0);
	feed_index_free(index);
}
END_TEST

START_TEST(a_nul_escape_never_cuts_a_value_into_another)
{
	const char *json = "[{\"date\":\"2026-12-03 10:00:05\",\"user\":\"alice\",\"type\":"
			   "\"domain\",\"value\":\"evil.example\\u0000.good.example\","
			   "\"tweet\":\"https://x.com/alice/status/1\"},"
			   "{\"date\":\"2026-12-03 10:00:05\",\"user\":\"alice\",\"type\":"
			   "\"ip\",\"value\":\"203.0.113.9\","
			   "\"tweet\":\"https://x.com/alice/status/2\"}]";
	struct feed_index *index = parse_index(json, NULL);
	const uint32_t *ids;
	ck_assert_uint_eq(feed_index_lookup(index, "domain", "evil.example", &ids), 0);
	ck_assert_uint_eq(feed_index_lookup(index, "ip", "203.0.113.9", &ids), 1);
	feed_index_free(index);
}
END_TEST

START_TEST(an_answer_of_ten_thousand_rows_is_used_and_reported_cut)
{
	struct strbuf sb;
	strbuf_init(&sb, 8 << 20);
	strbuf_appends(&sb, "[");
	for (int i = 0; i < TWEETFEED_ROW_CAP; i++)
		strbuf_printf(&sb,
			      "%s{\"date\":\"2026-12-03 10:00:00\",\"user\":\"u%d\","
			      "\"type\":\"ip\",\"value\":\"10.%d.%d.1\","
			      "\"tweet\":\"https://x.com/u%d/status/%d\"}",
			      i ? "," : "", i % 50, i / 256, i % 256, i % 50, i / 3 + 1);
	strbuf_appends(&sb, "]");
	ck_assert_int_eq(sb.failed, 0);
	struct tweetfeed_parse_info info;
	struct feed_index *index = parse_index(sb.data, &info);
	ck_assert_int_eq(info.capped, 1);
	ck_assert_uint_eq(info.rows.rows, TWEETFEED_ROW_CAP);
	ck_assert_uint_gt(index->feed->n_tweets, 3000);
	feed_index_free(index);
	strbuf_free(&sb);
}
END_TEST

START_TEST(the_stream_in_pieces_gives_the_whole_parse)
{
	struct tweetfeed_stream *s;
	struct feed *feed = NULL;
	char err[256];
	static const size_t pieces[] = {1, 7, 4096};
	for (size_t k = 0; k < sizeof(pieces) / sizeof(*pieces); k++) {
		size_t step = pieces[k];
		s = tweetfeed_stream_new(NULL, NOW);
		ck_assert_ptr_nonnull(s);
		for (size_t i = 0, n = strlen(ANSWER); i < n; i += step)
			ck_assert_int_eq(
				tweetfeed_stream_write(s, ANSWER + i, n - i < step ? n - i : step),
				0);
		struct tweetfeed_parse_info info;
		ck_assert_int_eq(tweetfeed_stream_finish(s, &feed, &info, err, sizeof(err)),
				 RELAY_OK);
		ck_assert_uint_eq(feed->n_tweets, 2);
		ck_assert_uint_eq(info.rows.rows, 4);
		ck_assert_uint_eq(feed->source_bytes, strlen(ANSWER));
		feed_free(feed);
		tweetfeed_stream_free(s);
	}
	/* Nothing written: not JSON. */
	s = tweetfeed_stream_new(NULL, NOW);
	ck_assert_int_eq(tweetfeed_stream_finish(s, &feed, NULL, err, sizeof(err)),
			 RELAY_ERR_KEY_ERROR);
	tweetfeed_stream_free(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tweetfeed_parse");
	TCase *tc = tcase_create("parse");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rows_become_tweets_newest_first_with_refanged_matching_iocs);
	tcase_add_test(tc, answers_of_the_wrong_shape_are_refused);
	tcase_add_test(tc, an_empty_answer_is_an_empty_copy);
	tcase_add_test(tc, an_answer_cut_short_or_with_an_endless_row_is_refused);
	tcase_add_test(tc, a_nul_escape_never_cuts_a_value_into_another);
	tcase_add_test(tc, an_answer_of_ten_thousand_rows_is_used_and_reported_cut);
	tcase_add_test(tc, the_stream_in_pieces_gives_the_whole_parse);
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
