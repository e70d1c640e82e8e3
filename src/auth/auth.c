/* auth.c: the authentication step of the request path (CONTRACT 3.4).
 *
 * Reads "Authorization: Bearer <JWT>", then per RELAY_AUTH:
 *   jwt   RS256 configuration token: alg pinned, jwks_host allowlisted,
 *         key from the cached JWKS, signature, exp/nbf, aud required;
 *   hs256 HS256 with RELAY_JWT_SECRET: alg pinned, signature, exp/nbf, aud
 *         required when RELAY_AUDIENCE or RELAY_PUBLIC_URL is set, not
 *         checked otherwise;
 *   none  nothing.
 * Accepted audiences come from configuration only: RELAY_AUDIENCE, or
 * RELAY_PUBLIC_URL + "/<module of this request>"; nothing the caller sends
 * (Host, X-Forwarded-Proto, HTTPS) takes part. A token accepted in full is
 * remembered (token_cache.h) so its signature is checked once; the claims
 * are checked on every call, and in jwt mode a hit counts only while the
 * key that verified the token is still published (jwks_key_current): once
 * a key set download drops the kid, or gives it another key, the token is
 * verified again, and refused as a new token with that kid would be.
 * The unverified token is used for one thing only: choosing the key (the
 * allowlisted jwks_host and the kid). Every failure is RELAY_ERR_AUTH with
 * "Authorization failed: <reason>", the reasons worded as the Python relays
 * word them so SecureX users recognise them.
 */
#include "auth/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/jwks.h"
#include "auth/jwt.h"
#include "auth/token_cache.h"
#include "config.h"
#include "module.h"
#include "http/request.h"

enum auth_reason {
	AUTH_HEADER_MISSING,
	AUTH_WRONG_TYPE,
	AUTH_WRONG_STRUCTURE,
	AUTH_JWKS_HOST_MISSING,
	AUTH_WRONG_JWKS_HOST,
	AUTH_KID_NOT_FOUND,
	AUTH_WRONG_KEY,
	AUTH_WRONG_AUDIENCE,
	AUTH_EXPIRED,
	AUTH_NOT_YET_VALID,
	AUTH_NOT_CONFIGURED,
	AUTH_NOMEM,
	AUTH__MAX
};

/* The first nine are CONTRACT 3.4's, byte for byte; the last three are ours
 * for cases the Python relays do not have a message for. */
static const char *const auth_reasons[AUTH__MAX] = {
	[AUTH_HEADER_MISSING] = "Authorization header is missing",
	[AUTH_WRONG_TYPE] = "Wrong authorization type",
	[AUTH_WRONG_STRUCTURE] = "Wrong JWT structure",
	[AUTH_JWKS_HOST_MISSING] = "jwks_host is missing in JWT payload. Make sure "
				   "custom_jwks_host field is present in module_type",
	[AUTH_WRONG_JWKS_HOST] = "Wrong jwks_host in JWT payload. Make sure domain follows the "
				 "visibility.<region>.cisco.com structure",
	[AUTH_KID_NOT_FOUND] = "kid from JWT header not found in API response",
	[AUTH_WRONG_KEY] = "Failed to decode JWT with provided key. Make sure domain in "
			   "custom_jwks_host corresponds to your SecureX instance region.",
	[AUTH_WRONG_AUDIENCE] = "Wrong configuration-token-audience",
	[AUTH_EXPIRED] = "The JWT has expired",
	[AUTH_NOT_YET_VALID] = "The JWT is not yet valid",
	[AUTH_NOT_CONFIGURED] = "authentication is not configured",
	[AUTH_NOMEM] = "out of memory",
};

/* The longest module URL we build for the aud comparison: the base URL and
 * "/<module id>". */
#define AUTH_MAX_AUDIENCE (CONFIG_MAX_PUBLIC_URL + 64)

/* A verified key's host and kid always fit the token cache's entry. */
_Static_assert(JWKS_MAX_HOST <= TOKEN_KEY_MAX_HOST, "token_key.host too short");
_Static_assert(JWKS_MAX_KID <= TOKEN_KEY_MAX_KID, "token_key.kid too short");

