/* cache.c: the CyberCrime Tracker answer cache, on the lookup engine's cache (lookups/cache.h).
 *
 * The engine's cache holds opaque blobs; here a blob is one struct
 * cybercrime_answer, so every entry has the same size and the byte bound
 * follows from the capacity.
 */
#include "modules/cybercrime/cache.h"

#include <stdlib.h>
#include <string.h>

#include "lookups/cache.h"

struct cybercrime_cache {
	struct lookup_cache *c;
};

struct cybercrime_cache *cybercrime_cache_new(size_t capacity, double ttl_seconds)
{
	if (!(ttl_seconds > 0))
		return NULL;
	struct cybercrime_cache *cache = calloc(1, sizeof(*cache));
	if (!cache)
		return NULL;
	cache->c =
		lookup_cache_new(capacity ? capacity : CYBERCRIME_CACHE_CAPACITY, 0, ttl_seconds);
	if (!cache->c) {
		free(cache);
		return NULL;
	}
	return cache;
}

void cybercrime_cache_free(struct cybercrime_cache *cache)
{
	if (!cache)
		return;
	lookup_cache_free(cache->c);
	free(cache);
}

struct lookup_cache *cybercrime_cache_engine(struct cybercrime_cache *cache)
{
	return cache ? cache->c : NULL;
}

int cybercrime_cache_get(struct cybercrime_cache *cache, const char *key, double now,
			 struct cybercrime_answer *out)
{
	char *blob = NULL;
	size_t len = 0;
	if (!cache || !lookup_cache_get(cache->c, key, now, &blob, &len))
		return 0;
	int hit = len == sizeof(*out);
	if (hit)
		memcpy(out, blob, sizeof(*out));
	free(blob);
	return hit;
}

int cybercrime_cache_put(struct cybercrime_cache *cache, const char *key,
			 const struct cybercrime_answer *answer, double now)
{
	struct cybercrime_answer copy = *answer;
	copy.message[sizeof(copy.message) - 1] = '\0';
	return cache ? lookup_cache_put(cache->c, key, &copy, sizeof(copy), now) : -1;
}

size_t cybercrime_cache_count(struct cybercrime_cache *cache)
{
	return cache ? lookup_cache_count(cache->c) : 0;
}

unsigned long cybercrime_cache_evictions(struct cybercrime_cache *cache)
{
	return cache ? lookup_cache_evictions(cache->c) : 0;
}

size_t cybercrime_cache_capacity(const struct cybercrime_cache *cache)
{
	return cache ? lookup_cache_capacity(cache->c) : 0;
}
