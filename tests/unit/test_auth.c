/* test_auth.c: auth_check() in each mode, with the exact messages of CONTRACT 3.4.
 *
 * The configuration comes from config_load() over a table, as in
 * production; the JWKS download is replaced by a fake fetcher that serves a
 * key set made at test time and counts what it was asked.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "auth/jwks.h"
#include "auth/token_cache.h"
#include "config.h"
#include "module.h"
#include "http/request.h"
#include "lib/strbuf.h"

#include "jwt_testkit.h"
#include "testutil.h"

#define HOST_US "visibility.amp.cisco.com"
#define HOST_LOCAL "localhost:8443"
#define PUBLIC_URL "https://relay.example.com"
#define MOD_URL PUBLIC_URL "/tweettioc"

#define R_MISSING "Authorization failed: Authorization header is missing"
#define R_TYPE "Authorization failed: Wrong authorization type"
#define R_STRUCTURE "Authorization failed: Wrong JWT structure"
#define R_JWKS_MISSING                                                                           \
	"Authorization failed: jwks_host is missing in JWT payload. Make sure custom_jwks_host " \
	"field is present in module_type"
#define R_JWKS_WRONG                                                                          \
	"Authorization failed: Wrong jwks_host in JWT payload. Make sure domain follows the " \
	"visibility.<region>.cisco.com structure"
#define R_KID "Authorization failed: kid from JWT header not found in API response"
#define R_KEY                                                                                \
	"Authorization failed: Failed to decode JWT with provided key. Make sure domain in " \
	"custom_jwks_host corresponds to your SecureX instance region."
#define R_AUD "Authorization failed: Wrong configuration-token-audience"
#define R_EXPIRED "Authorization failed: The JWT has expired"
#define R_NBF "Authorization failed: The JWT is not yet valid"

/* RELAY_JWT_SECRET of the hs256 tests: 32 bytes or more, as the relay requires. */
#define HS_SECRET "correct horse battery staple, twice"

static EVP_PKEY *key_a; /* published by the JWKS host as kid "k1" */
static EVP_PKEY *key_b; /* not published */

static void keys_setup(void)
{
	key_a = kit_rsa_key(2048);
	key_b = kit_rsa_key(2048);
}

static void keys_teardown(void)
{
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
}

/* ---- environment, config and request ---------------------------------- */

struct env_var {
	const char *name;
	const char *value;
};
static struct env_var env[8];

static void env_set(const char *name, const char *value)
{
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		if (!env[i].name || strcmp(env[i].name, name) == 0) {
			env[i].name = name;
			env[i].value = value;
			return;
		}
	}
	abort();
}

static const char *env_get(const char *name)
{
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]) && env[i].name; i++)
		if (strcmp(env[i].name, name) == 0)
			return env[i].value;
	return NULL;
}

static struct relay_config cfg;
static struct relay_request req;
static char msg[512];
static char *served_jwks;
static int fetches;
static char fetched_url[512];

static int fake_fetch(const char *url, struct strbuf *body)
{
	fetches++;
	snprintf(fetched_url, sizeof(fetched_url), "%s", url);
	return strbuf_appends(body, served_jwks) == STRBUF_OK ? 0 : -1;
}

static int failing_fetch(const char *url, struct strbuf *body)
{
	(void)body;
	fetches++;
	snprintf(fetched_url, sizeof(fetched_url), "%s", url);
	return -1;
}

/* Sets the request's path and the module the router would find for it;
 * `module_len` is the length of the path up to and including the module
 * segment (0: a bare path, answered by tweettioc). */
static void set_path(const char *path, const char *module, size_t module_len)
{
	req.path = path;
	req.module = modules_find(module, strlen(module));
	ck_assert_ptr_nonnull(req.module);
	req.module_path = path;
	req.module_path_len = module_len;
}

/* Loads the config from `env` and starts auth; the request goes to the
 * tweettioc module (RELAY_PUBLIC_URL + "/tweettioc" in jwt_setup). */
static void start(void)
{
	char err[256];
	ck_assert_msg(config_load(&cfg, env_get, err, sizeof(err)) == 0, "%s", err);
	/* hs256 without an audience setting warns at start-up: expected here,
	 * so kept out of a passing run's output, and checked. */
	int warns = cfg.auth_mode == AUTH_MODE_HS256 && cfg.n_audiences == 0 && !cfg.public_url;
	test_stderr_capture();
	int rc = auth_init(&cfg, err, sizeof(err));
	char *log = test_stderr_release();
	ck_assert_msg(rc == 0, "%s", err);
	ck_assert_msg(warns == (strstr(log, "token aud is not checked") != NULL), "%s", log);
	free(log);
	if (cfg.auth_mode == AUTH_MODE_JWT)
		jwks_set_fetcher_for_test(fake_fetch);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.cfg = &cfg;
	set_path("/tweettioc/observe/observables", "tweettioc", strlen("/tweettioc"));
	req.entities_limit = cfg.entities_limit;
	msg[0] = '\0';
}

static void jwt_setup(void)
{
	memset(env, 0, sizeof(env));
	env_set("RELAY_AUTH", "jwt");
	env_set("RELAY_JWKS_HOSTS", HOST_US "," HOST_LOCAL);
	env_set("RELAY_PUBLIC_URL", PUBLIC_URL);
	env_set("CTR_ENTITIES_LIMIT", "100");
	served_jwks = kit_jwks(key_a, "k1", NULL, NULL);
	fetches = 0;
	fetched_url[0] = '\0';
	start();
}

static void teardown(void)
{
	auth_shutdown();
	config_free(&cfg);
	free(served_jwks);
	served_jwks = NULL;
}

static void hs256_setup(void)
{
	memset(env, 0, sizeof(env));
	env_set("RELAY_AUTH", "hs256");
	env_set("RELAY_JWT_SECRET", HS_SECRET);
	start();
}

static void none_setup(void)
{
	memset(env, 0, sizeof(env));
	env_set("RELAY_AUTH", "none");
	start();
}

/* ---- tokens ----------------------------------------------------------- */

static long now_plus(long seconds)
{
	return (long)time(NULL) + seconds;
}

/* The claims SecureX puts in a configuration token, plus `extra`. */
static char *claims(const char *jwks_host, const char *aud, const char *extra)
{
	return kit_printf("{\"jwks_host\":\"%s\",\"aud\":\"%s\",\"iat\":%ld,\"exp\":%ld%s%s}",
			  jwks_host, aud, now_plus(-10), now_plus(3600), extra ? "," : "",
			  extra ? extra : "");
}

