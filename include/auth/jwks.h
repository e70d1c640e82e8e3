/* jwks.h: the RSA signing keys of the allowlisted JWKS hosts, fetched and cached.
 *
 * SecureX signs configuration tokens with a key published at
 * https://<jwks_host>/.well-known/jwks. The token names its jwks_host, but
 * the token is not yet verified when we read it, so a host is only ever
 * contacted when it is in RELAY_JWKS_HOSTS (exact host or host:port, compared
 * case-insensitively), and the URL is built from the allowlist's own string.
 *
 * The cache has one slot per allowlisted host, made by jwks_init(), so its
 * size never depends on what clients send. It is shared by all worker
 * threads under one mutex. A slot is (re)fetched when a kid is unknown or its
 * keys are older than JWKS_MAX_AGE_SECONDS, but at most once per
 * JWKS_REFETCH_SECONDS; while one thread fetches, the others asking the same
 * host wait for that fetch instead of starting their own. A failed refetch
 * keeps the previous keys. Fetches use upstream_get() with https_only, no
 * redirects (a 3xx is a failed download), the JWKS_MAX_BYTES cap and the
 * configured timeouts and CA file.
 *
 * Each key carries a serial, unique for as long as the process runs: a
 * download that publishes the same kid with the same public key keeps it,
 * anything else (a new kid, the kid with another key) gets a new one, and a
 * kid no longer published takes its serial with it. A token verified with
 * a key stays trusted only while jwks_key_current() says that serial is
 * still there (token_cache.h).
 *
 * Ownership: jwks_get_key() hands out a reference (EVP_PKEY_up_ref) that the
 * caller frees with EVP_PKEY_free(); key sets are freed by jwks_shutdown().
 */
#ifndef AUTH_JWKS_H
#define AUTH_JWKS_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

struct relay_config;
struct strbuf;

#define JWKS_MAX_BYTES (256 * 1024) /* ceiling of one JWKS answer */
#define JWKS_MAX_KEYS 64	    /* keys kept from one answer; the rest are ignored */
#define JWKS_MAX_KID 256	    /* longest kid kept */
#define JWKS_MAX_HOST 262	    /* longest jwks_host: a DNS name and ":port" */
#define JWKS_REFETCH_SECONDS 60	    /* at most one download per host per this */
#define JWKS_MAX_AGE_SECONDS 3600   /* keys older than this are refreshed when possible */
#define JWKS_RSA_MIN_BITS 2048
#define JWKS_RSA_MAX_BITS 8192

enum jwks_status {
	JWKS_OK = 0,
	JWKS_HOST_REFUSED,  /* jwks_host malformed or not in the allowlist: nothing was contacted */
	JWKS_KID_NOT_FOUND, /* the host's key set has no usable key with this kid */
	JWKS_FETCH_FAILED,  /* the key set could not be downloaded or parsed */
	JWKS_NOMEM,
	JWKS__MAX
};

/* One usable RSA signing key of a key set. */
struct jwks_key {
	char *kid;	      /* owned */
	EVP_PKEY *pkey;	      /* owned reference */
	unsigned long serial; /* see above; 0 until the set is installed in the cache */
};

struct jwks_set {
	struct jwks_key *keys; /* owned array */
	size_t n;
};

/* Makes one cache slot per host of cfg->jwks_hosts. `cfg` is borrowed and
 * must outlive the cache. Returns 0, or -1 with a message in `err`. Calling
 * it again without jwks_shutdown() fails. */
int jwks_init(const struct relay_config *cfg, char *err, size_t errlen);

/* Frees every slot and key. Call only when no other thread uses the cache. */
void jwks_shutdown(void);

/* Whether `host` is syntactically a bare host or host:port: non-empty, at
 * most JWKS_MAX_HOST bytes, no '/', '?', '#', '@', '\\', whitespace, control
 * or non-ASCII bytes. Returns 1 or 0. */
int jwks_host_syntax_ok(const char *host);

/* Whether `host` passes jwks_host_syntax_ok() and names a slot (an
 * allowlisted host). Returns 1 or 0; never contacts anything. */
int jwks_host_allowed(const char *host);

/* Finds the key `kid` of `host`, fetching the host's key set when needed
 * (see above). Returns JWKS_OK with a new reference in *key and, when
 * `serial` is not NULL, the key's serial in *serial; or an error with *key
 * NULL: JWKS_HOST_REFUSED (checked before any connection),
 * JWKS_KID_NOT_FOUND, JWKS_FETCH_FAILED or JWKS_NOMEM. Thread-safe; may
 * block for one fetch (bounded by the upstream timeout). */
enum jwks_status jwks_get_key(const char *host, const char *kid, EVP_PKEY **key,
			      unsigned long *serial);

/* Whether the key set held for `host` (nothing is downloaded) still
 * publishes `kid` with the key of that `serial`: 1 or 0 (also for an
 * unknown host, serial 0, or after jwks_cache_flush()). Thread-safe and
 * cheap: the check of every token cache hit. */
int jwks_key_current(const char *host, const char *kid, unsigned long serial);

/* Parses a JWKS document of `len` bytes. Keeps keys with kty "RSA", a
 * string kid, "use" absent or "sig", "alg" absent or "RS256", and a modulus
 * of JWKS_RSA_MIN_BITS..JWKS_RSA_MAX_BITS; skips the others. Returns 0 and
 * fills `set` (possibly empty), or -1 when the document is not a JSON object
 * with a "keys" array or memory runs out (`set` is then empty). */
int jwks_parse(const char *json, size_t len, struct jwks_set *set);

/* Frees the keys of a set; safe on a zeroed set. */
void jwks_set_free(struct jwks_set *set);

/* Builds an RSA public key from a JWK object's base64url "n" and "e"
 * (OSSL_PARAM_BLD + EVP_PKEY_fromdata). Returns a new key or NULL when a
 * field is missing, malformed, or out of the accepted size range. */
EVP_PKEY *jwks_rsa_from_jwk(const cJSON *jwk);

/* Forgets every host's keys, and every verified token (token_cache_flush),
 * so the next call downloads the key sets again at once (no
 * JWKS_REFETCH_SECONDS wait): what SIGHUP does after a key rotation.
 * Thread-safe, but takes mutexes: call it from a normal thread (e.g. the
 * main loop after a signal handler set a flag), never from the handler.
 * Safe before jwks_init() (then only the token cache is flushed). */
void jwks_cache_flush(void);

/* How many downloads of `host`'s key set were attempted since jwks_init();
 * 0 for an unknown host. */
unsigned long jwks_fetch_count(const char *host);

/* Test hooks. Not used by the relay itself.
 *
 * jwks_set_fetcher_for_test: replaces the download (NULL restores
 * upstream_get). The fetcher gets the URL and appends the answer to `body`
 * (a strbuf capped at JWKS_MAX_BYTES); it returns 0 on success, -1 on
 * failure.
 * jwks_set_clock_for_test: replaces the monotonic clock in seconds (NULL
 * restores it).
 * jwks_cache_put_for_test: installs `json` as `host`'s key set, as if
 * downloaded now. Returns 0, or -1 (unknown host, bad JSON). */
typedef int (*jwks_fetch_fn)(const char *url, struct strbuf *body);
void jwks_set_fetcher_for_test(jwks_fetch_fn fetch);
void jwks_set_clock_for_test(time_t (*clock_fn)(void));
int jwks_cache_put_for_test(const char *host, const char *json);

#endif
