/* module_type.c: the Cisco XDR module type texts of the cybercrime module.
 *
 * `securex-relay module-type cybercrime` builds the module type from these
 * (cli/module_type.c); deploy/securex/cybercrime.module_type.json is that
 * command's output. The title is not that of Cisco's own hosted
 * "CyberCrime Tracker" module, which a tenant may also have. The logo is
 * the SVG of deploy/securex/logos/cybercrime.svg, byte for byte (a test
 * compares them).
 */
#include "module_type.h"

#include <stddef.h>

static const struct module_type_link cybercrime_links[] = {
	{"CyberCrime Tracker", "http://cybercrime-tracker.net/"},
	{"About", "http://cybercrime-tracker.net/about.php"},
	{"Stats", "http://cybercrime-tracker.net/stats.php"},
	{NULL, NULL},
};

const struct module_type_info cybercrime_module_type = {
	.title = "CyberCrime Tracker lookups (securex-relay)",
	.default_name = "CyberCrime Tracker via securex-relay",
	.short_description = "Malware command-and-control panels (IPs and URLs) listed by "
			     "CyberCrime Tracker (cybercrime-tracker.net).",
	.description =
		"**CyberCrime Tracker** ([cybercrime-tracker.net](http://cybercrime-tracker.net/)) "
		"lists the command-and-control panels of malware families (Keitaro, Azorult, Pony, "
		"Lokibot and many more) by IP address and URL.\n\n"
		"This relay module asks CyberCrime Tracker about each IP and URL of an "
		"investigation, all of them at once, and keeps the answers for a while "
		"(`CYBERCRIME_CACHE_SECONDS` on the relay, one hour by default) so repeated "
		"investigations do not ask again.\n\n"
		"* **Enrichment**: for an observable CyberCrime Tracker lists as *Malicious: "
		"<family>*, a *Malicious* verdict and (observe) the judgement behind it, valid for "
		"7 "
		"days, with the family as the reason and a link to the CyberCrime Tracker search, "
		"and the family as an *Indicator* the judgement is based on: one indicator per "
		"family, with the same id in every investigation, so observables of one family "
		"meet "
		"in one node of the graph. Any other answer produces nothing. URLs are looked up "
		"without their scheme, as CyberCrime Tracker records them, and reported exactly as "
		"Cisco XDR sent them.\n"
		"* **Refer**: a link to search CyberCrime Tracker for the observable.\n\n"
		"Supported observable types: `ip`, `url`.",
	.tips = "Before adding the CyberCrime Tracker integration, the relay (securex-relay) must "
		"run with the `cybercrime` module enabled (`RELAY_MODULES=cybercrime`, or "
		"`tweettioc,cybercrime` next to the Twitter IOC Hunter module) at the URL this "
		"module type names, reachable from Cisco XDR over HTTPS.\n\n"
		"1. In Cisco XDR, open **Administration > Integrations**, find **CyberCrime "
		"Tracker "
		"lookups (securex-relay)** among the available integrations and click **Add**.\n"
		"2. Complete the **Add New CyberCrime Tracker Integration Module** form:\n"
		"   - **Integration Module Name** - Leave the default name or enter a name that is "
		"meaningful to you.\n"
		"   - **Entities Limit** - Optionally, the most entities of each type per "
		"observable (1 to 1000; the relay's default, 100, when left empty).\n"
		"3. Click **Save**. The module's health check asks CyberCrime Tracker one question "
		"and turns green when it answers.",
	.logo_svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">"
		    "<rect width=\"64\" height=\"64\" rx=\"12\" fill=\"#3b1b1b\"/>"
		    "<circle cx=\"30\" cy=\"30\" r=\"14\" fill=\"none\" stroke=\"#ff8a80\" "
		    "stroke-width=\"4\"/>"
		    "<circle cx=\"30\" cy=\"30\" r=\"5\" fill=\"#ff8a80\"/>"
		    "<path d=\"M30 10v8m0 24v8m-20-20h8m24 0h8\" stroke=\"#ff8a80\" "
		    "stroke-width=\"3\"/>"
		    "<circle cx=\"48\" cy=\"48\" r=\"8\" fill=\"#f5a623\"/>"
		    "<path d=\"M44 48h8m-3-3 3 3-3 3\" stroke=\"#3b1b1b\" stroke-width=\"2\" "
		    "fill=\"none\"/></svg>\n",
	.links = cybercrime_links,
	.fields = NULL,
	.health = "Healthcheck: one live query to CyberCrime Tracker",
	.deliberate = "Malicious verdicts for IPs and URLs CyberCrime Tracker lists",
	.observe = "Malicious judgements and verdicts for IPs and URLs CyberCrime Tracker lists, "
		   "and their malware family as an indicator",
	.refer = "A link to search CyberCrime Tracker for the IP or URL",
};
