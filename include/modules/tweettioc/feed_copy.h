/* feed_copy.h: one parsed copy of the Twitter IOC Hunter feed: its types,
 * its storage, what it holds in memory and the memory budget (feed_copy.c).
 *
 * This is the lower layer that the parser (feed.h), the builder
 * (feed_build.h), the index and the snapshot all share; it includes none
 * of them.
 *
 * Ownership: a tweet's strings (id, text, link, hashtags, IOC values) live
 * in a segment: reference-counted storage that consecutive copies share, so
 * a refresh that finds a tweet unchanged points at the strings the serving
 * copy already holds instead of copying them (feed_build.c). Everything
 * else of a copy (tweet and IOC arrays, account names, extra keys) is its
 * own. feed_free() releases the copy and its references. A feed is
 * immutable once built.
 */
#ifndef TWEETTIOC_FEED_COPY_H
#define TWEETTIOC_FEED_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"

struct feed_posting;
struct feed_segment;

/* Longest string field kept from the feed; longer items are skipped. */
#define FEED_MAX_FIELD (64 * 1024)

/* A tweet dated more than this many seconds after the clock is skipped
 * (and counted), at download and at snapshot load: it would never expire. */
#define FEED_MAX_AHEAD 86400.0

/* Kept per tweet at most; the rest of a longer list is dropped. */
#define FEED_MAX_HASHTAGS 64
#define FEED_MAX_IOCS_PER_TWEET 1024

enum feed_ioc_kind {
	FEED_IOC_IP,
	FEED_IOC_MD5,
	FEED_IOC_SHA1,
	FEED_IOC_SHA256,
	FEED_IOC_MAIL,
	FEED_IOC_DOMAIN,
	FEED_IOC_URL,
	FEED_IOC__MAX
};

/* The feed's list names: "ip", "md5", "sha1", "sha256", "mail", "domain", "url". */
extern const char *const feed_ioc_list_names[FEED_IOC__MAX];

struct feed_ioc {
	enum feed_ioc_kind kind;
	/* 2 spare bytes precede `value`, so index.c can make the key
	 * "<class>:<value>" share the value's bytes instead of a copy. */
	unsigned char key_room;
	const char *value;     /* refanged, otherwise as the feed wrote it */
	const char *ctim_type; /* "ip", "ipv6", "md5", "sha1", "sha256", "email", "domain", "url" */
	const char *key;       /* match key (normalize.h), NULL if the value has none */
	const char *alt_key;   /* scheme-less URL key, or NULL */
	const struct feed_posting *posting; /* index.c: the posting of `key`, NULL if none */
};

struct feed_tweet {
	const char *id;
	const char *user; /* interned: equal accounts share one pointer */
	const char *text;
	/* "" when it is https://twitter.com/<user>/status/<id>, which
	 * uri_tweet_link() rebuilds: most links are, and that saves a copy's
	 * largest string but the text. */
	const char *link;
	const char **hashtags; /* without a leading '#' */
	uint32_t n_hashtags;
	uint32_t segment; /* the segment holding its strings */
	double timestamp; /* epoch seconds */
	struct feed_ioc *iocs;
	size_t n_iocs;
};

struct feed {
	struct feed_tweet *tweets; /* newest first */
	size_t n_tweets;
	size_t n_iocs;			/* IOC mentions over all tweets */
	size_t n_accounts;		/* distinct users */
	size_t n_skipped;		/* items of the wrong shape or over the size limit */
	size_t n_future;		/* of those, dated over FEED_MAX_AHEAD ahead */
	size_t source_bytes;		/* size of the JSON it came from */
	struct arena arena;		/* this copy's own: IOC arrays, account names, keys */
	struct feed_segment **segments; /* [0]: strings first stored by this copy */
	size_t n_segments;
};

void feed_free(struct feed *feed);

/* The CTIM type of an IOC of this kind and (refanged) value. */
const char *feed_ioc_ctim_type(enum feed_ioc_kind kind, const char *value);

/* ---- Memory ----
 *
 * The memory budget of one copy: what its parsed form (feed_memory() plus
 * the index feed_index_build() will add, estimated by feed_index_estimate())
 * may take, derived from the byte cap TWEETTIOC_MAX_BYTES:
 *
 *     budget = 2 x TWEETTIOC_MAX_BYTES + 2 MiB
 *
 * The bench's 1M-IOC feed (`make bench`, feed scaling) counts 1.7x its
 * bytes this way (1.5x by feed_index_memory(), 1.4x in RSS), so an honest
 * feed up to the cap fits; a feed of many tiny IOCs counts ~14x its bytes
 * and is refused once it reaches the budget, whatever its size. 2 MiB is
 * one chunk each of the copy's arena and segment, so a small cap still
 * takes a small feed. A download, the history merged into it and a
 * snapshot load are each held to it, so the two copies that exist at once
 * (the serving one and the one being built) stay within:
 *
 *     MemoryMax = 2 x budget + 60 MiB = 4 x TWEETTIOC_MAX_BYTES + 64 MiB
 *
 * 60 MiB: the cJSON parse of one item of at most FEED_ITEM_MAX bytes
 * (feed.h: ~20 MiB), the process with a small copy (~12 MB, `make bench`)
 * and the requests' own buffers. This is the one memory rule of
 * deploy/systemd and deploy/kubernetes (docs/operations.md, memory
 * sizing). 0 for a cap of 0 (no cap: no budget). */
size_t feed_memory_budget(size_t max_bytes);

/* Bytes the copy holds: its arrays and the segments it references. */
size_t feed_memory(const struct feed *feed);
/* Of those, the bytes of segments `other` (may be NULL) references too. */
size_t feed_shared_bytes(const struct feed *feed, const struct feed *other);
/* At least what the index of these IOCs will take (a key, its posting and
 * hash slots, its place in the posting lists; a URL's scheme-less second
 * key too): what index.c's feed_index_memory() adds to feed_memory(). */
size_t feed_index_estimate(const struct feed_ioc *iocs, size_t n);

/* About how many bytes of feed JSON the tweet came from. */
size_t feed_tweet_bytes(const struct feed_tweet *t);

/* ---- Storage, for the builder (feed_build.c) ---- */

/* An empty copy with an empty own segment, or NULL when out of memory. */
struct feed *feed_new(void);
/* Takes a reference to a segment of another copy (the caller adds it to
 * its own segments). */
void feed_segment_ref(struct feed_segment *s);
/* Bytes the segment holds. */
size_t feed_segment_bytes(const struct feed_segment *s);
/* Copies the strings of t (a tweet of the feed) into the feed's own
 * segment and points t at them (t's IOC array, the copy's own, is updated
 * in place). 0, or -1 when out of memory. */
int feed_copy_strings(struct feed *feed, struct feed_tweet *t);
/* Keeps the shared segments that are mostly live and large; the tweets of
 * the others get copies in the own segment and those segments are let go,
 * so the bytes dead tweets hold stay bounded. 0, or -1 when out of memory. */
int feed_compact(struct feed *feed);

#endif
