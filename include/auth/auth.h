/* auth.h: the one authentication step of the request path.
 *
 * The router calls auth_check() for every endpoint that needs auth, before
 * the body is parsed and before any upstream call. The mode comes from
 * RELAY_AUTH (docs/authentication.md): jwt (RS256 with allowlisted JWKS hosts), hs256
 * (shared secret) or none.
 */
#ifndef AUTH_AUTH_H
#define AUTH_AUTH_H

#include <stddef.h>

#include "http/relay_error.h"

struct relay_config;
struct relay_request;
struct relay_claims;

/* Prepares shared state (JWKS cache), once at start-up before the worker
 * threads: in jwt mode makes one JWKS cache
 * slot per RELAY_JWKS_HOSTS entry (nothing is downloaded yet); in hs256 mode
 * checks that RELAY_JWT_SECRET is set. `cfg` is borrowed and must outlive
 * auth_shutdown(). Returns 0, or -1 with a message naming the variable in
 * `err`. */
int auth_init(const struct relay_config *cfg, char *err, size_t errlen);

/* Frees the JWKS cache and its keys. Call after the worker threads have
 * stopped; safe when auth_init() failed or never ran. */
void auth_shutdown(void);

/* Checks the request's Authorization header. Returns RELAY_OK, or
 * RELAY_ERR_AUTH with the full client message ("Authorization failed: ...")
 * in `msg`, or RELAY_ERR_INTERNAL when out of memory (a 500). On success, when the token carries a valid CTR_ENTITIES_LIMIT
 * claim, *entities_limit is set to it (otherwise left unchanged).
 * Thread-safe. Uses req->cfg (else the config given to auth_init); with
 * neither it fails closed. In jwt mode it may block for one JWKS download
 * (bounded by RELAY_UPSTREAM_TIMEOUT_MS) when the cache lacks the token's
 * kid. Never reads the body; nothing in the unverified token but jwks_host
 * and kid is used before the signature has been checked. */
enum relay_err auth_check(const struct relay_request *req, long *entities_limit, char *msg,
			  size_t msglen);

/* auth_check() that also reads the verified token's claims into *claims
 * (auth/claims.h; may be NULL), zeroed first; left zeroed in none mode and
 * when the token is refused. */
enum relay_err auth_check_claims(const struct relay_request *req, long *entities_limit,
				 struct relay_claims *claims, char *msg, size_t msglen);

#endif
