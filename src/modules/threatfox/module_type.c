/* module_type.c: the Cisco XDR module type texts of the threatfox module.
 *
 * `securex-relay module-type threatfox` builds the module type from these
 * (cli/module_type.c); deploy/securex/threatfox.module_type.json is that
 * command's output. The Auth-Key field arrives in the configuration token
 * as the claim `key` (docs/authentication.md, claims). The logo is the SVG
 * of deploy/securex/logos/threatfox.svg, byte for byte.
 */
#include "module_type.h"

#include <stddef.h>

static const struct module_type_link threatfox_links[] = {
	{"ThreatFox", "https://threatfox.abuse.ch/"},
	{"API", "https://threatfox.abuse.ch/api/"},
	{"Get an Auth-Key", "https://auth.abuse.ch/"},
	{NULL, NULL},
};

static const struct module_type_field threatfox_fields[] = {
	{
		.key = "custom_key",
		.type = "api_key",
		.label = "Auth-Key",
		.tooltip = "Your abuse.ch Auth-Key (free at auth.abuse.ch). The relay sends it "
			   "only to ThreatFox and never logs it.",
		.required = 1,
	},
	{.key = NULL},
};

const struct module_type_info threatfox_module_type = {
	.title = "ThreatFox lookups (securex-relay)",
	.default_name = "ThreatFox via securex-relay",
	.short_description = "IOCs (IPs, domains, URLs, hashes) shared with abuse.ch ThreatFox, "
			     "with their malware family, confidence and reporter.",
	.description =
		"**ThreatFox** ([threatfox.abuse.ch](https://threatfox.abuse.ch/)) is abuse.ch's "
		"platform for sharing indicators of compromise: botnet C2 servers, payload URLs "
		"and malware hashes, each with a malware family, a confidence level and a "
		"reporter.\n\n"
		"This relay module asks ThreatFox about each IP, domain, URL, MD5 and SHA-256 of "
		"an investigation, all of them at once, with your abuse.ch Auth-Key, and keeps "
		"the answers for a while (`THREATFOX_CACHE_SECONDS` on the relay, one hour by "
		"default).\n\n"
		"* **Enrichment**: for an observable ThreatFox reports, a *Malicious* verdict "
		"valid 30 days and (observe) per report a sighting and a judgement with its "
		"confidence, and its malware family as an *Indicator* with the same id in every "
		"investigation.\n"
		"* **Refer**: a link to search ThreatFox for the observable.\n\n"
		"Supported observable types: `ip`, `domain`, `url`, `md5`, `sha256`.",
	.tips = "Before adding the ThreatFox integration, the relay (securex-relay) must run with "
		"the `threatfox` module enabled (`RELAY_MODULES=threatfox`, or next to the other "
		"modules) at the URL this module type names, reachable from Cisco XDR over "
		"HTTPS.\n\n"
		"1. Get a free Auth-Key at https://auth.abuse.ch/.\n"
		"2. In Cisco XDR, open **Administration > Integrations**, find **ThreatFox "
		"lookups (securex-relay)** among the available integrations and click **Add**.\n"
		"3. Complete the **Add New ThreatFox Integration Module** form:\n"
		"   - **Integration Module Name** - Leave the default name or enter a name that is "
		"meaningful to you.\n"
		"   - **Auth-Key** - Your abuse.ch Auth-Key.\n"
		"   - **Entities Limit** - Optionally, the most entities of each type per "
		"observable (1 to 1000; the relay's default, 100, when left empty).\n"
		"4. Click **Save**.",
	.logo_svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\">"
		    "<rect width=\"64\" height=\"64\" rx=\"12\" fill=\"#2b1a0e\"/>"
		    "<path d=\"M14 48 22 14l10 12 10-12 8 34-18-8z\" fill=\"#ff7a1a\"/>"
		    "<circle cx=\"26\" cy=\"32\" r=\"2.5\" fill=\"#2b1a0e\"/>"
		    "<circle cx=\"38\" cy=\"32\" r=\"2.5\" fill=\"#2b1a0e\"/></svg>\n",
	.links = threatfox_links,
	.fields = threatfox_fields,
	.health = "Healthcheck: one live search on ThreatFox with the relay's Auth-Key",
	.deliberate = "Malicious verdicts for IOCs ThreatFox reports",
	.observe = "Sightings and judgements for each ThreatFox report, and the malware family as "
		   "an indicator",
	.refer = "A link to search ThreatFox for the IOC",
};
