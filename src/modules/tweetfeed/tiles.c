/* tiles.c: the tweetfeed dashboard tiles (docs/api.md, module tweetfeed):
 * the table, the period checks and the hooks.
 *
 * The tiles are tweettioc's where they apply (TweetFeed gives no tweet
 * text, so there is no recent-tweets table): summary, IOC types, activity,
 * top accounts and top tags, ids prefixed "tweetfeed-", periods
 * last_24_hours, last_7_days and last_30_days (while
 * TWEETFEED_RETENTION_DAYS keeps 30 days). The counting and the chart
 * shapes are tweettioc's (tiles_stats.h, tiles_charts.h), run over this
 * module's copy; nothing here downloads.
 */
#include "modules/tweetfeed/tiles.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctim/entities.h"
#include "feeds/engine.h"
#include "lib/now.h"
#include "modules/tweetfeed/enrich.h"
#include "modules/tweetfeed/settings.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/tiles_charts.h"
#include "modules/tweettioc/tiles_stats.h"

#define ECHO_MAX 64

struct period_def {
	const char *id;
	double seconds;
};

static const struct period_def periods[] = {
	{"last_24_hours", 24 * 3600.0},
	{"last_7_days", 7 * 24 * 3600.0},
	{"last_30_days", 30 * 24 * 3600.0},
};
#define N_PERIODS (sizeof(periods) / sizeof(periods[0]))

enum kind { K_SUMMARY, K_TYPES, K_ACTIVITY, K_ACCOUNTS, K_TAGS };

struct tile_def {
	const char *id, *type;
	enum kind kind;
	const char *title, *short_description, *description;
};

static const struct tile_def tiles[] = {
	{"tweetfeed-summary", "metric_group", K_SUMMARY, "TweetFeed: summary",
	 "Tweets, IOCs and accounts in the period.",
	 "How many tweets with IOCs TweetFeed collected in the period, how many distinct IOCs "
	 "they named, by how many accounts, and the distinct IOCs of each type."},
	{"tweetfeed-ioc-types", "donut_graph", K_TYPES, "TweetFeed: IOC types",
	 "Share of each IOC type.",
	 "The share of each IOC type (IP, domain, URL, MD5, SHA256) among the distinct IOCs "
	 "TweetFeed collected in the period."},
	{"tweetfeed-activity", "vertical_bar_chart", K_ACTIVITY, "TweetFeed: tweets per day",
	 "Tweets with IOCs per day, by IOC type.",
	 "Tweets with IOCs per UTC day, stacked by the most specific IOC type each names."},
	{"tweetfeed-top-accounts", "horizontal_bar_chart", K_ACCOUNTS, "TweetFeed: top accounts",
	 "Accounts that posted the most IOCs.",
	 "The 10 accounts whose tweets named the most IOCs in the period, stacked by IOC "
	 "type. Each bar links to the account."},
	{"tweetfeed-top-tags", "horizontal_bar_chart", K_TAGS, "TweetFeed: top tags",
	 "The most frequent tags.",
	 "The 10 tags on the most tweets in the period (letter case ignored)."},
};
#define N_TILES (sizeof(tiles) / sizeof(tiles[0]))

static const char *const tile_tags[] = {"twitter", "tweetfeed", "ioc"};

/* last_30_days only while the history reaches back 30 days. */
static size_t periods_offered(const struct relay_request *req)
{
	const struct tweetfeed_settings *set = tweetfeed_settings(req ? req->cfg : NULL);
	return set && set->retention_days < 30 ? N_PERIODS - 1 : N_PERIODS;
}

static const struct tile_def *tile_find(const char *id)
{
	for (size_t i = 0; id && i < N_TILES; i++)
		if (strcmp(tiles[i].id, id) == 0)
			return &tiles[i];
	return NULL;
}

static void echo(const char *value, char *buf, size_t len)
{
	size_t n = strlen(value);
	if (n <= ECHO_MAX)
		snprintf(buf, len, "'%s'", value);
	else
		snprintf(buf, len, "(a %zu-byte value)", n);
}