/* "Bearer " + a token signed by `key` with header kid `kid` (NULL: none). */
static char *bearer_rs256(EVP_PKEY *key, const char *kid, const char *payload)
{
	char *header = kid ? kit_printf("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid)
			   : kit_printf("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	char *token = kit_sign_rs256(key, header, payload);
	char *out = kit_printf("Bearer %s", token);
	free(header);
	free(token);
	return out;
}

static char *good_bearer(void)
{
	char *payload = claims(HOST_US, MOD_URL, NULL);
	char *out = bearer_rs256(key_a, "k1", payload);
	free(payload);
	return out;
}

static enum relay_err check(const char *authorization)
{
	req.authorization = authorization;
	msg[0] = '\0';
	return auth_check(&req, &req.entities_limit, msg, sizeof(msg));
}

/* Checks a header and takes ownership of it. */
#define ck_accepts(header)                                                \
	do {                                                              \
		char *h_ = (header);                                      \
		ck_assert_msg(check(h_) == RELAY_OK, "refused: %s", msg); \
		free(h_);                                                 \
	} while (0)

#define ck_refuses(header, reason)                           \
	do {                                                 \
		char *h_ = (header);                         \
		ck_assert_int_eq(check(h_), RELAY_ERR_AUTH); \
		ck_assert_str_eq(msg, reason);               \
		free(h_);                                    \
	} while (0)

/* ---- header ----------------------------------------------------------- */

START_TEST(auth_refuses_a_missing_header)
{
	ck_assert_int_eq(check(NULL), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_MISSING);
	ck_assert_int_eq(check(""), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_MISSING);
	ck_assert_int_eq(check("   "), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_MISSING);
}
END_TEST

START_TEST(auth_refuses_a_wrong_scheme_or_part_count)
{
	static const char *const headers[] = {
		"Basic dXNlcjpwYXNz",
		"Bearer",
		"Bearer ",
		"Token abc.def.ghi",
		"Bearerabc.def.ghi",
		"Bearer a.b.c extra",
		"Bearer  a.b.c  d",
		"abc.def.ghi",
		"Bearer: abc.def.ghi",
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		ck_assert_int_eq(check(headers[i]), RELAY_ERR_AUTH);
		ck_assert_msg(strcmp(msg, R_TYPE) == 0, "%s -> %s", headers[i], msg);
	}
	ck_assert_uint_eq(fetches, 0);
}
END_TEST

START_TEST(auth_accepts_the_scheme_in_any_case_and_extra_spaces)
{
	char *good = good_bearer();
	const char *token = good + strlen("Bearer ");
	ck_accepts(kit_printf("bearer %s", token));
	ck_accepts(kit_printf("BEARER %s", token));
	ck_accepts(kit_printf("  Bearer \t %s  ", token));
	free(good);
}
END_TEST

START_TEST(auth_refuses_tokens_that_are_not_jwts)
{
	static const char *const headers[] = {
		"Bearer abc",
		"Bearer a.b",
		"Bearer a.b.c.d",
		"Bearer eyJhbGciOiJSUzI1NiJ9.e30",
		"Bearer ...",
		"Bearer \x01\x02\x03.\xff\xfe.\x80",
		"Bearer bm90IGpzb24.bm90IGpzb24.AAAA",
		"Bearer eyJhbGciOiJSUzI1NiJ9==.e30.AAAA",
	};
	for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
		ck_assert_int_eq(check(headers[i]), RELAY_ERR_AUTH);
		ck_assert_msg(strcmp(msg, R_STRUCTURE) == 0, "%s -> %s", headers[i], msg);
	}
	ck_assert_uint_eq(fetches, 0);
}
END_TEST

/* ---- jwt mode --------------------------------------------------------- */

START_TEST(auth_accepts_a_valid_configuration_token)
{
	ck_accepts(good_bearer());
	ck_assert_int_eq(fetches, 1);
	ck_assert_str_eq(fetched_url, "https://" HOST_US "/.well-known/jwks");
	ck_assert_int_eq(req.entities_limit, 100);
}
END_TEST

START_TEST(auth_downloads_the_key_set_once_for_many_calls)
{
	for (int i = 0; i < 100; i++)
		ck_accepts(good_bearer());
	ck_assert_int_eq(fetches, 1);
}
END_TEST

START_TEST(jwks_cache_flush_makes_the_next_lookup_download_again)
{
	EVP_PKEY *k = NULL;
	ck_assert_int_eq(jwks_get_key(HOST_US, "k1", &k, NULL), JWKS_OK);
	EVP_PKEY_free(k);
	ck_assert_int_eq(jwks_get_key(HOST_US, "k1", &k, NULL), JWKS_OK);
	EVP_PKEY_free(k);
	ck_assert_int_eq(fetches, 1);
	jwks_cache_flush(); /* SIGHUP */
	ck_assert_int_eq(jwks_get_key(HOST_US, "k1", &k, NULL), JWKS_OK);
	EVP_PKEY_free(k);
	ck_assert_int_eq(fetches, 2);
}
END_TEST

START_TEST(auth_refuses_an_expired_token)
{
	char *payload =
		kit_printf("{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"exp\":%ld}",
			   now_plus(-61));
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_EXPIRED);
	free(payload);
	/* Within the 60 s leeway it still passes. */
	payload = kit_printf("{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"exp\":%ld}",
			     now_plus(-30));
	ck_accepts(bearer_rs256(key_a, "k1", payload));
	free(payload);
}
END_TEST

START_TEST(auth_refuses_a_token_not_yet_valid)
{
	char *extra = kit_printf("\"nbf\":%ld", now_plus(600));
	char *payload = claims(HOST_US, MOD_URL, extra);
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_NBF);
	free(payload);
	free(extra);
}
END_TEST

START_TEST(auth_refuses_times_that_are_not_numbers)
{
	char *payload = kit_printf("{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL
				   "\",\"exp\":\"tomorrow\"}");
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_STRUCTURE);
	free(payload);
}
END_TEST

START_TEST(auth_accepts_a_token_without_exp)
{
	char *payload = kit_printf("{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\"}");
	ck_accepts(bearer_rs256(key_a, "k1", payload));
	free(payload);
}
END_TEST

START_TEST(auth_refuses_a_wrong_audience)
{
	static const char *const auds[] = {
		"https://other.example.com/tweettioc",	      "http://relay.example.com/tweettioc",
		"https://relay.example.com/cybercrime",	      "https://relay.example.com",
		"https://relay.example.com/tweettioc/health",
	};
	for (size_t i = 0; i < sizeof(auds) / sizeof(auds[0]); i++) {
		char *payload = claims(HOST_US, auds[i], NULL);
		ck_refuses(bearer_rs256(key_a, "k1", payload), R_AUD);
		free(payload);
	}
}
END_TEST

