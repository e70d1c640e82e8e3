/* answer.c: reads ThreatFox's answer into records and matches them exactly (see answer.h).
 *
 * The answer is parsed with cJSON after refusing "\u0000" (cJSON would cut
 * a string there and a value could pass for a shorter one). Each record
 * is type-checked field by field; strings are copied into the caller's
 * arena so the JSON tree is freed at once.
 */
#include "modules/threatfox/answer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "ctim/uri.h"
#include "http/observables.h"
#include "lib/arena.h"
#include "lib/utc_time.h"
#include "lib/utf8.h"
#include "modules/tweettioc/normalize.h"

int threatfox_parse_time(const char *s, double *out)
{
	size_t n = s ? strlen(s) : 0;
	if (n != 23 || strcmp(s + 19, " UTC") != 0)
		return -1;
	return utc_parse_datetime(s, 19, out);
}

const char *threatfox_confidence(int level)
{
	return level >= 75 ? "High" : level >= 50 ? "Medium" : "Low";
}

/* A copy of a string field, or NULL when absent, null, of another type,
 * empty, too long or not UTF-8 (*bad set for the last three when the
 * field is there: the record is then skipped). */
static const char *field(struct arena *a, const cJSON *rec, const char *name, int *bad, int *oom)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, name);
	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v) || !v->valuestring) {
		*bad = 1;
		return NULL;
	}
	size_t n = strlen(v->valuestring);
	if (n == 0)
		return NULL;
	if (n > THREATFOX_MAX_FIELD || !utf8_valid(v->valuestring, n)) {
		*bad = 1;
		return NULL;
	}
	const char *s = arena_strndup(a, v->valuestring, n);
	if (!s)
		*oom = 1;
	return s;
}

/* Splits "a,b, c" into trimmed, distinct, non-empty names. */
static int split_aliases(struct arena *a, const char *list, struct threatfox_record *r)
{
	r->n_aliases = 0;
	if (!list)
		return 0;
	size_t max = THREATFOX_MAX_TAGS;
	if (!(r->aliases = arena_alloc(a, max * sizeof(*r->aliases))))
		return -1;
	for (const char *p = list; *p && r->n_aliases < max;) {
		size_t n = strcspn(p, ",");
		const char *s = p, *e = p + n;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > s && !(r->aliases[r->n_aliases] = arena_strndup(a, s, (size_t)(e - s))))
			return -1;
		if (e > s)
			r->n_aliases++;
		p += n + (p[n] == ',');
	}
	return 0;
}

static int read_tags(struct arena *a, const cJSON *rec, struct threatfox_record *r)
{
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(rec, "tags");
	r->n_tags = 0;
	if (!cJSON_IsArray(tags)) /* null or missing: no tags */
		return 0;
	if (!(r->tags = arena_alloc(a, THREATFOX_MAX_TAGS * sizeof(*r->tags))))
		return -1;
	const cJSON *t;
	cJSON_ArrayForEach (t, tags) {
		if (r->n_tags >= THREATFOX_MAX_TAGS)
			break;
		if (!cJSON_IsString(t) || !t->valuestring)
			continue;
		size_t n = strlen(t->valuestring);
		if (n == 0 || n > 256 || !utf8_valid(t->valuestring, n))
			continue;
		if (!(r->tags[r->n_tags] = arena_strndup(a, t->valuestring, n)))
			return -1;
		r->n_tags++;
	}
	return 0;
}

