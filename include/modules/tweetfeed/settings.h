/* settings.h: the tweetfeed module's environment variables (TWEETFEED_*).
 *
 * Owned by src/modules/tweetfeed/settings.c, which declares them in a table
 * (lib/settings.h); config_load() reads them into a struct
 * tweetfeed_settings that belongs to the loaded config and is freed with
 * it.
 */
#ifndef TWEETFEED_SETTINGS_H
#define TWEETFEED_SETTINGS_H

#include <stddef.h>

#include "lib/settings.h"

struct relay_config;

struct tweetfeed_settings {
	char *url;		   /* TWEETFEED_URL, no trailing slash */
	long refresh_seconds;	   /* TWEETFEED_REFRESH_SECONDS: /v1/today */
	long full_refresh_seconds; /* TWEETFEED_FULL_REFRESH_SECONDS: /v1/week */
	long retention_days;	   /* TWEETFEED_RETENTION_DAYS */
	size_t max_bytes;	   /* TWEETFEED_MAX_BYTES */
	int lookup;		   /* TWEETFEED_LOOKUP: 1 on, 0 off */
	long max_lookups;	   /* TWEETFEED_MAX_LOOKUPS */
	long cache_seconds;	   /* TWEETFEED_CACHE_SECONDS */
};

/* The table struct relay_module's `settings` points at. */
extern const struct settings_table tweetfeed_settings_table;

/* The module's settings in `cfg`, or NULL when cfg is NULL or was not
 * filled by config_load(). */
const struct tweetfeed_settings *tweetfeed_settings(const struct relay_config *cfg);

#endif
