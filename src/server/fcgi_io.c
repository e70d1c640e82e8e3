/* fcgi_io.c: the libfcgi adapters of struct server_io (parameters, body,
 * large answers written as 64 KiB records, discard, abort) and the
 * per-thread timer that bounds each phase of a request's socket I/O.
 */
#include "server/fcgi_io.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <fastcgi.h>

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

void fcgi_io_thread_init(void)
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

void fcgi_io_phase(int on)
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

void fcgi_io_thread_cleanup(void)
{
	if (phase_timer_ok)
		timer_delete(phase_timer);
	phase_timer_ok = 0;
}

void fcgi_io_install_signal(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = phase_alarm; /* no SA_RESTART: the blocked call must fail */
	sigemptyset(&sa.sa_mask);
	sigaction(SERVER_PHASE_SIGNAL, &sa, NULL);
}

void fcgi_io_bind(struct server_io *io, FCGX_Request *r)
{
	*io = (struct server_io){fcgi_param, fcgi_read,	    fcgi_write, fcgi_discard,
				 fcgi_abort, fcgi_io_phase, r};
}
