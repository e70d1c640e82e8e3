/* engine.h: the indexed-feed engine: one kept, indexed feed copy per
 * instance, its atomic swap and its background refresh
 * (docs/operations.md, the feed lifecycle).
 *
 * A feed module gives what is its own (struct feed_source): its id (logs,
 * metrics prefix, snapshot name), its title, the URL of its full and of its
 * recent window, and a stream parser from its upstream's bytes to a feed
 * copy (feed.h). The engine does the rest, per instance, with no global
 * state: the download (byte cap, timeout, same-host redirects, parsed as
 * it arrives), the merge by tweet id into the retained copy (history,
 * retention, feed_merge), the index, the atomic swap, the schedule (recent
 * window every refresh period, full window at start, every full period,
 * after a failure and on reload), the snapshot in the state directory, and
 * the status behind /health, /ready and the metrics.
 *
 * Readers take the current index with feed_engine_acquire() and give it
 * back with feed_engine_release(); a swap never waits for them and the old
 * copy is freed by the refresh thread when its last reader lets go.
 *
 * Ownership: the caller owns the engine (feed_engine_new/free); the engine
 * owns its copies, its thread and its snapshot directory string. `source`
 * and the settings' strings must outlive it.
 */
#ifndef FEEDS_ENGINE_H
#define FEEDS_ENGINE_H

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>

#include "http/relay_error.h"
#include "lib/strbuf.h"

struct feed;
struct feed_engine;
struct feed_index;
struct relay_config;

/* The stream parser of one download (parse as the bytes arrive). */
struct feed_source {
	const char *id;		 /* "tweetfeed": log lines, metrics prefix, <id>.snapshot */
	const char *title;	 /* "TweetFeed": messages */
	const char *url_setting; /* "TWEETFEED_URL": named when a URL does not fit */
	const char *cap_setting; /* "TWEETFEED_MAX_BYTES": named when a snapshot is too large */
	/* The URL of the full (full != 0) or recent window at `now`. 0, or -1
	 * when it does not fit. */
	int (*url)(const char *base, double now, int full, char *out, size_t len);
	/* A parse that shares the strings of equal tweets of `reuse`, under
	 * the limits that follow from `max_bytes` (the download cap); NULL on
	 * OOM. */
	void *(*stream_new)(const struct feed *reuse, double now, size_t max_bytes);
	int (*stream_write)(void *stream, const char *data, size_t n); /* 0 or -1 (OOM) */
	/* The copy (RELAY_OK) or why not; `ctx` is source_ctx. Called once. */
	enum relay_err (*stream_finish)(void *ctx, void *stream, struct feed **out, char *err,
					size_t errlen);
	void (*stream_free)(void *stream);
	/* Optional: 1 when the parse itself stopped the download (a copy over
	 * its memory budget); stream_finish() then says why. */
	int (*stream_stopped)(void *stream);
	/* Optional: after every download, good or not (log what the parse
	 * skipped). */
	void (*stream_report)(void *stream, size_t max_bytes);
	void *source_ctx;
};

struct feed_engine_settings {
	const char *url;	   /* base URL */
	long refresh_seconds;	   /* the recent window's period */
	long full_refresh_seconds; /* the full window's period (<= 0: every time) */
	long retention_days;	   /* history kept after the upstream stops listing */
	size_t max_bytes;	   /* download cap, and cap of the kept copy */
	const char *state_dir;	   /* RELAY_STATE_DIR: where the snapshot lives */
	const char *snapshot_file; /* "<id>.snapshot"; NULL: memory only */
};

struct feed_engine_status {
	int loaded;		 /* a copy exists */
	double last_success;	 /* epoch seconds of the last good refresh, 0 = never */
	double last_attempt;	 /* of the last attempt */
	enum relay_err last_err; /* RELAY_OK when the last attempt succeeded */
	char last_error[320];	 /* why the last attempt failed */
	unsigned long refreshes, failures, full_refreshes;
	size_t tweets, iocs, skipped, bytes, memory;
	double downloaded_bytes;
	int restored;		   /* the first copy came from the snapshot */
	unsigned long over_budget; /* downloads the parse stopped (stream_stopped) */
	size_t future;		   /* of the skipped items, those dated over a day ahead */
};

