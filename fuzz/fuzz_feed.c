/* fuzz_feed.c: libFuzzer target for the Twitter IOC Hunter feed (an upstream's bytes).
 *
 * feed_parse() then feed_index_build(); every kept IOC must be found again
 * through the index by its own key, and every tile is computed over the
 * copy (with "now" just after its newest tweet), because the tiles render
 * feed text into markdown and charts.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_common.h"
#include "tweettioc/feed.h"
#include "tweettioc/index.h"
#include "tweettioc/tiles.h"

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

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct feed *feed = NULL;
	char err[256];
	enum relay_err rc = feed_parse((const char *)data, size, &feed, err, sizeof(err));
	if (rc != RELAY_OK) {
		if (feed)
			fuzz_fail("feed_parse failed but returned a feed");
		if (rc != RELAY_ERR_KEY_ERROR)
			fuzz_fail("feed_parse failed without an allocation failure");
		return 0;
	}
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
