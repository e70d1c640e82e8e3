/* token_cache.c: a bounded LRU set of token digests that passed authentication.
 *
 * A GLib hash table finds an entry by its SHA-256 digest; a GLib queue, its
 * links embedded in the entries, keeps them in order of use (head: most
 * recent), so a hit, an insert and an eviction are each O(1) with one
 * allocation per insert (the entry and its key's host and kid). One mutex
 * guards both; the digest is computed by the caller before it is taken.
 */
#include "auth/token_cache.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>

struct token_entry {
	struct token_digest digest; /* the hash table's key points here */
	time_t expires;		    /* monotonic second from which it is gone */
	GList link;		    /* in token_lru; link.data is the entry */
	unsigned long key_serial;   /* struct token_key's serial */
	const char *kid;	    /* points into names, after the host */
	char names[];		    /* the key's host, NUL, kid, NUL */
};

static pthread_mutex_t token_mutex = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *token_table; /* digest -> entry; owns the entries */
static GQueue token_lru = G_QUEUE_INIT;
static size_t token_capacity;
static unsigned long token_hit_count, token_miss_count;
/* SHA-256 fetched once: EVP_sha256() makes every EVP_Digest call look the
 * implementation up again, a visible share of a cache hit's cost. */
static EVP_MD *token_sha256;

int token_digest(const char *token, size_t len, struct token_digest *out)
{
	unsigned int n = 0;
	const EVP_MD *md = token_sha256 ? token_sha256 : EVP_sha256();
	if (EVP_Digest(token, len, out->bytes, &n, md, NULL) != 1 || n != TOKEN_DIGEST_LEN)
		return -1;
	return 0;
}

/* The digest is already uniformly distributed: its first bytes are the hash. */
static guint digest_hash(gconstpointer key)
{
	guint h;
	memcpy(&h, key, sizeof(h));
	return h;
}

static gboolean digest_equal(gconstpointer a, gconstpointer b)
{
	return memcmp(a, b, TOKEN_DIGEST_LEN) == 0;
}

int token_cache_init(size_t capacity)
{
	pthread_mutex_lock(&token_mutex);
	int rc = -1;
	if (!token_table) {
		token_table = g_hash_table_new_full(digest_hash, digest_equal, NULL, g_free);
		g_queue_init(&token_lru);
		token_capacity = capacity ? capacity : TOKEN_CACHE_CAPACITY;
		token_hit_count = token_miss_count = 0;
		token_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); /* NULL: EVP_sha256() */
		rc = 0;
	}
	pthread_mutex_unlock(&token_mutex);
	return rc;
}

void token_cache_shutdown(void)
{
	pthread_mutex_lock(&token_mutex);
	if (token_table) {
		g_queue_init(&token_lru); /* the links die with their entries */
		g_hash_table_destroy(token_table);
		token_table = NULL;
		EVP_MD_free(token_sha256);
		token_sha256 = NULL;
	}
	pthread_mutex_unlock(&token_mutex);
}

/* Unlinks and frees one entry; the caller holds the lock. */
static void entry_drop(struct token_entry *e)
{
	g_queue_unlink(&token_lru, &e->link);
	g_hash_table_remove(token_table, &e->digest);
}

/* Copies an entry's key out; the caller holds the lock. The names fit:
 * token_cache_add() refused longer ones. */
static void entry_key(const struct token_entry *e, struct token_key *key)
{
	snprintf(key->host, sizeof(key->host), "%s", e->names);
	snprintf(key->kid, sizeof(key->kid), "%s", e->kid);
	key->serial = e->key_serial;
}

int token_cache_contains(const struct token_digest *d, time_t now, struct token_key *key)
{
	int hit = 0;
	pthread_mutex_lock(&token_mutex);
	struct token_entry *e = token_table ? g_hash_table_lookup(token_table, d) : NULL;
	if (e && now >= e->expires) {
		entry_drop(e);
		e = NULL;
	}
	if (e) {
		g_queue_unlink(&token_lru, &e->link);
		g_queue_push_head_link(&token_lru, &e->link);
		if (key)
			entry_key(e, key);
		hit = 1;
	}
	if (token_table) {
		if (hit)
			token_hit_count++;
		else
			token_miss_count++;
	}
	pthread_mutex_unlock(&token_mutex);
	return hit;
}

void token_cache_add(const struct token_digest *d, time_t now, long lifetime,
		     const struct token_key *key)
{
	if (lifetime <= 0)
		return;
	if (lifetime > TOKEN_CACHE_MAX_SECONDS)
		lifetime = TOKEN_CACHE_MAX_SECONDS;
	const char *host = key ? key->host : "", *kid = key ? key->kid : "";
	size_t host_len = strnlen(host, TOKEN_KEY_MAX_HOST + 1);
	size_t kid_len = strnlen(kid, TOKEN_KEY_MAX_KID + 1);
	if (host_len > TOKEN_KEY_MAX_HOST || kid_len > TOKEN_KEY_MAX_KID)
		return;
	/* Made before the lock: the allocation is the slow part. */
	struct token_entry *e = g_malloc0(sizeof(*e) + host_len + kid_len + 2);
	e->digest = *d;
	e->link.data = e;
	e->expires = now + (time_t)lifetime;
	e->key_serial = key ? key->serial : 0;
	memcpy(e->names, host, host_len);
	memcpy(e->names + host_len + 1, kid, kid_len);
	e->kid = e->names + host_len + 1;

	pthread_mutex_lock(&token_mutex);
	if (!token_table) {
		pthread_mutex_unlock(&token_mutex);
		g_free(e);
		return;
	}
	/* Two threads verified the same token at once: the later one stays. */
	struct token_entry *old = g_hash_table_lookup(token_table, d);
	if (old)
		entry_drop(old);
	while (g_hash_table_size(token_table) >= token_capacity && token_lru.tail)
		entry_drop(token_lru.tail->data);
	g_hash_table_insert(token_table, &e->digest, e);
	g_queue_push_head_link(&token_lru, &e->link);
	pthread_mutex_unlock(&token_mutex);
}

void token_cache_forget(const struct token_digest *d)
{
	pthread_mutex_lock(&token_mutex);
	if (token_table) {
		struct token_entry *e = g_hash_table_lookup(token_table, d);
		if (e)
			entry_drop(e);
		if (token_hit_count > 0) {
			token_hit_count--;
			token_miss_count++;
		}
	}
	pthread_mutex_unlock(&token_mutex);
}

void token_cache_flush(void)
{
	pthread_mutex_lock(&token_mutex);
	if (token_table) {
		g_queue_init(&token_lru);
		g_hash_table_remove_all(token_table);
	}
	pthread_mutex_unlock(&token_mutex);
}

size_t token_cache_count(void)
{
	pthread_mutex_lock(&token_mutex);
	size_t n = token_table ? g_hash_table_size(token_table) : 0;
	pthread_mutex_unlock(&token_mutex);
	return n;
}

unsigned long token_cache_hits(void)
{
	pthread_mutex_lock(&token_mutex);
	unsigned long n = token_hit_count;
	pthread_mutex_unlock(&token_mutex);
	return n;
}

unsigned long token_cache_misses(void)
{
	pthread_mutex_lock(&token_mutex);
	unsigned long n = token_miss_count;
	pthread_mutex_unlock(&token_mutex);
	return n;
}
