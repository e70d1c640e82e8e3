/* fuzz_common.h: what the fuzz targets share: a fixed configuration, a small
 * loaded feed, and one router call whose answer is checked for shape.
 *
 * Linked into every target, both under libFuzzer (make fuzz) and under the
 * plain replay driver (make fuzz-replay). Nothing here reads files: the feed
 * is built in, so a target runs from any directory.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>

struct relay_config;

/* libFuzzer's entry points, declared for -Wmissing-prototypes. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* The configuration every target uses (RELAY_AUTH=none, tweettioc only),
 * loaded on first use; aborts when it cannot be loaded. */
const struct relay_config *fuzz_config(void);

/* Loads the built-in six-tweet feed as the current tweettioc copy (once). */
void fuzz_load_feed(void);

/* Runs `body` (len bytes, copied and NUL-terminated as the front end
 * does) through router_precheck + router_handle for `method` `path`,
 * renders the answer and aborts unless it is well-formed: a JSON object
 * with "data" and/or "errors" and HTTP 200, or {"code", "message"} with the
 * matching non-200 status. */
void fuzz_route(const char *method, const char *path, const unsigned char *body, size_t len);

/* Aborts with a message naming the broken invariant. */
void fuzz_fail(const char *what) __attribute__((noreturn));

#endif
