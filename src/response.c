/* response.c: builds the SecureX envelope (data / errors) and renders it. */
#include "response.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESPONSE_MESSAGE_MAX 2048

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
	memset(res, 0, sizeof(*res));
}

void response_set_data(struct relay_response *res, cJSON *data)
{
	cJSON_Delete(res->data);
	res->data = data;
	if (!data)
		response_fail(res, RELAY_ERR_INTERNAL, NULL);
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
		vsnprintf(msg, sizeof(msg), fmt, ap);
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
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
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
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
		if (cJSON_IsString(t) && strcmp(t->valuestring, "fatal") == 0)
			return 1;
	}
	return 0;
}

static char *render_failure(struct relay_response *res, size_t *len)
{
	const struct relay_error_info *info = relay_error_info(res->failure);
	cJSON *o = cJSON_CreateObject();
	char *out = NULL;
	if (o && cJSON_AddNumberToObject(o, "code", res->status) &&
	    cJSON_AddStringToObject(o, "message",
				    res->failure_message ? res->failure_message : info->message))
		out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!out) {
		/* Last resort when even this small object cannot be built. */
		static const char fallback[] =
			"{\"code\":500,\"message\":\"Internal Server Error\"}";
		res->status = 500;
		out = strdup(fallback);
	}
	if (out)
		*len = strlen(out);
	return out;
}

/* Prints into a per-thread buffer first: most answers fit, and cJSON then
 * needs no growing buffer; larger ones take cJSON's own path. */
#define RESPONSE_PRINT_BUFFER (64 * 1024)

static char *print_json(const cJSON *item)
{
	static _Thread_local char buf[RESPONSE_PRINT_BUFFER];
	if (cJSON_PrintPreallocated((cJSON *)item, buf, (int)sizeof(buf), 0))
		return strdup(buf);
	return cJSON_PrintUnformatted(item);
}

char *response_render(struct relay_response *res, size_t *len)
{
	char *out = NULL;
	*len = 0;
	if (res->failure != RELAY_OK)
		return render_failure(res, len);
	if (res->text) {
		out = strdup(res->text);
	} else if (res->raw) {
		out = print_json(res->raw);
	} else {
		/* The envelope borrows data and errors for printing only. */
		cJSON *env = cJSON_CreateObject();
		if (env) {
			if (res->data)
				cJSON_AddItemReferenceToObject(env, "data", res->data);
			if (res->errors)
				cJSON_AddItemReferenceToObject(env, "errors", res->errors);
			if (!res->data && !res->errors)
				cJSON_AddItemToObject(env, "data", cJSON_CreateObject());
			out = print_json(env);
			cJSON_Delete(env);
		}
	}
	if (!out) {
		set_failure(res, RELAY_ERR_INTERNAL, NULL);
		return render_failure(res, len);
	}
	*len = strlen(out);
	return out;
}