static enum relay_err resolve(const struct relay_request *req, const char *tile_id,
			      const char *period, const struct tile_def **t,
			      const struct period_def **p, char *err, size_t errlen)
{
	char shown[ECHO_MAX + 32];
	*p = NULL;
	if (!(*t = tile_find(tile_id))) {
		echo(tile_id ? tile_id : "", shown, sizeof(shown));
		snprintf(err, errlen,
			 "Invalid JSON payload received. tile_id: %s is not a TweetFeed tile "
			 "(known: tweetfeed-summary, tweetfeed-ioc-types, tweetfeed-activity, "
			 "tweetfeed-top-accounts, tweetfeed-top-tags)",
			 shown);
		return RELAY_ERR_INVALID_ARGUMENT;
	}
	const char *want = period ? period : TWEETFEED_TILES_DEFAULT_PERIOD;
	for (size_t i = 0; i < periods_offered(req); i++)
		if (strcmp(periods[i].id, want) == 0)
			*p = &periods[i];
	if (!*p) {
		echo(want, shown, sizeof(shown));
		snprintf(err, errlen,
			 "Invalid JSON payload received. period: %s is not a period of tile '%s' "
			 "(periods: last_24_hours, last_7_days%s)",
			 shown, (*t)->id,
			 periods_offered(req) == N_PERIODS ? ", last_30_days" : "");
		return RELAY_ERR_INVALID_ARGUMENT;
	}
	return RELAY_OK;
}

static int add_strings(cJSON *obj, const char *key, const char *const *items, size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(obj, key);
	for (size_t i = 0; a && i < n; i++) {
		cJSON *s = cJSON_CreateString(items[i]);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			return 0;
		}
	}
	return a != NULL;
}

static cJSON *definition(const struct relay_request *req, const struct tile_def *t)
{
	const char *ids[N_PERIODS];
	size_t n = periods_offered(req);
	for (size_t i = 0; i < n; i++)
		ids[i] = periods[i].id;
	cJSON *d = cJSON_CreateObject();
	if (!d || !cJSON_AddStringToObject(d, "id", t->id) ||
	    !cJSON_AddStringToObject(d, "type", t->type) ||
	    !cJSON_AddStringToObject(d, "title", t->title) ||
	    !cJSON_AddStringToObject(d, "description", t->description) ||
	    !cJSON_AddStringToObject(d, "short_description", t->short_description) ||
	    !add_strings(d, "periods", ids, n) ||
	    !cJSON_AddStringToObject(d, "default_period", TWEETFEED_TILES_DEFAULT_PERIOD) ||
	    !add_strings(d, "tags", tile_tags, sizeof(tile_tags) / sizeof(*tile_tags))) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static int add(cJSON *obj, const char *key, cJSON *child)
{
	if (child && cJSON_AddItemToObject(obj, key, child))
		return 0;
	cJSON_Delete(child);
	return -1;
}

static int tile_fields(cJSON *tile, const struct tile_def *t, const struct feed_index *index,
		       const struct tiles_window *w)
{
	struct tiles_summary summary;
	struct tiles_day days[TILES_MAX_DAYS];
	struct tiles_rank rank[TWEETFEED_TILES_TOP_N];
	size_t n;
	switch (t->kind) {
	case K_SUMMARY:
		return tiles_summarize(index, w, &summary) == 0
			       ? tiles_chart_summary(tile, &summary)
			       : -1;
	case K_TYPES:
		return tiles_summarize(index, w, &summary) == 0
			       ? tiles_chart_ioc_types(tile, &summary)
			       : -1;
	case K_ACTIVITY:
		n = tiles_activity(index->feed, w, days);
		return tiles_chart_activity(tile, days, n);
	case K_ACCOUNTS:
		return tiles_top_accounts(index->feed, w, TWEETFEED_TILES_TOP_N, rank, &n) == 0
			       ? tiles_chart_accounts(tile, rank, n)
			       : -1;
	case K_TAGS:
		return tiles_top_hashtags(index->feed, w, TWEETFEED_TILES_TOP_N, rank, &n) == 0
			       ? tiles_chart_hashtags(tile, rank, n)
			       : -1;
	}
	return -1;
}

enum relay_err tweetfeed_tiles_data_json(const struct relay_request *req,
					 const struct feed_index *index, const char *tile_id,
					 const char *period, double now, double refresh_seconds,
					 cJSON **out, char *err, size_t errlen)
{
	const struct tile_def *t;
	const struct period_def *p;
	*out = NULL;
	enum relay_err rc = resolve(req, tile_id, period, &t, &p, err, errlen);
	if (rc != RELAY_OK)
		return rc;
	struct tiles_window w;
	tiles_window_find(index->feed, now - p->seconds, now, &w);
	cJSON *tile = cJSON_CreateObject();
	if (!tile || add(tile, "valid_time", ctim_valid_time(now, now + refresh_seconds)) != 0 ||
	    add(tile, "observed_time", ctim_valid_time(now - p->seconds, now)) != 0 ||
	    !cJSON_AddStringToObject(tile, "cache_scope", "org") ||
	    !cJSON_AddBoolToObject(tile, "hide_legend", t->kind == K_SUMMARY) ||
	    tile_fields(tile, t, index, &w) != 0) {
		cJSON_Delete(tile);
		snprintf(err, errlen, "out of memory");
		return RELAY_ERR_INTERNAL;
	}
	*out = tile;
	return RELAY_OK;
}

void tweetfeed_tiles(const struct relay_request *req, struct relay_response *res)
{
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; list && i < N_TILES; i++) {
		cJSON *d = definition(req, &tiles[i]);
		if (!d || !cJSON_AddItemToArray(list, d)) {
			cJSON_Delete(d);
			cJSON_Delete(list);
			list = NULL;
		}
	}
	if (!list)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else
		response_set_data(res, list);
}

