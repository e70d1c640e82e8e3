/* cli.c: the operator commands: dispatch, and the MODULE / --url / --region arguments.
 *
 * BASE_URL is the relay's public base URL, the value RELAY_PUBLIC_URL has
 * on the relay: the module answers at BASE_URL/MODULE, and that is also
 * the audience of the tokens XDR signs for it. XDR calls modules over
 * HTTPS, so the URL must be https; it is held to the same strict URI rules
 * as every URI the relay emits (ctim/uri.h), since it lands in the module
 * type's Markdown tips.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <string.h>
#include <strings.h>

#include "ctim/uri.h"
#include "module.h"

static const struct {
	const char *name, *api_host;
} regions[] = {
	{"us", "visibility.amp.cisco.com"},
	{"eu", "visibility.eu.amp.cisco.com"},
	{"apjc", "visibility.apjc.amp.cisco.com"},
};

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"module-type", cli_module_type},
	{"register", cli_register},
};

int cli_is_command(const char *arg)
{
	for (size_t i = 0; arg && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(arg, commands[i].name) == 0)
			return 1;
	return 0;
}

int cli_main(int argc, char **argv)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (argc > 0 && strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(argc, argv);
	return 2;
}

void cli_usage(FILE *out)
{
	fputs("       securex-relay module-type MODULE --url BASE_URL [--region us|eu|apjc]\n"
	      "       securex-relay register MODULE --url BASE_URL --region us|eu|apjc\n",
	      out);
}

static void command_usage(const char *cmd, FILE *out)
{
	if (strcmp(cmd, "register") == 0)
		fputs("Usage: securex-relay register MODULE --url BASE_URL --region us|eu|apjc\n"
		      "\n"
		      "Creates the Cisco XDR module type of MODULE for the relay at BASE_URL in\n"
		      "your organisation, or updates the one with the same title. The API\n"
		      "client comes from the environment: XDR_CLIENT_ID and XDR_CLIENT_SECRET\n"
		      "(Cisco XDR: Administration > API Clients). XDR_API_URL replaces\n"
		      "https://visibility[.<region>].amp.cisco.com; RELAY_CA_FILE is the CA\n"
		      "bundle, RELAY_UPSTREAM_TIMEOUT_MS the timeout of each call.\n",
		      out);
	else
		fputs("Usage: securex-relay module-type MODULE --url BASE_URL [--region "
		      "us|eu|apjc]\n"
		      "\n"
		      "Prints the Cisco XDR module type (JSON) of MODULE for the relay at\n"
		      "BASE_URL (RELAY_PUBLIC_URL on the relay): url and audience "
		      "BASE_URL/MODULE,\n"
		      "tokens verified with the keys of the region's visibility host (default "
		      "us).\n",
		      out);
}

static int bad(const char *cmd, int *status, const char *what)
{
	fprintf(stderr, "securex-relay %s: %s\n", cmd, what);
	*status = 2;
	return -1;
}

/* Fills t->base_url and t->module_url from `url`, or says what is wrong. */
static int set_url(const char *cmd, const char *url, struct cli_target *t, int *status)
{
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	char line[CLI_URL_MAX + 256];
	if (n > CLI_URL_MAX) {
		snprintf(line, sizeof(line), "--url: longer than %d characters", CLI_URL_MAX);
		return bad(cmd, status, line);
	}
	memcpy(t->base_url, url, n);
	t->base_url[n] = '\0';
	snprintf(t->module_url, sizeof(t->module_url), "%s/%s", t->base_url, t->module->id);
	if (strncasecmp(t->base_url, "https://", 8) != 0 || strpbrk(t->base_url, "?#") ||
	    !uri_valid_http(t->module_url)) {
		snprintf(line, sizeof(line),
			 "--url: expected the relay's public https base URL (RELAY_PUBLIC_URL), "
			 "e.g. https://relay.example.com, got \"%.200s\"",
			 url);
		return bad(cmd, status, line);
	}
	return 0;
}

int cli_parse_target(const char *cmd, int argc, char **argv, int region_required,
		     struct cli_target *t, int *status)
{
	static const struct option options[] = {
		{"url", required_argument, NULL, 'u'},
		{"region", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *url = NULL, *region = NULL, *module = NULL;
	char line[512];
	int opt;
	memset(t, 0, sizeof(*t));
	opterr = 0;
	optind = 0; /* GNU getopt: start afresh (main may have run it) */
	while ((opt = getopt_long(argc, argv, "+:u:r:h", options, NULL)) != -1 || optind < argc) {
		if (opt == -1) { /* a positional argument: the module */
			if (module) {
				snprintf(line, sizeof(line), "unexpected argument \"%.100s\"",
					 argv[optind]);
				return bad(cmd, status, line);
			}
			module = argv[optind++];
			continue;
		}
		switch (opt) {
		case 'u': url = optarg; break;
		case 'r': region = optarg; break;
		case 'h':
			command_usage(cmd, stdout);
			*status = 0;
			return -1;
		case ':':
			snprintf(line, sizeof(line), "%.100s needs a value", argv[optind - 1]);
			return bad(cmd, status, line);
		default:
			snprintf(line, sizeof(line),
				 "unknown option \"%.100s\" (--help lists them)", argv[optind - 1]);
			return bad(cmd, status, line);
		}
	}
	if (!module)
		return bad(cmd, status,
			   "which module? e.g. securex-relay module-type tweettioc --url "
			   "https://relay.example.com");
	if (!(t->module = modules_find(module, strlen(module)))) {
		size_t o = 0;
		o += (size_t)snprintf(line, sizeof(line),
				      "unknown module \"%.64s\"; this relay has", module);
		for (const struct relay_module *const *m = modules_all(); *m && o < sizeof(line);
		     m++)
			o += (size_t)snprintf(line + o, sizeof(line) - o, " %s", (*m)->id);
		return bad(cmd, status, line);
	}
	if (!url)
		return bad(
			cmd, status,
			"--url is missing: the relay's public https base URL (RELAY_PUBLIC_URL), "
			"e.g. --url https://relay.example.com");
	if (set_url(cmd, url, t, status) != 0)
		return -1;
	if (!region && region_required)
		return bad(cmd, status,
			   "--region is missing: us, eu or apjc, the region of your Cisco XDR "
			   "organisation");
	if (!region)
		region = "us";
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		if (strcmp(region, regions[i].name) == 0) {
			t->region = regions[i].name;
			t->api_host = regions[i].api_host;
		}
	if (!t->region) {
		snprintf(line, sizeof(line),
			 "--region: expected us, eu or apjc (the region of your Cisco XDR "
			 "organisation), got \"%.64s\"",
			 region);
		return bad(cmd, status, line);
	}
	return 0;
}