static const struct relay_config *auth_cfg;

int auth_init(const struct relay_config *cfg, char *err, size_t errlen)
{
	if (!cfg) {
		snprintf(err, errlen, "auth: no configuration");
		return -1;
	}
	if (cfg->auth_mode == AUTH_MODE_JWT && jwks_init(cfg, err, errlen) != 0)
		return -1;
	if (cfg->auth_mode == AUTH_MODE_HS256 && (!cfg->jwt_secret || !*cfg->jwt_secret)) {
		snprintf(err, errlen, "RELAY_JWT_SECRET: required when RELAY_AUTH=hs256");
		return -1;
	}
	if (cfg->auth_mode != AUTH_MODE_NONE && token_cache_init(TOKEN_CACHE_CAPACITY) != 0) {
		snprintf(err, errlen, "auth: token cache already initialised");
		jwks_shutdown();
		return -1;
	}
	if (cfg->auth_mode == AUTH_MODE_HS256 && cfg->n_audiences == 0 && !cfg->public_url)
		fprintf(stderr, "securex-relay: RELAY_AUTH=hs256 without RELAY_AUDIENCE or "
				"RELAY_PUBLIC_URL: token aud is not checked\n");
	auth_cfg = cfg;
	return 0;
}

void auth_shutdown(void)
{
	jwks_shutdown();
	token_cache_shutdown();
	auth_cfg = NULL;
}

static time_t monotonic_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* How long a verified token may stay cached: until its exp (without the
 * leeway: after exp it is verified again each time), else the cap. */
static long cache_lifetime(const struct jwt *jwt)
{
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(jwt->payload, "exp");
	if (!cJSON_IsNumber(exp))
		return TOKEN_CACHE_MAX_SECONDS;
	double left = exp->valuedouble - (double)time(NULL);
	if (!(left > 0))
		return 0;
	return left >= TOKEN_CACHE_MAX_SECONDS ? TOKEN_CACHE_MAX_SECONDS : (long)left;
}

static enum relay_err fail(enum auth_reason reason, char *msg, size_t msglen)
{
	if (msg && msglen)
		snprintf(msg, msglen, "Authorization failed: %s", auth_reasons[reason]);
	/* Running out of memory says nothing about the token: a 500, not a
	 * refusal the client would take for a bad token. */
	return reason == AUTH_NOMEM ? RELAY_ERR_INTERNAL : RELAY_ERR_AUTH;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits the header as the Python relays do (`scheme, token = h.split()`):
 * exactly two whitespace-separated words, the first "Bearer" in any case.
 * Returns the reason, or AUTH__MAX with the token and its length. */
static enum auth_reason bearer_token(const char *header, const char **token, size_t *len)
{
	const char *p = header;
	if (!p)
		return AUTH_HEADER_MISSING;
	while (is_space(*p))
		p++;
	if (!*p)
		return AUTH_HEADER_MISSING;

