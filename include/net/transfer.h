/* transfer.h: one libcurl transfer of an upstream call: set-up with the
 * relay's rules, redirects followed by the rule of net/redirect.h, and the
 * outcome classified into the relay's error enum.
 *
 * Owned by src/net/transfer.c; used only by net/upstream.c (single calls
 * and the fan-out). A struct transfer borrows its upstream_request; the
 * easy handle and the URL strings it holds are its own, released by
 * transfer_cleanup().
 */
#ifndef NET_TRANSFER_H
#define NET_TRANSFER_H

#include <curl/curl.h>

#include "net/upstream_request.h"

struct relay_config;

struct transfer {
	struct upstream_request *req;
	CURL *easy;
	char *url;     /* what is fetched now, after redirects (owned); NULL = req->url */
	int hops;      /* redirects followed so far */
	char *refused; /* a redirect target that was not followed (owned), for the detail */
	const char *refused_why; /* why not, completing "redirected to <url>; " */
	double started;		 /* now_monotonic() at the first attempt */
	long timeout_ms;	 /* for all attempts together */
	char errbuf[CURL_ERROR_SIZE];
	/* With a sink, the timeout is the upstream's time: what the sink takes
	 * (parsing a feed as it arrives) is ours and not counted, so a large
	 * feed on a busy machine is not cut off by its own parse. */
	double sink_seconds;
	struct curl_slist *headers; /* req->headers as libcurl takes them (owned) */
	int timed_out;		    /* on_progress() stopped it at the timeout */
	int too_big;
	int nomem; /* the answer buffer could not grow: our fault, not the upstream's */
};

/* Sets up t->easy for t->req (the answer buffer and error state reset).
 * Returns 0, or -1 when libcurl refused an option or had no memory. */
int transfer_setup(const struct relay_config *cfg, struct transfer *t);

/* After an attempt that ended with CURLE_OK: when the answer is a redirect
 * the rule allows, points the handle at its target and returns 1 (the caller
 * performs again); else returns 0 and the transfer is finished (a refused
 * redirect is kept in t->refused for transfer_finish). */
int transfer_redirect(struct transfer *t);

/* Classifies a finished transfer into req->err / status / detail. */
void transfer_finish(struct transfer *t, CURLcode rc);

/* Releases the easy handle and the owned strings; t can be set up again. */
void transfer_cleanup(struct transfer *t);

#endif
