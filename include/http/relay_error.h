/* relay_error.h: the one error enum of the relay and its table.
 *
 * Every fallible path ends in one of these values. relay_error_info() maps a
 * value to what the client sees: the SecureX error code string, the entry
 * type (fatal or warning), the default message and the HTTP status. Append
 * new values before RELAY_ERR__MAX; never reorder.
 */
#ifndef RELAY_ERROR_H
#define RELAY_ERROR_H

enum relay_err {
	RELAY_OK = 0,
	RELAY_ERR_AUTH,		      /* authorization error */
	RELAY_ERR_INVALID_ARGUMENT,   /* invalid argument */
	RELAY_ERR_UNAVAILABLE,	      /* service unavailable (5xx, timeout, refused, DNS) */
	RELAY_ERR_NOT_FOUND,	      /* upstream answered 404 */
	RELAY_ERR_TOO_MANY_REQUESTS,  /* upstream answered 429 */
	RELAY_ERR_UNKNOWN,	      /* TLS failure, unexpected upstream status */
	RELAY_ERR_KEY_ERROR,	      /* upstream JSON of the wrong shape */
	RELAY_ERR_HEALTH_CHECK,	      /* /watchdog without Health-Check */
	RELAY_ERR_TOO_MANY_ENTITIES,  /* warning: CTR_ENTITIES_LIMIT cut entities */
	RELAY_ERR_ROUTE_NOT_FOUND,    /* HTTP 404: no such path */
	RELAY_ERR_METHOD,	      /* HTTP 405: wrong method */
	RELAY_ERR_BODY_TOO_LARGE,     /* HTTP 413: body over RELAY_MAX_BODY */
	RELAY_ERR_INTERNAL,	      /* HTTP 500: a bug or an allocation failure */
	RELAY_ERR_OVERLOADED,	      /* HTTP 503: cannot take the request now */
	RELAY_ERR_UPSTREAM_TOO_LARGE, /* upstream answer over its size cap */
	RELAY_ERR_WARNING, /* warning: the upstream declined one value, a claim ignored */
	RELAY_ERR__MAX
};

/* What a client sees for an error. `http_status` 200 marks an application
 * error (the envelope with "errors"); anything else is a non-application
 * failure answered with {"code": status, "message": ...}. */
struct relay_error_info {
	const char *code;    /* SecureX code string, e.g. "invalid argument" */
	const char *type;    /* "fatal", "error" or "warning" */
	const char *message; /* default message when the caller gives none */
	int http_status;
};

/* Never NULL: an out-of-range value maps to the RELAY_ERR_INTERNAL row. */
const struct relay_error_info *relay_error_info(enum relay_err err);

#endif
