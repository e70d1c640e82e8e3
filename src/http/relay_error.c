/* relay_error.c: the table from the relay's error enum to what clients see. */
#include "http/relay_error.h"

static const struct relay_error_info error_table[RELAY_ERR__MAX] = {
	[RELAY_OK] = {"ok", "fatal", "OK", 200},
	[RELAY_ERR_AUTH] = {"authorization error", "fatal", "Authorization failed", 200},
	[RELAY_ERR_INVALID_ARGUMENT] = {"invalid argument", "fatal",
					"Invalid JSON payload received.", 200},
	[RELAY_ERR_UNAVAILABLE] = {"service unavailable", "fatal",
				   "The upstream is unavailable. Please, try again later.", 200},
	[RELAY_ERR_NOT_FOUND] = {"not found", "fatal", "The upstream answered: not found.", 200},
	[RELAY_ERR_TOO_MANY_REQUESTS] = {"too many requests", "fatal",
					 "Too many requests have been made to the upstream. "
					 "Please, try again later.",
					 200},
	[RELAY_ERR_UNKNOWN] = {"unknown", "fatal", "Unexpected response from the upstream.", 200},
	[RELAY_ERR_KEY_ERROR] =
		{"key error", "fatal",
		 "The data structure of the upstream has changed. The module is broken.", 200},
	[RELAY_ERR_HEALTH_CHECK] = {"health check failed", "fatal", "Invalid Health Check", 200},
	[RELAY_ERR_TOO_MANY_ENTITIES] = {"too-many-entities", "warning",
					 "More entities exist than CTR_ENTITIES_LIMIT allows.",
					 200},
	[RELAY_ERR_ROUTE_NOT_FOUND] = {"not found", "fatal", "Not Found", 404},
	[RELAY_ERR_METHOD] = {"method not allowed", "fatal", "Method Not Allowed", 405},
	[RELAY_ERR_BODY_TOO_LARGE] = {"request too large", "fatal", "Request Entity Too Large",
				      413},
	[RELAY_ERR_INTERNAL] = {"internal error", "fatal", "Internal Server Error", 500},
	[RELAY_ERR_OVERLOADED] = {"service unavailable", "fatal", "Service Unavailable", 503},
	[RELAY_ERR_UPSTREAM_TOO_LARGE] = {"unknown", "fatal",
					  "The upstream answer is larger than allowed.", 200},
	[RELAY_ERR_WARNING] = {"warning", "warning", "Warning", 200},
};

const struct relay_error_info *relay_error_info(enum relay_err err)
{
	if ((int)err < 0 || err >= RELAY_ERR__MAX)
		err = RELAY_ERR_INTERNAL;
	return &error_table[err];
}
