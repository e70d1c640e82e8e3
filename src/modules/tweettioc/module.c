/* module.c: the tweettioc module's table entry, /health, start/stop and metrics. */
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "module.h"
#include "modules/tweettioc/enrich.h"
#include "modules/tweettioc/refresh.h"
#include "modules/tweettioc/settings.h"
#include "modules/tweettioc/tiles.h"

/* /health turns into an error once the copy is older than this many refresh periods. */
#define TWEETTIOC_STALE_PERIODS 3

static long refresh_seconds = 300;

static int tweettioc_start(const struct relay_config *cfg, char *err, size_t errlen)
{
	refresh_seconds = tweettioc_settings(cfg)->refresh_seconds;
	tiles_set_retention_days(tweettioc_settings(cfg)->retention_days);
	/* Before the first request: the first answer after a restart comes
	 * from the snapshot's data, not "not loaded yet". */
	if (feed_snapshot_restore(cfg) < 0) {
		snprintf(err, errlen, "out of memory while loading the feed snapshot");
		return -1;
	}
	if (feed_refresh_start(cfg) != 0) {
		snprintf(err, errlen, "cannot start the feed refresh thread");
		return -1;
	}
	return 0;
}

/* Can the module serve data now? 1, or 0 with what is wrong in `msg`.
 * Shared by /health and /ready so both tell the same truth. */
static int tweettioc_ready(char *msg, size_t len)
{
	struct feed_status st;
	feed_store_status(&st);
	double age = (double)time(NULL) - st.last_success;
	double allowed = (double)(TWEETTIOC_STALE_PERIODS * refresh_seconds);
	if (!st.loaded) {
		snprintf(msg, len,
			 "The Twitter IOC Hunter feed is not loaded yet (%s). Please, try again "
			 "later.",
			 st.last_error[0] ? st.last_error : "first download in progress");
		return 0;
	}
	/* A refresh time after the clock (the clock went back) is no fresher:
	 * |age| counts, or a copy no refresh renews would stay ok. */
	if (age > allowed || age < -allowed) {
		snprintf(msg, len,
			 "The Twitter IOC Hunter feed is stale: the last successful refresh was "
			 "%.1f s %s (allowed: %.0f s). Last attempt: %s",
			 age < 0 ? -age : age, age < 0 ? "in the future" : "ago", allowed,
			 st.last_error[0] ? st.last_error : "ok");
		return 0;
	}
	return 1;
}

static void tweettioc_health(const struct relay_request *req, struct relay_response *res)
{
	(void)req;
	char msg[1024];
	if (!tweettioc_ready(msg, sizeof(msg))) {
		response_add_error(res, RELAY_ERR_UNAVAILABLE, "%s", msg);
		return;
	}
	response_set_status_ok(res);
}

static void tweettioc_metrics(struct strbuf *out)
{
	struct feed_status st;
	feed_store_status(&st);
	double age = st.last_success > 0 ? (double)time(NULL) - st.last_success : -1;
	strbuf_printf(
		out,
		"# HELP tweettioc_feed_loaded 1 when a feed copy is loaded.\n"
		"# TYPE tweettioc_feed_loaded gauge\ntweettioc_feed_loaded %d\n"
		"# HELP tweettioc_feed_age_seconds Seconds since the last good refresh "
		"(-1: never).\n# TYPE tweettioc_feed_age_seconds gauge\n"
		"tweettioc_feed_age_seconds %.0f\n"
		"# TYPE tweettioc_feed_tweets gauge\ntweettioc_feed_tweets %zu\n"
		"# TYPE tweettioc_feed_iocs gauge\ntweettioc_feed_iocs %zu\n"
		"# TYPE tweettioc_feed_skipped_items gauge\ntweettioc_feed_skipped_items %zu\n"
		"# HELP tweettioc_feed_future_items Skipped items dated over a day ahead.\n"
		"# TYPE tweettioc_feed_future_items gauge\ntweettioc_feed_future_items %zu\n"
		"# TYPE tweettioc_feed_bytes gauge\ntweettioc_feed_bytes %zu\n"
		"# TYPE tweettioc_index_memory_bytes gauge\ntweettioc_index_memory_bytes %zu\n"
		"# TYPE tweettioc_refreshes_total counter\ntweettioc_refreshes_total %lu\n"
		"# TYPE tweettioc_refresh_failures_total counter\n"
		"tweettioc_refresh_failures_total %lu\n"
		"# HELP tweettioc_full_refreshes_total Good downloads of the whole 7-day window.\n"
		"# TYPE tweettioc_full_refreshes_total counter\ntweettioc_full_refreshes_total "
		"%lu\n"
		"# HELP tweettioc_downloaded_bytes_total Feed bytes downloaded.\n"
		"# TYPE tweettioc_downloaded_bytes_total counter\n"
		"tweettioc_downloaded_bytes_total %.0f\n"
		"# HELP tweettioc_refresh_over_budget_total Downloads refused: their parsed form "
		"was over the memory budget (2 x TWEETTIOC_MAX_BYTES + 2 MiB).\n"
		"# TYPE tweettioc_refresh_over_budget_total counter\n"
		"tweettioc_refresh_over_budget_total %lu\n",
		st.loaded, age, st.tweets, st.iocs, st.skipped, st.future, st.bytes, st.memory,
		st.refreshes, st.failures, st.full_refreshes, st.downloaded_bytes, st.over_budget);
}

extern const struct module_type_info tweettioc_module_type;

const struct relay_module tweettioc_module = {
	.id = "tweettioc",
	.title = "Twitter IOC Hunter",
	.type_info = &tweettioc_module_type,
	.settings = &tweettioc_settings_table,
	.start = tweettioc_start,
	.wait_ready = feed_refresh_wait_first,
	.stop = feed_refresh_stop,
	.health = tweettioc_health,
	.deliberate = tweettioc_deliberate,
	.observe = tweettioc_observe,
	.refer = tweettioc_refer,
	.tiles = tweettioc_tiles,
	.tile = tweettioc_tile,
	.tile_data = tweettioc_tile_data,
	.metrics = tweettioc_metrics,
	.ready = tweettioc_ready,
	.reload = feed_refresh_trigger,
};
