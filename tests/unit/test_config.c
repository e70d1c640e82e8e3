/* test_config.c: the environment into a config: the shared settings, each
 * module's own settings table, and the refusals that name the variable. */
#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lib/settings.h"
#include "module.h"
#include "modules/cybercrime/settings.h"
#include "modules/tweettioc/settings.h"
#include "testutil.h"

/* The environment of a test: NULL-terminated name/value pairs. */
START_TEST(config_refuses_bad_values_naming_the_variable)
{
	static const char *const cases[][2] = {
		{"RELAY_MODULES", "tweettioc,nosuch"},
		{"RELAY_AUTH", "bogus"},
		{"RELAY_MAX_BODY", "12abc"},
		{"RELAY_UPSTREAM_TIMEOUT_MS", "-5"},
		{"RELAY_MAX_ANSWER_BYTES", "100"},
		{"TWEETTIOC_URL", "ftp://x"},
		{"TWEETTIOC_REFRESH_SECONDS", "0"},
		{"TWEETTIOC_MAX_BYTES", "1e9"},
		{"CYBERCRIME_URL", "cybercrime-tracker.net"},
		{"CYBERCRIME_CACHE_SECONDS", "soon"},
		{"CYBERCRIME_MAX_LOOKUPS", "100001"},
		{"RELAY_MODULES", "tweettioc,tweettioc"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct relay_config c;
		char err[256] = "";
		const char *const one[] = {cases[i][0], cases[i][1], NULL};
		test_env_use(one);
		ck_assert_int_eq(config_load(&c, test_env_get, err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, cases[i][0]) != NULL, "%s: %s", cases[i][0], err);
	}
}
END_TEST

/* A module's variables are checked whether or not RELAY_MODULES enables
 * it, as before they moved into the module's table. */
START_TEST(config_checks_the_settings_of_modules_not_enabled)
{
	static const char *const vars[] = {"RELAY_MODULES",  "tweettioc", "RELAY_AUTH", "none",
					   "CYBERCRIME_URL", "x",	  NULL};
	struct relay_config c;
	char err[256] = "";
	test_env_use(vars);
	ck_assert_int_eq(config_load(&c, test_env_get, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "CYBERCRIME_URL: expected an http:// or https:// URL, got \"x\"");
}
END_TEST

START_TEST(config_defaults_follow_the_documentation)
{
	struct relay_config c;
	char err[256];
	/* jwt mode, the default, needs its audience configured. */
	static const char *const vars[] = {"RELAY_PUBLIC_URL", "https://relay.example.com", NULL};
	test_env_use(vars);
	ck_assert_int_eq(config_load(&c, test_env_get, err, sizeof(err)), 0);
	ck_assert_str_eq(c.modules[0], "tweettioc");
	ck_assert_int_eq(c.auth_mode, AUTH_MODE_JWT);
	ck_assert_uint_eq(c.n_jwks_hosts, 3);
	ck_assert_uint_eq(c.max_body, 1048576);
	ck_assert_int_eq(c.upstream_timeout_ms, 10000);
	ck_assert_int_eq(c.request_deadline_ms, 20000);
	ck_assert_uint_eq(c.max_answer_bytes, 8388608);
	ck_assert_int_eq(c.entities_limit, 100);
	const struct tweettioc_settings *t = tweettioc_settings(&c);
	ck_assert_ptr_nonnull(t);
	ck_assert_str_eq(t->url, "http://www.tweettioc.com");
	ck_assert_int_eq(t->refresh_seconds, 300);
	ck_assert_uint_eq(t->max_bytes, 268435456);
	ck_assert_int_eq(t->retention_days, 30);
	ck_assert_int_eq(t->full_refresh_seconds, 86400);
	const struct cybercrime_settings *cc = cybercrime_settings(&c);
	ck_assert_ptr_nonnull(cc);
	ck_assert_str_eq(cc->url, "http://cybercrime-tracker.net");
	ck_assert_int_eq(cc->cache_seconds, 3600);
	ck_assert_int_eq(cc->max_lookups, 200);
	config_free(&c);
	ck_assert_ptr_null(tweettioc_settings(&c)); /* freed and cleared */
}
END_TEST

/* Each loaded config owns its module settings: two configs side by side
 * keep their own values (tests load many). */
START_TEST(module_settings_belong_to_their_config)
{
	struct relay_config a, b;
	char err[256];
	static const char *const vars_a[] = {"RELAY_AUTH", "none", "TWEETTIOC_REFRESH_SECONDS",
					     "60", NULL};
	static const char *const vars_b[] = {"RELAY_AUTH", "none", "TWEETTIOC_REFRESH_SECONDS",
					     "7200", NULL};
	test_env_use(vars_a);
	ck_assert_int_eq(config_load(&a, test_env_get, err, sizeof(err)), 0);
	test_env_use(vars_b);
	ck_assert_int_eq(config_load(&b, test_env_get, err, sizeof(err)), 0);
	ck_assert_int_eq(tweettioc_settings(&a)->refresh_seconds, 60);
	ck_assert_int_eq(tweettioc_settings(&b)->refresh_seconds, 7200);
	config_free(&a);
	config_free(&b);
	struct relay_config zero;
	memset(&zero, 0, sizeof(zero));
	ck_assert_ptr_null(tweettioc_settings(&zero));
	ck_assert_ptr_null(cybercrime_settings(NULL));
}
END_TEST

/* A module's variables are named after it (TWEETTIOC_* for tweettioc), so
 * no two modules can declare the same one; none is a shared RELAY_ one. */
START_TEST(every_module_variable_carries_its_module_name)
{
	const struct relay_module *const *all = modules_all();
	for (size_t i = 0; all[i]; i++) {
		const struct settings_table *t = all[i]->settings;
		ck_assert_msg(t != NULL, "%s declares no settings table", all[i]->id);
		char prefix[64];
		size_t n = strlen(all[i]->id);
		ck_assert_uint_lt(n + 1, sizeof(prefix));
		for (size_t k = 0; k < n; k++)
			prefix[k] = (char)toupper((unsigned char)all[i]->id[k]);
		prefix[n] = '_';
		prefix[n + 1] = '\0';
		for (size_t k = 0; k < t->n; k++) {
			const char *name = t->items[k].name;
			ck_assert_msg(strncmp(name, prefix, n + 1) == 0, "%s: %s", all[i]->id,
				      name);
			ck_assert_uint_le(t->items[k].offset, t->size - 1);
			for (size_t j = 0; j < k; j++)
				ck_assert_str_ne(t->items[j].name, name);
		}
	}
}
END_TEST

START_TEST(entities_limit_falls_back_on_invalid_values)
{
	ck_assert_int_eq(config_parse_entities_limit("5", 100), 5);
	ck_assert_int_eq(config_parse_entities_limit("0", 100), 100);
	ck_assert_int_eq(config_parse_entities_limit("-3", 100), 100);
	ck_assert_int_eq(config_parse_entities_limit("ten", 100), 100);
	ck_assert_int_eq(config_parse_entities_limit("", 100), 100);
	ck_assert_int_eq(config_parse_entities_limit(NULL, 100), 100);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, config_refuses_bad_values_naming_the_variable);
	tcase_add_test(tc, config_checks_the_settings_of_modules_not_enabled);
	tcase_add_test(tc, config_defaults_follow_the_documentation);
	tcase_add_test(tc, module_settings_belong_to_their_config);
	tcase_add_test(tc, every_module_variable_carries_its_module_name);
	tcase_add_test(tc, entities_limit_falls_back_on_invalid_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(config_suite());
}
