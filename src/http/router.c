/* router.c: the endpoint table, routing, and dispatch to module hooks.
 *
 * Order of work for every request: route by path (404), check the method
 * (405), both before the body is read; then authenticate; then parse and
 * validate the body; then call the module. Each step that fails answers in
 * the contract's format and stops there.
 */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <strings.h>
#include <time.h>

#include "http/answer_budget.h"
#include "auth/auth.h"
#include "config.h"
#include "http/metrics.h"
#include "module.h"
#include "http/observables.h"
#include "lib/json_get.h"
#include "lib/now.h"
#include "lib/utf8.h"
#include "version.h"

struct route_def {
	enum route_endpoint endpoint;
	const char *path;   /* endpoint path without the leading slash */
	const char *method; /* the one accepted method */
	int needs_auth;
	int needs_module; /* answered by a module's hook */
	int needs_body;
};

/* Longer paths first so that "tiles/tile" is not taken for "tiles". */
static const struct route_def routes[ROUTE__MAX] = {
	{ROUTE_TILE_DATA, "tiles/tile-data", "POST", 1, 1, 1},
	{ROUTE_TILE, "tiles/tile", "POST", 1, 1, 1},
	{ROUTE_TILES, "tiles", "POST", 1, 1, 0},
	{ROUTE_DELIBERATE, "deliberate/observables", "POST", 1, 1, 1},
	{ROUTE_OBSERVE, "observe/observables", "POST", 1, 1, 1},
	{ROUTE_REFER, "refer/observables", "POST", 1, 1, 1},
	{ROUTE_HEALTH, "health", "POST", 1, 1, 0},
	{ROUTE_VERSION, "version", "POST", 0, 0, 0},
	{ROUTE_WATCHDOG, "watchdog", "GET", 0, 0, 0},
	{ROUTE_METRICS, "metrics", "GET", 0, 0, 0},
	{ROUTE_READY, "ready", "GET", 0, 0, 0},
};

static const struct route_def *route_def_of(enum route_endpoint ep)
{
	for (size_t i = 0; i < ROUTE__MAX; i++)
		if (routes[i].endpoint == ep)
			return &routes[i];
	return NULL;
}

static int module_enabled(const struct relay_config *cfg, const struct relay_module *m)
{
	for (size_t i = 0; i < cfg->n_modules; i++)
		if (strcmp(cfg->modules[i], m->id) == 0)
			return 1;
	return 0;
}

/* The module hook for an endpoint, so that a NULL hook reads as 404. */
static int module_has(const struct relay_module *m, enum route_endpoint ep)
{
	switch (ep) {
	case ROUTE_HEALTH: return m->health != NULL;
	case ROUTE_DELIBERATE: return m->deliberate != NULL;
	case ROUTE_OBSERVE: return m->observe != NULL;
	case ROUTE_REFER: return m->refer != NULL;
	case ROUTE_TILES: return m->tiles != NULL;
	case ROUTE_TILE: return m->tile != NULL;
	case ROUTE_TILE_DATA: return m->tile_data != NULL;
	default: return 1;
	}
}

/* Does `path` (len bytes) end with "/<suffix>"? */
static int ends_with_segment(const char *path, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len > n && path[len - n - 1] == '/' && memcmp(path + len - n, suffix, n) == 0;
}

int route_find(const struct relay_config *cfg, const char *method, const char *path,
	       struct route_match *match, char *message, size_t msglen)
{
	memset(match, 0, sizeof(*match));
	if (!path || path[0] != '/' || strlen(path) > REQUEST_MAX_PATH) {
		snprintf(message, msglen, "Not Found");
		return -1;
	}
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	for (size_t i = 0; i < ROUTE__MAX; i++) {
		const struct route_def *r = &routes[i];
		if (!ends_with_segment(path, len, r->path))
			continue;
		/* The segment before the endpoint may name a module. */
		size_t prefix_len = len - strlen(r->path) - 1;
		size_t seg = prefix_len;
		while (seg > 0 && path[seg - 1] != '/')
			seg--;
		const struct relay_module *named = modules_find(path + seg, prefix_len - seg);
		const struct relay_module *m = NULL;
		if (named) {
			if (!module_enabled(cfg, named)) {
				snprintf(message, msglen,
					 "Not Found: the %s module is not enabled (RELAY_MODULES)",
					 named->id);
				return -1;
			}
			m = named;
			match->module_path_len = prefix_len;
		} else {
			m = modules_find(cfg->modules[0], strlen(cfg->modules[0]));
			match->module_path_len = 0;
		}
		if (r->needs_module && !module_has(m, r->endpoint)) {
			snprintf(message, msglen, "Not Found: the %s module has no /%s endpoint",
				 m->id, r->path);
			return -1;
		}
		match->endpoint = r->endpoint;
		match->module = m;
		match->needs_body = r->needs_body;
		match->method_ok =
			method && (strcmp(method, r->method) == 0 ||
				   (r->endpoint == ROUTE_VERSION && strcmp(method, "GET") == 0));
		if (!match->method_ok)
			snprintf(message, msglen, "Method Not Allowed: /%s takes %s", r->path,
				 r->method);
		return 0;
	}
	snprintf(message, msglen, "Not Found");
	return -1;
}

