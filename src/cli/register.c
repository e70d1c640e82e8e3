/* register.c: `securex-relay register`: create or update the module type in Cisco XDR.
 *
 * 1. An access token by OAuth2 client credentials: POST
 *    <base>/iroh/oauth2/token with HTTP basic auth (XDR_CLIENT_ID,
 *    XDR_CLIENT_SECRET) and grant_type=client_credentials, as Cisco's
 *    module maker does (CiscoSecurity/tr-05-module-maker).
 * 2. GET <base>/iroh/iroh-int/module-type: the organisation's module types.
 * 3. None with this title: POST the module type there. Exactly one: PATCH
 *    <base>/iroh/iroh-int/module-type/<id>. More than one: nothing is
 *    written (which one is ours cannot be known), the line says so.
 *
 * <base> is https://visibility[.<region>].amp.cisco.com (us has no region
 * part), or XDR_API_URL (https only: the tests' fake IROH). Calls go through
 * upstream.c, so they follow the relay's rules: TLS verified (RELAY_CA_FILE
 * when set), timeouts (RELAY_UPSTREAM_TIMEOUT_MS), a size cap on every
 * answer, no redirects.
 *
 * Secrets (the client secret, the access token) come from the environment
 * or the token answer only, go only into request headers and credentials,
 * and are wiped when done; no message quotes a request, a header or an
 * answer body, only checked fields of an answer. Every failure is one line
 * on stderr naming what to fix; exit status 0 only when the organisation
 * has the module type, 1 when a call failed, 2 for bad arguments or
 * environment.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "cli/module_type.h"
#include "config.h"
#include "ctim/uri.h"
#include "lib/strbuf.h"
#include "module_type.h"
#include "module.h"
#include "net/upstream.h"

#define TOKEN_PATH "/iroh/oauth2/token"
#define MODULE_TYPE_PATH "/iroh/iroh-int/module-type"
/* Size caps of the answers: a token; the organisation's module types (each
 * carries its logo, a few KB to a few hundred); one module type. */
#define TOKEN_ANSWER_MAX (64 * 1024)
#define LIST_ANSWER_MAX (64 * 1024 * 1024)
#define WRITE_ANSWER_MAX (4 * 1024 * 1024)
/* Longest access token and module type id taken from an answer. */
#define TOKEN_MAX 8192
#define ID_MAX 128
/* Longest piece of an answer's message quoted in a line. */
#define SHOWN_MAX 200
#define DEFAULT_TIMEOUT_MS 10000L
#define MAX_TIMEOUT_MS 600000L

struct reg {
	struct cli_target t;
	struct relay_config cfg; /* ca_file and upstream_timeout_ms only */
	char base[CLI_URL_MAX + 1];
	const char *client_id, *client_secret;
	char *token;	     /* the access token (owned, wiped when freed) */
	char *auth_line;     /* "Authorization: Bearer <token>" (owned, wiped) */
	char *body;	     /* the module type, JSON text (owned) */
	const char *title;   /* the module type's title */
	char id[ID_MAX + 1]; /* the module type updated or created */
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "securex-relay register: %s\n", line);
}

/* Upstream text made safe for one line: printable ASCII, at most SHOWN_MAX
 * bytes, anything else as '?'. */
