/* lookup.c: CyberCrime Tracker queries: URLs, answer parsing, error wording, concurrent lookups.
 *
 * The Python relay this replaces put the raw value into the query string
 * and asked one value after another; here the value is percent-encoded (so
 * `?`, `&` and `#` of a URL reach the upstream as data) and every distinct
 * cache miss of a request is in flight at the same time.
 */
#include "modules/cybercrime/lookup.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "ctim/entities.h"
#include "ctim/uri.h"
#include "http/observables.h"
#include "lib/json_get.h"
#include "lib/now.h"
#include "modules/cybercrime/settings.h"

static atomic_ulong n_lookups, n_cache_hits, n_upstream_requests, n_upstream_errors;
static atomic_ulong n_late, n_left_out;
static atomic_ulong n_errors[RELAY_ERR__MAX];

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

/* The module's wording of each failure (CONTRACT 3.2); NULL = the detail
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

static void count_error(enum relay_err err)
{
	atomic_fetch_add_explicit(&n_upstream_errors, 1, memory_order_relaxed);
	if ((int)err > 0 && err < RELAY_ERR__MAX)
		atomic_fetch_add_explicit(&n_errors[err], 1, memory_order_relaxed);
}

void cybercrime_lookup_finish(struct cybercrime_cache *cache, const char *query,
			      const struct upstream_request *up, struct cybercrime_result *r,
			      double now)
{
	memset(r, 0, sizeof(*r));
	r->err = up->err;
	snprintf(r->detail, sizeof(r->detail), "%s", up->detail);
	if (r->err == RELAY_OK) {
		r->err = cybercrime_parse_answer(up->body.data, up->body.len, &r->answer);
	}
	if (r->err != RELAY_OK) {
		count_error(r->err);
		return;
	}
	cybercrime_cache_put(cache, query, &r->answer, now); /* best effort */
}

/* Asks the upstream about queries[idx[0..k-1]] (distinct values) into
 * results[idx[...]]: at most CYBERCRIME_MAX_PARALLEL at once, none after
 * `deadline`. -1 when out of memory. */
static int fetch_all(const struct relay_config *cfg, struct cybercrime_cache *cache,
		     const char *const *queries, const size_t *idx, size_t k, double deadline,
		     struct cybercrime_result *results)
{
	struct upstream_request *reqs = k ? calloc(k, sizeof(*reqs)) : NULL;
	int rc = k && !reqs ? -1 : 0;
	for (size_t j = 0; rc == 0 && j < k; j++) {
		char *url = cybercrime_query_url(cybercrime_settings(cfg)->url, queries[idx[j]]);
		reqs[j].url = url;
		reqs[j].max_bytes = CYBERCRIME_ANSWER_MAX;
		reqs[j].same_host_redirects = 1;
		if (!url)
			rc = -1;
	}
	if (rc == 0 && k > 0) {
		struct upstream_limits lim = {.parallel = CYBERCRIME_MAX_PARALLEL,
					      .deadline = deadline};
		size_t late = upstream_get_many(cfg, reqs, k, &lim);
		atomic_fetch_add_explicit(&n_upstream_requests, k - late, memory_order_relaxed);
		atomic_fetch_add_explicit(&n_late, late, memory_order_relaxed);
		double now = now_monotonic();
		for (size_t j = 0; j < k; j++) {
			struct cybercrime_result *r = &results[idx[j]];
			if (reqs[j].late) {
				memset(r, 0, sizeof(*r));
				r->err = reqs[j].err;
				r->late = 1;
				snprintf(r->detail, sizeof(r->detail), "%s", reqs[j].detail);
			} else {
				cybercrime_lookup_finish(cache, queries[idx[j]], &reqs[j], r, now);
			}
		}
	}
	for (size_t j = 0; reqs && j < k; j++) {
		free((char *)reqs[j].url);
		upstream_request_free(&reqs[j]);
	}
	free(reqs);
	return rc;
}

/* Orders indices by their value, equal values by position. */
static int compare_query(const void *a, const void *b, void *ctx)
{
	const char *const *queries = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(queries[x], queries[y]);
	return c ? c : (x > y) - (x < y);
}

static int compare_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

