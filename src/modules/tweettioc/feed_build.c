/* feed_build.c: builds feed copies whose unchanged tweets share storage (feed_build.h).
 *
 * A tweet the serving copy holds unchanged is not copied: the new copy
 * points at its strings in the serving copy's segment (feed_copy.c) and
 * takes a reference. A refresh therefore adds to memory only what changed,
 * plus the copy's own tweet and IOC arrays and its index (`make bench`,
 * refresh peak), and each copy is held to the memory budget of the byte
 * cap (feed_copy.h): a download over it is refused, history past it goes.
 */
#include "modules/tweettioc/feed_build.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "http/observables.h"
#include "modules/tweettioc/dedupe.h"
#include "modules/tweettioc/normalize.h"
#include "ctim/uri.h"

static int text_ok(const char *s, size_t max, int nonempty)
{
	if (!s)
		return 0;
	size_t n = strnlen(s, max + 1);
	return n <= max && (!nonempty || n > 0) && utf8_valid(s, n);
}

/* Newest first; ties keep a stable order by id text. */
static int newest_first(const void *pa, const void *pb)
{
	const struct feed_tweet *a = pa, *b = pb;
	if (a->timestamp != b->timestamp)
		return a->timestamp < b->timestamp ? 1 : -1;
	size_t la = strlen(a->id), lb = strlen(b->id);
	if (la != lb)
		return la < lb ? 1 : -1;
	return -strcmp(a->id, b->id);
}

int feed_builder_init(struct feed_builder *b, struct feed *adopt)
{
	memset(b, 0, sizeof(*b));
	b->users = g_hash_table_new(g_str_hash, g_str_equal);
	b->ids = g_hash_table_new(g_str_hash, g_str_equal);
	b->feed = adopt ? adopt : feed_new();
	if (!b->feed || !b->users || !b->ids) {
		feed_builder_abort(b);
		return -1;
	}
	if (!adopt)
		return 0;
	b->cap = adopt->n_tweets;
	adopt->n_accounts = 0;
	for (size_t i = 1; i < adopt->n_segments; i++)
		b->shared_bytes += feed_segment_bytes(adopt->segments[i]);
	b->index_bytes = 0;
	for (size_t i = 0; i < adopt->n_tweets; i++) {
		const struct feed_tweet *t = &adopt->tweets[i];
		b->index_bytes += feed_index_estimate(t->iocs, t->n_iocs);
		g_hash_table_insert(b->ids, (gpointer)t->id, (gpointer)t->id);
		if (!g_hash_table_lookup(b->users, t->user)) {
			g_hash_table_insert(b->users, (gpointer)t->user, (gpointer)t->user);
			adopt->n_accounts++;
		}
	}
	return 0;
}

int feed_builder_has(const struct feed_builder *b, const char *id)
{
	return b->ids && g_hash_table_contains(b->ids, id);
}

/* The next free tweet slot, or NULL when out of memory. */
static struct feed_tweet *next_slot(struct feed_builder *b)
{
	struct feed *feed = b->feed;
	if (feed->n_tweets == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 1024;
		struct feed_tweet *bigger = realloc(feed->tweets, ncap * sizeof(*bigger));
		if (!bigger)
			return NULL;
		feed->tweets = bigger;
		b->cap = ncap;
	}
	struct feed_tweet *t = &feed->tweets[feed->n_tweets];
	memset(t, 0, sizeof(*t));
	return t;
}

/* The copy's own pointer for an account name (equal names, one pointer). */
static const char *intern_user(struct feed_builder *b, const char *user)
{
	const char *found = g_hash_table_lookup(b->users, user);
	if (found)
		return found;
	char *copy = arena_strdup(&b->feed->arena, user);
	if (!copy)
		return NULL;
	g_hash_table_insert(b->users, copy, copy);
	b->feed->n_accounts++;
	return copy;
}

/* Gives t (made from src) IOC entries of the copy's own, with src's kinds
 * and values; keys and postings are left to index.c. 0, or -1. */
static int own_iocs(struct feed *feed, struct feed_tweet *t, const struct feed_tweet *src)
{
	t->iocs = NULL;
	if (!src->n_iocs)
		return 0;
	if (!(t->iocs = arena_alloc(&feed->arena, src->n_iocs * sizeof(*t->iocs))))
		return -1;
	for (size_t j = 0; j < src->n_iocs; j++) {
		struct feed_ioc *ioc = &t->iocs[j];
		memset(ioc, 0, sizeof(*ioc));
		ioc->kind = src->iocs[j].kind;
		ioc->key_room = src->iocs[j].key_room; /* feed_copy_strings() sets it for a copy */
		ioc->value = src->iocs[j].value;
		ioc->ctim_type = feed_ioc_ctim_type(ioc->kind, ioc->value);
	}
	return 0;
}

