/* jwt_testkit.h: keys and signed tokens made at test time for test_jwt and test_auth.
 *
 * Header-only (static inline) so the Makefile does not link it into every
 * unit test program. Every function returns memory the caller frees with
 * free() (or EVP_PKEY_free for keys) and aborts the test process on
 * allocation or libcrypto failure: a broken fixture is not a test result.
 */
#ifndef JWT_TESTKIT_H
#define JWT_TESTKIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static inline void kit_die(const char *what)
{
	fprintf(stderr, "jwt_testkit: %s failed\n", what);
	abort();
}

static inline char *kit_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *kit_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out = NULL;
	if (vasprintf(&out, fmt, ap) < 0)
		kit_die("vasprintf");
	va_end(ap);
	return out;
}

static inline EVP_PKEY *kit_rsa_key(unsigned bits)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!key)
		kit_die("EVP_PKEY_Q_keygen");
	return key;
}

/* base64url without padding, through OpenSSL's EVP_EncodeBlock. */
static inline char *kit_b64url(const void *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		kit_die("malloc");
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (int i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return out;
}

static inline char *kit_b64url_str(const char *s)
{
	return kit_b64url(s, strlen(s));
}

static inline char *kit_bn_param_b64url(const EVP_PKEY *key, const char *name)
{
	BIGNUM *bn = NULL;
	if (!EVP_PKEY_get_bn_param(key, name, &bn))
		kit_die("EVP_PKEY_get_bn_param");
	int len = BN_num_bytes(bn);
	unsigned char *bytes = malloc((size_t)len + 1);
	if (!bytes)
		kit_die("malloc");
	BN_bn2bin(bn, bytes);
	char *out = kit_b64url(bytes, (size_t)len);
	free(bytes);
	BN_free(bn);
	return out;
}

/* One JWK object for the public half of `key`. */
static inline char *kit_jwk(const EVP_PKEY *key, const char *kid)
{
	char *n = kit_bn_param_b64url(key, OSSL_PKEY_PARAM_RSA_N);
	char *e = kit_bn_param_b64url(key, OSSL_PKEY_PARAM_RSA_E);
	char *out = kit_printf("{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"%s\","
			       "\"n\":\"%s\",\"e\":\"%s\"}",
			       kid, n, e);
	free(n);
	free(e);
	return out;
}

/* {"keys":[<jwk of key1>(, <jwk of key2>)]}; key2 may be NULL. */
static inline char *kit_jwks(const EVP_PKEY *key1, const char *kid1, const EVP_PKEY *key2,
			     const char *kid2)
{
	char *a = kit_jwk(key1, kid1);
	char *b = key2 ? kit_jwk(key2, kid2) : NULL;
	char *out = b ? kit_printf("{\"keys\":[%s,%s]}", a, b) : kit_printf("{\"keys\":[%s]}", a);
	free(a);
	free(b);
	return out;
}

/* "<b64url(header)>.<b64url(payload)>" */
static inline char *kit_signing_input(const char *header, const char *payload)
{
	char *h = kit_b64url_str(header);
	char *p = kit_b64url_str(payload);
	char *out = kit_printf("%s.%s", h, p);
	free(h);
	free(p);
	return out;
}

static inline char *kit_sign_rs256(EVP_PKEY *key, const char *header, const char *payload)
{
	char *input = kit_signing_input(header, payload);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sig_len = 0;
	if (!ctx || EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, (unsigned char *)input, strlen(input)) != 1)
		kit_die("EVP_DigestSignInit");
	unsigned char *sig = malloc(sig_len);
	if (!sig || EVP_DigestSign(ctx, sig, &sig_len, (unsigned char *)input, strlen(input)) != 1)
		kit_die("EVP_DigestSign");
	EVP_MD_CTX_free(ctx);
	char *s = kit_b64url(sig, sig_len);
	char *out = kit_printf("%s.%s", input, s);
	free(sig);
	free(s);
	free(input);
	return out;
}

static inline char *kit_sign_hs256(const void *secret, size_t secret_len, const char *header,
				   const char *payload)
{
	char *input = kit_signing_input(header, payload);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	if (!HMAC(EVP_sha256(), secret, (int)secret_len, (unsigned char *)input, strlen(input), mac,
		  &mac_len))
		kit_die("HMAC");
	char *s = kit_b64url(mac, mac_len);
	char *out = kit_printf("%s.%s", input, s);
	free(s);
	free(input);
	return out;
}

/* "<header>.<payload>." with no signature (alg none). */
static inline char *kit_unsigned(const char *header, const char *payload)
{
	char *input = kit_signing_input(header, payload);
	char *out = kit_printf("%s.", input);
	free(input);
	return out;
}

/* The public key as PEM (SubjectPublicKeyInfo) text; *len gets its length. */
static inline char *kit_public_pem(EVP_PKEY *key, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	if (!bio || PEM_write_bio_PUBKEY(bio, key) != 1)
		kit_die("PEM_write_bio_PUBKEY");
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	char *out = malloc((size_t)n + 1);
	if (!out)
		kit_die("malloc");
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	return out;
}

/* The public key as DER (SubjectPublicKeyInfo) bytes. */
static inline unsigned char *kit_public_der(EVP_PKEY *key, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);
	if (n <= 0)
		kit_die("i2d_PUBKEY");
	unsigned char *out = malloc((size_t)n);
	if (!out)
		kit_die("malloc");
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

#endif
