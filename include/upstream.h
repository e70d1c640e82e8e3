/* upstream.h: outbound HTTP(S) GETs with libcurl, one at a time or concurrently.
 *
 * Every call has a connect timeout, a total timeout (RELAY_UPSTREAM_TIMEOUT_MS
 * unless the request sets its own), a size cap on the answer, http/https only
 * (also across redirects, at most 3), TLS verified against RELAY_CA_FILE when
 * set, and the User-Agent securex-relay/<version>.
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

#include "relay_error.h"
#include "strbuf.h"

struct relay_config;

struct upstream_request {
	/* in */
	const char *url;
	size_t max_bytes;	    /* size cap of the answer body */
	long timeout_ms;	    /* total timeout; 0 = config's RELAY_UPSTREAM_TIMEOUT_MS */
	int https_only;		    /* refuse plain http (JWKS) */
	int no_redirects;	    /* follow none: a 3xx is an error (JWKS) */
	const volatile int *cancel; /* when non-NULL and set, the transfer stops soon */
	/* out */
	enum relay_err err; /* RELAY_OK when the answer is 2xx and within the cap */
	long status;	    /* HTTP status, 0 when none was received */
	struct strbuf body; /* answer body (NUL-terminated), owned */
	char detail[256];   /* why it failed, e.g. "Connection refused" or "HTTP 503" */
};

/* Once per process, before threads start. Returns 0 or -1. */
int upstream_global_init(void);
void upstream_global_cleanup(void);

/* Performs one GET. Fills the out fields; returns req->err. */
enum relay_err upstream_get(const struct relay_config *cfg, struct upstream_request *req);

/* Performs n GETs concurrently (libcurl multi); returns when all are done,
 * so the time taken is that of the slowest one. */
void upstream_get_many(const struct relay_config *cfg, struct upstream_request *reqs, size_t n);

/* Frees the body of a request; the struct itself belongs to the caller. */
void upstream_request_free(struct upstream_request *req);

/* Percent-encodes `s` for a URL query or path component. Returns a new
 * string (free() it) or NULL when out of memory. */
char *upstream_escape(const char *s);

#endif
