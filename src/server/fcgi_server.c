/* fcgi_server.c: FastCGI worker threads (libfcgi) and the one-shot CGI mode.
 *
 * Both front ends share serve_one(): read the parameters, route (404/405
 * before the body), read a body bounded by RELAY_MAX_BODY (413 when over,
 * decided from CONTENT_LENGTH before reading), dispatch, write, log one line.
 * The FastCGI side also bounds each request's socket I/O in time, backs off
 * when descriptors run out, and drains on SIGTERM (see below).
 */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <fastcgi.h>
#include <fcgiapp.h>

#include "config.h"
#include "lib/json_arena.h"
#include "http/metrics.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"

#define SERVER_BACKLOG 1024

/* Reading a request, and writing its answer, each take at most this long
 * in total (the phase timer below; SO_RCVTIMEO / SO_SNDTIMEO bound each
 * single read and write too): a half-open, silent or trickling peer gives
 * its worker back after it. Idle kept-alive connections cost no worker and
 * are not timed. */
#define SERVER_IO_TIMEOUT_MS 10000

/* How a front end reads parameters and body and writes the answer. */
struct server_io {
	const char *(*param)(void *ctx, const char *name);
	long (*read)(void *ctx, char *buf, size_t n);
	int (*write)(void *ctx, const char *buf, size_t n);
	/* Reads and drops what is left of the body, at most `max` bytes;
	 * returns -1 when more was left (the connection must not be reused). */
	int (*discard)(void *ctx, size_t max);
	/* Optional: the request could not be read whole (the peer left or
	 * timed out); nothing is answered and the connection is closed. */
	void (*abort)(void *ctx);
	/* Optional: a phase of socket I/O starts (1) or ends (0); see io_phase(). */
	void (*phase)(int on);
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

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void serve_one(const struct relay_config *cfg, struct server_io *io)
{
	char pathbuf[REQUEST_MAX_PATH + 2];
	struct relay_request req;
	struct relay_response res;
	struct route_match match;
	char *body = NULL;
	struct timespec t0;
	int routed = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
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
			router_log_request(&req, &match, NULL, seconds_since(&t0));
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
		double secs = seconds_since(&t0);
		router_log_request(&req, routed ? &match : NULL, &res, secs);
		if (routed)
			metrics_observe_duration(match.endpoint, secs);
	}
out:
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

/*
 * Each phase of socket I/O of a request (reading its parameters and body;
 * writing its answer and closing records) has SERVER_IO_TIMEOUT_MS in total,
 * however the peer spaces its bytes: SO_RCVTIMEO alone restarts with every
 * byte, so a peer trickling one byte every few seconds would keep a worker.
 * A per-thread POSIX timer sends this thread SERVER_PHASE_SIGNAL when the
 * phase runs late, and again every SERVER_PHASE_REPEAT_MS until it ends: the
 * handler (installed without SA_RESTART) only sets phase_expired, and the
 * blocked read() or write(), libfcgi's (os_unix.c passes EINTR up as a
 * stream error) or ours, fails with EINTR. The timer is disarmed while the
 * request is handled, so upstream calls never see the signal.
 */
#define SERVER_PHASE_SIGNAL (SIGRTMIN + 2)
#define SERVER_PHASE_REPEAT_MS 100

static _Thread_local timer_t phase_timer;
static _Thread_local int phase_timer_ok;
static _Thread_local volatile sig_atomic_t phase_expired;

static void phase_alarm(int sig)
{
	(void)sig;
	phase_expired = 1;
}

static void phase_timer_create(void)
{
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SERVER_PHASE_SIGNAL;
	sev._sigev_un._tid = gettid();
	phase_timer_ok = timer_create(CLOCK_MONOTONIC, &sev, &phase_timer) == 0;
	if (!phase_timer_ok)
		fprintf(stderr,
			"securex-relay: timer_create: %s; only per-read timeouts apply on "
			"this worker\n",
			strerror(errno));
}

static void io_phase(int on)
{
	if (!phase_timer_ok)
		return;
	struct itimerspec it;
	memset(&it, 0, sizeof(it));
	if (on) {
		phase_expired = 0;
		it.it_value.tv_sec = SERVER_IO_TIMEOUT_MS / 1000;
		it.it_value.tv_nsec = (SERVER_IO_TIMEOUT_MS % 1000) * 1000000L;
		it.it_interval.tv_nsec = SERVER_PHASE_REPEAT_MS * 1000000L;
	}
	timer_settime(phase_timer, 0, &it, NULL);
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
			if (errno == EINTR && !phase_expired)
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

static void fcgi_abort(void *ctx)
{
	FCGX_Request *r = ctx;
	r->keepConnection = 0;
	/* FCGX_Finish_r would write the closing records to a peer that is
	 * gone; shutting the socket makes those writes fail at once. */
	shutdown(r->ipcFd, SHUT_RDWR);
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
 * socket, each idle connection, a back-off timer and a stop eventfd. libfcgi
 * on its own binds a kept-alive connection to the thread that accepted it, so
 * a web server holding more keep-alive connections than there are threads
 * would see requests stall; here an idle connection costs no thread. All
 * watches are one-shot, so one event goes to exactly one worker: for a
 * connection, that worker hands it to FCGX_Accept_r() as already open (ipcFd
 * set, listen socket -1 so libfcgi never accepts on its own), serves one
 * request and re-arms the watch. The stop eventfd stays readable once set and
 * wakes every worker to leave.
 *
 * Signals are read by the thread that called server_run_fastcgi(), from a
 * signalfd: SIGHUP runs the reload callback; SIGTERM/SIGINT stop accepting,
 * let the requests in flight finish (SERVER_DRAIN_GRACE_MS at least, so that
 * requests already sent on kept-alive connections are answered too, each
 * then closing its connection), and set the stop eventfd.
 */

/* After EMFILE/ENFILE the listener rests this long instead of spinning. */
#define SERVER_ACCEPT_BACKOFF_MS 100
/* At most one log line about running out of descriptors per this. */
#define SERVER_EMFILE_LOG_SECONDS 10
/* After SIGTERM: keep answering for at least this long. */
#define SERVER_DRAIN_GRACE_MS 200

struct server {
	const struct relay_config *cfg;
	int epoll_fd, listen_fd, stop_fd, backoff_fd;
	atomic_int stopping; /* SIGTERM seen: accept nothing, close after each answer */
	atomic_int busy;     /* workers serving a request right now */
	atomic_long emfile_logged_at;
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* (Re-)arms a one-shot watch on fd. */
static int watch(const struct server *srv, int fd, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = fd};
	if (fd != srv->listen_fd && fd != srv->backoff_fd)
		ev.events |= EPOLLRDHUP;
	return epoll_ctl(srv->epoll_fd, op, fd, &ev);
}

static void set_io_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = SERVER_IO_TIMEOUT_MS / 1000,
			     .tv_usec = (SERVER_IO_TIMEOUT_MS % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Out of descriptors: leave the listener unwatched and let the back-off
 * timer re-arm it, so pending connections wait in the backlog instead of
 * waking a worker in a loop. */
static void accept_back_off(struct server *srv, int err)
{
	long now = now_ms() / 1000, last = atomic_load(&srv->emfile_logged_at);
	if (now - last >= SERVER_EMFILE_LOG_SECONDS &&
	    atomic_compare_exchange_strong(&srv->emfile_logged_at, &last, now))
		fprintf(stderr,
			"securex-relay: accept: %s; not accepting for %d ms (raise LimitNOFILE / "
			"ulimit -n)\n",
			strerror(err), SERVER_ACCEPT_BACKOFF_MS);
	struct itimerspec it = {
		.it_value = {.tv_sec = 0, .tv_nsec = SERVER_ACCEPT_BACKOFF_MS * 1000000L}};
	if (timerfd_settime(srv->backoff_fd, 0, &it, NULL) != 0)
		watch(srv, srv->listen_fd, EPOLL_CTL_MOD); /* cannot rest: keep going */
}

/* Accepts every pending connection and starts watching it. */
static void accept_all(struct server *srv)
{
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				accept_back_off(srv, errno);
				return;
			}
			break; /* EAGAIN, or a transient error the next event retries */
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_io_timeouts(fd);
		if (watch(srv, fd, EPOLL_CTL_ADD) != 0)
			close(fd);
	}
	if (!atomic_load(&srv->stopping))
		watch(srv, srv->listen_fd, EPOLL_CTL_MOD);
}

/* Serves the request waiting on fd, then re-arms fd (or it is closed). */
static void serve_connection(struct server *srv, FCGX_Request *r, int fd)
{
	r->ipcFd = fd;
	r->keepConnection = 1; /* so FCGX_Accept_r's opening Finish keeps fd */
	/* libfcgi closes a connection by shutting down its sending side and
	 * reading until EOF, two seconds per read (OS_Close in os_unix.c), so
	 * a trickling peer could hold the worker there; "detached" makes it a
	 * plain close. The body is always read or discarded before. */
	r->detached = 1;
	io_phase(1);
	if (FCGX_Accept_r(r) < 0) {
		/* The peer closed the connection, spoke garbage or timed out;
		 * libfcgi has closed it (and closing drops it from the epoll set). */
		io_phase(0);
		r->ipcFd = -1;
		return;
	}
	if (atomic_load(&srv->stopping))
		r->keepConnection = 0; /* nginx's next request goes to the new process */
	struct server_io io = {fcgi_param, fcgi_read, fcgi_write, fcgi_discard,
			       fcgi_abort, io_phase,  r};
	serve_one(srv->cfg, &io);
	r->detached = 1;
	io_phase(1); /* the closing records */
	FCGX_Finish_r(r);
	io_phase(0);
	if (r->ipcFd >= 0 && watch(srv, r->ipcFd, EPOLL_CTL_MOD) != 0)
		close(r->ipcFd);
	r->ipcFd = -1;
}

static void *worker_main(void *arg)
{
	struct server *srv = arg;
	FCGX_Request r;
	if (FCGX_InitRequest(&r, -1, 0) != 0)
		return NULL;
	phase_timer_create();
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
		} else if (fd == srv->backoff_fd) {
			uint64_t expirations;
			if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
				fprintf(stderr, "securex-relay: back-off timer: %s\n",
					strerror(errno));
			watch(srv, srv->backoff_fd, EPOLL_CTL_MOD);
			if (!atomic_load(&srv->stopping))
				watch(srv, srv->listen_fd, EPOLL_CTL_MOD);
		} else {
			atomic_fetch_add(&srv->busy, 1);
			serve_connection(srv, &r, fd);
			atomic_fetch_sub(&srv->busy, 1);
		}
	}
	FCGX_Free(&r, 0);
	if (phase_timer_ok)
		timer_delete(phase_timer);
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
		int is_path = strchr(listen_addr, '/') != NULL;
		mode_t old_mask = 0;
		if (is_path) {
			unlink(listen_addr); /* a stale socket file from a previous run */
			/* Created 0660 from the start (bind applies the umask): only
			 * the relay's user and group (nginx's, see README) connect. */
			old_mask = umask(0117);
		}
		sock = FCGX_OpenSocket(listen_addr, SERVER_BACKLOG);
		int saved = errno;
		if (is_path)
			umask(old_mask);
		if (sock < 0) {
			fprintf(stderr, "securex-relay: --listen %s: cannot open the socket: %s\n",
				listen_addr, strerror(saved));
			return -1;
		}
	}
	int flags = fcntl(sock, F_GETFL, 0);
	if (flags < 0 || fcntl(sock, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	return sock;
}

/* Reads signals until SIGTERM/SIGINT; SIGHUP runs `on_reload`. */
static void wait_for_stop(int signal_fd, void (*on_reload)(void))
{
	for (;;) {
		struct pollfd p = {.fd = signal_fd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return;
		struct signalfd_siginfo si;
		if (read(signal_fd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			fprintf(stderr, "securex-relay: SIGHUP, reloading\n");
			if (on_reload)
				on_reload();
			continue;
		}
		fprintf(stderr, "securex-relay: signal %u, stopping\n", si.ssi_signo);
		return;
	}
}

/* Stops accepting and waits for the requests in flight, at most max_ms.
 * Returns the number of workers still busy then (0 on a clean drain). */
static int drain(struct server *srv, long max_ms)
{
	atomic_store(&srv->stopping, 1);
	/* The socket stays open (systemd or the next process serves it); a
	 * worker inside accept_all() may still take what is queued, and
	 * serves it. */
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, srv->listen_fd, NULL);
	long start = now_ms();
	for (;;) {
		long elapsed = now_ms() - start;
		int busy = atomic_load(&srv->busy);
		if ((busy == 0 && elapsed >= SERVER_DRAIN_GRACE_MS) || elapsed >= max_ms)
			return busy;
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

int server_run_fastcgi(const struct relay_config *cfg, const char *listen_addr, int threads,
		       void (*on_reload)(void))
{
	if (FCGX_Init() != 0) {
		fprintf(stderr, "securex-relay: cannot initialise libfcgi\n");
		return -1;
	}
	struct server srv = {.cfg = cfg, .epoll_fd = -1, .stop_fd = -1, .backoff_fd = -1};
	if ((srv.listen_fd = open_listener(listen_addr)) < 0)
		return -1;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = phase_alarm; /* no SA_RESTART: the blocked call must fail */
	sigemptyset(&sa.sa_mask);
	sigaction(SERVER_PHASE_SIGNAL, &sa, NULL);

	/* main() blocked these signals in every thread before starting any;
	 * this thread reads them from the signalfd. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	int signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	srv.stop_fd = eventfd(0, EFD_CLOEXEC);
	srv.backoff_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	srv.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event stop_ev = {.events = EPOLLIN, .data.fd = srv.stop_fd};
	pthread_t *ws = calloc((size_t)threads, sizeof(*ws));
	int started = 0, rc = -1;
	if (signal_fd < 0 || srv.stop_fd < 0 || srv.backoff_fd < 0 || srv.epoll_fd < 0 || !ws ||
	    watch(&srv, srv.listen_fd, EPOLL_CTL_ADD) != 0 ||
	    watch(&srv, srv.backoff_fd, EPOLL_CTL_ADD) != 0 ||
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
		wait_for_stop(signal_fd, on_reload);
		/* Reading, answering and writing are each bounded, so this
		 * bound is only reached by a bug. */
		long max_ms = cfg->request_deadline_ms + 2L * SERVER_IO_TIMEOUT_MS;
		int left = drain(&srv, max_ms);
		if (left > 0) {
			fprintf(stderr,
				"securex-relay: %d requests still in flight after %ld ms; "
				"exiting\n",
				left, max_ms);
			_exit(1);
		}
		rc = 0;
	}
	uint64_t one = 1;
	if (srv.stop_fd >= 0 && write(srv.stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
		fprintf(stderr, "securex-relay: cannot stop the workers\n");
	for (int i = 0; i < started; i++)
		pthread_join(ws[i], NULL);
out:
	free(ws);
	if (srv.epoll_fd >= 0)
		close(srv.epoll_fd);
	if (signal_fd >= 0)
		close(signal_fd);
	if (srv.stop_fd >= 0)
		close(srv.stop_fd);
	if (srv.backoff_fd >= 0)
		close(srv.backoff_fd);
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
	struct server_io io = {cgi_param, cgi_read, cgi_write, NULL, NULL, NULL, NULL};
	serve_one(cfg, &io);
	response_thread_cleanup();
	json_arena_thread_cleanup();
	return fflush(stdout) == 0 ? 0 : -1;
}
