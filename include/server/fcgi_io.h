/* fcgi_io.h: libfcgi behind struct server_io, and the time bound of each
 * phase of a request's socket I/O.
 *
 * Owned by src/server/fcgi_io.c; used only by the FastCGI workers
 * (fcgi_server.c). The phase timer is per thread: each worker calls
 * fcgi_io_thread_init() when it starts and fcgi_io_thread_cleanup() when it
 * leaves.
 */
#ifndef SERVER_FCGI_IO_H
#define SERVER_FCGI_IO_H

#include <fcgiapp.h>

#include "server/serve.h"

/* Reading a request, and writing its answer, each take at most this long
 * in total (the phase timer below; SO_RCVTIMEO / SO_SNDTIMEO bound each
 * single read and write too): a half-open, silent or trickling peer gives
 * its worker back after it. Idle kept-alive connections cost no worker and
 * are not timed. */
#define SERVER_IO_TIMEOUT_MS 10000

/* Installs the handler of the phase signal (once, before any worker
 * starts). Without SA_RESTART, so that a blocked read or write fails. */
void fcgi_io_install_signal(void);

/* Creates this thread's phase timer; on failure says so on stderr and the
 * worker runs with the per-read socket timeouts only. */
void fcgi_io_thread_init(void);
void fcgi_io_thread_cleanup(void);

/* A phase of socket I/O starts (on = 1: SERVER_IO_TIMEOUT_MS from now) or
 * ends (0). See fcgi_io.c. */
void fcgi_io_phase(int on);

/* Fills `io` with the libfcgi adapters for request `r` (borrowed: it must
 * outlive the request). */
void fcgi_io_bind(struct server_io *io, FCGX_Request *r);

#endif
