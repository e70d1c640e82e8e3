/* feed_copy.c: a feed copy's storage: shared string segments, packing and compaction, memory.
 *
 * A tweet's strings (id, text, link, hashtags, IOC values) are written once
 * into a segment, a reference-counted arena, and every later copy that
 * keeps the tweet unchanged points at them and takes a reference
 * (feed_build.c). A tweet's strings are all in one segment, and account
 * names are each copy's own, so a segment can be dropped without touching
 * another one.
 *
 * Segments only die whole: a copy that would keep too little of one copies
 * the tweets it still needs into its own segment instead (feed_compact()),
 * so the bytes that dead tweets hold stay under half of what is live.
 */
#include "modules/tweettioc/feed_copy.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A shared segment is kept while at least 2/3 of its bytes are live and it
 * is not small; otherwise its live tweets move into the new copy's own. */
#define SEGMENT_MIN_SHARED (4u * 1024 * 1024)
#define SEGMENT_CHUNK (256u * 1024)
#define COPY_ARENA_CHUNK (1024u * 1024)

/* What index.c adds per IOC mention, at least: its posting (12 bytes), its
 * tweet number in the posting lists twice over the build (8) and up to
 * three hash-table slots of a key, a value and a hash (60). A URL has a
 * second, scheme-less key: as much again and that key's bytes. */
#define INDEX_BYTES_PER_KEY 80u

const char *const feed_ioc_list_names[FEED_IOC__MAX] = {
	[FEED_IOC_IP] = "ip",	      [FEED_IOC_MD5] = "md5",	[FEED_IOC_SHA1] = "sha1",
	[FEED_IOC_SHA256] = "sha256", [FEED_IOC_MAIL] = "mail", [FEED_IOC_DOMAIN] = "domain",
	[FEED_IOC_URL] = "url",
};

static const char *const kind_ctim_types[FEED_IOC__MAX] = {
	[FEED_IOC_IP] = "ip",	      [FEED_IOC_MD5] = "md5",	 [FEED_IOC_SHA1] = "sha1",
	[FEED_IOC_SHA256] = "sha256", [FEED_IOC_MAIL] = "email", [FEED_IOC_DOMAIN] = "domain",
	[FEED_IOC_URL] = "url",
};

const char *feed_ioc_ctim_type(enum feed_ioc_kind kind, const char *value)
{
	if (kind == FEED_IOC_IP && strchr(value, ':'))
		return "ipv6";
	return kind_ctim_types[kind];
}

struct feed_segment {
	atomic_uint refs;
	struct arena strings;
};

static struct feed_segment *segment_new(void)
{
	struct feed_segment *s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	arena_init(&s->strings, SEGMENT_CHUNK);
	return s;
}

void feed_segment_ref(struct feed_segment *s)
{
	atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

/* The last reference frees: copies die on request threads and the refresh
 * thread alike, hence the atomic count. */
static void segment_unref(struct feed_segment *s)
{
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1) {
		arena_free(&s->strings);
		free(s);
	}
}

size_t feed_segment_bytes(const struct feed_segment *s)
{
	return s->strings.reserved;
}

struct feed *feed_new(void)
{
	struct feed *feed = calloc(1, sizeof(*feed));
	if (!feed)
		return NULL;
	arena_init(&feed->arena, COPY_ARENA_CHUNK);
	feed->segments = malloc(sizeof(*feed->segments));
	if (!feed->segments || !(feed->segments[0] = segment_new())) {
		free(feed->segments);
		free(feed);
		return NULL;
	}
	feed->n_segments = 1;
	return feed;
}

void feed_free(struct feed *feed)
{
	if (!feed)
		return;
	for (size_t i = 0; i < feed->n_segments; i++)
		segment_unref(feed->segments[i]);
	free(feed->segments);
	arena_free(&feed->arena);
	free(feed->tweets);
	free(feed);
}

size_t feed_memory_budget(size_t max_bytes)
{
	if (!max_bytes)
		return 0;
	/* The cap is at most 2^32 (config.c): no overflow. */
	return 2 * max_bytes + 2 * (size_t)COPY_ARENA_CHUNK;
}

size_t feed_memory(const struct feed *feed)
{
	size_t n = feed->arena.reserved + feed->n_tweets * sizeof(struct feed_tweet);
	for (size_t i = 0; i < feed->n_segments; i++)
		n += feed->segments[i]->strings.reserved;
	return n;
}

size_t feed_shared_bytes(const struct feed *feed, const struct feed *other)
{
	size_t n = 0;
	for (size_t i = 0; i < feed->n_segments; i++)
		for (size_t j = 0; other && j < other->n_segments; j++)
			if (feed->segments[i] == other->segments[j])
				n += feed->segments[i]->strings.reserved;
	return n;
}

