/* lookup.h: asking the CyberCrime Tracker about values: URLs, answers, errors, concurrency.
 *
 * docs/api.md#module-cybercrime: GET <CYBERCRIME_URL>/query.php?url=<value URL-encoded>, a
 * url observable without its scheme. The JSON answer's `message` decides:
 * "Malicious: <family>" is a listing, any other message is no listing, a body
 * without a string `message` is a `key error`. Transport and HTTP failures
 * arrive already classified by upstream.c; this file only words them.
 *
 * cybercrime_lookup_many() answers a whole request: cache hits first, then
 * the distinct misses through upstream_get_many(), CYBERCRIME_MAX_PARALLEL
 * in flight at a time (a new one starts as soon as one ends) within the
 * process-wide UPSTREAM_MAX_CONCURRENT slots. Answers go into the cache;
 * failures never do.
 *
 * Work per request is bounded (docs/api.md#bounds-cybercrime): at most CYBERCRIME_MAX_LOOKUPS
 * distinct values are asked (the first ones sent; cache hits are free, they
 * cost the upstream nothing), the rest are `left_out`; and nothing is asked
 * after RELAY_REQUEST_DEADLINE_MS from the start of the lookups: what has
 * no answer by then is `late`, its transfer aborted, so no call for a
 * request outlives its answer.
 */
#ifndef CYBERCRIME_LOOKUP_H
#define CYBERCRIME_LOOKUP_H

#include <stddef.h>

#include "modules/cybercrime/cache.h"
#include "http/relay_error.h"
#include "lib/strbuf.h"
#include "lookups/lookup.h"
#include "net/upstream.h"

struct relay_config;

/* The module id: the path segment, and the module part of stable ids. */
#define CYBERCRIME_MODULE_ID "cybercrime"
#define CYBERCRIME_SOURCE "CyberCrime Tracker"
/* Size cap of one query.php answer (they are a few dozen bytes). */
#define CYBERCRIME_ANSWER_MAX (64 * 1024)
/* Upstream requests in flight at once for one relay request. */
#define CYBERCRIME_MAX_PARALLEL 32
/* Used when the config gives none (a zeroed struct in tests). */
#define CYBERCRIME_DEFAULT_MAX_LOOKUPS 200
#define CYBERCRIME_DEFAULT_DEADLINE_MS 20000
/* What /health asks about: cheap, harmless, and answered with a message. */
#define CYBERCRIME_HEALTH_VALUE "127.0.0.1"

/* The outcome of looking one value up. */
struct cybercrime_result {
	enum relay_err err; /* RELAY_OK: `answer` is valid */
	struct cybercrime_answer answer;
	char detail[256]; /* why it failed, e.g. "HTTP 500"; may be "" */
	int cached;	  /* answered from the cache, no upstream call */
	int left_out;	  /* not asked: over CYBERCRIME_MAX_LOOKUPS (err UNAVAILABLE) */
	int late;	  /* no answer before the deadline (err UNAVAILABLE) */
};

/* 1 for the observable types the module looks up (ip, url), else 0 (never fails). */
int cybercrime_supported_type(const char *type);

/* The value sent upstream for an observable: `value` itself for ip; for url
 * the part after a leading "<scheme>://" ("http://x/y?a=1" -> "x/y?a=1").
 * Points into `value`; never fails. */
const char *cybercrime_query_value(const char *type, const char *value);

/* <base>/query.php?url=<query URL-encoded> and <base>/index.php?search=<query
 * URL-encoded>. New strings (free() them), NULL when out of memory. */
char *cybercrime_query_url(const char *base, const char *query);
char *cybercrime_search_url(const char *base, const char *query);

/* Reads a query.php answer (len bytes, need not be NUL-terminated; NULL is
 * an empty body). Returns RELAY_OK with *out filled, or RELAY_ERR_KEY_ERROR
 * when it is not a JSON object with a string `message` in valid UTF-8, or
 * RELAY_ERR_INTERNAL when out of memory (*out is then zeroed). A message longer than CYBERCRIME_MESSAGE_MAX - 1 bytes
 * is cut on a UTF-8 boundary. */
enum relay_err cybercrime_parse_answer(const char *body, size_t len, struct cybercrime_answer *out);

/* Writes the client-facing message for a failed lookup into buf: the
 * module's wording of `err` (docs/api.md#errors), then in parentheses the detail
 * when it adds something, and the observable when `type` is not NULL (its
 * value cut to 200 characters). Never fails: a message longer than `len`
 * is cut, and without memory the value is left out. */
void cybercrime_error_message(enum relay_err err, const char *detail, const char *type,
			      const char *value, char *buf, size_t len);

/* Turns a finished upstream call for `query` into *r and stores an answer
 * in `cache` (may be NULL) as valid from `now`. Failures (transport, HTTP,
 * key error) end up in r->err / r->detail, are counted and never cached;
 * when the answer cannot be cached (out of memory) it is still returned. */
void cybercrime_lookup_finish(struct cybercrime_cache *cache, const char *query,
			      const struct upstream_request *up, struct cybercrime_result *r,
			      double now);

/* Looks up n query values (duplicates allowed: each distinct miss is asked
 * once) and fills results[i] for queries[i], within the bounds above
 * (cfg's cybercrime_max_lookups and request_deadline_ms). `cache` may be
 * NULL. Returns 0, or -1 when out of memory (results are then all
 * RELAY_ERR_INTERNAL). */
int cybercrime_lookup_many(const struct relay_config *cfg, struct cybercrime_cache *cache,
			   const char *const *queries, size_t n, struct cybercrime_result *results);

/* The bounds in effect: the config's, or the defaults above when it has
 * none (<= 0). */
long cybercrime_deadline_ms(const struct relay_config *cfg);
size_t cybercrime_max_lookups(const struct relay_config *cfg);

/* One uncached call about CYBERCRIME_HEALTH_VALUE, for /health. Fills *r
 * like a lookup (r->err RELAY_ERR_INTERNAL when out of memory); never
 * touches the cache. */
void cybercrime_lookup_health(const struct relay_config *cfg, struct cybercrime_result *r);

/* A snapshot of the counters (relaxed atomic loads; cannot fail). */
void cybercrime_stats_get(struct lookup_stats *out);

#endif
