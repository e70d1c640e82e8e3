/* feed_build.h: building feed copies (feed_build.c): the builder, its memory
 * budget and the history merge.
 *
 * A copy's strings live in reference-counted segments that consecutive
 * copies share (feed_copy.h); the builder stores each tweet it is given
 * either as a copy in the new copy's own segment or, when an equal tweet is
 * in the copy it reuses, by pointing at that tweet's strings.
 */
#ifndef TWEETTIOC_FEED_BUILD_H
#define TWEETTIOC_FEED_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "modules/tweettioc/feed_copy.h"

/* What feed_builder_add()/feed_builder_put() return when the tweet would
 * take the copy over its budget. */
#define FEED_OVER_BUDGET (-2)

/* Builds a feed one tweet at a time (the parser, the snapshot loader, the
 * history merge). Each added tweet is checked as feed_parse() checks an
 * item and copied into the feed's own segment, or shares the strings of an
 * equal tweet of `reuse`; its IOC keys are left for index.c. */
struct feed_builder {
	struct feed *feed;
	size_t cap;
	struct _GHashTable *users; /* account name -> interned copy */
	struct _GHashTable *ids;   /* tweet ids in the feed (feed_builder_has) */
	const struct feed *reuse;  /* NULL, or a copy whose equal tweets are shared */
	const struct feed *mapped; /* the copy seg_map is for */
	uint32_t *seg_map;	   /* its segment i -> ours + 1 (0: not yet) */
	/* 0, or the most the copy and its index may take (feed_memory_budget()
	 * of the byte cap): set it after feed_builder_init(). */
	size_t budget;
	size_t index_bytes;  /* feed_index_estimate() of the IOCs added */
	size_t shared_bytes; /* of segments other than the own one */
};

/* A new empty feed, or, with `adopt`, that feed (ownership taken) to add
 * tweets to. Returns 0, or -1 when out of memory (adopt freed). */
int feed_builder_init(struct feed_builder *b, struct feed *adopt);
/* Adds a copy of `t` (ids, strings, kinds checked; an id added before is
 * folded with it at the end, dedupe.h). Returns 1 when added, 0 when the
 * tweet has the wrong shape, -1 when out of memory, FEED_OVER_BUDGET when
 * the copy, the tweet added, is over b->budget (the copy is then only to
 * abort). */
int feed_builder_add(struct feed_builder *b, const struct feed_tweet *t);
/* As feed_builder_add() for a tweet feed_parse() has checked already. */
int feed_builder_put(struct feed_builder *b, const struct feed_tweet *t);
/* Whether a tweet with this id is in the feed. */
int feed_builder_has(const struct feed_builder *b, const char *id);
/* What the copy and its index will take so far, as held to b->budget. */
size_t feed_builder_memory(const struct feed_builder *b);
/* Folds repeated ids (dedupe.h), sorts newest first and returns the feed;
 * the builder is then empty.
 * With `compacting` (a finished copy, not a download still to merge), a
 * shared segment that this copy would use too little of (under 2/3 of its
 * bytes, or a small one) has the tweets it still needs copied into ours
 * instead, so what dead tweets hold stays bounded. NULL when out of
 * memory (the feed freed). */
struct feed *feed_builder_finish(struct feed_builder *b, int compacting);
void feed_builder_abort(struct feed_builder *b);

/* History (docs/operations.md): `fresh` (a download, ownership taken) plus
 * every tweet of `retained` (may be NULL) that the download no longer lists
 * and whose timestamp is at or after `cutoff`, newest first, as long as the
 * whole stays within `max_bytes` of feed JSON and within the memory budget
 * of that cap (0: no cap), so memory follows from TWEETTIOC_MAX_BYTES
 * whatever the retention. Returns the merged feed, or NULL when out of
 * memory (fresh freed). */
struct feed *feed_merge(struct feed *fresh, const struct feed *retained, double cutoff,
			size_t max_bytes);

#endif
