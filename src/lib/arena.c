/* arena.c: bump allocator in large chunks; see arena.h. */
#include "lib/arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_POISON(p, n) ((void)(p), (void)(n))
#define ARENA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a, size_t chunk_size)
{
	memset(a, 0, sizeof(*a));
	a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = a->reserved = 0;
}

/* n bytes at the next multiple of `align` in the newest chunk, or in a new
 * one; `asked` of them are unpoisoned. Strings take align 1: padding every
 * short string of a feed copy to 16 bytes cost about a tenth of the copy
 * (`make bench`). */
static void *arena_take(struct arena *a, size_t n, size_t align, size_t asked)
{
	if (n > ((size_t)-1) / 2)
		return NULL;
	struct arena_chunk *c = a->head;
	size_t at = c ? (c->used + align - 1) & ~(align - 1) : 0;
	if (!c || at > c->size || c->size - at < n) {
		size_t size = a->doubling && c ? c->size * 2 : a->chunk_size;
		if (size < n)
			size = n;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		ARENA_POISON(c->data, size); /* unpoisoned block by block as handed out */
		c->next = a->head;
		a->head = c;
		a->reserved += size;
		at = 0;
	}
	void *p = c->data + at;
	a->used += at + n - c->used;
	c->used = at + n;
	ARENA_UNPOISON(p, asked);
	return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	if (n > ((size_t)-1) / 2)
		return NULL;
	return arena_take(a, (n + align - 1) & ~(align - 1), align, n);
}

void *arena_alloc_bytes(struct arena *a, size_t n)
{
	return arena_take(a, n, 1, n);
}

int arena_owns(const struct arena *a, const void *p)
{
	const unsigned char *b = p;
	for (const struct arena_chunk *c = a->head; c; c = c->next)
		if (b >= c->data && b < c->data + c->size)
			return 1;
	return 0;
}

void arena_rewind(struct arena *a, size_t keep_max)
{
	struct arena_chunk *keep = a->head && a->head->size <= keep_max ? a->head : NULL;
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		if (c != keep)
			free(c);
		c = next;
	}
	a->head = keep;
	a->used = 0;
	a->reserved = keep ? keep->size : 0;
	if (keep) {
		keep->next = NULL;
		keep->used = 0;
		ARENA_POISON(keep->data, keep->size);
	}
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = n < ((size_t)-1) / 2 ? arena_alloc_bytes(a, n + 1) : NULL;
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}
