/* lookup.c: TweetFeed's /v1/ioc: URLs, the answer cache, bounded concurrent lookups (see lookup.h). */
#include "modules/tweetfeed/lookup.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ctim/uri.h"
#include "lib/arena.h"
#include "lib/now.h"
#include "net/upstream.h"

static atomic_ulong n_lookups, n_cache_hits, n_upstream, n_upstream_errors, n_late, n_left_out;

/* ---------------------------------------------------------------- cache */

struct cache_entry {
	char *body; /* the answer's bytes, NUL-terminated */
	size_t len;
	double stored; /* now_monotonic() */
};

struct tweetfeed_cache {
	pthread_mutex_t lock;
	GHashTable *map; /* key (owned) -> struct cache_entry * (owned) */
	GQueue order;	 /* keys, oldest stored first (pointers into map's keys) */
	size_t capacity;
	double ttl;
};

static void entry_free(gpointer p)
{
	struct cache_entry *e = p;
	if (e)
		free(e->body);
	free(e);
}

struct tweetfeed_cache *tweetfeed_cache_new(size_t capacity, double ttl_seconds)
{
	if (ttl_seconds <= 0)
		return NULL;
	struct tweetfeed_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
	g_queue_init(&c->order);
	c->capacity = capacity ? capacity : TWEETFEED_CACHE_CAPACITY;
	c->ttl = ttl_seconds;
	return c;
}