void tweetfeed_tile(const struct relay_request *req, const char *tile_id,
		    struct relay_response *res)
{
	char err[1024];
	const struct tile_def *t;
	const struct period_def *p;
	enum relay_err rc = resolve(req, tile_id, NULL, &t, &p, err, sizeof(err));
	if (rc != RELAY_OK) {
		response_add_error(res, rc, "%s", err);
		return;
	}
	cJSON *d = definition(req, t);
	if (!d)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else
		response_set_data(res, d);
}

void tweetfeed_tile_data(const struct relay_request *req, const char *tile_id, const char *period,
			 struct relay_response *res)
{
	char err[1024];
	const struct tile_def *t;
	const struct period_def *p;
	/* Bad input is reported as such even while no copy is loaded. */
	enum relay_err rc = resolve(req, tile_id, period, &t, &p, err, sizeof(err));
	if (rc != RELAY_OK) {
		response_add_error(res, rc, "%s", err);
		return;
	}
	struct feed_engine *e = tweetfeed_engine();
	const struct feed_index *index = feed_engine_acquire(e);
	if (!index) {
		if (!e)
			snprintf(err, sizeof(err), "The TweetFeed feed is not started.");
		else
			feed_engine_ready(e, 3, err, sizeof(err));
		response_add_error(res, RELAY_ERR_UNAVAILABLE, "%s", err);
		return;
	}
	double now = now_seconds();
	const struct tweetfeed_settings *set = tweetfeed_settings(req ? req->cfg : NULL);
	double refresh = set ? (double)set->refresh_seconds : 900;
	cJSON *data = NULL;
	rc = tweetfeed_tiles_data_json(req, index, tile_id, period, now, refresh, &data, err,
				       sizeof(err));
	feed_engine_release(e, index);
	if (rc == RELAY_ERR_INTERNAL)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else if (rc != RELAY_OK)
		response_add_error(res, rc, "%s", err);
	else
		response_set_data(res, data);
}
