/* settings.h: environment variables declared in a table and read into a
 * struct, with one set of checks and one wording of every refusal.
 *
 * Owned by src/lib/settings.c. The core's shared settings (config.c) and
 * each module's own (src/modules/<module>/settings.c) are such tables: a
 * row names the variable, its kind, its default, its bounds and the field
 * of the struct it fills (an offset, so one table serves any number of
 * loaded configs). A refused value stops start-up with one line that names
 * the variable; a secret's value is never in that line, nor anywhere else
 * this code writes.
 *
 * Ownership: settings_load() allocates the strings of URL and SECRET
 * fields into the caller's struct; settings_free() releases them.
 */
#ifndef LIB_SETTINGS_H
#define LIB_SETTINGS_H

#include <stddef.h>

enum setting_kind {
	SETTING_KIND_URL,    /* char *: http:// or https:// base URL, trailing '/' dropped */
	SETTING_KIND_LONG,   /* long: a whole number in [min, max] */
	SETTING_KIND_SIZE,   /* size_t: a byte count in [min, max] */
	SETTING_KIND_BOOL,   /* int: "on" (1) or "off" (0) */
	SETTING_KIND_SECRET, /* char *: printable text, NULL when unset; never printed */
	SETTING_KIND__MAX
};

/* Longest SECRET value accepted (it may end up in a request header). */
#define SETTING_SECRET_MAX 512

struct setting {
	const char *name; /* the environment variable, e.g. "TWEETTIOC_URL" */
	enum setting_kind kind;
	size_t offset;	  /* of the field it fills in the settings struct */
	const char *text; /* default of URL (required) and SECRET (NULL: unset) */
	long dflt;	  /* default of LONG, SIZE and BOOL */
	long min, max;	  /* bounds of LONG and SIZE */
};

/* A table and the size of the struct its offsets point into. */
struct settings_table {
	const struct setting *items;
	size_t n;
	size_t size;
};

/* Rows, type-checked: a field of the wrong type does not compile (the
 * pointer comparison in the offset is a constraint violation). */
#define SETTING_FIELD_(type, field, ctype) \
	(offsetof(type, field) + 0 * sizeof(&((type *)0)->field == (ctype *)0))
#define SETTING_URL(var, type, field, dflt_url)                                 \
	{                                                                       \
		.name = var, .kind = SETTING_KIND_URL,                          \
		.offset = SETTING_FIELD_(type, field, char *), .text = dflt_url \
	}
#define SETTING_LONG(var, type, field, dflt_value, lo, hi)                                  \
	{                                                                                   \
		.name = var, .kind = SETTING_KIND_LONG,                                     \
		.offset = SETTING_FIELD_(type, field, long), .dflt = dflt_value, .min = lo, \
		.max = hi                                                                   \
	}
#define SETTING_SIZE(var, type, field, dflt_value, lo, hi)                                    \
	{                                                                                     \
		.name = var, .kind = SETTING_KIND_SIZE,                                       \
		.offset = SETTING_FIELD_(type, field, size_t), .dflt = dflt_value, .min = lo, \
		.max = hi                                                                     \
	}
#define SETTING_BOOL(var, type, field, dflt_on)                             \
	{                                                                   \
		.name = var, .kind = SETTING_KIND_BOOL,                     \
		.offset = SETTING_FIELD_(type, field, int), .dflt = dflt_on \
	}
#define SETTING_SECRET(var, type, field)                                    \
	{                                                                   \
		.name = var, .kind = SETTING_KIND_SECRET,                   \
		.offset = SETTING_FIELD_(type, field, char *), .text = NULL \
	}

/* Fills the fields of `block` (table->size bytes, zeroed by the caller) from
 * `get` (getenv, or a test's table): a variable unset or empty takes its
 * default. Returns 0, or -1 with a one-line message naming the variable in
 * `err`; what was filled before stays in `block` for settings_free(). */
int settings_load(const struct settings_table *table, void *block,
		  const char *(*get)(const char *name), char *err, size_t errlen);

/* Frees the strings settings_load() put into `block` and clears them (not
 * the block itself). Safe on a zeroed block. */
void settings_free(const struct settings_table *table, void *block);

/* Parses a decimal whole number in [min, max], spaces around allowed, no
 * '+'. Returns 0 with *out set, or -1. */
int settings_parse_long(const char *text, long min, long max, long *out);

/* 1 when `url` starts with http:// or https:// and has more after it. */
int settings_url_ok(const char *url);

/* The row of `name` in `table`, or NULL. */
const struct setting *settings_find(const struct settings_table *table, const char *name);

#endif
