/* upstream.h: outbound HTTP(S) calls with libcurl, one at a time or concurrently.
 *
 * Every call has a connect timeout, a total timeout (RELAY_UPSTREAM_TIMEOUT_MS
 * unless the request sets its own), a size cap on the answer, http/https only,
 * TLS verified against RELAY_CA_FILE when set, and the User-Agent
 * securex-relay/<version>.
 *
 * Redirects (CONTRACT 5): libcurl never follows one by itself. A request that
 * sets `same_host_redirects` follows at most UPSTREAM_MAX_REDIRECTS of them,
 * and only to the same host and port (http to https on the same host's
 * default ports included, https to http never); any other 3xx ends the call
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

#include "http/relay_error.h"
#include "lib/strbuf.h"

struct relay_config;

struct upstream_request {
	/* in */
	const char *url;
	size_t max_bytes;	    /* size cap of the answer body */
	long timeout_ms;	    /* total timeout; 0 = config's RELAY_UPSTREAM_TIMEOUT_MS */
	int https_only;		    /* refuse plain http (JWKS) */
	const volatile int *cancel; /* when non-NULL and set, the transfer stops soon */
	int same_host_redirects;    /* follow 3xx to the same host and port (see above) */
	/* When set, the body of a 2xx answer goes to sink() as it arrives
	 * instead of into `body` (a feed parsed while it downloads, never
	 * whole in memory); other answers still fill `body`. max_bytes caps
	 * what the sink is given; a sink that returns nonzero (out of memory)
	 * stops the transfer as RELAY_ERR_INTERNAL. The timeout then counts
	 * the upstream's time only: what the sink itself takes is not held
	 * against the upstream (a large feed parsed on a busy machine). */
	int (*sink)(void *ctx, const char *data, size_t n);
	void *sink_ctx;
	/* A call other than a GET (the register command, cli/register.c):
	 * `method` "POST" or "PATCH" (NULL: GET) with `send`/`send_len` as
	 * its body, borrowed until the call returns. `headers`: extra header
	 * lines ("Name: value"), NULL-ended, may be NULL. `username` and
	 * `password`: HTTP basic credentials, may be NULL. None of these ever
	 * appears in `detail`. */
	const char *method;
	const char *send;
	size_t send_len;
	const char *const *headers;
	const char *username, *password;
	/* out */
	enum relay_err err; /* RELAY_OK when the answer is 2xx and within the cap */
	long status;	    /* HTTP status, 0 when none was received */
	struct strbuf body; /* answer body (NUL-terminated), owned */
	size_t sunk;	    /* bytes given to sink() */
	char detail[256];   /* why it failed, e.g. "Connection refused" or "HTTP 503" */
	int late;	    /* upstream_get_many: not answered before the deadline */
};

#define UPSTREAM_MAX_REDIRECTS 3
/* Slots shared by every upstream_get_many() transfer of the process. 64 keeps
 * a few requests of many lookups at full speed (CYBERCRIME_MAX_PARALLEL is
 * 32 per request) while bounding the sockets and memory a flood can cost. */
#define UPSTREAM_MAX_CONCURRENT 64

/* Bounds of one upstream_get_many() call. */
struct upstream_limits {
	size_t parallel; /* most transfers of this call in flight at once; 0 = only the slots */
	double deadline; /* upstream_now() value after which the call gives up; 0 = none */
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

/* Seconds on the monotonic clock: the time base of deadlines (cannot fail). */
double upstream_now(void);

/* Transfers of upstream_get_many() in flight right now, process-wide (for
 * /metrics and tests). */
size_t upstream_in_flight(void);

/* The redirect rule: 1 when a request to `from` may follow a redirect to
 * `to` (absolute URLs, as CURLINFO_REDIRECT_URL gives them): same host
 * (case-insensitive), same port or http:80 to https:443, scheme http or
 * https and never https to http; `https_only` also refuses http. 0 for
 * anything else, including URLs that do not parse and no memory. */
int upstream_redirect_allowed(const char *from, const char *to, int https_only);

/* Frees the body of a request; the struct itself belongs to the caller. */
void upstream_request_free(struct upstream_request *req);

/* Percent-encodes `s` for a URL query or path component. Returns a new
 * string (free() it) or NULL when out of memory. */
char *upstream_escape(const char *s);

#endif
