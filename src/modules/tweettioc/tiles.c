/* tiles.c: the tweettioc tile table, tile-id/period checks, the tile-data envelope and the hooks.
 *
 * One table row per tile (id, SecureX type, periods, texts, what computes
 * it). A tile-data answer is the envelope every tile shares (valid_time,
 * observed_time, cache_scope) plus the fields its builder adds from the
 * feed copy the request holds; the counting lives in tiles_stats.c, the
 * JSON shapes in tiles_charts.c and tiles_markdown.c.
 */
#include "modules/tweettioc/tiles.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctim/entities.h"
#include "lib/now.h"
#include "modules/tweettioc/enrich.h"
#include "modules/tweettioc/index.h"
#include "modules/tweettioc/refresh.h"
#include "modules/tweettioc/settings.h"
#include "modules/tweettioc/tiles_charts.h"
#include "modules/tweettioc/tiles_markdown.h"
#include "modules/tweettioc/tiles_stats.h"

/* valid_time when the request carries no config (unit tests of the hooks). */
#define TILES_FALLBACK_REFRESH_SECONDS 300
/* Longest tile_id or period echoed back in an error message. */
#define TILES_ECHO_MAX 64

struct period_def {
	const char *id;
	double seconds;
	const char *phrase; /* for the markdown heading */
};

enum { PERIOD_24H, PERIOD_7D, PERIOD_30D, PERIOD__MAX };

static const struct period_def periods[PERIOD__MAX] = {
	[PERIOD_24H] = {"last_24_hours", 24 * 3600.0, "last 24 hours"},
	[PERIOD_7D] = {"last_7_days", 7 * 24 * 3600.0, "last 7 days"},
	[PERIOD_30D] = {"last_30_days", 30 * 24 * 3600.0, "last 30 days"},
};

#define PERIODS_LEGACY ((1u << PERIOD_24H) | (1u << PERIOD_7D))
#define PERIODS_ALL (PERIODS_LEGACY | (1u << PERIOD_30D))

/* Periods the retained history covers (tiles_set_retention_days). */
static unsigned periods_offered = PERIODS_ALL;

void tiles_set_retention_days(long days)
{
	periods_offered = days >= 30 ? PERIODS_ALL : PERIODS_LEGACY;
}

enum tile_kind {
	TILE_RECENT,
	TILE_SUMMARY,
	TILE_IOC_TYPES,
	TILE_ACTIVITY,
	TILE_TOP_ACCOUNTS,
	TILE_TOP_HASHTAGS,
	TILE__MAX
};

struct tile_def {
	const char *id;
	const char *type; /* SecureX tile type */
	enum tile_kind kind;
	unsigned periods; /* bit set of PERIOD_* */
	const char *title;
	const char *short_description;
	const char *description;
	const char *const *tags;
};

static const char *const tags_feed[] = {"twitter", "tweettioc", "ioc", NULL};
static const char *const tags_legacy[] = {"twitter", NULL};

