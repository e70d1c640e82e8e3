/* test_module_type.c: module types follow the module's hooks; the commands' arguments. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/module_type.h"
#include "module.h"
#include "module_type.h"
#include "testutil.h"

static void hook_health(const struct relay_request *req, struct relay_response *res)
{
	(void)req, (void)res;
}

static void hook_observe(const struct relay_request *req, const struct observable_list *obs,
			 struct relay_response *res)
{
	(void)req, (void)obs, (void)res;
}

/* A module as threatfox will be: health and observe only, and an API key. */
static const struct module_type_field key_fields[] = {
	{"custom_key", "api_key", "Auth-Key", "The tenant's ThreatFox Auth-Key", 1},
	{NULL, NULL, NULL, NULL, 0},
};
static const struct module_type_link links[] = {
	{"Home", "https://example.org/"},
	{NULL, NULL},
};
static const struct module_type_info info = {
	.title = "Test",
	.default_name = "Test",
	.short_description = "s",
	.description = "d",
	.tips = "t",
	.logo_svg = "<svg/>",
	.links = links,
	.fields = key_fields,
	.health = "h",
	.observe = "o",
	.refer = "never used: no refer hook",
};
static const struct relay_module fake = {
	.id = "fake",
	.title = "Fake",
	.type_info = &info,
	.health = hook_health,
	.observe = hook_observe,
};

static struct cli_target target_for(const struct relay_module *m)
{
	struct cli_target t;
	memset(&t, 0, sizeof(t));
	t.module = m;
	snprintf(t.base_url, sizeof(t.base_url), "https://relay.example.com");
	snprintf(t.module_url, sizeof(t.module_url), "https://relay.example.com/%s", m->id);
	t.region = "eu";
	t.api_host = "visibility.eu.amp.cisco.com";
	return t;
}

static const char *item_str(const cJSON *list, int i, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(list, i), key);
	ck_assert_msg(cJSON_IsString(v), "%s[%d] is not a string", key, i);
	return v->valuestring;
}

START_TEST(capabilities_and_apis_are_the_hooks_the_module_has)
{
	struct cli_target t = target_for(&fake);
	cJSON *mt = module_type_build(&t);
	ck_assert_ptr_nonnull(mt);
	const cJSON *caps = cJSON_GetObjectItemCaseSensitive(mt, "capabilities");
	ck_assert_int_eq(cJSON_GetArraySize(caps), 2);
	ck_assert_str_eq(item_str(caps, 0, "id"), "health");
	ck_assert_str_eq(item_str(caps, 1, "id"), "observe");
	ck_assert_str_eq(item_str(caps, 1, "description"), "o");
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(mt, "properties");
	const cJSON *apis = cJSON_GetObjectItemCaseSensitive(props, "supported-apis");
	ck_assert_int_eq(cJSON_GetArraySize(apis), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(apis, 0)->valuestring, "health");
	ck_assert_str_eq(cJSON_GetArrayItem(apis, 1)->valuestring, "observe/observables");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(props, "url")->valuestring,
			 "https://relay.example.com/fake");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(props, "configuration-token-audience")
				 ->valuestring,
			 "https://relay.example.com/fake");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(props, "custom_jwks_host")->valuestring,
			 "visibility.eu.amp.cisco.com");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(mt, "logo")->valuestring,
			 "data:image/svg+xml;base64,PHN2Zy8+");
	cJSON_Delete(mt);
}
END_TEST

START_TEST(a_modules_own_fields_come_before_the_entities_limit)
{
	struct cli_target t = target_for(&fake);
	cJSON *mt = module_type_build(&t);
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(mt, "configuration_spec");
	ck_assert_int_eq(cJSON_GetArraySize(spec), 2);
	ck_assert_str_eq(item_str(spec, 0, "key"), "custom_key");
	ck_assert_str_eq(item_str(spec, 0, "type"), "api_key");
	ck_assert(cJSON_IsTrue(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(spec, 0), "required")));
	ck_assert_str_eq(item_str(spec, 1, "key"), "custom_CTR_ENTITIES_LIMIT");
	ck_assert_str_eq(item_str(spec, 1, "type"), "integer");
	cJSON_Delete(mt);
}
END_TEST

