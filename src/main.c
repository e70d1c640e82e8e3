/* main.c: arguments, start-up, modules, and the choice of front end.
 *
 * securex-relay [--listen ADDR] [--threads N] [--version] [--help]
 * securex-relay module-type|register ... (the operator commands, cli/cli.h)
 * Start-up refuses a bad configuration with a message naming the variable.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/jwks.h"
#include "cli/cli.h"
#include "config.h"
#include "lib/json_arena.h"
#include "module.h"
#include "server/server.h"
#include "net/upstream.h"
#include "version.h"

#define DEFAULT_THREADS 8
#define MAX_THREADS 256

static void usage(FILE *out)
{
	fprintf(out, "Usage: securex-relay [--listen ADDR] [--threads N] [--version] [--help]\n");
	cli_usage(out);
	fprintf(out,
		"\n"
		"A Cisco XDR (SecureX) relay (FastCGI) for threat-intelligence feeds.\n"
		"\n"
		"  --listen ADDR  serve FastCGI on HOST:PORT, :PORT or a unix socket path;\n"
		"                 without it, serve the FastCGI socket inherited on fd 0\n"
		"                 (spawn-fcgi, systemd, mod_fcgid) or one CGI request\n"
		"  --threads N    worker threads (default %d)\n"
		"  --version      print the version\n"
		"  --help         this text\n"
		"\n"
		"  module-type    print the Cisco XDR module type of MODULE for BASE_URL\n"
		"  register       create or update that module type in your Cisco XDR\n"
		"                 organisation (XDR_CLIENT_ID, XDR_CLIENT_SECRET)\n"
		"\n"
		"Configuration is read from the environment; see README.md.\n",
		DEFAULT_THREADS);
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

static int parse_threads(const char *text, int *out)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || v < 1 || v > MAX_THREADS)
		return -1;
	*out = (int)v;
	return 0;
}

static void stop_modules(const struct relay_config *cfg, size_t started)
{
	for (size_t i = started; i-- > 0;) {
		const struct relay_module *m =
			modules_find(cfg->modules[i], strlen(cfg->modules[i]));
		if (m && m->stop)
			m->stop();
	}
}

/* SIGHUP (server_run_fastcgi calls it on the main thread, not in a signal
 * handler): each enabled module reloads what it can without a restart (the
 * feed refreshes now), and the JWKS cache is dropped so rotated signing keys
 * are fetched at once. The environment is only read at start-up. */
static void reload(void)
{
	const struct relay_config *cfg = config_get();
	for (size_t i = 0; cfg && i < cfg->n_modules; i++) {
		const struct relay_module *m =
			modules_find(cfg->modules[i], strlen(cfg->modules[i]));
		if (m && m->reload)
			m->reload();
	}
	jwks_cache_flush();
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"listen", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'},
		{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *listen_addr = NULL;
	int threads = DEFAULT_THREADS, opt;
	json_arena_install(); /* before anything uses cJSON */
	if (argc > 1 && cli_is_command(argv[1]))
		return cli_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "l:t:vh", options, NULL)) != -1) {
		switch (opt) {
		case 'l': listen_addr = optarg; break;
		case 't':
			if (parse_threads(optarg, &threads) != 0) {
				fprintf(stderr,
					"securex-relay: --threads: expected 1 to %d, got \"%s\"\n",
					MAX_THREADS, optarg);
				return 2;
			}
			break;
		case 'v': printf("securex-relay %s\n", RELAY_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "securex-relay: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	/* Block the stop signals before any thread exists, so that every
	 * thread inherits the mask and only the server's signalfd sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct relay_config cfg;
	char err[512];
	if (config_load(&cfg, env_get, err, sizeof(err)) != 0) {
		fprintf(stderr, "securex-relay: configuration error: %s\n", err);
		return 1;
	}
	config_set(&cfg);
	if (upstream_global_init() != 0) {
		fprintf(stderr, "securex-relay: cannot initialise libcurl\n");
		config_free(&cfg);
		return 1;
	}
	int rc = 1;
	size_t started = 0;
	if (auth_init(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "securex-relay: authentication: %s\n", err);
		goto out_upstream;
	}
	for (; started < cfg.n_modules; started++) {
		const struct relay_module *m =
			modules_find(cfg.modules[started], strlen(cfg.modules[started]));
		if (m->start && m->start(&cfg, err, sizeof(err)) != 0) {
			fprintf(stderr, "securex-relay: module %s: %s\n", m->id, err);
			goto out_modules;
		}
	}

	if (listen_addr || server_fd0_is_fastcgi()) {
		rc = server_run_fastcgi(&cfg, listen_addr, threads, reload) == 0 ? 0 : 1;
	} else {
		for (size_t i = 0; i < cfg.n_modules; i++) {
			const struct relay_module *m =
				modules_find(cfg.modules[i], strlen(cfg.modules[i]));
			if (m->wait_ready)
				m->wait_ready(cfg.upstream_timeout_ms);
		}
		rc = server_run_cgi(&cfg) == 0 ? 0 : 1;
	}
out_modules:
	stop_modules(&cfg, started);
	auth_shutdown();
out_upstream:
	upstream_global_cleanup();
	config_set(NULL);
	config_free(&cfg);
	return rc;
}