START_TEST(auth_refuses_a_token_without_aud)
{
	char *payload = kit_printf("{\"jwks_host\":\"" HOST_US "\",\"exp\":%ld}", now_plus(60));
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_AUD);
	free(payload);
}
END_TEST

START_TEST(auth_accepts_aud_as_an_array)
{
	char *payload = kit_printf("{\"jwks_host\":\"" HOST_US
				   "\",\"aud\":[\"https://x.example\",\"" MOD_URL "/\"]}");
	ck_accepts(bearer_rs256(key_a, "k1", payload));
	free(payload);
}
END_TEST

START_TEST(auth_accepts_a_trailing_slash_in_aud_or_path)
{
	char *payload = claims(HOST_US, MOD_URL "/", NULL);
	ck_accepts(bearer_rs256(key_a, "k1", payload));
	free(payload);
	set_path("/tweettioc/health/", "tweettioc", strlen("/tweettioc"));
	payload = claims(HOST_US, MOD_URL, NULL);
	ck_accepts(bearer_rs256(key_a, "k1", payload));
	free(payload);
}
END_TEST

/* The attack of issue 11: any SecureX tenant gets a token for an audience
 * of its choosing; the request's Host, X-Forwarded-Proto and HTTPS (which
 * the caller chooses too) are not even in struct relay_request any more, so
 * only the configured URL counts. */
START_TEST(auth_refuses_an_audience_of_another_host)
{
	static const char *const auds[] = {
		"https://attacker.example/tweettioc",
		"https://attacker.example",
		"https://relay.example.com.attacker.example/tweettioc",
		"https://relay.example.com:8443/tweettioc",
	};
	for (size_t i = 0; i < sizeof(auds) / sizeof(auds[0]); i++) {
		char *payload = claims(HOST_US, auds[i], NULL);
		ck_refuses(bearer_rs256(key_a, "k1", payload), R_AUD);
		free(payload);
	}
	ck_assert_uint_eq(token_cache_count(), 0);
}
END_TEST

START_TEST(auth_refuses_the_audience_of_another_module)
{
	/* A token for /tweettioc does not open /cybercrime, nor the reverse. */
	char *tweettioc = claims(HOST_US, MOD_URL, NULL);
	char *cybercrime = claims(HOST_US, PUBLIC_URL "/cybercrime", NULL);
	set_path("/cybercrime/observe/observables", "cybercrime", strlen("/cybercrime"));
	ck_refuses(bearer_rs256(key_a, "k1", tweettioc), R_AUD);
	ck_accepts(bearer_rs256(key_a, "k1", cybercrime));
	set_path("/tweettioc/observe/observables", "tweettioc", strlen("/tweettioc"));
	ck_refuses(bearer_rs256(key_a, "k1", cybercrime), R_AUD);
	ck_accepts(bearer_rs256(key_a, "k1", tweettioc));
	free(tweettioc);
	free(cybercrime);
}
END_TEST

START_TEST(auth_uses_the_bare_url_for_a_bare_path)
{
	set_path("/observe/observables", "tweettioc", 0);
	char *payload = claims(HOST_US, PUBLIC_URL, NULL);
	ck_accepts(bearer_rs256(key_a, "k1", payload));
	free(payload);
	payload = claims(HOST_US, MOD_URL, NULL);
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_AUD);
	free(payload);
}
END_TEST

/* Restarts auth with `env` as set by the caller (after jwt_setup's). */
static void restart(void)
{
	teardown();
	served_jwks = kit_jwks(key_a, "k1", NULL, NULL);
	start();
}

START_TEST(auth_takes_a_location_prefix_from_the_public_url)
{
	env_set("RELAY_PUBLIC_URL", "https://relay.example.com/relay/");
	restart();
	/* The path the relay sees does not matter, the configured base does. */
	set_path("/relay/tweettioc/health", "tweettioc", strlen("/relay/tweettioc"));
	char *with_prefix = claims(HOST_US, "https://relay.example.com/relay/tweettioc/", NULL);
	char *without = claims(HOST_US, MOD_URL, NULL);
	ck_accepts(bearer_rs256(key_a, "k1", with_prefix));
	ck_refuses(bearer_rs256(key_a, "k1", without), R_AUD);
	set_path("/tweettioc/health", "tweettioc", strlen("/tweettioc"));
	ck_accepts(bearer_rs256(key_a, "k1", with_prefix));
	free(with_prefix);
	free(without);
}
END_TEST

START_TEST(auth_accepts_relay_audience_and_the_public_url_together)
{
	env_set("RELAY_AUDIENCE", "https://a.example/relay");
	restart();
	char *p = claims(HOST_US, "https://a.example/relay", NULL);
	ck_accepts(bearer_rs256(key_a, "k1", p));
	free(p);
	p = claims(HOST_US, MOD_URL, NULL);
	ck_accepts(bearer_rs256(key_a, "k1", p));
	free(p);
	p = claims(HOST_US, PUBLIC_URL "/cybercrime", NULL);
	ck_refuses(bearer_rs256(key_a, "k1", p), R_AUD);
	free(p);
}
END_TEST

