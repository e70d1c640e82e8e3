/* settings.c: the cybercrime module's variables, defaults and bounds
 * (docs/configuration.md). */
#include "modules/cybercrime/settings.h"

#include "config.h"

static const struct setting items[] = {
	SETTING_URL("CYBERCRIME_URL", struct cybercrime_settings, url,
		    "http://cybercrime-tracker.net"),
	SETTING_LONG("CYBERCRIME_CACHE_SECONDS", struct cybercrime_settings, cache_seconds, 3600, 0,
		     86400 * 30),
	SETTING_LONG("CYBERCRIME_MAX_LOOKUPS", struct cybercrime_settings, max_lookups, 200, 1,
		     100000),
};

const struct settings_table cybercrime_settings_table = {items, sizeof(items) / sizeof(items[0]),
							 sizeof(struct cybercrime_settings)};

const struct cybercrime_settings *cybercrime_settings(const struct relay_config *cfg)
{
	return config_module_settings(cfg, &cybercrime_settings_table);
}
