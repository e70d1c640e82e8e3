/* lookup.h: asking ThreatFox about values: the request, the answer, the keys it accepted.
 *
 * docs/api.md, "Module: threatfox": POST <THREATFOX_URL>/api/v1/ with the
 * header `Auth-Key: <key>` and {"query":"search_ioc","search_term":v} for
 * ip, domain and url, {"query":"search_hash","hash":v} for md5 and sha256.
 * The lookups run on the engine (lookups/lookup.h): a blob is the answer
 * body as ThreatFox sent it (at most THREATFOX_ANSWER_MAX bytes), read
 * again with threatfox_parse() when emitted. Only "ok" and "no_result"
 * answers are cached; another query_status, HTTP 401/403 (the key refused:
 * RELAY_ERR_AUTH) and every failure never are.
 *
 * The cache is shared by tenants (ThreatFox data is public), but a tenant
 * is served from it only once ThreatFox has accepted its key at least
 * once: the relay remembers accepted keys as HMAC-SHA256 under a random
 * salt drawn at start, in memory only, at most THREATFOX_KEYS_MAX of them.
 *
 * The key is a secret: it is put only into the Auth-Key header line, which
 * is wiped when the call ends; it never reaches a log line, an error
 * message, a metric or the cache key.
 */
#ifndef THREATFOX_LOOKUP_H
#define THREATFOX_LOOKUP_H

#include <stddef.h>

#include "lookups/lookup.h"

struct relay_config;
struct lookup_cache;

#define THREATFOX_MODULE_ID "threatfox"
#define THREATFOX_SOURCE "ThreatFox"
/* Size cap of one answer (1000 records of a few hundred bytes fit easily). */
#define THREATFOX_ANSWER_MAX (4 * 1024 * 1024)
/* Upstream requests in flight at once for one relay request. */
#define THREATFOX_MAX_PARALLEL 16
/* The cache: entries, and bytes of bodies at most. */
#define THREATFOX_CACHE_CAPACITY 10000
#define THREATFOX_CACHE_BYTES (64 * 1024 * 1024)
/* Accepted keys remembered (the oldest forgotten first). */
#define THREATFOX_KEYS_MAX 4096
/* Longest Auth-Key sent (docs/authentication.md, claims). */
#define THREATFOX_KEY_MAX 256
/* What /health asks about: a search that costs ThreatFox little. */
#define THREATFOX_HEALTH_VALUE "127.0.0.1"

/* The engine hooks; ctx is a struct threatfox_call. */
extern const struct lookup_module threatfox_lookup_module;

/* One request's context for the hooks. */
struct threatfox_call {
	const char *base_url; /* THREATFOX_URL */
	const char *key;      /* the Auth-Key, borrowed */
};

/* 1 for ip, domain, url, md5, sha256; else 0. */
int threatfox_supported_type(const char *type);

/* The cache key of an observable: "<type>\n<value>" in buf; 0, or -1 when
 * it does not fit (the value is then looked up but never cached). */
int threatfox_cache_key(const char *type, const char *value, char *buf, size_t len);

/* The JSON body for one observable; a new string (cJSON_free() it: it
 * may come from the request's cJSON arena), NULL when
 * out of memory or the type is not supported. */
char *threatfox_query_body(const char *type, const char *value);

/* The Search link https://threatfox.abuse.ch/browse.php?search=ioc%3A<value>;
 * a new string, NULL when out of memory. */
char *threatfox_search_url(const char *value);

/* Writes the client-facing message for a failed lookup (never containing
 * the key) into buf: the module's wording of `err`, the detail, the
 * observable when type is not NULL (value cut to 200 characters). */
void threatfox_error_message(enum relay_err err, const char *detail, const char *type,
			     const char *value, char *buf, size_t len);

/* Accepted keys (see above). Start draws the salt: 0, or -1 when no
 * randomness or memory. */
int threatfox_keys_start(void);
void threatfox_keys_stop(void);
/* 1 when ThreatFox has accepted `key` before; 0 otherwise (and on any failure). */
int threatfox_key_accepted(const char *key);
/* Remembers `key` as accepted (best effort). */
void threatfox_key_accept(const char *key);

/* The counters, for /metrics. */
void threatfox_stats_get(struct lookup_stats *out);

#endif
