/* jwt.c: split, decode and verify one compact JWT; check exp, nbf and aud.
 *
 * All decoding is bounded: the token is capped at JWT_MAX_TOKEN before
 * anything is allocated, base64url goes through OpenSSL's EVP_DecodeBlock
 * after the alphabet is translated, and JSON through cJSON with explicit
 * lengths. The signature checks are libcrypto's; nothing here is hand-rolled
 * crypto.
 */
#include "auth/jwt.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/hmac.h>

static int b64url_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

int jwt_b64url_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	/* A base64 quantum of a single character cannot encode a byte. */
	if (len > JWT_MAX_TOKEN || len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (!b64url_char((unsigned char)in[i]))
			return -1;

	size_t pad = (4 - len % 4) % 4;
	size_t padded = len + pad;
	char *std = malloc(padded + 1);
	unsigned char *buf = malloc(padded / 4 * 3 + 1);
	if (!std || !buf) {
		free(std);
		free(buf);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	for (size_t i = len; i < padded; i++)
		std[i] = '=';
	std[padded] = '\0';

	/* EVP_DecodeBlock decodes whole quanta and counts the padding as zero
	 * bytes, so the real length is its result minus the padding. */
	int n = padded ? EVP_DecodeBlock(buf, (const unsigned char *)std, (int)padded) : 0;
	free(std);
	if (n < 0 || (size_t)n < pad) {
		free(buf);
		return -1;
	}
	*outlen = (size_t)n - pad;
	buf[*outlen] = '\0';
	*out = buf;
	return 0;
}

/* Whether the JSON text holds the escape \u0000. cJSON decodes it into a NUL
 * inside the string (or member name), and every C string function then
 * takes that NUL for the end: "aud":"<ours>\u0000.evil" reads as "<ours>".
 * No length survives the parse to compare with, so the text is searched:
 * it parsed as JSON, so every backslash is inside a string, and "\u0000"
 * is an escape exactly when the backslashes in front of it are even in
 * number ("\\u0000" is an escaped backslash and the text u0000). */
static int json_has_nul_escape(const char *text, size_t len)
{
	const char *end = text + len;
	for (const char *p = text; (p = memmem(p, (size_t)(end - p), "\\u0000", 6)) != NULL; p++) {
		size_t before = 0;
		while (p - before > text && p[-(ptrdiff_t)before - 1] == '\\')
			before++;
		if (before % 2 == 0)
			return 1;
	}
	return 0;
}

/* Whether `s` holds a control character: C0 (below 0x20), DEL, or C1
 * (U+0080..U+009F, the UTF-8 bytes C2 80..C2 9F). */
static int has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 1;
	return 0;
}

/* Whether the member `name` of `obj`, a string or an array's strings, holds
 * a control character. Other types are left to the claim checks. */
static int member_has_control(const cJSON *obj, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (cJSON_IsString(item))
		return item->valuestring && has_control(item->valuestring);
	const cJSON *el;
	if (cJSON_IsArray(item))
		cJSON_ArrayForEach (el, item)
			if (cJSON_IsString(el) && el->valuestring && has_control(el->valuestring))
				return 1;
	return 0;
}

/* The claims that choose the key (jwks_host) and say who the token is for
 * and from (aud, iss): compared as C strings, so no control character. */
static int payload_claims_clean(const cJSON *payload)
{
	return !member_has_control(payload, "aud") && !member_has_control(payload, "jwks_host") &&
	       !member_has_control(payload, "iss");
}

/* Decodes one base64url part holding a JSON object. Returns the object or
 * NULL (bad base64url, not JSON, trailing bytes, embedded NUL, the escape
 * \u0000, not an object). */
static cJSON *decode_json_part(const char *part, size_t len)
{
	unsigned char *text;
	size_t text_len;
	if (len == 0 || jwt_b64url_decode(part, len, &text, &text_len) != 0)
		return NULL;
	const char *end = NULL;
	/* Length + 1 so cJSON sees the terminating NUL it requires; `end` must
	 * then sit on our NUL, or the JSON had an embedded NUL. */
	cJSON *json = cJSON_ParseWithLengthOpts((const char *)text, text_len + 1, &end, 1);
	if (json && (end != (const char *)text + text_len || !cJSON_IsObject(json) ||
		     json_has_nul_escape((const char *)text, text_len))) {
		cJSON_Delete(json);
		json = NULL;
	}
	free(text);
	return json;
}