void tweetfeed_cache_free(struct tweetfeed_cache *c)
{
	if (!c)
		return;
	g_queue_clear(&c->order);
	g_hash_table_destroy(c->map);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

size_t tweetfeed_cache_count(struct tweetfeed_cache *c)
{
	if (!c)
		return 0;
	pthread_mutex_lock(&c->lock);
	size_t n = g_hash_table_size(c->map);
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* A malloc'd copy of the live answer for key, or NULL. */
static char *cache_get(struct tweetfeed_cache *c, const char *key, double now, size_t *len)
{
	if (!c || strlen(key) > TWEETFEED_CACHE_KEY_MAX)
		return NULL;
	char *copy = NULL;
	pthread_mutex_lock(&c->lock);
	struct cache_entry *e = g_hash_table_lookup(c->map, key);
	if (e && now - e->stored <= c->ttl && (copy = malloc(e->len + 1))) {
		memcpy(copy, e->body, e->len + 1);
		*len = e->len;
	}
	pthread_mutex_unlock(&c->lock);
	return copy;
}

/* Drops the oldest entries until there is room for one more. */
static void cache_make_room(struct tweetfeed_cache *c)
{
	while (g_hash_table_size(c->map) >= c->capacity && !g_queue_is_empty(&c->order)) {
		char *oldest = g_queue_pop_head(&c->order);
		g_hash_table_remove(c->map, oldest); /* frees the key */
	}
}

static void cache_put(struct tweetfeed_cache *c, const char *key, const char *body, size_t len,
		      double now)
{
	if (!c || strlen(key) > TWEETFEED_CACHE_KEY_MAX)
		return;
	struct cache_entry *e = calloc(1, sizeof(*e));
	char *k = g_strdup(key);
	if (!e || !(e->body = malloc(len + 1))) {
		entry_free(e);
		g_free(k);
		return; /* not cached: the answer is still returned */
	}
	memcpy(e->body, body, len);
	e->body[len] = '\0';
	e->len = len;
	e->stored = now;
	pthread_mutex_lock(&c->lock);
	char *old_key = NULL;
	if (g_hash_table_lookup_extended(c->map, key, (gpointer *)&old_key, NULL)) {
		g_queue_remove(&c->order, old_key);
		g_hash_table_remove(c->map, key);
	}
	cache_make_room(c);
	g_hash_table_insert(c->map, k, e);
	g_queue_push_tail(&c->order, k);
	pthread_mutex_unlock(&c->lock);
}

/* -------------------------------------------------------------- lookups */

char *tweetfeed_ioc_url(const char *base, const char *value)
{
	char *esc = uri_escape(value);
	char *url = esc ? g_strdup_printf("%s/v1/ioc?value=%s", base, esc) : NULL;
	free(esc);
	if (!url)
		return NULL;
	char *out = strdup(url); /* callers free() it */
	g_free(url);
	return out;
}

/* Reads an answer into r (arena strings). */
static void read_answer(const char *body, size_t len, struct arena *a,
			struct tweetfeed_lookup_result *r)
{
	char err[256];
	r->err = tweetfeed_ioc_parse(body, len, a, &r->answer, err, sizeof(err));
	if (r->err != RELAY_OK)
		snprintf(r->detail, sizeof(r->detail), "%s", err);
}

static int compare_str_at(const void *x, const void *y, void *ctx)
{
	const char *const *values = ctx;
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = strcmp(values[i], values[j]);
	return c ? c : (i > j) - (i < j);
}

static int compare_index(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	return (i > j) - (i < j);
}

/* Asks the upstream about values[lead[0..n)] and fills their results. */
static int fetch(const struct relay_config *cfg, const struct tweetfeed_lookup_opts *opts,
		 struct tweetfeed_cache *cache, const char *const *values, const size_t *lead,
		 size_t n, double deadline, struct arena *a, struct tweetfeed_lookup_result *res)
{
	if (n == 0)
		return 0;
	struct upstream_request *reqs = calloc(n, sizeof(*reqs));
	char **urls = calloc(n, sizeof(*urls));
	int rc = -1;
	if (!reqs || !urls)
		goto out;
	for (size_t j = 0; j < n; j++) {
		if (!(urls[j] = tweetfeed_ioc_url(opts->base_url, values[lead[j]])))
			goto out;
		reqs[j].url = urls[j];
		reqs[j].max_bytes = TWEETFEED_ANSWER_MAX;
		reqs[j].same_host_redirects = 1;
	}
	struct upstream_limits lim = {.parallel = TWEETFEED_LOOKUP_PARALLEL, .deadline = deadline};
	upstream_get_many(cfg, reqs, n, &lim);
	double now = now_monotonic();
	for (size_t j = 0; j < n; j++) {
		struct tweetfeed_lookup_result *r = &res[lead[j]];
		const struct upstream_request *q = &reqs[j];
		if (!q->late || q->status)
			atomic_fetch_add_explicit(&n_upstream, 1, memory_order_relaxed);
		if (q->err != RELAY_OK) {
			r->err = q->err;
			r->late = q->late;
			snprintf(r->detail, sizeof(r->detail), "%s", q->detail);
			atomic_fetch_add_explicit(q->late ? &n_late : &n_upstream_errors, 1,
						  memory_order_relaxed);
			continue;
		}
		const char *body = q->body.data ? q->body.data : "";
		read_answer(body, q->body.len, a, r);
		if (r->err == RELAY_OK && r->answer.found)
			cache_put(cache, values[lead[j]], body, q->body.len, now);
		else if (r->err != RELAY_OK)
			atomic_fetch_add_explicit(&n_upstream_errors, 1, memory_order_relaxed);
	}
	rc = 0;
out:
	for (size_t j = 0; reqs && j < n; j++)
		upstream_request_free(&reqs[j]);
	for (size_t j = 0; urls && j < n; j++)
		free(urls[j]);
	free(reqs);
	free(urls);
	return rc;
}

int tweetfeed_lookup_many(const struct relay_config *cfg, const struct tweetfeed_lookup_opts *opts,
			  struct tweetfeed_cache *cache, const char *const *values, size_t n,
			  struct arena *a, struct tweetfeed_lookup_result *results)
{
	size_t *miss = n ? malloc(n * sizeof(*miss)) : NULL;
	size_t *lead = n ? malloc(n * sizeof(*lead)) : NULL;
	size_t n_miss = 0, n_lead = 0;
	int rc = 0;
	double deadline = now_monotonic() +
			  (double)(opts->deadline_ms > 0 ? opts->deadline_ms : 20000) / 1000.0;
	if (n && (!miss || !lead)) {
		rc = -1;
		goto out;
	}
	double now = now_monotonic();
	for (size_t i = 0; i < n; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		atomic_fetch_add_explicit(&n_lookups, 1, memory_order_relaxed);
		size_t len = 0;
		char *body = cache_get(cache, values[i], now, &len);
		if (body) {
			read_answer(body, len, a, &results[i]);
			free(body);
			results[i].cached = 1;
			atomic_fetch_add_explicit(&n_cache_hits, 1, memory_order_relaxed);
		} else {
			miss[n_miss++] = i;
		}
	}
	/* Equal values are asked once: the first sent of each run. */
	if (n_miss > 1)
		qsort_r(miss, n_miss, sizeof(*miss), compare_str_at, (void *)values);
	for (size_t j = 0; j < n_miss; j++)
		if (j == 0 || strcmp(values[miss[j]], values[miss[j - 1]]) != 0)
			lead[n_lead++] = miss[j];
	if (n_lead > 1)
		qsort(lead, n_lead, sizeof(*lead), compare_index);
	size_t asked = n_lead < opts->max_lookups ? n_lead : opts->max_lookups;
	for (size_t j = asked; j < n_lead; j++) {
		results[lead[j]].err = RELAY_ERR_UNAVAILABLE;
		results[lead[j]].left_out = 1;
	}
	atomic_fetch_add_explicit(&n_left_out, n_lead - asked, memory_order_relaxed);
	rc = fetch(cfg, opts, cache, values, lead, asked, deadline, a, results);
	for (size_t j = 1; rc == 0 && j < n_miss; j++)
		if (strcmp(values[miss[j]], values[miss[j - 1]]) == 0)
			results[miss[j]] = results[miss[j - 1]];
out:
	if (rc != 0)
		for (size_t i = 0; i < n; i++) {
			memset(&results[i], 0, sizeof(results[i]));
			results[i].err = RELAY_ERR_INTERNAL;
		}
	free(miss);
	free(lead);
	return rc;
}

void tweetfeed_lookup_stats_get(struct tweetfeed_lookup_stats *out)
{
	out->lookups = atomic_load_explicit(&n_lookups, memory_order_relaxed);
	out->cache_hits = atomic_load_explicit(&n_cache_hits, memory_order_relaxed);
	out->upstream_requests = atomic_load_explicit(&n_upstream, memory_order_relaxed);
	out->upstream_errors = atomic_load_explicit(&n_upstream_errors, memory_order_relaxed);
	out->late = atomic_load_explicit(&n_late, memory_order_relaxed);
	out->left_out = atomic_load_explicit(&n_left_out, memory_order_relaxed);
}
