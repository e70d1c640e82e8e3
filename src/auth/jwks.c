/* jwks.c: allowlisted, cached JWKS key sets (the RS256 keys of SecureX).
 *
 * One slot per RELAY_JWKS_HOSTS entry, created at start-up; a slot holds the
 * parsed keys of https://<host>/.well-known/jwks and the bookkeeping that
 * keeps downloads rare: one fetch at a time per host, at most one attempt per
 * JWKS_REFETCH_SECONDS, previous keys kept when a refetch fails. Installing
 * a downloaded set gives each key its serial (jwks.h). The mutex is never
 * held across the network call.
 */
#include "auth/jwks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "auth/jwt.h"
#include "auth/token_cache.h"
#include "config.h"
#include "lib/strbuf.h"
#include "net/upstream.h"

struct jwks_slot {
	char *host;	       /* the allowlist's spelling, used to build the URL (owned) */
	struct jwks_set set;   /* current keys */
	int fetching;	       /* a thread is downloading this host's keys right now */
	int attempted;	       /* attempt_at is meaningful */
	time_t attempt_at;     /* start of the last download attempt */
	int have_keys;	       /* ok_at is meaningful */
	time_t ok_at;	       /* end of the last successful download */
	int last_ok;	       /* the last attempt succeeded */
	unsigned long fetches; /* download attempts, for tests and diagnostics */
};

static pthread_mutex_t jwks_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jwks_fetched = PTHREAD_COND_INITIALIZER;
static struct jwks_slot *jwks_slots;
static size_t jwks_n_slots;
static const struct relay_config *jwks_cfg;
static jwks_fetch_fn jwks_test_fetcher;
static time_t (*jwks_test_clock)(void);
/* The last serial given to a key; never reset, so a serial is never reused
 * (not even across jwks_shutdown()). Guarded by jwks_mutex. */
static unsigned long jwks_serial_last;

static time_t jwks_now(void)
{
	if (jwks_test_clock)
		return jwks_test_clock();
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- parsing ---------------------------------------------------------- */

static BIGNUM *b64url_bignum(const cJSON *item)
{
	if (!cJSON_IsString(item) || !item->valuestring)
		return NULL;
	unsigned char *bytes;
	size_t len;
	if (jwt_b64url_decode(item->valuestring, strlen(item->valuestring), &bytes, &len) != 0)
		return NULL;
	BIGNUM *bn = len > 0 && len <= (size_t)JWKS_RSA_MAX_BITS / 8 + 1
			     ? BN_bin2bn(bytes, (int)len, NULL)
			     : NULL;
	free(bytes);
	return bn;
}

EVP_PKEY *jwks_rsa_from_jwk(const cJSON *jwk)
{
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *n = b64url_bignum(cJSON_GetObjectItemCaseSensitive(jwk, "n"));
	BIGNUM *e = b64url_bignum(cJSON_GetObjectItemCaseSensitive(jwk, "e"));
	if (!n || !e)
		goto done;
	/* A weak or absurd key is refused rather than trusted: the modulus in
	 * the accepted range, the exponent odd, > 1 and at most 64 bits. */
	int bits = BN_num_bits(n);
	if (bits < JWKS_RSA_MIN_BITS || bits > JWKS_RSA_MAX_BITS || !BN_is_odd(n) ||
	    !BN_is_odd(e) || BN_is_one(e) || BN_num_bits(e) > 64)
		goto done;

	if (!(bld = OSSL_PARAM_BLD_new()) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto done;
	if (!(ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	ERR_clear_error();
	return pkey;
}

/* Whether an optional string member is absent or equals `want`. */
static int absent_or(const cJSON *obj, const char *name, const char *want)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!item)
		return 1;
	return cJSON_IsString(item) && item->valuestring && strcmp(item->valuestring, want) == 0;
}

/* The key `kid` of `set`, or NULL. */
static const struct jwks_key *set_key(const struct jwks_set *set, const char *kid)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->keys[i].kid, kid) == 0)
			return &set->keys[i];
	return NULL;
}