START_TEST(config_refuses_jwt_mode_without_an_audience)
{
	teardown();
	memset(env, 0, sizeof(env));
	env_set("RELAY_AUTH", "jwt");
	char err[256];
	ck_assert_int_eq(config_load(&cfg, env_get, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "RELAY_AUDIENCE"));
	ck_assert_ptr_nonnull(strstr(err, "RELAY_PUBLIC_URL"));
	env_set("RELAY_AUDIENCE", " , ");
	ck_assert_int_eq(config_load(&cfg, env_get, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "RELAY_PUBLIC_URL"));
	env_set("RELAY_AUDIENCE", "");
	env_set("RELAY_PUBLIC_URL", "https:///");
	ck_assert_int_eq(config_load(&cfg, env_get, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "RELAY_PUBLIC_URL"));
	env_set("RELAY_PUBLIC_URL", "https://relay.example.com//");
	ck_assert_msg(config_load(&cfg, env_get, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(cfg.public_url, "https://relay.example.com");
	config_free(&cfg);
	env_set("RELAY_PUBLIC_URL", "");
	env_set("RELAY_AUDIENCE", "https://a.example");
	ck_assert_msg(config_load(&cfg, env_get, err, sizeof(err)) == 0, "%s", err);
	config_free(&cfg);
	/* hs256 and none start without one. */
	env_set("RELAY_AUDIENCE", "");
	env_set("RELAY_AUTH", "hs256");
	env_set("RELAY_JWT_SECRET", HS_SECRET);
	ck_assert_msg(config_load(&cfg, env_get, err, sizeof(err)) == 0, "%s", err);
	config_free(&cfg);
	env_set("RELAY_AUTH", "none");
	ck_assert_msg(config_load(&cfg, env_get, err, sizeof(err)) == 0, "%s", err);
	config_free(&cfg);
}
END_TEST

START_TEST(auth_refuses_a_missing_jwks_host)
{
	char *payload = kit_printf("{\"aud\":\"" MOD_URL "\"}");
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_JWKS_MISSING);
	free(payload);
	ck_assert_int_eq(fetches, 0);
}
END_TEST

START_TEST(auth_refuses_a_jwks_host_outside_the_allowlist)
{
	static const char *const hosts[] = {
		"evil.example",
		"visibility.eu.amp.cisco.com",
		"visibility.amp.cisco.com.evil.example",
		"visibility.amp.cisco.com/evil",
		"evil.example/visibility.amp.cisco.com",
		"evil.example?visibility.amp.cisco.com",
		"evil.example#visibility.amp.cisco.com",
		"visibility.amp.cisco.com@evil.example",
		"visibility.amp.cisco.com\\\\evil",
		"visibility.amp.cisco.com ",
		"localhost",
		"localhost:8444",
		"",
	};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		char *payload = claims(hosts[i], MOD_URL, NULL);
		char *h = bearer_rs256(key_a, "k1", payload);
		ck_assert_int_eq(check(h), RELAY_ERR_AUTH);
		ck_assert_msg(strcmp(msg, R_JWKS_WRONG) == 0, "%s -> %s", hosts[i], msg);
		free(h);
		free(payload);
	}
	char *payload = kit_printf("{\"jwks_host\":42,\"aud\":\"" MOD_URL "\"}");
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_JWKS_WRONG);
	free(payload);
	ck_assert_int_eq(fetches, 0);
}
END_TEST

START_TEST(auth_refuses_when_the_key_set_cannot_be_downloaded)
{
	jwks_set_fetcher_for_test(failing_fetch);
	ck_refuses(good_bearer(), R_JWKS_WRONG);
	ck_assert_int_eq(fetches, 1);
	ck_refuses(good_bearer(), R_JWKS_WRONG);
	ck_assert_int_eq(fetches, 1); /* rate-limited */
}
END_TEST

START_TEST(auth_refuses_a_missing_kid)
{
	char *payload = claims(HOST_US, MOD_URL, NULL);
	ck_refuses(bearer_rs256(key_a, NULL, payload), R_KID);
	free(payload);
	ck_assert_int_eq(fetches, 0);
}
END_TEST

START_TEST(auth_refuses_an_unknown_kid)
{
	char *payload = claims(HOST_US, MOD_URL, NULL);
	ck_refuses(bearer_rs256(key_b, "k2", payload), R_KID);
	ck_assert_int_eq(fetches, 1);
	ck_refuses(bearer_rs256(key_b, "k2", payload), R_KID);
	ck_assert_int_eq(fetches, 1);
	free(payload);
}
END_TEST

START_TEST(auth_refuses_a_signature_by_another_key)
{
	char *payload = claims(HOST_US, MOD_URL, NULL);
	ck_refuses(bearer_rs256(key_b, "k1", payload), R_KEY);
	free(payload);
}
END_TEST

START_TEST(auth_refuses_keys_of_the_other_allowlisted_host)
{
	/* Each host has its own key set: k1 of localhost is not k1 of US. */
	char *other = kit_jwks(key_b, "k1", NULL, NULL);
	ck_assert_int_eq(jwks_cache_put_for_test(HOST_LOCAL, other), 0);
	char *payload = claims(HOST_LOCAL, MOD_URL, NULL);
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_KEY);
	ck_accepts(bearer_rs256(key_b, "k1", payload));
	free(payload);
	free(other);
}
END_TEST

START_TEST(auth_refuses_alg_none)
{
	char *payload = claims(HOST_US, MOD_URL, NULL);
	char *token = kit_unsigned("{\"alg\":\"none\",\"kid\":\"k1\"}", payload);
	ck_refuses(kit_printf("Bearer %s", token), R_KEY);
	ck_assert_int_eq(fetches, 0);
	free(token);
	free(payload);
}
END_TEST

START_TEST(auth_refuses_hs256_signed_with_the_public_key)
{
	/* The classic confusion attack: the RSA public key (which anyone can
	 * download) used as the HMAC secret. Both encodings are refused. */
	size_t pem_len, der_len;
	char *pem = kit_public_pem(key_a, &pem_len);
	unsigned char *der = kit_public_der(key_a, &der_len);
	char *payload = claims(HOST_US, MOD_URL, NULL);
	const char *header = "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}";
	char *t1 = kit_sign_hs256(pem, pem_len, header, payload);
	char *t2 = kit_sign_hs256(der, der_len, header, payload);
	ck_refuses(kit_printf("Bearer %s", t1), R_KEY);
	ck_refuses(kit_printf("Bearer %s", t2), R_KEY);
	ck_assert_int_eq(fetches, 0);
	free(pem);
	free(der);
	free(payload);
	free(t1);
	free(t2);
}
END_TEST

START_TEST(auth_accepts_a_16k_header)
{
	char *filler = malloc(11 * 1024 + 1);
	ck_assert_ptr_nonnull(filler);
	memset(filler, 'f', 11 * 1024);
	filler[11 * 1024] = '\0';
	char *extra = kit_printf("\"filler\":\"%s\"", filler);
	char *payload = claims(HOST_US, MOD_URL, extra);
	char *h = bearer_rs256(key_a, "k1", payload);
	ck_assert_uint_ge(strlen(h), 15 * 1024);
	ck_assert_uint_le(strlen(h), 16 * 1024);
	ck_accepts(h);
	free(payload);
	free(extra);
	free(filler);
}
END_TEST

START_TEST(auth_refuses_a_huge_header_as_malformed)
{
	size_t n = 200 * 1024;
	char *h = malloc(n + 1);
	ck_assert_ptr_nonnull(h);
	memcpy(h, "Bearer ", 7);
	memset(h + 7, 'A', n - 7);
	h[40] = '.';
	h[80] = '.';
	h[n] = '\0';
	ck_refuses(h, R_STRUCTURE);
}
END_TEST