START_TEST(every_compiled_module_has_its_texts_for_every_hook)
{
	for (const struct relay_module *const *m = modules_all(); *m; m++) {
		const struct module_type_info *i = (*m)->type_info;
		ck_assert_msg(i != NULL, "%s has no module type texts", (*m)->id);
		ck_assert(i->title && i->default_name && i->short_description && i->description &&
			  i->tips && i->logo_svg && i->links && i->links[0].label);
		ck_assert_msg(!(*m)->health || i->health, "%s: health", (*m)->id);
		ck_assert_msg(!(*m)->deliberate || i->deliberate, "%s: deliberate", (*m)->id);
		ck_assert_msg(!(*m)->observe || i->observe, "%s: observe", (*m)->id);
		ck_assert_msg(!(*m)->refer || i->refer, "%s: refer", (*m)->id);
		ck_assert_msg(!(*m)->tiles || i->tiles, "%s: tiles", (*m)->id);
		struct cli_target t = target_for(*m);
		cJSON *mt = module_type_build(&t);
		ck_assert_ptr_nonnull(mt);
		cJSON_Delete(mt);
	}
}
END_TEST

START_TEST(a_module_without_texts_has_no_module_type)
{
	struct relay_module bare = fake;
	bare.type_info = NULL;
	struct cli_target t = target_for(&bare);
	ck_assert_ptr_null(module_type_build(&t));
}
END_TEST

/* cli_parse_target on a NULL-ended argument list; its stderr line in *err. */
static int parse(int region_required, struct cli_target *t, int *status, char **err,
		 const char *const *args)
{
	char *argv[16];
	int argc = 0;
	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	test_stderr_capture();
	int rc = cli_parse_target("module-type", argc, argv, region_required, t, status);
	*err = test_stderr_release();
	return rc;
}

START_TEST(the_base_url_loses_trailing_slashes_and_must_be_https)
{
	struct cli_target t;
	int status = -1;
	char *err;
	const char *ok[] = {"module-type", "cybercrime", "--url", "https://r.example.com/x//",
			    NULL};
	ck_assert_int_eq(parse(0, &t, &status, &err, ok), 0);
	ck_assert_str_eq(err, "");
	free(err);
	ck_assert_str_eq(t.base_url, "https://r.example.com/x");
	ck_assert_str_eq(t.module_url, "https://r.example.com/x/cybercrime");
	ck_assert_str_eq(t.region, "us");
	ck_assert_str_eq(t.api_host, "visibility.amp.cisco.com");

	const char *bad[][6] = {
		{"module-type", "cybercrime", "--url", "http://r.example.com", NULL},
		{"module-type", "cybercrime", "--url", "https://r.example.com/?q", NULL},
		{"module-type", "cybercrime", "--url", "https://", NULL},
		{"module-type", "cybercrime", "--url", "https://r.example.com/a`b", NULL},
		{"module-type", "cybercrime", "--url", "https://user@r.example.com", NULL},
		{"module-type", "nope", "--url", "https://r.example.com", NULL},
		{"module-type", "cybercrime", "--url", "https://r.example.com", "--region"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[8] = {0};
		memcpy(args, bad[i], sizeof(bad[i]));
		status = -1;
		ck_assert_int_eq(parse(0, &t, &status, &err, args), -1);
		ck_assert_int_eq(status, 2);
		ck_assert_msg(strncmp(err, "securex-relay module-type: ", 27) == 0 &&
				      strchr(err, '\n') == err + strlen(err) - 1,
			      "case %zu: %s", i, err);
		free(err);
	}
}
END_TEST

START_TEST(region_picks_the_visibility_host_and_may_be_required)
{
	struct cli_target t;
	int status;
	char *err;
	const char *eu[] = {
		"register", "tweettioc", "--region", "eu", "--url", "https://r.example.com", NULL};
	ck_assert_int_eq(parse(1, &t, &status, &err, eu), 0);
	free(err);
	ck_assert_str_eq(t.api_host, "visibility.eu.amp.cisco.com");
	const char *apjc[] = {"register", "--region=apjc", "tweettioc",
			      "--url=https://r.example.com", NULL};
	ck_assert_int_eq(parse(1, &t, &status, &err, apjc), 0);
	free(err);
	ck_assert_str_eq(t.api_host, "visibility.apjc.amp.cisco.com");
	const char *none[] = {"register", "tweettioc", "--url", "https://r.example.com", NULL};
	ck_assert_int_eq(parse(1, &t, &status, &err, none), -1);
	ck_assert_ptr_nonnull(strstr(err, "--region is missing"));
	free(err);
}
END_TEST

static Suite *module_type_suite(void)
{
	Suite *s = suite_create("module_type");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, capabilities_and_apis_are_the_hooks_the_module_has);
	tcase_add_test(tc, a_modules_own_fields_come_before_the_entities_limit);
	tcase_add_test(tc, every_compiled_module_has_its_texts_for_every_hook);
	tcase_add_test(tc, a_module_without_texts_has_no_module_type);
	tcase_add_test(tc, the_base_url_loses_trailing_slashes_and_must_be_https);
	tcase_add_test(tc, region_picks_the_visibility_host_and_may_be_required);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(module_type_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
