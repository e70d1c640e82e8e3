/* engine.c: one indexed feed's copy, swap, schedule and status (see engine.h).
 *
 * One mutex per engine guards the pointer to the current index, each
 * index's reader count and the status. Readers hold it for a pointer copy
 * and an increment, never across a lookup, so a swap never waits on a
 * request and a request never waits on a download.
 */
#include "feeds/engine.h"

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

#include "lib/now.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/snapshot.h"
#include "modules/tweettioc/state_dir.h"
#include "net/upstream.h"

struct feed_engine *feed_engine_new(const struct feed_source *source,
				    const struct feed_engine_settings *settings)
{
	struct feed_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->src = source;
	e->set = *settings;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
	e->need_full = 1;
	e->snapshot_fd = -1;
	return e;
}

void feed_engine_configure(struct feed_engine *e, const struct feed_engine_settings *settings)
{
	e->set = *settings;
}

const struct feed_index *feed_engine_acquire(struct feed_engine *e)
{
	if (!e)
		return NULL;
	pthread_mutex_lock(&e->lock);
	struct feed_index *idx = e->current;
	if (idx)
		idx->refs++;
	pthread_mutex_unlock(&e->lock);
	return idx;
}

void feed_engine_release(struct feed_engine *e, const struct feed_index *cindex)
{
	struct feed_index *index = (struct feed_index *)cindex;
	if (!index)
		return;
	pthread_mutex_lock(&e->lock);
	int last = --index->refs == 0 && index != e->current;
	if (last && e->collector_running) {
		/* Freeing a large copy takes a while: the refresh thread pays. */
		index->retired_next = e->retired;
		e->retired = index;
		last = 0;
		if (e->wake_ready)
			sem_post(&e->wake);
	}
	pthread_mutex_unlock(&e->lock);
	if (last)
		feed_index_free(index);
}

/* Frees the retired copies; called with the lock held, returns with it. */
static void free_retired_locked(struct feed_engine *e)
{
	while (e->retired) {
		struct feed_index *list = e->retired;
		e->retired = NULL;
		pthread_mutex_unlock(&e->lock);
		while (list) {
			struct feed_index *next = list->retired_next;
			feed_index_free(list);
			list = next;
		}
		pthread_mutex_lock(&e->lock);
	}
}

void feed_engine_swap(struct feed_engine *e, struct feed_index *index)
{
	pthread_mutex_lock(&e->lock);
	struct feed_index *old = e->current;
	e->current = index;
	int free_old = old && old->refs == 0;
	e->status.loaded = index != NULL;
	if (index) {
		e->status.last_success = index->loaded_at;
		e->status.tweets = index->feed->n_tweets;
		e->status.iocs = index->n_distinct_iocs;
		e->status.skipped = index->feed->n_skipped;
		e->status.future = index->feed->n_future;
		e->status.bytes = index->feed->source_bytes;
		e->status.memory = feed_index_memory(index);
	}
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
	if (free_old)
		feed_index_free(old);
}

void feed_engine_status(struct feed_engine *e, struct feed_engine_status *out)
{
	pthread_mutex_lock(&e->lock);
	*out = e->status;
	pthread_mutex_unlock(&e->lock);
}

