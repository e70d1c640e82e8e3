/* testutil.h: shared helpers for the Check unit tests (config, calls, fixtures). */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "config.h"

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

#endif
