/* fuzz_threatfox.c: libFuzzer target for a ThreatFox API answer (an upstream's bytes).
 *
 * threatfox_parse() on the raw bytes: an ok answer keeps at most
 * THREATFOX_MAX_RECORDS records, each with an id of digits, a confidence in
 * 0..100, a reference that is either absent or a valid http(s) URI, and
 * ordered times; a refused status is printable ASCII. Every record is then
 * matched against observables of each supported type (exact matching must
 * never crash on any ioc).
 */
#include <string.h>

#include "ctim/uri.h"
#include "fuzz_common.h"
#include "lib/arena.h"
#include "lib/utf8.h"
#include "modules/threatfox/answer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *const probes[][2] = {
		{"ip", "1.2.3.4"},
		{"domain", "evil.example"},
		{"url", "http://evil.example/x"},
		{"url", "evil.example/x"},
		{"md5", "d41d8cd98f00b204e9800998ecf8427e"},
	};
	struct arena a;
	arena_init(&a, 4096);
	struct threatfox_answer ans;
	char err[256];
	enum relay_err rc = threatfox_parse((const char *)data, size, &a, &ans, err, sizeof(err));
	if (rc != RELAY_OK && rc != RELAY_ERR_KEY_ERROR)
		fuzz_fail("threatfox_parse failed without an allocation failure");
	if (rc == RELAY_OK && ans.status == THREATFOX_REFUSED)
		for (const char *p = ans.status_text; *p; p++)
			if (*p < 32 || *p > 126)
				fuzz_fail(
					"a refused status kept a byte that is not printable ASCII");
	for (size_t i = 0; rc == RELAY_OK && i < ans.n_records; i++) {
		const struct threatfox_record *r = &ans.records[i];
		if (!r->id[0] || strspn(r->id, "0123456789") != strlen(r->id))
			fuzz_fail("a record's id is not digits");
		if (r->confidence < 0 || r->confidence > 100)
			fuzz_fail("a record's confidence is out of range");
		if (r->reference && !uri_valid_http(r->reference))
			fuzz_fail("a record kept a reference that is not an http(s) URI");
		if (r->first_seen >= 0 && r->last_seen >= 0 && r->last_seen < r->first_seen)
			fuzz_fail("a record ends before it starts");
		if (!utf8_valid(r->ioc, strlen(r->ioc)) ||
		    !utf8_valid(r->malware_printable, strlen(r->malware_printable)))
			fuzz_fail("a record's text is not UTF-8");
		for (size_t p = 0; p < sizeof(probes) / sizeof(probes[0]); p++)
			(void)threatfox_match(probes[p][0], probes[p][1], r);
		/* The record's own ioc, sent back as an observable of its kind. */
		(void)threatfox_match("ip", r->ioc, r);
		(void)threatfox_match("url", r->ioc, r);
	}
	if (rc == RELAY_OK && ans.n_records > THREATFOX_MAX_RECORDS)
		fuzz_fail("more records than the limit");
	arena_free(&a);
	return 0;
}