static const struct tile_def tiles[] = {
	{"tweettioc-recent", "markdown", TILE_RECENT, PERIODS_ALL,
	 "Twitter IOC Hunter: newest tweets", "The newest tweets that name IOCs.",
	 "The newest tweets (up to 25) in which the security community shared indicators of "
	 "compromise, as collected by Twitter IOC Hunter: when, which account, the IOCs, the "
	 "text, the hashtags and a link to the tweet.",
	 tags_feed},
	{"tweettioc-summary", "metric_group", TILE_SUMMARY, PERIODS_ALL,
	 "Twitter IOC Hunter: summary", "Tweets, IOCs and accounts in the period.",
	 "How many tweets with IOCs were posted in the period, how many distinct IOCs they "
	 "named, by how many accounts, and the distinct IOCs of each type (IP, IPv6, domain, "
	 "URL, MD5, SHA1, SHA256, email).",
	 tags_feed},
	{"tweettioc-ioc-types", "donut_graph", TILE_IOC_TYPES, PERIODS_ALL,
	 "Twitter IOC Hunter: IOC types", "Share of each IOC type.",
	 "The share of each IOC type (IP, IPv6, domain, URL, MD5, SHA1, SHA256, email) among "
	 "the distinct IOCs tweeted in the period.",
	 tags_feed},
	{"tweettioc-activity", "vertical_bar_chart", TILE_ACTIVITY, PERIODS_ALL,
	 "Twitter IOC Hunter: tweets per day", "Tweets with IOCs per day, by IOC type.",
	 "Tweets with IOCs per UTC day, stacked by IOC type. Each tweet counts once, under the "
	 "most specific type it names (SHA256, SHA1, MD5, URL, domain, IP, IPv6, email).",
	 tags_feed},
	{"tweettioc-top-accounts", "horizontal_bar_chart", TILE_TOP_ACCOUNTS, PERIODS_ALL,
	 "Twitter IOC Hunter: top accounts", "Accounts that tweeted the most IOCs.",
	 "The 10 accounts that named the most IOCs in their tweets in the period, stacked by "
	 "IOC type. Each bar links to the account.",
	 tags_feed},
	{"tweettioc-top-hashtags", "horizontal_bar_chart", TILE_TOP_HASHTAGS, PERIODS_ALL,
	 "Twitter IOC Hunter: top hashtags", "The most frequent hashtags.",
	 "The 10 hashtags used by the most tweets with IOCs in the period (letter case "
	 "ignored). Each bar links to the hashtag on Twitter.",
	 tags_feed},
	/* The Python relay's only tile: kept so existing dashboards keep working. */
	{"twitter_ioc_hunter", "markdown", TILE_RECENT, PERIODS_LEGACY,
	 "Get the daily tweets from Twitter IOC Hunter",
	 "Show the recent tweets from Twitter IOC Hunter",
	 "Show the recent tweets from Twitter IOC Hunter (the same table as the "
	 "\"Twitter IOC Hunter: newest tweets\" tile).",
	 tags_legacy},
};

#define N_TILES (sizeof(tiles) / sizeof(tiles[0]))

static unsigned tile_periods(const struct tile_def *t)
{
	return t->periods & periods_offered;
}

static const struct tile_def *tile_find(const char *id)
{
	for (size_t i = 0; i < N_TILES; i++)
		if (strcmp(tiles[i].id, id) == 0)
			return &tiles[i];
	return NULL;
}

/* The value as a message fragment: quoted when short, else its length. */
static void echo(const char *value, char *buf, size_t len)
{
	size_t n = strlen(value);
	if (n <= TILES_ECHO_MAX)
		snprintf(buf, len, "'%s'", value);
	else
		snprintf(buf, len, "(a %zu-byte value)", n);
}

/* Finds the tile and period, or RELAY_ERR_INVALID_ARGUMENT with a message. */
static enum relay_err resolve(const char *tile_id, const char *period, const struct tile_def **t,
			      const struct period_def **p, char *err, size_t errlen)
{
	char shown[TILES_ECHO_MAX + 32];
	*t = tile_id ? tile_find(tile_id) : NULL;
	*p = NULL;
	if (!*t) {
		char names[512];
		size_t o = 0;
		names[0] = '\0';
		for (size_t i = 0; i < N_TILES && o < sizeof(names); i++) {
			int n = snprintf(names + o, sizeof(names) - o, "%s%s", i ? ", " : "",
					 tiles[i].id);
			o += n > 0 ? (size_t)n : 0;
		}
		echo(tile_id ? tile_id : "", shown, sizeof(shown));
		snprintf(err, errlen,
			 "Invalid JSON payload received. tile_id: %s is not a Twitter IOC Hunter "
			 "tile (known: %s)",
			 shown, names);
		return RELAY_ERR_INVALID_ARGUMENT;
	}
	const char *want = period ? period : TILES_DEFAULT_PERIOD;
	for (int i = 0; i < PERIOD__MAX; i++)
		if ((tile_periods(*t) & (1u << i)) && strcmp(periods[i].id, want) == 0)
			*p = &periods[i];
	if (!*p) {
		char names[128];
		size_t o = 0;
		names[0] = '\0';
		for (int i = 0; i < PERIOD__MAX && o < sizeof(names); i++) {
			if (!(tile_periods(*t) & (1u << i)))
				continue;
			int n = snprintf(names + o, sizeof(names) - o, "%s%s", o ? ", " : "",
					 periods[i].id);
			o += n > 0 ? (size_t)n : 0;
		}
		echo(want, shown, sizeof(shown));
		snprintf(err, errlen,
			 "Invalid JSON payload received. period: %s is not a period of tile '%s' "
			 "(periods: %s)",
			 shown, (*t)->id, names);
		return RELAY_ERR_INVALID_ARGUMENT;
	}
	return RELAY_OK;
}

