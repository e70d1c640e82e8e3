/* refresh.h: the current feed copy, its atomic swap, and the background refresh.
 *
 * Readers take the current index with feed_store_acquire() and give it back
 * with feed_store_release(); a refresh swaps in a new index without waiting
 * for them, and the old copy is freed when its last reader lets go. No
 * request ever waits on a download: the refresh thread alone fetches.
 */
#ifndef TWEETTIOC_REFRESH_H
#define TWEETTIOC_REFRESH_H

#include <stddef.h>

#include "http/relay_error.h"

struct relay_config;
struct feed_index;

struct feed_status {
	int loaded;		 /* a copy exists */
	double last_success;	 /* epoch seconds of the last good refresh, 0 = never */
	double last_attempt;	 /* epoch seconds of the last refresh attempt */
	enum relay_err last_err; /* RELAY_OK when the last attempt succeeded */
	char last_error[320];	 /* why the last attempt failed */
	unsigned long refreshes; /* attempts so far */
	unsigned long failures;	 /* failed attempts so far */
	size_t tweets, iocs, skipped, bytes, memory;
	size_t future;		      /* of the skipped items, those dated over a day ahead */
	double downloaded_bytes;      /* feed bytes downloaded so far */
	unsigned long full_refreshes; /* good downloads of the whole window */
	int restored;		      /* the first copy came from the snapshot */
	unsigned long over_budget;    /* downloads refused: over the memory budget */
};

/* The current index with a reference held, or NULL when none is loaded. */
const struct feed_index *feed_store_acquire(void);
void feed_store_release(const struct feed_index *index);

/* Installs `index` as the current copy (taking ownership). */
void feed_store_swap(struct feed_index *index);

/* Drops the current copy and resets the status (tests, shutdown). */
void feed_store_clear(void);

void feed_store_status(struct feed_status *out);

/* Fetches, parses and indexes the feed once, swapping it in on success.
 * On failure the previous copy stays. Returns the outcome. */
enum relay_err feed_refresh_once(const struct relay_config *cfg);

/* Builds an index from a JSON body and swaps it in (what a refresh does
 * after the download). Returns the outcome; err gets the reason. */
enum relay_err feed_load_json(const char *json, size_t len, char *err, size_t errlen);

/* Starts the refresh thread (first fetch at once). Returns 0 or -1. */
int feed_refresh_start(const struct relay_config *cfg);
/* Stops and joins the thread, and frees the current copy. */
void feed_refresh_stop(void);
/* Blocks until a copy is loaded or a first attempt failed, at most timeout_ms. */
void feed_refresh_wait_first(long timeout_ms);

/* The feed URL for the week ending on the UTC day of `now`. */
int feed_url(const char *base, double now, char *out, size_t outlen);
/* The feed URL for the `days` days before the UTC day of `now` up to it
 * (1: yesterday..today, the incremental refresh). */
int feed_url_days(const char *base, double now, int days, char *out, size_t outlen);

/* Start-up, before the first request: checks cfg->state_dir (memory-only
 * with one log line when unusable) and swaps in the snapshot found there.
 * Returns 1 when a snapshot was loaded, 0 when not, -1 when out of memory. */
int feed_snapshot_restore(const struct relay_config *cfg);

/* Wakes the refresh thread for an immediate full refresh (SIGHUP).
 * Async-signal-safe; a no-op before feed_refresh_start(). */
void feed_refresh_trigger(void);

#endif