int cybercrime_lookup_many(const struct relay_config *cfg, struct cybercrime_cache *cache,
			   const char *const *queries, size_t n, struct cybercrime_result *results)
{
	size_t *miss = n ? malloc(n * sizeof(*miss)) : NULL;
	size_t *lead = n ? malloc(n * sizeof(*lead)) : NULL;
	size_t n_miss = 0, n_lead = 0;
	int rc = 0;
	/* The deadline counts from here: parsing and auth before took microseconds. */
	double deadline = now_monotonic() + (double)cybercrime_deadline_ms(cfg) / 1000.0;
	size_t max_lookups = cybercrime_max_lookups(cfg);
	if (n && (!miss || !lead)) {
		rc = -1;
		goto out;
	}
	double now = now_monotonic();
	for (size_t i = 0; i < n; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		atomic_fetch_add_explicit(&n_lookups, 1, memory_order_relaxed);
		if (cybercrime_cache_get(cache, queries[i], now, &results[i].answer)) {
			results[i].cached = 1;
			atomic_fetch_add_explicit(&n_cache_hits, 1, memory_order_relaxed);
		} else {
			miss[n_miss++] = i;
		}
	}
	/* Equal values (http://x and https://x both ask "x") are asked once:
	 * sort the misses by value, the first sent of each run is asked. */
	if (n_miss > 1)
		qsort_r(miss, n_miss, sizeof(*miss), compare_query, (void *)queries);
	for (size_t j = 0; j < n_miss; j++)
		if (j == 0 || strcmp(queries[miss[j]], queries[miss[j - 1]]) != 0)
			lead[n_lead++] = miss[j];
	/* The cap keeps the values sent first; cache hits are not counted. */
	if (n_lead > 1)
		qsort(lead, n_lead, sizeof(*lead), compare_index);
	size_t asked = n_lead < max_lookups ? n_lead : max_lookups;
	for (size_t j = asked; j < n_lead; j++) {
		results[lead[j]].err = RELAY_ERR_UNAVAILABLE;
		results[lead[j]].left_out = 1;
	}
	atomic_fetch_add_explicit(&n_left_out, n_lead - asked, memory_order_relaxed);
	rc = fetch_all(cfg, cache, queries, lead, asked, deadline, results);
	for (size_t j = 1; rc == 0 && j < n_miss; j++)
		if (strcmp(queries[miss[j]], queries[miss[j - 1]]) == 0)
			results[miss[j]] = results[miss[j - 1]];
out:
	if (rc != 0)
		for (size_t i = 0; i < n; i++) {
			memset(&results[i], 0, sizeof(results[i]));
			results[i].err = RELAY_ERR_INTERNAL;
		}
	free(miss);
	free(lead);
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
	struct upstream_request req = {.max_bytes = CYBERCRIME_ANSWER_MAX};
	char *url = cybercrime_query_url(cybercrime_settings(cfg)->url, CYBERCRIME_HEALTH_VALUE);
	if (!url) {
		memset(r, 0, sizeof(*r));
		r->err = RELAY_ERR_INTERNAL;
		return;
	}
	req.url = url;
	req.same_host_redirects = 1;
	atomic_fetch_add_explicit(&n_upstream_requests, 1, memory_order_relaxed);
	upstream_get(cfg, &req);
	cybercrime_lookup_finish(NULL, CYBERCRIME_HEALTH_VALUE, &req, r, now_monotonic());
	upstream_request_free(&req);
	free(url);
}

void cybercrime_stats_get(struct cybercrime_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->lookups = atomic_load_explicit(&n_lookups, memory_order_relaxed);
	out->cache_hits = atomic_load_explicit(&n_cache_hits, memory_order_relaxed);
	out->upstream_requests = atomic_load_explicit(&n_upstream_requests, memory_order_relaxed);
	out->upstream_errors = atomic_load_explicit(&n_upstream_errors, memory_order_relaxed);
	out->late = atomic_load_explicit(&n_late, memory_order_relaxed);
	out->left_out = atomic_load_explicit(&n_left_out, memory_order_relaxed);
	for (int i = 0; i < RELAY_ERR__MAX; i++)
		out->errors[i] = atomic_load_explicit(&n_errors[i], memory_order_relaxed);
}