enum relay_err tiles_check(const char *tile_id, const char *period, char *err, size_t errlen)
{
	const struct tile_def *t;
	const struct period_def *p;
	return resolve(tile_id, period, &t, &p, err, errlen);
}

static cJSON *string_array(const char *const *items)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && items[i]; i++) {
		cJSON *s = cJSON_CreateString(items[i]);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static cJSON *definition(const struct tile_def *t)
{
	const char *ids[PERIOD__MAX + 1];
	size_t n = 0;
	for (int i = 0; i < PERIOD__MAX; i++)
		if (tile_periods(t) & (1u << i))
			ids[n++] = periods[i].id;
	ids[n] = NULL;
	cJSON *d = cJSON_CreateObject();
	cJSON *period_list = string_array(ids), *tags = string_array(t->tags);
	if (!d || !period_list || !tags || !cJSON_AddStringToObject(d, "id", t->id) ||
	    !cJSON_AddStringToObject(d, "type", t->type) ||
	    !cJSON_AddStringToObject(d, "title", t->title) ||
	    !cJSON_AddStringToObject(d, "description", t->description) ||
	    !cJSON_AddStringToObject(d, "short_description", t->short_description) ||
	    !cJSON_AddItemToObject(d, "periods", period_list))
		goto fail;
	period_list = NULL;
	if (!cJSON_AddStringToObject(d, "default_period", TILES_DEFAULT_PERIOD) ||
	    !cJSON_AddItemToObject(d, "tags", tags))
		goto fail;
	return d;
fail:
	cJSON_Delete(period_list);
	cJSON_Delete(tags);
	cJSON_Delete(d);
	return NULL;
}

cJSON *tiles_definitions(void)
{
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; list && i < N_TILES; i++) {
		cJSON *d = definition(&tiles[i]);
		if (!d || !cJSON_AddItemToArray(list, d)) {
			cJSON_Delete(d);
			cJSON_Delete(list);
			return NULL;
		}
	}
	return list;
}

enum relay_err tiles_definition(const char *tile_id, cJSON **out, char *err, size_t errlen)
{
	const struct tile_def *t;
	const struct period_def *p;
	*out = NULL;
	enum relay_err rc = resolve(tile_id, NULL, &t, &p, err, errlen);
	if (rc != RELAY_OK)
		return rc;
	if (!(*out = definition(t))) {
		snprintf(err, errlen, "out of memory");
		return RELAY_ERR_INTERNAL;
	}
	return RELAY_OK;
}

/* Adds `child` under `key`; frees it and returns -1 on failure. */
static int add(cJSON *obj, const char *key, cJSON *child)
{
	if (child && cJSON_AddItemToObject(obj, key, child))
		return 0;
	cJSON_Delete(child);
	return -1;
}

