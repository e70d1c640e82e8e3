/* token_cache.h: the bearer tokens that already passed authentication, so each is verified once.
 *
 * SecureX sends the same configuration token on every call of a session, and
 * an RS256 signature check costs about a fifth of the relay's throughput.
 * auth_check() looks the token up here first; on a hit it skips the
 * signature (and the key lookup) but still checks every claim (aud for the
 * module of this request, exp, nbf, CTR_ENTITIES_LIMIT). Only a token that
 * passed the whole check is added, so a failure is never remembered and a
 * caller cannot fill the cache with tokens that were refused.
 *
 * Keys are the SHA-256 (libcrypto EVP) of the whole token: the same bytes
 * mean the same header, claims and signature. The cache holds at most
 * `capacity` entries (least recently used out); an entry lives for the
 * lifetime its caller gives, capped at TOKEN_CACHE_MAX_SECONDS. Times are
 * monotonic seconds passed in by the caller, so tests choose the clock.
 *
 * A verification is only as good as its key: each entry remembers the key
 * it was verified with (struct token_key: JWKS host, kid and the key's
 * serial), and a hit hands it back so the caller can check that the key is
 * still published (jwks_key_current) before trusting the hit, and drop the
 * entry with token_cache_forget() when it is not. The cache itself knows
 * nothing of JWKS.
 *
 * Thread-safe: one mutex, never held across anything slow. Before
 * token_cache_init() (and after token_cache_shutdown()) every call is a
 * no-op that finds nothing.
 */
#ifndef AUTH_TOKEN_CACHE_H
#define AUTH_TOKEN_CACHE_H

#include <stddef.h>
#include <time.h>

#define TOKEN_CACHE_CAPACITY 1024    /* default number of entries */
#define TOKEN_CACHE_MAX_SECONDS 3600 /* no entry outlives this, whatever its exp */
#define TOKEN_DIGEST_LEN 32
#define TOKEN_KEY_MAX_HOST 262 /* longest JWKS host remembered (jwks.h JWKS_MAX_HOST) */
#define TOKEN_KEY_MAX_KID 256  /* longest kid remembered (jwks.h JWKS_MAX_KID) */

struct token_digest {
	unsigned char bytes[TOKEN_DIGEST_LEN];
};

/* The key a token was verified with: the JWKS host and the kid that named
 * it, and its serial (jwks.h: changes when the host stops publishing that
 * key under that kid). A token verified with the shared secret (hs256) has
 * an empty host and kid and serial 0. */
struct token_key {
	char host[TOKEN_KEY_MAX_HOST + 1];
	char kid[TOKEN_KEY_MAX_KID + 1];
	unsigned long serial;
};

/* SHA-256 of `len` bytes of `token`. Returns 0, or -1 when libcrypto fails
 * (out of memory); the caller then simply does not use the cache. */
int token_digest(const char *token, size_t len, struct token_digest *out);

/* Makes an empty cache of `capacity` entries (0: TOKEN_CACHE_CAPACITY).
 * Call before the worker threads start. Returns 0, or -1 when out of memory
 * or already initialised. */
int token_cache_init(size_t capacity);

/* Frees every entry. Call only when no other thread uses the cache. */
void token_cache_shutdown(void);

/* Whether `d` is cached and not expired at `now`; a hit becomes the most
 * recently used entry, an expired entry is dropped. On a hit, when `key` is
 * not NULL, the key the token was verified with is copied there. Returns 1
 * or 0. */
int token_cache_contains(const struct token_digest *d, time_t now, struct token_key *key);

/* Remembers `d` from `now` for `lifetime` seconds (capped at
 * TOKEN_CACHE_MAX_SECONDS), verified with `key` (NULL: no key, hs256);
 * nothing when lifetime <= 0 or a name of `key` is longer than the
 * TOKEN_KEY_MAX_* above. A digest already present is replaced. When full,
 * the least recently used entry goes. `key` is copied. */
void token_cache_add(const struct token_digest *d, time_t now, long lifetime,
		     const struct token_key *key);

/* Drops `d` after token_cache_contains() found it but its key is no longer
 * published: the entry goes (if still there), and that lookup counts as a
 * miss, not a hit. */
void token_cache_forget(const struct token_digest *d);

/* Forgets every entry (after a key rotation, SIGHUP). */
void token_cache_flush(void);

/* Entries held now, hits and misses since init (for tests and /metrics). */
size_t token_cache_count(void);
unsigned long token_cache_hits(void);
unsigned long token_cache_misses(void);

#endif
