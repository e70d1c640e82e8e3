/* dedupe.c: folds the tweets of a repeated id into one (the rule is in dedupe.h).
 *
 * One pass with a hash table chains the tweets of each id in feed order;
 * most copies have no repeat and stop there. Each chain then becomes its
 * first tweet's slot: the newest tweet of the chain, with an IOC array of
 * the copy's own that adds the others' IOCs. A tweet's strings must all
 * live in one segment (feed_build.c drops segments whole), so a result
 * whose IOCs come from tweets of two segments gets its strings copied into
 * the copy's own segment.
 */
#include "modules/tweettioc/dedupe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "modules/tweettioc/feed_copy.h"

/* The chain starting at `head` as one tweet, written into its slot. 0, or
 * -1 when out of memory. */
static int fold_chain(struct feed *feed, size_t head, const uint32_t *next)
{
	struct feed_tweet *tweets = feed->tweets;
	size_t best = head;
	for (size_t i = head; next[i]; i = next[i] - 1)
		if (tweets[next[i] - 1].timestamp >= tweets[best].timestamp)
			best = next[i] - 1;
	struct feed_tweet w = tweets[best];
	/* value -> bit mask of the kinds already in the result */
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
	for (size_t j = 0; j < w.n_iocs; j++) {
		guint mask = GPOINTER_TO_UINT(g_hash_table_lookup(seen, w.iocs[j].value));
		g_hash_table_insert(seen, (gpointer)w.iocs[j].value,
				    GUINT_TO_POINTER(mask | 1u << w.iocs[j].kind));
	}
	const struct feed_ioc *extra[FEED_MAX_IOCS_PER_TWEET];
	size_t n_extra = 0, room = FEED_MAX_IOCS_PER_TWEET - w.n_iocs;
	int mixed = 0;
	for (size_t i = head;; i = next[i] - 1) {
		const struct feed_tweet *t = &tweets[i];
		for (size_t j = 0; i != best && j < t->n_iocs && n_extra < room; j++) {
			const struct feed_ioc *ioc = &t->iocs[j];
			guint mask = GPOINTER_TO_UINT(g_hash_table_lookup(seen, ioc->value));
			if (mask & 1u << ioc->kind)
				continue;
			g_hash_table_insert(seen, (gpointer)ioc->value,
					    GUINT_TO_POINTER(mask | 1u << ioc->kind));
			extra[n_extra++] = ioc;
			mixed |= t->segment != w.segment;
		}
		if (!next[i])
			break;
	}
	g_hash_table_destroy(seen);
	if (n_extra) {
		struct feed_ioc *iocs =
			arena_alloc(&feed->arena, (w.n_iocs + n_extra) * sizeof(*iocs));
		if (!iocs)
			return -1;
		if (w.n_iocs)
			memcpy(iocs, w.iocs, w.n_iocs * sizeof(*iocs));
		for (size_t k = 0; k < n_extra; k++)
			iocs[w.n_iocs + k] = *extra[k];
		w.iocs = iocs;
		w.n_iocs += n_extra;
		if (mixed && feed_copy_strings(feed, &w) != 0)
			return -1;
	}
	tweets[head] = w;
	return 0;
}

/* The number of distinct accounts (interned: equal names, one pointer). */
static size_t count_accounts(const struct feed *feed)
{
	GHashTable *users = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (size_t i = 0; i < feed->n_tweets; i++)
		g_hash_table_add(users, (gpointer)feed->tweets[i].user);
	size_t n = g_hash_table_size(users);
	g_hash_table_destroy(users);
	return n;
}

long feed_dedupe(struct feed *feed)
{
	size_t n = feed->n_tweets;
	uint32_t *next = NULL; /* i -> the next tweet of its id + 1, 0: none */
	GHashTable *last = g_hash_table_new(g_str_hash, g_str_equal); /* id -> latest + 1 */
	long folded = 0;
	for (size_t i = 0; i < n; i++) {
		gpointer prev = g_hash_table_lookup(last, feed->tweets[i].id);
		if (prev) {
			if (!next && !(next = calloc(n, sizeof(*next)))) {
				g_hash_table_destroy(last);
				return -1;
			}
			next[GPOINTER_TO_SIZE(prev) - 1] = (uint32_t)i + 1;
			folded++;
		}
		g_hash_table_insert(last, (gpointer)feed->tweets[i].id, GSIZE_TO_POINTER(i + 1));
	}
	g_hash_table_destroy(last);
	if (!folded)
		return 0;
	unsigned char *follows = calloc(n, 1); /* a tweet folded into an earlier one */
	if (!follows) {
		free(next);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (next[i])
			follows[next[i] - 1] = 1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (next[i] && !follows[i])
			rc = fold_chain(feed, i, next);
	size_t kept = 0, iocs = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (follows[i])
			continue;
		feed->tweets[kept] = feed->tweets[i];
		iocs += feed->tweets[kept++].n_iocs;
	}
	free(next);
	free(follows);
	if (rc != 0)
		return -1;
	feed->n_tweets = kept;
	feed->n_iocs = iocs;
	feed->n_accounts = count_accounts(feed);
	return folded;
}
