/* fcgi_server.c: FastCGI worker threads (libfcgi) and the one-shot CGI mode.
 *
 * Both front ends share serve_one(): read the parameters, route (404/405
 * before the body), read a body bounded by RELAY_MAX_BODY (413 when over,
 * decided from CONTENT_LENGTH before reading), dispatch, write.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "config.h"
#include "json_arena.h"
#include "request.h"
#include "response.h"
#include "router.h"

#define SERVER_BACKLOG 1024

/* How a front end reads parameters and body and writes the answer. */
struct server_io {
	const char *(*param)(void *ctx, const char *name);
	long (*read)(void *ctx, char *buf, size_t n);
	int (*write)(void *ctx, const char *buf, size_t n);
	/* Reads and drops what is left of the body, at most `max` bytes;
	 * returns -1 when more was left (the connection must not be reused). */
	int (*discard)(void *ctx, size_t max);
	void *ctx;
};

/* Bytes of an unread body the relay swallows to keep a FastCGI connection
 * reusable; past this the connection is closed instead. */
#define SERVER_DISCARD_MAX (8 * 1024 * 1024)

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

	json_arena_begin();
	memset(&req, 0, sizeof(req));
	response_init(&res);
	req.cfg = cfg;
	req.method = io->param(io->ctx, "REQUEST_METHOD");
	req.path = request_path(io, pathbuf, sizeof(pathbuf));
	req.authorization = io->param(io->ctx, "HTTP_AUTHORIZATION");
	req.health_check = io->param(io->ctx, "HTTP_HEALTH_CHECK");
	req.entities_limit = cfg->entities_limit;

	if (router_precheck(cfg, &req, &match, &res) != RELAY_OK)
		goto write;
	if (match.needs_body) {
		enum relay_err rc = read_body(io, cfg->max_body, &body, &req.body_len);
		if (rc == RELAY_ERR_BODY_TOO_LARGE) {
			response_fail(&res, rc,
				      "Request Entity Too Large: the body exceeds %zu bytes "
				      "(RELAY_MAX_BODY)",
				      cfg->max_body);
			goto write;
		} else if (rc != RELAY_OK) {
			response_fail(&res, rc, NULL);
			goto write;
		}
		req.body = body;
	}
	router_handle(&req, &match, &res);
write:
	/* A request whose body was not read (404, 405, 413, or an endpoint
	 * that ignores it) leaves STDIN records on a kept-alive connection;
	 * they must be gone before the next request is read from it. */
	if (io->discard)
		io->discard(io->ctx, SERVER_DISCARD_MAX);
	write_response(io, &res);
	response_free(&res);
	free(body);
	json_arena_end();
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

/* Answers from FCGI_DIRECT_MIN bytes on go out as STDOUT records of up to
 * FCGI_RECORD_MAX bytes, many per writev, instead of libfcgi's 8 KiB
 * records with a write each: an observe answer of 180 KB was 23 writes and
 * as many wake-ups of nginx. libfcgi's stream is flushed first (it then
 * stands at a record boundary) and writes the closing records as usual. */
#define FCGI_DIRECT_MIN (16 * 1024)
#define FCGI_RECORD_MAX 65528	  /* the largest multiple of 8 below 64 KiB */
#define FCGI_RECORDS_PER_WRITE 16 /* 1 MiB a writev */

