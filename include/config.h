/* config.h: the environment, read once at start-up into one immutable struct.
 *
 * config_load() validates every variable of CONTRACT section 6: the shared
 * ones (RELAY_*, CTR_ENTITIES_LIMIT) here, and each compiled module's own
 * through the settings table the module declares (struct relay_module,
 * lib/settings.h). A bad value is refused with a message that names the
 * variable; the relay never starts half-configured. After start-up the
 * struct is only read.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_MODULES 8
#define CONFIG_MAX_LIST 16
#define CONFIG_MAX_PUBLIC_URL 1024 /* longest RELAY_PUBLIC_URL */

enum config_auth_mode { AUTH_MODE_JWT, AUTH_MODE_HS256, AUTH_MODE_NONE, AUTH_MODE__MAX };

struct relay_config {
	/* RELAY_MODULES, in the order given; modules[0] answers bare paths. */
	char *modules[CONFIG_MAX_MODULES];
	size_t n_modules;

	enum config_auth_mode auth_mode;   /* RELAY_AUTH */
	char *jwks_hosts[CONFIG_MAX_LIST]; /* RELAY_JWKS_HOSTS */
	size_t n_jwks_hosts;
	char *jwt_secret;		  /* RELAY_JWT_SECRET, may be NULL */
	char *audiences[CONFIG_MAX_LIST]; /* RELAY_AUDIENCE */
	size_t n_audiences;
	char *public_url; /* RELAY_PUBLIC_URL, no trailing slash, may be NULL */
	char *ca_file;	  /* RELAY_CA_FILE, NULL = system */

	size_t max_body;	  /* RELAY_MAX_BODY */
	long upstream_timeout_ms; /* RELAY_UPSTREAM_TIMEOUT_MS */
	long entities_limit;	  /* CTR_ENTITIES_LIMIT */
	long request_deadline_ms; /* RELAY_REQUEST_DEADLINE_MS */
	size_t max_answer_bytes;  /* RELAY_MAX_ANSWER_BYTES */
	char *state_dir; /* RELAY_STATE_DIR, else $STATE_DIRECTORY, else /var/lib/securex-relay */

	/* Each compiled module's own settings (its settings table), in
	 * modules_all() order: see config_module_settings(). */
	void *module_settings[CONFIG_MAX_MODULES];
};

/* Reads the environment through `get` (getenv in production, a table in
 * tests) into `cfg`. Returns 0 on success. On failure returns -1, writes a
 * one-line message naming the variable into `err` (size `errlen`) and leaves
 * `cfg` freed. */
int config_load(struct relay_config *cfg, const char *(*get)(const char *name), char *err,
		size_t errlen);

/* Frees what config_load allocated. Safe on a zeroed struct. */
void config_free(struct relay_config *cfg);

/* The process-wide config set by main after config_load; NULL before. */
const struct relay_config *config_get(void);
void config_set(const struct relay_config *cfg);

struct settings_table;

/* The settings block config_load() filled for the module whose settings
 * table is `table` (cast it to the module's own struct), or NULL when `cfg`
 * is NULL or was not filled by config_load() (a zeroed struct in a test). */
const void *config_module_settings(const struct relay_config *cfg,
				   const struct settings_table *table);

/* Parses a CTR_ENTITIES_LIMIT value (from the environment or a JWT claim):
 * a positive decimal integer. Returns `fallback` for anything else. */
long config_parse_entities_limit(const char *text, long fallback);

#endif
