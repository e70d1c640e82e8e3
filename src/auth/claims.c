/* claims.c: a verified token's claims into the call's configuration (see claims.h). */
#include "auth/claims.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/settings.h"

/* CTR_ENTITIES_LIMIT: a string or an integer number. Returns 1 and sets *v
 * for a usable value (cut to CLAIMS_ENTITIES_MAX), 0 otherwise. */
static int entities_limit(const cJSON *claim, long *v)
{
	char text[32];
	if (cJSON_IsString(claim) && claim->valuestring) {
		long n;
		if (settings_parse_long(claim->valuestring, 1, LONG_MAX, &n) != 0)
			return 0;
		*v = n < CLAIMS_ENTITIES_MAX ? n : CLAIMS_ENTITIES_MAX;
		return 1;
	}
	if (!cJSON_IsNumber(claim))
		return 0;
	double d = claim->valuedouble;
	/* Whole numbers only, and small enough to be exact in a double. */
	if (!(d >= 1 && d <= 9007199254740992.0) || d != (double)(long long)d)
		return 0;
	snprintf(text, sizeof(text), "%lld", (long long)d);
	long n;
	if (settings_parse_long(text, 1, LONG_MAX, &n) != 0)
		return 0;
	*v = n < CLAIMS_ENTITIES_MAX ? n : CLAIMS_ENTITIES_MAX;
	return 1;
}

/* 1 when s is 1..CLAIMS_KEY_MAX characters from '!' to '~'. */
static int key_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if (n >= CLAIMS_KEY_MAX || s[n] < '!' || s[n] > '~')
			return 0;
	return n > 0;
}

void claims_read(const cJSON *payload, long *limit, struct relay_claims *out)
{
	if (out)
		claims_wipe(out);
	const cJSON *claim = cJSON_GetObjectItemCaseSensitive(payload, "CTR_ENTITIES_LIMIT");
	long v;
	if (claim && entities_limit(claim, &v)) {
		if (limit)
			*limit = v;
	} else if (claim && out) {
		out->entities_limit_invalid = 1;
	}
	if (!out)
		return;
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(payload, "key");
	if (!key)
		return;
	if (!cJSON_IsString(key) || !key->valuestring || !key_ok(key->valuestring)) {
		out->key_state = CLAIMS_KEY_INVALID;
		return;
	}
	memcpy(out->key, key->valuestring, strlen(key->valuestring) + 1);
	out->key_state = CLAIMS_KEY_OK;
}

void claims_wipe(struct relay_claims *c)
{
	if (c)
		OPENSSL_cleanse(c, sizeof(*c));
}