/* One engine. Its fields are the engine's own: read them only through the
 * functions below. A static engine is set up with FEED_ENGINE_INITIALIZER
 * (no allocation, so it can never fail); feed_engine_new() makes one on
 * the heap. */
struct feed_engine {
	const struct feed_source *src;
	struct feed_engine_settings set;
	pthread_mutex_t lock; /* the pointer to the current copy, reader counts, status */
	pthread_cond_t cond;
	struct feed_index *current;
	struct feed_index *retired; /* let go of by their last reader, for the thread */
	int collector_running;
	struct feed_engine_status status;
	pthread_t thread;
	int thread_running;
	volatile int stop_requested; /* also read by libcurl's progress callback */
	const struct relay_config *cfg;
	sem_t wake; /* sem_post() may be called from a signal handler */
	volatile sig_atomic_t wake_ready, reload_requested;
	int need_full;	    /* the next download asks for the whole window */
	double last_full;   /* when the last full download succeeded */
	char *snapshot_dir; /* the state directory in use; NULL: memory only */
	int snapshot_fd;    /* it, opened once (state_dir.h); -1: memory only */
};

#define FEED_ENGINE_INITIALIZER(source)                                             \
	{                                                                           \
		.src = (source), .lock = PTHREAD_MUTEX_INITIALIZER,                 \
		.cond = PTHREAD_COND_INITIALIZER, .need_full = 1, .snapshot_fd = -1 \
	}

/* NULL when out of memory. */
struct feed_engine *feed_engine_new(const struct feed_source *source,
				    const struct feed_engine_settings *settings);
/* feed_engine_stop(), then frees a feed_engine_new() engine. Safe on NULL. */
void feed_engine_free(struct feed_engine *e);

/* The settings of the next refreshes (not while the thread runs). */
void feed_engine_configure(struct feed_engine *e, const struct feed_engine_settings *settings);
/* Stops and joins the thread (if any), drops every copy and resets the
 * status; the engine can be started again. */
void feed_engine_stop(struct feed_engine *e);
/* Drops the current copy and resets the status (tests, shutdown). */
void feed_engine_clear(struct feed_engine *e);

/* Start-up, before the first request: the next refresh asks for the whole
 * window; with a snapshot file, checks the state directory (memory-only
 * with one log line when unusable) and swaps in the snapshot found there
 * (snapshot.h's format), which is then written after each good refresh.
 * Returns 1 when a snapshot was loaded, 0 when not, -1 when out of memory. */
int feed_engine_restore(struct feed_engine *e);
/* Starts the refresh thread (first download at once). 0 or -1. */
int feed_engine_start(struct feed_engine *e, const struct relay_config *cfg);
/* Blocks until a first attempt ended or timeout_ms passed. */
void feed_engine_wait_first(struct feed_engine *e, long timeout_ms);
/* Wakes the thread for a full refresh now (SIGHUP). Async-signal-safe. */
void feed_engine_trigger(struct feed_engine *e);
/* One refresh on the calling thread (tests). */
enum relay_err feed_engine_refresh_once(struct feed_engine *e, const struct relay_config *cfg);

const struct feed_index *feed_engine_acquire(struct feed_engine *e);
void feed_engine_release(struct feed_engine *e, const struct feed_index *index);
/* Installs a copy (taking ownership), e.g. built from a test's JSON. */
void feed_engine_swap(struct feed_engine *e, struct feed_index *index);

void feed_engine_status(struct feed_engine *e, struct feed_engine_status *out);

/* 1 when the copy can serve (loaded, younger than stale_periods refresh
 * periods), else 0 with the reason in msg. */
int feed_engine_ready(struct feed_engine *e, int stale_periods, char *msg, size_t len);

/* Appends the engine's Prometheus lines, each prefixed "<id>_". */
void feed_engine_metrics(struct feed_engine *e, struct strbuf *out);

#endif
