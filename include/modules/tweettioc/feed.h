/* feed.h: the parser of the Twitter IOC Hunter feed (feed.c).
 *
 * feed_parse() turns the upstream's JSON array into tweets sorted newest
 * first, each with its IOCs refanged (the copy's types: feed_copy.h).
 * Items of the wrong shape or over the item size limit are skipped and
 * counted, never fatal; a body that is not a JSON array is.
 *
 * Ownership: the parser returns a feed the caller frees with feed_free();
 * a stream owns its buffers until feed_stream_free().
 */
#ifndef TWEETTIOC_FEED_H
#define TWEETTIOC_FEED_H

#include <stddef.h>

#include "http/relay_error.h"
#include "modules/tweettioc/feed_copy.h"

/* The item size limit: an item longer than this is skipped unread (only
 * its strings and brackets are followed, to find where it ends), so no
 * item is ever buffered or handed to cJSON past it. For a byte cap `c`
 * (TWEETTIOC_MAX_BYTES):
 *
 *     limit = min(max(c / 16, FEED_ITEM_MIN), FEED_ITEM_MAX)
 *
 * FEED_ITEM_MAX (512 KiB) is a hundred times an item of the real feed (a
 * few KB; a tweet with 1,024 URLs still fits), yet bounds what cJSON makes
 * of one item: at most ~40 bytes of nodes per byte of JSON ("0,0,0,..."),
 * so ~20 MiB, which the memory rule (feed_copy.h) counts once. c / 16: an
 * item of a sixteenth of the feed is no tweet, and a small cap gets a
 * proportionally small parse. FEED_ITEM_MIN, the longest string field: an
 * ordinary item fits whatever the cap. */
#define FEED_ITEM_MAX (512 * 1024)
#define FEED_ITEM_MIN FEED_MAX_FIELD
size_t feed_item_limit(size_t max_bytes);

/* Parses `len` bytes of JSON (items up to FEED_ITEM_MAX, no budget).
 * Returns RELAY_OK with *out set; or RELAY_ERR_KEY_ERROR (not a JSON
 * array) / RELAY_ERR_INTERNAL (out of memory) with a message in err and
 * *out NULL. */
enum relay_err feed_parse(const char *json, size_t len, struct feed **out, char *err,
			  size_t errlen);

/* The same parse as the bytes arrive (a download): each complete item is
 * read and stored at once, so only a partial item, never over the item
 * size limit, is ever buffered and the download never exists whole. A
 * tweet equal to one of `reuse` (the serving copy, may be NULL, must
 * outlive the stream) shares that tweet's strings, so a refresh holds two
 * copies of only what changed.
 *
 * feed_stream_new() returns NULL when out of memory.
 * feed_stream_limit() applies a byte cap (TWEETTIOC_MAX_BYTES): its item
 * size limit (feed_item_limit()) and its memory budget
 * (feed_memory_budget()); without it items are limited to FEED_ITEM_MAX
 * and the copy is not. feed_stream_write() returns 0, or -1 when out of
 * memory or over the budget (the stream is then only to finish and free:
 * a download may stop there). feed_stream_finish() answers as feed_parse()
 * does for all bytes written, or RELAY_ERR_UPSTREAM_TOO_LARGE when the
 * copy went over its budget; call it once. feed_stream_free() releases
 * the stream (not the feed). */
struct feed_stream;
struct feed_stream *feed_stream_new(const struct feed *reuse);
void feed_stream_limit(struct feed_stream *s, size_t max_bytes);
int feed_stream_write(struct feed_stream *s, const char *data, size_t n);
enum relay_err feed_stream_finish(struct feed_stream *s, struct feed **out, char *err,
				  size_t errlen);
void feed_stream_free(struct feed_stream *s);
/* Bytes the stream holds back, waiting for the rest of an item. */
size_t feed_stream_pending(const struct feed_stream *s);
/* Items skipped so far for being over the item size limit (also counted
 * in the feed's n_skipped). */
size_t feed_stream_oversized(const struct feed_stream *s);
/* Whether the copy went over its memory budget (the download is refused). */
int feed_stream_over_budget(const struct feed_stream *s);

#endif
