/* sighting.h: one tweet as a CTIM sighting of the observable it mentions.
 *
 * Owned by src/modules/tweettioc/sighting.c; used by the lookups of
 * tweettioc/enrich.c. The sighting borrows the feed copy's strings (the
 * caller holds the copy until the response is written).
 */
#ifndef TWEETTIOC_SIGHTING_H
#define TWEETTIOC_SIGHTING_H

#include <cjson/cJSON.h>

#include "http/observables.h"
#include "lib/json_print.h"

struct feed_tweet;

#define TWEETTIOC_SOURCE "Twitter IOC Hunter"

/* The sighting of observable `o` in tweet `t`: title, Markdown description
 * and short description, the data table (Account, Tweet, Hashtags, Link),
 * and Related_To relations to the tweet's other IOCs. `relation_head` is
 * the relations' shared part (ctim_relation_head_write, written once per
 * observable); `key` the observable's match key, so the IOC it matched is
 * not related to itself; `text` is scratch space reused between calls.
 * NULL when out of memory. */
cJSON *tweettioc_sighting(struct json_text *text, const struct feed_tweet *t,
			  const struct observable *o, const struct json_text *relation_head,
			  const char *key);

#endif
