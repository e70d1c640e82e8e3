/* ioc_answer.h: TweetFeed's /v1/ioc answer read into records (docs/api.md,
 * module tweetfeed: lookups beyond the kept window).
 *
 * The answer is attacker-written: {"found": bool, "records": [{"type",
 * "value", "first_seen", "last_seen", "count", "users", "tags", "tweets"}]}
 * with optional extra keys that are ignored. An answer that is not JSON or
 * has no boolean "found" is a key error; a record of the wrong shape is
 * skipped; lists are cut to the limits below, and a tweet link is kept
 * only when it is a twitter.com / x.com status link (rebuilt canonical).
 *
 * Ownership: every string and array of `out` lives in the caller's arena.
 */
#ifndef TWEETFEED_IOC_ANSWER_H
#define TWEETFEED_IOC_ANSWER_H

#include <stddef.h>

#include "http/relay_error.h"

struct arena;

#define TWEETFEED_MAX_RECORDS 8
#define TWEETFEED_MAX_RECORD_USERS 16
#define TWEETFEED_MAX_RECORD_TAGS 16
#define TWEETFEED_MAX_RECORD_TWEETS 5

struct tweetfeed_record {
	const char *type;   /* as TweetFeed wrote it: "ip", "url", ... */
	const char *value;  /* refanged */
	double first_seen;  /* epoch seconds */
	double last_seen;   /* >= first_seen */
	long count;	    /* sightings TweetFeed counted, >= 1 */
	const char **users; /* handles, without '@' */
	size_t n_users;
	const char **tags; /* without '#' */
	size_t n_tags;
	const char **tweets; /* canonical https://twitter.com/<user>/status/<id> */
	size_t n_tweets;
};

struct tweetfeed_ioc_answer {
	int found;
	struct tweetfeed_record *records;
	size_t n_records;
	size_t skipped; /* records of the wrong shape */
};

/* Reads `len` bytes. Returns RELAY_OK with *out filled; RELAY_ERR_KEY_ERROR
 * (not JSON, or the wrong shape) or RELAY_ERR_INTERNAL (out of memory) with
 * a message in err. */
enum relay_err tweetfeed_ioc_parse(const char *json, size_t len, struct arena *a,
				   struct tweetfeed_ioc_answer *out, char *err, size_t errlen);

#endif
