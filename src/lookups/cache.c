/* cache.c: the per-key TTL cache of an on-demand lookup module, shared by all threads.
 *
 * A fixed array of slots cut into sets of LOOKUP_CACHE_WAYS; a key's set
 * comes from the first 8 bytes of its SHA-256 (OpenSSL), so hostile values
 * cannot pile into one set. A set is searched linearly and a full set gives
 * up its expired or least recently used slot: the memory bound is fixed when
 * the cache is created and no operation ever needs a deletion from a hash
 * index (the reason this is not hsearch_r, which cannot delete).
 */
#include "lookups/cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct cache_slot {
	char *key;	/* owned; NULL = free slot */
	uint64_t hash;	/* first 8 bytes of SHA-256(key) */
	double expires; /* answer valid while now < expires */
	uint64_t used;	/* cache->tick at the last put or hit, for LRU */
	char *blob;	/* owned */
	size_t len;
};

struct lookup_cache {
	pthread_mutex_t lock;
	struct cache_slot *slots; /* n_sets * ways */
	size_t n_sets, ways;
	double ttl;
	uint64_t tick;
	size_t count;
	size_t bytes, max_bytes;
	unsigned long evictions;
};

/* 0 and a hash, or -1 when the digest failed (the caller then skips the cache). */
static int key_hash(const char *key, size_t len, uint64_t *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 8)
		return -1;
	uint64_t h = 0;
	for (int i = 0; i < 8; i++)
		h = h << 8 | md[i];
	*out = h;
	return 0;
}

struct lookup_cache *lookup_cache_new(size_t capacity, size_t max_bytes, double ttl_seconds)
{
	if (!(ttl_seconds > 0) || capacity == 0)
		return NULL;
	struct lookup_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ways = capacity < LOOKUP_CACHE_WAYS ? capacity : LOOKUP_CACHE_WAYS;
	c->n_sets = capacity / c->ways;
	c->ttl = ttl_seconds;
	c->max_bytes = max_bytes;
	c->slots = calloc(c->n_sets * c->ways, sizeof(*c->slots));
	if (!c->slots || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->slots);
		free(c);
		return NULL;
	}
	return c;
}

void lookup_cache_free(struct lookup_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->n_sets * cache->ways; i++) {
		free(cache->slots[i].key);
		free(cache->slots[i].blob);
	}
	free(cache->slots);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

static struct cache_slot *set_of(struct lookup_cache *c, uint64_t hash)
{
	return &c->slots[(hash % c->n_sets) * c->ways];
}

static void slot_clear(struct lookup_cache *c, struct cache_slot *s)
{
	free(s->key);
	free(s->blob);
	c->bytes -= s->len;
	s->key = NULL;
	s->blob = NULL;
	s->len = 0;
	c->count--;
}

/* The slot holding `key` in its set, or NULL. Called with the lock held. */
static struct cache_slot *find(struct lookup_cache *c, const char *key, uint64_t hash)
{
	struct cache_slot *set = set_of(c, hash);
	for (size_t i = 0; i < c->ways; i++)
		if (set[i].key && set[i].hash == hash && strcmp(set[i].key, key) == 0)
			return &set[i];
	return NULL;
}

int lookup_cache_get(struct lookup_cache *cache, const char *key, double now, char **blob,
		     size_t *len)
{
	uint64_t hash;
	size_t klen = strlen(key);
	*blob = NULL;
	if (!cache || klen > LOOKUP_CACHE_KEY_MAX || key_hash(key, klen, &hash) != 0)
		return 0;
	int hit = 0;
	pthread_mutex_lock(&cache->lock);
	struct cache_slot *s = find(cache, key, hash);
	if (s && now < s->expires) {
		char *copy = malloc(s->len ? s->len : 1);
		if (copy) {
			if (s->len)
				memcpy(copy, s->blob, s->len);
			*blob = copy;
			*len = s->len;
			s->used = ++cache->tick;
			hit = 1;
		}
	} else if (s) {
		slot_clear(cache, s); /* expired: free it now rather than at reuse */
	}
	pthread_mutex_unlock(&cache->lock);
	return hit;
}

int lookup_cache_put(struct lookup_cache *cache, const char *key, const void *blob, size_t len,
		     double now)
{
	uint64_t hash;
	size_t klen = strlen(key);
	if (!cache || klen > LOOKUP_CACHE_KEY_MAX || key_hash(key, klen, &hash) != 0)
		return -1;
	if (cache->max_bytes && len > cache->max_bytes)
		return -1;
	char *copy = malloc(klen + 1); /* outside the lock */
	char *data = malloc(len ? len : 1);
	if (!copy || !data) {
		free(copy);
		free(data);
		return -1;
	}
	memcpy(copy, key, klen + 1);
	if (len)
		memcpy(data, blob, len);

	pthread_mutex_lock(&cache->lock);
	struct cache_slot *s = find(cache, key, hash);
	size_t freed = s ? s->len : 0;
	if (cache->max_bytes && cache->bytes - freed + len > cache->max_bytes) {
		pthread_mutex_unlock(&cache->lock);
		free(copy);
		free(data);
		return -1; /* full: this answer is served but not kept */
	}
	if (s) {
		free(copy); /* same key: refresh in place */
		free(s->blob);
		cache->bytes -= s->len;
	} else {
		/* A free slot, else an expired one, else the least recently used. */
		struct cache_slot *set = set_of(cache, hash), *victim = NULL;
		for (size_t i = 0; i < cache->ways && !victim; i++)
			if (!set[i].key)
				victim = &set[i];
		for (size_t i = 0; i < cache->ways && !victim; i++)
			if (now >= set[i].expires)
				victim = &set[i];
		if (!victim) {
			victim = &set[0];
			for (size_t i = 1; i < cache->ways; i++)
				if (set[i].used < victim->used)
					victim = &set[i];
			cache->evictions++;
		}
		if (victim->key)
			slot_clear(cache, victim);
		s = victim;
		s->key = copy;
		s->hash = hash;
		cache->count++;
	}
	s->blob = data;
	s->len = len;
	cache->bytes += len;
	s->expires = now + cache->ttl;
	s->used = ++cache->tick;
	pthread_mutex_unlock(&cache->lock);
	return 0;
}

size_t lookup_cache_count(struct lookup_cache *cache)
{
	if (!cache)
		return 0;
	pthread_mutex_lock(&cache->lock);
	size_t n = cache->count;
	pthread_mutex_unlock(&cache->lock);
	return n;
}

unsigned long lookup_cache_evictions(struct lookup_cache *cache)
{
	if (!cache)
		return 0;
	pthread_mutex_lock(&cache->lock);
	unsigned long n = cache->evictions;
	pthread_mutex_unlock(&cache->lock);
	return n;
}

size_t lookup_cache_bytes(struct lookup_cache *cache)
{
	if (!cache)
		return 0;
	pthread_mutex_lock(&cache->lock);
	size_t n = cache->bytes;
	pthread_mutex_unlock(&cache->lock);
	return n;
}

size_t lookup_cache_capacity(const struct lookup_cache *cache)
{
	return cache ? cache->n_sets * cache->ways : 0;
}
