/* transfer.c: one libcurl easy transfer with the relay's rules: protocols,
 * timeouts, size cap, CA bundle, User-Agent; the answer into a bounded
 * buffer or a sink; redirects followed here, not by libcurl
 * (CURLOPT_FOLLOWLOCATION is off): after a 3xx, CURLINFO_REDIRECT_URL gives
 * the absolute target and net/redirect.c decides. The outcome is classified
 * into the relay's error enum here, once.
 */
#include "net/transfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lib/now.h"
#include "net/redirect.h"
#include "version.h"

#define UPSTREAM_CONNECT_TIMEOUT_MS 5000L

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	struct upstream_request *req = t->req;
	size_t n = size * nmemb;
	long status = 0;
	if (req->sink && curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
	    status >= 200 && status < 300) {
		if (req->max_bytes && n > req->max_bytes - req->sunk) {
			t->too_big = 1;
			return 0;
		}
		req->sunk += n;
		double before = now_monotonic();
		int failed = req->sink(req->sink_ctx, data, n) != 0;
		t->sink_seconds += now_monotonic() - before;
		if (failed) {
			t->nomem = 1;
			return 0;
		}
		return n;
	}
	if (strbuf_append(&t->req->body, data, n) != STRBUF_OK) {
		t->too_big = t->req->body.failed == STRBUF_TOO_BIG;
		t->nomem = t->req->body.failed == STRBUF_NOMEM;
		return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

/* Milliseconds of the upstream's time so far (the sink's excluded). */
static long upstream_ms(const struct transfer *t)
{
	return (long)((now_monotonic() - t->started - t->sink_seconds) * 1000);
}

/* Lets a shutdown stop a long transfer (a feed download) within ~1 s, and
 * applies the timeout of a transfer with a sink (libcurl calls this at
 * least once a second). */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct transfer *t = userp;
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (t->req->sink && upstream_ms(t) >= t->timeout_ms)
		return t->timed_out = 1;
	return t->req->cancel && *t->req->cancel;
}

/* A fresh answer buffer and error state, before each attempt. */
static void transfer_reset(struct transfer *t)
{
	struct upstream_request *req = t->req;
	req->err = RELAY_ERR_UNKNOWN;
	req->status = 0;
	req->detail[0] = '\0';
	strbuf_free(&req->body);
	strbuf_init(&req->body, req->max_bytes ? req->max_bytes : 1024 * 1024);
	t->errbuf[0] = '\0';
	req->sunk = 0;
	t->timed_out = 0;
	t->too_big = 0;
	t->nomem = 0;
}

/* What a call other than a plain GET adds: method, body, headers, basic
 * credentials. 0, or -1 when libcurl refuses or memory runs out. */
static int request_setup(struct transfer *t)
{
	struct upstream_request *req = t->req;
	CURL *h = t->easy;
	int bad = 0;
	for (size_t i = 0; req->headers && req->headers[i]; i++) {
		struct curl_slist *more = curl_slist_append(t->headers, req->headers[i]);
		if (!more)
			return -1;
		t->headers = more;
	}
	if (t->headers)
		bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers) != CURLE_OK;
	if (req->method) {
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
					(curl_off_t)req->send_len) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->send ? req->send : "") !=
		       CURLE_OK;
		if (strcmp(req->method, "POST") != 0)
			bad |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method) != CURLE_OK;
	}
	if (req->username) {
		bad |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_USERNAME, req->username) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_PASSWORD, req->password ? req->password : "") !=
		       CURLE_OK;
	}
	return bad ? -1 : 0;
}

int transfer_setup(const struct relay_config *cfg, struct transfer *t)
{
	struct upstream_request *req = t->req;
	long timeout =
		req->timeout_ms > 0 ? req->timeout_ms : (cfg ? cfg->upstream_timeout_ms : 10000);
	const char *protocols = req->https_only ? "https" : "http,https";

	transfer_reset(t);
	t->started = now_monotonic();
	t->sink_seconds = 0;
	t->timeout_ms = timeout;
	if (!(t->easy = curl_easy_init()))
		return -1;
	CURL *h = t->easy;
	int bad = 0;
	bad |= curl_easy_setopt(h, CURLOPT_URL, req->url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PRIVATE, (void *)t) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK; /* transfer_redirect */
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	/* A sink's transfer is timed by on_progress() instead. */
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->sink ? 0L : timeout) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
				timeout < UPSTREAM_CONNECT_TIMEOUT_MS
					? timeout
					: UPSTREAM_CONNECT_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, RELAY_USER_AGENT) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)req->body.max) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, t) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK;
	if (req->cancel || req->sink) {
		bad |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_XFERINFODATA, t) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	}
	if (cfg && cfg->ca_file)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file) != CURLE_OK;
	return bad || request_setup(t) != 0 ? -1 : 0;
}

