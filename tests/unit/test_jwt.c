/* test_jwt.c: the JWT parser and checks (jwt.c) and the JWKS parser, allowlist and cache (jwks.c).
 *
 * Keys are generated at test time with libcrypto and tokens signed here; the
 * JWKS download is replaced by a counting fetcher and the clock by a
 * settable one, so the cache's rate limit is tested without waiting.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth/jwks.h"
#include "auth/jwt.h"
#include "config.h"
#include "lib/strbuf.h"

#include "jwt_testkit.h"
#include "testutil.h"

static EVP_PKEY *key_a; /* the "SecureX" key */
static EVP_PKEY *key_b; /* somebody else's key */

static void keys_setup(void)
{
	key_a = kit_rsa_key(2048);
	key_b = kit_rsa_key(2048);
}

static void keys_teardown(void)
{
	EVP_PKEY_free(key_a);
	EVP_PKEY_free(key_b);
	key_a = key_b = NULL;
}

#define RS256_HEADER "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"
#define PAYLOAD "{\"sub\":\"x\",\"aud\":\"https://relay.example.com/tweettioc\"}"

static enum jwt_status parse_str(const char *token, struct jwt *jwt)
{
	return jwt_parse(token, strlen(token), jwt);
}

/* A token from literal header and payload JSON, with a given signature part. */
static char *raw_token(const char *header, const char *payload, const char *sig)
{
	char *input = kit_signing_input(header, payload);
	char *out = kit_printf("%s.%s", input, sig);
	free(input);
	return out;
}

/* ---- base64url -------------------------------------------------------- */

static int decodes_to(const char *in, const char *want, size_t want_len)
{
	unsigned char *out;
	size_t len;
	if (jwt_b64url_decode(in, strlen(in), &out, &len) != 0)
		return 0;
	int ok = len == want_len && memcmp(out, want, len) == 0 && out[len] == '\0';
	free(out);
	return ok;
}

static int refused(const char *in, size_t len)
{
	unsigned char *out = (unsigned char *)"x";
	size_t n = 7;
	return jwt_b64url_decode(in, len, &out, &n) == -1 && out == NULL && n == 0;
}

START_TEST(b64url_decodes_without_padding)
{
	ck_assert(decodes_to("TWFu", "Man", 3));
	ck_assert(decodes_to("TWE", "Ma", 2));
	ck_assert(decodes_to("TQ", "M", 1));
	ck_assert(decodes_to("", "", 0));
}
END_TEST

START_TEST(b64url_uses_the_url_alphabet)
{
	ck_assert(decodes_to("-_8", "\xfb\xff", 2));
	ck_assert(refused("+_8", 3));
	ck_assert(refused("-/8", 3));
}
END_TEST

START_TEST(b64url_refuses_padding_whitespace_and_bad_lengths)
{
	ck_assert(refused("TQ==", 4));
	ck_assert(refused(" TQ", 3));
	ck_assert(refused("TQ\n", 3));
	ck_assert(refused("TWFuT", 5)); /* 5 % 4 == 1 cannot encode bytes */
	ck_assert(refused("TW\0u", 4));
	ck_assert(refused("T.Fu", 4));
}
END_TEST

START_TEST(b64url_refuses_input_over_the_token_ceiling)
{
	size_t len = JWT_MAX_TOKEN + 4;
	char *big = malloc(len);
	ck_assert_ptr_nonnull(big);
	memset(big, 'A', len);
	ck_assert(refused(big, len));
	free(big);
}
END_TEST

/* ---- parsing ---------------------------------------------------------- */

START_TEST(jwt_parse_reads_alg_kid_and_signing_input)
{
	char *token = kit_sign_rs256(key_a, RS256_HEADER, PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_str_eq(jwt.alg, "RS256");
	ck_assert_str_eq(jwt.kid, "k1");
	ck_assert_uint_eq(jwt.sig_len, 256);
	ck_assert_ptr_eq(jwt.signing_input, token);
	ck_assert_int_eq(token[jwt.signing_len], '.');
	ck_assert_str_eq(jwt_claim_string(&jwt, "sub"), "x");
	ck_assert_ptr_null(jwt_claim_string(&jwt, "missing"));
	jwt_free(&jwt);
	free(token);
}
END_TEST

START_TEST(jwt_parse_payload_decodes_the_payload_only)
{
	char *token = kit_sign_rs256(key_a, RS256_HEADER, PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(jwt_parse_payload(token, strlen(token), &jwt), JWT_OK);
	ck_assert_str_eq(jwt_claim_string(&jwt, "sub"), "x");
	ck_assert_ptr_null(jwt.header);
	ck_assert_ptr_null(jwt.alg);
	ck_assert_ptr_null(jwt.sig);
	ck_assert_ptr_null(jwt.signing_input);
	/* Nothing to verify with: a verifier refuses it. */
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_ERR_ALG);
	jwt_free(&jwt);
	free(token);
	static const char *const bad[] = {"a.b", "a.b.c.d", "e30..x", "x.bm90IGpzb24.x", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(jwt_parse_payload(bad[i], strlen(bad[i]), &jwt),
				 JWT_ERR_STRUCTURE);
		ck_assert_ptr_null(jwt.payload);
	}
}
END_TEST

START_TEST(jwt_parse_allows_a_missing_kid)
{
	char *token = raw_token("{\"alg\":\"RS256\"}", PAYLOAD, "AAAA");
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_ptr_null(jwt.kid);
	jwt_free(&jwt);
	free(token);
}
END_TEST

static const char *const wrong_part_counts[] = {
	"",
	"abc",
	"eyJhbGciOiJSUzI1NiJ9",
	"eyJhbGciOiJSUzI1NiJ9.e30",
	"eyJhbGciOiJSUzI1NiJ9.e30.AAAA.AAAA",
	"eyJhbGciOiJSUzI1NiJ9.e30.AAAA.",
	".e30.AAAA",
	"eyJhbGciOiJSUzI1NiJ9..AAAA",
	"..",
	"...",
};

START_TEST(jwt_parse_refuses_wrong_number_of_parts)
{
	struct jwt jwt;
	const char *t = wrong_part_counts[_i];
	ck_assert_int_eq(parse_str(t, &jwt), JWT_ERR_STRUCTURE);
	ck_assert_ptr_null(jwt.header);
	ck_assert_ptr_null(jwt.payload);
	ck_assert_ptr_null(jwt.sig);
}
END_TEST

START_TEST(jwt_parse_refuses_bad_base64)
{
	struct jwt jwt;
	ck_assert_int_eq(parse_str("eyJhbGciOiJSUzI1NiJ9=.e30.AAAA", &jwt), JWT_ERR_STRUCTURE);
	ck_assert_int_eq(parse_str("eyJhbGciOi+SUzI1NiJ9.e30.AAAA", &jwt), JWT_ERR_STRUCTURE);
	ck_assert_int_eq(parse_str("eyJhbGciOiJSUzI1NiJ9.e3!0.AAAA", &jwt), JWT_ERR_STRUCTURE);
	ck_assert_int_eq(parse_str("eyJhbGciOiJSUzI1NiJ9.e30.A", &jwt), JWT_ERR_STRUCTURE);
	ck_assert_int_eq(parse_str("eyJhbGciOiJSUzI1NiJ9.e30.AA AA", &jwt), JWT_ERR_STRUCTURE);
}
END_TEST

static const char *const bad_headers[] = {
	"not json",
	"[\"alg\",\"RS256\"]",
	"\"RS256\"",
	"{\"alg\":\"RS256\"} trailing",
	"{\"alg\":\"RS256\"",
	"{}",
	"{\"alg\":256}",
	"{\"alg\":null}",
	"{\"alg\":\"RS256\",\"kid\":7}",
	"{\"alg\":\"RS256\",\"kid\":[\"k1\"]}",
	"{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}",
};

START_TEST(jwt_parse_refuses_malformed_headers)
{
	char *token = raw_token(bad_headers[_i], PAYLOAD, "AAAA");
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_ERR_STRUCTURE);
	free(token);
}
END_TEST