/* The fields of the tile's type, computed over the window. */
static int tile_fields(cJSON *tile, const struct tile_def *t, const struct period_def *p,
		       const struct feed_index *index, const struct tiles_window *w)
{
	const struct feed *feed = index->feed;
	struct tiles_summary summary;
	struct tiles_day days[TILES_MAX_DAYS];
	struct tiles_rank rank[TILES_TOP_N];
	size_t n;
	switch (t->kind) {
	case TILE_RECENT:
		return add(tile, "data", tiles_recent_lines(feed, w, p->phrase, TILES_RECENT_ROWS));
	case TILE_SUMMARY:
		return tiles_summarize(index, w, &summary) == 0
			       ? tiles_chart_summary(tile, &summary)
			       : -1;
	case TILE_IOC_TYPES:
		return tiles_summarize(index, w, &summary) == 0
			       ? tiles_chart_ioc_types(tile, &summary)
			       : -1;
	case TILE_ACTIVITY:
		n = tiles_activity(feed, w, days);
		return tiles_chart_activity(tile, days, n);
	case TILE_TOP_ACCOUNTS:
		return tiles_top_accounts(feed, w, TILES_TOP_N, rank, &n) == 0
			       ? tiles_chart_accounts(tile, rank, n)
			       : -1;
	case TILE_TOP_HASHTAGS:
		return tiles_top_hashtags(feed, w, TILES_TOP_N, rank, &n) == 0
			       ? tiles_chart_hashtags(tile, rank, n)
			       : -1;
	default: return -1;
	}
}

enum relay_err tiles_data_json(const struct feed_index *index, const char *tile_id,
			       const char *period, double now, double refresh_seconds, cJSON **out,
			       char *err, size_t errlen)
{
	const struct tile_def *t;
	const struct period_def *p;
	*out = NULL;
	enum relay_err rc = resolve(tile_id, period, &t, &p, err, errlen);
	if (rc != RELAY_OK)
		return rc;
	struct tiles_window w;
	tiles_window_find(index->feed, now - p->seconds, now, &w);
	/* Markdown and metric tiles have nothing a legend would explain. */
	int hide_legend = t->kind == TILE_RECENT || t->kind == TILE_SUMMARY;
	cJSON *tile = cJSON_CreateObject();
	if (!tile || add(tile, "valid_time", ctim_valid_time(now, now + refresh_seconds)) != 0 ||
	    add(tile, "observed_time", ctim_valid_time(now - p->seconds, now)) != 0 ||
	    !cJSON_AddStringToObject(tile, "cache_scope", "org") ||
	    !cJSON_AddBoolToObject(tile, "hide_legend", hide_legend) ||
	    tile_fields(tile, t, p, index, &w) != 0) {
		cJSON_Delete(tile);
		snprintf(err, errlen, "out of memory");
		return RELAY_ERR_INTERNAL;
	}
	*out = tile;
	return RELAY_OK;
}

/* ---- module hooks */

void tweettioc_tiles(const struct relay_request *req, struct relay_response *res)
{
	(void)req;
	cJSON *list = tiles_definitions();
	if (!list) {
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	response_set_data(res, list);
}

void tweettioc_tile(const struct relay_request *req, const char *tile_id,
		    struct relay_response *res)
{
	(void)req;
	char err[1024];
	cJSON *d = NULL;
	enum relay_err rc = tiles_definition(tile_id, &d, err, sizeof(err));
	if (rc == RELAY_ERR_INTERNAL)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else if (rc != RELAY_OK)
		response_add_error(res, rc, "%s", err);
	else
		response_set_data(res, d);
}

void tweettioc_tile_data(const struct relay_request *req, const char *tile_id, const char *period,
			 struct relay_response *res)
{
	char err[1024];
	/* Bad input is reported as such even while no feed is loaded. */
	enum relay_err rc = tiles_check(tile_id, period, err, sizeof(err));
	if (rc != RELAY_OK) {
		response_add_error(res, rc, "%s", err);
		return;
	}
	const struct feed_index *index = tweettioc_acquire_or_fail(res);
	if (!index)
		return;
	const struct tweettioc_settings *ts = tweettioc_settings(req ? req->cfg : NULL);
	double refresh = ts ? (double)ts->refresh_seconds : TILES_FALLBACK_REFRESH_SECONDS;
	cJSON *data = NULL;
	rc = tiles_data_json(index, tile_id, period, now_seconds(), refresh, &data, err,
			     sizeof(err));
	feed_store_release(index);
	if (rc == RELAY_ERR_INTERNAL)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	else if (rc != RELAY_OK)
		response_add_error(res, rc, "%s", err);
	else
		response_set_data(res, data);
}
