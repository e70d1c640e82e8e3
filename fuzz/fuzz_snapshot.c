/* fuzz_snapshot.c: libFuzzer target for the feed snapshot (a file on disk, maybe hand-edited).
 *
 * snapshot_decode() without the checksum check, so that mutated payloads
 * reach the tweet reader, then with it; a decoded feed is indexed and every
 * tweet must have the shape feed_parse() guarantees: no time after the
 * clock's bounds, each id once.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <glib.h>

#include "fuzz_common.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/snapshot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_config();
	return 0;
}

/* The clock the decoder is given: after the seeds' times (late 2025). */
#define FUZZ_NOW 1800000000.0

static void check_feed(const struct feed *feed)
{
	GHashTable *ids = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t i = 0; i < feed->n_tweets; i++) {
		const struct feed_tweet *t = &feed->tweets[i];
		if (i > 0 && t->timestamp > feed->tweets[i - 1].timestamp)
			fuzz_fail("tweets are not newest first");
		if (!t->id[0] || !t->user[0] || !t->link || !isfinite(t->timestamp))
			fuzz_fail("a decoded tweet lacks a field");
		if (t->timestamp > FUZZ_NOW + FEED_MAX_AHEAD)
			fuzz_fail("a decoded tweet is dated over a day ahead of the clock");
		if (!g_hash_table_add(ids, (gpointer)t->id))
			fuzz_fail("a decoded feed holds an id twice");
		if (t->n_hashtags > FEED_MAX_HASHTAGS || t->n_iocs > FEED_MAX_IOCS_PER_TWEET)
			fuzz_fail("a decoded tweet has too many hashtags or IOCs");
		for (size_t j = 0; j < t->n_iocs; j++)
			if ((unsigned)t->iocs[j].kind >= FEED_IOC__MAX || !t->iocs[j].ctim_type)
				fuzz_fail("a decoded IOC has no kind");
	}
	g_hash_table_destroy(ids);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	for (int check_sum = 0; check_sum < 2; check_sum++) {
		struct feed *feed = NULL;
		double when = -1;
		char err[256];
		if (snapshot_decode(data, size, check_sum, FUZZ_NOW, &feed, &when, err,
				    sizeof(err)) != 0) {
			if (feed)
				fuzz_fail("snapshot_decode failed but returned a feed");
			if (!err[0])
				fuzz_fail("snapshot_decode failed without a reason");
			continue;
		}
		if (!(when >= 0) || when > FUZZ_NOW + SNAPSHOT_CLOCK_SLACK)
			fuzz_fail("a decoded snapshot has no refresh time, or one in the future");
		check_feed(feed);
		struct feed_index *index = feed_index_build(feed);
		if (!index)
			fuzz_fail("feed_index_build failed without an allocation failure");
		feed_index_free(index);
	}
	return 0;
}
