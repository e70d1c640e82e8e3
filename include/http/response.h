/* response.h: the answer being built for one request, and its rendering.
 *
 * A handler adds data and errors; response_render() produces the bytes of
 * the SecureX envelope ({"data": ..., "errors": [...]}), or for routing and
 * internal failures {"code": <status>, "message": ...}, or a raw body.
 *
 * Ownership: the response owns `data`, `errors` and `raw`; response_free()
 * releases them. Functions that take a cJSON* take ownership of it, also on
 * failure (it is freed then).
 */
#ifndef RESPONSE_H
#define RESPONSE_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "http/relay_error.h"

struct relay_response {
	int status;		  /* HTTP status, 200 unless a failure says otherwise */
	cJSON *data;		  /* value of "data", NULL = no data key */
	cJSON *errors;		  /* array of error objects, NULL = none */
	cJSON *raw;		  /* when set: the whole body, no envelope (/version) */
	char *text;		  /* when set: a non-JSON body (/metrics), owned */
	const char *content_type; /* NULL = application/json */
	enum relay_err
		failure;       /* non-application failure (404/405/413/500/503), RELAY_OK if none */
	char *failure_message; /* owned, may be NULL */
	/* Runs in response_free, after the trees are deleted: a module that
	 * lets `data` borrow strings from something it holds (the feed copy)
	 * lets go of it here. */
	void (*cleanup)(void *arg);
	void *cleanup_arg;
};

/* The 500 answer when even the error answer cannot be allocated. */
#define RESPONSE_FALLBACK_BODY "{\"code\":500,\"message\":\"Internal Server Error\"}"

void response_init(struct relay_response *res);
void response_free(struct relay_response *res);

/* Sets "data" (replacing any previous value); NULL (out of memory) makes
 * the response a 500. */
void response_set_data(struct relay_response *res, cJSON *data);

/* Sets "data" to {"status": "ok"}, what every module's /health answers when
 * it can serve; a 500 when out of memory. */
void response_set_status_ok(struct relay_response *res);

/* Appends an application error {type, code, message} for `err`; a NULL
 * `fmt` uses the table's default message. An `err` whose HTTP status is not
 * 200 (RELAY_ERR_INTERNAL, ...) becomes response_fail() instead. On
 * allocation failure the response becomes a 500. */
void response_add_error(struct relay_response *res, enum relay_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Turns the whole response into a non-application failure (404, 405, 413,
 * 500, 503): data and errors are dropped. A NULL `fmt` uses the default. */
void response_fail(struct relay_response *res, enum relay_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Sets a body sent as is, without the envelope. */
void response_set_raw(struct relay_response *res, cJSON *raw);

/* True when at least one error of type fatal has been added. */
int response_has_fatal(const struct relay_response *res);

/* Renders the body and stores its length in *len. The bytes live in this
 * thread's print buffer (or in `res`) until the next render on this thread
 * or response_free(); never NULL: when out of memory the status becomes 500
 * and the body RESPONSE_FALLBACK_BODY. */
const char *response_render_view(struct relay_response *res, size_t *len);

/* The same, copied into a new NUL-terminated string (free() it); NULL only
 * when that copy cannot be allocated (the status is then 500). */
char *response_render(struct relay_response *res, size_t *len);

/* Frees this thread's print buffer; worker threads call it as they end. */
void response_thread_cleanup(void);

#endif