enum relay_err router_precheck(const struct relay_config *cfg, const struct relay_request *req,
			       struct route_match *match, struct relay_response *res)
{
	char msg[256];
	if (route_find(cfg, req->method, req->path, match, msg, sizeof(msg)) != 0) {
		response_fail(res, RELAY_ERR_ROUTE_NOT_FOUND, "%s", msg);
		return RELAY_ERR_ROUTE_NOT_FOUND;
	}
	if (!match->method_ok) {
		response_fail(res, RELAY_ERR_METHOD, "%s", msg);
		return RELAY_ERR_METHOD;
	}
	return RELAY_OK;
}

static void handle_observables(struct relay_request *req, const struct route_match *match,
			       struct relay_response *res)
{
	struct observable_list list;
	char err[512];
	enum relay_err rc = observables_parse(req->body, req->body_len, &list, err, sizeof(err));
	if (rc == RELAY_ERR_INTERNAL) {
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
	} else if (rc != RELAY_OK) {
		response_add_error(res, rc, "%s", err);
	} else {
		req->n_observables = list.count;
		for (size_t i = 0; i < list.n_problems; i++)
			response_add_error(res, RELAY_ERR_INVALID_ARGUMENT, "%s", list.problems[i]);
		const struct relay_module *m = match->module;
		if (match->endpoint == ROUTE_DELIBERATE)
			m->deliberate(req, &list, res);
		else if (match->endpoint == ROUTE_OBSERVE)
			m->observe(req, &list, res);
		else
			m->refer(req, &list, res);
		if (req->cfg) /* CONTRACT 5: the rest cut with a warning */
			answer_budget_apply(res, req->cfg->max_answer_bytes);
	}
	observables_free(&list);
}

/* Reads {"tile_id": s, "period": s} for the tile endpoints. */
static void handle_tile(const struct relay_request *req, const struct route_match *match,
			struct relay_response *res)
{
	cJSON *json = NULL;
	char err[512];
	enum relay_err rc = json_parse_body(req->body, req->body_len, &json, err, sizeof(err));
	if (rc != RELAY_OK) {
		response_add_error(res, rc, "%s", err);
		return;
	}
	const char *id = NULL, *period = NULL;
	enum json_get_status id_rc = json_get_string_field(json, "tile_id", &id);
	enum json_get_status period_rc = json_get_string_field(json, "period", &period);
	if (!cJSON_IsObject(json)) {
		response_add_error(res, RELAY_ERR_INVALID_ARGUMENT,
				   "Invalid JSON payload received. Expected an object with "
				   "tile_id (and period for tile-data).");
	} else if (id_rc != JSON_GET_OK || !id[0]) {
		response_add_error(res, RELAY_ERR_INVALID_ARGUMENT,
				   "Invalid JSON payload received. tile_id: must be a non-empty "
				   "string");
	} else if (match->endpoint == ROUTE_TILE) {
		match->module->tile(req, id, res);
	} else if (period_rc == JSON_GET_WRONG_TYPE || (period && !period[0])) {
		response_add_error(res, RELAY_ERR_INVALID_ARGUMENT,
				   "Invalid JSON payload received. period: must be a non-empty "
				   "string");
	} else {
		match->module->tile_data(req, id, period, res);
	}
	cJSON_Delete(json);
}

static void handle_watchdog(const struct relay_request *req, struct relay_response *res)
{
	if (!req->health_check || !req->health_check[0]) {
		response_add_error(res, RELAY_ERR_HEALTH_CHECK, NULL);
		return;
	}
	/* Echoed into JSON: invalid UTF-8 would make the whole answer
	 * undecodable, so bad bytes become U+FFFD. A header is at most a few
	 * KiB; each byte grows to at most 3. */
	size_t len = strlen(req->health_check);
	size_t cap = len > (SIZE_MAX - 1) / 3 ? 0 : 3 * len + 1;
	char *clean = cap ? malloc(cap) : NULL;
	if (!clean) {
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	utf8_sanitize(req->health_check, len, clean, cap);
	response_set_data(res, cJSON_CreateString(clean));
	free(clean);
}

static void handle_version(struct relay_response *res)
{
	cJSON *o = cJSON_CreateObject();
	if (o && !cJSON_AddStringToObject(o, "version", RELAY_VERSION)) {
		cJSON_Delete(o);
		o = NULL;
	}
	response_set_raw(res, o);
}

static void handle_metrics(const struct relay_request *req, struct relay_response *res)
{
	struct strbuf sb;
	strbuf_init(&sb, 1024 * 1024);
	metrics_render(req->cfg, &sb);
	if (sb.failed) {
		strbuf_free(&sb);
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
		return;
	}
	res->text = strbuf_detach(&sb, NULL);
	res->content_type = "text/plain; version=0.0.4";
	if (!res->text)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
}

static int request_id_ok(const char *id)
{
	if (!id || !*id)
		return 0;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++, n++)
		if (*p <= 0x20 || *p >= 0x7F || n >= ROUTER_REQUEST_ID_MAX)
			return 0;
	return 1;
}

