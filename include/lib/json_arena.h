/* json_arena.h: request-scoped memory for cJSON.
 *
 * cJSON allocates one block per node and per string: an observe answer is
 * tens of thousands of malloc/free pairs. Between json_arena_begin() and
 * json_arena_end() a worker thread's cJSON allocations come from a
 * per-thread bump arena instead, cJSON_Delete's frees cost nothing, and
 * json_arena_end() rewinds the arena for the next request. Outside such a
 * scope (the refresh thread, start-up, tests that never install the hooks)
 * cJSON uses malloc as usual.
 *
 * Rules for code running in a scope:
 * - Nothing built with cJSON in a scope outlives the request: a cache or a
 *   process-wide constant copies what it keeps out of cJSON (the JWKS cache
 *   keeps EVP_PKEYs, the cybercrime cache plain structs).
 * - Strings that cJSON hands back (cJSON_Print*) are freed with cJSON_free,
 *   never free().
 * Freeing an arena block outside its scope aborts; under AddressSanitizer a
 * rewound arena is poisoned (a later use is reported) and blocks that were
 * never given back with cJSON_Delete are reported as a leak.
 */
#ifndef JSON_ARENA_H
#define JSON_ARENA_H

/* Routes cJSON's allocations through the arena hooks. Call once, before
 * any cJSON use and before threads start. */
void json_arena_install(void);

/* Opens and closes this thread's request scope (no nesting). */
void json_arena_begin(void);
void json_arena_end(void);

/* Frees this thread's arena; worker threads call it as they end. */
void json_arena_thread_cleanup(void);

#endif
