/* upstream_request.h: one outbound call, what it asks and what came back.
 *
 * The type shared by net/upstream.c (which runs requests) and
 * net/transfer.c (which performs one): below both, so neither includes the
 * other. The rules behind the fields are in net/upstream.h. The caller owns
 * the struct; `body` is released by upstream_request_free().
 */
#ifndef NET_UPSTREAM_REQUEST_H
#define NET_UPSTREAM_REQUEST_H

#include <stddef.h>

#include "http/relay_error.h"
#include "lib/strbuf.h"

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

#endif
