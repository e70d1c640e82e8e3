/* refresh.c: the tweettioc feed on the indexed-feed engine (feeds/engine.h):
 * its URLs and parser, its snapshot, and the refresh.h API over one engine.
 *
 * The engine keeps the current copy (reference counted, swapped
 * atomically), the refresh thread and the status. What is tweettioc's own
 * stays here: the URL of the 7-day window or of yesterday..today, the
 * stream parser (feed.h), and its snapshot's file name (the engine writes
 * it after each good refresh and loads it at start, before the first
 * request is served).
 */
#include "modules/tweettioc/refresh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "feeds/engine.h"
#include "lib/now.h"
#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/settings.h"
#include "modules/tweettioc/snapshot.h"

/* Settings until start() gives the configuration's (unit tests). */
#define TWEETTIOC_DEFAULT_REFRESH_SECONDS 300
#define TWEETTIOC_DEFAULT_FULL_SECONDS 86400
#define TWEETTIOC_DEFAULT_RETENTION_DAYS 30
#define TWEETTIOC_DEFAULT_MAX_BYTES ((size_t)268435456)

static int source_url(const char *base, double now, int full, char *out, size_t len)
{
	return feed_url_days(base, now, full ? 7 : 1, out, len);
}

/* Items over the size limit are skipped unread, and a copy over the
 * memory budget is refused as it is parsed: both follow from the byte
 * cap, and so does MemoryMax (feed_copy.h). */
static void *source_new(const struct feed *reuse, double now, size_t max_bytes)
{
	(void)now;
	struct feed_stream *s = feed_stream_new(reuse);
	if (s)
		feed_stream_limit(s, max_bytes);
	return s;
}

static int source_stopped(void *s)
{
	return feed_stream_over_budget(s);
}

static void source_report(void *s, size_t max_bytes)
{
	size_t oversized = feed_stream_oversized(s);
	if (oversized)
		fprintf(stderr,
			"securex-relay: tweettioc: %zu feed item(s) over the item size limit of "
			"%zu bytes skipped unread\n",
			oversized, feed_item_limit(max_bytes));
}

static int source_write(void *s, const char *data, size_t n)
{
	return feed_stream_write(s, data, n);
}

static enum relay_err source_finish(void *ctx, void *s, struct feed **out, char *err, size_t errlen)
{
	(void)ctx;
	return feed_stream_finish(s, out, err, errlen);
}

static void source_free(void *s)
{
	feed_stream_free(s);
}

static const struct feed_source source = {
	.id = "tweettioc",
	.title = "Twitter IOC Hunter",
	.url_setting = "TWEETTIOC_URL",
	.cap_setting = "TWEETTIOC_MAX_BYTES",
	.url = source_url,
	.stream_new = source_new,
	.stream_write = source_write,
	.stream_finish = source_finish,
	.stream_free = source_free,
	.stream_stopped = source_stopped,
	.stream_report = source_report,
};

static struct feed_engine engine = FEED_ENGINE_INITIALIZER(&source);

/* The engine's settings from the configuration (or the defaults). */
static void configure(const struct relay_config *cfg)
{
	const struct tweettioc_settings *t = tweettioc_settings(cfg);
	struct feed_engine_settings set = {
		.url = t ? t->url : "",
		.refresh_seconds = t ? t->refresh_seconds : TWEETTIOC_DEFAULT_REFRESH_SECONDS,
		.full_refresh_seconds =
			t ? t->full_refresh_seconds : TWEETTIOC_DEFAULT_FULL_SECONDS,
		.retention_days = t ? t->retention_days : TWEETTIOC_DEFAULT_RETENTION_DAYS,
		.max_bytes = t ? t->max_bytes : TWEETTIOC_DEFAULT_MAX_BYTES,
		.state_dir = cfg ? cfg->state_dir : NULL,
		.snapshot_file = SNAPSHOT_FILE,
	};
	feed_engine_configure(&engine, &set);
}

const struct feed_index *feed_store_acquire(void)
{
	return feed_engine_acquire(&engine);
}

void feed_store_release(const struct feed_index *index)
{
	feed_engine_release(&engine, index);
}

void feed_store_swap(struct feed_index *index)
{
	feed_engine_swap(&engine, index);
}

void feed_store_clear(void)
{
	feed_engine_clear(&engine);
}

void feed_store_status(struct feed_status *out)
{
	struct feed_engine_status st;
	feed_engine_status(&engine, &st);
	memset(out, 0, sizeof(*out));
	out->loaded = st.loaded;
	out->last_success = st.last_success;
	out->last_attempt = st.last_attempt;
	out->last_err = st.last_err;
	snprintf(out->last_error, sizeof(out->last_error), "%s", st.last_error);
	out->refreshes = st.refreshes;
	out->failures = st.failures;
	out->tweets = st.tweets;
	out->iocs = st.iocs;
	out->skipped = st.skipped;
	out->bytes = st.bytes;
	out->memory = st.memory;
	out->downloaded_bytes = st.downloaded_bytes;
	out->full_refreshes = st.full_refreshes;
	out->restored = st.restored;
	out->over_budget = st.over_budget;
	out->future = st.future;
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

enum relay_err feed_refresh_once(const struct relay_config *cfg)
{
	configure(cfg);
	return feed_engine_refresh_once(&engine, cfg);
}

int feed_snapshot_restore(const struct relay_config *cfg)
{
	configure(cfg);
	return feed_engine_restore(&engine);
}

void feed_refresh_trigger(void)
{
	/* Async-signal-safe (feed_engine_trigger). */
	feed_engine_trigger(&engine);
}

int feed_refresh_start(const struct relay_config *cfg)
{
	configure(cfg);
	return feed_engine_start(&engine, cfg);
}

void feed_refresh_stop(void)
{
	feed_engine_stop(&engine);
}

void feed_refresh_wait_first(long timeout_ms)
{
	feed_engine_wait_first(&engine, timeout_ms);
}