int jwks_parse(const char *json, size_t len, struct jwks_set *set)
{
	memset(set, 0, sizeof(*set));
	if (!json)
		return -1;
	/* cJSON reads at most `len` bytes; anything but whitespace after the
	 * document makes it invalid. */
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	while (root && end < json + len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (root && end != json + len) {
		cJSON_Delete(root);
		root = NULL;
	}
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(root, "keys");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(keys)) {
		cJSON_Delete(root);
		return -1;
	}
	set->keys = calloc(JWKS_MAX_KEYS, sizeof(*set->keys));
	if (!set->keys) {
		cJSON_Delete(root);
		return -1;
	}

	const cJSON *jwk;
	cJSON_ArrayForEach (jwk, keys) {
		if (set->n >= JWKS_MAX_KEYS)
			break;
		const cJSON *kid = cJSON_GetObjectItemCaseSensitive(jwk, "kid");
		if (!cJSON_IsObject(jwk) || !cJSON_IsString(kid) || !kid->valuestring ||
		    !*kid->valuestring || strlen(kid->valuestring) > JWKS_MAX_KID)
			continue;
		if (!absent_or(jwk, "kty", "RSA") ||
		    !cJSON_GetObjectItemCaseSensitive(jwk, "kty") ||
		    !absent_or(jwk, "use", "sig") || !absent_or(jwk, "alg", "RS256"))
			continue;
		if (set_key(set, kid->valuestring))
			continue; /* the first key with a kid wins */
		EVP_PKEY *pkey = jwks_rsa_from_jwk(jwk);
		if (!pkey)
			continue;
		char *kid_copy = strdup(kid->valuestring);
		if (!kid_copy) {
			EVP_PKEY_free(pkey);
			cJSON_Delete(root);
			jwks_set_free(set);
			return -1;
		}
		set->keys[set->n].kid = kid_copy;
		set->keys[set->n].pkey = pkey;
		set->n++;
	}
	cJSON_Delete(root);
	return 0;
}

void jwks_set_free(struct jwks_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->keys[i].kid);
		EVP_PKEY_free(set->keys[i].pkey);
	}
	free(set->keys);
	memset(set, 0, sizeof(*set));
}

/* ---- allowlist -------------------------------------------------------- */

int jwks_host_syntax_ok(const char *host)
{
	if (!host || !*host)
		return 0;
	size_t len = 0;
	for (const unsigned char *p = (const unsigned char *)host; *p; p++, len++) {
		if (len >= JWKS_MAX_HOST || *p <= 0x20 || *p >= 0x7f)
			return 0;
		if (strchr("/?#@\\", *p))
			return 0;
	}
	return 1;
}

/* The slot of an allowlisted host, or NULL. The slot array and host names
 * do not change between jwks_init() and jwks_shutdown(), so no lock. */
static struct jwks_slot *slot_find(const char *host)
{
	if (!jwks_host_syntax_ok(host))
		return NULL;
	for (size_t i = 0; i < jwks_n_slots; i++)
		if (strcasecmp(jwks_slots[i].host, host) == 0)
			return &jwks_slots[i];
	return NULL;
}

int jwks_host_allowed(const char *host)
{
	return slot_find(host) != NULL;
}

/* ---- cache ------------------------------------------------------------ */

int jwks_init(const struct relay_config *cfg, char *err, size_t errlen)
{
	if (jwks_slots) {
		snprintf(err, errlen, "jwks: already initialised");
		return -1;
	}
	if (cfg->n_jwks_hosts == 0) {
		snprintf(err, errlen,
			 "RELAY_JWKS_HOSTS: no host allowed, RELAY_AUTH=jwt cannot work");
		return -1;
	}
	jwks_slots = calloc(cfg->n_jwks_hosts, sizeof(*jwks_slots));
	if (!jwks_slots) {
		snprintf(err, errlen, "jwks: out of memory");
		return -1;
	}
	jwks_n_slots = cfg->n_jwks_hosts;
	for (size_t i = 0; i < jwks_n_slots; i++) {
		const char *host = cfg->jwks_hosts[i];
		if (!jwks_host_syntax_ok(host)) {
			snprintf(err, errlen,
				 "RELAY_JWKS_HOSTS: \"%.64s\" is not a host or host:port",
				 host ? host : "");
			jwks_shutdown();
			return -1;
		}
		if (!(jwks_slots[i].host = strdup(host))) {
			snprintf(err, errlen, "jwks: out of memory");
			jwks_shutdown();
			return -1;
		}
	}
	jwks_cfg = cfg;
	return 0;
}

