/* fuzz_observables.c: libFuzzer target for a request body of observables.
 *
 * The bytes go to observables_parse() directly (its invariants: a result
 * list whose items are non-empty, lowercased, unique), then through the
 * router as /deliberate, /observe and /refer against a small loaded feed,
 * so hostile values also reach normalisation, lookup and the CTIM builders.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "http/observables.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_config();
	fuzz_load_feed();
	return 0;
}

static void check_list(const struct observable_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct observable *o = &list->items[i];
		if (!o->type || !o->value || !o->type[0] || !o->value[0])
			fuzz_fail("an accepted observable with an empty type or value");
		for (const char *p = o->type; *p; p++)
			if (isupper((unsigned char)*p))
				fuzz_fail("an accepted type that is not lowercased");
		for (size_t j = 0; j < i; j++)
			if (strcmp(o->type, list->items[j].type) == 0 &&
			    strcmp(o->value, list->items[j].value) == 0)
				fuzz_fail("a duplicate observable was kept");
	}
	for (size_t i = 0; i < list->n_problems; i++)
		if (!list->problems[i] || !list->problems[i][0])
			fuzz_fail("an empty problem message");
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct observable_list list;
	char err[512];
	enum relay_err rc = observables_parse((const char *)data, size, &list, err, sizeof(err));
	if (rc == RELAY_OK)
		check_list(&list);
	else if (rc != RELAY_ERR_INVALID_ARGUMENT)
		fuzz_fail("observables_parse failed without an allocation failure");
	else if (list.count || list.n_problems)
		fuzz_fail("a refused body left items in the list");
	observables_free(&list);

	fuzz_route("POST", "/tweettioc/deliberate/observables", data, size);
	fuzz_route("POST", "/tweettioc/observe/observables", data, size);
	fuzz_route("POST", "/refer/observables", data, size);
	return 0;
}
