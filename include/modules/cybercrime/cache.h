/* cache.h: the CyberCrime Tracker answers already fetched, per query value, for a TTL.
 *
 * A typed front of the lookup engine's cache (lookups/cache.h). One cache
 * is shared by every worker thread (a pthread mutex guards it).
 * It holds at most `capacity` entries in a fixed table allocated once: the
 * table is set-associative (a value can live in one of CYBERCRIME_CACHE_WAYS
 * slots chosen by a SHA-256 of the value); when all slots of its set are
 * taken, a new answer replaces an expired one, else the least recently used.
 * Only answers are stored: the caller never puts a failed lookup here.
 *
 * Time is a parameter (seconds on any monotonic clock) so tests control it.
 *
 * Ownership: the cache owns copies of its keys; answers are copied in and
 * out, so nothing a caller holds points into the cache.
 */
#ifndef CYBERCRIME_CACHE_H
#define CYBERCRIME_CACHE_H

#include <stddef.h>

#include "lookups/cache.h"

/* Slots per set; a capacity below this makes the cache one fully associative set. */
#define CYBERCRIME_CACHE_WAYS LOOKUP_CACHE_WAYS
/* Default number of entries (docs/api.md#module-cybercrime asks for a bound; ~10 MiB at most). */
#define CYBERCRIME_CACHE_CAPACITY 10000
/* Values longer than this are looked up but never cached (bounds memory). */
#define CYBERCRIME_CACHE_KEY_MAX LOOKUP_CACHE_KEY_MAX
/* Longest upstream message kept, in bytes with the NUL (cut on a UTF-8 boundary). */
#define CYBERCRIME_MESSAGE_MAX 512

/* What the upstream answered for one value: its `message`, and whether it
 * reads as a Malicious listing. */
struct cybercrime_answer {
	int malicious;
	char message[CYBERCRIME_MESSAGE_MAX];
};

struct cybercrime_cache;

/* A cache of at most `capacity` entries (0 = CYBERCRIME_CACHE_CAPACITY)
 * that keeps answers for `ttl_seconds` (> 0). Returns NULL when out of
 * memory or when ttl_seconds <= 0 (caching disabled). */
struct cybercrime_cache *cybercrime_cache_new(size_t capacity, double ttl_seconds);

/* Frees the cache and every entry. Safe on NULL. Not while other threads use it. */
void cybercrime_cache_free(struct cybercrime_cache *cache);

/* Copies the answer stored for `key` into *out and returns 1 when one is
 * stored and not older than the TTL at `now`; returns 0 otherwise (also for
 * a NULL cache or an over-long key; *out is then untouched). */
int cybercrime_cache_get(struct cybercrime_cache *cache, const char *key, double now,
			 struct cybercrime_answer *out);

/* Stores a copy of `answer` for `key`, valid until now + TTL, replacing an
 * older answer for the same key. Returns 0, or -1 when nothing was stored
 * (NULL cache, key over CYBERCRIME_CACHE_KEY_MAX, out of memory). */
int cybercrime_cache_put(struct cybercrime_cache *cache, const char *key,
			 const struct cybercrime_answer *answer, double now);

/* Occupied slots (expired ones not yet reused included) and the number of
 * live answers pushed out to make room, for /metrics. 0 for a NULL cache. */
size_t cybercrime_cache_count(struct cybercrime_cache *cache);
unsigned long cybercrime_cache_evictions(struct cybercrime_cache *cache);

/* The capacity actually allocated (capacity rounded down to whole sets); 0
 * for a NULL cache. */
size_t cybercrime_cache_capacity(const struct cybercrime_cache *cache);

/* The engine's cache behind it (NULL for a NULL cache), for lookup_many(). */
struct lookup_cache *cybercrime_cache_engine(struct cybercrime_cache *cache);

#endif
