/* test_uuid5.c: name-based UUIDs against published vectors, and stable ids. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ctim/entities.h"
#include "ctim/uuid5.h"

/* RFC 9562 appendix A's namespace ids (6ba7b810-...). */
static const unsigned char NS_DNS[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
					 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
static const unsigned char NS_URL[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
					 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

static const char *u5(const unsigned char ns[16], const char *name, char out[UUID_TEXT_LEN])
{
	ck_assert_int_eq(uuid5(ns, name, strlen(name), out), 0);
	return out;
}

START_TEST(uuid5_matches_the_rfc_and_python_vectors)
{
	char out[UUID_TEXT_LEN];
	/* RFC 9562 appendix A.4. */
	ck_assert_str_eq(u5(NS_DNS, "www.example.com", out),
			 "2ed6657d-e927-568b-95e1-2665a8aea6a2");
	/* Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org'). */
	ck_assert_str_eq(u5(NS_DNS, "python.org", out), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
	/* Python: uuid.uuid5(uuid.NAMESPACE_URL, 'https://www.ietf.org/rfc/rfc9562.txt'). */
	ck_assert_str_eq(u5(NS_URL, "https://www.ietf.org/rfc/rfc9562.txt", out),
			 "f980d090-dd00-5d2f-ba9c-4cac4bdad58b");
	/* The name is bytes, not a C string: an embedded NUL counts. */
	ck_assert_int_eq(uuid5(NS_DNS, "python.org\0x", 12, out), 0);
	ck_assert_str_ne(out, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}
END_TEST

START_TEST(the_namespace_is_the_documented_constant)
{
	static const unsigned char want[16] = {0xce, 0x80, 0x1a, 0x56, 0xe4, 0x65, 0x43, 0xec,
					       0xa4, 0xe7, 0xea, 0x12, 0x62, 0x12, 0xc0, 0x37};
	ck_assert_mem_eq(CTIM_UUID_NAMESPACE, want, 16);
}
END_TEST

START_TEST(stable_id_is_uuid5_of_module_and_name_in_the_project_namespace)
{
	char id[CTIM_ID_LEN], again[CTIM_ID_LEN], other[CTIM_ID_LEN];
	/* Python: uuid.uuid5(uuid.UUID('ce801a56-e465-43ec-a4e7-ea126212c037'),
	 * 'cybercrime:Keitaro'). */
	ck_assert_int_eq(ctim_stable_id("indicator", "cybercrime", "Keitaro", id, sizeof(id)), 0);
	ck_assert_str_eq(id, "transient:indicator-71881a37-c27d-5a0a-876e-9802ee4bbfe6");
	ck_assert_int_eq(ctim_stable_id("indicator", "cybercrime", "Keitaro", again, sizeof(again)),
			 0);
	ck_assert_str_eq(id, again);
	ck_assert_int_eq(ctim_stable_id("indicator", "cybercrime", "Azorult", other, sizeof(other)),
			 0);
	ck_assert_str_eq(other, "transient:indicator-cc7eb6a9-9030-5d16-bac4-4cf8541f05d9");
	/* Another module's family of the same name is another node. */
	ck_assert_int_eq(ctim_stable_id("indicator", "threatfox", "Keitaro", other, sizeof(other)),
			 0);
	ck_assert_str_ne(other, id);
}
END_TEST

START_TEST(stable_id_refuses_a_buffer_too_small_and_fits_ctim_id_len)
{
	char id[CTIM_ID_LEN];
	size_t need = strlen("transient:indicator-") + 36 + 1;
	ck_assert_uint_le(need, sizeof(id));
	memset(id, 'x', sizeof(id));
	ck_assert_int_eq(ctim_stable_id("indicator", "m", "f", id, need - 1), -1);
	ck_assert_int_eq(id[0], 'x'); /* nothing written */
	ck_assert_int_eq(ctim_stable_id("indicator", "m", "f", id, need), 0);
	ck_assert_uint_eq(strlen(id), need - 1);
}
END_TEST

static Suite *uuid5_suite(void)
{
	Suite *s = suite_create("uuid5");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, uuid5_matches_the_rfc_and_python_vectors);
	tcase_add_test(tc, the_namespace_is_the_documented_constant);
	tcase_add_test(tc, stable_id_is_uuid5_of_module_and_name_in_the_project_namespace);
	tcase_add_test(tc, stable_id_refuses_a_buffer_too_small_and_fits_ctim_id_len);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(uuid5_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
