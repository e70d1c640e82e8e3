/* arena.h: a bump allocator for data that lives and dies together (one feed copy, one request).
 *
 * A feed copy holds millions of small strings; allocating them from large
 * chunks makes building fast and freeing one call. A request's cJSON nodes
 * (json_arena.c) come from an arena that is rewound for the next request.
 * Allocation failure returns NULL; arena_free() releases every chunk.
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head;
	size_t chunk_size; /* default size of a new chunk */
	int doubling;	   /* each new chunk twice the last: few chunks for a reused arena */
	size_t used;	   /* bytes handed out, for memory reports */
	size_t reserved;   /* bytes allocated in chunks */
};

void arena_init(struct arena *a, size_t chunk_size);
void arena_free(struct arena *a);
/* n bytes aligned for any type, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* n bytes with no alignment (packed after the last), or NULL. */
void *arena_alloc_bytes(struct arena *a, size_t n);
/* A copy of n bytes of s plus a NUL, not aligned (packed after the last). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

/* True when p points into one of the arena's chunks. */
int arena_owns(const struct arena *a, const void *p);
/* Forgets every allocation: frees all chunks but the newest, which is kept
 * (emptied) for reuse unless it is larger than keep_max. Under
 * AddressSanitizer, chunk memory not handed out (also the kept chunk after
 * a rewind) is poisoned: a use of it is reported. */
void arena_rewind(struct arena *a, size_t keep_max);

#endif
