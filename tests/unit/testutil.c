/* testutil.c: shared helpers for the Check unit tests. */
#include "testutil.h"

#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/json_arena.h"
#include "http/request.h"
#include "modules/tweettioc/state_dir.h"
#include "http/response.h"
#include "http/router.h"
#include "modules/tweettioc/refresh.h"

static const char *const *test_env;

void test_env_use(const char *const *env)
{
	test_env = env;
}

const char *test_env_get(const char *name)
{
	for (const char *const *e = test_env; e && e[0]; e += 2)
		if (strcmp(e[0], name) == 0)
			return e[1];
	return NULL;
}

/* test_env_get(), with RELAY_AUTH=none unless the test sets it. */
static const char *test_getenv(const char *name)
{
	const char *v = test_env_get(name);
	if (!v && strcmp(name, "RELAY_AUTH") == 0)
		return "none";
	return v;
}

int test_run_suite(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void test_config_load(struct relay_config *cfg, const char *const *env)
{
	char err[256];
	test_env = env;
	int rc = config_load(cfg, test_getenv, err, sizeof(err));
	ck_assert_msg(rc == 0, "config_load: %s", err);
	config_set(cfg);
}

cJSON *test_call(const struct relay_config *cfg, const char *method, const char *path,
		 const char *body, int *status, char **raw)
{
	/* As in the relay: the request's cJSON lives in the thread's arena. */
	static int arena_installed;
	if (!arena_installed) {
		json_arena_install();
		arena_installed = 1;
	}
	struct relay_request req;
	struct relay_response res;
	struct route_match match;
	json_arena_begin();
	memset(&req, 0, sizeof(req));
	response_init(&res);
	req.cfg = cfg;
	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.entities_limit = cfg->entities_limit;
	if (router_precheck(cfg, &req, &match, &res) == RELAY_OK)
		router_handle(&req, &match, &res);
	size_t len;
	char *text = response_render(&res, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(strlen(text), len);
	*status = res.status;
	response_free(&res);
	json_arena_end();
	cJSON *json = cJSON_Parse(text);
	if (json) {
		/* The relay's printer writes what cJSON's own would. */
		char *again = cJSON_PrintUnformatted(json);
		ck_assert_ptr_nonnull(again);
		ck_assert_str_eq(again, text);
		cJSON_free(again);
	}
	if (raw)
		*raw = text;
	else
		free(text);
	return json;
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

void test_load_feed_json(const char *json)
{
	char err[256];
	enum relay_err rc = feed_load_json(json, strlen(json), err, sizeof(err));
	ck_assert_msg(rc == RELAY_OK, "feed_load_json: %s", err);
}

void test_load_feed_file(const char *path)
{
	size_t len;
	char *json = test_read_file(path, &len);
	test_load_feed_json(json);
	free(json);
}

const char *test_error_code(const cJSON *answer, int index)
{
	const cJSON *errors = cJSON_GetObjectItemCaseSensitive(answer, "errors");
	const cJSON *e = cJSON_GetArrayItem(errors, index);
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
	return cJSON_IsString(code) ? code->valuestring : NULL;
}

static FILE *captured;
static int saved_stderr = -1;

void test_stderr_capture(void)
{
	ck_assert_int_eq(saved_stderr, -1);
	fflush(stderr);
	captured = tmpfile();
	ck_assert_ptr_nonnull(captured);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_ge(dup2(fileno(captured), STDERR_FILENO), 0);
}

char *test_stderr_release(void)
{
	ck_assert_int_ge(saved_stderr, 0);
	fflush(stderr);
	ck_assert_int_ge(dup2(saved_stderr, STDERR_FILENO), 0);
	close(saved_stderr);
	saved_stderr = -1;
	long n = ftell(captured);
	ck_assert_int_ge(n, 0);
	char *text = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	rewind(captured);
	size_t got = fread(text, 1, (size_t)n, captured);
	text[got] = '\0';
	fclose(captured);
	captured = NULL;
	return text;
}

int test_silent_listener(char *url, size_t urllen)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(fd, 1024), 0); /* and never accept() */
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	snprintf(url, urllen, "http://127.0.0.1:%u", ntohs(a.sin_port));
	return fd;
}

int test_state_dir_open(const char *path)
{
	char err[256] = "";
	int fd = state_dir_open(path, err, sizeof(err));
	ck_assert_msg(fd >= 0, "state_dir_open(%s): %s", path, err);
	return fd;
}

int test_state_dir_make(char *dir, size_t len, const char *prefix)
{
	snprintf(dir, len, "/tmp/%s-XXXXXX", prefix);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return test_state_dir_open(dir);
}

void test_state_dir_remove(const char *dir, int *fd)
{
	char cmd[128];
	close(*fd);
	*fd = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
