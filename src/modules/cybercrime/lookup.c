/* lookup.c: CyberCrime Tracker queries: URLs, answer parsing, error wording, the engine's hooks.
 *
 * The Python relay this replaces put the raw value into the query string
 * and asked one value after another; here the value is percent-encoded (so
 * `?`, `&` and `#` of a URL reach the upstream as data) and the lookup
 * engine (lookups/lookup.h) asks every distinct cache miss of a request at
 * the same time.
 */
#include "modules/cybercrime/lookup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "ctim/entities.h"
#include "ctim/uri.h"
#include "http/observables.h"
#include "lib/json_get.h"
#include "lib/now.h"
#include "lookups/lookup.h"
#include "modules/cybercrime/settings.h"

int cybercrime_supported_type(const char *type)
{
	return strcmp(type, "ip") == 0 || strcmp(type, "url") == 0;
}

/* Length of a leading "<scheme>://" (RFC 3986 scheme characters), or 0. */
static size_t scheme_prefix_len(const char *s)
{
	size_t i = 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	       (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.')
		i++;
	return strncmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

const char *cybercrime_query_value(const char *type, const char *value)
{
	if (strcmp(type, "url") != 0)
		return value;
	return value + scheme_prefix_len(value);
}

/* <base><path><query escaped>, or NULL when out of memory. */
static char *join_url(const char *base, const char *path, const char *query)
{
	char *enc = uri_escape(query);
	if (!enc)
		return NULL;
	size_t len = strlen(base) + strlen(path) + strlen(enc) + 1;
	char *url = malloc(len);
	if (url)
		snprintf(url, len, "%s%s%s", base, path, enc);
	free(enc);
	return url;
}

char *cybercrime_query_url(const char *base, const char *query)
{
	return join_url(base, "/query.php?url=", query);
}

char *cybercrime_search_url(const char *base, const char *query)
{
	return join_url(base, "/index.php?search=", query);
}

/* Copies s into out (size outlen) cut to fit, never inside a UTF-8 sequence. */
static void copy_utf8(char *out, size_t outlen, const char *s)
{
	size_t n = strlen(s);
	if (n >= outlen) {
		n = outlen - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--; /* s[n] would start the next character: cut before it */
	}
	memcpy(out, s, n);
	out[n] = '\0';
}

enum relay_err cybercrime_parse_answer(const char *body, size_t len, struct cybercrime_answer *out)
{
	memset(out, 0, sizeof(*out));
	/* A \u0000 would cut the message short ("Malicious: a\u0000b"):
	 * json_get_document() refuses it, and trailing bytes. */
	cJSON *json = NULL;
	if (json_get_document(body, len, &json, NULL) == JSON_GET_NOMEM)
		return RELAY_ERR_INTERNAL; /* our fault, not the upstream's */
	const char *m = json_get_string(json, "message");
	enum relay_err rc = RELAY_ERR_KEY_ERROR;
	if (m && utf8_valid(m, strlen(m))) {
		/* "Malicious: <family>" (the Python relay: startswith("Malicious")). */
		out->malicious = strncmp(m, "Malicious", 9) == 0 && (m[9] == '\0' || m[9] == ':');
		copy_utf8(out->message, sizeof(out->message), m);
		rc = RELAY_OK;
	}
	cJSON_Delete(json);
	return rc;
}

/* The module's wording of each failure (docs/api.md#errors); NULL = the detail
 * itself is the message (TLS). */
static const char *error_wording(enum relay_err err, const char *detail)
{
	switch (err) {
	case RELAY_ERR_UNAVAILABLE:
		return "The CyberCrime Tracker is unavailable. Please, try again later.";
	case RELAY_ERR_NOT_FOUND: return "The CyberCrime Tracker answered: not found.";
	case RELAY_ERR_TOO_MANY_REQUESTS:
		return "Too many requests have been made to the CyberCrime Tracker. Please, "
		       "try again later.";
	case RELAY_ERR_KEY_ERROR:
		return "The data structure of CyberCrime Tracker has changed. The module is "
		       "broken.";
	case RELAY_ERR_UPSTREAM_TOO_LARGE:
		return "The CyberCrime Tracker answer is larger than allowed.";
	case RELAY_ERR_UNKNOWN:
		if (detail && strncmp(detail, "Unable to verify SSL certificate", 32) == 0)
			return NULL;
		return "Unexpected response from the CyberCrime Tracker.";
	default: return "Internal error while querying the CyberCrime Tracker.";
	}
}

void cybercrime_error_message(enum relay_err err, const char *detail, const char *type,
			      const char *value, char *buf, size_t len)
{
	const char *text = error_wording(err, detail);
	const char *extra = text && detail && detail[0] ? detail : NULL;
	char *shown = value ? ctim_truncate(value, 200) : NULL; /* long URLs: keep it readable */
	const char *v = shown ? shown : (value ? "" : NULL);
	char redirect[384];
	if (err == RELAY_ERR_UNKNOWN && detail && strncmp(detail, "redirected to ", 14) == 0) {
		/* upstream.c's refused redirect: say where it pointed, first. */
		snprintf(redirect, sizeof(redirect), "The CyberCrime Tracker %s.", detail);
		text = redirect;
		extra = NULL;
	}
	if (!text)
		text = detail;
	if (extra && type)
		snprintf(buf, len, "%s (%s, %s %s)", text, extra, type, v);
	else if (extra)
		snprintf(buf, len, "%s (%s)", text, extra);
	else if (type)
		snprintf(buf, len, "%s (%s %s)", text, type, v);
	else
		snprintf(buf, len, "%s", text);
	free(shown);
}

/* The engine's hooks (lookups/lookup.h): a GET of query.php, and its
 * answer as one struct cybercrime_answer. */
static int cc_prepare(void *ctx, const struct lookup_query *q, struct upstream_request *up,
		      void **scratch)
{
	const struct relay_config *cfg = ctx;
	(void)scratch;
	up->url = cybercrime_query_url(cybercrime_settings(cfg)->url, q->value);
	return up->url ? 0 : -1;
}

static void cc_release(void *ctx, struct upstream_request *up, void *scratch)
{
	(void)ctx;
	(void)scratch;
	free((char *)up->url);
	up->url = NULL;
}

static enum relay_err cc_finish(void *ctx, const struct lookup_query *q,
				const struct upstream_request *up, char **blob, size_t *len,
				int *cacheable, char *detail, size_t detail_len)
{
	(void)ctx;
	(void)q;
	snprintf(detail, detail_len, "%s", up->detail);
	if (up->err != RELAY_OK)
		return up->err;
	struct cybercrime_answer answer;
	enum relay_err err = cybercrime_parse_answer(up->body.data, up->body.len, &answer);
	if (err != RELAY_OK)
		return err;
	if (!(*blob = malloc(sizeof(answer))))
		return RELAY_ERR_INTERNAL;
	memcpy(*blob, &answer, sizeof(answer));
	*len = sizeof(answer);
	*cacheable = 1;
	return RELAY_OK;
}

static struct lookup_counters counters;

static const struct lookup_module cc_module = {
	.parallel = CYBERCRIME_MAX_PARALLEL,
	.answer_max = CYBERCRIME_ANSWER_MAX,
	.counters = &counters,
	.prepare = cc_prepare,
	.release = cc_release,
	.finish = cc_finish,
};

/* The engine's result as the module's (the blob is a struct cybercrime_answer). */
static void to_result(const struct lookup_result *in, struct cybercrime_result *out)
{
	memset(out, 0, sizeof(*out));
	out->err = in->err;
	memcpy(out->detail, in->detail, sizeof(out->detail));
	out->cached = in->cached;
	out->left_out = in->left_out;
	out->late = in->late;
	if (in->err == RELAY_OK && in->blob && in->blob_len == sizeof(out->answer))
		memcpy(&out->answer, in->blob, sizeof(out->answer));
	else if (in->err == RELAY_OK)
		out->err = RELAY_ERR_INTERNAL;
}

void cybercrime_lookup_finish(struct cybercrime_cache *cache, const char *query,
			      const struct upstream_request *up, struct cybercrime_result *r,
			      double now)
{
	struct lookup_query q = {.type = NULL, .value = query, .key = query};
	struct lookup_result lr;
	lookup_finish(&cc_module, NULL, cybercrime_cache_engine(cache), &q, up, &lr, now);
	to_result(&lr, r);
	lookup_results_free(&lr, 1);
}

int cybercrime_lookup_many(const struct relay_config *cfg, struct cybercrime_cache *cache,
			   const char *const *queries, size_t n, struct cybercrime_result *results)
{
	struct lookup_query *q = n ? calloc(n, sizeof(*q)) : NULL;
	struct lookup_result *lr = n ? calloc(n, sizeof(*lr)) : NULL;
	struct lookup_bounds b = {.max_lookups = cybercrime_max_lookups(cfg),
				  .deadline_ms = cybercrime_deadline_ms(cfg),
				  .cache_read = 1};
	int rc = n && (!q || !lr) ? -1 : 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		q[i] = (struct lookup_query){.value = queries[i], .key = queries[i]};
	if (rc == 0)
		rc = lookup_many(cfg, &cc_module, (void *)cfg, cybercrime_cache_engine(cache), &b,
				 q, n, lr);
	for (size_t i = 0; i < n; i++) {
		if (rc == 0) {
			to_result(&lr[i], &results[i]);
		} else {
			memset(&results[i], 0, sizeof(results[i]));
			results[i].err = RELAY_ERR_INTERNAL;
		}
	}
	lookup_results_free(lr, n);
	free(q);
	free(lr);
	return rc;
}

long cybercrime_deadline_ms(const struct relay_config *cfg)
{
	return cfg && cfg->request_deadline_ms > 0 ? cfg->request_deadline_ms
						   : CYBERCRIME_DEFAULT_DEADLINE_MS;
}

size_t cybercrime_max_lookups(const struct relay_config *cfg)
{
	const struct cybercrime_settings *cs = cybercrime_settings(cfg);
	return cs && cs->max_lookups > 0 ? (size_t)cs->max_lookups : CYBERCRIME_DEFAULT_MAX_LOOKUPS;
}

void cybercrime_lookup_health(const struct relay_config *cfg, struct cybercrime_result *r)
{
	struct lookup_query q = {.value = CYBERCRIME_HEALTH_VALUE, .key = CYBERCRIME_HEALTH_VALUE};
	struct lookup_result lr;
	lookup_one(cfg, &cc_module, (void *)cfg, &q, &lr);
	to_result(&lr, r);
	lookup_results_free(&lr, 1);
}

void cybercrime_stats_get(struct lookup_stats *out)
{
	lookup_stats_get(&counters, out);
}
