/* serve.h: one request from its parameters to its written answer, for
 * either front end.
 *
 * Owned by src/server/serve.c. The FastCGI front end (fcgi_server.c, with
 * the libfcgi adapters of fcgi_io.c) and the CGI mode (cgi.c) each fill a
 * struct server_io and call server_serve_one(); nothing else in the relay
 * sees this header.
 */
#ifndef SERVER_SERVE_H
#define SERVER_SERVE_H

#include <stddef.h>

struct relay_config;

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
	/* Optional: a phase of socket I/O starts (1) or ends (0); see fcgi_io_phase(). */
	void (*phase)(int on);
	void *ctx;
};

/* Bytes of an unread body the relay swallows to keep a FastCGI connection
 * reusable; past this the connection is closed instead. */
#define SERVER_DISCARD_MAX (8 * 1024 * 1024)

/* Serves one request through `io`: reads the parameters, routes (404/405
 * before the body), reads a body bounded by cfg->max_body (413 when over,
 * decided from CONTENT_LENGTH before reading), dispatches, writes the
 * answer and logs one line. Every failure is answered in the envelope
 * (or, when the peer left mid-body, io->abort is called and nothing is
 * answered); all memory is released before it returns. */
void server_serve_one(const struct relay_config *cfg, struct server_io *io);

#endif
