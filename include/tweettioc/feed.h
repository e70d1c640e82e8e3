/* feed.h: one parsed copy of the Twitter IOC Hunter feed (CONTRACT 5).
 *
 * feed_parse() turns the upstream's JSON array into tweets sorted newest
 * first, each with its IOCs refanged. Items of the wrong shape are skipped
 * and counted, never fatal; a body that is not a JSON array is.
 *
 * Ownership: a struct feed owns all its strings (one arena); feed_free()
 * releases everything. A feed is immutable once parsed.
 */
#ifndef TWEETTIOC_FEED_H
#define TWEETTIOC_FEED_H

#include <stddef.h>

#include "arena.h"
#include "relay_error.h"

struct feed_posting;

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
	const char *link;
	const char **hashtags; /* without a leading '#' */
	size_t n_hashtags;
	double timestamp; /* epoch seconds */
	struct feed_ioc *iocs;
	size_t n_iocs;
};

struct feed {
	struct feed_tweet *tweets; /* newest first */
	size_t n_tweets;
	size_t n_iocs;	     /* IOC mentions over all tweets */
	size_t n_accounts;   /* distinct users */
	size_t n_skipped;    /* items of the wrong shape */
	size_t source_bytes; /* size of the JSON it came from */
	struct arena arena;
};

/* Parses `len` bytes of JSON. Returns RELAY_OK with *out set; or
 * RELAY_ERR_KEY_ERROR (not a JSON array) / RELAY_ERR_INTERNAL (out of
 * memory) with a message in err and *out NULL. */
enum relay_err feed_parse(const char *json, size_t len, struct feed **out, char *err,
			  size_t errlen);

void feed_free(struct feed *feed);

#endif
