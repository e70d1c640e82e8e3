/* feed.h: one parsed copy of the Twitter IOC Hunter feed (CONTRACT 5).
 *
 * feed_parse() turns the upstream's JSON array into tweets sorted newest
 * first, each with its IOCs refanged. Items of the wrong shape are skipped
 * and counted, never fatal; a body that is not a JSON array is.
 *
 * Ownership: a tweet's strings (id, text, link, hashtags, IOC values) live
 * in a segment: reference-counted storage that consecutive copies share, so
 * a refresh that finds a tweet unchanged points at the strings the serving
 * copy already holds instead of copying them (feed_build.c). Everything
 * else of a copy (tweet and IOC arrays, account names, extra keys) is its
 * own. feed_free() releases the copy and its references. A feed is
 * immutable once built.
 */
#ifndef TWEETTIOC_FEED_H
#define TWEETTIOC_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "lib/arena.h"
#include "http/relay_error.h"

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
	/* feed_build.c: 2 spare bytes precede `value`, so index.c can make the key
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
	uint32_t segment; /* feed_build.c: the segment holding its strings */
	double timestamp; /* epoch seconds */
	struct feed_ioc *iocs;
	size_t n_iocs;
};

struct feed {
	struct feed_tweet *tweets; /* newest first */
	size_t n_tweets;
	size_t n_iocs;			/* IOC mentions over all tweets */
	size_t n_accounts;		/* distinct users */
	size_t n_skipped;		/* items of the wrong shape */
	size_t n_future;		/* of those, dated over FEED_MAX_AHEAD ahead */
	size_t source_bytes;		/* size of the JSON it came from */
	struct arena arena;		/* this copy's own: IOC arrays, account names, keys */
	struct feed_segment **segments; /* [0]: strings first stored by this copy */
	size_t n_segments;
};

/* Parses `len` bytes of JSON. Returns RELAY_OK with *out set; or
 * RELAY_ERR_KEY_ERROR (not a JSON array) / RELAY_ERR_INTERNAL (out of
 * memory) with a message in err and *out NULL. */
enum relay_err feed_parse(const char *json, size_t len, struct feed **out, char *err,
			  size_t errlen);

/* The same parse as the bytes arrive (a download): each complete item is
 * read and stored at once, so only a partial item is ever buffered and the
 * download never exists whole. A tweet equal to one of `reuse` (the serving
 * copy, may be NULL, must outlive the stream) shares that tweet's strings,
 * so a refresh holds two copies of only what changed.
 *
 * feed_stream_new() returns NULL when out of memory. feed_stream_write()
 * returns 0, or -1 when out of memory (the stream is then only to free).
 * feed_stream_finish() answers as feed_parse() does for all bytes written;
 * call it once. feed_stream_free() releases the stream (not the feed). */
struct feed_stream;
struct feed_stream *feed_stream_new(const struct feed *reuse);
int feed_stream_write(struct feed_stream *s, const char *data, size_t n);
enum relay_err feed_stream_finish(struct feed_stream *s, struct feed **out, char *err,
				  size_t errlen);
void feed_stream_free(struct feed_stream *s);
/* Bytes the stream holds back, waiting for the rest of an item. */
size_t feed_stream_pending(const struct feed_stream *s);

void feed_free(struct feed *feed);

/* The CTIM type of an IOC of this kind and (refanged) value. */
const char *feed_ioc_ctim_type(enum feed_ioc_kind kind, const char *value);

#endif
