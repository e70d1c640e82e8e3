/* request.h: one incoming request, independent of how it arrived.
 *
 * The FastCGI and CGI front ends (server/serve.c) fill this struct from the
 * request's parameters and its bounded body; handlers and tests only ever see
 * this struct, so unit tests build one by hand without a socket.
 *
 * Ownership: every pointer is borrowed from the front end (or the test) and
 * stays valid until the response has been written.
 */
#ifndef REQUEST_H
#define REQUEST_H

#include <stddef.h>

struct relay_config;
struct relay_module;

struct relay_request {
	const char *method; /* REQUEST_METHOD */
	const char *
		path; /* DOCUMENT_URI, else SCRIPT_NAME+PATH_INFO, else REQUEST_URI without query */
	const char *authorization; /* HTTP_AUTHORIZATION, may be NULL */
	const char *health_check;  /* HTTP_HEALTH_CHECK, may be NULL */
	const char *body;	   /* request body, NUL-terminated, may be NULL when empty */
	size_t body_len;

	/* Filled by the router before a handler runs. */
	const struct relay_config *cfg;
	const struct relay_module
		*module;	 /* the module the path names; NULL for module-less endpoints */
	long entities_limit;	 /* CTR_ENTITIES_LIMIT for this call (env, or the JWT claim) */
	const char *module_path; /* path up to and including /<module> (or "" for bare) */
	size_t module_path_len;

	/* For the log line: REQUEST_ID (nginx) or X-Request-ID, validated by
	 * router_request_id(); NULL when neither is usable. */
	const char *request_id;
	/* For the log line: the X-Module-Instance-ID header XDR sends (which
	 * module instance of which tenant called), validated by
	 * router_module_instance_id(); NULL when absent or not sane. */
	const char *module_instance_id;
	size_t n_observables; /* filled by the router for observables endpoints */
};

/* Length limit of one request path the router looks at; longer paths are 404. */
#define REQUEST_MAX_PATH 2048

#endif
