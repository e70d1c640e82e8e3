/* feed_build.h: building feed copies (feed_build.c): the builder, the history
 * merge, and what a copy holds in memory.
 *
 * A copy's strings live in reference-counted segments that consecutive
 * copies share (feed.h); the builder stores each tweet it is given either
 * as a copy in the new copy's own segment or, when an equal tweet is in the
 * copy it reuses, by pointing at that tweet's strings.
 */
#ifndef TWEETTIOC_FEED_BUILD_H
#define TWEETTIOC_FEED_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "modules/tweettioc/feed.h"

/* Bytes the copy holds: its arrays and the segments it references. */
size_t feed_memory(const struct feed *feed);
/* Of those, the bytes of segments `other` (may be NULL) references too. */
size_t feed_shared_bytes(const struct feed *feed, const struct feed *other);

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
};

/* A new empty feed, or, with `adopt`, that feed (ownership taken) to add
 * tweets to. Returns 0, or -1 when out of memory (adopt freed). */
int feed_builder_init(struct feed_builder *b, struct feed *adopt);
/* Adds a copy of `t` (ids, strings, kinds checked; an id added before is
 * folded with it at the end, dedupe.h). Returns 1 when added, 0 when the
 * tweet has the wrong shape, -1 when out of memory. */
int feed_builder_add(struct feed_builder *b, const struct feed_tweet *t);
/* As feed_builder_add() for a tweet feed_parse() has checked already. */
int feed_builder_put(struct feed_builder *b, const struct feed_tweet *t);
/* Whether a tweet with this id is in the feed. */
int feed_builder_has(const struct feed_builder *b, const char *id);
/* Folds repeated ids (dedupe.h), sorts newest first and returns the feed;
 * the builder is then empty.
 * With `compacting` (a finished copy, not a download still to merge), a
 * shared segment that this copy would use too little of (under 2/3 of its
 * bytes, or a small one) has the tweets it still needs copied into ours
 * instead, so what dead tweets hold stays bounded. NULL when out of
 * memory (the feed freed). */
struct feed *feed_builder_finish(struct feed_builder *b, int compacting);
void feed_builder_abort(struct feed_builder *b);

/* History (CONTRACT 5): `fresh` (a download, ownership taken) plus every
 * tweet of `retained` (may be NULL) that the download no longer lists and
 * whose timestamp is at or after `cutoff`, newest first, as long as the
 * whole stays within `max_bytes` of feed JSON (0: no cap), so memory
 * follows from TWEETTIOC_MAX_BYTES whatever the retention. Returns the
 * merged feed, or NULL when out of memory (fresh freed). */
struct feed *feed_merge(struct feed *fresh, const struct feed *retained, double cutoff,
			size_t max_bytes);

/* Copies the strings of t, a tweet of `feed` (whose IOC array is the
 * feed's own), into the feed's own segment and points t at them (dedupe.c:
 * a tweet's strings must stay in one segment). 0, or -1 when out of memory. */
int feed_own_strings(struct feed *feed, struct feed_tweet *t);

/* About how many bytes of feed JSON the tweet came from. */
size_t feed_tweet_bytes(const struct feed_tweet *t);

#endif
