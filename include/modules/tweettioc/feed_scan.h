/* feed_scan.h: splits the feed's JSON array into its items as the bytes
 * arrive, without parsing them (feed_scan.c).
 *
 * A small scanner follows each item's strings, escapes and brackets to its
 * end; a complete item is handed over whole, once, so the caller parses it
 * with a single cJSON call (no retries). An item longer than the limit is
 * followed to its end without being kept or handed over: nothing of it is
 * buffered past the limit. Only the part of an item that spans writes is
 * kept (at most the limit); bad JSON between items stops the scan, and so
 * does bad JSON inside an item, as the caller finds it.
 *
 * Ownership: the scan owns its buffer until feed_scan_free().
 */
#ifndef TWEETTIOC_FEED_SCAN_H
#define TWEETTIOC_FEED_SCAN_H

#include <stddef.h>

enum feed_scan_state {
	FEED_SCAN_START,     /* before the '[' */
	FEED_SCAN_FIRST,     /* after '[': an item or ']' */
	FEED_SCAN_ITEM,	     /* after ',': an item */
	FEED_SCAN_IN_ITEM,   /* inside an item */
	FEED_SCAN_AFTER,     /* after an item: ',' or ']' */
	FEED_SCAN_END,	     /* after ']': the rest is ignored */
	FEED_SCAN_NOT_ARRAY, /* its start is kept (feed_scan.pending), to say what it is */
	FEED_SCAN_BROKEN,    /* not valid JSON: the rest is ignored */
	FEED_SCAN_STOPPED,   /* the caller stopped it, or out of memory */
};

/* What the item callback returns. */
enum feed_scan_next {
	FEED_SCAN_GO,	   /* read on */
	FEED_SCAN_INVALID, /* the item is not valid JSON: FEED_SCAN_BROKEN */
	FEED_SCAN_STOP,	   /* FEED_SCAN_STOPPED (out of memory, over a budget) */
};

/* Called once per item: its n bytes at p (no white space around them), or
 * p NULL and n its length for an item over the limit, skipped unread. */
typedef enum feed_scan_next (*feed_scan_item_fn)(void *ctx, const char *p, size_t n);

struct feed_scan {
	enum feed_scan_state state;
	size_t limit; /* longest item handed over */
	/* The item being read. */
	size_t len;   /* its bytes so far */
	size_t depth; /* '{' and '[' open */
	unsigned char in_string, escaped, oversized;
	int nomem;	    /* FEED_SCAN_STOPPED for want of memory */
	int cut;	    /* FEED_SCAN_NOT_ARRAY: more than `limit` bytes, not all kept */
	char *pending;	    /* bytes kept: a partial item, or a non-array's start */
	size_t pending_len; /* (never over `limit`) */
	size_t pending_cap;
};

void feed_scan_init(struct feed_scan *sc, size_t limit);
/* Scans n more bytes, calling fn for each item they complete. Returns 0,
 * or -1 once the scan is FEED_SCAN_STOPPED. */
int feed_scan_write(struct feed_scan *sc, const char *data, size_t n, feed_scan_item_fn fn,
		    void *ctx);
void feed_scan_free(struct feed_scan *sc);

#endif
