/* fuzz_jwks.c: libFuzzer target for a JWKS document (what an allowlisted key host returns).
 *
 * jwks_parse() keeps RSA signing keys and skips everything else; a
 * document that is not {"keys": [...]} is refused. Kept keys must have a
 * non-empty kid of bounded length, unique within the set.
 */
#include <string.h>

#include "auth/jwks.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct jwks_set set;
	if (jwks_parse((const char *)data, size, &set) != 0) {
		if (set.n || set.keys)
			fuzz_fail("jwks_parse failed but left keys in the set");
		return 0;
	}
	if (set.n > JWKS_MAX_KEYS)
		fuzz_fail("more keys than JWKS_MAX_KEYS");
	for (size_t i = 0; i < set.n; i++) {
		if (!set.keys[i].kid || !set.keys[i].kid[0] ||
		    strlen(set.keys[i].kid) > JWKS_MAX_KID || !set.keys[i].pkey)
			fuzz_fail("a kept key without a usable kid or key");
		for (size_t j = 0; j < i; j++)
			if (strcmp(set.keys[i].kid, set.keys[j].kid) == 0)
				fuzz_fail("two kept keys with the same kid");
	}
	jwks_set_free(&set);
	return 0;
}