const char *router_request_id(const char *from_server, const char *from_header)
{
	if (request_id_ok(from_server))
		return from_server;
	if (request_id_ok(from_header))
		return from_header;
	return NULL;
}

const char *router_module_instance_id(const char *header)
{
	return request_id_ok(header) ? header : NULL;
}

/* Appends `code` to the comma list in buf (len used, cap size), once. */
static void append_code(char *buf, size_t *len, size_t cap, const char *code)
{
	size_t n = strlen(code);
	for (const char *p = buf; (p = strstr(p, code)); p += n)
		if ((p == buf || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return; /* already listed */
	if (*len + n + 2 > cap)
		return;
	if (*len)
		buf[(*len)++] = ',';
	memcpy(buf + *len, code, n);
	*len += n;
	buf[*len] = '\0';
}

void router_log_request(const struct relay_request *req, const struct route_match *match,
			const struct relay_response *res, double seconds)
{
	char codes[256] = "";
	size_t codes_len = 0;
	if (res && res->failure != RELAY_OK) {
		append_code(codes, &codes_len, sizeof(codes), relay_error_info(res->failure)->code);
	} else if (res) {
		const cJSON *e;
		cJSON_ArrayForEach (e, res->errors) {
			const char *code = json_get_string(e, "code");
			if (code)
				append_code(codes, &codes_len, sizeof(codes), code);
		}
	}
	double t = now_seconds();
	time_t now = (time_t)t;
	struct tm tm;
	char stamp[32] = "-";
	if (gmtime_r(&now, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	const char *module = match && match->module && match->endpoint != ROUTE_VERSION &&
					     match->endpoint != ROUTE_WATCHDOG &&
					     match->endpoint != ROUTE_METRICS
				     ? match->module->id
				     : "-";
	char line[1024];
	int n = snprintf(line, sizeof(line),
			 "securex-relay: request time=%s.%03ldZ id=%s instance=%s module=%s "
			 "endpoint=%s status=%d errors=\"%s\" observables=%zu ms=%.3f\n",
			 stamp, (long)((t - (double)now) * 1000),
			 req->request_id ? req->request_id : "-",
			 req->module_instance_id ? req->module_instance_id : "-", module,
			 match ? route_endpoint_name(match->endpoint) : "-", res ? res->status : 0,
			 codes, req->n_observables, seconds * 1000.0);
	if (n > 0)
		fwrite(line, 1, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1, stderr);
}

/* GET /ready: 200 {"ready": true} when every enabled module can serve
 * data, else 503 with the first module's reason (a readiness probe). */
static void handle_ready(const struct relay_request *req, struct relay_response *res)
{
	const struct relay_config *cfg = req->cfg;
	for (size_t i = 0; cfg && i < cfg->n_modules; i++) {
		const struct relay_module *m =
			modules_find(cfg->modules[i], strlen(cfg->modules[i]));
		char reason[1024] = "";
		if (m && m->ready && !m->ready(reason, sizeof(reason))) {
			response_fail(res, RELAY_ERR_OVERLOADED, "Not ready: %s: %s", m->id,
				      reason);
			return;
		}
	}
	cJSON *o = cJSON_CreateObject();
	if (o && !cJSON_AddBoolToObject(o, "ready", 1)) {
		cJSON_Delete(o);
		o = NULL;
	}
	response_set_raw(res, o);
}

void router_handle(struct relay_request *req, const struct route_match *match,
		   struct relay_response *res)
{
	const struct route_def *r = route_def_of(match->endpoint);
	req->module = match->module;
	req->module_path = req->path;
	req->module_path_len = match->module_path_len;
	if (req->cfg && req->entities_limit <= 0)
		req->entities_limit = req->cfg->entities_limit;

	if (r && r->needs_auth) {
		/* The single authentication step: nothing below runs without it. */
		char msg[512];
		enum relay_err rc = auth_check(req, &req->entities_limit, msg, sizeof(msg));
		if (rc != RELAY_OK) {
			/* RELAY_ERR_INTERNAL (out of memory) becomes a 500. */
			response_add_error(res, rc, "%s", msg);
			goto done;
		}
	}
	switch (match->endpoint) {
	case ROUTE_HEALTH: match->module->health(req, res); break;
	case ROUTE_DELIBERATE:
	case ROUTE_OBSERVE:
	case ROUTE_REFER: handle_observables(req, match, res); break;
	case ROUTE_TILES: match->module->tiles(req, res); break;
	case ROUTE_TILE:
	case ROUTE_TILE_DATA: handle_tile(req, match, res); break;
	case ROUTE_VERSION: handle_version(res); break;
	case ROUTE_WATCHDOG: handle_watchdog(req, res); break;
	case ROUTE_METRICS: handle_metrics(req, res); break;
	case ROUTE_READY: handle_ready(req, res); break;
	default: response_fail(res, RELAY_ERR_INTERNAL, NULL); break;
	}
done:
	metrics_count_request(match->endpoint, res->status, res->errors != NULL);
}
