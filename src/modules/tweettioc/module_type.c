/* module_type.c: the Cisco XDR module type texts of the tweettioc module.
 *
 * `securex-relay module-type tweettioc` builds the module type from these
 * (cli/module_type.c); deploy/securex/tweettioc.module_type.json is that
 * command's output. The logo is the SVG of deploy/securex/logos/tweettioc.svg,
 * byte for byte (a test compares them).
 */
#include "module_type.h"

#include <stddef.h>

static const struct module_type_link tweettioc_links[] = {
	{"Twitter IOC Hunter", "https://tweettioc.com/"},
	{NULL, NULL},
};

const struct module_type_info tweettioc_module_type = {
	.title = "Twitter IOC Hunter",
	.default_name = "Twitter IOC Hunter",
	.short_description = "Indicators of compromise the security community shares on Twitter, "
			     "collected by Twitter IOC Hunter (tweettioc.com).",
	.description =
		"**Twitter IOC Hunter** ([tweettioc.com](https://tweettioc.com/)) collects the "
		"tweets in which researchers share indicators of compromise and extracts the IOCs "
		"they name: IP and IPv6 addresses, domains, URLs, MD5, SHA1 and SHA256 hashes and "
		"email addresses.\n\n"
		"This relay module keeps the last seven days of the feed in memory and answers "
		"from "
		"it, so an investigation never waits on the upstream.\n\n"
		"* **Enrichment**: for an observable mentioned in tweets, one *Sighting* per tweet "
		"(account, text, hashtags, link) and a *Suspicious* judgement and verdict. "
		"Matching "
		"is exact on the refanged value (`hxxp`, `[.]` and friends are undone), never a "
		"substring.\n"
		"* **Refer**: a link to search Twitter for tweets that mention the observable and, "
		"when it was tweeted, to the newest tweet.\n"
		"* **Tiles** (Control Center): the newest tweets, a summary (tweets, distinct "
		"IOCs, "
		"accounts, IOCs per type), the share of IOC types, tweets per day by IOC type, the "
		"top accounts and the top hashtags.\n\n"
		"Supported observable types: `ip`, `ipv6`, `domain`, `url`, `md5`, `sha1`, "
		"`sha256`, `email`.",
	.tips = "Before adding the Twitter IOC Hunter integration, the relay (securex-relay) must "
		"run with the `tweettioc` module enabled at the URL this module type names, "
		"reachable from Cisco XDR over HTTPS.\n\n"
		"1. In Cisco XDR, open **Administration > Integrations**, find **Twitter IOC "
		"Hunter** among the available integrations and click **Add**.\n"
		"2. Complete the **Add New Twitter IOC Hunter Integration Module** form:\n"
		"   - **Integration Module Name** - Leave the default name or enter a name that is "
		"meaningful to you.\n"
		"   - **Entities Limit** - Optionally, the most sightings per observable (1 to "
		"1000; the relay's default, 100, when left empty).\n"
		"3. Click **Save**. The module's health check turns green once the relay has "
		"loaded "
		"the feed.\n"
		"4. To add the tiles, open **Control Center** (SecureX: **Dashboard**), choose "
		"**New Dashboard** or **Customize**, and pick the Twitter IOC Hunter tiles. The "
		"tile `twitter_ioc_hunter` is the table of the earlier Python relay, kept for "
		"dashboards that already use it.",
	.logo_svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">"
		    "<rect width=\"64\" height=\"64\" rx=\"12\" fill=\"#1b3a57\"/>"
		    "<path d=\"M14 40c10 6 26 4 32-10l6-4-6 1c-2-5-9-6-12-2l-1 4c-7 0-13-3-17-8-2 "
		    "5 0 10 4 12-2 0-3 0-4-1 0 5 3 8 7 9-2 1-4 1-5 0 1 3 4 5 8 5-4 3-8 4-12 4z\" "
		    "fill=\"#9fd3ff\"/>"
		    "<circle cx=\"48\" cy=\"48\" r=\"8\" fill=\"#f5a623\"/>"
		    "<path d=\"M44 48h8m-3-3 3 3-3 3\" stroke=\"#1b3a57\" stroke-width=\"2\" "
		    "fill=\"none\"/></svg>\n",
	.links = tweettioc_links,
	.fields = NULL,
	.health = "Healthcheck: ok only while the relay holds a fresh copy of the feed",
	.deliberate = "Verdicts for observables tweeted as IOCs",
	.observe = "Sightings, judgements and verdicts from the tweets that name an observable",
	.refer = "Links to search Twitter for the observable and to the newest tweet that names it",
	.tiles = "Tiles: newest tweets, summary, IOC types, tweets per day, top accounts, top "
		 "hashtags",
};
