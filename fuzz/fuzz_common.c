/* fuzz_common.c: configuration, built-in feed and checked router calls for the fuzz targets. */
#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "lib/json_arena.h"
#include "http/request.h"
#include "http/response.h"
#include "http/router.h"
#include "modules/tweettioc/refresh.h"

/* Six tweets with every IOC list, defanged forms, numeric and string ids,
 * and timestamps near "now" so the tiles see them in both periods. The
 * timestamps are rewritten at load time. */
static const char fuzz_feed_json[] =
	"[{\"ip\":[\"1.2.3.4\",\"2001:db8::1\"],\"md5\":[\"0c62a0d991dc53ef70a56f15ae2234d8\"],"
	"\"tweet\":{\"id\":\"100\",\"user\":\"alice\",\"tweet\":\"first | text\\nline\","
	"\"hashtags\":[\"#emotet\",\"c2\"],\"link\":\"https://twitter.com/alice/status/100\","
	"\"timestamp\":TS0}},"
	"{\"url\":[\"hxxps://evil[.]example[.]com/Path/x.exe\"],\"ip\":[\"1.2.3.4\"],"
	"\"tweet\":{\"id\":300,\"user\":\"bob\",\"tweet\":\"url\",\"hashtags\":[],"
	"\"link\":\"https://twitter.com/bob/status/300\",\"timestamp\":TS1}},"
	"{\"domain\":[\"Evil.Example.com\"],\"mail\":[\"bad[at]evil[.]example.com\"],"
	"\"sha1\":[\"a94a8fe5ccb19ba61c4c0873d391e987982fbbd3\"],\"tweet\":{\"id\":\"200\","
	"\"user\":\"alice\",\"tweet\":\"d\",\"link\":\"https://twitter.com/alice/status/200\","
	"\"timestamp\":TS2}},"
	"{\"sha256\":[\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"],"
	"\"tweet\":{\"id\":\"400\",\"user\":\"carol\",\"tweet\":\"h\",\"hashtags\":[\"#apt\"],"
	"\"link\":\"https://twitter.com/carol/status/400\",\"timestamp\":TS3}},"
	"{\"url\":[\"evil.example.com/Path/x.exe\",\"ftp://files.example.org/a\"],"
	"\"tweet\":{\"id\":\"500\",\"user\":\"dave\",\"tweet\":\"u\",\"hashtags\":[\"apt\"],"
	"\"link\":\"https://twitter.com/dave/status/500\",\"timestamp\":TS4}},"
	"{\"ip\":[\"10.0.0.1\"],\"tweet\":{\"id\":\"600\",\"user\":\"bob\",\"tweet\":\"old\","
	"\"link\":\"https://twitter.com/bob/status/600\",\"timestamp\":TS5}}]";

static struct relay_config config;
static int config_loaded, feed_loaded;

void fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: invariant broken: %s\n", what);
	abort();
}

static const char *fuzz_getenv(const char *name)
{
	if (strcmp(name, "RELAY_AUTH") == 0)
		return "none";
	if (strcmp(name, "RELAY_MODULES") == 0)
		return "tweettioc";
	if (strcmp(name, "CTR_ENTITIES_LIMIT") == 0)
		return "3";
	return NULL;
}

const struct relay_config *fuzz_config(void)
{
	if (!config_loaded) {
		char err[256];
		json_arena_install(); /* requests build their cJSON as the relay does */
		if (config_load(&config, fuzz_getenv, err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz: config_load: %s\n", err);
			abort();
		}
		config_set(&config);
		config_loaded = 1;
	}
	return &config;
}

void fuzz_load_feed(void)
{
	if (feed_loaded)
		return;
	/* TSn -> now - n hours, so every tweet lies in both tile periods but
	 * the last one, which is 3 days old. */
	long now = (long)time(NULL);
	char json[sizeof(fuzz_feed_json) + 128];
	size_t o = 0;
	for (const char *p = fuzz_feed_json; *p && o + 16 < sizeof(json);) {
		if (p[0] == 'T' && p[1] == 'S' && p[2] >= '0' && p[2] <= '9') {
			long age = (p[2] - '0') == 5 ? 3 * 86400 : (p[2] - '0') * 3600L;
			o += (size_t)snprintf(json + o, sizeof(json) - o, "%ld", now - age);
			p += 3;
		} else {
			json[o++] = *p++;
		}
	}
	json[o] = '\0';
	char err[256];
	if (feed_load_json(json, o, err, sizeof(err)) != RELAY_OK) {
		fprintf(stderr, "fuzz: feed_load_json: %s\n", err);
		abort();
	}
	feed_loaded = 1;
}

/* The rendered answer has the shape CONTRACT section 3 promises. */
static void check_answer(int status, const char *text, size_t len)
{
	if (!text)
		fuzz_fail("response_render returned NULL without an allocation failure");
	if (strlen(text) != len)
		fuzz_fail("rendered length disagrees with the text");
	cJSON *json = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(json))
		fuzz_fail("the answer is not a JSON object");
	char *again = cJSON_PrintUnformatted(json);
	if (!again || strcmp(again, text) != 0)
		fuzz_fail("the relay's printer and cJSON's print the answer differently");
	cJSON_free(again);
	if (status == 200) {
		const cJSON *data = cJSON_GetObjectItemCaseSensitive(json, "data");
		const cJSON *errors = cJSON_GetObjectItemCaseSensitive(json, "errors");
		if (!data && !errors && !cJSON_GetObjectItemCaseSensitive(json, "version"))
			fuzz_fail("a 200 answer without data or errors");
		if (errors && !cJSON_IsArray(errors))
			fuzz_fail("errors is not an array");
		const cJSON *e;
		cJSON_ArrayForEach (e, errors) {
			const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
			const cJSON *type = cJSON_GetObjectItemCaseSensitive(e, "type");
			const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
			if (!cJSON_IsString(code) || !cJSON_IsString(type) || !cJSON_IsString(msg))
				fuzz_fail("an error entry without string code, type and message");
		}
	} else {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "code");
		if (!cJSON_IsNumber(code) || code->valueint != status ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(json, "message")))
			fuzz_fail("a non-200 answer that is not {code, message}");
		if (status != 404 && status != 405 && status != 413)
			fuzz_fail("an unexpected HTTP status (500/503 without an allocation "
				  "failure)");
	}
	cJSON_Delete(json);
}

void fuzz_route(const char *method, const char *path, const unsigned char *body, size_t len)
{
	const struct relay_config *cfg = fuzz_config();
	/* The front end hands handlers a NUL-terminated copy of the body. */
	char *copy = malloc(len + 1);
	if (!copy)
		fuzz_fail("malloc");
	if (len)
		memcpy(copy, body, len);
	copy[len] = '\0';

	struct relay_request req;
	struct relay_response res;
	struct route_match match;
	json_arena_begin();
	memset(&req, 0, sizeof(req));
	response_init(&res);
	req.cfg = cfg;
	req.method = method;
	req.path = path;
	req.body = len ? copy : NULL;
	req.body_len = len;
	req.entities_limit = cfg->entities_limit;
	if (router_precheck(cfg, &req, &match, &res) == RELAY_OK)
		router_handle(&req, &match, &res);
	size_t out_len = 0;
	char *text = response_render(&res, &out_len);
	int status = res.status;
	response_free(&res);
	json_arena_end();
	check_answer(status, text, out_len);
	free(text);
	free(copy);
}
