/* module.c: the tweetfeed module's table entry: its feed source for the
 * engine (URLs, parser), start/stop, /health, /ready, metrics and SIGHUP. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "feeds/engine.h"
#include "module.h"
#include "modules/tweetfeed/enrich.h"
#include "modules/tweetfeed/lookup.h"
#include "modules/tweetfeed/parse.h"
#include "modules/tweetfeed/settings.h"
#include "modules/tweetfeed/tiles.h"

/* /health turns into an error once the copy is older than this many refresh periods. */
#define TWEETFEED_STALE_PERIODS 3

static struct feed_engine *engine;
static struct tweetfeed_cache *cache;
static atomic_ulong capped_answers; /* answers of TWEETFEED_ROW_CAP rows */
static atomic_ulong skipped_rows;   /* rows skipped, over all answers */

struct feed_engine *tweetfeed_engine(void)
{
	return engine;
}

struct tweetfeed_cache *tweetfeed_lookup_cache(void)
{
	return cache;
}

static int source_url(const char *base, double now, int full, char *out, size_t len)
{
	(void)now;
	int n = snprintf(out, len, "%s/v1/%s", base, full ? "week" : "today");
	return n > 0 && (size_t)n < len ? 0 : -1;
}

static void *source_new(const struct feed *reuse, double now, size_t max_bytes)
{
	(void)max_bytes; /* the download cap bounds the answer; rows are read one by one */
	return tweetfeed_stream_new(reuse, now);
}

static int source_write(void *s, const char *data, size_t n)
{
	return tweetfeed_stream_write(s, data, n);
}

static void source_free(void *s)
{
	tweetfeed_stream_free(s);
}

static enum relay_err source_finish(void *ctx, void *s, struct feed **out, char *err, size_t errlen)
{
	(void)ctx;
	struct tweetfeed_parse_info info;
	enum relay_err rc = tweetfeed_stream_finish(s, out, &info, err, errlen);
	const struct tweetfeed_row_stats *r = &info.rows;
	atomic_fetch_add_explicit(&skipped_rows,
				  r->bad_shape + r->bad_type + r->bad_link + r->bad_date +
					  r->repeated + r->over_per_tweet,
				  memory_order_relaxed);
	if (rc == RELAY_OK && info.capped) {
		atomic_fetch_add_explicit(&capped_answers, 1, memory_order_relaxed);
		fprintf(stderr,
			"securex-relay: tweetfeed: the answer has %zu rows, TweetFeed's cap: the "
			"window was cut, older rows of it are missing\n",
			r->rows);
	}
	return rc;
}

static const struct feed_source source = {
	.id = "tweetfeed",
	.title = "TweetFeed",
	.url_setting = "TWEETFEED_URL",
	.cap_setting = "TWEETFEED_MAX_BYTES",
	.url = source_url,
	.stream_new = source_new,
	.stream_write = source_write,
	.stream_finish = source_finish,
	.stream_free = source_free,
};

static void tweetfeed_stop(void)
{
	feed_engine_free(engine);
	engine = NULL;
	tweetfeed_cache_free(cache);
	cache = NULL;
}

static int tweetfeed_start(const struct relay_config *cfg, char *err, size_t errlen)
{
	const struct tweetfeed_settings *t = tweetfeed_settings(cfg);
	if (!t) {
		snprintf(err, errlen, "the TweetFeed settings were not loaded");
		return -1;
	}
	struct feed_engine_settings set = {
		.url = t->url,
		.refresh_seconds = t->refresh_seconds,
		.full_refresh_seconds = t->full_refresh_seconds,
		.retention_days = t->retention_days,
		.max_bytes = t->max_bytes,
		.state_dir = cfg->state_dir,
		.snapshot_file = "tweetfeed.snapshot",
	};
	if (!(engine = feed_engine_new(&source, &set))) {
		snprintf(err, errlen, "out of memory while starting the TweetFeed feed");
		return -1;
	}
	cache = tweetfeed_cache_new(TWEETFEED_CACHE_CAPACITY, (double)t->cache_seconds);
	/* Before the first request: a restart answers from the snapshot. */
	if (feed_engine_restore(engine) < 0) {
		snprintf(err, errlen, "out of memory while loading the TweetFeed snapshot");
		tweetfeed_stop();
		return -1;
	}
	if (feed_engine_start(engine, cfg) != 0) {
		snprintf(err, errlen, "cannot start the TweetFeed refresh thread");
		tweetfeed_stop();
		return -1;
	}
	return 0;
}

