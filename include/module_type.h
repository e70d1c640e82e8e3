/* module_type.h: what a module says about itself in its Cisco XDR module type.
 *
 * `securex-relay module-type` (cli/module_type.h) builds the module type of
 * one module from this and from the module's hooks: the capabilities and
 * supported APIs are those whose hook is non-NULL, so the module type never
 * offers what the module cannot answer. Each module keeps its texts next to
 * its code (src/modules/<module>/module_type.c).
 *
 * Everything here is static, compiled-in text: the binary never reads
 * deploy/ at run time (deploy/securex/ is generated from it).
 */
#ifndef MODULE_TYPE_H
#define MODULE_TYPE_H

/* One configuration_spec field: XDR shows it in the module's form and signs
 * its value into the configuration token with "custom_" removed (see
 * docs/authentication.md). `type` is one of the module maker's: "string",
 * "password", "api_key", "integer", "boolean", "options", "device". */
struct module_type_field {
	const char *key, *type, *label, *tooltip;
	int required;
};

/* One external reference: a label and an absolute https link. */
struct module_type_link {
	const char *label, *link;
};

struct module_type_info {
	const char *title;	  /* unique in a tenant: `register` updates by title */
	const char *default_name; /* the instance name XDR proposes */
	const char *short_description;
	const char *description; /* Markdown */
	const char *tips;	 /* Markdown: the steps in Cisco XDR's form */
	const char *logo_svg;	 /* the SVG document; emitted as a base64 data URI */
	/* external_references, ended by {NULL, NULL}. */
	const struct module_type_link *links;
	/* This module's own configuration fields (threatfox: custom_key), put
	 * before the custom_CTR_ENTITIES_LIMIT every module has; ended by a
	 * field with a NULL key, or NULL for none. */
	const struct module_type_field *fields;
	/* What each capability does, used only when its hook is non-NULL. */
	const char *health, *deliberate, *observe, *refer, *tiles;
};

#endif
