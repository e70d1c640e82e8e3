/* refresh.c: the current feed copy (reference counted) and its background refresh.
 *
 * One mutex guards the pointer to the current index, each index's reader
 * count, and the status. Readers hold it for a pointer copy and an
 * increment, never across a lookup, so a swap never waits on a request and
 * a request never waits on a download.
 */
#include "tweettioc/refresh.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "tweettioc/feed.h"
#include "tweettioc/index.h"
#include "upstream.h"

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t store_cond = PTHREAD_COND_INITIALIZER;
static struct feed_index *current;
/* Copies let go of by their last reader, for the refresh thread to free:
 * freeing a million-IOC index takes a while, and a request thread must not
 * pay for it (it showed in the p99 during swaps). Without a refresh thread
 * (tests, one-shot CGI) the last reader frees the copy itself. */
static struct feed_index *retired;
static int collector_running;
static struct feed_status status;
static pthread_t refresh_thread;
static int thread_running;
static volatile int stop_requested; /* also read by libcurl's progress callback */
static const struct relay_config *refresh_cfg;

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const struct feed_index *feed_store_acquire(void)
{
	pthread_mutex_lock(&store_lock);
	struct feed_index *idx = current;
	if (idx)
		idx->refs++;
	pthread_mutex_unlock(&store_lock);
	return idx;
}

void feed_store_release(const struct feed_index *cindex)
{
	struct feed_index *index = (struct feed_index *)cindex;
	if (!index)
		return;
	pthread_mutex_lock(&store_lock);
	int last = --index->refs == 0 && index != current;
	if (last && collector_running) {
		index->retired_next = retired;
		retired = index;
		last = 0;
		pthread_cond_broadcast(&store_cond);
	}
	pthread_mutex_unlock(&store_lock);
	if (last)
		feed_index_free(index);
}

/* Frees the retired copies; called with store_lock held, returns with it. */
static void free_retired_locked(void)
{
	while (retired) {
		struct feed_index *list = retired;
		retired = NULL;
		pthread_mutex_unlock(&store_lock);
		while (list) {
			struct feed_index *next = list->retired_next;
			feed_index_free(list);
			list = next;
		}
		pthread_mutex_lock(&store_lock);
	}
}

void feed_store_swap(struct feed_index *index)
{
	pthread_mutex_lock(&store_lock);
	struct feed_index *old = current;
	current = index;
	int free_old = old && old->refs == 0;
	status.loaded = current != NULL;
	if (index) {
		status.last_success = index->loaded_at;
		status.tweets = index->feed->n_tweets;
		status.iocs = index->n_distinct_iocs;
		status.skipped = index->feed->n_skipped;
		status.bytes = index->feed->source_bytes;
		status.memory = feed_index_memory(index);
	}
	pthread_cond_broadcast(&store_cond);
	pthread_mutex_unlock(&store_lock);
	if (free_old)
		feed_index_free(old);
}

void feed_store_clear(void)
{
	feed_store_swap(NULL);
	pthread_mutex_lock(&store_lock);
	free_retired_locked();
	memset(&status, 0, sizeof(status));
	pthread_mutex_unlock(&store_lock);
}

void feed_store_status(struct feed_status *out)
{
	pthread_mutex_lock(&store_lock);
	*out = status;
	pthread_mutex_unlock(&store_lock);
}

static void record_attempt(enum relay_err err, const char *why, double started)
{
	pthread_mutex_lock(&store_lock);
	status.refreshes++;
	status.last_attempt = started;
	status.last_err = err;
	if (err == RELAY_OK) {
		status.last_success = started;
		status.last_error[0] = '\0';
	} else {
		status.failures++;
		snprintf(status.last_error, sizeof(status.last_error), "%s", why);
	}
	pthread_cond_broadcast(&store_cond);
	pthread_mutex_unlock(&store_lock);
}

