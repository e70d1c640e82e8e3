/* settings.h: the threatfox module's environment variables (THREATFOX_*).
 *
 * Owned by src/modules/threatfox/settings.c, which declares them in a
 * table (lib/settings.h); config_load() reads them into a struct
 * threatfox_settings that belongs to the loaded config and is freed with
 * it. THREATFOX_AUTH_KEY is a secret: never printed, never in /metrics.
 */
#ifndef THREATFOX_SETTINGS_H
#define THREATFOX_SETTINGS_H

#include "lib/settings.h"

struct relay_config;

struct threatfox_settings {
	char *url;	    /* THREATFOX_URL, no trailing slash */
	char *auth_key;	    /* THREATFOX_AUTH_KEY, NULL when unset (the token's key claim then) */
	long cache_seconds; /* THREATFOX_CACHE_SECONDS (0: no cache) */
	long max_lookups;   /* THREATFOX_MAX_LOOKUPS */
};

/* The table struct relay_module's `settings` points at. */
extern const struct settings_table threatfox_settings_table;

/* The module's settings in `cfg`, or NULL when cfg is NULL or was not
 * filled by config_load(). */
const struct threatfox_settings *threatfox_settings(const struct relay_config *cfg);

#endif
