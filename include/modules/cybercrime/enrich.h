/* enrich.h: deliberate, observe and refer for the CyberCrime Tracker module.
 *
 * deliberate and observe look every ip and url observable up (cache first,
 * then all misses concurrently) and emit CTIM per docs/api.md#module-cybercrime: for a
 * "Malicious: <family>" answer a Malicious verdict, and on observe also the
 * judgement it points to. Every entity carries the observable as sent. A
 * failed lookup adds one error entry naming the observable; the other
 * observables' entities stay in `data`. The bounds of lookup.h add at most
 * two entries for the whole request: one warning for the values over
 * CYBERCRIME_MAX_LOOKUPS, one `service unavailable` error for those the
 * deadline cut. refer never calls the upstream.
 */
#ifndef CYBERCRIME_ENRICH_H
#define CYBERCRIME_ENRICH_H

#include "ctim/entities.h"
#include "modules/cybercrime/cache.h"
#include "modules/cybercrime/lookup.h"
#include "http/observables.h"
#include "http/request.h"
#include "http/response.h"

struct relay_config;

/* Judgement fields the Python relay emitted (and its tests expect). */
#define CYBERCRIME_CONFIDENCE "Low"
#define CYBERCRIME_SEVERITY "Medium"
#define CYBERCRIME_PRIORITY 90

/* Creates the shared answer cache (none when CYBERCRIME_CACHE_SECONDS is 0).
 * Returns 0, or -1 when out of memory. Before worker threads start. */
int cybercrime_enrich_start(const struct relay_config *cfg);
/* Frees the cache. Safe when start failed or never ran; after the workers stopped. */
void cybercrime_enrich_stop(void);
/* The shared cache, NULL when disabled or not started (for /metrics and tests). */
struct cybercrime_cache *cybercrime_enrich_cache(void);

/* Module hooks. Upstream failures become error entries beside the data;
 * running out of memory turns the whole answer into a 500. */
void cybercrime_deliberate(const struct relay_request *req, const struct observable_list *obs,
			   struct relay_response *res);
void cybercrime_observe(const struct relay_request *req, const struct observable_list *obs,
			struct relay_response *res);
void cybercrime_refer(const struct relay_request *req, const struct observable_list *obs,
		      struct relay_response *res);

/* The entities (or the error entry) for one observable and its lookup
 * result: nothing for a non-malicious answer; a verdict, plus the judgement
 * when `observe`, for a malicious one (valid from `now`, wall-clock seconds,
 * for 7 days); an error in `res` for a failed lookup. `base_url` is
 * CYBERCRIME_URL. Returns 0, or -1 when out of memory (the caller fails the
 * request). */
int cybercrime_emit(const char *base_url, const struct observable *o,
		    const struct cybercrime_result *r, int observe, double now,
		    struct ctim_bundle *bundle, struct relay_response *res);

#endif
