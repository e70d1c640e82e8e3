/* sighting.h: the tweetfeed module's own texts: the sightings, judgements'
 * reasons and titles an analyst reads (docs/api.md, module tweetfeed).
 *
 * TweetFeed gives no tweet text, so a tweet's sighting describes the
 * account, the tags, the IOCs the tweet carried and its link; a /v1/ioc
 * record's sighting ("Seen on TweetFeed (365 days)") its count, first and
 * last sighting, accounts, tags and up to 5 tweet links. Everything
 * TweetFeed wrote is escaped with ctim/text.h, so nothing in it becomes a
 * live link, image or HTML; the only live links are the relay's own
 * (accounts, tweets), each a strict http(s) URI on twitter.com or x.com.
 *
 * Ownership: every builder returns a new cJSON tree (or malloc'd string)
 * owned by the caller, NULL when out of memory; `relations` is taken.
 */
#ifndef TWEETFEED_SIGHTING_H
#define TWEETFEED_SIGHTING_H

#include <cjson/cJSON.h>

#include "modules/tweettioc/feed.h"
#include "modules/tweetfeed/ioc_answer.h"

#define TWEETFEED_SOURCE "TweetFeed"
#define TWEETFEED_LOOKUP_TITLE "Seen on TweetFeed (365 days)"

/* IOCs a tweet's description and table list; the rest is "(+N more)". */
#define TWEETFEED_IOCS_SHOWN 20

/* "Tweeted by @<account>". */
void tweetfeed_tweet_title(const struct feed_tweet *t, char *out, size_t len);

/* Markdown: account (linked) and time, tags, IOCs (code spans), link. */
char *tweetfeed_tweet_description(const struct feed_tweet *t, const char *link);

/* One line: "@<account> tweeted <type> <value> on <time>" (escaped). */
char *tweetfeed_tweet_short_description(const struct feed_tweet *t, const char *type,
					const char *value);

/* {"columns": Account (string), Tags (string), IOCs (markdown), Link (url,
 * only with a link), "rows": [one row]}. */
cJSON *tweetfeed_tweet_table(const struct feed_tweet *t, const char *link);

/* The sighting of observable type/value in tweet t: source TweetFeed,
 * source_uri the tweet's canonical link, count 1, observed at the tweet's
 * time, `relations` (may be NULL; taken) to the tweet's other IOCs. */
cJSON *tweetfeed_tweet_sighting(const struct feed_tweet *t, const char *type, const char *value,
				cJSON *relations);

/* Markdown of a /v1/ioc record: count, first and last seen, accounts,
 * tags, up to TWEETFEED_MAX_RECORD_TWEETS tweet links. */
char *tweetfeed_record_description(const struct tweetfeed_record *r);

/* The lookup sighting of observable type/value: title
 * TWEETFEED_LOOKUP_TITLE, count the record's count, observed_time
 * first_seen..last_seen, source_uri the record's first tweet link. */
cJSON *tweetfeed_record_sighting(const struct tweetfeed_record *r, const char *type,
				 const char *value);

/* "Mentioned in N tweets by M accounts" (singular forms for 1). */
void tweetfeed_tweets_reason(size_t tweets, size_t accounts, char *out, size_t len);

/* "Seen N times on TweetFeed in 365 days". */
void tweetfeed_record_reason(long count, char *out, size_t len);

#endif