START_TEST(jwt_parse_refuses_malformed_payloads)
{
	static const char *const payloads[] = {"", "null", "[1,2]", "42", "{\"a\":", "{} {}"};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *token = raw_token(RS256_HEADER, payloads[i], "AAAA");
		struct jwt jwt;
		ck_assert_msg(parse_str(token, &jwt) == JWT_ERR_STRUCTURE, "payload %s",
			      payloads[i]);
		free(token);
	}
}
END_TEST

START_TEST(jwt_parse_refuses_json_with_an_embedded_nul)
{
	char *h = kit_b64url("{\"alg\":\"RS256\"}\0{", 17);
	char *p = kit_b64url_str("{}");
	char *token = kit_printf("%s.%s.AAAA", h, p);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_ERR_STRUCTURE);
	free(h);
	free(p);
	free(token);
}
END_TEST

/* Issue 18, finding 7: cJSON decodes the escape \u0000 into a NUL inside the
 * string, which C string functions take for its end ("<aud>\u0000.evil"
 * read as "<aud>"). A header or payload holding one is malformed, wherever
 * it is; so is a control character in kid, aud, jwks_host or iss. Both
 * parsers say so (the cache-hit one too). */
static const char *const cut_headers[] = {
	"{\"alg\":\"RS256\",\"kid\":\"k1\\u0000x\"}",
	"{\"alg\":\"RS256\",\"kid\":\"k1\",\"x\":\"\\u0000\"}",
	"{\"alg\":\"RS256\\u0000x\",\"kid\":\"k1\"}",
	"{\"alg\":\"RS256\",\"kid\":\"k1\\u0001\"}",
	"{\"alg\":\"RS256\",\"kid\":\"k1\\u009f\"}",
};
static const char *const cut_payloads[] = {
	"{\"aud\":\"https://relay.example.com/tweettioc\\u0000.evil\"}",
	"{\"aud\":[\"https://relay.example.com/tweettioc\\u0000.evil\"]}",
	"{\"jwks_host\":\"visibility.amp.cisco.com\\u0000.evil\"}",
	"{\"iss\":\"x\\u0000\"}",
	"{\"sub\":\"\\u0000\"}",
	"{\"\\u0000\":1}",
	"{\"aud\\u0000x\":\"https://relay.example.com/tweettioc\"}",
	"{\"sub\":\"\\\\\\u0000\"}",
	"{\"aud\":\"https://relay.example.com/tweettioc\\n\"}",
	"{\"aud\":[\"ok\",\"\\u001b[31m\"]}",
	"{\"jwks_host\":\"visibility.amp.cisco.com\\u007f\"}",
	"{\"iss\":\"x\\r\\ny\"}",
	"{\"iss\":\"x\\u0080\"}",
};

START_TEST(jwt_parse_refuses_a_nul_escape_or_control_characters_in_claims)
{
	struct jwt jwt;
	for (size_t i = 0; i < sizeof(cut_headers) / sizeof(cut_headers[0]); i++) {
		char *token = raw_token(cut_headers[i], PAYLOAD, "AAAA");
		ck_assert_msg(parse_str(token, &jwt) == JWT_ERR_STRUCTURE, "header %s",
			      cut_headers[i]);
		ck_assert_ptr_null(jwt.header);
		free(token);
	}
	for (size_t i = 0; i < sizeof(cut_payloads) / sizeof(cut_payloads[0]); i++) {
		char *token = raw_token(RS256_HEADER, cut_payloads[i], "AAAA");
		ck_assert_msg(parse_str(token, &jwt) == JWT_ERR_STRUCTURE, "payload %s",
			      cut_payloads[i]);
		ck_assert_msg(jwt_parse_payload(token, strlen(token), &jwt) == JWT_ERR_STRUCTURE,
			      "payload only %s", cut_payloads[i]);
		ck_assert_ptr_null(jwt.payload);
		free(token);
	}
}
END_TEST

/* No false alarm: "\\u0000" is a backslash and the text u0000; controls
 * in the other claims choose nothing; non-ASCII text is not a control. */
