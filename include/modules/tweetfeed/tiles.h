/* tiles.h: the tweetfeed dashboard tiles (docs/api.md, module tweetfeed).
 *
 * tweetfeed-summary, -ioc-types, -activity, -top-accounts and -top-tags,
 * computed from the module's in-memory copy for last_24_hours, last_7_days
 * (the default) or last_30_days. tile-data answers `service unavailable`
 * while no copy is loaded, `invalid argument` for an unknown tile or period.
 *
 * Ownership: cJSON trees returned belong to the caller.
 */
#ifndef TWEETFEED_TILES_H
#define TWEETFEED_TILES_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "http/relay_error.h"
#include "http/request.h"
#include "http/response.h"

struct feed_index;

#define TWEETFEED_TILES_DEFAULT_PERIOD "last_7_days"
#define TWEETFEED_TILES_TOP_N 10

/* The tile data at `now` over `index` (tests pin the clock). RELAY_OK with
 * *out, RELAY_ERR_INVALID_ARGUMENT or RELAY_ERR_INTERNAL with err. */
enum relay_err tweetfeed_tiles_data_json(const struct relay_request *req,
					 const struct feed_index *index, const char *tile_id,
					 const char *period, double now, double refresh_seconds,
					 cJSON **out, char *err, size_t errlen);

void tweetfeed_tiles(const struct relay_request *req, struct relay_response *res);
void tweetfeed_tile(const struct relay_request *req, const char *tile_id,
		    struct relay_response *res);
void tweetfeed_tile_data(const struct relay_request *req, const char *tile_id, const char *period,
			 struct relay_response *res);

#endif