static int write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t w = writev(fd, iov, cnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int fcgi_write_records(FCGX_Request *r, const char *buf, size_t n)
{
	FCGI_Header heads[FCGI_RECORDS_PER_WRITE];
	struct iovec iov[2 * FCGI_RECORDS_PER_WRITE];
	while (n > 0) {
		int cnt = 0;
		for (int i = 0; i < FCGI_RECORDS_PER_WRITE && n > 0; i++) {
			size_t len = n < FCGI_RECORD_MAX ? n : FCGI_RECORD_MAX;
			heads[i] = (FCGI_Header){
				.version = FCGI_VERSION_1,
				.type = FCGI_STDOUT,
				.requestIdB1 = (unsigned char)((r->requestId >> 8) & 0xff),
				.requestIdB0 = (unsigned char)(r->requestId & 0xff),
				.contentLengthB1 = (unsigned char)((len >> 8) & 0xff),
				.contentLengthB0 = (unsigned char)(len & 0xff),
			};
			iov[cnt++] =
				(struct iovec){.iov_base = &heads[i], .iov_len = sizeof(heads[i])};
			iov[cnt++] = (struct iovec){.iov_base = (void *)buf, .iov_len = len};
			buf += len;
			n -= len;
		}
		if (write_all(r->ipcFd, iov, cnt) != 0)
			return -1;
	}
	return 0;
}

static int fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request *r = ctx;
	if (n < FCGI_DIRECT_MIN)
		return FCGX_PutStr(buf, (int)n, r->out) == (int)n ? 0 : -1;
	if (FCGX_FFlush(r->out) != 0)
		return -1;
	if (fcgi_write_records(r, buf, n) != 0) {
		/* Half a record may be out: the connection cannot be reused, and
		 * libfcgi's own writes must fail so that it closes it. */
		shutdown(r->ipcFd, SHUT_RDWR);
		return -1;
	}
	return 0;
}

static int fcgi_discard(void *ctx, size_t max)
{
	FCGX_Request *r = ctx;
	char buf[16384];
	size_t total = 0;
	int n;
	while ((n = FCGX_GetStr(buf, sizeof(buf), r->in)) > 0) {
		total += (size_t)n;
		if (total > max) {
			r->keepConnection = 0;
			return -1;
		}
	}
	return 0;
}

/*
 * Every worker thread waits on one shared epoll set that holds the listening
 * socket, each idle connection, a signalfd and a stop eventfd. libfcgi on its
 * own binds a kept-alive connection to the thread that accepted it, so a web
 * server holding more keep-alive connections than there are threads would
 * see requests stall; here an idle connection costs no thread. All watches
 * are one-shot, so one event goes to exactly one worker: for a connection,
 * that worker hands it to FCGX_Accept_r() as already open (ipcFd set,
 * listen socket -1 so libfcgi never accepts on its own), serves one request
 * and re-arms the watch. The thread that reads a stop signal sets the
 * eventfd, which stays readable and wakes every worker to leave.
 */

struct server {
	const struct relay_config *cfg;
	int epoll_fd, listen_fd, signal_fd, stop_fd;
};

/* (Re-)arms a one-shot watch on fd. */
static int watch(const struct server *srv, int fd, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = fd};
	if (fd != srv->listen_fd)
		ev.events |= EPOLLRDHUP;
	return epoll_ctl(srv->epoll_fd, op, fd, &ev);
}

/* Accepts every pending connection and starts watching it. */
static void accept_all(const struct server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			break; /* EAGAIN, or a transient error the next event retries */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (watch(srv, fd, EPOLL_CTL_ADD) != 0)
			close(fd);
	}
	watch(srv, srv->listen_fd, EPOLL_CTL_MOD);
}

/* Serves the request waiting on fd, then re-arms fd (or it is closed). */
static void serve_connection(const struct server *srv, FCGX_Request *r, int fd)
{
	r->ipcFd = fd;
	r->keepConnection = 1; /* so FCGX_Accept_r's opening Finish keeps fd */
	if (FCGX_Accept_r(r) < 0) {
		/* The peer closed the connection or spoke garbage; libfcgi has
		 * closed it (and closing drops it from the epoll set). */
		r->ipcFd = -1;
		return;
	}
	struct server_io io = {fcgi_param, fcgi_read, fcgi_write, fcgi_discard, r};
	serve_one(srv->cfg, &io);
	FCGX_Finish_r(r);
	if (r->ipcFd >= 0 && watch(srv, r->ipcFd, EPOLL_CTL_MOD) != 0)
		close(r->ipcFd);
	r->ipcFd = -1;
}