START_TEST(jwt_parse_accepts_what_only_looks_like_a_nul)
{
	static const char *const payloads[] = {
		"{\"sub\":\"\\\\u0000\"}",
		"{\"sub\":\"\\\\\\\\u0000\"}",
		"{\"aud\":\"https://relay.example.com/u0000\"}",
		"{\"note\":\"line\\nbreak\\u0001\",\"aud\":\"x\"}",
		"{\"iss\":\"caf\\u00e9 \\u00a0 \\u2028\",\"aud\":\"\\u00c2\\u00a0\"}",
		"{\"aud\":[1,\"x\"]}",
	};
	for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
		char *token = raw_token(RS256_HEADER, payloads[i], "AAAA");
		struct jwt jwt;
		ck_assert_msg(parse_str(token, &jwt) == JWT_OK, "payload %s", payloads[i]);
		jwt_free(&jwt);
		free(token);
	}
}
END_TEST

START_TEST(jwt_parse_refuses_garbage_bytes)
{
	static const char garbage[] = "\x01\x02\xff\xfe.\x80\x81.\x00\x7f";
	struct jwt jwt;
	ck_assert_int_eq(jwt_parse(garbage, sizeof(garbage) - 1, &jwt), JWT_ERR_STRUCTURE);
	ck_assert_int_eq(jwt_parse(NULL, 0, &jwt), JWT_ERR_STRUCTURE);
}
END_TEST

/* A payload claim of `len` bytes, so the token is roughly 4/3 of it. */
static char *payload_with_filler(size_t len)
{
	char *filler = malloc(len + 1);
	ck_assert_ptr_nonnull(filler);
	memset(filler, 'f', len);
	filler[len] = '\0';
	char *payload = kit_printf("{\"aud\":\"x\",\"filler\":\"%s\"}", filler);
	free(filler);
	return payload;
}

START_TEST(jwt_parse_accepts_a_16k_token)
{
	char *payload = payload_with_filler(11 * 1024);
	char *token = kit_sign_rs256(key_a, RS256_HEADER, payload);
	ck_assert_uint_ge(strlen(token), 15 * 1024);
	ck_assert_uint_le(strlen(token), 16 * 1024);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_OK);
	jwt_free(&jwt);
	free(token);
	free(payload);
}
END_TEST

START_TEST(jwt_parse_refuses_a_token_over_the_ceiling)
{
	char *payload = payload_with_filler(JWT_MAX_TOKEN);
	char *token = kit_sign_rs256(key_a, RS256_HEADER, payload);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_ERR_STRUCTURE);
	free(token);
	free(payload);
}
END_TEST

/* ---- signatures ------------------------------------------------------- */

START_TEST(jwt_verify_rs256_accepts_a_good_signature)
{
	char *token = kit_sign_rs256(key_a, RS256_HEADER, PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_OK);
	jwt_free(&jwt);
	free(token);
}
END_TEST

START_TEST(jwt_verify_rs256_refuses_another_keys_signature)
{
	char *token = kit_sign_rs256(key_b, RS256_HEADER, PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_ERR_SIGNATURE);
	jwt_free(&jwt);
	free(token);
}
END_TEST

START_TEST(jwt_verify_rs256_refuses_a_tampered_payload)
{
	char *good = kit_sign_rs256(key_a, RS256_HEADER, PAYLOAD);
	char *other = kit_signing_input(RS256_HEADER, "{\"sub\":\"admin\",\"aud\":\"x\"}");
	const char *sig = strrchr(good, '.');
	char *token = kit_printf("%s%s", other, sig);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_ERR_SIGNATURE);
	jwt_free(&jwt);
	free(good);
	free(other);
	free(token);
}
END_TEST

START_TEST(jwt_verify_rs256_refuses_a_flipped_signature_byte)
{
	char *token = kit_sign_rs256(key_a, RS256_HEADER, PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	jwt.sig[17] ^= 0x01;
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_ERR_SIGNATURE);
	jwt.sig[17] ^= 0x01;
	jwt.sig_len--; /* a truncated signature */
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_ERR_SIGNATURE);
	jwt.sig_len++;
	ck_assert_int_eq(jwt_verify_rs256(&jwt, NULL), JWT_ERR_SIGNATURE);
	jwt_free(&jwt);
	free(token);
}
END_TEST

START_TEST(jwt_refuses_alg_none)
{
	static const char *const headers[] = {"{\"alg\":\"none\",\"kid\":\"k1\"}",
					      "{\"alg\":\"None\",\"kid\":\"k1\"}",
					      "{\"alg\":\"\",\"kid\":\"k1\"}"};
	for (size_t i = 0; i < 3; i++) {
		char *token = kit_unsigned(headers[i], PAYLOAD);
		struct jwt jwt;
		ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
		ck_assert_uint_eq(jwt.sig_len, 0);
		ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_ERR_ALG);
		ck_assert_int_eq(jwt_verify_hs256(&jwt, (const unsigned char *)"s", 1),
				 JWT_ERR_ALG);
		jwt_free(&jwt);
		free(token);
	}
}
END_TEST

