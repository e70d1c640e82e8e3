/* module_type.c: the Cisco XDR module type texts of the tweetfeed module.
 *
 * `securex-relay module-type tweetfeed` builds the module type from these
 * (cli/module_type.c); deploy/securex/tweetfeed.module_type.json is that
 * command's output. The logo is the SVG of deploy/securex/logos/tweetfeed.svg,
 * byte for byte (a test compares them).
 */
#include "module_type.h"

#include <stddef.h>

static const struct module_type_link tweetfeed_links[] = {
	{"TweetFeed", "https://tweetfeed.live/"},
	{NULL, NULL},
};

const struct module_type_info tweetfeed_module_type = {
	.title = "TweetFeed",
	.default_name = "TweetFeed",
	.short_description = "Indicators of compromise the security community posts on Twitter/X, "
			     "collected by TweetFeed (tweetfeed.live).",
	.description = "**TweetFeed** ([tweetfeed.live](https://tweetfeed.live/)) collects the "
		       "IOCs security researchers post on Twitter/X: URLs, domains, IP "
		       "addresses, MD5 and SHA256 hashes, with the account, its tags and the "
		       "tweet.\n\nThis relay module keeps TweetFeed's week (and up to 30 days "
		       "of history) in memory and answers from it, and asks TweetFeed's "
		       "365-day lookup about observables the kept window does not know.\n\n* "
		       "**Enrichment**: for an observable in the kept window, one *Sighting* "
		       "per tweet (account, tags, the IOCs of the tweet, link) and a "
		       "*Suspicious* judgement and verdict; for an older one TweetFeed still "
		       "knows, a *Seen on TweetFeed (365 days)* sighting with how often and "
		       "when. Matching is exact on the refanged value, never a substring.\n* "
		       "**Refer**: a link to the newest tweet that names the observable.\n* "
		       "**Dashboard tiles**: a summary (tweets, distinct IOCs, accounts, IOCs "
		       "per type), the share of IOC types, tweets per day by IOC type, the top "
		       "accounts and the top tags, for the last 24 hours, 7 days or 30 "
		       "days.\n\nSupported observable types: `ip`, `ipv6`, `domain`, `url`, "
		       "`md5`, `sha256`.",
	.tips = "Before adding the TweetFeed integration, the relay (securex-relay) "
		"must run with the `tweetfeed` module enabled at the URL this module "
		"type names, reachable from Cisco XDR over HTTPS.\n\n1. In Cisco XDR, "
		"open **Administration > Integrations**, find **TweetFeed** among the "
		"available integrations and click **Add**.\n2. Complete the **Add New "
		"TweetFeed Integration Module** form:\n   - **Integration Module Name** "
		"- Leave the default name or enter a name that is meaningful to you.\n  "
		" - **Entities Limit** - Optionally, the most sightings per observable "
		"(1 to 1000; the relay's default, 100, when left empty).\n3. Click "
		"**Save**. The module's health check turns green once the relay has "
		"loaded TweetFeed's week.\n4. To add the tiles, open **Control Center** "
		"(SecureX: **Dashboard**), choose **New Dashboard** or **Customize**, "
		"and pick the TweetFeed tiles.",
	.logo_svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\"><rect "
		    "width=\"64\" height=\"64\" rx=\"12\" fill=\"#123d2e\"/><path d=\"M12 "
		    "38c10 6 26 4 32-10l6-4-6 1c-2-5-9-6-12-2l-1 4c-7 0-13-3-17-8-2 5 0 10 "
		    "4 12-2 0-3 0-4-1 0 5 3 8 7 9-2 1-4 1-5 0 1 3 4 5 8 5-4 3-8 4-12 4z\" "
		    "fill=\"#8ee6b8\"/><path d=\"M40 44h16M40 50h16M40 56h10\" "
		    "stroke=\"#f5d76e\" stroke-width=\"3\" stroke-linecap=\"round\"/></svg>",
	.links = tweetfeed_links,
	.fields = NULL,
	.health = "Healthcheck: ok only while the relay holds a fresh copy of TweetFeed's week",
	.deliberate = "Verdicts for observables posted as IOCs",
	.observe = "Sightings, judgements and verdicts from the tweets that name an "
		   "observable, and TweetFeed's 365-day lookup",
	.refer = "A link to the newest tweet that names the observable",
	.tiles = "Dashboard tiles: summary, IOC types, tweets per day, top accounts, top tags",
};
