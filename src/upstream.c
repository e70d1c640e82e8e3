/* upstream.c: outbound GETs with libcurl (limits, timeouts, TLS, concurrency).
 *
 * One place sets the rules every outbound call follows (CONTRACT section 5):
 * protocols, redirects, timeouts, size cap, CA bundle, User-Agent. The
 * outcome is classified into the relay's error enum here, once.
 */
#include "upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "config.h"
#include "version.h"

#define UPSTREAM_MAX_REDIRECTS 3
#define UPSTREAM_CONNECT_TIMEOUT_MS 5000L

struct transfer {
	struct upstream_request *req;
	CURL *easy;
	char errbuf[CURL_ERROR_SIZE];
	int too_big;
	int nomem; /* the answer buffer could not grow: our fault, not the upstream's */
};

int upstream_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void upstream_global_cleanup(void)
{
	curl_global_cleanup();
}

void upstream_request_free(struct upstream_request *req)
{
	strbuf_free(&req->body);
}

char *upstream_escape(const char *s)
{
	char *enc = curl_easy_escape(NULL, s, 0);
	if (!enc)
		return NULL;
	char *out = strdup(enc);
	curl_free(enc);
	return out;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;
	if (strbuf_append(&t->req->body, data, n) != STRBUF_OK) {
		t->too_big = t->req->body.failed == STRBUF_TOO_BIG;
		t->nomem = t->req->body.failed == STRBUF_NOMEM;
		return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	return n;
}

/* Lets a shutdown stop a long transfer (a feed download) within ~1 s. */
static int on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct transfer *t = userp;
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return t->req->cancel && *t->req->cancel;
}

static int transfer_setup(const struct relay_config *cfg, struct transfer *t)
{
	struct upstream_request *req = t->req;
	long timeout =
		req->timeout_ms > 0 ? req->timeout_ms : (cfg ? cfg->upstream_timeout_ms : 10000);
	const char *protocols = req->https_only ? "https" : "http,https";

	req->err = RELAY_ERR_UNKNOWN;
	req->status = 0;
	req->detail[0] = '\0';
	strbuf_free(&req->body);
	strbuf_init(&req->body, req->max_bytes ? req->max_bytes : 1024 * 1024);
	t->errbuf[0] = '\0';
	t->too_big = 0;
	t->nomem = 0;
	if (!(t->easy = curl_easy_init()))
		return -1;
	CURL *h = t->easy;
	int bad = 0;
	bad |= curl_easy_setopt(h, CURLOPT_URL, req->url) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protocols) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, req->no_redirects ? 0L : 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)UPSTREAM_MAX_REDIRECTS) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout) != CURLE_OK;
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
	if (req->cancel) {
		bad |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_XFERINFODATA, t) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	}
	if (cfg && cfg->ca_file)
		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file) != CURLE_OK;
	return bad ? -1 : 0;
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

/* Classifies a finished transfer into req->err / status / detail. */
static void transfer_finish(struct transfer *t, CURLcode rc)
{
	struct upstream_request *req = t->req;
	const char *why = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	long status = 0;
	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	req->status = status;
	if (rc == CURLE_OK) {
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

enum relay_err upstream_get(const struct relay_config *cfg, struct upstream_request *req)
{
	struct transfer t = {.req = req};
	if (transfer_setup(cfg, &t) != 0) {
		req->err = RELAY_ERR_INTERNAL;
		snprintf(req->detail, sizeof(req->detail), "could not set up the transfer");
	} else {
		transfer_finish(&t, curl_easy_perform(t.easy));
	}
	curl_easy_cleanup(t.easy);
	return req->err;
}

void upstream_get_many(const struct relay_config *cfg, struct upstream_request *reqs, size_t n)
{
	if (n == 0)
		return;
	if (n == 1) {
		upstream_get(cfg, &reqs[0]);
		return;
	}
	struct transfer *ts = calloc(n, sizeof(*ts));
	CURLM *multi = curl_multi_init();
	for (size_t i = 0; i < n; i++) {
		reqs[i].err = RELAY_ERR_INTERNAL;
		snprintf(reqs[i].detail, sizeof(reqs[i].detail), "out of memory");
	}
	if (!ts || !multi)
		goto out;
	for (size_t i = 0; i < n; i++) {
		ts[i].req = &reqs[i];
		if (transfer_setup(cfg, &ts[i]) != 0 ||
		    curl_multi_add_handle(multi, ts[i].easy) != CURLM_OK) {
			reqs[i].err = RELAY_ERR_INTERNAL;
			snprintf(reqs[i].detail, sizeof(reqs[i].detail),
				 "could not set up the transfer");
			curl_easy_cleanup(ts[i].easy);
			ts[i].easy = NULL;
		}
	}
	int running = 1;
	while (running) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		if (running && curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (size_t i = 0; i < n; i++)
			if (ts[i].easy == msg->easy_handle)
				transfer_finish(&ts[i], msg->data.result);
	}
out:
	for (size_t i = 0; ts && i < n; i++) {
		if (ts[i].easy) {
			curl_multi_remove_handle(multi, ts[i].easy);
			curl_easy_cleanup(ts[i].easy);
		}
	}
	curl_multi_cleanup(multi);
	free(ts);
}
