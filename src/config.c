/* config.c: the environment (CONTRACT section 6) into one immutable config.
 *
 * Every variable is validated here, the shared ones by the parsers and the
 * table below and each module's by the settings table it declares; a bad
 * value stops start-up with a message naming the variable, so the relay
 * never runs half-configured.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/settings.h"
#include "module.h"

#define DEFAULT_JWKS_HOSTS \
	"visibility.amp.cisco.com,visibility.eu.amp.cisco.com,visibility.apjc.amp.cisco.com"

/* RELAY_JWT_SECRET in hs256 mode: at least as many bytes as the HMAC-SHA-256
 * output (RFC 7518 3.2), and none of the placeholders the examples ship
 * (deploy/kubernetes/secret.example.yaml, older copies of it). */
#define MIN_JWT_SECRET 32
static const char *const placeholder_secrets[] = {
	"change-me",
	"changeme",
	"REPLACE-with-the-output-of-openssl-rand-hex-32",
};

static const struct relay_config *current_config;

const struct relay_config *config_get(void)
{
	return current_config;
}

void config_set(const struct relay_config *cfg)
{
	current_config = cfg;
}

static void free_list(char **items, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free(items[i]);
	*n = 0;
}

void config_free(struct relay_config *cfg)
{
	free_list(cfg->modules, &cfg->n_modules);
	free_list(cfg->jwks_hosts, &cfg->n_jwks_hosts);
	free_list(cfg->audiences, &cfg->n_audiences);
	free(cfg->jwt_secret);
	free(cfg->ca_file);
	free(cfg->public_url);
	free(cfg->state_dir);
	const struct relay_module *const *all = modules_all();
	for (size_t i = 0; i < CONFIG_MAX_MODULES && all[i]; i++) {
		settings_free(all[i]->settings, cfg->module_settings[i]);
		free(cfg->module_settings[i]);
	}
	memset(cfg, 0, sizeof(*cfg));
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

long config_parse_entities_limit(const char *text, long fallback)
{
	long v;
	if (settings_parse_long(text, 1, LONG_MAX, &v) != 0)
		return fallback;
	return v;
}

/* Splits a comma list into trimmed, non-empty items. Returns the number of
 * items, or -1 when there are more than `max` or memory runs out. */
static int split_list(const char *text, char **items, size_t max, size_t *n)
{
	*n = 0;
	const char *p = text;
	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *a = p, *b = end;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a) {
			if (*n >= max)
				return -1;
			items[*n] = strndup(a, (size_t)(b - a));
			if (!items[*n])
				return -1;
			(*n)++;
		}
		p = comma ? comma + 1 : end;
	}
	return (int)*n;
}

static char *dup_url(const char *text)
{
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == '/')
		len--;
	return strndup(text, len);
}

static const char *value_or(const char *(*get)(const char *), const char *name, const char *dflt)
{
	const char *v = get(name);
	return (v && *v) ? v : dflt;
}

static int load_modules(struct relay_config *cfg, const char *(*get)(const char *), char *err,
			size_t errlen)
{
	const char *v = value_or(get, "RELAY_MODULES", "tweettioc");
	if (split_list(v, cfg->modules, CONFIG_MAX_MODULES, &cfg->n_modules) <= 0)
		return fail(err, errlen,
			    "RELAY_MODULES: expected a comma list of modules, got \"%.64s\"", v);
	for (size_t i = 0; i < cfg->n_modules; i++) {
		if (!modules_find(cfg->modules[i], strlen(cfg->modules[i])))
			return fail(err, errlen, "RELAY_MODULES: unknown module \"%.64s\"",
				    cfg->modules[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->modules[i], cfg->modules[j]) == 0)
				return fail(err, errlen,
					    "RELAY_MODULES: module \"%.64s\" listed twice",
					    cfg->modules[i]);
	}
	return 0;
}