START_TEST(jwt_refuses_hs256_signed_with_the_public_key)
{
	size_t pem_len, der_len;
	char *pem = kit_public_pem(key_a, &pem_len);
	unsigned char *der = kit_public_der(key_a, &der_len);
	const char *header = "{\"alg\":\"HS256\",\"kid\":\"k1\"}";
	char *t1 = kit_sign_hs256(pem, pem_len, header, PAYLOAD);
	char *t2 = kit_sign_hs256(der, der_len, header, PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(t1, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_ERR_ALG);
	jwt_free(&jwt);
	ck_assert_int_eq(parse_str(t2, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_rs256(&jwt, key_a), JWT_ERR_ALG);
	jwt_free(&jwt);
	free(pem);
	free(der);
	free(t1);
	free(t2);
}
END_TEST

START_TEST(jwt_refuses_other_rsa_and_ec_algorithms)
{
	static const char *const algs[] = {"RS384", "RS512", "PS256", "ES256", "rs256", "RS256 "};
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char *header = kit_printf("{\"alg\":\"%s\",\"kid\":\"k1\"}", algs[i]);
		char *token = kit_sign_rs256(key_a, header, PAYLOAD);
		struct jwt jwt;
		ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
		ck_assert_msg(jwt_verify_rs256(&jwt, key_a) == JWT_ERR_ALG, "alg %s", algs[i]);
		jwt_free(&jwt);
		free(header);
		free(token);
	}
}
END_TEST

START_TEST(jwt_verify_hs256_accepts_the_shared_secret)
{
	char *token = kit_sign_hs256("s3cret", 6, "{\"alg\":\"HS256\"}", PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_hs256(&jwt, (const unsigned char *)"s3cret", 6), JWT_OK);
	jwt_free(&jwt);
	free(token);
}
END_TEST

START_TEST(jwt_verify_hs256_refuses_a_wrong_secret)
{
	char *token = kit_sign_hs256("s3cret", 6, "{\"alg\":\"HS256\"}", PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_hs256(&jwt, (const unsigned char *)"s3cre", 5),
			 JWT_ERR_SIGNATURE);
	ck_assert_int_eq(jwt_verify_hs256(&jwt, (const unsigned char *)"S3cret", 6),
			 JWT_ERR_SIGNATURE);
	ck_assert_int_eq(jwt_verify_hs256(&jwt, NULL, 0), JWT_ERR_SIGNATURE);
	jwt.sig_len = 31;
	ck_assert_int_eq(jwt_verify_hs256(&jwt, (const unsigned char *)"s3cret", 6),
			 JWT_ERR_SIGNATURE);
	jwt.sig_len = 32;
	jwt_free(&jwt);
	free(token);
}
END_TEST

START_TEST(jwt_verify_hs256_refuses_an_rs256_token)
{
	char *token = kit_sign_rs256(key_a, RS256_HEADER, PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_hs256(&jwt, (const unsigned char *)"s3cret", 6), JWT_ERR_ALG);
	jwt_free(&jwt);
	free(token);
}
END_TEST

/* ---- exp, nbf --------------------------------------------------------- */

static enum jwt_status times_of(const char *payload, time_t now)
{
	char *token = raw_token(RS256_HEADER, payload, "AAAA");
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	enum jwt_status st = jwt_check_times(&jwt, now, JWT_LEEWAY_SECONDS);
	jwt_free(&jwt);
	free(token);
	return st;
}

START_TEST(jwt_times_enforce_exp_with_leeway)
{
	time_t now = 1700000000;
	ck_assert_int_eq(times_of("{\"exp\":1700000100}", now), JWT_OK);
	ck_assert_int_eq(times_of("{\"exp\":1699999950}", now), JWT_OK); /* 50 s late: leeway */
	ck_assert_int_eq(times_of("{\"exp\":1699999940}", now), JWT_ERR_EXPIRED);
	ck_assert_int_eq(times_of("{\"exp\":1600000000}", now), JWT_ERR_EXPIRED);
	ck_assert_int_eq(times_of("{\"exp\":1700000100.5}", now), JWT_OK);
	ck_assert_int_eq(times_of("{\"exp\":-1e308}", now), JWT_ERR_EXPIRED);
	ck_assert_int_eq(times_of("{\"exp\":1e308}", now), JWT_OK);
}
END_TEST

START_TEST(jwt_times_enforce_nbf_in_the_future)
{
	time_t now = 1700000000;
	ck_assert_int_eq(times_of("{\"nbf\":1700000030}", now), JWT_OK); /* within leeway */
	ck_assert_int_eq(times_of("{\"nbf\":1700000061}", now), JWT_ERR_NOT_YET_VALID);
	ck_assert_int_eq(times_of("{\"nbf\":1699990000,\"exp\":1700090000}", now), JWT_OK);
}
END_TEST

START_TEST(jwt_times_are_optional_but_must_be_numbers)
{
	time_t now = 1700000000;
	ck_assert_int_eq(times_of("{}", now), JWT_OK);
	ck_assert_int_eq(times_of("{\"exp\":\"1800000000\"}", now), JWT_ERR_STRUCTURE);
	ck_assert_int_eq(times_of("{\"nbf\":null}", now), JWT_ERR_STRUCTURE);
	ck_assert_int_eq(times_of("{\"exp\":[1800000000]}", now), JWT_ERR_STRUCTURE);
}
END_TEST

/* ---- aud -------------------------------------------------------------- */

static enum jwt_status aud_of(const char *payload, const char *accepted, int required)
{
	char *token = raw_token(RS256_HEADER, payload, "AAAA");
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	const char *list[1] = {accepted};
	enum jwt_status st = jwt_check_audience(&jwt, list, accepted ? 1 : 0, required);
	jwt_free(&jwt);
	free(token);
	return st;
}

#define MOD_URL "https://relay.example.com/tweettioc"

START_TEST(jwt_aud_accepts_the_exact_url)
{
	ck_assert_int_eq(aud_of("{\"aud\":\"" MOD_URL "\"}", MOD_URL, 1), JWT_OK);
}
END_TEST

START_TEST(jwt_aud_ignores_a_trailing_slash_on_either_side)
{
	ck_assert_int_eq(aud_of("{\"aud\":\"" MOD_URL "/\"}", MOD_URL, 1), JWT_OK);
	ck_assert_int_eq(aud_of("{\"aud\":\"" MOD_URL "\"}", MOD_URL "/", 1), JWT_OK);
	ck_assert_int_eq(aud_of("{\"aud\":\"" MOD_URL "//\"}", MOD_URL, 1), JWT_ERR_AUDIENCE);
}
END_TEST

START_TEST(jwt_aud_refuses_a_wrong_audience)
{
	ck_assert_int_eq(aud_of("{\"aud\":\"https://other.example.com/tweettioc\"}", MOD_URL, 1),
			 JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{\"aud\":\"http://relay.example.com/tweettioc\"}", MOD_URL, 1),
			 JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{\"aud\":\"" MOD_URL "x\"}", MOD_URL, 1), JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{\"aud\":\"https://relay.example.com\"}", MOD_URL, 1),
			 JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{\"aud\":\"https://relay.example.com/TWEETTIOC\"}", MOD_URL, 1),
			 JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{\"aud\":\"\"}", MOD_URL, 1), JWT_ERR_AUDIENCE);
}
END_TEST

START_TEST(jwt_aud_compares_scheme_and_host_case_insensitively)
{
	ck_assert_int_eq(aud_of("{\"aud\":\"HTTPS://Relay.Example.COM/tweettioc\"}", MOD_URL, 1),
			 JWT_OK);
}
END_TEST

START_TEST(jwt_aud_accepts_an_array)
{
	ck_assert_int_eq(aud_of("{\"aud\":[\"https://a.example\",\"" MOD_URL "\"]}", MOD_URL, 1),
			 JWT_OK);
	ck_assert_int_eq(aud_of("{\"aud\":[\"https://a.example\"]}", MOD_URL, 1), JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{\"aud\":[]}", MOD_URL, 1), JWT_ERR_AUDIENCE);
	/* Like PyJWT: one non-string member makes the claim invalid. */
	ck_assert_int_eq(aud_of("{\"aud\":[\"" MOD_URL "\",7]}", MOD_URL, 1), JWT_ERR_AUDIENCE);
}
END_TEST

START_TEST(jwt_aud_refuses_claims_of_the_wrong_type)
{
	ck_assert_int_eq(aud_of("{\"aud\":42}", MOD_URL, 1), JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{\"aud\":null}", MOD_URL, 0), JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{\"aud\":{\"u\":\"" MOD_URL "\"}}", MOD_URL, 1), JWT_ERR_AUDIENCE);
}
END_TEST

START_TEST(jwt_aud_missing_fails_only_when_required)
{
	ck_assert_int_eq(aud_of("{}", MOD_URL, 1), JWT_ERR_AUDIENCE);
	ck_assert_int_eq(aud_of("{}", MOD_URL, 0), JWT_OK);
	/* Nothing accepted (no Host to build the URL from): never a match. */
	ck_assert_int_eq(aud_of("{\"aud\":\"" MOD_URL "\"}", NULL, 0), JWT_ERR_AUDIENCE);
}
END_TEST

/* ---- JWKS parsing ----------------------------------------------------- */

START_TEST(jwks_parse_builds_rsa_keys_that_verify)
{
	char *json = kit_jwks(key_a, "k1", key_b, "k2");
	struct jwks_set set;
	ck_assert_int_eq(jwks_parse(json, strlen(json), &set), 0);
	ck_assert_uint_eq(set.n, 2);
	ck_assert_str_eq(set.keys[0].kid, "k1");
	ck_assert_str_eq(set.keys[1].kid, "k2");
	ck_assert_int_eq(EVP_PKEY_eq(set.keys[0].pkey, key_a), 1);
	ck_assert_int_eq(EVP_PKEY_eq(set.keys[1].pkey, key_b), 1);

	char *token = kit_sign_rs256(key_a, RS256_HEADER, PAYLOAD);
	struct jwt jwt;
	ck_assert_int_eq(parse_str(token, &jwt), JWT_OK);
	ck_assert_int_eq(jwt_verify_rs256(&jwt, set.keys[0].pkey), JWT_OK);
	ck_assert_int_eq(jwt_verify_rs256(&jwt, set.keys[1].pkey), JWT_ERR_SIGNATURE);
	jwt_free(&jwt);
	free(token);
	jwks_set_free(&set);
	free(json);
}
END_TEST

START_TEST(jwks_parse_skips_unusable_keys)
{
	EVP_PKEY *small = kit_rsa_key(1024);
	char *good = kit_jwk(key_a, "good");
	char *weak = kit_jwk(small, "weak");
	char *json = kit_printf(
		"{\"keys\":[7,\"x\",{\"kty\":\"EC\",\"kid\":\"ec\",\"crv\":\"P-256\"},"
		"{\"kty\":\"RSA\",\"kid\":\"enc\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
		"{\"kty\":\"RSA\",\"kid\":\"nokey\"},"
		"{\"kty\":\"RSA\",\"kid\":\"badn\",\"n\":\"!!\",\"e\":\"AQAB\"},"
		"{\"kty\":\"RSA\",\"kid\":7,\"n\":\"AQAB\",\"e\":\"AQAB\"},"
		"{\"kty\":\"RSA\",\"kid\":\"ps\",\"alg\":\"PS256\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
		"%s,%s]}",
		weak, good);
	struct jwks_set set;
	ck_assert_int_eq(jwks_parse(json, strlen(json), &set), 0);
	ck_assert_uint_eq(set.n, 1);
	ck_assert_str_eq(set.keys[0].kid, "good");
	jwks_set_free(&set);
	free(json);
	free(good);
	free(weak);
	EVP_PKEY_free(small);
}
END_TEST

START_TEST(jwks_parse_keeps_the_first_of_duplicate_kids)
{
	char *json = kit_jwks(key_a, "same", key_b, "same");
	struct jwks_set set;
	ck_assert_int_eq(jwks_parse(json, strlen(json), &set), 0);
	ck_assert_uint_eq(set.n, 1);
	ck_assert_int_eq(EVP_PKEY_eq(set.keys[0].pkey, key_a), 1);
	jwks_set_free(&set);
	free(json);
}
END_TEST

START_TEST(jwks_parse_refuses_documents_of_the_wrong_shape)
{
	static const char *const docs[] = {"",	   "not json",	       "[]",
					   "{}",   "{\"keys\":{}}",    "{\"keys\":\"x\"}",
					   "null", "{\"keys\":[]} {}", "{\"keys\":[]}<html>"};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct jwks_set set;
		ck_assert_msg(jwks_parse(docs[i], strlen(docs[i]), &set) == -1, "doc %s", docs[i]);
		ck_assert_uint_eq(set.n, 0);
		ck_assert_ptr_null(set.keys);
	}
	struct jwks_set set;
	ck_assert_int_eq(jwks_parse("{\"keys\":[]}\r\n", 13, &set), 0);
	ck_assert_uint_eq(set.n, 0);
	jwks_set_free(&set);
}
END_TEST

