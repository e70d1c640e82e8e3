/* upstream.c: outbound calls with libcurl (limits, timeouts, TLS, redirects, concurrency).
 *
 * One place sets the rules every outbound call follows (CONTRACT section 5):
 * protocols, redirects, timeouts, size cap, CA bundle, User-Agent, the
 * process-wide cap on concurrent fan-out calls and the deadline of a
 * request's calls. The outcome is classified into the relay's error enum
 * here, once.
 *
 * Redirects are followed here rather than by libcurl (CURLOPT_FOLLOWLOCATION
 * is off): after a 3xx, CURLINFO_REDIRECT_URL gives the absolute target and
 * curl's URL API (curl_url) compares its host and port with the URL just
 * fetched. CURLOPT_PREREQFUNCTION was the other candidate, but it sees the
 * connected IP address, not the host name the rule is about.
 */
#include "net/upstream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "config.h"
#include "version.h"

#define UPSTREAM_CONNECT_TIMEOUT_MS 5000L
/* While a fan-out call has transfers running and waits for a free slot for
 * more, it looks again this often. */
#define UPSTREAM_SLOT_POLL_MS 20
/* Longest piece of a refused redirect's target quoted in a message. */
#define UPSTREAM_REDIRECT_SHOWN 180

struct transfer {
	struct upstream_request *req;
	CURL *easy;
	char *url;     /* what is fetched now, after redirects (owned); NULL = req->url */
	int hops;      /* redirects followed so far */
	char *refused; /* a redirect target that was not followed (owned), for the detail */
	const char *refused_why; /* why not, completing "redirected to <url>; " */
	double started;		 /* upstream_now() at the first attempt */
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

/* The shared slots of upstream_get_many() (a counting semaphore). */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_cond = PTHREAD_COND_INITIALIZER;
static size_t slots_used;

static int slot_try_take(void)
{
	pthread_mutex_lock(&slot_lock);
	int ok = slots_used < UPSTREAM_MAX_CONCURRENT;
	if (ok)
		slots_used++;
	pthread_mutex_unlock(&slot_lock);
	return ok;
}

static void slot_give(void)
{
	pthread_mutex_lock(&slot_lock);
	slots_used--;
	pthread_cond_signal(&slot_cond);
	pthread_mutex_unlock(&slot_lock);
}

/* Waits until a slot is given back, at most 100 ms and never past
 * `deadline` (0 = none). The caller then tries to take it. */
static void slot_wait(double deadline)
{
	double wait = 0.1;
	if (deadline > 0 && deadline - upstream_now() < wait)
		wait = deadline - upstream_now();
	if (wait <= 0)
		return;
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until); /* the condition's clock */
	long ns = until.tv_nsec + (long)(wait * 1e9);
	until.tv_sec += ns / 1000000000L;
	until.tv_nsec = ns % 1000000000L;
	pthread_mutex_lock(&slot_lock);
	if (slots_used >= UPSTREAM_MAX_CONCURRENT)
		pthread_cond_timedwait(&slot_cond, &slot_lock, &until);
	pthread_mutex_unlock(&slot_lock);
}

size_t upstream_in_flight(void)
{
	pthread_mutex_lock(&slot_lock);
	size_t n = slots_used;
	pthread_mutex_unlock(&slot_lock);
	return n;
}

double upstream_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
		double before = upstream_now();
		int failed = req->sink(req->sink_ctx, data, n) != 0;
		t->sink_seconds += upstream_now() - before;
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
	return (long)((upstream_now() - t->started - t->sink_seconds) * 1000);
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

