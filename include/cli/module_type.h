/* module_type.h: the Cisco XDR module type of one module of this relay.
 *
 * Built from the module's texts (module_type.h at the top of include/) and
 * its hooks: a capability and its supported APIs are offered only when the
 * hook that answers them is non-NULL. The result validates against the
 * module maker's schema (tests/schemas/module_type.schema.json); see
 * docs/registering-in-xdr.md.
 */
#ifndef CLI_MODULE_TYPE_H
#define CLI_MODULE_TYPE_H

#include <cjson/cJSON.h>

#include "cli/cli.h"

/* The module type of t->module for t->module_url and t->api_host (the
 * custom_jwks_host). A new tree owned by the caller; NULL when out of
 * memory or when the module has no texts (type_info). */
cJSON *module_type_build(const struct cli_target *t);

#endif
