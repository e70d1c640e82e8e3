/* refresh.c: the current feed copy (reference counted) and its background refresh.
 *
 * One mutex guards the pointer to the current index, each index's reader
 * count, and the status. Readers hold it for a pointer copy and an
 * increment, never across a lookup, so a swap never waits on a request and
 * a request never waits on a download.
 *
 * A refresh downloads the full 7-day window, or after a good full one only
 * yesterday..today; merges the download into the retained copy (history,
 * feed_merge); swaps the result in; and writes it to the state directory
 * (snapshot.h), from which the next start loads it before serving.
 */
#include "modules/tweettioc/refresh.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "lib/now.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/settings.h"
#include "modules/tweettioc/snapshot.h"
#include "modules/tweettioc/state_dir.h"
#include "net/upstream.h"

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
/* Wakes the refresh thread: a retired copy to free, a stop, a reload. A
 * semaphore because sem_post() may be called from a signal handler. */
static sem_t wake;
static volatile sig_atomic_t wake_ready, reload_requested;
/* The refresh thread's own state (and start-up's, before it runs). */
static char *snapshot_dir;   /* NULL: memory-only */
static int snapshot_fd = -1; /* the state directory, opened once */
static int need_full = 1;    /* the next download asks for the whole window */
static double last_full;     /* when the last full download succeeded */

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
		if (wake_ready)
			sem_post(&wake);
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
		status.future = index->feed->n_future;
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

int feed_url_days(const char *base, double now, int days, char *out, size_t outlen)
{
	time_t end = (time_t)now, start = end - (time_t)days * 86400;
	struct tm te, ts;
	char ds[16], de[16];
	gmtime_r(&end, &te);
	gmtime_r(&start, &ts);
	strftime(de, sizeof(de), "%Y-%m-%d", &te);
	strftime(ds, sizeof(ds), "%Y-%m-%d", &ts);
	int n = snprintf(out, outlen, "%s/v1/tweets/%s/%s/full", base, ds, de);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int feed_url(const char *base, double now, char *out, size_t outlen)
{
	return feed_url_days(base, now, 7, out, outlen);
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

static int stream_sink(void *stream, const char *data, size_t n)
{
	return feed_stream_write(stream, data, n);
}

/* Ends the parse of a good download, merges it into the retained copy
 * `old` and swaps the result in. */
static enum relay_err install_download(const struct relay_config *cfg, struct feed_stream *stream,
				       const struct feed_index *old, size_t bytes, double started,
				       char *why, size_t whylen)
{
	struct feed *fresh = NULL;
	char err[256];
	enum relay_err rc = feed_stream_finish(stream, &fresh, err, sizeof(err));
	if (rc != RELAY_OK) {
		snprintf(why, whylen, "%s", err);
		return rc;
	}
	double cutoff = started - (double)tweettioc_settings(cfg)->retention_days * 86400.0;
	struct feed *merged = feed_merge(fresh, old ? old->feed : NULL, cutoff,
					 tweettioc_settings(cfg)->max_bytes);
	struct feed_index *index = merged ? feed_index_build(merged) : NULL;
	if (!index) {
		snprintf(why, whylen, "out of memory while merging or indexing the feed");
		return RELAY_ERR_INTERNAL;
	}
	index->feed->source_bytes = bytes;
	index->loaded_at = started;
	feed_store_swap(index);
	return RELAY_OK;
}

/* Writes the current copy to the state directory (refresh thread only). */
static void write_snapshot(double last_success)
{
	if (!snapshot_dir)
		return;
	const struct feed_index *cur = feed_store_acquire();
	char err[512];
	if (cur && snapshot_write(snapshot_fd, cur->feed, last_success, &stop_requested, err,
				  sizeof(err)) != 0)
		fprintf(stderr,
			"securex-relay: tweettioc: %s in %s; the previous snapshot is kept\n", err,
			snapshot_dir);
	feed_store_release(cur);
}

enum relay_err feed_refresh_once(const struct relay_config *cfg)
{
	char url[2048], why[320];
	double started = now_seconds();
	struct feed_status st;
	feed_store_status(&st);
	int full = need_full || !st.loaded || tweettioc_settings(cfg)->full_refresh_seconds <= 0 ||
		   started - last_full >= (double)tweettioc_settings(cfg)->full_refresh_seconds;
	if (feed_url_days(tweettioc_settings(cfg)->url, started, full ? 7 : 1, url, sizeof(url)) !=
	    0) {
		record_attempt(RELAY_ERR_INTERNAL, "TWEETTIOC_URL is too long", started);
		return RELAY_ERR_INTERNAL;
	}
	/* The feed is parsed as it downloads, and tweets the serving copy
	 * holds unchanged share its strings: a refresh adds to memory what
	 * changed, never the download or a second whole copy (the refresh
	 * peak, `make bench`). */
	const struct feed_index *old = feed_store_acquire();
	struct feed_stream *stream = feed_stream_new(old ? old->feed : NULL);
	if (!stream) {
		feed_store_release(old);
		record_attempt(RELAY_ERR_INTERNAL, "out of memory before the download", started);
		return RELAY_ERR_INTERNAL;
	}
	/* Items over the size limit are skipped unread, and a copy over the
	 * memory budget is refused as it is parsed: both follow from the byte
	 * cap, and so does MemoryMax (feed_copy.h). */
	feed_stream_limit(stream, tweettioc_settings(cfg)->max_bytes);
	struct upstream_request req = {.url = url,
				       .max_bytes = tweettioc_settings(cfg)->max_bytes,
				       .cancel = &stop_requested};
	req.same_host_redirects =
		1; /* docs/hardening.md#outbound-calls: only to the same host and port */
	req.sink = stream_sink;
	req.sink_ctx = stream;
	enum relay_err rc = upstream_get(cfg, &req);
	size_t bytes = req.sunk + req.body.len;
	/* Over the budget, the parse stopped the download: its end says why. */
	int over_budget = feed_stream_over_budget(stream);
	if (rc == RELAY_OK || over_budget)
		rc = install_download(cfg, stream, old, bytes, started, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "download failed: %s", req.detail);
	size_t oversized = feed_stream_oversized(stream);
	if (oversized)
		fprintf(stderr,
			"securex-relay: tweettioc: %zu feed item(s) over the item size limit of "
			"%zu bytes skipped unread\n",
			oversized, feed_item_limit(tweettioc_settings(cfg)->max_bytes));
	upstream_request_free(&req);
	feed_stream_free(stream);
	feed_store_release(old);
	pthread_mutex_lock(&store_lock);
	status.downloaded_bytes += (double)bytes;
	status.over_budget += over_budget;
	status.full_refreshes += full && rc == RELAY_OK;
	pthread_mutex_unlock(&store_lock);
	record_attempt(rc, rc == RELAY_OK ? "" : why, started);
	if (rc != RELAY_OK) {
		need_full = 1; /* a gap may have opened: the whole window next time */
		fprintf(stderr,
			"securex-relay: tweettioc: refresh failed (%s); keeping the "
			"previous copy\n",
			why);
		return rc;
	}
	if (full) {
		need_full = 0;
		last_full = started;
	}
	write_snapshot(started);
	return rc;
}

/* Forgets the state directory: memory-only from now on. */
static void snapshot_dir_close(void)
{
	free(snapshot_dir);
	snapshot_dir = NULL;
	if (snapshot_fd >= 0)
		close(snapshot_fd);
	snapshot_fd = -1;
}

int feed_snapshot_restore(const struct relay_config *cfg)
{
	char err[512];
	snapshot_dir_close();
	need_full = 1;
	last_full = 0;
	int fd = state_dir_open(cfg->state_dir, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr,
			"securex-relay: tweettioc: state directory unusable (%s); running "
			"memory-only: the feed is not kept across restarts\n",
			err);
		return 0;
	}
	if (!(snapshot_dir = strdup(cfg->state_dir))) {
		close(fd);
		return -1;
	}
	snapshot_fd = fd;
	struct feed *feed = NULL;
	double last_success = 0;
	int rc = snapshot_load(snapshot_fd, tweettioc_settings(cfg)->max_bytes, now_seconds(),
			       &feed, &last_success, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr,
			"securex-relay: tweettioc: ignoring the snapshot in %s (%s); waiting "
			"for a download\n",
			snapshot_dir, err);
		return 0;
	}
	if (rc == 0)
		return 0;
	size_t n = feed->n_tweets;
	struct feed_index *index = feed_index_build(feed);
	if (!index) {
		fprintf(stderr, "securex-relay: tweettioc: out of memory while indexing the "
				"snapshot; waiting for a download\n");
		return 0;
	}
	index->loaded_at = last_success;
	feed_store_swap(index);
	pthread_mutex_lock(&store_lock);
	status.restored = 1;
	pthread_mutex_unlock(&store_lock);
	fprintf(stderr,
		"securex-relay: tweettioc: loaded the snapshot from %s: %zu tweets, last "
		"refreshed %.0f s ago\n",
		snapshot_dir, n, now_seconds() - last_success);
	return 1;
}

