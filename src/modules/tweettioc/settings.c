/* settings.c: the tweettioc module's variables, defaults and bounds
 * (docs/configuration.md). */
#include "modules/tweettioc/settings.h"

#include "config.h"

static const struct setting items[] = {
	SETTING_URL("TWEETTIOC_URL", struct tweettioc_settings, url, "http://www.tweettioc.com"),
	SETTING_LONG("TWEETTIOC_REFRESH_SECONDS", struct tweettioc_settings, refresh_seconds, 300,
		     1, 86400 * 7),
	SETTING_SIZE("TWEETTIOC_MAX_BYTES", struct tweettioc_settings, max_bytes, 268435456, 1024,
		     1L << 32),
	SETTING_LONG("TWEETTIOC_RETENTION_DAYS", struct tweettioc_settings, retention_days, 30, 1,
		     3650),
	SETTING_LONG("TWEETTIOC_FULL_REFRESH_SECONDS", struct tweettioc_settings,
		     full_refresh_seconds, 86400, 60, 86400 * 30),
};

const struct settings_table tweettioc_settings_table = {items, sizeof(items) / sizeof(items[0]),
							sizeof(struct tweettioc_settings)};

const struct tweettioc_settings *tweettioc_settings(const struct relay_config *cfg)
{
	return config_module_settings(cfg, &tweettioc_settings_table);
}