START_TEST(auth_uses_relay_audience_when_set)
{
	teardown();
	memset(env, 0, sizeof(env));
	env_set("RELAY_AUTH", "jwt");
	env_set("RELAY_JWKS_HOSTS", HOST_US);
	env_set("RELAY_AUDIENCE", "https://a.example/relay, https://b.example/relay");
	served_jwks = kit_jwks(key_a, "k1", NULL, NULL);
	start();
	char *p = claims(HOST_US, "https://b.example/relay/", NULL);
	ck_accepts(bearer_rs256(key_a, "k1", p));
	free(p);
	/* Without RELAY_PUBLIC_URL no module URL counts. */
	p = claims(HOST_US, MOD_URL, NULL);
	ck_refuses(bearer_rs256(key_a, "k1", p), R_AUD);
	free(p);
}
END_TEST

/* ---- verified once ---------------------------------------------------- */

/* A hit skips the signature: the key set is installed again (the same k1,
 * as an hourly refresh brings it) and the same bytes are still hits, while
 * every other token is verified. */
START_TEST(auth_verifies_a_token_once)
{
	char *good = good_bearer();
	ck_assert_int_eq(check(good), RELAY_OK);
	ck_assert_uint_eq(token_cache_count(), 1);
	ck_assert_uint_eq(token_cache_hits(), 0);
	char *same = kit_jwks(key_a, "k1", NULL, NULL);
	ck_assert_int_eq(jwks_cache_put_for_test(HOST_US, same), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_msg(check(good) == RELAY_OK, "refused: %s", msg);
	ck_assert_uint_eq(token_cache_hits(), 10);
	ck_assert_uint_eq(token_cache_misses(), 1);
	char *p = claims(HOST_US, MOD_URL, "\"jti\":\"another\"");
	ck_refuses(bearer_rs256(key_b, "k1", p), R_KEY);
	ck_assert_uint_eq(token_cache_misses(), 2);
	ck_assert_int_eq(fetches, 1);
	free(p);
	free(same);
	free(good);
}
END_TEST

START_TEST(auth_checks_aud_on_a_cache_hit)
{
	char *good = good_bearer();
	ck_assert_int_eq(check(good), RELAY_OK);
	set_path("/cybercrime/observe/observables", "cybercrime", strlen("/cybercrime"));
	ck_assert_int_eq(check(good), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_AUD);
	ck_assert_uint_eq(token_cache_hits(), 1);
	set_path("/observe/observables", "tweettioc", 0);
	ck_assert_int_eq(check(good), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_AUD);
	free(good);
}
END_TEST

START_TEST(auth_applies_the_entities_limit_claim_on_a_cache_hit)
{
	char *p = claims(HOST_US, MOD_URL, "\"CTR_ENTITIES_LIMIT\":\"4\"");
	char *h = bearer_rs256(key_a, "k1", p);
	for (int i = 0; i < 3; i++) {
		req.entities_limit = 100;
		ck_assert_int_eq(check(h), RELAY_OK);
		ck_assert_int_eq(req.entities_limit, 4);
	}
	ck_assert_uint_eq(token_cache_hits(), 2);
	free(h);
	free(p);
}
END_TEST

START_TEST(auth_never_caches_a_refused_token)
{
	char *p = claims(HOST_US, MOD_URL, NULL);
	char *bad_key = bearer_rs256(key_b, "k1", p);
	char *wrong_aud_payload = claims(HOST_US, "https://attacker.example/tweettioc", NULL);
	char *wrong_aud = bearer_rs256(key_a, "k1", wrong_aud_payload);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(check(bad_key), RELAY_ERR_AUTH);
		ck_assert_str_eq(msg, R_KEY);
		ck_assert_int_eq(check(wrong_aud), RELAY_ERR_AUTH);
		ck_assert_str_eq(msg, R_AUD);
	}
	ck_assert_uint_eq(token_cache_count(), 0);
	ck_assert_uint_eq(token_cache_hits(), 0);
	free(p);
	free(bad_key);
	free(wrong_aud_payload);
	free(wrong_aud);
}
END_TEST

START_TEST(auth_does_not_cache_a_token_past_its_exp)
{
	/* Within the leeway it passes, but it is verified every time. */
	char *p = kit_printf("{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"exp\":%ld}",
			     now_plus(-30));
	char *h = bearer_rs256(key_a, "k1", p);
	ck_assert_int_eq(check(h), RELAY_OK);
	ck_assert_int_eq(check(h), RELAY_OK);
	ck_assert_uint_eq(token_cache_count(), 0);
	ck_assert_uint_eq(token_cache_hits(), 0);
	free(h);
	free(p);
}
END_TEST

START_TEST(jwks_cache_flush_forgets_keys_and_verified_tokens)
{
	char *good = good_bearer();
	ck_assert_int_eq(check(good), RELAY_OK);
	ck_assert_int_eq(fetches, 1);
	ck_assert_uint_eq(token_cache_count(), 1);
	/* The key set rotated at the host: k1 is now key_b. */
	free(served_jwks);
	served_jwks = kit_jwks(key_b, "k1", NULL, NULL);
	jwks_cache_flush();
	ck_assert_uint_eq(token_cache_count(), 0);
	/* Downloaded again at once, not JWKS_REFETCH_SECONDS later, and the
	 * token signed with the retired key is refused. */
	ck_assert_int_eq(check(good), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_KEY);
	ck_assert_int_eq(fetches, 2);
	char *p = claims(HOST_US, MOD_URL, NULL);
	ck_accepts(bearer_rs256(key_b, "k1", p));
	ck_assert_int_eq(fetches, 2);
	free(p);
	free(good);
}
END_TEST

/* ---- a cached token and its key (issue 18, finding 6) -------------------- */

static time_t fake_now = 1000;
static time_t fake_clock(void)
{
	return fake_now;
}

/* Moves the JWKS clock past JWKS_REFETCH_SECONDS and sends a token with a
 * kid the relay has not seen: the refetch the relay does on its own. The
 * token, signed by key_b as `kid`, must then be accepted. */
static void refetch_with_new_kid(const char *kid)
{
	int before = fetches;
	fake_now += JWKS_REFETCH_SECONDS + 1;
	char *p = claims(HOST_US, MOD_URL, "\"jti\":\"trigger\"");
	ck_accepts(bearer_rs256(key_b, kid, p));
	free(p);
	ck_assert_int_eq(fetches, before + 1);
}

/* The key server stops publishing k1 and the relay downloads its key set
 * again: the token verified with k1 goes with it, as a new k1 token does. */
