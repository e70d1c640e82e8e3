/* enrich.h: deliberate, observe and refer for the tweetfeed module
 * (docs/api.md, module tweetfeed).
 *
 * Each observable of a supported type is looked up in the kept, indexed
 * copy (feeds/engine.h); with TWEETFEED_LOOKUP on, the index misses are
 * then asked at /v1/ioc (lookup.h), bounded and cached. A failed lookup
 * is one warning entry and never removes what the index answered.
 *
 * Ownership: the module state (engine, cache) belongs to module.c, made
 * at start and freed at stop.
 */
#ifndef TWEETFEED_ENRICH_H
#define TWEETFEED_ENRICH_H

#include "http/observables.h"
#include "http/request.h"
#include "http/response.h"

struct feed_engine;
struct relay_config;
struct tweetfeed_cache;

/* At most this many sightings in one response, over all observables. */
#define TWEETFEED_MAX_SIGHTINGS_PER_RESPONSE 20000

/* 1 for ip, ipv6, domain, url, md5, sha256. */
int tweetfeed_supported_type(const char *type);

/* module.c: the module's engine and lookup cache (NULL before start). */
struct feed_engine *tweetfeed_engine(void);
struct tweetfeed_cache *tweetfeed_lookup_cache(void);

void tweetfeed_deliberate(const struct relay_request *req, const struct observable_list *obs,
			  struct relay_response *res);
void tweetfeed_observe(const struct relay_request *req, const struct observable_list *obs,
		       struct relay_response *res);
void tweetfeed_refer(const struct relay_request *req, const struct observable_list *obs,
		     struct relay_response *res);

#endif