static int load_auth(struct relay_config *cfg, const char *(*get)(const char *), char *err,
		     size_t errlen)
{
	const char *mode = value_or(get, "RELAY_AUTH", "jwt");
	if (strcmp(mode, "jwt") == 0)
		cfg->auth_mode = AUTH_MODE_JWT;
	else if (strcmp(mode, "hs256") == 0)
		cfg->auth_mode = AUTH_MODE_HS256;
	else if (strcmp(mode, "none") == 0)
		cfg->auth_mode = AUTH_MODE_NONE;
	else
		return fail(err, errlen, "RELAY_AUTH: expected jwt, hs256 or none, got \"%.64s\"",
			    mode);

	const char *hosts = value_or(get, "RELAY_JWKS_HOSTS", DEFAULT_JWKS_HOSTS);
	if (split_list(hosts, cfg->jwks_hosts, CONFIG_MAX_LIST, &cfg->n_jwks_hosts) <= 0)
		return fail(err, errlen, "RELAY_JWKS_HOSTS: expected a comma list of hosts");
	for (size_t i = 0; i < cfg->n_jwks_hosts; i++)
		if (strpbrk(cfg->jwks_hosts[i], "/?#@\\ \t"))
			return fail(err, errlen,
				    "RELAY_JWKS_HOSTS: \"%.64s\" is not a host or host:port",
				    cfg->jwks_hosts[i]);

	const char *secret = get("RELAY_JWT_SECRET");
	if (secret && *secret && !(cfg->jwt_secret = strdup(secret)))
		return fail(err, errlen, "out of memory");
	if (cfg->auth_mode == AUTH_MODE_HS256 && !cfg->jwt_secret)
		return fail(err, errlen, "RELAY_JWT_SECRET: required when RELAY_AUTH=hs256");
	if (cfg->auth_mode == AUTH_MODE_HS256) {
		/* The messages never repeat the secret. */
		for (size_t i = 0; i < sizeof(placeholder_secrets) / sizeof(placeholder_secrets[0]);
		     i++)
			if (strcasecmp(cfg->jwt_secret, placeholder_secrets[i]) == 0)
				return fail(err, errlen,
					    "RELAY_JWT_SECRET: the example's placeholder, not a "
					    "secret; make one with `openssl rand -hex 32`");
		if (strlen(cfg->jwt_secret) < MIN_JWT_SECRET)
			return fail(err, errlen,
				    "RELAY_JWT_SECRET: shorter than %d bytes; make one with "
				    "`openssl rand -hex 32`",
				    MIN_JWT_SECRET);
	}

	const char *aud = get("RELAY_AUDIENCE");
	if (aud && *aud && split_list(aud, cfg->audiences, CONFIG_MAX_LIST, &cfg->n_audiences) < 0)
		return fail(err, errlen, "RELAY_AUDIENCE: at most %d values", CONFIG_MAX_LIST);

	const char *pub = get("RELAY_PUBLIC_URL");
	if (pub && *pub) {
		if (!(cfg->public_url = dup_url(pub)))
			return fail(err, errlen, "out of memory");
		/* Checked without its trailing slashes: "https:///" is no base URL. */
		if (!settings_url_ok(cfg->public_url) || strpbrk(pub, "?# \t") ||
		    strlen(cfg->public_url) > CONFIG_MAX_PUBLIC_URL)
			return fail(
				err, errlen,
				"RELAY_PUBLIC_URL: expected an http:// or https:// base URL, got "
				"\"%.64s\"",
				pub);
	}

	const char *ca = get("RELAY_CA_FILE");
	if (ca && *ca && !(cfg->ca_file = strdup(ca)))
		return fail(err, errlen, "out of memory");
	return 0;
}

/* RELAY_STATE_DIR, else the first entry of systemd's $STATE_DIRECTORY (a
 * colon list), else /var/lib/securex-relay. Whether it can be written is
 * decided later by the snapshot code, which falls back to memory-only. */
static int load_state_dir(struct relay_config *cfg, const char *(*get)(const char *), char *err,
			  size_t errlen)
{
	const char *v = get("RELAY_STATE_DIR");
	size_t len;
	if (v && *v) {
		len = strlen(v);
	} else if ((v = get("STATE_DIRECTORY")) && *v) {
		len = strcspn(v, ":");
	} else {
		v = "/var/lib/securex-relay";
		len = strlen(v);
	}
	if (len == 0 || v[0] != '/')
		return fail(err, errlen,
			    "RELAY_STATE_DIR: expected an absolute path, got \"%.64s\"", v);
	while (len > 1 && v[len - 1] == '/')
		len--;
	if (!(cfg->state_dir = strndup(v, len)))
		return fail(err, errlen, "out of memory");
	return 0;
}

