/* tiles_charts.h: the SecureX chart shapes (metric group, donut, bar charts) of the tiles.
 *
 * Each builder turns counts from tiles_stats.h into the fields one tile
 * type carries and adds them to `tile` (the tile-data object being built):
 *
 *   metric_group          data: [{icon, label, value, value_unit}]
 *   donut_graph           label_headers, labels: [[...]], data: [{key, value, tooltip}]
 *                         (key = index into labels[0])
 *   *_bar_chart           keys: [{key, label}], key_type,
 *                         data: [{key, label, value, values: [{key, value, tooltip}]}]
 *                         (each bar's values add up to its value)
 *
 * Every builder returns 0, or -1 when out of memory (`tile` may then hold
 * some of the fields; the caller frees it).
 */
#ifndef TWEETTIOC_TILES_CHARTS_H
#define TWEETTIOC_TILES_CHARTS_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "modules/tweettioc/tiles_stats.h"

/* Tweets, distinct IOCs, accounts, then distinct IOCs of every type. */
int tiles_chart_summary(cJSON *tile, const struct tiles_summary *s);

/* Share of the types among the distinct IOCs; types without IOCs left out. */
int tiles_chart_ioc_types(cJSON *tile, const struct tiles_summary *s);

/* One bar per UTC day (key: epoch milliseconds of its midnight, key_type
 * "timestamp"), stacked by each tweet's primary type. */
int tiles_chart_activity(cJSON *tile, const struct tiles_day *days, size_t n);

/* One bar per account (IOC mentions, stacked by type), linked to the account. */
int tiles_chart_accounts(cJSON *tile, const struct tiles_rank *rank, size_t n);

/* One bar per hashtag (tweets using it), linked to the hashtag's search. */
int tiles_chart_hashtags(cJSON *tile, const struct tiles_rank *rank, size_t n);

#endif
