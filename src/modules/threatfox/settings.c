/* settings.c: the threatfox module's variables, defaults and bounds
 * (docs/configuration.md). */
#include "modules/threatfox/settings.h"

#include "config.h"

static const struct setting items[] = {
	SETTING_URL("THREATFOX_URL", struct threatfox_settings, url,
		    "https://threatfox-api.abuse.ch"),
	SETTING_SECRET("THREATFOX_AUTH_KEY", struct threatfox_settings, auth_key),
	SETTING_LONG("THREATFOX_CACHE_SECONDS", struct threatfox_settings, cache_seconds, 3600, 0,
		     86400 * 30),
	SETTING_LONG("THREATFOX_MAX_LOOKUPS", struct threatfox_settings, max_lookups, 100, 1,
		     100000),
};

const struct settings_table threatfox_settings_table = {items, sizeof(items) / sizeof(items[0]),
							sizeof(struct threatfox_settings)};

const struct threatfox_settings *threatfox_settings(const struct relay_config *cfg)
{
	return config_module_settings(cfg, &threatfox_settings_table);
}
