/* enrich.h: deliberate, observe and refer for the Twitter IOC Hunter module.
 *
 * Each hook looks every supported observable up in the current feed copy
 * (never downloading) and emits CTIM per CONTRACT 4.1. With no copy loaded
 * yet they answer "service unavailable".
 */
#ifndef TWEETTIOC_ENRICH_H
#define TWEETTIOC_ENRICH_H

#include "http/observables.h"
#include "http/request.h"
#include "http/response.h"
#include "modules/tweettioc/sighting.h" /* TWEETTIOC_SOURCE */

struct feed_index;

/* At most this many sightings in one response, over all observables; the
 * rest are reported in a too-many-entities warning. */
#define TWEETTIOC_MAX_SIGHTINGS_PER_RESPONSE 20000

/* The current feed copy (release it with feed_store_release), or NULL
 * with a "service unavailable" error added to res when none is loaded yet. */
const struct feed_index *tweettioc_acquire_or_fail(struct relay_response *res);

void tweettioc_deliberate(const struct relay_request *req, const struct observable_list *obs,
			  struct relay_response *res);
void tweettioc_observe(const struct relay_request *req, const struct observable_list *obs,
		       struct relay_response *res);
void tweettioc_refer(const struct relay_request *req, const struct observable_list *obs,
		     struct relay_response *res);

#endif