/* Clears *jwt and finds the two dots of a three-part token within the size
 * limit. Returns 0, or -1 for anything else. Also clears errno: the
 * decoders answer NULL or -1 for bad input and for a failed allocation
 * alike, and malloc's ENOMEM tells them apart. */
static int jwt_split(const char *token, size_t len, struct jwt *jwt, const char **dot1,
		     const char **dot2)
{
	memset(jwt, 0, sizeof(*jwt));
	if (!token || len == 0 || len > JWT_MAX_TOKEN)
		return -1;
	errno = 0;
	*dot1 = memchr(token, '.', len);
	*dot2 = *dot1 ? memchr(*dot1 + 1, '.', len - (size_t)(*dot1 + 1 - token)) : NULL;
	if (!*dot2 || memchr(*dot2 + 1, '.', len - (size_t)(*dot2 + 1 - token)))
		return -1;
	return 0;
}

enum jwt_status jwt_parse(const char *token, size_t len, struct jwt *jwt)
{
	const char *dot1, *dot2;
	if (jwt_split(token, len, jwt, &dot1, &dot2) != 0)
		return JWT_ERR_STRUCTURE;

	const char *sig = dot2 + 1;
	size_t sig_b64_len = len - (size_t)(sig - token);

	jwt->header = decode_json_part(token, (size_t)(dot1 - token));
	if (!jwt->header)
		goto bad;
	jwt->payload = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!jwt->payload)
		goto bad;
	if (!payload_claims_clean(jwt->payload))
		goto bad;
	if (jwt_b64url_decode(sig, sig_b64_len, &jwt->sig, &jwt->sig_len) != 0)
		goto bad;

	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(jwt->header, "alg");
	if (!cJSON_IsString(alg) || !alg->valuestring)
		goto bad;
	jwt->alg = alg->valuestring;

	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(jwt->header, "kid");
	if (kid) {
		if (!cJSON_IsString(kid) || !kid->valuestring || has_control(kid->valuestring))
			goto bad;
		jwt->kid = kid->valuestring;
	}
	/* RFC 7515 4.1.11: extensions listed in "crit" must be understood; we
	 * understand none, so such a token is refused. */
	if (cJSON_GetObjectItemCaseSensitive(jwt->header, "crit"))
		goto bad;

	jwt->signing_input = token;
	jwt->signing_len = (size_t)(dot2 - token);
	return JWT_OK;
bad:
	jwt_free(jwt);
	return errno == ENOMEM ? JWT_ERR_NOMEM : JWT_ERR_STRUCTURE;
}

enum jwt_status jwt_parse_payload(const char *token, size_t len, struct jwt *jwt)
{
	const char *dot1, *dot2;
	if (jwt_split(token, len, jwt, &dot1, &dot2) != 0)
		return JWT_ERR_STRUCTURE;
	jwt->payload = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!jwt->payload)
		return errno == ENOMEM ? JWT_ERR_NOMEM : JWT_ERR_STRUCTURE;
	if (!payload_claims_clean(jwt->payload)) {
		jwt_free(jwt);
		return JWT_ERR_STRUCTURE;
	}
	return JWT_OK;
}

void jwt_free(struct jwt *jwt)
{
	cJSON_Delete(jwt->header);
	cJSON_Delete(jwt->payload);
	free(jwt->sig);
	memset(jwt, 0, sizeof(*jwt));
}

/* Empties this thread's libcrypto error queue; returns whether it held a
 * failed allocation, after which a refusal says nothing about the token. */
static int crypto_out_of_memory(void)
{
	unsigned long e;
	int oom = 0;
	while ((e = ERR_get_error()) != 0)
		oom |= ERR_GET_REASON(e) == ERR_GET_REASON(ERR_R_MALLOC_FAILURE);
	return oom;
}

enum jwt_status jwt_verify_rs256(const struct jwt *jwt, EVP_PKEY *key)
{
	if (!jwt->alg || strcmp(jwt->alg, "RS256") != 0)
		return JWT_ERR_ALG;
	if (!key || !EVP_PKEY_is_a(key, "RSA") || jwt->sig_len == 0 ||
	    jwt->sig_len != (size_t)EVP_PKEY_get_size(key))
		return JWT_ERR_SIGNATURE;