static const char *shown(const char *s, char out[SHOWN_MAX + 4])
{
	size_t o = 0;
	for (; s && *s && o < SHOWN_MAX; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7F) ? *s : '?';
	if (s && *s) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* The best message an error answer carries ("message", "error_description",
 * "error", or an "errors" list's first string), made safe; "" when none,
 * and when it quotes the client secret or the token (an answer is not
 * trusted to keep them out). */
static const char *answer_message(const struct reg *r, const struct upstream_request *req,
				  char out[SHOWN_MAX + 4])
{
	out[0] = '\0';
	cJSON *j = req->body.data ? cJSON_ParseWithLength(req->body.data, req->body.len) : NULL;
	const char *keys[] = {"message", "error_description", "error", "errors"};
	for (size_t i = 0; j && !out[0] && i < sizeof(keys) / sizeof(keys[0]); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[i]);
		if (cJSON_IsArray(v))
			v = cJSON_GetArrayItem(v, 0);
		if (!cJSON_IsString(v) || !v->valuestring[0])
			continue;
		if (strstr(v->valuestring, r->client_secret) ||
		    (r->token && strstr(v->valuestring, r->token)))
			break;
		shown(v->valuestring, out);
	}
	cJSON_Delete(j);
	return out;
}

/* One line for a call that did not end in 2xx; `what` names the call. */
static void say_failed(const struct reg *r, const struct upstream_request *req, const char *what)
{
	char msg[SHOWN_MAX + 4];
	if (req->err == RELAY_ERR_UPSTREAM_TOO_LARGE) {
		say("%s: the answer of %s is larger than %zu bytes: is XDR_API_URL the Cisco XDR "
		    "API?",
		    what, r->base, req->max_bytes);
	} else if (strncmp(req->detail, "Unable to verify SSL certificate", 32) == 0) {
		say("%s: cannot verify the TLS certificate of %s (%s): set RELAY_CA_FILE to the CA "
		    "bundle that signs it",
		    what, r->base, req->detail);
	} else if (req->status == 0) {
		say("%s: cannot reach %s (%s): check --region, XDR_API_URL and the network", what,
		    r->base, req->detail);
	} else if (req->status >= 200 && req->status < 300) {
		say("%s: no complete answer from %s (%s): try again", what, r->base, req->detail);
	} else if (req->status >= 300 && req->status < 400) {
		say("%s: %s answered with a redirect (HTTP %ld), which is not followed: check "
		    "--region and XDR_API_URL",
		    what, r->base, req->status);
	} else {
		answer_message(r, req, msg);
		say("%s: Cisco XDR answered HTTP %ld%s%s", what, req->status, msg[0] ? ": " : "",
		    msg);
	}
}

static void call(struct reg *r, struct upstream_request *req, const char *method, const char *path,
		 const char *content_type, const char *send, size_t max)
{
	char url[CLI_URL_MAX + 256];
	snprintf(url, sizeof(url), "%s%s", r->base, path);
	const char *headers[4] = {"Accept: application/json", NULL, NULL, NULL};
	size_t n = 1;
	if (r->auth_line)
		headers[n++] = r->auth_line;
	if (content_type)
		headers[n++] = content_type;
	req->url = url;
	req->max_bytes = max;
	req->https_only = 1;
	req->method = method;
	req->send = send;
	req->send_len = send ? strlen(send) : 0;
	req->headers = headers;
	upstream_get(&r->cfg, req);
	req->url = NULL;
	req->headers = NULL;
}

/* 1 when a token can go into a header line: 1..TOKEN_MAX visible ASCII. */
static int token_ok(const char *tok, size_t n)
{
	if (n == 0 || n > TOKEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (tok[i] <= 0x20 || tok[i] >= 0x7F)
			return 0;
	return 1;
}

/* 1. The access token into r->token and r->auth_line. 0, or 1 (said why). */
static int get_token(struct reg *r)
{
	struct upstream_request req = {
		.username = r->client_id,
		.password = r->client_secret,
	};
	call(r, &req, "POST", TOKEN_PATH, "Content-Type: application/x-www-form-urlencoded",
	     "grant_type=client_credentials", TOKEN_ANSWER_MAX);
	int rc = 1;
	if (req.status == 400 || req.status == 401 || req.status == 403) {
		char msg[SHOWN_MAX + 4];
		answer_message(r, &req, msg);
		say("Cisco XDR refused the API client (HTTP %ld%s%s): check XDR_CLIENT_ID and "
		    "XDR_CLIENT_SECRET, and that the client was made in the %s region "
		    "(Administration > API Clients)",
		    req.status, msg[0] ? ": " : "", msg, r->t.region);
	} else if (req.err != RELAY_OK) {
		say_failed(r, &req, "getting an access token");
	} else {
		cJSON *j = cJSON_ParseWithLength(req.body.data ? req.body.data : "", req.body.len);
		const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "access_token");
		size_t n = cJSON_IsString(tok) ? strlen(tok->valuestring) : 0;
		if (!token_ok(cJSON_IsString(tok) ? tok->valuestring : "", n)) {
			say("the token answer of %s has no usable access_token: is XDR_API_URL the "
			    "Cisco XDR API?",
			    r->base);
		} else if ((r->token = strdup(tok->valuestring)) &&
			   (r->auth_line = malloc(n + 32))) {
			snprintf(r->auth_line, n + 32, "Authorization: Bearer %s", r->token);
			rc = 0;
		} else {
			say("out of memory");
		}
		if (cJSON_IsString(tok))
			OPENSSL_cleanse(tok->valuestring, n);
		cJSON_Delete(j);
	}
	if (req.body.data)
		OPENSSL_cleanse(req.body.data, req.body.len);
	upstream_request_free(&req);
	return rc;
}

/* 1 when `id` can go into a URL path as it is: 1..ID_MAX of [A-Za-z0-9._:-]. */
static int id_ok(const char *id)
{
	size_t n = strlen(id);
	return n > 0 && n <= ID_MAX &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789._:-") == n;
}

/* 2. The id of the module type titled r->title into r->id ("" when none).
 * 0, or 1 (said why). */
static int find_existing(struct reg *r)
{
	struct upstream_request req = {0};
	call(r, &req, NULL, MODULE_TYPE_PATH, NULL, NULL, LIST_ANSWER_MAX);
	int rc = 1;
	if (req.status == 401 || req.status == 403) {
		say("Cisco XDR does not let the API client read module types (HTTP %ld): give it "
		    "the Integration scope (Administration > API Clients)",
		    req.status);
	} else if (req.err != RELAY_OK) {
		say_failed(r, &req, "listing the module types");
	} else {
		cJSON *list =
			cJSON_ParseWithLength(req.body.data ? req.body.data : "", req.body.len);
		size_t same = 0;
		char ids[256] = "";
		const cJSON *mt;
		cJSON *items = cJSON_IsArray(list) ? list : NULL;
		cJSON_ArrayForEach (mt, items) {
			const cJSON *title = cJSON_GetObjectItemCaseSensitive(mt, "title");
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(mt, "id");
			if (!cJSON_IsString(title) || strcmp(title->valuestring, r->title) != 0)
				continue;
			if (same++ == 0 && cJSON_IsString(id) && id_ok(id->valuestring))
				snprintf(r->id, sizeof(r->id), "%s", id->valuestring);
			if (cJSON_IsString(id) && id_ok(id->valuestring) &&
			    strlen(ids) + strlen(id->valuestring) + 3 < sizeof(ids))
				snprintf(ids + strlen(ids), sizeof(ids) - strlen(ids), "%s%s",
					 ids[0] ? ", " : "", id->valuestring);
		}
		if (!cJSON_IsArray(list))
			say("the module type list of %s is not a JSON array: is XDR_API_URL the "
			    "Cisco "
			    "XDR API?",
			    r->base);
		else if (same > 1)
			say("%zu module types in your organisation are titled \"%s\" (%s): delete "
			    "all "
			    "but one in Cisco XDR (Administration > Integrations), then run this "
			    "again",
			    same, r->title, ids);
		else if (same == 1 && !r->id[0])
			say("the module type titled \"%s\" in the list of %s has no usable id",
			    r->title, r->base);
		else
			rc = 0;
		cJSON_Delete(list);
	}
	upstream_request_free(&req);
	return rc;
}

/* 3. POST or PATCH the module type. 0, or 1 (said why). */
static int write_module_type(struct reg *r)
{
	struct upstream_request req = {0};
	char path[sizeof(MODULE_TYPE_PATH) + ID_MAX + 2];
	int update = r->id[0] != '\0';
	if (update)
		snprintf(path, sizeof(path), "%s/%s", MODULE_TYPE_PATH, r->id);
	else
		snprintf(path, sizeof(path), "%s", MODULE_TYPE_PATH);
	call(r, &req, update ? "PATCH" : "POST", path, "Content-Type: application/json", r->body,
	     WRITE_ANSWER_MAX);
	int rc = 1;
	if (req.status == 401 || req.status == 403) {
		say("Cisco XDR does not let the API client %s module types (HTTP %ld): give it the "
		    "Integration scope with write access (Administration > API Clients)",
		    update ? "update" : "create", req.status);
	} else if (req.err != RELAY_OK) {
		say_failed(r, &req,
			   update ? "updating the module type" : "creating the module type");
	} else {
		if (!update) {
			cJSON *j = cJSON_ParseWithLength(req.body.data ? req.body.data : "",
							 req.body.len);
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
			if (cJSON_IsString(id) && id_ok(id->valuestring))
				snprintf(r->id, sizeof(r->id), "%s", id->valuestring);
			cJSON_Delete(j);
		}
		printf("securex-relay register: %s the module type \"%s\"%s%s%s for %s in the %s "
		       "region: add it in Cisco XDR under Administration > Integrations\n",
		       update ? "updated" : "created", r->title, r->id[0] ? " (id " : "", r->id,
		       r->id[0] ? ")" : "", r->t.module_url, r->t.region);
		rc = 0;
	}
	upstream_request_free(&req);
	return rc;
}

/* The environment: credentials, API base, CA bundle, timeout. 0, or 2
 * (said why). */
static int read_environment(struct reg *r)
{
	r->client_id = getenv("XDR_CLIENT_ID");
	r->client_secret = getenv("XDR_CLIENT_SECRET");
	if (!r->client_id || !*r->client_id || !r->client_secret || !*r->client_secret) {
		say("%s is not set: create an API client in Cisco XDR (Administration > API "
		    "Clients) with the Integration scope and export XDR_CLIENT_ID and "
		    "XDR_CLIENT_SECRET (never on the command line)",
		    !r->client_id || !*r->client_id ? "XDR_CLIENT_ID" : "XDR_CLIENT_SECRET");
		return 2;
	}
	const char *api = getenv("XDR_API_URL");
	if (api && *api) {
		size_t n = strlen(api);
		while (n > 0 && api[n - 1] == '/')
			n--;
		if (n > CLI_URL_MAX || strncasecmp(api, "https://", 8) != 0 || strpbrk(api, "?#")) {
			say("XDR_API_URL: expected an https:// base URL such as "
			    "https://visibility.eu.amp.cisco.com, got \"%.200s\"",
			    api);
			return 2;
		}
		memcpy(r->base, api, n);
		r->base[n] = '\0';
		if (!uri_valid_http(r->base)) {
			say("XDR_API_URL: \"%.200s\" is not a valid URL", api);
			return 2;
		}
	} else {
		snprintf(r->base, sizeof(r->base), "https://%s", r->t.api_host);
	}
	const char *ca = getenv("RELAY_CA_FILE");
	r->cfg.ca_file = ca && *ca ? (char *)ca : NULL;
	r->cfg.upstream_timeout_ms = DEFAULT_TIMEOUT_MS;
	const char *tm = getenv("RELAY_UPSTREAM_TIMEOUT_MS");
	if (tm && *tm) {
		char *end;
		long v = strtol(tm, &end, 10);
		if (*end || v < 1 || v > MAX_TIMEOUT_MS) {
			say("RELAY_UPSTREAM_TIMEOUT_MS: expected 1 to %ld milliseconds, got "
			    "\"%.64s\"",
			    MAX_TIMEOUT_MS, tm);
			return 2;
		}
		r->cfg.upstream_timeout_ms = v;
	}
	return 0;
}

static void reg_free(struct reg *r)
{
	if (r->token)
		OPENSSL_cleanse(r->token, strlen(r->token));
	if (r->auth_line)
		OPENSSL_cleanse(r->auth_line, strlen(r->auth_line));
	free(r->token);
	free(r->auth_line);
	cJSON_free(r->body);
}

int cli_register(int argc, char **argv)
{
	static struct reg r; /* large; one per process */
	int status;
	memset(&r, 0, sizeof(r));
	if (cli_parse_target("register", argc, argv, 1, &r.t, &status) != 0)
		return status;
	if ((status = read_environment(&r)) != 0)
		return status;
	cJSON *mt = module_type_build(&r.t);
	r.body = mt ? cJSON_PrintUnformatted(mt) : NULL;
	cJSON_Delete(mt);
	if (!r.body) {
		say("out of memory");
		return 1;
	}
	r.title = r.t.module->type_info->title;
	if (upstream_global_init() != 0) {
		say("cannot initialise libcurl");
		reg_free(&r);
		return 1;
	}
	status = get_token(&r) || find_existing(&r) || write_module_type(&r) ? 1 : 0;
	reg_free(&r);
	upstream_global_cleanup();
	return status;
}
