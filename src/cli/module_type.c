/* module_type.c: `securex-relay module-type`: the Cisco XDR module type of one module.
 *
 * The shape follows Cisco's own relays' module types (e.g.
 * CiscoSecurity/tr-05-serverless-abuseipdb, module_type.json.sample):
 * title, default_name, short_description, description, tips, logo,
 * external_references, configuration_spec, capabilities, and properties
 * with the supported APIs, the url and the configuration-token auth (RS256,
 * an audience, custom_jwks_host). Unlike theirs, the url and the audience
 * are this deployment's, so nothing needs editing before it is pushed.
 */
#include "cli/module_type.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/strbuf.h"
#include "module.h"
#include "module_type.h"

#define LOGO_PREFIX "data:image/svg+xml;base64,"
/* Ceiling of the tips text: the module's steps and the deployment's paragraph. */
#define TIPS_MAX (16 * 1024)

/* Every module's last configuration field (docs/configuration.md). */
static const struct module_type_field entities_limit_field = {
	.key = "custom_CTR_ENTITIES_LIMIT",
	.type = "integer",
	.label = "Entities Limit",
	.tooltip = "The most entities of each type per observable, most recent first: 1 to 1000. "
		   "Empty or invalid: the relay's CTR_ENTITIES_LIMIT (100 unless set).",
	.required = 0,
};

static int add_str(cJSON *o, const char *key, const char *value)
{
	return cJSON_AddStringToObject(o, key, value) != NULL;
}

/* A new string "data:image/svg+xml;base64,<svg>" (free() it), or NULL. */
static char *logo_data_uri(const char *svg)
{
	size_t n = strlen(svg), prefix = strlen(LOGO_PREFIX);
	char *out = malloc(prefix + 4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	memcpy(out, LOGO_PREFIX, prefix);
	EVP_EncodeBlock((unsigned char *)out + prefix, (const unsigned char *)svg, (int)n);
	return out;
}

/* The module's steps, then what the relay must be set to for this URL. */
static char *tips_text(const struct cli_target *t, const struct module_type_info *info)
{
	struct strbuf sb;
	strbuf_init(&sb, TIPS_MAX);
	strbuf_appends(&sb, info->tips);
	strbuf_printf(&sb,
		      "\n\nThis module type was made by `securex-relay module-type` for the relay "
		      "at `%s`. On the relay, `RELAY_PUBLIC_URL` must be `%s` (or `RELAY_AUDIENCE` "
		      "must list `%s`), so that it accepts the tokens Cisco XDR signs for this "
		      "module, and `RELAY_JWKS_HOSTS` must allow `%s` (the default does).",
		      t->module_url, t->base_url, t->module_url, t->api_host);
	char *text = sb.failed ? NULL : strbuf_detach(&sb, NULL);
	strbuf_free(&sb);
	return text;
}

static int add_links(cJSON *o, const struct module_type_link *links)
{
	cJSON *list = cJSON_AddArrayToObject(o, "external_references");
	for (size_t i = 0; list && links && links[i].label; i++) {
		cJSON *l = cJSON_CreateObject();
		if (!l || !cJSON_AddItemToArray(list, l) || !add_str(l, "label", links[i].label) ||
		    !add_str(l, "link", links[i].link))
			return 0;
	}
	return list != NULL;
}

static int add_field(cJSON *list, const struct module_type_field *f)
{
	cJSON *o = cJSON_CreateObject();
	return o && cJSON_AddItemToArray(list, o) && add_str(o, "key", f->key) &&
	       add_str(o, "type", f->type) && add_str(o, "label", f->label) &&
	       add_str(o, "tooltip", f->tooltip) &&
	       cJSON_AddBoolToObject(o, "required", f->required) != NULL;
}

static int add_fields(cJSON *o, const struct module_type_field *fields)
{
	cJSON *list = cJSON_AddArrayToObject(o, "configuration_spec");
	for (size_t i = 0; list && fields && fields[i].key; i++)
		if (!add_field(list, &fields[i]))
			return 0;
	return list && add_field(list, &entities_limit_field);
}

/* The capabilities and properties."supported-apis" lists, from the hooks. */
static int add_capabilities(cJSON *list, cJSON *apis, const struct relay_module *m,
			    const struct module_type_info *info)
{
	const struct {
		int present;
		const char *id, *description;
		const char *api[3];
	} caps[] = {
		{m->health != NULL, "health", info->health, {"health"}},
		{m->deliberate != NULL, "deliberate", info->deliberate, {"deliberate/observables"}},
		{m->observe != NULL, "observe", info->observe, {"observe/observables"}},
		{m->refer != NULL, "refer", info->refer, {"refer/observables"}},
		{m->tiles != NULL,
		 "tiles",
		 info->tiles,
		 {"tiles", m->tile ? "tiles/tile" : NULL, m->tile_data ? "tiles/tile-data" : NULL}},
	};
	if (!list || !apis)
		return 0;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (!caps[i].present)
			continue;
		cJSON *c = cJSON_CreateObject();
		if (!c || !cJSON_AddItemToArray(list, c) || !add_str(c, "id", caps[i].id) ||
		    !add_str(c, "description",
			     caps[i].description ? caps[i].description : caps[i].id))
			return 0;
		for (size_t k = 0; k < 3; k++) {
			cJSON *s = caps[i].api[k] ? cJSON_CreateString(caps[i].api[k]) : NULL;
			if (caps[i].api[k] && (!s || !cJSON_AddItemToArray(apis, s)))
				return 0;
		}
	}
	return 1;
}