	const char *scheme = p;
	while (*p && !is_space(*p))
		p++;
	size_t scheme_len = (size_t)(p - scheme);
	while (is_space(*p))
		p++;
	const char *tok = p;
	while (*p && !is_space(*p))
		p++;
	size_t tok_len = (size_t)(p - tok);
	while (is_space(*p))
		p++;
	if (*p || tok_len == 0 || scheme_len != 6 || strncasecmp(scheme, "Bearer", 6) != 0)
		return AUTH_WRONG_TYPE;
	*token = tok;
	*len = tok_len;
	return AUTH__MAX;
}

/* Writes "<RELAY_PUBLIC_URL>/<module>" (or the bare base URL for a path
 * naming no module, which modules[0] answers) into buf. Returns 0, or -1
 * without RELAY_PUBLIC_URL or when it does not fit. Only configuration goes
 * in: Host, X-Forwarded-Proto and HTTPS are the caller's to choose. */
static int module_audience(const struct relay_config *cfg, const struct relay_request *req,
			   char *buf, size_t len)
{
	if (!cfg->public_url)
		return -1;
	int named = req->module && req->module_path_len > 0;
	int n = snprintf(buf, len, "%s%s%s", cfg->public_url, named ? "/" : "",
			 named ? req->module->id : "");
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* aud must be one of RELAY_AUDIENCE or this request's module URL under
 * RELAY_PUBLIC_URL (CONTRACT 3.4 step 5). jwt mode cannot start without one
 * of them; in hs256 mode with neither, the relay's own secret is what binds
 * the token and aud is not checked. */
static enum auth_reason check_audience(const struct relay_config *cfg,
				       const struct relay_request *req, const struct jwt *jwt)
{
	if (cfg->n_audiences == 0 && !cfg->public_url)
		return cfg->auth_mode == AUTH_MODE_HS256 ? AUTH__MAX : AUTH_WRONG_AUDIENCE;
	const char *accepted[CONFIG_MAX_LIST + 1];
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_audiences && n < CONFIG_MAX_LIST; i++)
		accepted[n++] = cfg->audiences[i];
	char url[AUTH_MAX_AUDIENCE];
	if (module_audience(cfg, req, url, sizeof(url)) == 0)
		accepted[n++] = url;
	return jwt_check_audience(jwt, accepted, n, 1) == JWT_OK ? AUTH__MAX : AUTH_WRONG_AUDIENCE;
}

static enum auth_reason check_times(const struct jwt *jwt)
{
	switch (jwt_check_times(jwt, time(NULL), JWT_LEEWAY_SECONDS)) {
	case JWT_OK: return AUTH__MAX;
	case JWT_ERR_EXPIRED: return AUTH_EXPIRED;
	case JWT_ERR_NOT_YET_VALID: return AUTH_NOT_YET_VALID;
	default: return AUTH_WRONG_STRUCTURE;
	}
}

/* RS256: everything up to and including the signature. On success `used`
 * names the key that verified it, for the token cache. */
static enum auth_reason verify_rs256(const struct jwt *jwt, struct token_key *used)
{
	/* Pin the algorithm before the key is even looked up: "none", HS256
	 * (the public-key-as-HMAC-secret trick) and the rest never cause a
	 * download. */
	if (strcmp(jwt->alg, "RS256") != 0)
		return AUTH_WRONG_KEY;

	const cJSON *host = cJSON_GetObjectItemCaseSensitive(jwt->payload, "jwks_host");
	if (!host)
		return AUTH_JWKS_HOST_MISSING;
	if (!cJSON_IsString(host) || !host->valuestring || !jwks_host_allowed(host->valuestring))
		return AUTH_WRONG_JWKS_HOST;
	if (!jwt->kid || !*jwt->kid)
		return AUTH_KID_NOT_FOUND;

