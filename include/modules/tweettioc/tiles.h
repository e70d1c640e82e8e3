/* tiles.h: the Twitter IOC Hunter dashboard tiles (docs/api.md#endpoints and
 * docs/api.md#tiles-tweettioc).
 *
 * /tiles lists the tile definitions, /tiles/tile returns one, and
 * /tiles/tile-data computes a tile from the in-memory feed copy for a
 * period (last_24_hours or last_7_days; last_7_days when none is given).
 * Nothing here ever downloads: the refresh thread alone fetches the feed.
 *
 * The computation takes "now" and the feed copy as parameters
 * (tiles_data_json()), so tests pin the clock; the module hooks call it with
 * the real clock and the current copy.
 *
 * Ownership: every function returning cJSON* hands a new tree to the
 * caller; NULL means out of memory unless an error code says otherwise.
 */
#ifndef TWEETTIOC_TILES_H
#define TWEETTIOC_TILES_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "http/relay_error.h"
#include "http/request.h"
#include "http/response.h"

struct feed_index;

/* Shown when a tile-data request names no period. */
#define TILES_DEFAULT_PERIOD "last_7_days"
/* Bars of the top-accounts and top-hashtags charts. */
#define TILES_TOP_N 10

/* The array of all tile definitions ({id, type, title, description,
 * short_description, periods, default_period, tags}). NULL when out of memory. */
cJSON *tiles_definitions(void);

/* Offers last_30_days, last_60_days and last_90_days only when the
 * retained history reaches back that far (TWEETTIOC_RETENTION_DAYS >= 30,
 * the default, >= 60, >= 90). */
void tiles_set_retention_days(long days);

/* The definition of `tile_id` into *out. RELAY_ERR_INVALID_ARGUMENT (with
 * a message in err) for an unknown id, RELAY_ERR_INTERNAL when out of memory. */
enum relay_err tiles_definition(const char *tile_id, cJSON **out, char *err, size_t errlen);

/* Checks that `tile_id` exists and lists `period` (NULL = the default).
 * RELAY_OK or RELAY_ERR_INVALID_ARGUMENT with a message in err. */
enum relay_err tiles_check(const char *tile_id, const char *period, char *err, size_t errlen);

/* The tile data of `tile_id` for `period` (NULL = the default) at time
 * `now` (epoch seconds) over the feed copy `index`: valid_time from now to
 * now + refresh_seconds, observed_time the period, cache_scope "org", and
 * the fields of the tile's type. RELAY_ERR_INVALID_ARGUMENT for an unknown
 * tile or period (message in err), RELAY_ERR_INTERNAL when out of memory;
 * *out is NULL on any failure. */
enum relay_err tiles_data_json(const struct feed_index *index, const char *tile_id,
			       const char *period, double now, double refresh_seconds, cJSON **out,
			       char *err, size_t errlen);

/* Module hooks (struct relay_module). tile_data answers `service
 * unavailable` while no feed copy is loaded. */
void tweettioc_tiles(const struct relay_request *req, struct relay_response *res);
void tweettioc_tile(const struct relay_request *req, const char *tile_id,
		    struct relay_response *res);
void tweettioc_tile_data(const struct relay_request *req, const char *tile_id, const char *period,
			 struct relay_response *res);

#endif
