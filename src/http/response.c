/* response.c: builds the SecureX envelope (data / errors) and renders it. */
#include "http/response.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json_get.h"
#include "lib/json_print.h"
#include "lib/utf8.h"

#define RESPONSE_MESSAGE_MAX 2048

/* Formats a message into msg (RESPONSE_MESSAGE_MAX bytes) as valid UTF-8:
 * a message cut by the buffer ends on a character boundary, and any invalid
 * byte a caller passed through (a quoted header, an upstream's text)
 * becomes U+FFFD, so the answer always decodes. */
static void format_message(char *msg, const char *fmt, va_list ap)
{
	int n = vsnprintf(msg, RESPONSE_MESSAGE_MAX, fmt, ap);
	if (n < 0) {
		msg[0] = '\0';
		return;
	}
	size_t len = strlen(msg);
	if ((size_t)n >= RESPONSE_MESSAGE_MAX) {
		/* vsnprintf cut at a byte: drop a partial last character. */
		size_t lead = len;
		while (lead > 0 && ((unsigned char)msg[lead - 1] & 0xC0) == 0x80)
			lead--;
		if (lead > 0 && !utf8_valid(msg + lead - 1, len - lead + 1))
			len = lead - 1;
		msg[len] = '\0';
	}
	if (!utf8_valid(msg, len)) {
		char clean[RESPONSE_MESSAGE_MAX];
		utf8_sanitize(msg, len, clean, sizeof(clean));
		memcpy(msg, clean, strlen(clean) + 1);
	}
}

void response_init(struct relay_response *res)
{
	memset(res, 0, sizeof(*res));
	res->status = 200;
}

void response_free(struct relay_response *res)
{
	cJSON_Delete(res->data);
	cJSON_Delete(res->errors);
	cJSON_Delete(res->raw);
	free(res->text);
	free(res->failure_message);
	if (res->cleanup)
		res->cleanup(res->cleanup_arg);
	memset(res, 0, sizeof(*res));
}

void response_set_data(struct relay_response *res, cJSON *data)
{
	cJSON_Delete(res->data);
	res->data = data;
	if (!data)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
}

void response_set_status_ok(struct relay_response *res)
{
	cJSON *data = cJSON_CreateObject();
	if (data && !cJSON_AddStringToObject(data, "status", "ok")) {
		cJSON_Delete(data);
		data = NULL;
	}
	response_set_data(res, data);
}

void response_set_raw(struct relay_response *res, cJSON *raw)
{
	cJSON_Delete(res->raw);
	res->raw = raw;
	if (!raw)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
}

static void set_failure(struct relay_response *res, enum relay_err err, const char *message)
{
	const struct relay_error_info *info = relay_error_info(err);
	cJSON_Delete(res->data);
	cJSON_Delete(res->errors);
	cJSON_Delete(res->raw);
	res->data = res->errors = res->raw = NULL;
	free(res->text);
	res->text = NULL;
	free(res->failure_message);
	res->failure_message = message ? strdup(message) : NULL;
	res->failure = err;
	res->status = info->http_status == 200 ? 500 : info->http_status;
	res->content_type = NULL;
}

void response_fail(struct relay_response *res, enum relay_err err, const char *fmt, ...)
{
	char msg[RESPONSE_MESSAGE_MAX];
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		format_message(msg, fmt, ap);
		va_end(ap);
	}
	set_failure(res, err, fmt ? msg : NULL);
}

void response_add_error(struct relay_response *res, enum relay_err err, const char *fmt, ...)
{
	if (res->failure != RELAY_OK)
		return;
	const struct relay_error_info *info = relay_error_info(err);
	char msg[RESPONSE_MESSAGE_MAX];
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		format_message(msg, fmt, ap);
		va_end(ap);
	}
	/* An internal fault (500) is never an application error in a 200
	 * envelope, whichever path reported it. */
	if (info->http_status != 200) {
		set_failure(res, err, fmt ? msg : NULL);
		return;
	}
	if (!res->errors && !(res->errors = cJSON_CreateArray()))
		goto oom;
	cJSON *e = cJSON_CreateObject();
	if (!e || !cJSON_AddItemToArray(res->errors, e)) {
		cJSON_Delete(e);
		goto oom;
	}
	if (!cJSON_AddStringToObject(e, "type", info->type) ||
	    !cJSON_AddStringToObject(e, "code", info->code) ||
	    !cJSON_AddStringToObject(e, "message", fmt ? msg : info->message))
		goto oom;
	return;
oom:
	set_failure(res, RELAY_ERR_INTERNAL, NULL);
}

