/* settings.h: the cybercrime module's environment variables (CYBERCRIME_*).
 *
 * Owned by src/modules/cybercrime/settings.c, which declares them in a
 * table (lib/settings.h); config_load() reads them into a struct
 * cybercrime_settings that belongs to the loaded config and is freed with
 * it.
 */
#ifndef CYBERCRIME_SETTINGS_H
#define CYBERCRIME_SETTINGS_H

#include "lib/settings.h"

struct relay_config;

struct cybercrime_settings {
	char *url;	    /* CYBERCRIME_URL, no trailing slash */
	long cache_seconds; /* CYBERCRIME_CACHE_SECONDS (0: no cache) */
	long max_lookups;   /* CYBERCRIME_MAX_LOOKUPS */
};

/* The table struct relay_module's `settings` points at. */
extern const struct settings_table cybercrime_settings_table;

/* The module's settings in `cfg`, or NULL when cfg is NULL or was not
 * filled by config_load(). */
const struct cybercrime_settings *cybercrime_settings(const struct relay_config *cfg);

#endif