/* ---- allowlist and cache ---------------------------------------------- */

static const char *env_hosts;
static const char *test_env(const char *name)
{
	if (strcmp(name, "RELAY_JWKS_HOSTS") == 0)
		return env_hosts;
	if (strcmp(name, "RELAY_PUBLIC_URL") == 0)
		return "https://relay.example.com";
	return NULL;
}

static struct relay_config cache_cfg;
static char *cache_jwks; /* the document the fake fetcher serves */
static int fetch_fails;
static unsigned fetch_delay_ms;
static char last_url[512];
static time_t fake_now = 1000;

static time_t fake_clock(void)
{
	return fake_now;
}

static int fake_fetch(const char *url, struct strbuf *body)
{
	snprintf(last_url, sizeof(last_url), "%s", url);
	if (fetch_delay_ms)
		usleep(fetch_delay_ms * 1000);
	if (fetch_fails)
		return -1;
	return strbuf_appends(body, cache_jwks) == STRBUF_OK ? 0 : -1;
}

static void cache_setup(void)
{
	char err[256];
	env_hosts = "visibility.amp.cisco.com, localhost:8443";
	ck_assert_msg(config_load(&cache_cfg, test_env, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(jwks_init(&cache_cfg, err, sizeof(err)) == 0, "%s", err);
	jwks_set_fetcher_for_test(fake_fetch);
	jwks_set_clock_for_test(fake_clock);
	cache_jwks = kit_jwks(key_a, "k1", NULL, NULL);
	fetch_fails = 0;
	fetch_delay_ms = 0;
	fake_now = 1000;
	last_url[0] = '\0';
}

static void cache_teardown(void)
{
	jwks_shutdown();
	config_free(&cache_cfg);
	free(cache_jwks);
	cache_jwks = NULL;
}

START_TEST(jwks_host_syntax_refuses_path_tricks)
{
	static const char *const bad[] = {
		"",
		"visibility.amp.cisco.com/evil",
		"evil.example?visibility.amp.cisco.com",
		"evil.example#visibility.amp.cisco.com",
		"visibility.amp.cisco.com@evil.example",
		"evil.example\\visibility.amp.cisco.com",
		"visibility.amp.cisco.com ",
		" visibility.amp.cisco.com",
		"visibility.amp.cisco.com\t",
		"visibility.amp.cisco.com\r\nHost: evil",
		"visibility.amp.cisco.com\x7f",
		"visibility.amp.cisco.com\xc3\xa9",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!jwks_host_syntax_ok(bad[i]), "accepted \"%s\"", bad[i]);
		ck_assert_msg(!jwks_host_allowed(bad[i]), "allowed \"%s\"", bad[i]);
	}
	ck_assert(!jwks_host_syntax_ok(NULL));
	char longhost[JWKS_MAX_HOST + 2];
	memset(longhost, 'a', sizeof(longhost) - 1);
	longhost[sizeof(longhost) - 1] = '\0';
	ck_assert(!jwks_host_syntax_ok(longhost));
	ck_assert(jwks_host_syntax_ok("visibility.amp.cisco.com"));
	ck_assert(jwks_host_syntax_ok("[::1]:8443"));
}
END_TEST

START_TEST(jwks_host_allowlist_is_exact_host_or_host_port)
{
	ck_assert(jwks_host_allowed("visibility.amp.cisco.com"));
	ck_assert(jwks_host_allowed("VISIBILITY.amp.cisco.com"));
	ck_assert(jwks_host_allowed("localhost:8443"));
	ck_assert(!jwks_host_allowed("localhost"));
	ck_assert(!jwks_host_allowed("localhost:8444"));
	ck_assert(!jwks_host_allowed("visibility.amp.cisco.com:443"));
	ck_assert(!jwks_host_allowed("visibility.eu.amp.cisco.com"));
	ck_assert(!jwks_host_allowed("visibility.amp.cisco.com.evil.example"));
	ck_assert(!jwks_host_allowed("evil.visibility.amp.cisco.com"));
	ck_assert(!jwks_host_allowed("amp.cisco.com"));
}
END_TEST

START_TEST(jwks_refused_host_is_never_fetched)
{
	EVP_PKEY *key = (EVP_PKEY *)1;
	ck_assert_int_eq(jwks_get_key("evil.example", "k1", &key, NULL), JWKS_HOST_REFUSED);
	ck_assert_ptr_null(key);
	ck_assert_int_eq(jwks_get_key("localhost:8443/x", "k1", &key, NULL), JWKS_HOST_REFUSED);
	ck_assert_str_eq(last_url, "");
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 0);
	ck_assert_uint_eq(jwks_fetch_count("evil.example"), 0);
}
END_TEST

