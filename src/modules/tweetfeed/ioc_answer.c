/* ioc_answer.c: reads TweetFeed's /v1/ioc answer into records (see ioc_answer.h).
 *
 * Every field is type-checked and bounded; a record that fails is skipped,
 * never the answer. Strings are copied into the caller's arena so the
 * parsed JSON can be freed at once.
 */
#include "modules/tweetfeed/ioc_answer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ctim/uri.h"
#include "http/observables.h"
#include "lib/arena.h"
#include "lib/utf8.h"
#include "modules/tweetfeed/rows.h"
#include "modules/tweettioc/normalize.h"

static const char *copy_str(struct arena *a, const cJSON *v, size_t max, int *oom)
{
	if (!cJSON_IsString(v) || !v->valuestring)
		return NULL;
	size_t n = strlen(v->valuestring);
	if (n == 0 || n > max || !utf8_valid(v->valuestring, n))
		return NULL;
	const char *s = arena_strndup(a, v->valuestring, n);
	if (!s)
		*oom = 1;
	return s;
}

/* Copies up to `max` strings of the array `name`, each passed through
 * `fix` (may be NULL), which writes the kept form into buf or refuses it. */
static const char **copy_list(struct arena *a, const cJSON *rec, const char *name, size_t max,
			      int (*fix)(const char *in, char *buf, size_t buflen), size_t *n,
			      int *oom)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(rec, name);
	*n = 0;
	if (!cJSON_IsArray(list))
		return NULL;
	const char **out = arena_alloc(a, max * sizeof(*out));
	if (!out) {
		*oom = 1;
		return NULL;
	}
	const cJSON *v;
	cJSON_ArrayForEach (v, list) {
		if (*n >= max)
			break;
		if (!cJSON_IsString(v) || !v->valuestring)
			continue;
		size_t len = strlen(v->valuestring);
		if (len == 0 || len > URI_MAX || !utf8_valid(v->valuestring, len))
			continue;
		char buf[URI_MAX + 1];
		const char *keep = v->valuestring;
		if (fix) {
			if (!fix(v->valuestring, buf, sizeof(buf)))
				continue;
			keep = buf;
		}
		int dup = 0;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = strcmp(out[i], keep) == 0;
		if (dup)
			continue;
		if (!(out[*n] = arena_strdup(a, keep))) {
			*oom = 1;
			return NULL;
		}
		(*n)++;
	}
	return out;
}

static int fix_user(const char *in, char *buf, size_t buflen)
{
	while (*in == '@')
		in++;
	if (!uri_twitter_handle(in) || strlen(in) >= buflen)
		return 0;
	snprintf(buf, buflen, "%s", in);
	return 1;
}

static int fix_tag(const char *in, char *buf, size_t buflen)
{
	while (*in == '#')
		in++;
	size_t n = strlen(in);
	if (n == 0 || n > 280 || n >= buflen)
		return 0;
	snprintf(buf, buflen, "%s", in);
	return 1;
}

/* A status link, rebuilt canonical so nothing but its id and handle
 * comes from the answer. */
static int fix_tweet(const char *in, char *buf, size_t buflen)
{
	char id[21], handle[16];
	if (!tweetfeed_status_link(in, id, handle))
		return 0;
	const char *link;
	char tmp[URI_MAX + 1];
	if (!uri_tweet_link(NULL, handle, id, tmp, &link) || strlen(link) >= buflen)
		return 0;
	snprintf(buf, buflen, "%s", link);
	return 1;
}

/* Reads one record; 1 kept, 0 wrong shape, -1 out of memory. */
static int read_record(struct arena *a, const cJSON *rec, struct tweetfeed_record *r)
{
	int oom = 0;
	char refanged[IOC_KEY_MAX];
	memset(r, 0, sizeof(*r));
	if (!cJSON_IsObject(rec))
		return 0;
	const cJSON *first = cJSON_GetObjectItemCaseSensitive(rec, "first_seen");
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(rec, "last_seen");
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(rec, "count");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(rec, "value");
	r->type = copy_str(a, cJSON_GetObjectItemCaseSensitive(rec, "type"), 32, &oom);
	if (!r->type || !cJSON_IsString(value) || !value->valuestring || !cJSON_IsString(first) ||
	    !cJSON_IsString(last))
		return oom ? -1 : 0;
	size_t vlen = strlen(value->valuestring);
	if (vlen == 0 || vlen > IOC_MAX_VALUE || !utf8_valid(value->valuestring, vlen))
		return 0;
	long n = ioc_refang(value->valuestring, refanged, sizeof(refanged));
	if (n <= 0)
		return 0;
	if (!(r->value = arena_strndup(a, refanged, (size_t)n)))
		return -1;
	if (tweetfeed_parse_date(first->valuestring, &r->first_seen) != 0 ||
	    tweetfeed_parse_date(last->valuestring, &r->last_seen) != 0 ||
	    r->last_seen < r->first_seen)
		return 0;
	r->count = 1;
	if (cJSON_IsNumber(count) && isfinite(count->valuedouble) && count->valuedouble >= 1 &&
	    count->valuedouble < 1e9)
		r->count = (long)count->valuedouble;
	r->users =
		copy_list(a, rec, "users", TWEETFEED_MAX_RECORD_USERS, fix_user, &r->n_users, &oom);
	r->tags = copy_list(a, rec, "tags", TWEETFEED_MAX_RECORD_TAGS, fix_tag, &r->n_tags, &oom);
	r->tweets = copy_list(a, rec, "tweets", TWEETFEED_MAX_RECORD_TWEETS, fix_tweet,
			      &r->n_tweets, &oom);
	return oom ? -1 : 1;
}

enum relay_err tweetfeed_ioc_parse(const char *json, size_t len, struct arena *a,
				   struct tweetfeed_ioc_answer *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	/* cJSON would cut a string at "\u0000": such an answer is refused. */
	if (json_find_nul_escape(json, len) >= 0) {
		snprintf(err, errlen, "The data structure of TweetFeed has changed.");
		return RELAY_ERR_KEY_ERROR;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	while (root && end < json + len && (unsigned char)*end <= 32)
		end++;
	if (root && end != json + len) { /* bytes after the JSON: not one answer */
		cJSON_Delete(root);
		root = NULL;
	}
	const cJSON *found = cJSON_GetObjectItemCaseSensitive(root, "found");
	if (!cJSON_IsObject(root) || !cJSON_IsBool(found)) {
		cJSON_Delete(root);
		snprintf(err, errlen, "The data structure of TweetFeed has changed.");
		return RELAY_ERR_KEY_ERROR;
	}
	out->found = cJSON_IsTrue(found);
	const cJSON *records = cJSON_GetObjectItemCaseSensitive(root, "records");
	enum relay_err rc = RELAY_OK;
	if (out->found && cJSON_IsArray(records)) {
		out->records = arena_alloc(a, TWEETFEED_MAX_RECORDS * sizeof(*out->records));
		if (!out->records)
			rc = RELAY_ERR_INTERNAL;
		const cJSON *rec;
		cJSON_ArrayForEach (rec, records) {
			if (rc != RELAY_OK || out->n_records >= TWEETFEED_MAX_RECORDS)
				break;
			int kept = read_record(a, rec, &out->records[out->n_records]);
			if (kept < 0)
				rc = RELAY_ERR_INTERNAL;
			else if (kept)
				out->n_records++;
			else
				out->skipped++;
		}
	}
	cJSON_Delete(root);
	if (rc != RELAY_OK)
		snprintf(err, errlen, "out of memory reading a TweetFeed answer");
	return rc;
}
