/* auth.h: the one authentication step of the request path.
 *
 * The router calls auth_check() for every endpoint that needs auth, before
 * the body is parsed and before any upstream call. The mode comes from
 * RELAY_AUTH (CONTRACT 3.4): jwt (RS256 with allowlisted JWKS hosts), hs256
 * (shared secret) or none.
 */
#ifndef AUTH_AUTH_H
#define AUTH_AUTH_H

#include <stddef.h>

#include "relay_error.h"

struct relay_config;
struct relay_request;

/* Prepares shared state (JWKS cache). Returns 0, or -1 with a message. */
int auth_init(const struct relay_config *cfg, char *err, size_t errlen);
void auth_shutdown(void);

/* Checks the request's Authorization header. Returns RELAY_OK, or
 * RELAY_ERR_AUTH with the full client message ("Authorization failed: ...")
 * in `msg`. On success, when the token carries a valid CTR_ENTITIES_LIMIT
 * claim, *entities_limit is set to it (otherwise left unchanged). */
enum relay_err auth_check(const struct relay_request *req, long *entities_limit, char *msg,
			  size_t msglen);

#endif