/* 1 kept, 0 wrong shape, -1 out of memory. */
static int read_record(struct arena *a, const cJSON *rec, struct threatfox_record *r)
{
	int bad = 0, oom = 0;
	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(rec))
		return 0;
	/* The id may be a number or a string of digits. */
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
	char idbuf[32];
	if (cJSON_IsNumber(id) && isfinite(id->valuedouble) && id->valuedouble >= 0 &&
	    id->valuedouble < 1e15 && id->valuedouble == floor(id->valuedouble))
		/* Through an integer: "%.0f" would write -0 as "-0". */
		snprintf(idbuf, sizeof(idbuf), "%llu", (unsigned long long)id->valuedouble);
	else if (cJSON_IsString(id) && id->valuestring && id->valuestring[0] &&
		 strlen(id->valuestring) <= 15 &&
		 strspn(id->valuestring, "0123456789") == strlen(id->valuestring))
		snprintf(idbuf, sizeof(idbuf), "%s", id->valuestring);
	else
		return 0;
	if (!(r->id = arena_strdup(a, idbuf)))
		return -1;
	r->ioc = field(a, rec, "ioc", &bad, &oom);
	r->ioc_type = field(a, rec, "ioc_type", &bad, &oom);
	r->threat_type = field(a, rec, "threat_type", &bad, &oom);
	r->threat_type_desc = field(a, rec, "threat_type_desc", &bad, &oom);
	r->malware = field(a, rec, "malware", &bad, &oom);
	r->malware_printable = field(a, rec, "malware_printable", &bad, &oom);
	const char *aliases = field(a, rec, "malware_alias", &bad, &oom);
	const char *reference = field(a, rec, "reference", &bad, &oom);
	r->reporter = field(a, rec, "reporter", &bad, &oom);
	const char *first = field(a, rec, "first_seen", &bad, &oom);
	const char *last = field(a, rec, "last_seen", &bad, &oom);
	if (oom)
		return -1;
	if (bad || !r->ioc || !r->ioc_type)
		return 0;
	if (!r->malware_printable)
		r->malware_printable = "Unknown malware";
	const cJSON *conf = cJSON_GetObjectItemCaseSensitive(rec, "confidence_level");
	if (cJSON_IsNumber(conf) && isfinite(conf->valuedouble) && conf->valuedouble >= 0 &&
	    conf->valuedouble <= 100)
		r->confidence = (int)conf->valuedouble;
	else if (conf && !cJSON_IsNull(conf))
		return 0;
	r->first_seen = r->last_seen = -1;
	if (first && threatfox_parse_time(first, &r->first_seen) != 0)
		return 0;
	if (last && (threatfox_parse_time(last, &r->last_seen) != 0 ||
		     (r->first_seen >= 0 && r->last_seen < r->first_seen)))
		r->last_seen = -1; /* an impossible end is dropped, not the record */
	/* A reference is kept only when it is a link the relay may emit. */
	r->reference = reference && uri_valid_http(reference) ? reference : NULL;
	if (split_aliases(a, aliases, r) != 0 || read_tags(a, rec, r) != 0)
		return -1;
	return 1;
}

/* The status as printable ASCII, cut to fit. */
static void keep_status(const char *s, char out[THREATFOX_STATUS_MAX])
{
	size_t o = 0;
	for (; *s && o + 1 < THREATFOX_STATUS_MAX; s++)
		out[o++] = (*s >= 32 && *s < 127) ? *s : '?';
	out[o] = '\0';
}

