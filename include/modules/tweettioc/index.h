/* index.h: the lookup index over one feed copy.
 *
 * For every IOC key (normalize.h) the index holds the tweets that mention it,
 * newest first, each tweet once. A lookup is one hash probe (GLib's
 * GHashTable, read-only after the build, so any number of threads may look
 * up at once), so its cost does not grow with the feed.
 *
 * Ownership: the index owns its feed; feed_index_free() frees both.
 */
#ifndef TWEETTIOC_INDEX_H
#define TWEETTIOC_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "modules/tweettioc/feed.h"

struct feed_posting {
	uint32_t offset; /* into feed_index.tweet_ids */
	uint32_t count;
	uint32_t last; /* build-time: last tweet added + 1, to add each tweet once */
};

struct feed_index {
	struct feed *feed;
	struct _GHashTable *table; /* key (arena) -> struct feed_posting * */
	struct feed_posting *postings;
	size_t n_keys;
	uint32_t *tweet_ids;		 /* all posting lists, back to back */
	size_t n_distinct_iocs;		 /* distinct IOC values (not counting alternate URL keys) */
	double loaded_at;		 /* when this copy was fetched (epoch seconds) */
	int refs;			 /* readers holding it (refresh.c's lock) */
	struct feed_index *retired_next; /* refresh.c: copies waiting to be freed */
};

/* Builds the index, taking ownership of `feed` (freed on failure too).
 * Returns NULL when out of memory. */
struct feed_index *feed_index_build(struct feed *feed);

void feed_index_free(struct feed_index *index);

/* Tweets mentioning the observable (type as lowercased by observables.c,
 * value as sent): returns how many and points *ids at their indices in
 * index->feed->tweets, newest first. 0 for no match or unsupported type. */
size_t feed_index_lookup(const struct feed_index *index, const char *type, const char *value,
			 const uint32_t **ids);

/* The posting of a match key (normalize.h), or NULL when not indexed. */
const struct feed_posting *feed_index_posting(const struct feed_index *index, const char *key);

/* Distinct accounts among the tweets ids[0..n-1] of `feed` (account names
 * are interned: one pointer each); 0 only when out of memory, since n > 0
 * tweets have at least one account. */
size_t feed_index_accounts(const struct feed *feed, const uint32_t *ids, size_t n);

/* Approximate bytes the index and its feed hold in memory. */
size_t feed_index_memory(const struct feed_index *index);

#endif
