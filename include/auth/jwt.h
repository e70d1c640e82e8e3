/* jwt.h: one compact JSON Web Token: parse, verify the signature, check claims.
 *
 * Everything here treats the token as hostile bytes. jwt_parse() only splits
 * and decodes; nothing in the result may be trusted before a jwt_verify_*()
 * call has returned JWT_OK. Base64url decoding is OpenSSL's EVP_DecodeBlock,
 * signatures are libcrypto's EVP_DigestVerify (RS256) and HMAC with a
 * constant-time compare (HS256). JSON is cJSON with bounded lengths.
 *
 * Ownership: a struct jwt owns its decoded header, payload and signature;
 * jwt_free() releases them. `alg` and `kid` point into `header`;
 * `signing_input` points into the caller's token, which must outlive the
 * struct.
 */
#ifndef AUTH_JWT_H
#define AUTH_JWT_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

/* Ceiling of one token (header + payload + signature, base64url). CONTRACT
 * 3.4 requires 16 KiB headers to work; anything longer than this is refused
 * as a malformed token before it is decoded. */
#define JWT_MAX_TOKEN (64 * 1024)

/* Leeway on exp and nbf, for clocks that disagree a little. */
#define JWT_LEEWAY_SECONDS 60

enum jwt_status {
	JWT_OK = 0,
	JWT_ERR_STRUCTURE,     /* not header.payload.signature of base64url JSON objects */
	JWT_ERR_ALG,	       /* alg is not the one the caller pinned */
	JWT_ERR_SIGNATURE,     /* the signature does not verify with the key */
	JWT_ERR_EXPIRED,       /* exp is in the past (beyond the leeway) */
	JWT_ERR_NOT_YET_VALID, /* nbf is in the future (beyond the leeway) */
	JWT_ERR_AUDIENCE,      /* aud missing (when required), malformed or not accepted */
	JWT_ERR_NOMEM,	       /* allocation failed */
	JWT_ERR__MAX
};

struct jwt {
	cJSON *header;		   /* decoded JOSE header, a JSON object (owned) */
	cJSON *payload;		   /* decoded claims, a JSON object (owned) */
	const char *alg;	   /* header "alg", never NULL after a successful parse */
	const char *kid;	   /* header "kid", NULL when absent */
	const char *signing_input; /* "<header>.<payload>" inside the caller's token */
	size_t signing_len;
	unsigned char *sig; /* decoded signature, may be empty (owned) */
	size_t sig_len;
};

/* Splits `token` (`len` bytes, no NUL needed) into its three parts and
 * decodes them. Returns JWT_OK and fills `jwt`; otherwise JWT_ERR_STRUCTURE
 * (wrong number of parts, bad base64url, header or payload not a JSON object,
 * "alg" missing or not a string, "kid" present but not a string, a "crit"
 * header, or longer than JWT_MAX_TOKEN; and, since every string here is read
 * as a C string, the escape \u0000 anywhere in the header or payload, or a
 * control character (C0, DEL, C1) in "kid", "aud", "jwks_host" or "iss") or
 * JWT_ERR_NOMEM, and leaves `jwt` zeroed. Verifies nothing. */
enum jwt_status jwt_parse(const char *token, size_t len, struct jwt *jwt);

/* For a token whose bytes already passed jwt_parse() and a signature check
 * (a token_cache hit): decodes only the payload, for the claim checks, with
 * jwt_parse()'s rules for it. Returns JWT_OK with jwt->payload set and
 * everything else zeroed (no header, alg, kid or signature: nothing here may
 * be used to verify), or JWT_ERR_STRUCTURE / JWT_ERR_NOMEM with `jwt`
 * zeroed. */
enum jwt_status jwt_parse_payload(const char *token, size_t len, struct jwt *jwt);

/* Releases what jwt_parse() allocated. Safe on a zeroed struct. */
void jwt_free(struct jwt *jwt);

/* Verifies an RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature with the RSA
 * public key `key`. Returns JWT_OK, JWT_ERR_ALG when the header's alg is not
 * exactly "RS256" (so "none", "HS256" and the rest never reach a key),
 * JWT_ERR_SIGNATURE when the key is not RSA or the signature is wrong, or
 * JWT_ERR_NOMEM when libcrypto ran out of memory. */
enum jwt_status jwt_verify_rs256(const struct jwt *jwt, EVP_PKEY *key);

/* Verifies an HS256 (HMAC-SHA-256) signature with `secret`, comparing in
 * constant time. Returns JWT_OK, JWT_ERR_ALG when alg is not exactly
 * "HS256", JWT_ERR_SIGNATURE, or JWT_ERR_NOMEM when libcrypto ran out of
 * memory. */
enum jwt_status jwt_verify_hs256(const struct jwt *jwt, const unsigned char *secret,
				 size_t secret_len);

/* Checks the optional "exp" and "nbf" claims against `now` with `leeway`
 * seconds of slack: expired when exp <= now - leeway, not yet valid when
 * nbf > now + leeway. Returns JWT_OK, JWT_ERR_EXPIRED, JWT_ERR_NOT_YET_VALID,
 * or JWT_ERR_STRUCTURE when a present claim is not a number. */
enum jwt_status jwt_check_times(const struct jwt *jwt, time_t now, long leeway);

/* Checks the "aud" claim (a string, or an array of strings) against the
 * `n` accepted values: one of them must equal one of the token's values,
 * see jwt_audience_equal(). An absent claim fails when `required` and passes
 * otherwise. Returns JWT_OK or JWT_ERR_AUDIENCE (also for a claim of the
 * wrong type or an array holding a non-string). */
enum jwt_status jwt_check_audience(const struct jwt *jwt, const char *const *accepted, size_t n,
				   int required);

/* Compares two audience values: one trailing '/' on either side is ignored,
 * and for URLs ("scheme://authority/path") the scheme and authority compare
 * case-insensitively, the path exactly. Returns 1 when equal, else 0. */
int jwt_audience_equal(const char *a, size_t alen, const char *b, size_t blen);

/* The payload claim `name` when it is a string, else NULL. Borrowed from
 * jwt->payload. */
const char *jwt_claim_string(const struct jwt *jwt, const char *name);

/* Decodes base64url without padding (RFC 7515 section 2) through OpenSSL.
 * On success returns 0 and a new NUL-terminated buffer in *out (free() it)
 * of *outlen bytes. Returns -1 for characters outside the base64url
 * alphabet, '=' padding, an impossible length, input longer than
 * JWT_MAX_TOKEN or when out of memory; *out is then NULL. */
int jwt_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);

#endif