enum relay_err threatfox_parse(const char *json, size_t len, struct arena *a,
			       struct threatfox_answer *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = NULL;
	if (json && json_find_nul_escape(json, len) < 0) {
		const char *end = NULL;
		errno = 0;
		root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
		if (!root && errno == ENOMEM) { /* our fault, not the upstream's */
			snprintf(err, errlen, "out of memory reading a ThreatFox answer");
			return RELAY_ERR_INTERNAL;
		}
		while (root && end < json + len && (unsigned char)*end <= 32)
			end++;
		if (root && end != json + len) {
			cJSON_Delete(root);
			root = NULL;
		}
	}
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "query_status");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (!cJSON_IsObject(root) || !cJSON_IsString(status) || !status->valuestring ||
	    (strcmp(status->valuestring, "ok") == 0 && !cJSON_IsArray(data))) {
		cJSON_Delete(root);
		snprintf(err, errlen, "The data structure of ThreatFox has changed.");
		return RELAY_ERR_KEY_ERROR;
	}
	if (strcmp(status->valuestring, "no_result") == 0 ||
	    (strcmp(status->valuestring, "ok") == 0 && cJSON_GetArraySize(data) == 0)) {
		out->status = THREATFOX_NO_RESULT;
		cJSON_Delete(root);
		return RELAY_OK;
	}
	if (strcmp(status->valuestring, "ok") != 0) {
		out->status = THREATFOX_REFUSED;
		keep_status(status->valuestring, out->status_text);
		cJSON_Delete(root);
		return RELAY_OK;
	}
	out->status = THREATFOX_OK;
	size_t n = (size_t)cJSON_GetArraySize(data);
	size_t cap = n < THREATFOX_MAX_RECORDS ? n : THREATFOX_MAX_RECORDS;
	enum relay_err rc = RELAY_OK;
	if (!(out->records = arena_alloc(a, cap * sizeof(*out->records))))
		rc = RELAY_ERR_INTERNAL;
	const cJSON *rec;
	cJSON_ArrayForEach (rec, data) {
		if (rc != RELAY_OK)
			break;
		if (out->n_records >= cap) {
			out->over++;
			continue;
		}
		int kept = read_record(a, rec, &out->records[out->n_records]);
		if (kept < 0)
			rc = RELAY_ERR_INTERNAL;
		else if (kept)
			out->n_records++;
		else
			out->skipped++;
	}
	cJSON_Delete(root);
	if (rc != RELAY_OK)
		snprintf(err, errlen, "out of memory reading a ThreatFox answer");
	return rc;
}

/* ioc "1.2.3.4:80" is the ip "1.2.3.4"; "[::1]:80" the ip "::1". Writes
 * the host part into buf; 0, or -1 when there is no port part. */
static int strip_port(const char *ioc, char *buf, size_t buflen)
{
	const char *colon = strrchr(ioc, ':');
	if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strlen(colon + 1) > 5)
		return -1;
	const char *s = ioc, *e = colon;
	if (*s == '[' && e > s && e[-1] == ']')
		s++, e--;
	else if (memchr(ioc, ':', (size_t)(colon - ioc)))
		return -1; /* a bare IPv6 address: its last group is no port */
	if ((size_t)(e - s) >= buflen)
		return -1;
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return 0;
}

/* Compares two values of class `cls` by their match keys (normalize.h). */
static int same_key(char cls, const char *a, const char *b)
{
	char ka[IOC_KEY_MAX], kb[IOC_KEY_MAX], alt_a[IOC_KEY_MAX], alt_b[IOC_KEY_MAX];
	char ra[IOC_KEY_MAX], rb[IOC_KEY_MAX];
	if (ioc_refang(a, ra, sizeof(ra)) <= 0 || ioc_refang(b, rb, sizeof(rb)) <= 0)
		return 0;
	if (ioc_key(cls, ra, ka, sizeof(ka), alt_a, sizeof(alt_a)) != 0 ||
	    ioc_key(cls, rb, kb, sizeof(kb), alt_b, sizeof(alt_b)) != 0)
		return 0;
	if (strcmp(ka, kb) == 0)
		return 1;
	/* A url sent without a scheme matches the same url with http/https. */
	return cls == IOC_CLASS_URL &&
	       ((alt_b[0] && strcmp(ka, alt_b) == 0) || (alt_a[0] && strcmp(alt_a, kb) == 0));
}

int threatfox_match(const char *type, const char *value, const struct threatfox_record *r)
{
	if (!type || !value || !r || !r->ioc)
		return 0;
	if (strcmp(type, "ip") == 0) {
		char host[64];
		const char *ioc = r->ioc;
		if (strip_port(r->ioc, host, sizeof(host)) == 0)
			ioc = host;
		return same_key(IOC_CLASS_IP, value, ioc);
	}
	if (strcmp(type, "domain") == 0)
		return same_key(IOC_CLASS_DOMAIN, value, r->ioc);
	if (strcmp(type, "url") == 0)
		return same_key(IOC_CLASS_URL, value, r->ioc);
	if (strcmp(type, "md5") == 0 || strcmp(type, "sha256") == 0)
		return g_ascii_strcasecmp(value, r->ioc) == 0;
	return 0;
}