	EVP_PKEY *key = NULL;
	unsigned long serial = 0;
	switch (jwks_get_key(host->valuestring, jwt->kid, &key, &serial)) {
	case JWKS_OK: break;
	case JWKS_KID_NOT_FOUND: return AUTH_KID_NOT_FOUND;
	case JWKS_NOMEM: return AUTH_NOMEM;
	default: /* refused host, failed download: as the Python relays say it */
		return AUTH_WRONG_JWKS_HOST;
	}
	enum jwt_status st = jwt_verify_rs256(jwt, key);
	EVP_PKEY_free(key);
	if (st == JWT_ERR_NOMEM)
		return AUTH_NOMEM;
	if (st != JWT_OK)
		return AUTH_WRONG_KEY;
	/* Both fit: jwks_get_key() found them within JWKS_MAX_HOST/KID. */
	snprintf(used->host, sizeof(used->host), "%s", host->valuestring);
	snprintf(used->kid, sizeof(used->kid), "%s", jwt->kid);
	used->serial = serial;
	return AUTH__MAX;
}

static enum auth_reason verify_hs256(const struct relay_config *cfg, const struct jwt *jwt)
{
	if (!cfg->jwt_secret || !*cfg->jwt_secret)
		return AUTH_NOT_CONFIGURED;
	enum jwt_status st = jwt_verify_hs256(jwt, (const unsigned char *)cfg->jwt_secret,
					      strlen(cfg->jwt_secret));
	if (st == JWT_ERR_NOMEM)
		return AUTH_NOMEM;
	return st == JWT_OK ? AUTH__MAX : AUTH_WRONG_KEY;
}

/* CTR_ENTITIES_LIMIT claim: a string or an integer number; anything invalid
 * leaves the current value (config_parse_entities_limit's rule). */
static void apply_entities_limit(const struct jwt *jwt, long *entities_limit)
{
	const cJSON *claim = cJSON_GetObjectItemCaseSensitive(jwt->payload, "CTR_ENTITIES_LIMIT");
	if (!claim || !entities_limit)
		return;
	if (cJSON_IsString(claim) && claim->valuestring) {
		*entities_limit = config_parse_entities_limit(claim->valuestring, *entities_limit);
		return;
	}
	if (!cJSON_IsNumber(claim))
		return;
	double v = claim->valuedouble;
	/* Whole numbers only, and small enough to be exact in a double. */
	if (!(v >= 1 && v <= 9007199254740992.0) || v != (double)(long long)v)
		return;
	char text[32];
	snprintf(text, sizeof(text), "%lld", (long long)v);
	*entities_limit = config_parse_entities_limit(text, *entities_limit);
}

enum relay_err auth_check(const struct relay_request *req, long *entities_limit, char *msg,
			  size_t msglen)
{
	const struct relay_config *cfg = req && req->cfg ? req->cfg : auth_cfg;
	if (!cfg)
		return fail(AUTH_NOT_CONFIGURED, msg, msglen);
	if (cfg->auth_mode == AUTH_MODE_NONE)
		return RELAY_OK;
	if (cfg->auth_mode != AUTH_MODE_JWT && cfg->auth_mode != AUTH_MODE_HS256)
		return fail(AUTH_NOT_CONFIGURED, msg, msglen);

	const char *token;
	size_t token_len;
	enum auth_reason reason = bearer_token(req->authorization, &token, &token_len);
	if (reason != AUTH__MAX)
		return fail(reason, msg, msglen);

	/* The same bytes were verified before: skip the signature, the key
	 * lookup and the header (only the payload is decoded), never the
	 * claims, whose meaning may differ per call (the module of this
	 * request, the clock). */
	struct token_digest digest;
	int have_digest =
		token_len <= JWT_MAX_TOKEN && token_digest(token, token_len, &digest) == 0;
	time_t now = monotonic_seconds();
	struct token_key key;
	memset(&key, 0, sizeof(key));
	int cached = have_digest && token_cache_contains(&digest, now, &key);
	/* A verification is only as good as its key: once the host stops
	 * publishing it, the token is verified again (and refused). */
	if (cached && cfg->auth_mode == AUTH_MODE_JWT &&
	    !jwks_key_current(key.host, key.kid, key.serial)) {
		token_cache_forget(&digest);
		cached = 0;
		memset(&key, 0, sizeof(key));
	}
	struct jwt jwt;
	switch (cached ? jwt_parse_payload(token, token_len, &jwt)
		       : jwt_parse(token, token_len, &jwt)) {
	case JWT_OK: break;
	case JWT_ERR_NOMEM: return fail(AUTH_NOMEM, msg, msglen);
	default: return fail(AUTH_WRONG_STRUCTURE, msg, msglen);
	}

	if (!cached)
		reason = cfg->auth_mode == AUTH_MODE_JWT ? verify_rs256(&jwt, &key)
							 : verify_hs256(cfg, &jwt);
	if (reason == AUTH__MAX)
		reason = check_times(&jwt);
	if (reason == AUTH__MAX)
		reason = check_audience(cfg, req, &jwt);
	if (reason == AUTH__MAX) {
		apply_entities_limit(&jwt, entities_limit);
		/* Only a token accepted in full is remembered. */
		if (!cached && have_digest)
			token_cache_add(&digest, now, cache_lifetime(&jwt), &key);
	}
	jwt_free(&jwt);
	return reason == AUTH__MAX ? RELAY_OK : fail(reason, msg, msglen);
}
