/* feed_scan.c: finds the items of the feed's JSON array as bytes arrive (feed_scan.h).
 *
 * The scanner knows only what ends an item: a closing quote or bracket at
 * its top level, or the byte after a number or literal. Whether the bytes
 * in between are valid JSON is cJSON's question, asked once per item by
 * the caller; for an item over the limit it is never asked.
 */
#include "modules/tweettioc/feed_scan.h"

#include <stdlib.h>
#include <string.h>

void feed_scan_init(struct feed_scan *sc, size_t limit)
{
	memset(sc, 0, sizeof(*sc));
	sc->limit = limit;
}

void feed_scan_free(struct feed_scan *sc)
{
	free(sc->pending);
	sc->pending = NULL;
	sc->pending_len = sc->pending_cap = 0;
}

/* Whitespace as cJSON skips it. */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (unsigned char)*p <= 32)
		p++;
	return p;
}

/* Follows the item's bytes at p (n of them) towards its end. Returns how
 * many belong to the item, with *done set when it ended there: after its
 * closing quote or bracket, or before the byte that ends a number or a
 * literal (or at once, for an empty item: "[1,]"). */
static size_t follow(struct feed_scan *sc, const char *p, size_t n, int *done)
{
	*done = 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (sc->in_string) {
			if (sc->escaped || c == '\\') {
				sc->escaped = !sc->escaped;
				continue;
			}
			if (c != '"')
				continue;
			sc->in_string = 0;
			if (sc->depth == 0)
				return i + 1; /* a string item */
			continue;
		}
		if (sc->depth == 0 && sc->len + i > 0) { /* a number or literal */
			if (c <= 32 || strchr(",]}[{\"", c))
				return i;
			continue;
		}
		if (c == '"') {
			sc->in_string = 1;
		} else if (c == '{' || c == '[') {
			sc->depth++;
		} else if (c == '}' || c == ']' || c == ',') {
			if (sc->depth == 0)
				return i;
			if (c != ',' && --sc->depth == 0)
				return i + 1;
		}
	}
	*done = 0;
	return n;
}

/* Keeps n bytes (at most `limit` in all); 0, or -1 when out of memory. */
static int keep(struct feed_scan *sc, const char *data, size_t n)
{
	if (sc->pending_len + n > sc->pending_cap) {
		size_t cap = sc->pending_cap ? sc->pending_cap : 64 * 1024;
		while (cap < sc->pending_len + n)
			cap *= 2;
		char *bigger = realloc(sc->pending, cap);
		if (!bigger)
			return -1;
		sc->pending = bigger;
		sc->pending_cap = cap;
	}
	memcpy(sc->pending + sc->pending_len, data, n);
	sc->pending_len += n;
	return 0;
}

/* After the callback: where its answer leaves the scan. */
static void next_state(struct feed_scan *sc, enum feed_scan_next next)
{
	sc->state = next == FEED_SCAN_GO	? FEED_SCAN_AFTER
		    : next == FEED_SCAN_INVALID ? FEED_SCAN_BROKEN
						: FEED_SCAN_STOPPED;
}

/* Takes up to n bytes at p of the item being read; returns how many. */
static size_t in_item(struct feed_scan *sc, const char *p, size_t n, feed_scan_item_fn fn,
		      void *ctx)
{
	int done;
	size_t used = follow(sc, p, n, &done);
	sc->len += used;
	if (!sc->oversized && sc->len > sc->limit) {
		/* From here on only followed: never kept, never parsed. */
		sc->oversized = 1;
		feed_scan_free(sc);
	}
	if (sc->oversized) {
		if (done)
			next_state(sc, fn(ctx, NULL, sc->len));
	} else if (done && sc->pending_len == 0) {
		next_state(sc, fn(ctx, p, used)); /* all in this write: read in place */
	} else if (keep(sc, p, used) != 0) {
		sc->nomem = 1;
		sc->state = FEED_SCAN_STOPPED;
	} else if (done) {
		next_state(sc, fn(ctx, sc->pending, sc->pending_len));
		sc->pending_len = 0;
	}
	return used;
}

int feed_scan_write(struct feed_scan *sc, const char *data, size_t n, feed_scan_item_fn fn,
		    void *ctx)
{
	const char *p = data, *end = data + n;
	while (p < end) {
		if (sc->state != FEED_SCAN_IN_ITEM && sc->state != FEED_SCAN_NOT_ARRAY &&
		    (p = skip_space(p, end)) == end)
			break;
		switch (sc->state) {
		case FEED_SCAN_START:
			sc->state = *p == '[' ? FEED_SCAN_FIRST : FEED_SCAN_NOT_ARRAY;
			p += *p == '[';
			break;
		case FEED_SCAN_FIRST:
		case FEED_SCAN_ITEM:
			if (sc->state == FEED_SCAN_FIRST && *p == ']') {
				sc->state = FEED_SCAN_END;
				break;
			}
			sc->len = sc->depth = 0;
			sc->in_string = sc->escaped = sc->oversized = 0;
			sc->state = FEED_SCAN_IN_ITEM;
			break;
		case FEED_SCAN_IN_ITEM: p += in_item(sc, p, (size_t)(end - p), fn, ctx); break;
		case FEED_SCAN_AFTER:
			sc->state = *p == ','	? FEED_SCAN_ITEM
				    : *p == ']' ? FEED_SCAN_END
						: FEED_SCAN_BROKEN;
			p++;
			break;
		case FEED_SCAN_NOT_ARRAY: {
			/* Its start, up to the limit, says at the end what it is. */
			size_t room = sc->limit - sc->pending_len, left = (size_t)(end - p);
			size_t n_keep = left < room ? left : room;
			sc->cut |= n_keep < left;
			if (n_keep && keep(sc, p, n_keep) != 0) {
				sc->nomem = 1;
				sc->state = FEED_SCAN_STOPPED;
			}
			p = end;
			break;
		}
		default: /* END, BROKEN, STOPPED: the rest is ignored */ p = end; break;
		}
	}
	return sc->state == FEED_SCAN_STOPPED ? -1 : 0;
}