void jwks_shutdown(void)
{
	pthread_mutex_lock(&jwks_mutex);
	for (size_t i = 0; i < jwks_n_slots; i++) {
		free(jwks_slots[i].host);
		jwks_set_free(&jwks_slots[i].set);
	}
	free(jwks_slots);
	jwks_slots = NULL;
	jwks_n_slots = 0;
	jwks_cfg = NULL;
	jwks_test_fetcher = NULL;
	jwks_test_clock = NULL;
	pthread_mutex_unlock(&jwks_mutex);
}

/* Downloads with upstream_get(): https only, JWKS_MAX_BYTES, the configured
 * timeout and CA file. Returns 0 or -1 (the reason goes to stderr, at most
 * once per host per JWKS_REFETCH_SECONDS because of the callers' limit). */
static int fetch_upstream(const char *url, struct strbuf *body)
{
	struct upstream_request req;
	memset(&req, 0, sizeof(req));
	req.url = url;
	req.max_bytes = JWKS_MAX_BYTES;
	req.timeout_ms = 0;
	req.https_only = 1;
	/* An allowlisted host redirecting elsewhere would hand the choice of
	 * keys to a host nobody allowed: same_host_redirects stays 0, so no
	 * redirect is followed and a 3xx (not 2xx) is a failed download. */
	strbuf_init(&req.body, JWKS_MAX_BYTES);
	int rc = -1;
	if (upstream_get(jwks_cfg, &req) == RELAY_OK && req.body.data)
		rc = strbuf_append(body, req.body.data, req.body.len) == STRBUF_OK ? 0 : -1;
	else if (req.status >= 300 && req.status < 400)
		fprintf(stderr, "securex-relay: jwks: %s: HTTP %ld redirect refused\n", url,
			req.status);
	else
		fprintf(stderr, "securex-relay: jwks: %s: %s\n", url,
			req.detail[0] ? req.detail : "download failed");
	upstream_request_free(&req);
	return rc;
}

/* Downloads and parses one host's key set. Runs without the lock. */
static int fetch_set(const char *host, jwks_fetch_fn fetcher, struct jwks_set *set)
{
	char url[JWKS_MAX_HOST + 64];
	int n = snprintf(url, sizeof(url), "https://%s/.well-known/jwks", host);
	if (n < 0 || (size_t)n >= sizeof(url))
		return -1;
	struct strbuf body;
	strbuf_init(&body, JWKS_MAX_BYTES);
	int rc = -1;
	if (fetcher(url, &body) == 0 && body.data && !body.failed) {
		rc = jwks_parse(body.data, body.len, set);
		if (rc != 0)
			fprintf(stderr, "securex-relay: jwks: %s: not a JWKS document\n", url);
	}
	strbuf_free(&body);
	return rc;
}

/* Makes `set` (taken over, left empty) the slot's keys; the caller holds
 * the lock. A kid published before with the same public key keeps its
 * serial, so the tokens verified with it stay cached across downloads;
 * every other key gets a new serial, and the serials of the keys left out
 * are gone with them. */
static void slot_install(struct jwks_slot *slot, struct jwks_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		struct jwks_key *k = &set->keys[i];
		const struct jwks_key *old = set_key(&slot->set, k->kid);
		k->serial = old && EVP_PKEY_eq(old->pkey, k->pkey) == 1 ? old->serial
									: ++jwks_serial_last;
	}
	ERR_clear_error(); /* EVP_PKEY_eq may queue one for keys it cannot compare */
	jwks_set_free(&slot->set);
	slot->set = *set;
	memset(set, 0, sizeof(*set));
}

/* A new reference to `k`'s key in *key, and its serial. */
static enum jwks_status hand_out(const struct jwks_key *k, EVP_PKEY **key, unsigned long *serial)
{
	if (EVP_PKEY_up_ref(k->pkey) != 1)
		return JWKS_NOMEM;
	*key = k->pkey;
	if (serial)
		*serial = k->serial;
	return JWKS_OK;
}

