/* fuzz_feed.c: libFuzzer target for the Twitter IOC Hunter feed (an upstream's bytes).
 *
 * feed_parse() then feed_index_build(); every kept IOC must be found again
 * through the index by its own key, and every tile is computed over the
 * copy (with "now" just after its newest tweet), because the tiles render
 * feed text into markdown and charts. The same bytes are also fed to the
 * stream parser in pieces (their size taken from the input), once on their
 * own and once sharing with the whole parse as a refresh does: each must
 * give the same answer, tweet for tweet.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_common.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/tiles.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_config();
	return 0;
}

static const char *const tile_ids[] = {
	"tweettioc-recent",   "tweettioc-summary",	"tweettioc-ioc-types",
	"tweettioc-activity", "tweettioc-top-accounts", "tweettioc-top-hashtags",
	"twitter_ioc_hunter",
};

static void check_index(const struct feed_index *index)
{
	const struct feed *feed = index->feed;
	for (size_t i = 0; i < feed->n_tweets; i++) {
		const struct feed_tweet *t = &feed->tweets[i];
		if (i > 0 && t->timestamp > feed->tweets[i - 1].timestamp)
			fuzz_fail("tweets are not newest first");
		for (size_t j = 0; j < t->n_iocs; j++) {
			const struct feed_ioc *ioc = &t->iocs[j];
			if (!ioc->key)
				continue;
			const struct feed_posting *p = feed_index_posting(index, ioc->key);
			if (!p || p->count == 0)
				fuzz_fail("an IOC key is missing from the index");
			int found = 0;
			for (uint32_t k = 0; k < p->count; k++)
				found |= index->tweet_ids[p->offset + k] == (uint32_t)i;
			if (!found)
				fuzz_fail("a posting list lacks a tweet that mentions its key");
		}
	}
}

static int same_tweet(const struct feed_tweet *a, const struct feed_tweet *b)
{
	if (strcmp(a->id, b->id) || strcmp(a->user, b->user) || strcmp(a->text, b->text) ||
	    strcmp(a->link, b->link) || a->timestamp != b->timestamp ||
	    a->n_hashtags != b->n_hashtags || a->n_iocs != b->n_iocs)
		return 0;
	for (size_t i = 0; i < a->n_hashtags; i++)
		if (strcmp(a->hashtags[i], b->hashtags[i]))
			return 0;
	for (size_t j = 0; j < a->n_iocs; j++)
		if (a->iocs[j].kind != b->iocs[j].kind ||
		    strcmp(a->iocs[j].value, b->iocs[j].value) ||
		    strcmp(a->iocs[j].ctim_type, b->iocs[j].ctim_type))
			return 0;
	return 1;
}

/* Whether t is the tweet at i of f or, the sort order not telling apart
 * tweets of one id and timestamp (a repeated id), one of those next to it. */
static int has_tweet(const struct feed *f, size_t i, const struct feed_tweet *t)
{
	size_t lo = i, hi = i + 1;
	while (lo > 0 && f->tweets[lo - 1].timestamp == t->timestamp &&
	       strcmp(f->tweets[lo - 1].id, t->id) == 0)
		lo--;
	while (hi < f->n_tweets && f->tweets[hi].timestamp == t->timestamp &&
	       strcmp(f->tweets[hi].id, t->id) == 0)
		hi++;
	for (size_t k = lo; k < hi; k++)
		if (same_tweet(&f->tweets[k], t))
			return 1;
	return 0;
}

/* Parses data in pieces of `step` bytes, sharing with `reuse`; checks the
 * outcome against the whole parse (rc, whole). */
static void check_pieces(const unsigned char *data, size_t size, size_t step,
			 const struct feed *reuse, enum relay_err rc, const struct feed *whole)
{
	struct feed_stream *st = feed_stream_new(reuse);
	if (!st)
		fuzz_fail("feed_stream_new failed without an allocation failure");
	for (size_t at = 0; at < size; at += step)
		if (feed_stream_write(st, (const char *)data + at,
				      size - at < step ? size - at : step))
			fuzz_fail("feed_stream_write failed without an allocation failure");
	struct feed *parts = NULL;
	char err[256];
	if (feed_stream_finish(st, &parts, err, sizeof(err)) != rc)
		fuzz_fail("the feed in pieces is judged unlike the whole feed");
	feed_stream_free(st);
	if (rc != RELAY_OK)
		return;
	if (parts->n_tweets != whole->n_tweets || parts->n_skipped != whole->n_skipped ||
	    parts->n_accounts != whole->n_accounts || parts->source_bytes != size)
		fuzz_fail("the feed in pieces has other counts than the whole feed");
	for (size_t i = 0; i < whole->n_tweets; i++)
		if (!has_tweet(whole, i, &parts->tweets[i]))
			fuzz_fail("a tweet of the feed in pieces differs from the whole feed's");
	/* As a refresh does: merged with the copy it shared with. */
	struct feed *merged = feed_merge(parts, reuse, 0, 0);
	if (!merged)
		fuzz_fail("feed_merge failed without an allocation failure");
	feed_free(merged);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct feed *feed = NULL;
	char err[256];
	enum relay_err rc = feed_parse((const char *)data, size, &feed, err, sizeof(err));
	size_t step = size ? 1 + data[size - 1] % 97 : 1;
	if (rc != RELAY_OK) {
		if (feed)
			fuzz_fail("feed_parse failed but returned a feed");
		if (rc != RELAY_ERR_KEY_ERROR)
			fuzz_fail("feed_parse failed without an allocation failure");
		check_pieces(data, size, step, NULL, rc, NULL);
		return 0;
	}
	check_pieces(data, size, step, NULL, rc, feed);
	check_pieces(data, size, step, feed, rc, feed);
	struct feed_index *index = feed_index_build(feed);
	if (!index)
		fuzz_fail("feed_index_build failed without an allocation failure");
	check_index(index);

	double now = index->feed->n_tweets ? index->feed->tweets[0].timestamp + 60 : 0;
	for (size_t i = 0; i < sizeof(tile_ids) / sizeof(tile_ids[0]); i++) {
		const char *periods[] = {"last_24_hours", "last_7_days"};
		for (size_t p = 0; p < 2; p++) {
			cJSON *out = NULL;
			rc = tiles_data_json(index, tile_ids[i], periods[p], now, 300, &out, err,
					     sizeof(err));
			if (rc == RELAY_OK) {
				char *text = cJSON_PrintUnformatted(out);
				if (!text)
					fuzz_fail("a tile cannot be printed");
				cJSON_free(text);
			} else if (rc != RELAY_ERR_INVALID_ARGUMENT) {
				fuzz_fail("a tile failed without an allocation failure");
			}
			cJSON_Delete(out);
		}
	}
	feed_index_free(index);
	return 0;
}
