/* cgi.c: the one-shot CGI mode: one request from the environment and
 * stdin, its answer to stdout. */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>

#include "http/response.h"
#include "lib/json_arena.h"
#include "server/serve.h"

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
	server_serve_one(cfg, &io);
	response_thread_cleanup();
	json_arena_thread_cleanup();
	return fflush(stdout) == 0 ? 0 : -1;
}
