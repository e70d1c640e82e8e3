/* fcgi_server.c: the FastCGI front end: worker threads on one epoll set,
 * the listening socket, back-off when descriptors run out, and the drain on
 * SIGTERM (see below). Each request is served by server_serve_one()
 * (serve.c) through the libfcgi adapters of fcgi_io.c.
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
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "config.h"
#include "http/response.h"
#include "lib/json_arena.h"
#include "lib/now.h"
#include "server/fcgi_io.h"
#include "server/serve.h"

#define SERVER_BACKLOG 1024

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
	return (long)(now_monotonic() * 1000);
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
	fcgi_io_phase(1);
	if (FCGX_Accept_r(r) < 0) {
		/* The peer closed the connection, spoke garbage or timed out;
		 * libfcgi has closed it (and closing drops it from the epoll set). */
		fcgi_io_phase(0);
		r->ipcFd = -1;
		return;
	}
	if (atomic_load(&srv->stopping))
		r->keepConnection = 0; /* nginx's next request goes to the new process */
	struct server_io io;
	fcgi_io_bind(&io, r);
	server_serve_one(srv->cfg, &io);
	r->detached = 1;
	fcgi_io_phase(1); /* the closing records */
	FCGX_Finish_r(r);
	fcgi_io_phase(0);
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
	fcgi_io_thread_init();
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
	fcgi_io_thread_cleanup();
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

	fcgi_io_install_signal();

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
