/* upstream.h: outbound HTTP(S) calls with libcurl, one at a time or concurrently.
 *
 * Every call has a connect timeout, a total timeout (RELAY_UPSTREAM_TIMEOUT_MS
 * unless the request sets its own), a size cap on the answer, http/https only,
 * TLS verified against RELAY_CA_FILE when set, and the User-Agent
 * securex-relay/<version>.
 *
 * Redirects (CONTRACT 5): libcurl never follows one by itself. A request that
 * sets `same_host_redirects` follows at most REDIRECT_MAX_FOLLOWED of them
 * (net/redirect.h), and only to the same host and port (http to https on the
 * same host's default ports included, https to http never); any other 3xx ends the call
 * as RELAY_ERR_UNKNOWN with a detail naming where it pointed. Without the flag
 * (the JWKS download) every 3xx is such an error.
 *
 * upstream_get_many() is the fan-out of the request path. All its calls in
 * the process share UPSTREAM_MAX_CONCURRENT slots (a counting semaphore), so
 * many requests of many lookups cannot open thousands of connections; each
 * call may also bound its own parallelism and set a deadline after which
 * nothing more is started and every transfer still running is aborted.
 * Single calls (upstream_get: the feed download, JWKS, /health probes) take
 * no slot, so a flood of lookups never starves them.
 *
 * The outcome is classified into the relay's error enum so each module only
 * adds its own wording: 2xx -> RELAY_OK; 404 -> NOT_FOUND; 429 ->
 * TOO_MANY_REQUESTS; 5xx, timeout, refused, DNS -> UNAVAILABLE; TLS failure,
 * bad redirect, other status -> UNKNOWN; over the cap -> UPSTREAM_TOO_LARGE;
 * out of memory (ours or libcurl's) -> INTERNAL.
 */
#ifndef UPSTREAM_H
#define UPSTREAM_H

#include <stddef.h>

#include "net/upstream_request.h"

struct relay_config;

/* Slots shared by every upstream_get_many() transfer of the process. 64 keeps
 * a few requests of many lookups at full speed (CYBERCRIME_MAX_PARALLEL is
 * 32 per request) while bounding the sockets and memory a flood can cost. */
#define UPSTREAM_MAX_CONCURRENT 64

/* Bounds of one upstream_get_many() call. */
struct upstream_limits {
	size_t parallel; /* most transfers of this call in flight at once; 0 = only the slots */
	double deadline; /* now_monotonic() value (lib/now.h) after which the call gives up; 0 = none */
};

/* Once per process, before threads start. Returns 0 or -1. */
int upstream_global_init(void);
void upstream_global_cleanup(void);

/* Performs one GET. Fills the out fields; returns req->err. */
enum relay_err upstream_get(const struct relay_config *cfg, struct upstream_request *req);

/* Performs n GETs concurrently (libcurl multi), each once it has a shared
 * slot, at most lim->parallel at once (lim may be NULL: no bounds but the
 * slots). Returns when all are done or at lim->deadline: then the transfers
 * still running are aborted, and those and the ones never started end as
 * RELAY_ERR_UNAVAILABLE with `late` set. Returns how many are late. */
size_t upstream_get_many(const struct relay_config *cfg, struct upstream_request *reqs, size_t n,
			 const struct upstream_limits *lim);

/* Transfers of upstream_get_many() in flight right now, process-wide (for
 * /metrics and tests). */
size_t upstream_in_flight(void);

/* Frees the body of a request; the struct itself belongs to the caller. */
void upstream_request_free(struct upstream_request *req);

#endif
