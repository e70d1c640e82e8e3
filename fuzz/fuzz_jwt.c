/* fuzz_jwt.c: libFuzzer target for the bearer token (JWT) of the Authorization header.
 *
 * jwt_parse_payload() (the cache-hit parser) and jwt_parse() on the raw
 * bytes; when jwt_parse() accepts them, the RS256 verifier
 * runs against a test key made at start-up (never a real key: a fresh
 * RSA-2048 pair from libcrypto), the HS256 verifier against a fixed test
 * secret, and the claim checks (exp/nbf, aud, jwks_host,
 * CTR_ENTITIES_LIMIT) on the unverified payload, since a bug there must not
 * depend on a valid signature to be found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth/jwks.h"
#include "auth/jwt.h"
#include "config.h"
#include "fuzz_common.h"

/* Test-only secret; the HS256 seeds in fuzz/corpus/fuzz_jwt are signed with it. */
#define FUZZ_JWT_SECRET "fuzz-test-secret"

static EVP_PKEY *test_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	test_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!test_key) {
		fprintf(stderr, "fuzz_jwt: cannot make the test RSA key\n");
		abort();
	}
	return 0;
}

/* Whether a string the relay compares as a C string holds a control byte
 * (C0 or DEL): jwt_parse must have refused the token (issue 18). */
static int has_c0_or_del(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (!test_key)
		LLVMFuzzerInitialize(NULL, NULL);
	struct jwt jwt;
	/* The cache-hit parser: payload only, never more than jwt_parse. */
	enum jwt_status st = jwt_parse_payload((const char *)data, size, &jwt);
	if (st == JWT_OK && (jwt.header || jwt.sig || jwt.alg || !cJSON_IsObject(jwt.payload)))
		fuzz_fail("jwt_parse_payload filled more than the payload");
	if (st != JWT_OK && jwt.payload)
		fuzz_fail("jwt_parse_payload failed but left the payload");
	jwt_free(&jwt);
	st = jwt_parse((const char *)data, size, &jwt);
	if (st != JWT_OK) {
		if (jwt.header || jwt.payload || jwt.sig)
			fuzz_fail("jwt_parse failed but left allocations in the struct");
		return 0;
	}
	if (!jwt.alg || !cJSON_IsObject(jwt.header) || !cJSON_IsObject(jwt.payload))
		fuzz_fail("jwt_parse accepted a token without alg, header or payload");
	if (has_c0_or_del(jwt.kid) || has_c0_or_del(jwt_claim_string(&jwt, "aud")) ||
	    has_c0_or_del(jwt_claim_string(&jwt, "jwks_host")) ||
	    has_c0_or_del(jwt_claim_string(&jwt, "iss")))
		fuzz_fail("jwt_parse accepted a control character in kid, aud, jwks_host or iss");
	if (jwt_verify_rs256(&jwt, test_key) == JWT_OK)
		fuzz_fail("a fuzzed token verified with the test RSA key");
	jwt_verify_hs256(&jwt, (const unsigned char *)FUZZ_JWT_SECRET, strlen(FUZZ_JWT_SECRET));
	jwt_check_times(&jwt, (time_t)1700000000, JWT_LEEWAY_SECONDS);
	static const char *const accepted[] = {"https://relay.example/tweettioc",
					       "HTTPS://Relay.Example:443/", "relay"};
	jwt_check_audience(&jwt, accepted, 3, 1);
	jwt_check_audience(&jwt, accepted, 0, 0);
	const char *host = jwt_claim_string(&jwt, "jwks_host");
	if (host)
		jwks_host_syntax_ok(host);
	const char *limit = jwt_claim_string(&jwt, "CTR_ENTITIES_LIMIT");
	if (limit && config_parse_entities_limit(limit, 100) <= 0)
		fuzz_fail("CTR_ENTITIES_LIMIT parsed to a non-positive limit");
	jwt_free(&jwt);
	return 0;
}