START_TEST(auth_refuses_a_cached_token_once_its_kid_is_gone)
{
	jwks_set_clock_for_test(fake_clock);
	char *good = good_bearer();
	ck_assert_int_eq(check(good), RELAY_OK);
	ck_assert_int_eq(check(good), RELAY_OK);
	ck_assert_uint_eq(token_cache_hits(), 1);
	free(served_jwks);
	served_jwks = kit_jwks(key_b, "k2", NULL, NULL);
	refetch_with_new_kid("k2");
	ck_assert_int_eq(check(good), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_KID);
	char *p = claims(HOST_US, MOD_URL, "\"jti\":\"new\"");
	ck_refuses(bearer_rs256(key_a, "k1", p), R_KID);
	/* Refused every time, and no longer cached. */
	ck_assert_int_eq(check(good), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_KID);
	ck_assert_int_eq(fetches, 2);
	free(p);
	free(good);
}
END_TEST

/* The same kid republished with another key: the old key is gone too. */
START_TEST(auth_refuses_a_cached_token_once_its_kid_names_another_key)
{
	jwks_set_clock_for_test(fake_clock);
	char *good = good_bearer();
	ck_assert_int_eq(check(good), RELAY_OK);
	free(served_jwks);
	served_jwks = kit_jwks(key_b, "k1", key_b, "k3");
	refetch_with_new_kid("k3");
	ck_assert_int_eq(check(good), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_KEY);
	free(good);
}
END_TEST

/* A download that still publishes the key keeps the verified tokens: the
 * cache keeps working across the hourly refreshes. */
START_TEST(auth_keeps_a_cached_token_while_its_key_is_published)
{
	jwks_set_clock_for_test(fake_clock);
	char *good = good_bearer();
	ck_assert_int_eq(check(good), RELAY_OK);
	free(served_jwks);
	served_jwks = kit_jwks(key_a, "k1", key_b, "k2");
	refetch_with_new_kid("k2");
	unsigned long hits = token_cache_hits();
	for (int i = 0; i < 5; i++)
		ck_assert_msg(check(good) == RELAY_OK, "refused: %s", msg);
	ck_assert_uint_eq(token_cache_hits(), hits + 5);
	ck_assert_int_eq(fetches, 2);
	free(good);
}
END_TEST

/* ---- claims cut by a NUL (issue 18, finding 7) --------------------------- */

/* cJSON decodes \u0000 into a NUL inside the string, so C string functions
 * read "<our audience>\u0000.evil" as our audience. Such a token, and
 * control characters in the claims that pick the key or the audience, are
 * malformed. */
START_TEST(auth_refuses_claims_with_a_nul_or_control_escape)
{
	static const char *const payloads[] = {
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\\u0000.evil\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":[\"x\",\"" MOD_URL "\\u0000.evil\"]}",
		"{\"jwks_host\":\"" HOST_US "\\u0000.evil\",\"aud\":\"" MOD_URL "\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"iss\":\"a\\u0000b\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"sub\":\"a\\u0000b\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"a\\u0000b\":1}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\\\\\\u0000\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\\u0001\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"iss\":\"a\\u001fb\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"iss\":\"a\\u007fb\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"iss\":\"a\\u0085b\"}",
		"{\"jwks_host\":\"" HOST_US "\",\"aud\":\"" MOD_URL "\",\"iss\":\"a\tb\"}",
	};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *h = bearer_rs256(key_a, "k1", payloads[i]);
		ck_assert_int_eq(check(h), RELAY_ERR_AUTH);
		ck_assert_msg(strcmp(msg, R_STRUCTURE) == 0, "%s -> %s", payloads[i], msg);
		free(h);
	}
	char *p = claims(HOST_US, MOD_URL, NULL);
	ck_refuses(bearer_rs256(key_a, "k1\\u0000x", p), R_STRUCTURE);
	ck_refuses(bearer_rs256(key_a, "k1\\u0007", p), R_STRUCTURE);
	free(p);
	ck_assert_int_eq(fetches, 0); /* refused before any key lookup */
	ck_assert_uint_eq(token_cache_count(), 0);
}
END_TEST

/* The text "\u0000" after an escaped backslash is no NUL; control
 * characters in claims that choose nothing are not looked at. */
START_TEST(auth_accepts_an_escaped_backslash_before_u0000)
{
	char *p = claims(HOST_US, MOD_URL, "\"sub\":\"a\\\\u0000b\",\"note\":\"tab\\there\"");
	ck_accepts(bearer_rs256(key_a, "k1", p));
	free(p);
}
END_TEST

/* ---- CTR_ENTITIES_LIMIT claim ------------------------------------------ */

static long limit_after(const char *claim_json)
{
	char *extra = kit_printf("\"CTR_ENTITIES_LIMIT\":%s", claim_json);
	char *payload = claims(HOST_US, MOD_URL, extra);
	req.entities_limit = 100;
	ck_accepts(bearer_rs256(key_a, "k1", payload));
	free(payload);
	free(extra);
	return req.entities_limit;
}

START_TEST(auth_applies_the_entities_limit_claim)
{
	ck_assert_int_eq(limit_after("\"25\""), 25);
	ck_assert_int_eq(limit_after("7"), 7);
	ck_assert_int_eq(limit_after("7.0"), 7);
	ck_assert_int_eq(limit_after("1000"), 1000);
}
END_TEST

START_TEST(auth_ignores_an_invalid_entities_limit_claim)
{
	static const char *const invalid[] = {"\"abc\"", "\"\"",  "\"-5\"",   "\"0\"", "0",
					      "-3",	 "2.5",	  "null",     "true",  "[5]",
					      "{}",	 "1e300", "\"12abc\""};
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		ck_assert_msg(limit_after(invalid[i]) == 100, "claim %s", invalid[i]);
}
END_TEST

START_TEST(auth_leaves_the_limit_alone_when_refusing)
{
	char *extra = kit_printf("\"CTR_ENTITIES_LIMIT\":5");
	char *payload = claims(HOST_US, "https://wrong.example", extra);
	req.entities_limit = 100;
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_AUD);
	ck_assert_int_eq(req.entities_limit, 100);
	free(payload);
	free(extra);
}
END_TEST

/* ---- hs256 mode ------------------------------------------------------- */

static char *bearer_hs256(const char *secret, const char *payload)
{
	char *token = kit_sign_hs256(secret, strlen(secret), "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
				     payload);
	char *out = kit_printf("Bearer %s", token);
	free(token);
	return out;
}

START_TEST(hs256_accepts_the_shared_secret)
{
	ck_accepts(bearer_hs256(HS_SECRET, "{\"sub\":\"x\"}"));
	ck_accepts(bearer_hs256(HS_SECRET, "{\"aud\":\"" MOD_URL "\"}"));
	char *p = kit_printf("{\"CTR_ENTITIES_LIMIT\":\"3\",\"exp\":%ld}", now_plus(60));
	ck_accepts(bearer_hs256(HS_SECRET, p));
	ck_assert_int_eq(req.entities_limit, 3);
	free(p);
}
END_TEST