static void record_attempt(struct feed_engine *e, enum relay_err err, const char *why,
			   double started, double bytes, int full)
{
	pthread_mutex_lock(&e->lock);
	e->status.refreshes++;
	e->status.last_attempt = started;
	e->status.last_err = err;
	e->status.downloaded_bytes += bytes;
	if (err == RELAY_OK) {
		e->status.last_success = started;
		e->status.last_error[0] = '\0';
		e->status.full_refreshes += full != 0;
	} else {
		e->status.failures++;
		snprintf(e->status.last_error, sizeof(e->status.last_error), "%s", why);
	}
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

/* Forgets the state directory: memory-only from now on. */
static void snapshot_close(struct feed_engine *e)
{
	free(e->snapshot_dir);
	e->snapshot_dir = NULL;
	if (e->snapshot_fd >= 0)
		close(e->snapshot_fd);
	e->snapshot_fd = -1;
}

/* Writes the current copy to the state directory (refresh thread only). */
static void write_snapshot(struct feed_engine *e, double last_success)
{
	if (!e->snapshot_dir)
		return;
	const struct feed_index *cur = feed_engine_acquire(e);
	char err[512];
	if (cur && snapshot_write_file(e->snapshot_fd, e->set.snapshot_file, cur->feed,
				       last_success, &e->stop_requested, err, sizeof(err)) != 0)
		fprintf(stderr, "securex-relay: %s: %s in %s; the previous snapshot is kept\n",
			e->src->id, err, e->snapshot_dir);
	feed_engine_release(e, cur);
}

struct sink_ctx {
	const struct feed_source *src;
	void *stream;
};

static int stream_sink(void *ctx, const char *data, size_t n)
{
	struct sink_ctx *s = ctx;
	return s->src->stream_write(s->stream, data, n);
}

/* Ends the parse of a good download, merges it into the retained copy
 * `old` and swaps the result in. */
static enum relay_err install(struct feed_engine *e, void *stream, const struct feed_index *old,
			      size_t bytes, double started, char *why, size_t whylen)
{
	struct feed *fresh = NULL;
	char err[256];
	enum relay_err rc =
		e->src->stream_finish(e->src->source_ctx, stream, &fresh, err, sizeof(err));
	if (rc != RELAY_OK) {
		snprintf(why, whylen, "%s", err);
		return rc;
	}
	double cutoff = started - (double)e->set.retention_days * 86400.0;
	struct feed *merged = feed_merge(fresh, old ? old->feed : NULL, cutoff, e->set.max_bytes);
	struct feed_index *index = merged ? feed_index_build(merged) : NULL;
	if (!index) {
		snprintf(why, whylen, "out of memory while merging or indexing the feed");
		return RELAY_ERR_INTERNAL;
	}
	index->feed->source_bytes = bytes;
	index->loaded_at = started;
	feed_engine_swap(e, index);
	return RELAY_OK;
}

enum relay_err feed_engine_refresh_once(struct feed_engine *e, const struct relay_config *cfg)
{
	char url[2048], why[320];
	double started = now_seconds();
	struct feed_engine_status st;
	feed_engine_status(e, &st);
	int full = e->need_full || !st.loaded || e->set.full_refresh_seconds <= 0 ||
		   started - e->last_full >= (double)e->set.full_refresh_seconds;
	if (e->src->url(e->set.url, started, full, url, sizeof(url)) != 0) {
		char why_url[128];
		snprintf(why_url, sizeof(why_url), "%s is too long", e->src->url_setting);
		record_attempt(e, RELAY_ERR_INTERNAL, why_url, started, 0, full);
		return RELAY_ERR_INTERNAL;
	}
	const struct feed_index *old = feed_engine_acquire(e);
	struct sink_ctx sink = {
		e->src, e->src->stream_new(old ? old->feed : NULL, started, e->set.max_bytes)};
	if (!sink.stream) {
		feed_engine_release(e, old);
		record_attempt(e, RELAY_ERR_INTERNAL, "out of memory before the download", started,
			       0, full);
		return RELAY_ERR_INTERNAL;
	}
	struct upstream_request req = {
		.url = url, .max_bytes = e->set.max_bytes, .cancel = &e->stop_requested};
	req.same_host_redirects = 1; /* only to the same host and port */
	req.sink = stream_sink;
	req.sink_ctx = &sink;
	enum relay_err rc = upstream_get(cfg, &req);
	size_t bytes = req.sunk + req.body.len;
	/* A parse that stopped the download (over its budget) says why itself. */
	int stopped = e->src->stream_stopped && e->src->stream_stopped(sink.stream);
	if (rc == RELAY_OK || stopped)
		rc = install(e, sink.stream, old, bytes, started, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "download failed: %s", req.detail);
	if (e->src->stream_report)
		e->src->stream_report(sink.stream, e->set.max_bytes);
	if (stopped) {
		pthread_mutex_lock(&e->lock);
		e->status.over_budget++;
		pthread_mutex_unlock(&e->lock);
	}
	upstream_request_free(&req);
	e->src->stream_free(sink.stream);
	feed_engine_release(e, old);
	record_attempt(e, rc, rc == RELAY_OK ? "" : why, started, (double)bytes, full);
	if (rc != RELAY_OK) {
		e->need_full = 1; /* a gap may have opened: the whole window next time */
		fprintf(stderr,
			"securex-relay: %s: refresh failed (%s); keeping the previous copy\n",
			e->src->id, why);
		return rc;
	}
	if (full) {
		e->need_full = 0;
		e->last_full = started;
	}
	write_snapshot(e, started);
	return rc;
}

int feed_engine_restore(struct feed_engine *e)
{
	char err[512];
	const char *id = e->src->id;
	snapshot_close(e);
	e->need_full = 1;
	e->last_full = 0;
	if (!e->set.snapshot_file)
		return 0;
	int fd = state_dir_open(e->set.state_dir, err, sizeof(err));
	if (fd < 0) {
		fprintf(stderr,
			"securex-relay: %s: state directory unusable (%s); running memory-only: "
			"the feed is not kept across restarts\n",
			id, err);
		return 0;
	}
	if (!(e->snapshot_dir = strdup(e->set.state_dir))) {
		close(fd);
		return -1;
	}
	e->snapshot_fd = fd;
	struct feed *feed = NULL;
	double last_success = 0;
	int rc = snapshot_load_file(e->snapshot_fd, e->set.snapshot_file, e->src->cap_setting,
				    e->set.max_bytes, now_seconds(), &feed, &last_success, err,
				    sizeof(err));
	if (rc < 0) {
		fprintf(stderr,
			"securex-relay: %s: ignoring the snapshot in %s (%s); waiting for a "
			"download\n",
			id, e->snapshot_dir, err);
		return 0;
	}
	if (rc == 0)
		return 0;
	size_t n = feed->n_tweets;
	struct feed_index *index = feed_index_build(feed);
	if (!index) {
		fprintf(stderr,
			"securex-relay: %s: out of memory while indexing the snapshot; waiting "
			"for a download\n",
			id);
		return 0;
	}
	index->loaded_at = last_success;
	feed_engine_swap(e, index);
	pthread_mutex_lock(&e->lock);
	e->status.restored = 1;
	pthread_mutex_unlock(&e->lock);
	fprintf(stderr,
		"securex-relay: %s: loaded the snapshot from %s: %zu tweets, last refreshed %.0f "
		"s ago\n",
		id, e->snapshot_dir, n, now_seconds() - last_success);
	return 1;
}

void feed_engine_trigger(struct feed_engine *e)
{
	/* Only async-signal-safe calls: this may run in a signal handler. */
	if (!e || !e->wake_ready)
		return;
	e->reload_requested = 1;
	sem_post(&e->wake);
}

/* After a failure the next try comes sooner: 1 s, 2 s, ... up to the period. */
static void *refresh_main(void *arg)
{
	struct feed_engine *e = arg;
	/* Parsing takes a core; requests should win it. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
		fprintf(stderr,
			"securex-relay: %s: cannot lower the refresh thread's priority; "
			"continuing\n",
			e->src->id);
	pthread_mutex_lock(&e->lock);
	e->collector_running = 1;
	pthread_mutex_unlock(&e->lock);
	long backoff = 1;
	for (;;) {
		long wait = e->set.refresh_seconds > 0 ? e->set.refresh_seconds : 1;
		if (feed_engine_refresh_once(e, e->cfg) == RELAY_OK) {
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
			pthread_mutex_lock(&e->lock);
			free_retired_locked(e);
			pthread_mutex_unlock(&e->lock);
			if (e->stop_requested || e->reload_requested)
				break;
			if (sem_timedwait(&e->wake, &until) != 0 && errno == ETIMEDOUT)
				break;
		}
		pthread_mutex_lock(&e->lock);
		int stop = e->stop_requested;
		if (stop)
			e->collector_running = 0; /* from now on the last reader frees */
		pthread_mutex_unlock(&e->lock);
		if (stop)
			return NULL;
		if (e->reload_requested) {
			e->reload_requested = 0;
			e->need_full = 1; /* a reload asks for the whole window */
			backoff = 1;
		}
	}
}