void feed_refresh_trigger(void)
{
	/* Only async-signal-safe calls: this may run in a signal handler. */
	if (!wake_ready)
		return;
	reload_requested = 1;
	sem_post(&wake);
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
		long wait = tweettioc_settings(refresh_cfg)->refresh_seconds;
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
		for (;;) {
			pthread_mutex_lock(&store_lock);
			free_retired_locked();
			pthread_mutex_unlock(&store_lock);
			if (stop_requested || reload_requested)
				break;
			if (sem_timedwait(&wake, &until) != 0 && errno == ETIMEDOUT)
				break;
		}
		pthread_mutex_lock(&store_lock);
		int stop = stop_requested;
		if (stop)
			collector_running = 0; /* from now on the last reader frees */
		pthread_mutex_unlock(&store_lock);
		if (stop)
			return NULL;
		if (reload_requested) {
			reload_requested = 0;
			need_full = 1; /* a reload asks for the whole window */
			backoff = 1;
		}
	}
}

int feed_refresh_start(const struct relay_config *cfg)
{
	refresh_cfg = cfg;
	stop_requested = 0;
	reload_requested = 0;
	if (!wake_ready) {
		if (sem_init(&wake, 0, 0) != 0)
			return -1;
		wake_ready = 1;
	}
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
		sem_post(&wake);
		pthread_join(refresh_thread, NULL);
		thread_running = 0;
	}
	feed_store_clear();
	snapshot_dir_close();
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
