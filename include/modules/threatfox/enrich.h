/* enrich.h: deliberate, observe and refer for the ThreatFox module.
 *
 * deliberate and observe look every ip, domain, url, md5 and sha256
 * observable up (lookup.h: cache for tenants whose key ThreatFox has
 * accepted, then all misses concurrently) and emit CTIM per docs/api.md,
 * "Module: threatfox": for an observable with matching records a Malicious
 * verdict valid 30 days; on observe, per matching record (most recent
 * first, at most CTR_ENTITIES_LIMIT) a sighting and a judgement, and per
 * malware family one indicator (stable id, ctim/uuid5.h) with `based-on`
 * relationships from the judgements and `sighting-of` relationships from
 * the sightings. A failed lookup is one error entry naming the observable
 * (another query_status: a warning); the other observables' entities stay.
 * A key ThreatFox refused is one `authorization error` for the request.
 * refer never calls the upstream.
 */
#ifndef THREATFOX_ENRICH_H
#define THREATFOX_ENRICH_H

#include "ctim/entities.h"
#include "http/observables.h"
#include "http/request.h"
#include "http/response.h"
#include "lookups/lookup.h"

struct relay_config;
struct lookup_cache;

/* Judgement fields (docs/api.md). */
#define THREATFOX_SEVERITY "High"
#define THREATFOX_PRIORITY 85
#define THREATFOX_VALID_SECONDS (30 * 24 * 3600)

/* Creates the shared cache (none when THREATFOX_CACHE_SECONDS is 0) and the
 * accepted-key set. Returns 0, or -1 when out of memory. Before workers start. */
int threatfox_enrich_start(const struct relay_config *cfg);
/* Frees them. Safe when start failed or never ran; after the workers stopped. */
void threatfox_enrich_stop(void);
/* The shared cache, NULL when disabled or not started. */
struct lookup_cache *threatfox_enrich_cache(void);

/* The Auth-Key for a request (docs/authentication.md, claims): the
 * verified token's `key` claim, else THREATFOX_AUTH_KEY. Borrowed from the
 * request or the config. NULL when there is none or the claim is unusable:
 * then *problem is the authorization error's message (never the claim). */
const char *threatfox_request_key(const struct relay_request *req, const char **problem);

void threatfox_deliberate(const struct relay_request *req, const struct observable_list *obs,
			  struct relay_response *res);
void threatfox_observe(const struct relay_request *req, const struct observable_list *obs,
		       struct relay_response *res);
void threatfox_refer(const struct relay_request *req, const struct observable_list *obs,
		     struct relay_response *res);

/* The entities (or the error entry) for one observable and its lookup
 * result; `limit` caps the records used. Sets *auth_refused when the key
 * was refused (no entry is added then: the caller adds one for the
 * request). Returns 0, or -1 when out of memory. */
int threatfox_emit(const struct observable *o, const struct lookup_result *r, int observe,
		   size_t limit, double now, struct ctim_bundle *bundle, struct relay_response *res,
		   int *auth_refused);

#endif