int feed_engine_start(struct feed_engine *e, const struct relay_config *cfg)
{
	if (!e->wake_ready) {
		if (sem_init(&e->wake, 0, 0) != 0)
			return -1;
		e->wake_ready = 1;
	}
	e->cfg = cfg;
	e->stop_requested = 0;
	e->reload_requested = 0;
	if (pthread_create(&e->thread, NULL, refresh_main, e) != 0)
		return -1;
	e->thread_running = 1;
	return 0;
}

void feed_engine_wait_first(struct feed_engine *e, long timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000 + 1;
	pthread_mutex_lock(&e->lock);
	while (e->status.refreshes == 0 &&
	       pthread_cond_timedwait(&e->cond, &e->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&e->lock);
}

void feed_engine_clear(struct feed_engine *e)
{
	feed_engine_swap(e, NULL);
	pthread_mutex_lock(&e->lock);
	free_retired_locked(e);
	memset(&e->status, 0, sizeof(e->status));
	pthread_mutex_unlock(&e->lock);
}

void feed_engine_stop(struct feed_engine *e)
{
	if (e->thread_running) {
		pthread_mutex_lock(&e->lock);
		e->stop_requested = 1;
		pthread_cond_broadcast(&e->cond);
		pthread_mutex_unlock(&e->lock);
		sem_post(&e->wake);
		pthread_join(e->thread, NULL);
		e->thread_running = 0;
	}
	feed_engine_clear(e);
	snapshot_close(e);
}

void feed_engine_free(struct feed_engine *e)
{
	if (!e)
		return;
	feed_engine_stop(e);
	if (e->wake_ready)
		sem_destroy(&e->wake);
	pthread_cond_destroy(&e->cond);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

int feed_engine_ready(struct feed_engine *e, int stale_periods, char *msg, size_t len)
{
	struct feed_engine_status st;
	feed_engine_status(e, &st);
	double age = now_seconds() - st.last_success;
	double allowed = (double)stale_periods * (double)e->set.refresh_seconds;
	if (!st.loaded) {
		snprintf(msg, len, "The %s feed is not loaded yet (%s). Please, try again later.",
			 e->src->title,
			 st.last_error[0] ? st.last_error : "first download in progress");
		return 0;
	}
	if (age > allowed) {
		snprintf(msg, len,
			 "The %s feed is stale: the last successful refresh was %.1f s ago "
			 "(allowed: %.0f s). Last attempt: %s",
			 e->src->title, age, allowed, st.last_error[0] ? st.last_error : "ok");
		return 0;
	}
	return 1;
}

void feed_engine_metrics(struct feed_engine *e, struct strbuf *out)
{
	struct feed_engine_status st;
	feed_engine_status(e, &st);
	const char *p = e->src->id;
	double age = st.last_success > 0 ? now_seconds() - st.last_success : -1;
	strbuf_printf(out,
		      "# HELP %s_feed_loaded 1 when a feed copy is loaded.\n"
		      "# TYPE %s_feed_loaded gauge\n%s_feed_loaded %d\n"
		      "# HELP %s_feed_age_seconds Seconds since the last good refresh (-1: "
		      "never).\n# TYPE %s_feed_age_seconds gauge\n%s_feed_age_seconds %.0f\n",
		      p, p, p, st.loaded, p, p, p, age);
	strbuf_printf(out,
		      "# TYPE %s_feed_tweets gauge\n%s_feed_tweets %zu\n"
		      "# TYPE %s_feed_iocs gauge\n%s_feed_iocs %zu\n"
		      "# TYPE %s_feed_skipped_items gauge\n%s_feed_skipped_items %zu\n"
		      "# TYPE %s_feed_bytes gauge\n%s_feed_bytes %zu\n"
		      "# TYPE %s_index_memory_bytes gauge\n%s_index_memory_bytes %zu\n",
		      p, p, st.tweets, p, p, st.iocs, p, p, st.skipped, p, p, st.bytes, p, p,
		      st.memory);
	strbuf_printf(out,
		      "# TYPE %s_refreshes_total counter\n%s_refreshes_total %lu\n"
		      "# TYPE %s_refresh_failures_total counter\n%s_refresh_failures_total %lu\n"
		      "# HELP %s_full_refreshes_total Good downloads of the whole window.\n"
		      "# TYPE %s_full_refreshes_total counter\n%s_full_refreshes_total %lu\n"
		      "# HELP %s_downloaded_bytes_total Feed bytes downloaded.\n"
		      "# TYPE %s_downloaded_bytes_total counter\n%s_downloaded_bytes_total %.0f\n",
		      p, p, st.refreshes, p, p, st.failures, p, p, p, st.full_refreshes, p, p, p,
		      st.downloaded_bytes);
}
