/* module.h: what a relay module (one upstream feed) provides to the router.
 *
 * A module is a table of function pointers. The router validates the request
 * (route, auth, body) and calls the matching hook; a NULL hook means the
 * module does not offer that endpoint (404). Adding a feed means adding one
 * folder under src/modules/ (its hooks, and its settings table) and one line
 * in modules_all() (modules.c); config.h names no module.
 *
 * Hooks never fail silently: they add data and/or errors to `res`.
 */
#ifndef MODULE_H
#define MODULE_H

#include "http/request.h"
#include "http/response.h"
#include "http/observables.h"
#include "lib/strbuf.h"

struct relay_config;
struct module_type_info;
struct settings_table;

struct relay_module {
	const char *id;	   /* path segment and RELAY_MODULES name, e.g. "tweettioc" */
	const char *title; /* human name used in messages, e.g. "Twitter IOC Hunter" */
	/* The texts of its Cisco XDR module type (module_type.h). */
	const struct module_type_info *type_info;
	/* The module's own environment variables (src/modules/<id>/settings.c):
	 * config_load() reads them into a block of table->size bytes that the
	 * module gets back with config_module_settings(). NULL: none. */
	const struct settings_table *settings;

	/* Start background work (feed refresh). Returns 0, or -1 with a message in err. */
	int (*start)(const struct relay_config *cfg, char *err, size_t errlen);
	/* Optional: block until the module can answer (first feed loaded) or
	 * timeout_ms passes. Used by the one-shot CGI mode. */
	void (*wait_ready)(long timeout_ms);
	/* Stop background work and free module state. Safe if start failed or never ran. */
	void (*stop)(void);

	void (*health)(const struct relay_request *req, struct relay_response *res);
	void (*deliberate)(const struct relay_request *req, const struct observable_list *obs,
			   struct relay_response *res);
	void (*observe)(const struct relay_request *req, const struct observable_list *obs,
			struct relay_response *res);
	void (*refer)(const struct relay_request *req, const struct observable_list *obs,
		      struct relay_response *res);
	void (*tiles)(const struct relay_request *req, struct relay_response *res);
	/* `tile_id` and `period` are validated non-empty strings; period may be NULL (default). */
	void (*tile)(const struct relay_request *req, const char *tile_id,
		     struct relay_response *res);
	void (*tile_data)(const struct relay_request *req, const char *tile_id, const char *period,
			  struct relay_response *res);

	/* Appends Prometheus lines for this module to `out` (may be NULL). */
	void (*metrics)(struct strbuf *out);

	/* Optional: SIGHUP. Called from the main thread (never from a signal
	 * handler) while workers keep serving; e.g. refresh the feed now. */
	void (*reload)(void);
	/* GET /ready: returns 1 when the module can serve data now, else 0 with
	 * the reason (no data) in `reason`. NULL: always ready (on-demand
	 * upstream queries). */
	int (*ready)(char *reason, size_t len);
};

/* Every module compiled into the binary, NULL-terminated. */
const struct relay_module *const *modules_all(void);

/* The compiled-in module with this id, or NULL. */
const struct relay_module *modules_find(const char *id, size_t len);

#endif