int transfer_redirect(struct transfer *t)
{
	struct upstream_request *req = t->req;
	long status = 0;
	char *to = NULL;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status < 300 || status > 399 ||
	    curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &to) != CURLE_OK || !to)
		return 0; /* a 3xx without a Location is an unexpected status */
	const char *from = t->url ? t->url : req->url;
	t->refused_why = NULL;
	if (!req->same_host_redirects)
		t->refused_why = "redirects are not followed";
	else if (!(t->refused_why = redirect_refusal(from, to, req->https_only)) &&
		 t->hops >= REDIRECT_MAX_FOLLOWED)
		t->refused_why = "at most 3 redirects in a row are followed";
	if (t->refused_why) {
		free(t->refused);
		if (!(t->refused = redirect_url_shown(to)))
			t->nomem = 1;
		return 0;
	}
	char *next = strdup(to);
	if (!next) {
		t->nomem = 1;
		return 0;
	}
	free(t->url);
	t->url = next;
	t->hops++;
	/* All attempts share the call's timeout. */
	long left = t->timeout_ms - (long)((now_monotonic() - t->started) * 1000);
	transfer_reset(t);
	if (curl_easy_setopt(t->easy, CURLOPT_URL, t->url) != CURLE_OK ||
	    (!req->sink &&
	     curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, left > 1 ? left : 1L) != CURLE_OK)) {
		t->nomem = 1;
		return 0;
	}
	return 1;
}

static int is_tls_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE: return 1;
	default: return 0;
	}
}

static int is_unavailable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM: return 1;
	default: return 0;
	}
}

void transfer_finish(struct transfer *t, CURLcode rc)
{
	struct upstream_request *req = t->req;
	const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	long status = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	req->status = status;
	req->late = 0;
	if (t->timed_out) {
		/* libcurl's own wording, for the same event. */
		req->err = RELAY_ERR_UNAVAILABLE;
		snprintf(req->detail, sizeof(req->detail),
			 "Operation timed out after %ld milliseconds with %zu bytes received",
			 upstream_ms(t), req->sunk + req->body.len);
	} else if (rc == CURLE_OK && t->refused) {
		req->err = RELAY_ERR_UNKNOWN;
		snprintf(req->detail, sizeof(req->detail), "redirected to %s; %s", t->refused,
			 t->refused_why);
	} else if (rc == CURLE_OK && !t->nomem) {
		if (status >= 200 && status < 300)
			req->err = RELAY_OK;
		else if (status == 404)
			req->err = RELAY_ERR_NOT_FOUND;
		else if (status == 429)
			req->err = RELAY_ERR_TOO_MANY_REQUESTS;
		else if (status >= 500 && status < 600)
			req->err = RELAY_ERR_UNAVAILABLE;
		else
			req->err = RELAY_ERR_UNKNOWN;
		if (req->err != RELAY_OK)
			snprintf(req->detail, sizeof(req->detail), "HTTP %ld", status);
	} else if (t->nomem || rc == CURLE_OUT_OF_MEMORY) {
		/* Running out of memory says nothing about the upstream: a 500. */
		req->err = RELAY_ERR_INTERNAL;
		snprintf(req->detail, sizeof(req->detail), "out of memory");
	} else if (t->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		req->err = RELAY_ERR_UPSTREAM_TOO_LARGE;
		snprintf(req->detail, sizeof(req->detail), "answer larger than %zu bytes",
			 req->body.max);
	} else if (is_tls_error(rc)) {
		req->err = RELAY_ERR_UNKNOWN;
		snprintf(req->detail, sizeof(req->detail),
			 "Unable to verify SSL certificate: %.200s", why);
	} else if (is_unavailable(rc)) {
		req->err = RELAY_ERR_UNAVAILABLE;
		snprintf(req->detail, sizeof(req->detail), "%s", why);
	} else {
		req->err = RELAY_ERR_UNKNOWN;
		snprintf(req->detail, sizeof(req->detail), "%s", why);
	}
	/* Drop the NUL-less tail libcurl's error buffer sometimes ends with. */
	size_t n = strlen(req->detail);
	while (n > 0 && (req->detail[n - 1] == '\n' || req->detail[n - 1] == ' '))
		req->detail[--n] = '\0';
}

void transfer_cleanup(struct transfer *t)
{
	curl_easy_cleanup(t->easy);
	t->easy = NULL;
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	free(t->url);
	free(t->refused);
	t->url = t->refused = NULL;
}
