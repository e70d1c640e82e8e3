/* claims.h: what a verified token's claims configure for one call.
 *
 * docs/authentication.md, "Claims": XDR signs a module instance's
 * configuration into its token, each field without its `custom_` prefix.
 * Read only from a token whose signature and audience were verified (never
 * in RELAY_AUTH=none):
 *
 * - `key`: the tenant's API key (threatfox's Auth-Key), 1..CLAIMS_KEY_MAX
 *   printable ASCII characters without spaces. A claim that is there but
 *   not such a string is `invalid` (the module answers an authorization
 *   error that never echoes it); absent, the module uses its environment
 *   key.
 * - `CTR_ENTITIES_LIMIT`: 1..CLAIMS_ENTITIES_MAX, a string or an integer;
 *   above the maximum it is cut to it; anything else leaves the
 *   environment's value and marks the claim invalid (the router adds a
 *   warning entry).
 *
 * Ownership: the struct holds its own copy of the key, inside the request;
 * claims_wipe() clears it when the request ends. The key is a secret: never
 * logged, echoed, cached on disk or used as a metric label.
 */
#ifndef AUTH_CLAIMS_H
#define AUTH_CLAIMS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define CLAIMS_KEY_MAX 256
#define CLAIMS_ENTITIES_MAX 1000

enum claims_key {
	CLAIMS_KEY_ABSENT, /* no `key` claim (or no verified token) */
	CLAIMS_KEY_OK,	   /* `key` holds it */
	CLAIMS_KEY_INVALID /* there, but not a string of 1..CLAIMS_KEY_MAX printable characters */
};

struct relay_claims {
	enum claims_key key_state;
	char key[CLAIMS_KEY_MAX + 1];
	int entities_limit_invalid; /* a CTR_ENTITIES_LIMIT claim was there but unusable */
};

/* Reads the claims of a verified payload into *out (zeroed first) and sets
 * *entities_limit from a usable CTR_ENTITIES_LIMIT claim (left alone
 * otherwise). `out` may be NULL (only the limit is read). Never fails. */
void claims_read(const cJSON *payload, long *entities_limit, struct relay_claims *out);

/* Clears the claims, the key's bytes with OPENSSL_cleanse. Safe on NULL. */
void claims_wipe(struct relay_claims *c);

#endif
