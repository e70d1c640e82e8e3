/* fuzz_feed.c: libFuzzer target for the Twitter IOC Hunter feed (an upstream's bytes).
 *
 * feed_parse() then feed_index_build(); every kept IOC must be found again
 * through the index by its own key, and every tile is computed over the
 * copy (with "now" just after its newest tweet), because the tiles render
 * feed text into markdown and charts. The same bytes are also fed to the
 * stream parser in pieces (their size taken from the input), once on their
 * own and once sharing with the whole parse as a refresh does: each must
 * give the same answer, tweet for tweet.
 *
 * The scan that splits the array (feed_scan.h) is checked against cJSON:
 * it ends an array where a whole-document parse does, with as many items;
 * and with a small item limit (taken from the input) it hands over the
 * same items, those over the limit unread, never keeping more than the
 * limit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz_common.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/feed_scan.h"
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

/* The items a scan handed over: each one's length, and whether it came
 * unread (over the limit); whether cJSON took the last one for invalid. */
struct scan_log {
	size_t n, *lens;
	unsigned char *unread;
	size_t limit;
	int last_invalid;
};

static enum feed_scan_next log_item(void *ctx, const char *p, size_t n)
{
	struct scan_log *log = ctx;
	if (p ? n > log->limit : n <= log->limit)
		fuzz_fail("the scan handed over an item on the wrong side of its limit");
	log->lens[log->n] = n;
	log->unread[log->n++] = p == NULL;
	if (!p)
		return FEED_SCAN_GO;
	const char *end = NULL;
	cJSON *v = n ? cJSON_ParseWithLengthOpts(p, n, &end, 0) : NULL;
	log->last_invalid = !v || end != p + n;
	cJSON_Delete(v);
	return log->last_invalid ? FEED_SCAN_INVALID : FEED_SCAN_GO;
}

/* Scans data in pieces of `step` with an item limit; returns the state. */
static enum feed_scan_state scan(const unsigned char *data, size_t size, size_t step,
				 struct scan_log *log)
{
	struct feed_scan sc;
	feed_scan_init(&sc, log->limit);
	for (size_t at = 0; at < size; at += step) {
		if (feed_scan_write(&sc, (const char *)data + at,
				    size - at < step ? size - at : step, log_item, log))
			fuzz_fail("the scan stopped without an allocation failure");
		if (sc.pending_len > log->limit)
			fuzz_fail("the scan kept more than its limit");
	}
	enum feed_scan_state state = sc.state;
	feed_scan_free(&sc);
	return state;
}

static void check_scan(const unsigned char *data, size_t size, size_t step)
{
	size_t cap = size + 1;
	struct scan_log whole = {
		.lens = calloc(cap, sizeof(size_t)), .unread = calloc(cap, 1), .limit = size + 1};
	struct scan_log small = {.lens = calloc(cap, sizeof(size_t)),
				 .unread = calloc(cap, 1),
				 .limit = 1 + (size ? data[0] % 48 : 0)};
	if (!whole.lens || !whole.unread || !small.lens || !small.unread)
		fuzz_fail("out of memory without an allocation failure");
	enum feed_scan_state s_whole = scan(data, size, size ? size : 1, &whole);
	enum feed_scan_state s_small = scan(data, size, step, &small);
	/* Against a whole-document parse: the same array, item for item (a
	 * byte-order mark, which cJSON skips, and nesting near cJSON's limit,
	 * one level deeper for the document, aside). */
	cJSON *doc = cJSON_ParseWithLengthOpts((const char *)data, size, NULL, 0);
	size_t opens = 0;
	for (size_t i = 0; i < size; i++)
		opens += data[i] == '[' || data[i] == '{';
	int bom = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0;
	int array = s_whole == FEED_SCAN_END && !whole.last_invalid;
	if (!bom && opens < CJSON_NESTING_LIMIT - 1 &&
	    (array != cJSON_IsArray(doc) || (array && (size_t)cJSON_GetArraySize(doc) != whole.n)))
		fuzz_fail("the scan and cJSON disagree on the array");
	cJSON_Delete(doc);
	/* A small limit: the same items, those over it unread; where the
	 * whole scan found its last item invalid, the small one may have
	 * skipped it unread and gone on. */
	size_t common = whole.n < small.n ? whole.n : small.n;
	for (size_t i = 0; i < common; i++)
		if (whole.lens[i] != small.lens[i] ||
		    small.unread[i] != (whole.lens[i] > small.limit))
			fuzz_fail("a small item limit changed where items end");
	if ((whole.n != small.n || s_whole != s_small) &&
	    !(whole.last_invalid && whole.n <= small.n && small.unread[whole.n - 1]))
		fuzz_fail("a small item limit changed how the array ends");
	free(whole.lens);
	free(whole.unread);
	free(small.lens);
	free(small.unread);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct feed *feed = NULL;
	char err[256];
	enum relay_err rc = feed_parse((const char *)data, size, &feed, err, sizeof(err));
	size_t step = size ? 1 + data[size - 1] % 97 : 1;
	check_scan(data, size, step);
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
