/* lookup.c: the on-demand lookup engine: cache, cap, dedupe, concurrent calls, deadline.
 *
 * Generalised from the CyberCrime Tracker module, which asked one value
 * after another in the Python relay it replaces: here every distinct cache
 * miss of a request is in flight at the same time, within the bounds of
 * lookup.h, whatever the module.
 */
#include "lookups/lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/now.h"
#include "lookups/cache.h"

static void count(atomic_ulong *c, unsigned long n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void lookup_finish(const struct lookup_module *m, void *ctx, struct lookup_cache *cache,
		   const struct lookup_query *q, const struct upstream_request *up,
		   struct lookup_result *r, double now)
{
	int cacheable = 0;
	memset(r, 0, sizeof(*r));
	r->status = up->status;
	r->err = m->finish(ctx, q, up, &r->blob, &r->blob_len, &cacheable, r->detail,
			   sizeof(r->detail));
	if (r->err != RELAY_OK) {
		free(r->blob);
		r->blob = NULL;
		r->blob_len = 0;
		count(&m->counters->upstream_errors, 1);
		if ((int)r->err > 0 && r->err < RELAY_ERR__MAX)
			count(&m->counters->errors[r->err], 1);
		return;
	}
	if (cacheable)
		lookup_cache_put(cache, q->key, r->blob, r->blob_len, now); /* best effort */
}

/* Asks the upstream about queries[idx[0..k-1]] (distinct keys) into
 * results[idx[...]]: at most m->parallel at once, none after `deadline`.
 * -1 when out of memory. */
static int fetch_all(const struct relay_config *cfg, const struct lookup_module *m, void *ctx,
		     struct lookup_cache *cache, const struct lookup_query *queries,
		     const size_t *idx, size_t k, double deadline, struct lookup_result *results)
{
	struct upstream_request *reqs = k ? calloc(k, sizeof(*reqs)) : NULL;
	void **scratch = k ? calloc(k, sizeof(*scratch)) : NULL;
	size_t prepared = 0;
	int rc = k && (!reqs || !scratch) ? -1 : 0;
	for (; rc == 0 && prepared < k; prepared++) {
		struct upstream_request *up = &reqs[prepared];
		up->max_bytes = m->answer_max;
		up->same_host_redirects = 1;
		if (m->prepare(ctx, &queries[idx[prepared]], up, &scratch[prepared]) != 0)
			rc = -1;
	}
	if (rc == 0 && k > 0) {
		struct upstream_limits lim = {.parallel = m->parallel, .deadline = deadline};
		size_t late = upstream_get_many(cfg, reqs, k, &lim);
		count(&m->counters->upstream_requests, k - late);
		count(&m->counters->late, late);
		double now = now_monotonic();
		for (size_t j = 0; j < k; j++) {
			struct lookup_result *r = &results[idx[j]];
			if (reqs[j].late) {
				memset(r, 0, sizeof(*r));
				r->err = reqs[j].err;
				r->late = 1;
				snprintf(r->detail, sizeof(r->detail), "%s", reqs[j].detail);
			} else {
				lookup_finish(m, ctx, cache, &queries[idx[j]], &reqs[j], r, now);
			}
		}
	}
	for (size_t j = 0; reqs && scratch && j < prepared; j++) {
		m->release(ctx, &reqs[j], scratch[j]);
		upstream_request_free(&reqs[j]);
	}
	free(reqs);
	free(scratch);
	return rc;
}

/* Orders indices by their key, equal keys by position. */
static int compare_key(const void *a, const void *b, void *arg)
{
	const struct lookup_query *queries = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(queries[x].key, queries[y].key);
	return c ? c : (x > y) - (x < y);
}

static int compare_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* results[to] = a copy of results[from]; -1 when out of memory. */
static int copy_result(struct lookup_result *results, size_t to, size_t from)
{
	results[to] = results[from];
	results[to].blob = NULL;
	if (!results[from].blob)
		return 0;
	size_t len = results[from].blob_len;
	if (!(results[to].blob = malloc(len ? len : 1)))
		return -1;
	if (len)
		memcpy(results[to].blob, results[from].blob, len);
	return 0;
}

int lookup_many(const struct relay_config *cfg, const struct lookup_module *m, void *ctx,
		struct lookup_cache *cache, const struct lookup_bounds *b,
		const struct lookup_query *queries, size_t n, struct lookup_result *results)
{
	size_t *miss = n ? malloc(n * sizeof(*miss)) : NULL;
	size_t *lead = n ? malloc(n * sizeof(*lead)) : NULL;
	size_t n_miss = 0, n_lead = 0;
	int rc = 0;
	/* The deadline counts from here: parsing and auth before took microseconds. */
	double deadline = now_monotonic() + (double)b->deadline_ms / 1000.0;
	for (size_t i = 0; i < n; i++)
		memset(&results[i], 0, sizeof(results[i]));
	if (n && (!miss || !lead)) {
		rc = -1;
		goto out;
	}
	double now = now_monotonic();
	for (size_t i = 0; i < n; i++) {
		struct lookup_result *r = &results[i];
		count(&m->counters->lookups, 1);
		if (b->cache_read &&
		    lookup_cache_get(cache, queries[i].key, now, &r->blob, &r->blob_len)) {
			r->cached = 1;
			count(&m->counters->cache_hits, 1);
		} else {
			miss[n_miss++] = i;
		}
	}
	/* Equal keys are asked once: sort the misses by key, the first sent
	 * of each run is asked. */
	if (n_miss > 1)
		qsort_r(miss, n_miss, sizeof(*miss), compare_key, (void *)queries);
	for (size_t j = 0; j < n_miss; j++)
		if (j == 0 || strcmp(queries[miss[j]].key, queries[miss[j - 1]].key) != 0)
			lead[n_lead++] = miss[j];
	/* The cap keeps the values sent first; cache hits are not counted. */
	if (n_lead > 1)
		qsort(lead, n_lead, sizeof(*lead), compare_index);
	size_t asked = n_lead < b->max_lookups ? n_lead : b->max_lookups;
	for (size_t j = asked; j < n_lead; j++) {
		results[lead[j]].err = RELAY_ERR_UNAVAILABLE;
		results[lead[j]].left_out = 1;
	}
	count(&m->counters->left_out, n_lead - asked);
	rc = fetch_all(cfg, m, ctx, cache, queries, lead, asked, deadline, results);
	for (size_t j = 1; rc == 0 && j < n_miss; j++)
		if (strcmp(queries[miss[j]].key, queries[miss[j - 1]].key) == 0)
			rc = copy_result(results, miss[j], miss[j - 1]);
out:
	if (rc != 0) {
		lookup_results_free(results, n);
		for (size_t i = 0; i < n; i++)
			results[i].err = RELAY_ERR_INTERNAL;
	}
	free(miss);
	free(lead);
	return rc;
}

void lookup_one(const struct relay_config *cfg, const struct lookup_module *m, void *ctx,
		const struct lookup_query *q, struct lookup_result *r)
{
	struct upstream_request up = {.max_bytes = m->answer_max, .same_host_redirects = 1};
	void *scratch = NULL;
	memset(r, 0, sizeof(*r));
	if (m->prepare(ctx, q, &up, &scratch) != 0) {
		m->release(ctx, &up, scratch);
		r->err = RELAY_ERR_INTERNAL;
		return;
	}
	count(&m->counters->upstream_requests, 1);
	upstream_get(cfg, &up);
	lookup_finish(m, ctx, NULL, q, &up, r, now_monotonic());
	m->release(ctx, &up, scratch);
	upstream_request_free(&up);
}

void lookup_results_free(struct lookup_result *results, size_t n)
{
	for (size_t i = 0; results && i < n; i++) {
		free(results[i].blob);
		results[i].blob = NULL;
		results[i].blob_len = 0;
	}
}

void lookup_stats_get(const struct lookup_counters *c, struct lookup_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->lookups = atomic_load_explicit(&c->lookups, memory_order_relaxed);
	out->cache_hits = atomic_load_explicit(&c->cache_hits, memory_order_relaxed);
	out->upstream_requests = atomic_load_explicit(&c->upstream_requests, memory_order_relaxed);
	out->upstream_errors = atomic_load_explicit(&c->upstream_errors, memory_order_relaxed);
	out->late = atomic_load_explicit(&c->late, memory_order_relaxed);
	out->left_out = atomic_load_explicit(&c->left_out, memory_order_relaxed);
	for (int i = 0; i < RELAY_ERR__MAX; i++)
		out->errors[i] = atomic_load_explicit(&c->errors[i], memory_order_relaxed);
}
