/* testutil.h: shared helpers for the Check unit tests (config, calls, fixtures). */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "config.h"

/* The environment of a test: NULL-terminated name/value pairs (borrowed
 * until the next call). test_env_get() is a getenv() over them, for
 * config_load() and settings_load(); NULL for a name not listed. */
void test_env_use(const char *const *env);
const char *test_env_get(const char *name);

/* Runs `suite` (Check, CK_NORMAL) and returns main()'s exit status. */
int test_run_suite(Suite *suite);

/* A loopback socket that listens and never accepts: an upstream that never
 * answers (connections complete, requests wait). Writes its base URL
 * (http://127.0.0.1:<port>) into `url`; returns the socket (close() it). */
int test_silent_listener(char *url, size_t urllen);

/* Loads a config from NULL-terminated name/value pairs (other variables
 * unset); RELAY_AUTH defaults to none here. Aborts the test on failure. */
void test_config_load(struct relay_config *cfg, const char *const *env);

/* Runs one request through router_precheck + router_handle and parses the
 * rendered body (NULL if not JSON). *status gets the HTTP status; *raw (if
 * not NULL) the body text (free() it). */
cJSON *test_call(const struct relay_config *cfg, const char *method, const char *path,
		 const char *body, int *status, char **raw);

/* Reads a whole file (NUL-terminated) or aborts. */
char *test_read_file(const char *path, size_t *len);

/* Loads a feed JSON file as the current tweettioc copy. */
void test_load_feed_file(const char *path);
void test_load_feed_json(const char *json);

/* The first "errors" entry's code, or NULL. */
const char *test_error_code(const cJSON *answer, int index);

/* Expected stderr: test_stderr_capture() sends fd 2 to a temporary file,
 * test_stderr_release() restores it and returns what was written (free()
 * it), so a passing run shows no line that looks like a failure and the
 * test can check the text. A test that dies (abort) needs no release. */
void test_stderr_capture(void);
char *test_stderr_release(void);

/* A new private temporary directory (/tmp/<prefix>-XXXXXX) written into
 * dir (len bytes), opened as the relay opens its state directory; returns
 * the descriptor. test_state_dir_remove() closes it, removes the directory
 * and sets *fd to -1. Both abort the test on failure. */
int test_state_dir_make(char *dir, size_t len, const char *prefix);
/* `path` opened as the relay opens its state directory, or the test aborts. */
int test_state_dir_open(const char *path);
void test_state_dir_remove(const char *dir, int *fd);

#endif
