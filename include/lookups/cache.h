/* cache.h: answers of an on-demand lookup module, per key, for a TTL.
 *
 * One cache per module is shared by every worker thread (a pthread mutex
 * guards it). It holds at most `capacity` entries in a fixed table
 * allocated once: the table is set-associative (a key can live in one of
 * LOOKUP_CACHE_WAYS slots chosen by a SHA-256 of the key); when all slots of
 * its set are taken, a new answer replaces an expired one, else the least
 * recently used. A value is an opaque blob (the module's answer, already
 * reduced to what it emits); the blobs together never exceed `max_bytes`:
 * a put that would is refused (the answer is still served, just not kept).
 * Only answers are stored: the engine never puts a failed lookup here.
 *
 * Time is a parameter (seconds on any monotonic clock) so tests control it.
 *
 * Ownership: the cache owns copies of its keys and blobs; blobs are copied
 * in and out, so nothing a caller holds points into the cache.
 */
#ifndef LOOKUP_CACHE_H
#define LOOKUP_CACHE_H

#include <stddef.h>

/* Slots per set; a capacity below this makes the cache one fully associative set. */
#define LOOKUP_CACHE_WAYS 8
/* Keys longer than this are looked up but never cached (bounds memory). */
#define LOOKUP_CACHE_KEY_MAX 2048

struct lookup_cache;

/* A cache of at most `capacity` entries (> 0) whose blobs together take at
 * most `max_bytes` (0: no limit but the entries), each kept `ttl_seconds`
 * (> 0). Returns NULL when out of memory or when ttl_seconds <= 0 or
 * capacity is 0. */
struct lookup_cache *lookup_cache_new(size_t capacity, size_t max_bytes, double ttl_seconds);

/* Frees the cache and every entry. Safe on NULL. Not while other threads use it. */
void lookup_cache_free(struct lookup_cache *cache);

/* When a blob is stored for `key` and not older than the TTL at `now`:
 * sets *blob to a malloc'd copy (the caller frees it) and *len, returns 1.
 * Returns 0 otherwise (also for a NULL cache, an over-long key or no
 * memory for the copy; *blob is then NULL). */
int lookup_cache_get(struct lookup_cache *cache, const char *key, double now, char **blob,
		     size_t *len);

/* Stores a copy of blob[0..len) for `key`, valid until now + TTL, replacing
 * an older blob for the same key. Returns 0, or -1 when nothing was stored
 * (NULL cache, key over LOOKUP_CACHE_KEY_MAX, over max_bytes, out of
 * memory). */
int lookup_cache_put(struct lookup_cache *cache, const char *key, const void *blob, size_t len,
		     double now);

/* Occupied slots (expired ones not yet reused included), live answers
 * pushed out to make room, bytes held: for /metrics. 0 for a NULL cache. */
size_t lookup_cache_count(struct lookup_cache *cache);
unsigned long lookup_cache_evictions(struct lookup_cache *cache);
size_t lookup_cache_bytes(struct lookup_cache *cache);

/* The capacity actually allocated (capacity rounded down to whole sets); 0
 * for a NULL cache. */
size_t lookup_cache_capacity(const struct lookup_cache *cache);

#endif
