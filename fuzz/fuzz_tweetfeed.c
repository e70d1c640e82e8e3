/* fuzz_tweetfeed.c: libFuzzer target for TweetFeed's bytes: the rows of
 * /v1/week and /v1/today, and the /v1/ioc answer.
 *
 * The input is parsed as a JSON array of rows, grouped into tweets (rows.c):
 * every emitted tweet has a status id of 1-20 digits, a Twitter handle as
 * its account, at least one refanged IOC of an indexed kind, a time not
 * before 1970, and a link that is "" or a valid http(s) URI on twitter.com.
 * The same bytes are then read as a /v1/ioc answer (ioc_answer.c): every
 * kept record is within the limits, its tweets are canonical twitter.com
 * links and its dates are ordered. The bytes also go through the whole
 * parse into a feed copy (parse.c) and its index, in one piece and in
 * small writes (the same answer either way), and each kept tweet and
 * record gets its sighting texts (sighting.c), which must stay within
 * CTIM's limits.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctim/uri.h"
#include "fuzz_common.h"
#include "lib/arena.h"
#include "lib/utf8.h"
#include "modules/tweetfeed/ioc_answer.h"
#include "modules/tweetfeed/parse.h"
#include "modules/tweetfeed/rows.h"
#include "modules/tweetfeed/sighting.h"
#include "modules/tweettioc/index.h"
#include "ctim/entities.h"
#include "ctim/text.h"

#define FUZZ_NOW 1796342400.0

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

static int check_tweet(void *ctx, const struct feed_tweet *t)
{
	(void)ctx;
	size_t n = strlen(t->id);
	if (n == 0 || n > 20 || strspn(t->id, "0123456789") != n)
		fuzz_fail("a grouped tweet has an id that is not a status id");
	if (!uri_twitter_handle(t->user))
		fuzz_fail("a grouped tweet's account is not a handle");
	if (t->link[0] && (!uri_valid_http(t->link) || !uri_host_is(t->link, "twitter.com")))
		fuzz_fail("a grouped tweet's link is not a twitter.com URI");
	if (t->n_iocs == 0 || t->n_iocs > FEED_MAX_IOCS_PER_TWEET || t->timestamp < 0)
		fuzz_fail("a grouped tweet has no IOC, too many, or no time");
	for (size_t i = 0; i < t->n_iocs; i++)
		if (!t->iocs[i].value[0] || !utf8_valid(t->iocs[i].value, strlen(t->iocs[i].value)))
			fuzz_fail("an IOC value is empty or not UTF-8");
	for (uint32_t i = 0; i < t->n_hashtags; i++)
		if (t->hashtags[i][0] == '#' || !t->hashtags[i][0])
			fuzz_fail("a tag kept its '#' or is empty");
	return 0;
}

static void rows(const unsigned char *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return;
	}
	struct tweetfeed_rows *r = tweetfeed_rows_new(1796342400.0);
	if (!r)
		fuzz_fail("out of memory");
	const cJSON *row;
	size_t kept = 0;
	cJSON_ArrayForEach (row, root) {
		int rc = tweetfeed_rows_add(r, row);
		if (rc < 0)
			fuzz_fail("tweetfeed_rows_add failed without an allocation failure");
		kept += (size_t)rc;
	}
	struct tweetfeed_row_stats st;
	tweetfeed_rows_stats(r, &st);
	if (st.rows != (size_t)cJSON_GetArraySize(root) ||
	    kept + st.bad_shape + st.bad_type + st.bad_link + st.bad_date + st.repeated +
			    st.over_per_tweet !=
		    st.rows)
		fuzz_fail("a row was neither kept nor counted");
	tweetfeed_rows_emit(r, check_tweet, NULL);
	tweetfeed_rows_free(r);
	cJSON_Delete(root);
}

static void check_description(char *d)
{
	if (!d || text_utf16_len(d) > CTIM_DESCRIPTION_MAX)
		fuzz_fail("a description is missing or over CTIM's limit");
	free(d);
}

/* The whole parse, in one piece and in 7-byte writes: the same copy. */
static void parse(const unsigned char *data, size_t size)
{
	struct feed *one = NULL, *pieces = NULL;
	char err[256];
	enum relay_err a =
		tweetfeed_parse((const char *)data, size, FUZZ_NOW, &one, NULL, err, sizeof(err));
	struct tweetfeed_stream *s = tweetfeed_stream_new(NULL, FUZZ_NOW);
	if (!s)
		fuzz_fail("out of memory");
	for (size_t i = 0; i < size; i += 7)
		if (tweetfeed_stream_write(s, (const char *)data + i, size - i < 7 ? size - i : 7))
			fuzz_fail("out of memory");
	enum relay_err b = tweetfeed_stream_finish(s, &pieces, NULL, err, sizeof(err));
	tweetfeed_stream_free(s);
	if (a != b || (a == RELAY_OK) != (one != NULL) || (b == RELAY_OK) != (pieces != NULL))
		fuzz_fail("the parse in pieces answered differently");
	if (a != RELAY_OK && a != RELAY_ERR_KEY_ERROR)
		fuzz_fail("tweetfeed_parse failed without an allocation failure");
	if (one && pieces && one->n_tweets != pieces->n_tweets)
		fuzz_fail("the parse in pieces kept other tweets");
	feed_free(pieces);
	if (!one)
		return;
	for (size_t i = 0; i < one->n_tweets && i < 64; i++)
		check_description(tweetfeed_tweet_description(&one->tweets[i], NULL));
	struct feed_index *index = feed_index_build(one);
	if (!index)
		fuzz_fail("out of memory");
	feed_index_free(index);
}

static void answer(const unsigned char *data, size_t size)
{
	struct arena a;
	arena_init(&a, 4096);
	struct tweetfeed_ioc_answer ans;
	char err[256];
	enum relay_err rc =
		tweetfeed_ioc_parse((const char *)data, size, &a, &ans, err, sizeof(err));
	if (rc != RELAY_OK && rc != RELAY_ERR_KEY_ERROR)
		fuzz_fail("tweetfeed_ioc_parse failed without an allocation failure");
	if (rc == RELAY_OK && ans.n_records > TWEETFEED_MAX_RECORDS)
		fuzz_fail("more records than the limit");
	for (size_t i = 0; rc == RELAY_OK && i < ans.n_records; i++) {
		const struct tweetfeed_record *r = &ans.records[i];
		if (r->last_seen < r->first_seen || r->count < 1)
			fuzz_fail("a record's dates are out of order or its count below 1");
		if (r->n_tweets > TWEETFEED_MAX_RECORD_TWEETS ||
		    r->n_users > TWEETFEED_MAX_RECORD_USERS ||
		    r->n_tags > TWEETFEED_MAX_RECORD_TAGS)
			fuzz_fail("a record's list is over its limit");
		for (size_t j = 0; j < r->n_tweets; j++)
			if (!uri_valid_http(r->tweets[j]) ||
			    !uri_host_is(r->tweets[j], "twitter.com"))
				fuzz_fail("a record's tweet link is not a twitter.com URI");
		for (size_t j = 0; j < r->n_users; j++)
			if (!uri_twitter_handle(r->users[j]))
				fuzz_fail("a record's user is not a handle");
		check_description(tweetfeed_record_description(r));
	}
	arena_free(&a);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	rows(data, size);
	parse(data, size);
	answer(data, size);
	return 0;
}