int response_has_fatal(const struct relay_response *res)
{
	const cJSON *e;
	cJSON_ArrayForEach (e, res->errors) {
		const char *t = json_get_string(e, "type");
		if (t && strcmp(t, "fatal") == 0)
			return 1;
	}
	return 0;
}

/* Answers print into a per-thread buffer that grows to the largest answer
 * seen, so the front end writes the bytes from where they were printed; a
 * buffer grown past RESPONSE_PRINT_KEEP by one huge answer is given back at
 * the next render. The buffer is freed when its thread ends. */
#define RESPONSE_PRINT_FIRST (64 * 1024)
#define RESPONSE_PRINT_KEEP (4 * 1024 * 1024)

struct print_buffer {
	char *data;
	size_t cap;
};

static pthread_key_t print_key;
static pthread_once_t print_once = PTHREAD_ONCE_INIT;

static void print_buffer_free(void *p)
{
	struct print_buffer *b = p;
	free(b->data);
	free(b);
}

static void print_key_create(void)
{
	pthread_key_create(&print_key, print_buffer_free);
}

static struct print_buffer *print_buffer_get(void)
{
	pthread_once(&print_once, print_key_create);
	struct print_buffer *b = pthread_getspecific(print_key);
	if (!b && (b = calloc(1, sizeof(*b))) && pthread_setspecific(print_key, b) != 0) {
		free(b);
		b = NULL;
	}
	return b;
}

void response_thread_cleanup(void)
{
	pthread_once(&print_once, print_key_create);
	struct print_buffer *b = pthread_getspecific(print_key);
	if (b) {
		pthread_setspecific(print_key, NULL);
		print_buffer_free(b);
	}
}

/* Prints `item` into this thread's buffer; NULL when out of memory. */
static const char *print_json(const cJSON *item, size_t *len)
{
	struct print_buffer *b = print_buffer_get();
	if (!b)
		return NULL;
	if (b->cap > RESPONSE_PRINT_KEEP) {
		free(b->data);
		b->data = NULL;
		b->cap = 0;
	}
	if (!b->data && (b->data = malloc(RESPONSE_PRINT_FIRST)))
		b->cap = RESPONSE_PRINT_FIRST;
	return json_print(item, &b->data, &b->cap, len) == 0 ? b->data : NULL;
}

static const char *render_failure(struct relay_response *res, size_t *len)
{
	const struct relay_error_info *info = relay_error_info(res->failure);
	cJSON *o = cJSON_CreateObject();
	const char *out = NULL;
	if (o && cJSON_AddNumberToObject(o, "code", res->status) &&
	    cJSON_AddStringToObject(o, "message",
				    res->failure_message ? res->failure_message : info->message))
		out = print_json(o, len);
	cJSON_Delete(o);
	if (!out) {
		/* Last resort when even this small object cannot be built. */
		res->status = 500;
		out = RESPONSE_FALLBACK_BODY;
		*len = sizeof(RESPONSE_FALLBACK_BODY) - 1;
	}
	return out;
}

const char *response_render_view(struct relay_response *res, size_t *len)
{
	const char *out = NULL;
	*len = 0;
	if (res->failure != RELAY_OK)
		return render_failure(res, len);
	if (res->text) {
		*len = strlen(res->text);
		return res->text;
	}
	if (res->raw) {
		out = print_json(res->raw, len);
	} else {
		/* The envelope holds data and errors only while printing. Constant
		 * keys allocate nothing, so nothing can fail half-way (cJSON
		 * 1.7.15's AddItemReferenceToObject leaks its reference when the
		 * key copy fails, and a key left out would print a different,
		 * valid-looking answer). */
		cJSON *env = cJSON_CreateObject();
		cJSON *data = res->data || res->errors ? res->data : cJSON_CreateObject();
		if (env && (data || res->errors)) {
			if (data)
				cJSON_AddItemToObjectCS(env, "data", data);
			if (res->errors)
				cJSON_AddItemToObjectCS(env, "errors", res->errors);
			out = print_json(env, len);
			if (res->data)
				cJSON_DetachItemViaPointer(env, res->data);
			if (res->errors)
				cJSON_DetachItemViaPointer(env, res->errors);
		} else if (data != res->data) {
			cJSON_Delete(data);
		}
		cJSON_Delete(env);
	}
	if (!out) {
		set_failure(res, RELAY_ERR_INTERNAL, NULL);
		return render_failure(res, len);
	}
	return out;
}

char *response_render(struct relay_response *res, size_t *len)
{
	const char *view = response_render_view(res, len);
	char *out = malloc(*len + 1);
	if (!out) {
		res->status = 500; /* the caller sends RESPONSE_FALLBACK_BODY */
		return NULL;
	}
	memcpy(out, view, *len);
	out[*len] = '\0';
	return out;
}