START_TEST(hs256_refuses_a_wrong_secret)
{
	ck_refuses(bearer_hs256(HS_SECRET "r", "{\"sub\":\"x\"}"), R_KEY);
	ck_refuses(bearer_hs256("", "{\"sub\":\"x\"}"), R_KEY);
}
END_TEST

START_TEST(hs256_refuses_other_algorithms)
{
	char *payload = kit_printf("{\"sub\":\"x\"}");
	ck_refuses(bearer_rs256(key_a, "k1", payload), R_KEY);
	char *none = kit_unsigned("{\"alg\":\"none\"}", payload);
	ck_refuses(kit_printf("Bearer %s", none), R_KEY);
	char *hs512 = kit_sign_hs256(HS_SECRET, strlen(HS_SECRET), "{\"alg\":\"HS512\"}", payload);
	ck_refuses(kit_printf("Bearer %s", hs512), R_KEY);
	free(none);
	free(hs512);
	free(payload);
}
END_TEST

START_TEST(hs256_checks_exp_and_nbf)
{
	char *p = kit_printf("{\"exp\":%ld}", now_plus(-3600));
	ck_refuses(bearer_hs256(HS_SECRET, p), R_EXPIRED);
	free(p);
	p = kit_printf("{\"nbf\":%ld}", now_plus(3600));
	ck_refuses(bearer_hs256(HS_SECRET, p), R_NBF);
	free(p);
}
END_TEST

/* Without RELAY_AUDIENCE or RELAY_PUBLIC_URL the secret alone binds an
 * hs256 token to this relay: its aud, whatever it says, is not checked
 * (checking it against the caller's own Host would add nothing). */
START_TEST(hs256_without_audience_settings_does_not_check_aud)
{
	ck_accepts(bearer_hs256(HS_SECRET, "{\"aud\":\"https://x.example\"}"));
	ck_accepts(bearer_hs256(HS_SECRET, "{\"sub\":\"no aud\"}"));
}
END_TEST

START_TEST(hs256_with_a_public_url_requires_the_module_audience)
{
	env_set("RELAY_PUBLIC_URL", PUBLIC_URL);
	teardown();
	start();
	ck_accepts(bearer_hs256(HS_SECRET, "{\"aud\":\"" MOD_URL "\"}"));
	ck_refuses(bearer_hs256(HS_SECRET, "{\"aud\":\"" PUBLIC_URL "/cybercrime\"}"), R_AUD);
	ck_refuses(bearer_hs256(HS_SECRET, "{\"aud\":\"https://x.example\"}"), R_AUD);
	ck_refuses(bearer_hs256(HS_SECRET, "{\"sub\":\"no aud\"}"), R_AUD);
}
END_TEST

START_TEST(hs256_with_relay_audience_requires_it)
{
	env_set("RELAY_AUDIENCE", "https://x.example");
	teardown();
	start();
	ck_accepts(bearer_hs256(HS_SECRET, "{\"aud\":\"https://x.example\"}"));
	ck_refuses(bearer_hs256(HS_SECRET, "{\"aud\":\"" MOD_URL "\"}"), R_AUD);
	ck_refuses(bearer_hs256(HS_SECRET, "{\"sub\":\"no aud\"}"), R_AUD);
}
END_TEST

START_TEST(hs256_checks_aud_on_a_cache_hit)
{
	env_set("RELAY_PUBLIC_URL", PUBLIC_URL);
	teardown();
	start();
	char *h = bearer_hs256(HS_SECRET, "{\"aud\":\"" MOD_URL "\"}");
	ck_assert_int_eq(check(h), RELAY_OK);
	ck_assert_uint_eq(token_cache_count(), 1);
	set_path("/cybercrime/health", "cybercrime", strlen("/cybercrime"));
	ck_assert_int_eq(check(h), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_AUD);
	ck_assert_uint_eq(token_cache_hits(), 1);
	free(h);
}
END_TEST

START_TEST(hs256_refuses_malformed_headers_like_jwt_mode)
{
	ck_assert_int_eq(check(NULL), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_MISSING);
	ck_assert_int_eq(check("Basic abc"), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_TYPE);
	ck_assert_int_eq(check("Bearer abc"), RELAY_ERR_AUTH);
	ck_assert_str_eq(msg, R_STRUCTURE);
}
END_TEST

/* Issue 18, finding 8: any non-empty secret was accepted, "change-me" of
 * the example Kubernetes Secret included. */
START_TEST(config_refuses_a_short_or_placeholder_hs256_secret)
{
	teardown();
	memset(env, 0, sizeof(env));
	env_set("RELAY_AUTH", "hs256");
	static const char *const weak[] = {
		"change-me",
		"CHANGE-ME",
		"s3cret",
		"0123456789abcdef0123456789abcde", /* 31 bytes */
		"REPLACE-with-the-output-of-openssl-rand-hex-32",
	};
	char err[256];
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		env_set("RELAY_JWT_SECRET", weak[i]);
		err[0] = '\0';
		ck_assert_msg(config_load(&cfg, env_get, err, sizeof(err)) == -1, "accepted %s",
			      weak[i]);
		ck_assert_msg(strstr(err, "RELAY_JWT_SECRET") != NULL, "%s -> %s", weak[i], err);
		/* The message never repeats the secret. */
		ck_assert_msg(strstr(err, weak[i]) == NULL, "%s", err);
		config_free(&cfg);
	}
	env_set("RELAY_JWT_SECRET", "0123456789abcdef0123456789abcdef"); /* 32 bytes */
	ck_assert_msg(config_load(&cfg, env_get, err, sizeof(err)) == 0, "%s", err);
	config_free(&cfg);
	/* Only hs256 uses it: other modes ignore a short one. */
	env_set("RELAY_JWT_SECRET", "change-me");
	env_set("RELAY_AUTH", "none");
	ck_assert_msg(config_load(&cfg, env_get, err, sizeof(err)) == 0, "%s", err);
	config_free(&cfg);
}
END_TEST

START_TEST(auth_init_refuses_hs256_without_a_secret)
{
	auth_shutdown(); /* the fixture's */
	struct relay_config bare;
	memset(&bare, 0, sizeof(bare));
	bare.auth_mode = AUTH_MODE_HS256;
	char err[256];
	ck_assert_int_eq(auth_init(&bare, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "RELAY_JWT_SECRET"));
	bare.auth_mode = AUTH_MODE_JWT; /* and jwt mode without any allowed host */
	ck_assert_int_eq(auth_init(&bare, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "RELAY_JWKS_HOSTS"));
	auth_shutdown();
}
END_TEST

