/* server.h: the FastCGI front end (worker threads on a socket) and the CGI fallback.
 *
 * The server reads each request's parameters and bounded body into a
 * struct relay_request, asks the router, and writes the rendered response.
 */
#ifndef SERVER_H
#define SERVER_H

struct relay_config;

/* Opens `listen_addr` (HOST:PORT, :PORT or a unix socket path, created mode
 * 0660) or, when NULL, uses the FastCGI socket inherited on fd 0. Serves
 * with `threads` workers; SIGHUP calls `on_reload` (may be NULL) on the
 * calling thread. SIGTERM/SIGINT stop accepting (the socket itself stays
 * open for a successor), finish the requests in flight and return 0. Returns
 * -1 when the socket cannot be opened (message on stderr). */
int server_run_fastcgi(const struct relay_config *cfg, const char *listen_addr, int threads,
		       void (*on_reload)(void));

/* Serves one CGI request from the environment and stdin to stdout. */
int server_run_cgi(const struct relay_config *cfg);

/* True when fd 0 is a FastCGI listening socket. */
int server_fd0_is_fastcgi(void);

#endif
