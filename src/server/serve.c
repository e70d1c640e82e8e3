/* serve.c: one request through a front end: path, bounded body, route,
 * answer, log line.
 *
 * The FastCGI workers and the CGI mode share this: read the parameters,
 * route (404/405 before the body), read a body bounded by RELAY_MAX_BODY
 * (413 when over, decided from CONTENT_LENGTH before reading), dispatch,
 * write, log one line.
 */
#include "server/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lib/json_arena.h"
#include "lib/now.h"
#include "http/metrics.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

static void write_response(struct server_io *io, struct relay_response *res)
{
	size_t len = 0;
	const char *text = response_render_view(res, &len);
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n\r\n",
			 res->status, status_text(res->status),
			 res->content_type ? res->content_type : "application/json", len);
	io->write(io->ctx, head, (size_t)n);
	io->write(io->ctx, text, len);
}

/* The request path: DOCUMENT_URI (nginx), else REQUEST_URI without its
 * query (Apache), else SCRIPT_NAME + PATH_INFO. `buf` holds built paths. */
static const char *request_path(struct server_io *io, char *buf, size_t buflen)
{
	const char *p = io->param(io->ctx, "DOCUMENT_URI");
	if (p && *p)
		return p;
	p = io->param(io->ctx, "REQUEST_URI");
	if (p && *p) {
		size_t n = strcspn(p, "?#");
		if (n >= buflen)
			n = buflen - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return buf;
	}
	const char *script = io->param(io->ctx, "SCRIPT_NAME");
	const char *info = io->param(io->ctx, "PATH_INFO");
	snprintf(buf, buflen, "%s%s", script ? script : "", info ? info : "");
	return buf;
}

/* Parses CONTENT_LENGTH: -1 when absent, -2 when malformed. */
static long long content_length(const char *text)
{
	if (!text || !*text)
		return -1;
	long long v = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || v > (1LL << 50))
			return -2;
		v = v * 10 + (*p - '0');
	}
	return v;
}

/* Reads the body into a new buffer (NUL-terminated). Returns RELAY_OK,
 * RELAY_ERR_BODY_TOO_LARGE, RELAY_ERR_INTERNAL, or RELAY_ERR_UNAVAILABLE
 * when the body ends before CONTENT_LENGTH (the peer left or timed out). */
static enum relay_err read_body(struct server_io *io, size_t max, char **out, size_t *out_len)
{
	long long declared = content_length(io->param(io->ctx, "CONTENT_LENGTH"));
	*out = NULL;
	*out_len = 0;
	if (declared == -2)
		return RELAY_ERR_BODY_TOO_LARGE;
	if (declared > (long long)max)
		return RELAY_ERR_BODY_TOO_LARGE;
	/* Without a length, read until EOF but never past the limit. */
	size_t want = declared >= 0 ? (size_t)declared : max + 1;
	size_t cap = declared >= 0 ? want + 1 : 8192;
	char *buf = malloc(cap);
	if (!buf)
		return RELAY_ERR_INTERNAL;
	size_t got = 0;
	while (got < want) {
		if (got + 1 >= cap) {
			size_t ncap = cap * 2 > max + 2 ? max + 2 : cap * 2;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				return RELAY_ERR_INTERNAL;
			}
			buf = nb;
			cap = ncap;
		}
		size_t room = cap - 1 - got;
		if (room > want - got)
			room = want - got;
		long n = io->read(io->ctx, buf + got, room);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		free(buf);
		return RELAY_ERR_BODY_TOO_LARGE;
	}
	if (declared >= 0 && got < want) {
		free(buf);
		return RELAY_ERR_UNAVAILABLE;
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	return RELAY_OK;
}

void server_serve_one(const struct relay_config *cfg, struct server_io *io)
{
	char pathbuf[REQUEST_MAX_PATH + 2];
	struct relay_request req;
	struct relay_response res;
	struct route_match match;
	char *body = NULL;
	double t0 = now_monotonic();
	int routed = 0;

	json_arena_begin();
	memset(&req, 0, sizeof(req));
	response_init(&res);
	req.cfg = cfg;
	req.method = io->param(io->ctx, "REQUEST_METHOD");
	req.path = request_path(io, pathbuf, sizeof(pathbuf));
	req.authorization = io->param(io->ctx, "HTTP_AUTHORIZATION");
	req.health_check = io->param(io->ctx, "HTTP_HEALTH_CHECK");
	req.request_id = router_request_id(io->param(io->ctx, "REQUEST_ID"),
					   io->param(io->ctx, "HTTP_X_REQUEST_ID"));
	req.module_instance_id =
		router_module_instance_id(io->param(io->ctx, "HTTP_X_MODULE_INSTANCE_ID"));
	req.entities_limit = cfg->entities_limit;

	enum relay_err pre = router_precheck(cfg, &req, &match, &res);
	routed = pre == RELAY_OK || pre == RELAY_ERR_METHOD;
	if (pre != RELAY_OK)
		goto write;
	if (match.needs_body) {
		enum relay_err rc = read_body(io, cfg->max_body, &body, &req.body_len);
		if (rc == RELAY_ERR_BODY_TOO_LARGE) {
			response_fail(&res, rc,
				      "Request Entity Too Large: the body exceeds %zu bytes "
				      "(RELAY_MAX_BODY)",
				      cfg->max_body);
			goto write;
		} else if (rc == RELAY_ERR_UNAVAILABLE && io->abort) {
			if (io->phase)
				io->phase(0);
			io->abort(io->ctx);
			router_log_request(&req, &match, NULL, now_monotonic() - t0);
			goto out;
		} else if (rc == RELAY_ERR_UNAVAILABLE) {
			response_add_error(&res, RELAY_ERR_INVALID_ARGUMENT,
					   "Invalid JSON payload received. The body ended before "
					   "CONTENT_LENGTH bytes.");
			goto write;
		} else if (rc != RELAY_OK) {
			response_fail(&res, rc, NULL);
			goto write;
		}
		req.body = body;
	}
	if (io->phase)
		io->phase(0); /* the request is read; handling has its own deadline */
	router_handle(&req, &match, &res);
	if (io->phase)
		io->phase(1);
write:
	/* A request whose body was not read (404, 405, 413, or an endpoint
	 * that ignores it) leaves STDIN records on a kept-alive connection;
	 * they must be gone before the next request is read from it. */
	if (io->discard)
		io->discard(io->ctx, SERVER_DISCARD_MAX);
	write_response(io, &res);
	if (io->phase)
		io->phase(0);
	{
		double secs = now_monotonic() - t0;
		router_log_request(&req, routed ? &match : NULL, &res, secs);
		if (routed)
			metrics_observe_duration(match.endpoint, secs);
	}
out:
	response_free(&res);
	free(body);
	json_arena_end();
}