START_TEST(jwks_fetches_from_the_allowlisted_spelling)
{
	EVP_PKEY *key = NULL;
	ck_assert_int_eq(jwks_get_key("LOCALHOST:8443", "k1", &key, NULL), JWKS_OK);
	ck_assert_str_eq(last_url, "https://localhost:8443/.well-known/jwks");
	ck_assert_int_eq(EVP_PKEY_eq(key, key_a), 1);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(jwks_downloads_once_for_many_lookups)
{
	for (int i = 0; i < 100; i++) {
		EVP_PKEY *key = NULL;
		ck_assert_int_eq(jwks_get_key("visibility.amp.cisco.com", "k1", &key, NULL),
				 JWKS_OK);
		EVP_PKEY_free(key);
		fake_now += 1;
	}
	ck_assert_uint_eq(jwks_fetch_count("visibility.amp.cisco.com"), 1);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 0);
}
END_TEST

START_TEST(jwks_unknown_kid_refetches_at_most_once_a_minute)
{
	EVP_PKEY *key = NULL;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_OK);
	EVP_PKEY_free(key);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 1);

	/* Unknown kid right after a download: no new download. */
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(jwks_get_key("localhost:8443", "k2", &key, NULL),
				 JWKS_KID_NOT_FOUND);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 1);

	/* A minute later the host rotated its keys: one download finds k2. */
	free(cache_jwks);
	cache_jwks = kit_jwks(key_a, "k1", key_b, "k2");
	fake_now += JWKS_REFETCH_SECONDS;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k2", &key, NULL), JWKS_OK);
	ck_assert_int_eq(EVP_PKEY_eq(key, key_b), 1);
	EVP_PKEY_free(key);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 2);

	ck_assert_int_eq(jwks_get_key("localhost:8443", "k3", &key, NULL), JWKS_KID_NOT_FOUND);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 2);
}
END_TEST