/* The shared numeric settings; the other RELAY_* variables have parsers of
 * their own above. Modules declare theirs in src/modules/<module>/settings.c. */
static const struct setting core_items[] = {
	SETTING_SIZE("RELAY_MAX_BODY", struct relay_config, max_body, 1048576, 1, 1L << 30),
	SETTING_LONG("RELAY_UPSTREAM_TIMEOUT_MS", struct relay_config, upstream_timeout_ms, 10000,
		     1, 600000),
	SETTING_LONG("RELAY_REQUEST_DEADLINE_MS", struct relay_config, request_deadline_ms, 20000,
		     100, 600000),
	SETTING_SIZE("RELAY_MAX_ANSWER_BYTES", struct relay_config, max_answer_bytes, 8388608, 4096,
		     1L << 31),
};
static const struct settings_table core_settings = {
	core_items, sizeof(core_items) / sizeof(core_items[0]), sizeof(struct relay_config)};

/* Each compiled module's settings table into a block of its own (also for
 * modules RELAY_MODULES leaves out: a bad value is refused either way). */
static int load_module_settings(struct relay_config *cfg, const char *(*get)(const char *),
				char *err, size_t errlen)
{
	const struct relay_module *const *all = modules_all();
	for (size_t i = 0; all[i]; i++) {
		const struct settings_table *t = all[i]->settings;
		if (!t)
			continue;
		if (i >= CONFIG_MAX_MODULES)
			return fail(err, errlen, "more than %d modules compiled in",
				    CONFIG_MAX_MODULES);
		if (!(cfg->module_settings[i] = calloc(1, t->size)))
			return fail(err, errlen, "out of memory");
		if (settings_load(t, cfg->module_settings[i], get, err, errlen) != 0)
			return -1;
	}
	return 0;
}

const void *config_module_settings(const struct relay_config *cfg,
				   const struct settings_table *table)
{
	const struct relay_module *const *all = modules_all();
	for (size_t i = 0; cfg && table && i < CONFIG_MAX_MODULES && all[i]; i++)
		if (all[i]->settings == table)
			return cfg->module_settings[i];
	return NULL;
}

int config_load(struct relay_config *cfg, const char *(*get)(const char *name), char *err,
		size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	if (load_modules(cfg, get, err, errlen) || load_auth(cfg, get, err, errlen))
		goto failed;
	if (settings_load(&core_settings, cfg, get, err, errlen))
		goto failed;
	/* CONTRACT 4: an invalid or <= 0 CTR_ENTITIES_LIMIT means the default,
	 * which is the one variable that does not stop start-up. */
	cfg->entities_limit = config_parse_entities_limit(get("CTR_ENTITIES_LIMIT"), 100);
	if (load_state_dir(cfg, get, err, errlen) || load_module_settings(cfg, get, err, errlen))
		goto failed;
	/* CONTRACT 3.4 step 5: in jwt mode the audience is what binds a token to
	 * this relay (every SecureX tenant gets tokens signed by the same keys,
	 * for any aud it likes), so it must come from here, never from the
	 * request. hs256 tokens are already bound by the relay's own secret:
	 * without either variable their aud is not checked (auth.c). Checked
	 * last, so a malformed variable is named first. */
	if (cfg->auth_mode == AUTH_MODE_JWT && cfg->n_audiences == 0 && !cfg->public_url) {
		fail(err, errlen,
		     "RELAY_AUDIENCE or RELAY_PUBLIC_URL: one is required when RELAY_AUTH=jwt "
		     "(the accepted token audiences, e.g. "
		     "RELAY_PUBLIC_URL=https://relay.example.com)");
		goto failed;
	}
	return 0;
failed:
	config_free(cfg);
	return -1;
}
