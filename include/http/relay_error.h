/* relay_error.h: the one error enum of the relay and its table.
 *
 * Owned by src/http/relay_error.c. relay_error_info() maps a value to what
 * the client sees: the SecureX error code string, the entry type (fatal or
 * warning), the default message and the HTTP status. Append new values
 * before RELAY_ERR__MAX; never reorder.
 *
 * The error model. Every fallible path of a request ends in one value of
 * enum relay_err, and the one table in relay_error.c decides what the
 * client sees. A function that can fail returns enum relay_err; or a small
 * enum of its own when its caller must tell more than success and failure
 * apart (jwt_status, jwks_status, json_get_status, strbuf_status), which
 * that caller maps to relay_err; or 0 / -1 when the only failure is running
 * out of memory or a refusal already worded into the caller's `err`
 * buffer. A plain int never carries three meanings from one file to
 * another, and 1 / 0 only ever means true / false. Functions do not print
 * their failures; they word them into a buffer the caller passes, and the
 * caller decides. In an answer, an application error becomes an entry of
 * "errors" (response_add_error()) beside the data already built, so one
 * failed observable never costs the others their answer; a non-application
 * failure (response_fail(): 404, 405, 413, 500, 503) replaces the answer.
 * Running out of memory is always RELAY_ERR_INTERNAL, a 500, never an error
 * the client would take for its own. Start-up is the one place that stops
 * the process: a bad setting is one line naming the variable and exit
 * status 1. A module hook never fails silently: it adds data, errors, or
 * both.
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