START_TEST(jwks_failed_download_is_reported_and_rate_limited)
{
	EVP_PKEY *key = NULL;
	fetch_fails = 1;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_FETCH_FAILED);
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_FETCH_FAILED);
	ck_assert_ptr_null(key);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 1);
	fetch_fails = 0;
	fake_now += JWKS_REFETCH_SECONDS;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_OK);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(jwks_bad_document_counts_as_a_failed_download)
{
	free(cache_jwks);
	cache_jwks = kit_printf("<html>not a key set</html>");
	EVP_PKEY *key = NULL;
	test_stderr_capture(); /* the relay logs the bad document */
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_FETCH_FAILED);
	char *log = test_stderr_release();
	ck_assert_msg(strstr(log, "not a JWKS document") != NULL, "stderr: %s", log);
	free(log);
	ck_assert_ptr_null(key);
}
END_TEST

START_TEST(jwks_keeps_old_keys_when_a_refresh_fails)
{
	EVP_PKEY *key = NULL;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_OK);
	EVP_PKEY_free(key);
	fetch_fails = 1;
	fake_now += JWKS_MAX_AGE_SECONDS; /* stale: a refresh is due */
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_OK);
	ck_assert_int_eq(EVP_PKEY_eq(key, key_a), 1);
	EVP_PKEY_free(key);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 2);
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k9", &key, NULL), JWKS_FETCH_FAILED);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 2);
}
END_TEST

START_TEST(jwks_refreshes_keys_older_than_the_max_age)
{
	EVP_PKEY *key = NULL;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_OK);
	EVP_PKEY_free(key);
	/* The host revoked k1. */
	free(cache_jwks);
	cache_jwks = kit_jwks(key_b, "k2", NULL, NULL);
	fake_now += JWKS_MAX_AGE_SECONDS - 1;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_OK);
	EVP_PKEY_free(key);
	fake_now += 1;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k1", &key, NULL), JWKS_KID_NOT_FOUND);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 2);
}
END_TEST

START_TEST(jwks_cache_put_for_test_installs_keys_without_a_download)
{
	char *json = kit_jwks(key_b, "kb", NULL, NULL);
	ck_assert_int_eq(jwks_cache_put_for_test("localhost:8443", json), 0);
	ck_assert_int_eq(jwks_cache_put_for_test("evil.example", json), -1);
	ck_assert_int_eq(jwks_cache_put_for_test("localhost:8443", "nope"), -1);
	EVP_PKEY *key = NULL;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "kb", &key, NULL), JWKS_OK);
	EVP_PKEY_free(key);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 0);
	free(json);
}
END_TEST

/* The serial of `kid` at localhost:8443 now (a lookup, maybe a download). */
static unsigned long serial_of(const char *kid)
{
	EVP_PKEY *key = NULL;
	unsigned long serial = 0;
	ck_assert_int_eq(jwks_get_key("localhost:8443", kid, &key, &serial), JWKS_OK);
	EVP_PKEY_free(key);
	ck_assert_uint_ne(serial, 0);
	return serial;
}

/* Issue 18, finding 6: what a token cache hit asks. A download keeps the
 * serial of a kid published again with the same key; a kid left out, or
 * published with another key, is no longer current. */
START_TEST(jwks_key_current_follows_the_downloads)
{
	unsigned long k1 = serial_of("k1");
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k1", k1), 1);
	ck_assert_int_eq(jwks_key_current("LOCALHOST:8443", "k1", k1), 1);
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k1", k1 + 1), 0);
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k1", 0), 0);
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k2", k1), 0);
	ck_assert_int_eq(jwks_key_current("visibility.amp.cisco.com", "k1", k1), 0);
	ck_assert_int_eq(jwks_key_current("evil.example", "k1", k1), 0);

	/* Published again with the same key (and a new k2): still current. */
	free(cache_jwks);
	cache_jwks = kit_jwks(key_a, "k1", key_b, "k2");
	fake_now += JWKS_REFETCH_SECONDS;
	unsigned long k2 = serial_of("k2");
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 2);
	ck_assert_uint_ne(k2, k1);
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k1", k1), 1);
	ck_assert_uint_eq(serial_of("k1"), k1);

	/* k1 now names key_b: the k1 of before is gone. */
	free(cache_jwks);
	cache_jwks = kit_jwks(key_b, "k1", key_b, "k3");
	fake_now += JWKS_REFETCH_SECONDS;
	serial_of("k3");
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k1", k1), 0);
	unsigned long k1b = serial_of("k1");
	ck_assert_uint_ne(k1b, k1);
	ck_assert_uint_ne(k1b, k2);
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k2", k2), 0); /* left out */

	/* SIGHUP forgets every key. */
	jwks_cache_flush();
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k1", k1b), 0);
}
END_TEST

/* A failed refresh keeps the keys, and so their serials. */
START_TEST(jwks_key_current_survives_a_failed_refresh)
{
	unsigned long k1 = serial_of("k1");
	fetch_fails = 1;
	fake_now += JWKS_REFETCH_SECONDS;
	EVP_PKEY *key = NULL;
	ck_assert_int_eq(jwks_get_key("localhost:8443", "k2", &key, NULL), JWKS_FETCH_FAILED);
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 2);
	ck_assert_int_eq(jwks_key_current("localhost:8443", "k1", k1), 1);
}
END_TEST

static void *lookup_thread(void *arg)
{
	const char *kid = arg;
	EVP_PKEY *key = NULL;
	enum jwks_status st = jwks_get_key("localhost:8443", kid, &key, NULL);
	EVP_PKEY_free(key);
	return (void *)(long)st;
}

START_TEST(jwks_concurrent_misses_share_one_download)
{
	/* The real clock, so that waiting threads see real time pass. */
	jwks_set_clock_for_test(NULL);
	fetch_delay_ms = 200;
	pthread_t threads[16];
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, lookup_thread,
						(void *)(i % 2 ? "k1" : "unknown")),
				 0);
	for (int i = 0; i < 16; i++) {
		void *rv;
		pthread_join(threads[i], &rv);
		ck_assert_int_eq((long)rv, i % 2 ? JWKS_OK : JWKS_KID_NOT_FOUND);
	}
	ck_assert_uint_eq(jwks_fetch_count("localhost:8443"), 1);
}
END_TEST

START_TEST(jwks_init_refuses_an_empty_allowlist_and_twice)
{
	char err[256];
	ck_assert_int_eq(jwks_init(&cache_cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "already"));
	jwks_shutdown();
	struct relay_config empty;
	memset(&empty, 0, sizeof(empty));
	ck_assert_int_eq(jwks_init(&empty, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "RELAY_JWKS_HOSTS"));
	jwks_shutdown(); /* twice is harmless */
}
END_TEST