	enum jwt_status st = JWT_ERR_SIGNATURE;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return JWT_ERR_NOMEM;
	/* The default padding of an RSA key is PKCS #1 v1.5, which is RS256. */
	if (EVP_DigestVerifyInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
	    EVP_DigestVerify(ctx, jwt->sig, jwt->sig_len, (const unsigned char *)jwt->signing_input,
			     jwt->signing_len) == 1)
		st = JWT_OK;
	EVP_MD_CTX_free(ctx);
	/* The error queue is per thread; leave it clean for the next user. */
	if (crypto_out_of_memory() && st != JWT_OK)
		st = JWT_ERR_NOMEM;
	return st;
}

enum jwt_status jwt_verify_hs256(const struct jwt *jwt, const unsigned char *secret,
				 size_t secret_len)
{
	if (!jwt->alg || strcmp(jwt->alg, "HS256") != 0)
		return JWT_ERR_ALG;
	if (!secret || secret_len == 0 || secret_len > (size_t)INT_MAX)
		return JWT_ERR_SIGNATURE;

	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	if (!HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)jwt->signing_input,
		  jwt->signing_len, mac, &mac_len))
		return crypto_out_of_memory() ? JWT_ERR_NOMEM : JWT_ERR_SIGNATURE;
	if (jwt->sig_len != mac_len || CRYPTO_memcmp(mac, jwt->sig, mac_len) != 0)
		return JWT_ERR_SIGNATURE;
	return JWT_OK;
}

enum jwt_status jwt_check_times(const struct jwt *jwt, time_t now, long leeway)
{
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(jwt->payload, "exp");
	const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(jwt->payload, "nbf");
	if ((exp && !cJSON_IsNumber(exp)) || (nbf && !cJSON_IsNumber(nbf)))
		return JWT_ERR_STRUCTURE;
	/* Doubles: JSON numbers of any size compare without overflow. */
	double t = (double)now;
	if (exp && exp->valuedouble <= t - (double)leeway)
		return JWT_ERR_EXPIRED;
	if (nbf && nbf->valuedouble > t + (double)leeway)
		return JWT_ERR_NOT_YET_VALID;
	return JWT_OK;
}

/* Length of "scheme://authority" at the start of `s`, or 0 when `s` is not
 * such a URL. */
static size_t url_origin_len(const char *s, size_t len)
{
	const char *sep = NULL;
	for (size_t i = 0; i + 2 < len; i++) {
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
			sep = s + i;
			break;
		}
		if (s[i] == '/')
			return 0;
	}
	if (!sep || sep == s)
		return 0;
	const char *auth = sep + 3;
	const char *slash = memchr(auth, '/', len - (size_t)(auth - s));
	return slash ? (size_t)(slash - s) : len;
}

int jwt_audience_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen > 0 && a[alen - 1] == '/')
		alen--;
	if (blen > 0 && b[blen - 1] == '/')
		blen--;
	if (alen != blen)
		return 0;
	size_t oa = url_origin_len(a, alen), ob = url_origin_len(b, blen);
	if (oa != ob)
		return 0;
	return strncasecmp(a, b, oa) == 0 && memcmp(a + oa, b + oa, alen - oa) == 0;
}

static int audience_accepted(const char *value, const char *const *accepted, size_t n)
{
	size_t vlen = strlen(value);
	for (size_t i = 0; i < n; i++)
		if (accepted[i] &&
		    jwt_audience_equal(value, vlen, accepted[i], strlen(accepted[i])))
			return 1;
	return 0;
}

enum jwt_status jwt_check_audience(const struct jwt *jwt, const char *const *accepted, size_t n,
				   int required)
{
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(jwt->payload, "aud");
	if (!aud)
		return required ? JWT_ERR_AUDIENCE : JWT_OK;
	if (cJSON_IsString(aud) && aud->valuestring)
		return audience_accepted(aud->valuestring, accepted, n) ? JWT_OK : JWT_ERR_AUDIENCE;
	if (!cJSON_IsArray(aud))
		return JWT_ERR_AUDIENCE;

	int found = 0;
	const cJSON *item;
	cJSON_ArrayForEach (item, aud) {
		if (!cJSON_IsString(item) || !item->valuestring)
			return JWT_ERR_AUDIENCE;
		if (audience_accepted(item->valuestring, accepted, n))
			found = 1;
	}
	return found ? JWT_OK : JWT_ERR_AUDIENCE;
}

const char *jwt_claim_string(const struct jwt *jwt, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(jwt->payload, name);
	return cJSON_IsString(item) ? item->valuestring : NULL;
}