static int transfer_setup(const struct relay_config *cfg, struct transfer *t)
{
	struct upstream_request *req = t->req;
	long timeout =
		req->timeout_ms > 0 ? req->timeout_ms : (cfg ? cfg->upstream_timeout_ms : 10000);
	const char *protocols = req->https_only ? "https" : "http,https";

	transfer_reset(t);
	t->started = upstream_now();
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

static CURLU *url_parse(const char *s)
{
	CURLU *u = curl_url();
	if (u && curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		u = NULL;
	}
	return u;
}

/* A part of a parsed URL (curl_free() it), or NULL. */
static char *url_part(CURLU *u, CURLUPart what, unsigned int flags)
{
	char *v = NULL;
	if (!u || curl_url_get(u, what, &v, flags) != CURLUE_OK)
		return NULL;
	return v;
}

/* Why a redirect from `from` to `to` may not be followed (completing
 * "redirected to <url>; "), or NULL when it may. */
static const char *redirect_refusal(const char *from, const char *to, int https_only)
{
	CURLU *a = url_parse(from), *b = url_parse(to);
	char *sa = url_part(a, CURLUPART_SCHEME, 0), *sb = url_part(b, CURLUPART_SCHEME, 0);
	char *ha = url_part(a, CURLUPART_HOST, 0), *hb = url_part(b, CURLUPART_HOST, 0);
	char *pa = url_part(a, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	char *pb = url_part(b, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	const char *why = "redirects to another host are not followed";
	if (sa && sb) {
		int from_http = strcasecmp(sa, "http") == 0,
		    from_https = strcasecmp(sa, "https") == 0;
		int to_http = strcasecmp(sb, "http") == 0, to_https = strcasecmp(sb, "https") == 0;
		/* http://h/ -> https://h/ is the same host moving to TLS. */
		int upgrade = from_http && to_https && pa && pb && strcmp(pa, "80") == 0 &&
			      strcmp(pb, "443") == 0;
		if (!(from_http || from_https) || !(to_http || to_https))
			why = "redirects to protocols other than http and https are not followed";
		else if (to_http && (from_https || https_only))
			why = "redirects from https to http are not followed";
		else if (ha && hb && pa && pb && strcasecmp(ha, hb) == 0 &&
			 (strcmp(pa, pb) == 0 || upgrade))
			why = NULL;
	} else if (a && !b) {
		why = "a target that is not a URL is not followed";
	}
	curl_free(sa), curl_free(sb), curl_free(ha), curl_free(hb), curl_free(pa), curl_free(pb);
	curl_url_cleanup(a);
	curl_url_cleanup(b);
	return why;
}

int upstream_redirect_allowed(const char *from, const char *to, int https_only)
{
	return redirect_refusal(from, to, https_only) == NULL;
}

/* A copy of a URL from an upstream that is safe to show: at most
 * UPSTREAM_REDIRECT_SHOWN bytes, control and non-ASCII bytes as %XX (so the
 * message is valid UTF-8 whatever was sent). NULL when out of memory. */
static char *url_shown(const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(url), o = 0;
	char *out = malloc(UPSTREAM_REDIRECT_SHOWN + 4);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];
		int plain = c > 0x20 && c < 0x7F && c != '"' && c != '\\';
		if (o + (plain ? 1 : 3) > UPSTREAM_REDIRECT_SHOWN) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* After an attempt that ended with CURLE_OK: when the answer is a redirect
 * the rule allows, points the handle at its target and returns 1 (the caller
 * performs again); else returns 0 and the transfer is finished (a refused
 * redirect is kept in t->refused for transfer_finish). */
static int transfer_redirect(struct transfer *t)
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
		 t->hops >= UPSTREAM_MAX_REDIRECTS)
		t->refused_why = "at most 3 redirects in a row are followed";
	if (t->refused_why) {
		free(t->refused);
		if (!(t->refused = url_shown(to)))
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
	long left = t->timeout_ms - (long)((upstream_now() - t->started) * 1000);
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

/* Classifies a finished transfer into req->err / status / detail. */
static void transfer_finish(struct transfer *t, CURLcode rc)
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

static void transfer_cleanup(struct transfer *t)
{
	curl_easy_cleanup(t->easy);
	t->easy = NULL;
	curl_slist_free_all(t->headers);
	t->headers = NULL;
	free(t->url);
	free(t->refused);
	t->url = t->refused = NULL;
}

enum relay_err upstream_get(const struct relay_config *cfg, struct upstream_request *req)
{
	struct transfer t = {.req = req};
	if (transfer_setup(cfg, &t) != 0) {
		req->err = RELAY_ERR_INTERNAL;
		snprintf(req->detail, sizeof(req->detail), "could not set up the transfer");
	} else {
		CURLcode rc;
		do
			rc = curl_easy_perform(t.easy);
		while (rc == CURLE_OK && transfer_redirect(&t));
		transfer_finish(&t, rc);
	}
	transfer_cleanup(&t);
	return req->err;
}

/* Starts ts[i] (its slot already taken). 0, or -1 with the request failed
 * and the slot given back. */
static int start_one(const struct relay_config *cfg, CURLM *multi, struct transfer *t)
{
	if (transfer_setup(cfg, t) == 0 && curl_multi_add_handle(multi, t->easy) == CURLM_OK)
		return 0;
	t->req->err = RELAY_ERR_INTERNAL;
	t->req->late = 0;
	snprintf(t->req->detail, sizeof(t->req->detail), "could not set up the transfer");
	transfer_cleanup(t);
	slot_give();
	return -1;
}

/* Takes the finished transfers off the multi handle: follows allowed
 * redirects (same slot), classifies the rest and gives their slots back.
 * Returns how many ended. */
static size_t collect_done(CURLM *multi)
{
	size_t ended = 0;
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result; /* msg dies with the remove below */
		char *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		struct transfer *t = (struct transfer *)(void *)priv;
		curl_multi_remove_handle(multi, easy);
		if (rc == CURLE_OK && transfer_redirect(t)) {
			if (curl_multi_add_handle(multi, easy) == CURLM_OK)
				continue;
			t->nomem = 1;
		}
		transfer_finish(t, rc);
		transfer_cleanup(t);
		slot_give();
		ended++;
	}
	return ended;
}

size_t upstream_get_many(const struct relay_config *cfg, struct upstream_request *reqs, size_t n,
			 const struct upstream_limits *lim)
{
	size_t parallel = lim && lim->parallel ? lim->parallel : n;
	double deadline = lim ? lim->deadline : 0;
	for (size_t i = 0; i < n; i++) {
		reqs[i].err = RELAY_ERR_UNAVAILABLE;
		reqs[i].status = 0;
		reqs[i].late = 1; /* until it is answered */
		snprintf(reqs[i].detail, sizeof(reqs[i].detail),
			 "no answer before the request's deadline");
	}
	if (n == 0)
		return 0;
	struct transfer *ts = calloc(n, sizeof(*ts));
	CURLM *multi = curl_multi_init();
	if (!ts || !multi) {
		for (size_t i = 0; i < n; i++) {
			reqs[i].err = RELAY_ERR_INTERNAL;
			reqs[i].late = 0;
			snprintf(reqs[i].detail, sizeof(reqs[i].detail), "out of memory");
		}
		goto out;
	}
	size_t next = 0, active = 0;
	for (;;) {
		if (deadline > 0 && upstream_now() >= deadline)
			break;
		while (next < n && active < parallel && slot_try_take()) {
			ts[next].req = &reqs[next];
			if (start_one(cfg, multi, &ts[next++]) == 0)
				active++;
		}
		if (active == 0) {
			if (next >= n)
				break;
			slot_wait(deadline); /* every slot is another call's */
			continue;
		}
		int running;
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		active -= collect_done(multi);
		if (active == 0)
			continue;
		long wait_ms = next < n && active < parallel ? UPSTREAM_SLOT_POLL_MS : 1000;
		if (deadline > 0) {
			double left_ms = (deadline - upstream_now()) * 1000 + 1;
			if (left_ms < (double)wait_ms)
				wait_ms = left_ms > 0 ? (long)left_ms : 0;
		}
		if (curl_multi_poll(multi, NULL, 0, (int)wait_ms, NULL) != CURLM_OK)
			break;
	}
out:;
	/* At the deadline: whatever still runs is aborted, nothing waits for it. */
	size_t late = 0;
	for (size_t i = 0; i < n; i++) {
		if (ts && ts[i].easy) {
			curl_multi_remove_handle(multi, ts[i].easy);
			transfer_cleanup(&ts[i]);
			slot_give();
			reqs[i].err = RELAY_ERR_UNAVAILABLE;
			snprintf(reqs[i].detail, sizeof(reqs[i].detail),
				 "no answer before the request's deadline");
		}
		late += reqs[i].late;
	}
	curl_multi_cleanup(multi);
	free(ts);
	return late;
}