size_t feed_index_estimate(const struct feed_ioc *iocs, size_t n)
{
	size_t bytes = n * INDEX_BYTES_PER_KEY;
	for (size_t j = 0; j < n; j++)
		if (iocs[j].kind == FEED_IOC_URL)
			bytes += INDEX_BYTES_PER_KEY + strlen(iocs[j].value) + 3;
	return bytes;
}

/* A copy of the value with 2 spare bytes before it (feed_ioc.key_room). */
static const char *value_copy(struct arena *a, struct feed_ioc *ioc, const char *s)
{
	size_t n = strlen(s);
	char *p = arena_alloc_bytes(a, n + 3);
	if (!p)
		return NULL;
	p[0] = p[1] = '\0';
	memcpy(p + 2, s, n + 1);
	ioc->key_room = 1;
	return p + 2;
}

int feed_copy_strings(struct feed *feed, struct feed_tweet *t)
{
	struct arena *a = &feed->segments[0]->strings;
	t->segment = 0;
	if (!(t->id = arena_strdup(a, t->id)) || !(t->text = arena_strdup(a, t->text)) ||
	    !(t->link = t->link[0] ? arena_strdup(a, t->link) : ""))
		return -1;
	if (t->n_hashtags) {
		const char **tags = arena_alloc(a, t->n_hashtags * sizeof(*tags));
		if (!tags)
			return -1;
		for (size_t i = 0; i < t->n_hashtags; i++)
			if (!(tags[i] = arena_strdup(a, t->hashtags[i])))
				return -1;
		t->hashtags = tags;
	}
	for (size_t j = 0; j < t->n_iocs; j++)
		if (!(t->iocs[j].value = value_copy(a, &t->iocs[j], t->iocs[j].value)))
			return -1;
	return 0;
}

/* Bytes a tweet's strings take in its segment (as feed_copy_strings()
 * lays them out, to within alignment). */
static size_t tweet_storage(const struct feed_tweet *t)
{
	size_t n = strlen(t->id) + strlen(t->text) + 2 + (t->link[0] ? strlen(t->link) + 1 : 0);
	if (t->n_hashtags)
		n += (t->n_hashtags * sizeof(*t->hashtags) + 15) & ~(size_t)15;
	for (size_t i = 0; i < t->n_hashtags; i++)
		n += strlen(t->hashtags[i]) + 1;
	for (size_t j = 0; j < t->n_iocs; j++)
		n += strlen(t->iocs[j].value) + 3;
	return n;
}

int feed_compact(struct feed *feed)
{
	size_t n = feed->n_segments;
	if (n <= 1)
		return 0;
	size_t *live = calloc(n, sizeof(*live));
	uint32_t *renumber = calloc(n, sizeof(*renumber)); /* new index + 1, 0: dropped */
	int rc = -1;
	if (!live || !renumber)
		goto out;
	for (size_t i = 0; i < feed->n_tweets; i++)
		live[feed->tweets[i].segment] += tweet_storage(&feed->tweets[i]);
	uint32_t kept = 1;
	renumber[0] = 1;
	for (size_t s = 1; s < n; s++) {
		size_t used = feed->segments[s]->strings.used;
		if (used >= SEGMENT_MIN_SHARED && live[s] >= used / 3 * 2)
			renumber[s] = ++kept;
	}
	for (size_t i = 0; i < feed->n_tweets; i++) {
		struct feed_tweet *t = &feed->tweets[i];
		if (!renumber[t->segment]) {
			if (feed_copy_strings(feed, t) != 0)
				goto out;
		} else {
			t->segment = renumber[t->segment] - 1;
		}
	}
	for (size_t s = 1; s < n; s++) {
		if (renumber[s])
			feed->segments[renumber[s] - 1] = feed->segments[s];
		else
			segment_unref(feed->segments[s]);
	}
	feed->n_segments = kept;
	rc = 0;
out:
	free(live);
	free(renumber);
	return rc;
}

size_t feed_tweet_bytes(const struct feed_tweet *t)
{
	/* The JSON around the strings of one item is about 150 bytes. */
	size_t link = t->link[0] ? strlen(t->link)
				 : strlen("https://twitter.com/") + strlen(t->user) +
					   strlen("/status/") + strlen(t->id);
	size_t n = 150 + strlen(t->id) + strlen(t->user) + strlen(t->text) + link;
	for (size_t i = 0; i < t->n_hashtags; i++)
		n += strlen(t->hashtags[i]) + 4;
	for (size_t i = 0; i < t->n_iocs; i++)
		n += strlen(t->iocs[i].value) + 4;
	return n;
}