static Suite *jwt_suite(void)
{
	Suite *s = suite_create("jwt");

	TCase *b64 = tcase_create("base64url");
	tcase_add_test(b64, b64url_decodes_without_padding);
	tcase_add_test(b64, b64url_uses_the_url_alphabet);
	tcase_add_test(b64, b64url_refuses_padding_whitespace_and_bad_lengths);
	tcase_add_test(b64, b64url_refuses_input_over_the_token_ceiling);
	suite_add_tcase(s, b64);

	TCase *parse = tcase_create("parse");
	tcase_add_unchecked_fixture(parse, keys_setup, keys_teardown);
	tcase_add_test(parse, jwt_parse_reads_alg_kid_and_signing_input);
	tcase_add_test(parse, jwt_parse_allows_a_missing_kid);
	tcase_add_test(parse, jwt_parse_payload_decodes_the_payload_only);
	tcase_add_loop_test(parse, jwt_parse_refuses_wrong_number_of_parts, 0,
			    (int)(sizeof(wrong_part_counts) / sizeof(wrong_part_counts[0])));
	tcase_add_test(parse, jwt_parse_refuses_bad_base64);
	tcase_add_loop_test(parse, jwt_parse_refuses_malformed_headers, 0,
			    (int)(sizeof(bad_headers) / sizeof(bad_headers[0])));
	tcase_add_test(parse, jwt_parse_refuses_malformed_payloads);
	tcase_add_test(parse, jwt_parse_refuses_json_with_an_embedded_nul);
	tcase_add_test(parse, jwt_parse_refuses_a_nul_escape_or_control_characters_in_claims);
	tcase_add_test(parse, jwt_parse_accepts_what_only_looks_like_a_nul);
	tcase_add_test(parse, jwt_parse_refuses_garbage_bytes);
	tcase_add_test(parse, jwt_parse_accepts_a_16k_token);
	tcase_add_test(parse, jwt_parse_refuses_a_token_over_the_ceiling);
	suite_add_tcase(s, parse);

	TCase *sig = tcase_create("signature");
	tcase_add_unchecked_fixture(sig, keys_setup, keys_teardown);
	tcase_add_test(sig, jwt_verify_rs256_accepts_a_good_signature);
	tcase_add_test(sig, jwt_verify_rs256_refuses_another_keys_signature);
	tcase_add_test(sig, jwt_verify_rs256_refuses_a_tampered_payload);
	tcase_add_test(sig, jwt_verify_rs256_refuses_a_flipped_signature_byte);
	tcase_add_test(sig, jwt_refuses_alg_none);
	tcase_add_test(sig, jwt_refuses_hs256_signed_with_the_public_key);
	tcase_add_test(sig, jwt_refuses_other_rsa_and_ec_algorithms);
	tcase_add_test(sig, jwt_verify_hs256_accepts_the_shared_secret);
	tcase_add_test(sig, jwt_verify_hs256_refuses_a_wrong_secret);
	tcase_add_test(sig, jwt_verify_hs256_refuses_an_rs256_token);
	suite_add_tcase(s, sig);

	TCase *claims = tcase_create("claims");
	tcase_add_test(claims, jwt_times_enforce_exp_with_leeway);
	tcase_add_test(claims, jwt_times_enforce_nbf_in_the_future);
	tcase_add_test(claims, jwt_times_are_optional_but_must_be_numbers);
	tcase_add_test(claims, jwt_aud_accepts_the_exact_url);
	tcase_add_test(claims, jwt_aud_ignores_a_trailing_slash_on_either_side);
	tcase_add_test(claims, jwt_aud_refuses_a_wrong_audience);
	tcase_add_test(claims, jwt_aud_compares_scheme_and_host_case_insensitively);
	tcase_add_test(claims, jwt_aud_accepts_an_array);
	tcase_add_test(claims, jwt_aud_refuses_claims_of_the_wrong_type);
	tcase_add_test(claims, jwt_aud_missing_fails_only_when_required);
	suite_add_tcase(s, claims);

	TCase *jwks = tcase_create("jwks_parse");
	tcase_add_unchecked_fixture(jwks, keys_setup, keys_teardown);
	tcase_add_test(jwks, jwks_parse_builds_rsa_keys_that_verify);
	tcase_add_test(jwks, jwks_parse_skips_unusable_keys);
	tcase_add_test(jwks, jwks_parse_keeps_the_first_of_duplicate_kids);
	tcase_add_test(jwks, jwks_parse_refuses_documents_of_the_wrong_shape);
	suite_add_tcase(s, jwks);

	TCase *cache = tcase_create("jwks_cache");
	tcase_add_unchecked_fixture(cache, keys_setup, keys_teardown);
	tcase_add_checked_fixture(cache, cache_setup, cache_teardown);
	tcase_set_timeout(cache, 30);
	tcase_add_test(cache, jwks_host_syntax_refuses_path_tricks);
	tcase_add_test(cache, jwks_host_allowlist_is_exact_host_or_host_port);
	tcase_add_test(cache, jwks_refused_host_is_never_fetched);
	tcase_add_test(cache, jwks_fetches_from_the_allowlisted_spelling);
	tcase_add_test(cache, jwks_downloads_once_for_many_lookups);
	tcase_add_test(cache, jwks_unknown_kid_refetches_at_most_once_a_minute);
	tcase_add_test(cache, jwks_failed_download_is_reported_and_rate_limited);
	tcase_add_test(cache, jwks_bad_document_counts_as_a_failed_download);
	tcase_add_test(cache, jwks_keeps_old_keys_when_a_refresh_fails);
	tcase_add_test(cache, jwks_refreshes_keys_older_than_the_max_age);
	tcase_add_test(cache, jwks_cache_put_for_test_installs_keys_without_a_download);
	tcase_add_test(cache, jwks_key_current_follows_the_downloads);
	tcase_add_test(cache, jwks_key_current_survives_a_failed_refresh);
	tcase_add_test(cache, jwks_concurrent_misses_share_one_download);
	tcase_add_test(cache, jwks_init_refuses_an_empty_allowlist_and_twice);
	suite_add_tcase(s, cache);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(jwt_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
