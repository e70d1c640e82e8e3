/* json_arena.c: the per-thread arena behind cJSON during a request; see json_arena.h.
 *
 * The memory is an arena (arena.h) with doubling chunks, rewound at the end
 * of each scope; its newest chunk is kept for the next request unless it is
 * larger than JSON_ARENA_KEEP (one huge answer must not pin its memory to
 * the thread). A free() of a block from this thread's arena is recognised
 * by address (arena_owns: the few chunks, newest first).
 */
#include "lib/json_arena.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "lib/arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_CHECK_LEAKS 1
#else
#define ARENA_CHECK_LEAKS 0
#endif

#define JSON_ARENA_FIRST (256 * 1024)
#define JSON_ARENA_KEEP (4 * 1024 * 1024)

struct json_scope {
	struct arena mem;
	int active;
	size_t live; /* blocks handed out and not yet given back */
};

static _Thread_local struct json_scope scope;

static void *hook_malloc(size_t n)
{
	if (!scope.active)
		return malloc(n);
	void *p = arena_alloc(&scope.mem, n);
	if (p)
		scope.live++;
	return p;
}

static void hook_free(void *p)
{
	if (!p)
		return;
	if (!arena_owns(&scope.mem, p)) {
		free(p);
		return;
	}
	if (!scope.active) {
		fprintf(stderr, "securex-relay: a cJSON block outlived its request (%p)\n", p);
		abort();
	}
	scope.live--;
}

void json_arena_install(void)
{
	cJSON_Hooks hooks = {.malloc_fn = hook_malloc, .free_fn = hook_free};
	cJSON_InitHooks(&hooks);
}

void json_arena_begin(void)
{
	if (!scope.mem.chunk_size) {
		arena_init(&scope.mem, JSON_ARENA_FIRST);
		scope.mem.doubling = 1;
	}
	scope.active = 1;
	scope.live = 0;
}

void json_arena_end(void)
{
	scope.active = 0;
	if (ARENA_CHECK_LEAKS && scope.live != 0) {
		fprintf(stderr,
			"securex-relay: %zu cJSON blocks of this request were never "
			"freed (a missing cJSON_Delete)\n",
			scope.live);
		abort();
	}
	arena_rewind(&scope.mem, JSON_ARENA_KEEP);
}

void json_arena_thread_cleanup(void)
{
	arena_free(&scope.mem);
	scope.active = 0;
}