/* Stores a copy of src (checked) in the feed's own segment. */
static int store_copy(struct feed_builder *b, const struct feed_tweet *src)
{
	struct feed *feed = b->feed;
	struct feed_tweet *t = next_slot(b);
	if (!t)
		return -1;
	*t = *src;
	t->hashtags = src->n_hashtags ? src->hashtags : NULL;
	/* The usual link is rebuilt from user and id when shown (uri.h). */
	if (uri_tweet_link_canonical(src->link, src->user, src->id))
		t->link = "";
	if (!(t->user = intern_user(b, src->user)) || own_iocs(feed, t, src) != 0 ||
	    feed_copy_strings(feed, t) != 0)
		return -1;
	return 1;
}

/* The index in our segments of segment s of `from`, added (and referenced)
 * on first use; -1 when out of memory. */
static long segment_index(struct feed_builder *b, const struct feed *from, uint32_t s)
{
	struct feed *feed = b->feed;
	if (b->mapped != from) {
		free(b->seg_map);
		b->mapped = NULL;
		if (!(b->seg_map = calloc(from->n_segments, sizeof(*b->seg_map))))
			return -1;
		b->mapped = from;
	}
	if (b->seg_map[s])
		return (long)b->seg_map[s] - 1;
	struct feed_segment *seg = from->segments[s];
	size_t i = 0;
	while (i < feed->n_segments && feed->segments[i] != seg)
		i++;
	if (i == feed->n_segments) {
		struct feed_segment **more =
			realloc(feed->segments, (i + 1) * sizeof(*feed->segments));
		if (!more)
			return -1;
		feed->segments = more;
		feed->segments[i] = seg;
		feed->n_segments++;
		feed_segment_ref(seg);
		b->shared_bytes += feed_segment_bytes(seg);
	}
	b->seg_map[s] = (uint32_t)i + 1;
	return (long)i;
}

/* Adds tweet src of `from` by sharing its strings; 1, or -1. */
static int store_shared(struct feed_builder *b, const struct feed *from,
			const struct feed_tweet *src)
{
	struct feed *feed = b->feed;
	long s = segment_index(b, from, src->segment);
	struct feed_tweet *t = s < 0 ? NULL : next_slot(b);
	if (!t)
		return -1;
	*t = *src;
	t->segment = (uint32_t)s;
	if (!(t->user = intern_user(b, src->user)) || own_iocs(feed, t, src) != 0)
		return -1;
	return 1;
}

/* Counts the tweet just stored in the next slot. */
static void commit(struct feed_builder *b)
{
	struct feed_tweet *t = &b->feed->tweets[b->feed->n_tweets];
	if (b->ids)
		g_hash_table_insert(b->ids, (gpointer)t->id, (gpointer)t->id);
	b->feed->n_iocs += t->n_iocs;
	b->feed->n_tweets++;
	b->index_bytes += feed_index_estimate(t->iocs, t->n_iocs);
}

size_t feed_builder_memory(const struct feed_builder *b)
{
	const struct feed *feed = b->feed;
	if (!feed)
		return 0;
	/* The tweet array as allocated (it grows by doubling), the copy's own
	 * arena and segment as reserved, the shared segments whole (they live
	 * as long as this copy does) and the index to come. */
	return b->cap * sizeof(*feed->tweets) + feed->arena.reserved +
	       feed_segment_bytes(feed->segments[0]) + b->shared_bytes + b->index_bytes;
}

/* The tweet of `feed` with src's timestamp and id (tweets are sorted by
 * both), or NULL. */
static const struct feed_tweet *find_tweet(const struct feed *feed, const struct feed_tweet *src)
{
	if (!feed || !feed->n_tweets)
		return NULL;
	return bsearch(src, feed->tweets, feed->n_tweets, sizeof(*feed->tweets), newest_first);
}

/* Whether the stored tweet o says exactly what src says. */
static int same_tweet(const struct feed_tweet *src, const struct feed_tweet *o)
{
	if (strcmp(src->user, o->user) != 0 || strcmp(src->text, o->text) != 0 ||
	    src->n_hashtags != o->n_hashtags || src->n_iocs != o->n_iocs)
		return 0;
	if (strcmp(src->link, o->link) != 0 &&
	    !(o->link[0] == '\0' && uri_tweet_link_canonical(src->link, src->user, src->id)))
		return 0;
	for (size_t i = 0; i < src->n_hashtags; i++)
		if (strcmp(src->hashtags[i], o->hashtags[i]) != 0)
			return 0;
	for (size_t j = 0; j < src->n_iocs; j++)
		if (src->iocs[j].kind != o->iocs[j].kind ||
		    strcmp(src->iocs[j].value, o->iocs[j].value) != 0)
			return 0;
	return 1;
}