static void *worker_main(void *arg)
{
	const struct server *srv = arg;
	FCGX_Request r;
	if (FCGX_InitRequest(&r, -1, 0) != 0)
		return NULL;
	for (;;) {
		struct epoll_event ev;
		int n = epoll_wait(srv->epoll_fd, &ev, 1, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		int fd = ev.data.fd;
		if (fd == srv->stop_fd)
			break;
		if (fd == srv->listen_fd) {
			accept_all(srv);
		} else if (fd == srv->signal_fd) {
			struct signalfd_siginfo si;
			if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				fprintf(stderr, "securex-relay: signal %u, stopping\n",
					si.ssi_signo);
			uint64_t one = 1;
			if (write(srv->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
				fprintf(stderr, "securex-relay: cannot signal the workers\n");
			break;
		} else {
			serve_connection(srv, &r, fd);
		}
	}
	FCGX_Free(&r, 0);
	response_thread_cleanup();
	json_arena_thread_cleanup();
	return NULL;
}

int server_fd0_is_fastcgi(void)
{
	return !FCGX_IsCGI();
}

static int open_listener(const char *listen_addr)
{
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
	int flags = fcntl(sock, F_GETFL, 0);
	if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	return sock;
}

int server_run_fastcgi(const struct relay_config *cfg, const char *listen_addr, int threads)
{
	if (FCGX_Init() != 0) {
		fprintf(stderr, "securex-relay: cannot initialise libfcgi\n");
		return -1;
	}
	struct server srv = {.cfg = cfg, .epoll_fd = -1, .signal_fd = -1, .stop_fd = -1};
	if ((srv.listen_fd = open_listener(listen_addr)) < 0)
		return -1;

	/* main() blocked the stop signals in every thread before starting
	 * any; a worker reads them from the signalfd. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	srv.signal_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	srv.stop_fd = eventfd(0, EFD_CLOEXEC);
	srv.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event stop_ev = {.events = EPOLLIN, .data.fd = srv.stop_fd};
	pthread_t *ws = calloc((size_t)threads, sizeof(*ws));
	int started = 0, rc = -1;
	if (srv.signal_fd < 0 || srv.stop_fd < 0 || srv.epoll_fd < 0 || !ws ||
	    watch(&srv, srv.listen_fd, EPOLL_CTL_ADD) != 0 ||
	    watch(&srv, srv.signal_fd, EPOLL_CTL_ADD) != 0 ||
	    epoll_ctl(srv.epoll_fd, EPOLL_CTL_ADD, srv.stop_fd, &stop_ev) != 0) {
		fprintf(stderr, "securex-relay: cannot set up the workers: %s\n", strerror(errno));
		goto out;
	}
	for (; started < threads; started++)
		if (pthread_create(&ws[started], NULL, worker_main, &srv) != 0)
			break;
	if (started > 0) {
		fprintf(stderr, "securex-relay: serving FastCGI on %s with %d threads\n",
			listen_addr ? listen_addr : "fd 0", started);
		rc = 0;
	}
	for (int i = 0; i < started; i++)
		pthread_join(ws[i], NULL);
out:
	free(ws);
	if (srv.epoll_fd >= 0)
		close(srv.epoll_fd);
	if (srv.signal_fd >= 0)
		close(srv.signal_fd);
	if (srv.stop_fd >= 0)
		close(srv.stop_fd);
	close(srv.listen_fd);
	if (listen_addr && strchr(listen_addr, '/'))
		unlink(listen_addr);
	return rc;
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
	struct server_io io = {cgi_param, cgi_read, cgi_write, NULL, NULL};
	serve_one(cfg, &io);
	response_thread_cleanup();
	json_arena_thread_cleanup();
	return fflush(stdout) == 0 ? 0 : -1;
}
