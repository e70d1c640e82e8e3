/* modules.c: the table of modules compiled into the binary. Add a feed here. */
#include "module.h"

#include <string.h>

extern const struct relay_module tweettioc_module;
extern const struct relay_module cybercrime_module;
extern const struct relay_module tweetfeed_module;
extern const struct relay_module threatfox_module;

static const struct relay_module *const all_modules[] = {
	&tweettioc_module,  /* indexed feed: Twitter IOC Hunter */
	&cybercrime_module, /* on-demand lookups: CyberCrime Tracker */
	&tweetfeed_module,  /* indexed feed: TweetFeed */
	&threatfox_module,  /* on-demand lookups: abuse.ch ThreatFox */
	NULL,
};

const struct relay_module *const *modules_all(void)
{
	return all_modules;
}

const struct relay_module *modules_find(const char *id, size_t len)
{
	for (size_t i = 0; all_modules[i]; i++)
		if (strlen(all_modules[i]->id) == len && memcmp(all_modules[i]->id, id, len) == 0)
			return all_modules[i];
	return NULL;
}
