/* fuzz_cybercrime.c: libFuzzer target for a CyberCrime Tracker query.php answer (an upstream's bytes).
 *
 * cybercrime_parse_answer() on the raw bytes: a kept message is valid UTF-8
 * within CYBERCRIME_MESSAGE_MAX. The parsed answer then goes through
 * cybercrime_emit() as deliberate and observe would use it, so the message
 * reaches the CTIM builders; the same bytes, as an observable value, go
 * through the query and search URL builders and the error wording, and as
 * the Location of a redirect through redirect_allowed() (any bytes:
 * a redirect's target is the upstream's).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "ctim/entities.h"
#include "modules/cybercrime/enrich.h"
#include "modules/cybercrime/lookup.h"
#include "fuzz_common.h"
#include "http/observables.h"
#include "http/response.h"
#include "net/redirect.h"
#include "net/upstream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_config();
	return 0;
}

static void emit(const struct cybercrime_result *r, int observe)
{
	struct observable o = {.type = (char *)"url", .value = (char *)"http://evil.example/x"};
	struct ctim_bundle bundle = {0};
	struct relay_response res;
	response_init(&res);
	if (cybercrime_emit("http://cybercrime.example", &o, r, observe, 1700000000.0, &bundle,
			    &res) != 0)
		fuzz_fail("cybercrime_emit failed without an allocation failure");
	if (r->err == RELAY_OK && r->answer.malicious && !bundle.verdicts)
		fuzz_fail("a malicious answer gave no verdict");
	if (r->err == RELAY_OK && !r->answer.malicious && (bundle.verdicts || bundle.judgements))
		fuzz_fail("an answer that is not a listing gave entities");
	cJSON *data = ctim_bundle_take(&bundle);
	if (!data)
		fuzz_fail("ctim_bundle_take failed without an allocation failure");
	char *text = cJSON_PrintUnformatted(data);
	if (!text)
		fuzz_fail("the entities cannot be printed");
	cJSON_free(text);
	cJSON_Delete(data);
	ctim_bundle_free(&bundle);
	response_free(&res);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct cybercrime_result r;
	memset(&r, 0, sizeof(r));
	r.err = cybercrime_parse_answer((const char *)data, size, &r.answer);
	if (r.err == RELAY_OK) {
		size_t n = strnlen(r.answer.message, CYBERCRIME_MESSAGE_MAX);
		if (n >= CYBERCRIME_MESSAGE_MAX)
			fuzz_fail("the kept message is not NUL-terminated within its buffer");
		if (!utf8_valid(r.answer.message, n))
			fuzz_fail("the kept message is not valid UTF-8");
	} else if (r.err != RELAY_ERR_KEY_ERROR) {
		fuzz_fail("cybercrime_parse_answer failed with something but key error");
	}
	emit(&r, 0);
	emit(&r, 1);

	/* The bytes as an observable value (as the router would accept it). */
	char *value = malloc(size + 1);
	if (!value)
		fuzz_fail("malloc");
	memcpy(value, data, size);
	value[size] = '\0';
	/* The rule never lets a target leave the host it came from. */
	if (redirect_allowed("http://cybercrime.example/query.php?url=x", value, 0) &&
	    strncasecmp(value, "http://cybercrime.example", 25) != 0 &&
	    strncasecmp(value, "https://cybercrime.example", 26) != 0)
		fuzz_fail("a redirect to another host was allowed");
	if (size && utf8_valid(value, size)) {
		const char *q = cybercrime_query_value("url", value);
		char *u1 = cybercrime_query_url("http://cybercrime.example", q);
		char *u2 = cybercrime_search_url("http://cybercrime.example", q);
		if (!u1 || !u2)
			fuzz_fail("a URL builder failed without an allocation failure");
		free(u1);
		free(u2);
		char msg[1536]; /* the size cybercrime_emit() uses */
		/* The detail comes from upstream.c (ASCII, under 256 bytes); the
		 * value is the client's. */
		cybercrime_error_message(RELAY_ERR_UNAVAILABLE, "HTTP 503", "url", value, msg,
					 sizeof(msg));
		if (!utf8_valid(msg, strlen(msg)))
			fuzz_fail("an error message that is not valid UTF-8");
	}
	free(value);
	return 0;
}
