/* upstream.c: outbound GETs: one at a time, or many at once on libcurl's
 * multi interface within the process-wide slots and a request's deadline.
 *
 * One place sets the rules every outbound call follows (docs/hardening.md,
 * "Outbound calls"): each transfer is set up, redirected and classified by
 * net/transfer.c; here are the process-wide cap on concurrent fan-out calls
 * (a counting semaphore) and the deadline of a request's calls.
 */
#include "net/upstream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "lib/now.h"
#include "net/transfer.h"

/* While a fan-out call has transfers running and waits for a free slot for
 * more, it looks again this often. */
#define UPSTREAM_SLOT_POLL_MS 20

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
	if (deadline > 0 && deadline - now_monotonic() < wait)
		wait = deadline - now_monotonic();
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
		if (deadline > 0 && now_monotonic() >= deadline)
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
			double left_ms = (deadline - now_monotonic()) * 1000 + 1;
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
