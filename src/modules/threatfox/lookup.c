/* lookup.c: ThreatFox queries on the lookup engine, error wording, and the keys ThreatFox accepted.
 *
 * The body is built with cJSON (the value escaped as JSON data); the
 * Auth-Key header line is the only place the key is written, and it is
 * wiped before it is freed.
 */
#include "modules/threatfox/lookup.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ctim/entities.h"
#include "ctim/uri.h"
#include "lib/arena.h"
#include "modules/threatfox/answer.h"

int threatfox_supported_type(const char *type)
{
	static const char *const types[] = {"ip", "domain", "url", "md5", "sha256"};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i]) == 0)
			return 1;
	return 0;
}

int threatfox_cache_key(const char *type, const char *value, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s\n%s", type, value);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

char *threatfox_query_body(const char *type, const char *value)
{
	if (!threatfox_supported_type(type))
		return NULL;
	int hash = strcmp(type, "md5") == 0 || strcmp(type, "sha256") == 0;
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;
	if (o && cJSON_AddStringToObject(o, "query", hash ? "search_hash" : "search_ioc") &&
	    cJSON_AddStringToObject(o, hash ? "hash" : "search_term", value))
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

char *threatfox_search_url(const char *value)
{
	static const char prefix[] = "https://threatfox.abuse.ch/browse.php?search=ioc%3A";
	char *enc = uri_escape(value);
	if (!enc)
		return NULL;
	size_t len = sizeof(prefix) + strlen(enc);
	char *url = malloc(len);
	if (url)
		snprintf(url, len, "%s%s", prefix, enc);
	free(enc);
	return url;
}

/* What a call carries besides its URL, freed in release(). */
struct call_parts {
	char *url, *body, *auth;
	size_t auth_size; /* bytes of `auth`, all wiped */
	const char *headers[3];
};

static int tf_prepare(void *ctx, const struct lookup_query *q, struct upstream_request *up,
		      void **scratch)
{
	const struct threatfox_call *call = ctx;
	struct call_parts *p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	size_t ulen = strlen(call->base_url) + sizeof("/api/v1/");
	size_t klen = strlen(call->key) + sizeof("Auth-Key: ");
	p->url = malloc(ulen);
	p->auth = malloc(klen);
	p->auth_size = p->auth ? klen : 0;
	p->body = threatfox_query_body(q->type, q->value);
	*scratch = p; /* release() frees it whatever happens next */
	if (!p->url || !p->auth || !p->body)
		return -1;
	snprintf(p->url, ulen, "%s/api/v1/", call->base_url);
	snprintf(p->auth, klen, "Auth-Key: %s", call->key);
	p->headers[0] = "Content-Type: application/json";
	p->headers[1] = p->auth;
	p->headers[2] = NULL;
	up->url = p->url;
	up->method = "POST";
	up->send = p->body;
	up->send_len = strlen(p->body);
	up->headers = p->headers;
	return 0;
}

static void tf_release(void *ctx, struct upstream_request *up, void *scratch)
{
	(void)ctx;
	struct call_parts *p = scratch;
	if (!p)
		return;
	if (p->auth)
		OPENSSL_cleanse(p->auth, p->auth_size);
	free(p->auth);
	free(p->url);
	cJSON_free(p->body);
	free(p);
	up->url = NULL;
	up->send = NULL;
	up->headers = NULL;
}

static enum relay_err tf_finish(void *ctx, const struct lookup_query *q,
				const struct upstream_request *up, char **blob, size_t *len,
				int *cacheable, char *detail, size_t detail_len)
{
	(void)ctx;
	(void)q;
	snprintf(detail, detail_len, "%s", up->detail);
	if (up->status == 401 || up->status == 403) {
		snprintf(detail, detail_len, "HTTP %ld", up->status);
		return RELAY_ERR_AUTH;
	}
	if (up->err != RELAY_OK)
		return up->err;
	struct arena a;
	struct threatfox_answer ans;
	arena_init(&a, 16 * 1024);
	enum relay_err err =
		threatfox_parse(up->body.data, up->body.len, &a, &ans, detail, detail_len);
	arena_free(&a);
	if (err != RELAY_OK)
		return err;
	if (!(*blob = malloc(up->body.len ? up->body.len : 1)))
		return RELAY_ERR_INTERNAL;
	if (up->body.len)
		memcpy(*blob, up->body.data, up->body.len);
	*len = up->body.len;
	*cacheable = ans.status != THREATFOX_REFUSED; /* a refusal may not last */
	return RELAY_OK;
}

static struct lookup_counters counters;

const struct lookup_module threatfox_lookup_module = {
	.parallel = THREATFOX_MAX_PARALLEL,
	.answer_max = THREATFOX_ANSWER_MAX,
	.counters = &counters,
	.prepare = tf_prepare,
	.release = tf_release,
	.finish = tf_finish,
};

void threatfox_stats_get(struct lookup_stats *out)
{
	lookup_stats_get(&counters, out);
}

/* The module's wording of each failure (docs/api.md, error codes). */
static const char *error_wording(enum relay_err err)
{
	switch (err) {
	case RELAY_ERR_AUTH: return "Authorization failed: ThreatFox refused the Auth-Key.";
	case RELAY_ERR_UNAVAILABLE: return "ThreatFox is unavailable. Please, try again later.";
	case RELAY_ERR_NOT_FOUND: return "ThreatFox answered: not found.";
	case RELAY_ERR_TOO_MANY_REQUESTS:
		return "Too many requests have been made to ThreatFox. Please, try again later.";
	case RELAY_ERR_KEY_ERROR:
		return "The data structure of ThreatFox has changed. The module is broken.";
	case RELAY_ERR_UPSTREAM_TOO_LARGE: return "The ThreatFox answer is larger than allowed.";
	case RELAY_ERR_UNKNOWN: return "Unexpected response from ThreatFox.";
	default: return "Internal error while querying ThreatFox.";
	}
}

void threatfox_error_message(enum relay_err err, const char *detail, const char *type,
			     const char *value, char *buf, size_t len)
{
	const char *text = error_wording(err);
	const char *extra = detail && detail[0] && err != RELAY_ERR_KEY_ERROR ? detail : NULL;
	char *shown = value ? ctim_truncate(value, 200) : NULL;
	const char *v = shown ? shown : "";
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

/* Accepted keys: HMAC-SHA256(salt, key), a ring of THREATFOX_KEYS_MAX. */
static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char salt[32];
static unsigned char (*keys)[32];
static size_t n_keys, next_key;

int threatfox_keys_start(void)
{
	pthread_mutex_lock(&keys_lock);
	int rc = 0;
	if (!keys) {
		keys = calloc(THREATFOX_KEYS_MAX, sizeof(*keys));
		if (!keys || RAND_bytes(salt, sizeof(salt)) != 1)
			rc = -1;
		n_keys = next_key = 0;
	}
	pthread_mutex_unlock(&keys_lock);
	if (rc != 0)
		threatfox_keys_stop();
	return rc;
}

void threatfox_keys_stop(void)
{
	pthread_mutex_lock(&keys_lock);
	free(keys);
	keys = NULL;
	n_keys = next_key = 0;
	OPENSSL_cleanse(salt, sizeof(salt));
	pthread_mutex_unlock(&keys_lock);
}

/* HMAC-SHA256(salt, key) into md; 0, or -1 when OpenSSL failed. */
static int key_mac(const char *key, unsigned char md[32])
{
	unsigned int mdlen = 0;
	if (!HMAC(EVP_sha256(), salt, (int)sizeof(salt), (const unsigned char *)key, strlen(key),
		  md, &mdlen) ||
	    mdlen != 32)
		return -1;
	return 0;
}

/* Index of md among the accepted keys, or -1. Called with the lock held. */
static long find_key(const unsigned char md[32])
{
	for (size_t i = 0; i < n_keys; i++)
		if (CRYPTO_memcmp(keys[i], md, 32) == 0)
			return (long)i;
	return -1;
}

int threatfox_key_accepted(const char *key)
{
	unsigned char md[32];
	int found = 0;
	pthread_mutex_lock(&keys_lock);
	if (keys && key_mac(key, md) == 0)
		found = find_key(md) >= 0;
	pthread_mutex_unlock(&keys_lock);
	return found;
}

void threatfox_key_accept(const char *key)
{
	unsigned char md[32];
	pthread_mutex_lock(&keys_lock);
	if (keys && key_mac(key, md) == 0 && find_key(md) < 0) {
		memcpy(keys[next_key], md, 32);
		next_key = (next_key + 1) % THREATFOX_KEYS_MAX;
		if (n_keys < THREATFOX_KEYS_MAX)
			n_keys++;
	}
	pthread_mutex_unlock(&keys_lock);
}
