/* settings.c: a table of environment variables read into a struct: URLs,
 * bounded numbers and sizes, on/off switches and secrets, each checked and
 * each refusal worded once (see lib/settings.h). */
#include "lib/settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int settings_parse_long(const char *text, long min, long max, long *out)
{
	if (!text || !*text)
		return -1;
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '+')
		return -1;
	char *end;
	errno = 0;
	long v = strtol(p, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int settings_url_ok(const char *url)
{
	return (strncmp(url, "http://", 7) == 0 && url[7]) ||
	       (strncmp(url, "https://", 8) == 0 && url[8]);
}

/* Printable ASCII without spaces: a secret goes into headers as it is. */
static int secret_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7F)
			return 0;
	return n <= SETTING_SECRET_MAX;
}

static int load_one(const struct setting *s, char *field, const char *v, char *err, size_t errlen)
{
	long n;
	switch (s->kind) {
	case SETTING_KIND_URL: {
		const char *url = v ? v : s->text;
		if (!url || !settings_url_ok(url))
			return fail(err, errlen,
				    "%s: expected an http:// or https:// URL, got \"%.64s\"",
				    s->name, url ? url : "");
		size_t len = strlen(url);
		while (len > 0 && url[len - 1] == '/')
			len--;
		char *copy = strndup(url, len);
		if (!copy)
			return fail(err, errlen, "out of memory");
		memcpy(field, &copy, sizeof(copy));
		return 0;
	}
	case SETTING_KIND_LONG:
	case SETTING_KIND_SIZE:
		n = s->dflt;
		if (v && settings_parse_long(v, s->min, s->max, &n) != 0)
			return fail(err, errlen,
				    "%s: expected a whole number from %ld to %ld, got \"%.64s\"",
				    s->name, s->min, s->max, v);
		if (s->kind == SETTING_KIND_LONG) {
			memcpy(field, &n, sizeof(n));
		} else {
			size_t z = (size_t)n;
			memcpy(field, &z, sizeof(z));
		}
		return 0;
	case SETTING_KIND_BOOL: {
		int on = s->dflt != 0;
		if (v && strcmp(v, "on") == 0)
			on = 1;
		else if (v && strcmp(v, "off") == 0)
			on = 0;
		else if (v)
			return fail(err, errlen, "%s: expected on or off, got \"%.64s\"", s->name,
				    v);
		memcpy(field, &on, sizeof(on));
		return 0;
	}
	case SETTING_KIND_SECRET: {
		const char *secret = v ? v : s->text;
		if (!secret)
			return 0;
		if (!secret_ok(secret)) /* the value itself is never shown */
			return fail(err, errlen,
				    "%s: expected 1 to %d printable characters without spaces "
				    "(the value is not shown)",
				    s->name, SETTING_SECRET_MAX);
		char *copy = strdup(secret);
		if (!copy)
			return fail(err, errlen, "out of memory");
		memcpy(field, &copy, sizeof(copy));
		return 0;
	}
	default: return fail(err, errlen, "%s: unknown kind of setting", s->name);
	}
}

int settings_load(const struct settings_table *table, void *block,
		  const char *(*get)(const char *name), char *err, size_t errlen)
{
	for (size_t i = 0; table && i < table->n; i++) {
		const struct setting *s = &table->items[i];
		const char *v = get(s->name);
		if (v && !*v)
			v = NULL; /* set but empty: the default */
		if (load_one(s, (char *)block + s->offset, v, err, errlen) != 0)
			return -1;
	}
	return 0;
}

void settings_free(const struct settings_table *table, void *block)
{
	for (size_t i = 0; table && block && i < table->n; i++) {
		const struct setting *s = &table->items[i];
		if (s->kind != SETTING_KIND_URL && s->kind != SETTING_KIND_SECRET)
			continue;
		char *field = (char *)block + s->offset, *str;
		memcpy(&str, field, sizeof(str));
		if (str && s->kind == SETTING_KIND_SECRET)
			explicit_bzero(str, strlen(str)); /* no secret lingers in freed memory */
		free(str);
		str = NULL;
		memcpy(field, &str, sizeof(str));
	}
}

const struct setting *settings_find(const struct settings_table *table, const char *name)
{
	for (size_t i = 0; table && i < table->n; i++)
		if (strcmp(table->items[i].name, name) == 0)
			return &table->items[i];
	return NULL;
}
