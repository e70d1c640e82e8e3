/* router.h: the endpoint table and the dispatch of one request.
 *
 * router_handle() maps the path to (module, endpoint) by table (CONTRACT
 * section 1), answers 404/405 before anything else, runs the single
 * authentication step, parses and validates the body, then calls the
 * module's hook. It is a plain function from request to response, so unit
 * tests call it without FastCGI.
 */
#ifndef ROUTER_H
#define ROUTER_H

#include "http/request.h"
#include "http/response.h"
#include "http/route_endpoint.h"

struct route_match {
	enum route_endpoint endpoint;
	const struct relay_module *module; /* NULL for module-less endpoints */
	size_t module_path_len;		   /* prefix of the path up to and including /<module> */
	int method_ok;			   /* 0: the path exists but not for this method (405) */
	int needs_body;			   /* the endpoint reads the body */
};

/* Finds the route for (method, path). Returns 0 when found (check
 * method_ok), -1 for an unknown path (404). `message` gets the reason. */
int route_find(const struct relay_config *cfg, const char *method, const char *path,
	       struct route_match *match, char *message, size_t msglen);

/* Decides from the method and path alone whether the request can go on to
 * read its body: returns RELAY_OK, or fills `res` with a 404/405 failure and
 * returns that error. */
enum relay_err router_precheck(const struct relay_config *cfg, const struct relay_request *req,
			       struct route_match *match, struct relay_response *res);

/* The request id to log: `from_server` (the REQUEST_ID parameter, nginx's
 * $request_id) when usable, else `from_header` (X-Request-ID). Usable means
 * 1 to ROUTER_REQUEST_ID_MAX printable ASCII characters without spaces;
 * anything else is ignored. Returns one of the two pointers or NULL. */
#define ROUTER_REQUEST_ID_MAX 128
const char *router_request_id(const char *from_server, const char *from_header);

/* `header` (X-Module-Instance-ID) when it is 1 to ROUTER_REQUEST_ID_MAX
 * printable ASCII characters without spaces, else NULL. */
const char *router_module_instance_id(const char *header);

/* Writes the request's one log line to stderr (a single write): UTC time,
 * request id, module instance id, module, endpoint, HTTP status, error codes, number of
 * observables and duration. `match` is NULL for an unknown path (404);
 * `res` is NULL when nothing was answered (the peer left mid-request). */
void router_log_request(const struct relay_request *req, const struct route_match *match,
			const struct relay_response *res, double seconds);

/* Handles a request whose body has been read (req->body). */
void router_handle(struct relay_request *req, const struct route_match *match,
		   struct relay_response *res);

#endif
