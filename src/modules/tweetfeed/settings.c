/* settings.c: the tweetfeed module's variables, defaults and bounds
 * (docs/configuration.md). */
#include "modules/tweetfeed/settings.h"

#include "config.h"

static const struct setting items[] = {
	SETTING_URL("TWEETFEED_URL", struct tweetfeed_settings, url, "https://api.tweetfeed.live"),
	SETTING_LONG("TWEETFEED_REFRESH_SECONDS", struct tweetfeed_settings, refresh_seconds, 900,
		     1, 86400 * 7),
	SETTING_LONG("TWEETFEED_FULL_REFRESH_SECONDS", struct tweetfeed_settings,
		     full_refresh_seconds, 86400, 60, 86400 * 30),
	SETTING_LONG("TWEETFEED_RETENTION_DAYS", struct tweetfeed_settings, retention_days, 30, 1,
		     3650),
	SETTING_SIZE("TWEETFEED_MAX_BYTES", struct tweetfeed_settings, max_bytes, 67108864, 1024,
		     1L << 32),
	SETTING_BOOL("TWEETFEED_LOOKUP", struct tweetfeed_settings, lookup, 1),
	SETTING_LONG("TWEETFEED_MAX_LOOKUPS", struct tweetfeed_settings, max_lookups, 50, 1,
		     100000),
	SETTING_LONG("TWEETFEED_CACHE_SECONDS", struct tweetfeed_settings, cache_seconds, 3600, 0,
		     86400 * 30),
};

const struct settings_table tweetfeed_settings_table = {items, sizeof(items) / sizeof(items[0]),
							sizeof(struct tweetfeed_settings)};

const struct tweetfeed_settings *tweetfeed_settings(const struct relay_config *cfg)
{
	return config_module_settings(cfg, &tweetfeed_settings_table);
}
