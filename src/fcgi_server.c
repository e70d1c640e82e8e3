/* fcgi_server.c: FastCGI worker threads (libfcgi) and the one-shot CGI mode.
 *
 * Both front ends share serve_one(): read the parameters, route (404/405
 * before the body), read a body bounded by RELAY_MAX_BODY (413 when over,
 * decided from CONTENT_LENGTH before reading), dispatch, write.
 */
#include "server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "request.h"
#include "response.h"
#include "router.h"

#define SERVER_BACKLOG 1024

/* How a front end reads parameters and body and writes the answer. */
struct server_io {
	const char *(*param)(void *ctx, const char *name);
	long (*read)(void *ctx, char *buf, size_t n);
	int (*write)(void *ctx, const char *buf, size_t n);
	void *ctx;
};

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
	char *body = response_render(res, &len);
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n\r\n",
			 res->status, status_text(res->status),
			 res->content_type ? res->content_type : "application/json", body ? len : 0);
	io->write(io->ctx, head, (size_t)n);
	if (body)
		io->write(io->ctx, body, len);
	free(body);
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
 * RELAY_ERR_BODY_TOO_LARGE or RELAY_ERR_INTERNAL. */
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
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	return RELAY_OK;
}

static void serve_one(const struct relay_config *cfg, struct server_io *io)
{
	char pathbuf[REQUEST_MAX_PATH + 2];
	struct relay_request req;
	struct relay_response res;
	struct route_match match;
	char *body = NULL;

	memset(&req, 0, sizeof(req));
	response_init(&res);
	req.cfg = cfg;
	req.method = io->param(io->ctx, "REQUEST_METHOD");
	req.path = request_path(io, pathbuf, sizeof(pathbuf));
	req.authorization = io->param(io->ctx, "HTTP_AUTHORIZATION");
	req.host = io->param(io->ctx, "HTTP_HOST");
	req.https = io->param(io->ctx, "HTTPS");
	req.forwarded_proto = io->param(io->ctx, "HTTP_X_FORWARDED_PROTO");
	req.health_check = io->param(io->ctx, "HTTP_HEALTH_CHECK");
	req.entities_limit = cfg->entities_limit;

	if (router_precheck(cfg, &req, &match, &res) != RELAY_OK)
		goto write;
	if (match.needs_body) {
		enum relay_err rc = read_body(io, cfg->max_body, &body, &req.body_len);
		if (rc == RELAY_ERR_BODY_TOO_LARGE) {
			response_fail(&res, rc, "Request Entity Too Large: the body exceeds %zu bytes "
				      "(RELAY_MAX_BODY)", cfg->max_body);
			goto write;
		} else if (rc != RELAY_OK) {
			response_fail(&res, rc, NULL);
			goto write;
		}
		req.body = body;
	}
	router_handle(&req, &match, &res);
write:
	write_response(io, &res);
	response_free(&res);
	free(body);
}

/* ---- FastCGI ---- */

static const char *fcgi_param(void *ctx, const char *name)
{
	FCGX_Request *r = ctx;
	return FCGX_GetParam(name, r->envp);
}

static long fcgi_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request *r = ctx;
	return FCGX_GetStr(buf, n > 1 << 30 ? 1 << 30 : (int)n, r->in);
}

static int fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request *r = ctx;
	return FCGX_PutStr(buf, (int)n, r->out) == (int)n ? 0 : -1;
}

struct worker {
	pthread_t thread;
	const struct relay_config *cfg;
	int sock;
};

static atomic_int server_stopping;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	FCGX_Request r;
	if (FCGX_InitRequest(&r, w->sock, 0) != 0)
		return NULL;
	while (!atomic_load(&server_stopping)) {
		if (FCGX_Accept_r(&r) < 0)
			break;
		struct server_io io = {fcgi_param, fcgi_read, fcgi_write, &r};
		serve_one(w->cfg, &io);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	return NULL;
}

int server_fd0_is_fastcgi(void)
{
	return !FCGX_IsCGI();
}

int server_run_fastcgi(const struct relay_config *cfg, const char *listen_addr, int threads)
{
	if (FCGX_Init() != 0) {
		fprintf(stderr, "securex-relay: cannot initialise libfcgi\n");
		return -1;
	}
	int sock = 0;
	if (listen_addr) {
		if (strchr(listen_addr, '/'))
			unlink(listen_addr); /* a stale socket file from a previous run */
		sock = FCGX_OpenSocket(listen_addr, SERVER_BACKLOG);
		if (sock < 0) {
			fprintf(stderr, "securex-relay: --listen %s: cannot open the socket: %s\n",
				listen_addr, strerror(errno));
			return -1;
		}
		if (strchr(listen_addr, '/'))
			chmod(listen_addr, 0666);
	}

	/* Workers inherit a mask without the stop signals; this thread waits
	 * for them. SIGPIPE from a vanished peer must not kill the process. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct worker *ws = calloc((size_t)threads, sizeof(*ws));
	if (!ws)
		return -1;
	int started = 0;
	for (int i = 0; i < threads; i++) {
		ws[i].cfg = cfg;
		ws[i].sock = sock;
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0)
			break;
		started++;
	}
	fprintf(stderr, "securex-relay: serving FastCGI on %s with %d threads\n",
		listen_addr ? listen_addr : "fd 0", started);
	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "securex-relay: signal %d, stopping\n", sig);
	atomic_store(&server_stopping, 1);
	shutdown(sock, SHUT_RDWR);
	for (int i = 0; i < started; i++)
		pthread_join(ws[i].thread, NULL);
	free(ws);
	close(sock);
	if (listen_addr && strchr(listen_addr, '/'))
		unlink(listen_addr);
	return started > 0 ? 0 : -1;
}

/* ---- CGI ---- */

static const char *cgi_param(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

static long cgi_read(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	size_t got = fread(buf, 1, n, stdin);
	return got == 0 ? -1 : (long)got;
}

static int cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

int server_run_cgi(const struct relay_config *cfg)
{
	struct server_io io = {cgi_param, cgi_read, cgi_write, NULL};
	serve_one(cfg, &io);
	return fflush(stdout) == 0 ? 0 : -1;
}
