/* settings.h: the tweettioc module's environment variables (TWEETTIOC_*).
 *
 * Owned by src/modules/tweettioc/settings.c, which declares them in a table
 * (lib/settings.h); config_load() reads them into a struct
 * tweettioc_settings that belongs to the loaded config and is freed with
 * it.
 */
#ifndef TWEETTIOC_SETTINGS_H
#define TWEETTIOC_SETTINGS_H

#include <stddef.h>

#include "lib/settings.h"

struct relay_config;

struct tweettioc_settings {
	char *url;		   /* TWEETTIOC_URL, no trailing slash */
	long refresh_seconds;	   /* TWEETTIOC_REFRESH_SECONDS */
	size_t max_bytes;	   /* TWEETTIOC_MAX_BYTES */
	long retention_days;	   /* TWEETTIOC_RETENTION_DAYS */
	long full_refresh_seconds; /* TWEETTIOC_FULL_REFRESH_SECONDS */
};

/* The table struct relay_module's `settings` points at. */
extern const struct settings_table tweettioc_settings_table;

/* The module's settings in `cfg`, or NULL when cfg is NULL or was not
 * filled by config_load(). */
const struct tweettioc_settings *tweettioc_settings(const struct relay_config *cfg);

#endif