cJSON *module_type_build(const struct cli_target *t)
{
	const struct relay_module *m = t->module;
	const struct module_type_info *info = m->type_info;
	if (!info)
		return NULL;
	cJSON *o = cJSON_CreateObject(), *props = NULL;
	char *tips = tips_text(t, info), *logo = logo_data_uri(info->logo_svg);
	/* Every node is added to `o` as it is made: one delete frees all. */
	int ok = o && tips && logo && add_str(o, "title", info->title) &&
		 add_str(o, "default_name", info->default_name) &&
		 add_str(o, "short_description", info->short_description) &&
		 add_str(o, "description", info->description) && add_str(o, "tips", tips) &&
		 add_str(o, "logo", logo) && add_links(o, info->links) &&
		 add_fields(o, info->fields);
	cJSON *caps = ok ? cJSON_AddArrayToObject(o, "capabilities") : NULL;
	ok = ok && (props = cJSON_AddObjectToObject(o, "properties")) &&
	     add_capabilities(caps, cJSON_AddArrayToObject(props, "supported-apis"), m, info) &&
	     add_str(props, "url", t->module_url) &&
	     add_str(props, "auth-type", "configuration-token") &&
	     add_str(props, "configuration-token-alg", "RS256") &&
	     add_str(props, "configuration-token-audience", t->module_url) &&
	     add_str(props, "custom_jwks_host", t->api_host);
	free(tips);
	free(logo);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int cli_module_type(int argc, char **argv)
{
	struct cli_target t;
	int status;
	if (cli_parse_target("module-type", argc, argv, 0, &t, &status) != 0)
		return status;
	cJSON *mt = module_type_build(&t);
	char *text = mt ? cJSON_Print(mt) : NULL;
	cJSON_Delete(mt);
	if (!text) {
		fprintf(stderr, "securex-relay module-type: out of memory\n");
		return 1;
	}
	int failed = fputs(text, stdout) == EOF || fputc('\n', stdout) == EOF || fflush(stdout);
	cJSON_free(text);
	if (failed) {
		fprintf(stderr,
			"securex-relay module-type: cannot write the module type to stdout\n");
		return 1;
	}
	return 0;
}
