/* test_settings.c: a settings table read from the environment (lib/settings):
 * each kind's parsing and defaults, and each refusal naming the variable
 * without ever showing a secret. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/settings.h"
#include "testutil.h"

struct sample {
	char *url;
	long count;
	size_t bytes;
	int lookup;
	char *key;
};

static const struct setting items[] = {
	SETTING_URL("SAMPLE_URL", struct sample, url, "https://api.example.com/"),
	SETTING_LONG("SAMPLE_COUNT", struct sample, count, 50, 1, 100000),
	SETTING_SIZE("SAMPLE_BYTES", struct sample, bytes, 67108864, 1024, 1L << 32),
	SETTING_BOOL("SAMPLE_LOOKUP", struct sample, lookup, 1),
	SETTING_SECRET("SAMPLE_KEY", struct sample, key),
};
static const struct settings_table table = {items, sizeof(items) / sizeof(items[0]),
					    sizeof(struct sample)};

/* Loads `vars`; returns settings_load's result, the message in err. */
static int load(const char *const *vars, struct sample *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	test_env_use(vars);
	err[0] = '\0';
	return settings_load(&table, s, test_env_get, err, errlen);
}

START_TEST(unset_and_empty_variables_take_the_defaults)
{
	static const char *const vars[] = {"SAMPLE_COUNT", "", "SAMPLE_LOOKUP", "", NULL};
	struct sample s;
	char err[256];
	ck_assert_int_eq(load(vars, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s.url, "https://api.example.com"); /* trailing slash dropped */
	ck_assert_int_eq(s.count, 50);
	ck_assert_uint_eq(s.bytes, 67108864);
	ck_assert_int_eq(s.lookup, 1);
	ck_assert_ptr_null(s.key);
	settings_free(&table, &s);
	ck_assert_ptr_null(s.url);
}
END_TEST

START_TEST(each_kind_reads_its_values)
{
	static const char *const vars[] = {"SAMPLE_URL",
					   "http://127.0.0.1:8080//",
					   "SAMPLE_COUNT",
					   " 7 ",
					   "SAMPLE_BYTES",
					   "4294967296",
					   "SAMPLE_LOOKUP",
					   "off",
					   "SAMPLE_KEY",
					   "0123456789abcdef",
					   NULL};
	struct sample s;
	char err[256];
	ck_assert_int_eq(load(vars, &s, err, sizeof(err)), 0);
	ck_assert_str_eq(s.url, "http://127.0.0.1:8080");
	ck_assert_int_eq(s.count, 7);
	ck_assert_uint_eq(s.bytes, 4294967296u);
	ck_assert_int_eq(s.lookup, 0);
	ck_assert_str_eq(s.key, "0123456789abcdef");
	settings_free(&table, &s);
	ck_assert_ptr_null(s.key);
}
END_TEST

START_TEST(refusals_name_the_variable_and_the_bounds)
{
	static const struct {
		const char *name, *value, *message;
	} cases[] = {
		{"SAMPLE_URL", "ftp://x",
		 "SAMPLE_URL: expected an http:// or https:// URL, got \"ftp://x\""},
		{"SAMPLE_URL", "https://",
		 "SAMPLE_URL: expected an http:// or https:// URL, got "
		 "\"https://\""},
		{"SAMPLE_COUNT", "0",
		 "SAMPLE_COUNT: expected a whole number from 1 to 100000, got "
		 "\"0\""},
		{"SAMPLE_COUNT", "+5",
		 "SAMPLE_COUNT: expected a whole number from 1 to 100000, "
		 "got \"+5\""},
		{"SAMPLE_BYTES", "1023",
		 "SAMPLE_BYTES: expected a whole number from 1024 to "
		 "4294967296, got \"1023\""},
		{"SAMPLE_LOOKUP", "yes", "SAMPLE_LOOKUP: expected on or off, got \"yes\""},
		{"SAMPLE_LOOKUP", "ON", "SAMPLE_LOOKUP: expected on or off, got \"ON\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const vars[] = {cases[i].name, cases[i].value, NULL};
		struct sample s;
		char err[256];
		ck_assert_int_eq(load(vars, &s, err, sizeof(err)), -1);
		ck_assert_str_eq(err, cases[i].message);
		settings_free(&table, &s);
	}
}
END_TEST

/* A secret that cannot go into a header is refused, and the message never
 * quotes it, whatever it holds. */
START_TEST(a_refused_secret_is_never_shown)
{
	char long_key[SETTING_SECRET_MAX + 2];
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	const char *const bad[] = {"sec ret-1", "secret-2\r\nX-Injected: 1",
				   "s\xC3\xA9"
				   "cret-3",
				   long_key};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const vars[] = {"SAMPLE_KEY", bad[i], NULL};
		struct sample s;
		char err[256];
		ck_assert_int_eq(load(vars, &s, err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "SAMPLE_KEY"));
		ck_assert_ptr_nonnull(strstr(err, "not shown"));
		ck_assert_ptr_null(strstr(err, "secret"));
		ck_assert_ptr_null(strstr(err, "kkkk"));
		ck_assert_ptr_null(s.key);
		settings_free(&table, &s);
	}
}
END_TEST

START_TEST(find_returns_the_row_of_a_variable)
{
	ck_assert_ptr_eq(settings_find(&table, "SAMPLE_BYTES"), &items[2]);
	ck_assert_ptr_null(settings_find(&table, "SAMPLE"));
	ck_assert_int_eq(settings_url_ok("https://x"), 1);
	ck_assert_int_eq(settings_url_ok("https://"), 0);
}
END_TEST

static Suite *settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, unset_and_empty_variables_take_the_defaults);
	tcase_add_test(tc, each_kind_reads_its_values);
	tcase_add_test(tc, refusals_name_the_variable_and_the_bounds);
	tcase_add_test(tc, a_refused_secret_is_never_shown);
	tcase_add_test(tc, find_returns_the_row_of_a_variable);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run_suite(settings_suite());
}
