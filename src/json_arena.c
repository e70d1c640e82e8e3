/* json_arena.c: the per-thread bump arena behind cJSON during a request; see json_arena.h.
 *
 * Chunks double from JSON_ARENA_FIRST; at the end of a scope every chunk
 * but the newest is freed, and the newest is kept for the next request
 * unless it is larger than JSON_ARENA_KEEP (one huge answer must not pin
 * its memory to the thread). A free() of a block from this thread's arena
 * is recognised by address: the few chunks are searched newest first.
 */
#include "json_arena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define ARENA_CHECK_LEAKS 1
#else
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#define ARENA_CHECK_LEAKS 0
#endif

#define JSON_ARENA_FIRST (256 * 1024)
#define JSON_ARENA_KEEP (4 * 1024 * 1024)
#define JSON_ARENA_ALIGN (alignof(max_align_t))

struct json_chunk {
	struct json_chunk *older;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct json_arena {
	struct json_chunk *newest;
	int active;
	size_t live; /* blocks handed out and not yet given back */
};

static _Thread_local struct json_arena arena;

static struct json_chunk *chunk_of(const void *p)
{
	const unsigned char *b = p;
	for (struct json_chunk *c = arena.newest; c; c = c->older)
		if (b >= c->data && b < c->data + c->size)
			return c;
	return NULL;
}

static void *hook_malloc(size_t n)
{
	if (!arena.active)
		return malloc(n);
	size_t want = (n + JSON_ARENA_ALIGN - 1) & ~(JSON_ARENA_ALIGN - 1);
	if (want < n)
		return NULL;
	struct json_chunk *c = arena.newest;
	if (!c || c->size - c->used < want) {
		size_t size = c ? c->size * 2 : JSON_ARENA_FIRST;
		while (size < want)
			size *= 2;
		struct json_chunk *fresh = malloc(sizeof(*fresh) + size);
		if (!fresh)
			return NULL;
		fresh->older = c;
		fresh->size = size;
		fresh->used = 0;
		ARENA_POISON(fresh->data, size);
		arena.newest = c = fresh;
	}
	void *p = c->data + c->used;
	c->used += want;
	arena.live++;
	ARENA_UNPOISON(p, n);
	return p;
}

static void hook_free(void *p)
{
	if (!p)
		return;
	if (!chunk_of(p)) {
		free(p);
		return;
	}
	if (!arena.active) {
		fprintf(stderr, "securex-relay: a cJSON block outlived its request (%p)\n", p);
		abort();
	}
	arena.live--;
}

void json_arena_install(void)
{
	cJSON_Hooks hooks = {.malloc_fn = hook_malloc, .free_fn = hook_free};
	cJSON_InitHooks(&hooks);
}

void json_arena_begin(void)
{
	arena.active = 1;
	arena.live = 0;
}

void json_arena_end(void)
{
	arena.active = 0;
	if (ARENA_CHECK_LEAKS && arena.live != 0) {
		fprintf(stderr,
			"securex-relay: %zu cJSON blocks of this request were never "
			"freed (a missing cJSON_Delete)\n",
			arena.live);
		abort();
	}
	struct json_chunk *keep = arena.newest;
	if (keep && keep->size > JSON_ARENA_KEEP)
		keep = NULL;
	struct json_chunk *c = arena.newest;
	while (c) {
		struct json_chunk *older = c->older;
		if (c != keep)
			free(c);
		c = older;
	}
	arena.newest = keep;
	if (keep) {
		keep->older = NULL;
		keep->used = 0;
		ARENA_POISON(keep->data, keep->size);
	}
}

void json_arena_thread_cleanup(void)
{
	struct json_chunk *c = arena.newest;
	while (c) {
		struct json_chunk *older = c->older;
		free(c);
		c = older;
	}
	arena.newest = NULL;
	arena.active = 0;
}