static void tweetfeed_wait_ready(long timeout_ms)
{
	if (engine)
		feed_engine_wait_first(engine, timeout_ms);
}

static int tweetfeed_ready(char *msg, size_t len)
{
	if (!engine) {
		snprintf(msg, len, "The TweetFeed feed is not started.");
		return 0;
	}
	return feed_engine_ready(engine, TWEETFEED_STALE_PERIODS, msg, len);
}

static void tweetfeed_health(const struct relay_request *req, struct relay_response *res)
{
	(void)req;
	char msg[1024];
	if (!tweetfeed_ready(msg, sizeof(msg))) {
		response_add_error(res, RELAY_ERR_UNAVAILABLE, "%s", msg);
		return;
	}
	response_set_status_ok(res);
}

static void tweetfeed_metrics(struct strbuf *out)
{
	if (!engine)
		return;
	feed_engine_metrics(engine, out);
	struct tweetfeed_lookup_stats st;
	tweetfeed_lookup_stats_get(&st);
	strbuf_printf(
		out,
		"# HELP tweetfeed_capped_answers_total Answers of 10,000 rows: TweetFeed cut the "
		"window.\n# TYPE tweetfeed_capped_answers_total counter\n"
		"tweetfeed_capped_answers_total %lu\n"
		"# HELP tweetfeed_skipped_rows_total Rows of the wrong shape, type, link or date.\n"
		"# TYPE tweetfeed_skipped_rows_total counter\ntweetfeed_skipped_rows_total %lu\n",
		atomic_load_explicit(&capped_answers, memory_order_relaxed),
		atomic_load_explicit(&skipped_rows, memory_order_relaxed));
	strbuf_printf(out,
		      "# TYPE tweetfeed_lookups_total counter\ntweetfeed_lookups_total %lu\n"
		      "# TYPE tweetfeed_lookup_cache_hits_total counter\n"
		      "tweetfeed_lookup_cache_hits_total %lu\n"
		      "# TYPE tweetfeed_lookup_cache_entries gauge\n"
		      "tweetfeed_lookup_cache_entries %zu\n"
		      "# TYPE tweetfeed_upstream_requests_total counter\n"
		      "tweetfeed_upstream_requests_total %lu\n"
		      "# TYPE tweetfeed_upstream_errors_total counter\n"
		      "tweetfeed_upstream_errors_total %lu\n"
		      "# TYPE tweetfeed_lookups_late_total counter\n"
		      "tweetfeed_lookups_late_total %lu\n"
		      "# HELP tweetfeed_lookups_left_out_total Values not asked: over "
		      "TWEETFEED_MAX_LOOKUPS.\n# TYPE tweetfeed_lookups_left_out_total counter\n"
		      "tweetfeed_lookups_left_out_total %lu\n",
		      st.lookups, st.cache_hits, tweetfeed_cache_count(cache), st.upstream_requests,
		      st.upstream_errors, st.late, st.left_out);
}

static void tweetfeed_reload(void)
{
	feed_engine_trigger(engine);
}

extern const struct module_type_info tweetfeed_module_type;

const struct relay_module tweetfeed_module = {
	.id = "tweetfeed",
	.title = "TweetFeed",
	.type_info = &tweetfeed_module_type,
	.settings = &tweetfeed_settings_table,
	.start = tweetfeed_start,
	.wait_ready = tweetfeed_wait_ready,
	.stop = tweetfeed_stop,
	.health = tweetfeed_health,
	.deliberate = tweetfeed_deliberate,
	.observe = tweetfeed_observe,
	.refer = tweetfeed_refer,
	.tiles = tweetfeed_tiles,
	.tile = tweetfeed_tile,
	.tile_data = tweetfeed_tile_data,
	.metrics = tweetfeed_metrics,
	.ready = tweetfeed_ready,
	.reload = tweetfeed_reload,
};