enum jwks_status jwks_get_key(const char *host, const char *kid, EVP_PKEY **key,
			      unsigned long *serial)
{
	*key = NULL;
	struct jwks_slot *slot = slot_find(host);
	if (!slot)
		return JWKS_HOST_REFUSED;
	if (!kid || !*kid || strlen(kid) > JWKS_MAX_KID)
		return JWKS_KID_NOT_FOUND;

	enum jwks_status st;
	int fetched_here = 0;
	pthread_mutex_lock(&jwks_mutex);
	for (;;) {
		const struct jwks_key *found = set_key(&slot->set, kid);
		time_t now = jwks_now();
		int fresh = slot->have_keys && now - slot->ok_at < JWKS_MAX_AGE_SECONDS;
		if (found && fresh) {
			st = hand_out(found, key, serial);
			break;
		}
		if (slot->fetching) {
			/* Someone is downloading this set: wait for that answer. */
			pthread_cond_wait(&jwks_fetched, &jwks_mutex);
			continue;
		}
		int limited = slot->attempted && now - slot->attempt_at < JWKS_REFETCH_SECONDS;
		if (limited || fetched_here) {
			if (found) {
				/* Stale but still published as far as we know. */
				st = hand_out(found, key, serial);
			} else {
				st = slot->last_ok ? JWKS_KID_NOT_FOUND : JWKS_FETCH_FAILED;
			}
			break;
		}

		slot->fetching = 1;
		slot->attempted = 1;
		slot->attempt_at = now;
		slot->fetches++;
		jwks_fetch_fn fetcher = jwks_test_fetcher ? jwks_test_fetcher : fetch_upstream;
		pthread_mutex_unlock(&jwks_mutex);

		struct jwks_set fresh_set;
		int rc = fetch_set(slot->host, fetcher, &fresh_set);

		pthread_mutex_lock(&jwks_mutex);
		if (rc == 0) {
			slot_install(slot, &fresh_set);
			slot->have_keys = 1;
			slot->ok_at = jwks_now();
		}
		slot->last_ok = rc == 0;
		slot->fetching = 0;
		fetched_here = 1;
		pthread_cond_broadcast(&jwks_fetched);
	}
	pthread_mutex_unlock(&jwks_mutex);
	return st;
}

void jwks_cache_flush(void)
{
	pthread_mutex_lock(&jwks_mutex);
	for (size_t i = 0; i < jwks_n_slots; i++) {
		struct jwks_slot *slot = &jwks_slots[i];
		/* Keys handed out hold their own references; a download under
		 * way installs its answer when it ends, which is fresh anyway. */
		jwks_set_free(&slot->set);
		slot->have_keys = 0;
		slot->attempted = 0;
		slot->last_ok = 0;
	}
	pthread_mutex_unlock(&jwks_mutex);
	/* Verifications made with the old keys go too. */
	token_cache_flush();
}

int jwks_key_current(const char *host, const char *kid, unsigned long serial)
{
	struct jwks_slot *slot = slot_find(host);
	if (!slot || !kid || serial == 0)
		return 0;
	pthread_mutex_lock(&jwks_mutex);
	const struct jwks_key *k = set_key(&slot->set, kid);
	int current = k && k->serial == serial;
	pthread_mutex_unlock(&jwks_mutex);
	return current;
}

unsigned long jwks_fetch_count(const char *host)
{
	struct jwks_slot *slot = slot_find(host);
	if (!slot)
		return 0;
	pthread_mutex_lock(&jwks_mutex);
	unsigned long n = slot->fetches;
	pthread_mutex_unlock(&jwks_mutex);
	return n;
}

/* ---- test hooks ------------------------------------------------------- */

void jwks_set_fetcher_for_test(jwks_fetch_fn fetch)
{
	pthread_mutex_lock(&jwks_mutex);
	jwks_test_fetcher = fetch;
	pthread_mutex_unlock(&jwks_mutex);
}

void jwks_set_clock_for_test(time_t (*clock_fn)(void))
{
	pthread_mutex_lock(&jwks_mutex);
	jwks_test_clock = clock_fn;
	pthread_mutex_unlock(&jwks_mutex);
}

int jwks_cache_put_for_test(const char *host, const char *json)
{
	struct jwks_slot *slot = slot_find(host);
	struct jwks_set set;
	if (!slot || !json || jwks_parse(json, strlen(json), &set) != 0)
		return -1;
	pthread_mutex_lock(&jwks_mutex);
	slot_install(slot, &set);
	slot->have_keys = 1;
	slot->last_ok = 1;
	slot->attempted = 1;
	slot->attempt_at = slot->ok_at = jwks_now();
	pthread_mutex_unlock(&jwks_mutex);
	return 0;
}