int feed_url(const char *base, double now, char *out, size_t outlen)
{
	time_t end = (time_t)now, start = end - 7 * 86400;
	struct tm te, ts;
	char ds[16], de[16];
	gmtime_r(&end, &te);
	gmtime_r(&start, &ts);
	strftime(de, sizeof(de), "%Y-%m-%d", &te);
	strftime(ds, sizeof(ds), "%Y-%m-%d", &ts);
	int n = snprintf(out, outlen, "%s/v1/tweets/%s/%s/full", base, ds, de);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

enum relay_err feed_load_json(const char *json, size_t len, char *err, size_t errlen)
{
	struct feed *feed = NULL;
	enum relay_err rc = feed_parse(json, len, &feed, err, errlen);
	if (rc != RELAY_OK)
		return rc;
	struct feed_index *index = feed_index_build(feed);
	if (!index) {
		snprintf(err, errlen, "out of memory while indexing the feed");
		return RELAY_ERR_INTERNAL;
	}
	index->loaded_at = now_seconds();
	feed_store_swap(index);
	return RELAY_OK;
}

enum relay_err feed_refresh_once(const struct relay_config *cfg)
{
	char url[2048], why[320];
	double started = now_seconds();
	if (feed_url(cfg->tweettioc_url, started, url, sizeof(url)) != 0) {
		record_attempt(RELAY_ERR_INTERNAL, "TWEETTIOC_URL is too long", started);
		return RELAY_ERR_INTERNAL;
	}
	struct upstream_request req = {
		.url = url, .max_bytes = cfg->tweettioc_max_bytes, .cancel = &stop_requested};
	req.same_host_redirects = 1; /* CONTRACT 5: only to the same host and port */
	enum relay_err rc = upstream_get(cfg, &req);
	if (rc != RELAY_OK) {
		snprintf(why, sizeof(why), "download failed: %s", req.detail);
	} else {
		char err[256];
		rc = feed_load_json(req.body.data ? req.body.data : "", req.body.len, err,
				    sizeof(err));
		if (rc != RELAY_OK)
			snprintf(why, sizeof(why), "%s", err);
	}
	upstream_request_free(&req);
	record_attempt(rc, rc == RELAY_OK ? "" : why, started);
	if (rc != RELAY_OK)
		fprintf(stderr,
			"securex-relay: tweettioc: refresh failed (%s); keeping the "
			"previous copy\n",
			why);
	return rc;
}

/* After a failed refresh the next try comes sooner: 1 s, 2 s, 4 s, ... up
 * to the refresh period, so a relay that started while the upstream was
 * down does not stay without a copy for a whole period. */
static void *refresh_main(void *arg)
{
	(void)arg;
	/* Parsing a large feed takes a core for seconds; on Linux a thread has
	 * its own nice value, and requests should win that core. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
		fprintf(stderr, "securex-relay: tweettioc: cannot lower the refresh thread's "
				"priority; continuing\n");
	pthread_mutex_lock(&store_lock);
	collector_running = 1;
	pthread_mutex_unlock(&store_lock);
	long backoff = 1;
	for (;;) {
		long wait = refresh_cfg->tweettioc_refresh_seconds;
		if (feed_refresh_once(refresh_cfg) == RELAY_OK) {
			backoff = 1;
		} else {
			if (backoff < wait)
				wait = backoff;
			backoff *= 2;
		}
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait;
		pthread_mutex_lock(&store_lock);
		for (;;) {
			free_retired_locked();
			if (stop_requested ||
			    pthread_cond_timedwait(&store_cond, &store_lock, &until) == ETIMEDOUT)
				break;
		}
		int stop = stop_requested;
		if (stop)
			collector_running = 0; /* from now on the last reader frees */
		pthread_mutex_unlock(&store_lock);
		if (stop)
			return NULL;
	}
}

int feed_refresh_start(const struct relay_config *cfg)
{
	refresh_cfg = cfg;
	stop_requested = 0;
	if (pthread_create(&refresh_thread, NULL, refresh_main, NULL) != 0)
		return -1;
	thread_running = 1;
	return 0;
}

void feed_refresh_stop(void)
{
	if (thread_running) {
		pthread_mutex_lock(&store_lock);
		stop_requested = 1;
		pthread_cond_broadcast(&store_cond);
		pthread_mutex_unlock(&store_lock);
		pthread_join(refresh_thread, NULL);
		thread_running = 0;
	}
	feed_store_clear();
}

void feed_refresh_wait_first(long timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000 + 1;
	pthread_mutex_lock(&store_lock);
	while (status.refreshes == 0 &&
	       pthread_cond_timedwait(&store_cond, &store_lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&store_lock);
}