int feed_builder_put(struct feed_builder *b, const struct feed_tweet *src)
{
	const struct feed_tweet *same = find_tweet(b->reuse, src);
	int rc = same && same_tweet(src, same) ? store_shared(b, b->reuse, same)
					       : store_copy(b, src);
	if (rc <= 0)
		return rc;
	commit(b);
	/* Checked after the tweet is in: a copy over its budget is refused
	 * whole, never kept in part. */
	return b->budget && feed_builder_memory(b) > b->budget ? FEED_OVER_BUDGET : 1;
}

int feed_builder_add(struct feed_builder *b, const struct feed_tweet *src)
{
	if (!text_ok(src->id, 64, 1) || !text_ok(src->user, FEED_MAX_FIELD, 1) ||
	    !text_ok(src->text, FEED_MAX_FIELD, 0) || !text_ok(src->link, FEED_MAX_FIELD, 0) ||
	    !isfinite(src->timestamp) || src->timestamp < 0 || src->timestamp > 1e11 ||
	    src->n_hashtags > FEED_MAX_HASHTAGS || (src->n_hashtags && !src->hashtags) ||
	    src->n_iocs > FEED_MAX_IOCS_PER_TWEET || (src->n_iocs && !src->iocs))
		return 0;
	for (size_t i = 0; i < src->n_hashtags; i++)
		if (!text_ok(src->hashtags[i], 280, 1) || src->hashtags[i][0] == '#')
			return 0;
	for (size_t j = 0; j < src->n_iocs; j++)
		if ((unsigned)src->iocs[j].kind >= FEED_IOC__MAX ||
		    !text_ok(src->iocs[j].value, IOC_MAX_VALUE, 1))
			return 0;
	return feed_builder_put(b, src);
}

static void builder_tables_free(struct feed_builder *b)
{
	if (b->users)
		g_hash_table_destroy(b->users);
	if (b->ids)
		g_hash_table_destroy(b->ids);
	b->users = b->ids = NULL;
	free(b->seg_map);
	b->seg_map = NULL;
	b->mapped = NULL;
}

struct feed *feed_builder_finish(struct feed_builder *b, int compacting)
{
	struct feed *feed = b->feed;
	builder_tables_free(b);
	b->feed = NULL;
	if (!feed)
		return NULL;
	/* Repeated ids: one rule for every copy (dedupe.h). */
	if ((!feed->tweets && !(feed->tweets = calloc(1, sizeof(*feed->tweets)))) ||
	    feed_dedupe(feed) < 0 || (compacting && feed_compact(feed) != 0)) {
		feed_free(feed);
		return NULL;
	}
	qsort(feed->tweets, feed->n_tweets, sizeof(*feed->tweets), newest_first);
	return feed;
}

void feed_builder_abort(struct feed_builder *b)
{
	builder_tables_free(b);
	feed_free(b->feed);
	b->feed = NULL;
}

/* What sharing tweet t of `from` would add to feed_builder_memory(). */
static size_t shared_cost(const struct feed_builder *b, const struct feed *from,
			  const struct feed_tweet *t)
{
	const struct feed *feed = b->feed;
	size_t n = t->n_iocs * sizeof(*t->iocs) + feed_index_estimate(t->iocs, t->n_iocs) +
		   (feed->n_tweets == b->cap ? (b->cap ? b->cap : 1024) * sizeof(*t) : 0);
	if (b->mapped == from && b->seg_map[t->segment])
		return n;
	const struct feed_segment *seg = from->segments[t->segment];
	for (size_t i = 0; i < feed->n_segments; i++)
		if (feed->segments[i] == seg)
			return n;
	return n + feed_segment_bytes(seg);
}

struct feed *feed_merge(struct feed *fresh, const struct feed *retained, double cutoff,
			size_t max_bytes)
{
	struct feed_builder b;
	size_t bytes = fresh->source_bytes;
	if (feed_builder_init(&b, fresh) != 0)
		return NULL;
	b.budget = feed_memory_budget(max_bytes);
	for (size_t i = 0; retained && i < retained->n_tweets; i++) {
		const struct feed_tweet *t = &retained->tweets[i];
		if (t->timestamp < cutoff || feed_builder_has(&b, t->id))
			continue;
		/* Newest first: past the cap or the budget, the older history
		 * goes (the budget to within one chunk of the copy's arena). */
		bytes += feed_tweet_bytes(t);
		if (max_bytes &&
		    (bytes > max_bytes ||
		     feed_builder_memory(&b) + shared_cost(&b, retained, t) > b.budget))
			break;
		/* Retained tweets were checked when first stored: shared. */
		if (store_shared(&b, retained, t) < 0) {
			feed_builder_abort(&b);
			return NULL;
		}
		commit(&b);
	}
	return feed_builder_finish(&b, 1);
}