/* ---- none mode -------------------------------------------------------- */

START_TEST(none_accepts_anything)
{
	ck_assert_int_eq(check(NULL), RELAY_OK);
	ck_assert_int_eq(check("Basic abc"), RELAY_OK);
	ck_assert_int_eq(check("Bearer garbage"), RELAY_OK);
	ck_assert_int_eq(req.entities_limit, 100);
}
END_TEST

START_TEST(auth_fails_closed_without_configuration)
{
	req.cfg = NULL;
	auth_shutdown();
	ck_assert_int_eq(check(NULL), RELAY_ERR_AUTH);
	ck_assert_ptr_nonnull(strstr(msg, "Authorization failed: "));
	ck_assert_int_eq(auth_check(&req, NULL, NULL, 0), RELAY_ERR_AUTH);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("auth");

	TCase *jwt = tcase_create("jwt");
	tcase_add_unchecked_fixture(jwt, keys_setup, keys_teardown);
	tcase_add_checked_fixture(jwt, jwt_setup, teardown);
	tcase_set_timeout(jwt, 60);
	tcase_add_test(jwt, auth_refuses_a_missing_header);
	tcase_add_test(jwt, auth_refuses_a_wrong_scheme_or_part_count);
	tcase_add_test(jwt, auth_accepts_the_scheme_in_any_case_and_extra_spaces);
	tcase_add_test(jwt, auth_refuses_tokens_that_are_not_jwts);
	tcase_add_test(jwt, auth_accepts_a_valid_configuration_token);
	tcase_add_test(jwt, auth_downloads_the_key_set_once_for_many_calls);
	tcase_add_test(jwt, jwks_cache_flush_makes_the_next_lookup_download_again);
	tcase_add_test(jwt, auth_refuses_an_expired_token);
	tcase_add_test(jwt, auth_refuses_a_token_not_yet_valid);
	tcase_add_test(jwt, auth_refuses_times_that_are_not_numbers);
	tcase_add_test(jwt, auth_accepts_a_token_without_exp);
	tcase_add_test(jwt, auth_refuses_a_wrong_audience);
	tcase_add_test(jwt, auth_refuses_a_token_without_aud);
	tcase_add_test(jwt, auth_accepts_aud_as_an_array);
	tcase_add_test(jwt, auth_accepts_a_trailing_slash_in_aud_or_path);
	tcase_add_test(jwt, auth_refuses_an_audience_of_another_host);
	tcase_add_test(jwt, auth_refuses_the_audience_of_another_module);
	tcase_add_test(jwt, auth_uses_the_bare_url_for_a_bare_path);
	tcase_add_test(jwt, auth_takes_a_location_prefix_from_the_public_url);
	tcase_add_test(jwt, auth_accepts_relay_audience_and_the_public_url_together);
	tcase_add_test(jwt, config_refuses_jwt_mode_without_an_audience);
	tcase_add_test(jwt, auth_refuses_a_missing_jwks_host);
	tcase_add_test(jwt, auth_refuses_a_jwks_host_outside_the_allowlist);
	tcase_add_test(jwt, auth_refuses_when_the_key_set_cannot_be_downloaded);
	tcase_add_test(jwt, auth_refuses_a_missing_kid);
	tcase_add_test(jwt, auth_refuses_an_unknown_kid);
	tcase_add_test(jwt, auth_refuses_a_signature_by_another_key);
	tcase_add_test(jwt, auth_refuses_keys_of_the_other_allowlisted_host);
	tcase_add_test(jwt, auth_refuses_alg_none);
	tcase_add_test(jwt, auth_refuses_hs256_signed_with_the_public_key);
	tcase_add_test(jwt, auth_accepts_a_16k_header);
	tcase_add_test(jwt, auth_refuses_a_huge_header_as_malformed);
	tcase_add_test(jwt, auth_uses_relay_audience_when_set);
	tcase_add_test(jwt, auth_verifies_a_token_once);
	tcase_add_test(jwt, auth_checks_aud_on_a_cache_hit);
	tcase_add_test(jwt, auth_applies_the_entities_limit_claim_on_a_cache_hit);
	tcase_add_test(jwt, auth_never_caches_a_refused_token);
	tcase_add_test(jwt, auth_does_not_cache_a_token_past_its_exp);
	tcase_add_test(jwt, jwks_cache_flush_forgets_keys_and_verified_tokens);
	tcase_add_test(jwt, auth_refuses_a_cached_token_once_its_kid_is_gone);
	tcase_add_test(jwt, auth_refuses_a_cached_token_once_its_kid_names_another_key);
	tcase_add_test(jwt, auth_keeps_a_cached_token_while_its_key_is_published);
	tcase_add_test(jwt, auth_refuses_claims_with_a_nul_or_control_escape);
	tcase_add_test(jwt, auth_accepts_an_escaped_backslash_before_u0000);
	tcase_add_test(jwt, auth_applies_the_entities_limit_claim);
	tcase_add_test(jwt, auth_ignores_an_invalid_entities_limit_claim);
	tcase_add_test(jwt, auth_leaves_the_limit_alone_when_refusing);
	tcase_add_test(jwt, auth_init_refuses_hs256_without_a_secret);
	suite_add_tcase(s, jwt);

	TCase *hs = tcase_create("hs256");
	tcase_add_unchecked_fixture(hs, keys_setup, keys_teardown);
	tcase_add_checked_fixture(hs, hs256_setup, teardown);
	tcase_add_test(hs, hs256_accepts_the_shared_secret);
	tcase_add_test(hs, hs256_refuses_a_wrong_secret);
	tcase_add_test(hs, hs256_refuses_other_algorithms);
	tcase_add_test(hs, hs256_checks_exp_and_nbf);
	tcase_add_test(hs, hs256_without_audience_settings_does_not_check_aud);
	tcase_add_test(hs, hs256_with_a_public_url_requires_the_module_audience);
	tcase_add_test(hs, hs256_with_relay_audience_requires_it);
	tcase_add_test(hs, hs256_checks_aud_on_a_cache_hit);
	tcase_add_test(hs, hs256_refuses_malformed_headers_like_jwt_mode);
	tcase_add_test(hs, config_refuses_a_short_or_placeholder_hs256_secret);
	suite_add_tcase(s, hs);

	TCase *none = tcase_create("none");
	tcase_add_checked_fixture(none, none_setup, teardown);
	tcase_add_test(none, none_accepts_anything);
	tcase_add_test(none, auth_fails_closed_without_configuration);
	suite_add_tcase(s, none);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(auth_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
