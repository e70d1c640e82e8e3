/* fuzz_tiles_params.c: libFuzzer target for the body of /tiles/tile and /tiles/tile-data.
 *
 * The bytes go through json_parse_body() and the router exactly as a
 * client's body would, against a small loaded feed, so a hostile tile_id
 * or period reaches the tile lookup and, when valid, the tile computation.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "fuzz_common.h"
#include "http/observables.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_config();
	fuzz_load_feed();
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	cJSON *json = NULL;
	char err[512];
	enum relay_err rc = json_parse_body((const char *)data, size, &json, err, sizeof(err));
	if ((rc == RELAY_OK) != (json != NULL))
		fuzz_fail("json_parse_body: result and status disagree");
	if (rc != RELAY_OK && rc != RELAY_ERR_INVALID_ARGUMENT)
		fuzz_fail("json_parse_body failed without an allocation failure");
	cJSON_Delete(json);

	fuzz_route("POST", "/tweettioc/tiles/tile", data, size);
	fuzz_route("POST", "/tweettioc/tiles/tile-data", data, size);
	return 0;
}
