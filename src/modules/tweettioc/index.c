/* index.c: builds the IOC -> tweets index of one feed copy and answers lookups.
 *
 * Two passes over the tweets (newest first): the first creates one posting
 * per key and counts its tweets, the second fills one shared array of tweet
 * numbers. Every posting list is therefore newest first and holds each tweet
 * once, and the whole index is three allocations plus the keys.
 */
#include "modules/tweettioc/index.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/normalize.h"

void feed_index_free(struct feed_index *index)
{
	if (!index)
		return;
	if (index->table)
		g_hash_table_destroy(index->table);
	free(index->postings);
	free(index->tweet_ids);
	feed_free(index->feed);
	free(index);
}

/* Finds or creates the posting of `key` (arena-owned) and notes tweet t. */
static struct feed_posting *posting_for(struct feed_index *index, size_t max_keys, const char *key,
					uint32_t t, int count_pass, int primary)
{
	struct feed_posting *p = g_hash_table_lookup(index->table, key);
	if (p) {
		if (p->last != t + 1) {
			p->last = t + 1;
			if (count_pass)
				p->count++;
			else
				index->tweet_ids[p->offset + p->count++] = t;
		}
		return p;
	}
	if (!count_pass || index->n_keys >= max_keys)
		return NULL;
	p = &index->postings[index->n_keys++];
	/* Alternate (scheme-less) URL keys are not distinct IOCs. */
	index->n_distinct_iocs += primary;
	p->count = 1;
	p->last = t + 1;
	g_hash_table_insert(index->table, (gpointer)key, p);
	return p;
}

/* Computes the keys of every IOC into the feed's arena. */
static int compute_keys(struct feed *feed)
{
	static const char kind_class[FEED_IOC__MAX] = {
		[FEED_IOC_IP] = IOC_CLASS_IP,	   [FEED_IOC_MD5] = IOC_CLASS_HASH,
		[FEED_IOC_SHA1] = IOC_CLASS_HASH,  [FEED_IOC_SHA256] = IOC_CLASS_HASH,
		[FEED_IOC_MAIL] = IOC_CLASS_EMAIL, [FEED_IOC_DOMAIN] = IOC_CLASS_DOMAIN,
		[FEED_IOC_URL] = IOC_CLASS_URL,
	};
	char key[IOC_KEY_MAX], alt[IOC_KEY_MAX];
	for (size_t i = 0; i < feed->n_tweets; i++) {
		struct feed_tweet *t = &feed->tweets[i];
		for (size_t j = 0; j < t->n_iocs; j++) {
			struct feed_ioc *ioc = &t->iocs[j];
			if (ioc_key(kind_class[ioc->kind], ioc->value, key, sizeof(key), alt,
				    sizeof(alt)) != 0)
				continue;
			/* Most keys are "<class>:" and the value (already lowercase):
			 * they take the 2 bytes feed_build.c left before the value.
			 * A value shared with the serving copy has them written
			 * already (the same bytes): they are not written again, so
			 * readers of that copy never see a store. */
			if (ioc->key_room && strcmp(key + 2, ioc->value) == 0) {
				char *room = (char *)(uintptr_t)(ioc->value - 2);
				if (room[0] != key[0] || room[1] != key[1]) {
					room[0] = key[0];
					room[1] = key[1];
				}
				ioc->key = room;
			} else if (!(ioc->key = arena_strdup(&feed->arena, key)))
				return -1;
			if (alt[0] && !(ioc->alt_key = arena_strdup(&feed->arena, alt)))
				return -1;
		}
	}
	return 0;
}

/* Runs one pass over all keys; returns -1 when out of memory. */
static int index_pass(struct feed_index *index, size_t max_keys, int count_pass)
{
	struct feed *feed = index->feed;
	for (size_t i = 0; i < feed->n_tweets; i++) {
		struct feed_tweet *t = &feed->tweets[i];
		for (size_t j = 0; j < t->n_iocs; j++) {
			const char *keys[2] = {t->iocs[j].key, t->iocs[j].alt_key};
			for (int k = 0; k < 2; k++) {
				if (!keys[k])
					continue;
				const struct feed_posting *p = posting_for(
					index, max_keys, keys[k], (uint32_t)i, count_pass, k == 0);
				if (!p)
					return -1;
				/* Tiles walk mentions and need each one's posting. */
				if (k == 0)
					t->iocs[j].posting = p;
			}
		}
	}
	return 0;
}

struct feed_index *feed_index_build(struct feed *feed)
{
	struct feed_index *index = calloc(1, sizeof(*index));
	if (!index || feed->n_tweets > UINT32_MAX) {
		free(index);
		feed_free(feed);
		return NULL;
	}
	index->feed = feed;
	if (compute_keys(feed) != 0)
		goto fail;
	size_t max_keys = 16;
	for (size_t i = 0; i < feed->n_tweets; i++)
		for (size_t j = 0; j < feed->tweets[i].n_iocs; j++)
			max_keys += 1 + (feed->tweets[i].iocs[j].alt_key != NULL);
	index->postings = calloc(max_keys, sizeof(*index->postings));
	index->table = g_hash_table_new(g_str_hash, g_str_equal);
	if (!index->postings || !index->table)
		goto fail;
	if (index_pass(index, max_keys, 1) != 0)
		goto fail;
	size_t total = 0;
	for (size_t i = 0; i < index->n_keys; i++) {
		struct feed_posting *p = &index->postings[i];
		p->offset = (uint32_t)total;
		total += p->count;
		p->count = 0;
		p->last = 0;
	}
	index->tweet_ids = malloc((total ? total : 1) * sizeof(*index->tweet_ids));
	if (!index->tweet_ids || index_pass(index, max_keys, 0) != 0)
		goto fail;
	return index;
fail:
	feed_index_free(index);
	return NULL;
}

size_t feed_index_lookup(const struct feed_index *index, const char *type, const char *value,
			 const uint32_t **ids)
{
	char key[IOC_KEY_MAX];
	*ids = NULL;
	char cls = ioc_class_of_type(type);
	if (!index || !cls || ioc_key(cls, value, key, sizeof(key), NULL, 0) != 0)
		return 0;
	/* Lookups do not write to the table, so readers need no lock. */
	const struct feed_posting *p = g_hash_table_lookup(index->table, key);
	if (!p)
		return 0;
	*ids = index->tweet_ids + p->offset;
	return p->count;
}

size_t feed_index_memory(const struct feed_index *index)
{
	if (!index)
		return 0;
	/* GHashTable keeps a key, a value and a hash per slot, at most 2 slots
	 * per key. */
	size_t table_slots = index->n_keys * 2 + 8;
	return feed_memory(index->feed) + index->n_keys * sizeof(struct feed_posting) +
	       table_slots * (2 * sizeof(void *) + sizeof(unsigned)) +
	       index->feed->n_iocs * 2 * sizeof(uint32_t);
}

const struct feed_posting *feed_index_posting(const struct feed_index *index, const char *key)
{
	return index && index->table ? g_hash_table_lookup(index->table, key) : NULL;
}

static int compare_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (const char *const *)a,
		  y = (uintptr_t) * (const char *const *)b;
	return x < y ? -1 : x > y;
}

size_t feed_index_accounts(const struct feed *feed, const uint32_t *ids, size_t n)
{
	const char **users = n ? malloc(n * sizeof(*users)) : NULL;
	if (!users)
		return 0;
	for (size_t i = 0; i < n; i++)
		users[i] = feed->tweets[ids[i]].user;
	qsort(users, n, sizeof(*users), compare_ptr);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || users[i] != users[i - 1];
	free(users);
	return distinct;
}
