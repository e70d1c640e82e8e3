/* cache.c: the per-value TTL cache of CyberCrime Tracker answers, shared by all threads.
 *
 * A fixed array of slots cut into sets of CYBERCRIME_CACHE_WAYS; a key's set
 * comes from the first 8 bytes of its SHA-256 (OpenSSL), so hostile values
 * cannot pile into one set. A set is searched linearly and a full set gives
 * up its expired or least recently used slot: the memory bound is fixed when
 * the cache is created and no operation ever needs a deletion from a hash
 * index (the reason this is not hsearch_r, which cannot delete).
 */
#include "modules/cybercrime/cache.h"

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
	struct cybercrime_answer answer;
};

struct cybercrime_cache {
	pthread_mutex_t lock;
	struct cache_slot *slots; /* n_sets * ways */
	size_t n_sets, ways;
	double ttl;
	uint64_t tick;
	size_t count;
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

struct cybercrime_cache *cybercrime_cache_new(size_t capacity, double ttl_seconds)
{
	if (!(ttl_seconds > 0))
		return NULL;
	if (capacity == 0)
		capacity = CYBERCRIME_CACHE_CAPACITY;
	struct cybercrime_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ways = capacity < CYBERCRIME_CACHE_WAYS ? capacity : CYBERCRIME_CACHE_WAYS;
	c->n_sets = capacity / c->ways;
	c->ttl = ttl_seconds;
	c->slots = calloc(c->n_sets * c->ways, sizeof(*c->slots));
	if (!c->slots || pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->slots);
		free(c);
		return NULL;
	}
	return c;
}

void cybercrime_cache_free(struct cybercrime_cache *cache)
{
	if (!cache)
		return;
	for (size_t i = 0; i < cache->n_sets * cache->ways; i++)
		free(cache->slots[i].key);
	free(cache->slots);
	pthread_mutex_destroy(&cache->lock);
	free(cache);
}

static struct cache_slot *set_of(struct cybercrime_cache *c, uint64_t hash)
{
	return &c->slots[(hash % c->n_sets) * c->ways];
}

static void slot_clear(struct cybercrime_cache *c, struct cache_slot *s)
{
	free(s->key);
	s->key = NULL;
	c->count--;
}

/* The slot holding `key` in its set, or NULL. Called with the lock held. */
static struct cache_slot *find(struct cybercrime_cache *c, const char *key, uint64_t hash)
{
	struct cache_slot *set = set_of(c, hash);
	for (size_t i = 0; i < c->ways; i++)
		if (set[i].key && set[i].hash == hash && strcmp(set[i].key, key) == 0)
			return &set[i];
	return NULL;
}

int cybercrime_cache_get(struct cybercrime_cache *cache, const char *key, double now,
			 struct cybercrime_answer *out)
{
	uint64_t hash;
	size_t len = strlen(key);
	if (!cache || len > CYBERCRIME_CACHE_KEY_MAX || key_hash(key, len, &hash) != 0)
		return 0;
	int hit = 0;
	pthread_mutex_lock(&cache->lock);
	struct cache_slot *s = find(cache, key, hash);
	if (s && now < s->expires) {
		*out = s->answer;
		s->used = ++cache->tick;
		hit = 1;
	} else if (s) {
		slot_clear(cache, s); /* expired: free it now rather than at reuse */
	}
	pthread_mutex_unlock(&cache->lock);
	return hit;
}

int cybercrime_cache_put(struct cybercrime_cache *cache, const char *key,
			 const struct cybercrime_answer *answer, double now)
{
	uint64_t hash;
	size_t len = strlen(key);
	if (!cache || len > CYBERCRIME_CACHE_KEY_MAX || key_hash(key, len, &hash) != 0)
		return -1;
	char *copy = malloc(len + 1); /* outside the lock */
	if (!copy)
		return -1;
	memcpy(copy, key, len + 1);

	pthread_mutex_lock(&cache->lock);
	struct cache_slot *s = find(cache, key, hash);
	if (s) {
		free(copy); /* same key: refresh in place */
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
	s->answer = *answer;
	s->answer.message[sizeof(s->answer.message) - 1] = '\0';
	s->expires = now + cache->ttl;
	s->used = ++cache->tick;
	pthread_mutex_unlock(&cache->lock);
	return 0;
}

size_t cybercrime_cache_count(struct cybercrime_cache *cache)
{
	if (!cache)
		return 0;
	pthread_mutex_lock(&cache->lock);
	size_t n = cache->count;
	pthread_mutex_unlock(&cache->lock);
	return n;
}

unsigned long cybercrime_cache_evictions(struct cybercrime_cache *cache)
{
	if (!cache)
		return 0;
	pthread_mutex_lock(&cache->lock);
	unsigned long n = cache->evictions;
	pthread_mutex_unlock(&cache->lock);
	return n;
}

size_t cybercrime_cache_capacity(const struct cybercrime_cache *cache)
{
	return cache ? cache->n_sets * cache->ways : 0;
}
