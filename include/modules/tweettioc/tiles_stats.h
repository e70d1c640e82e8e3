/* tiles_stats.h: what the dashboard tiles count in one period of one feed copy.
 *
 * A period is a window of the feed: the tweets stamped between its start and
 * "now" (both given by the caller, so tests pin the clock). Tweets are
 * sorted newest first, so a window is one contiguous run found by binary
 * search, and every count below is one pass over that run, never over the
 * whole feed. Tweets stamped after "now" (a clock ahead of ours) are outside
 * every window until the clock catches up.
 *
 * Ownership: nothing here allocates memory that outlives a call. Results
 * point into the feed (labels) and are valid while the caller holds the
 * feed copy (feed_store_acquire()).
 */
#ifndef TWEETTIOC_TILES_STATS_H
#define TWEETTIOC_TILES_STATS_H

#include <stddef.h>

#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/index.h"

/* The IOC types a tile shows, in display order (the module's observable types). */
enum tiles_ioc_type {
	TILES_IOC_IP,
	TILES_IOC_IPV6,
	TILES_IOC_DOMAIN,
	TILES_IOC_URL,
	TILES_IOC_MD5,
	TILES_IOC_SHA1,
	TILES_IOC_SHA256,
	TILES_IOC_EMAIL,
	TILES_IOC__MAX
};

/* The activity chart's bucket for a tweet that names no IOC at all. */
#define TILES_IOC_NONE TILES_IOC__MAX

struct tiles_ioc_type_info {
	const char *key;    /* CTIM observable type: "ip", "ipv6", "domain", ... */
	const char *label;  /* "IP", "IPv6", "Domain", ... */
	const char *plural; /* "IP addresses", "Domains", ... */
};

/* Indexed by enum tiles_ioc_type, plus [TILES_IOC_NONE] = {"none", "No IOC", ...}. */
extern const struct tiles_ioc_type_info tiles_ioc_types[TILES_IOC__MAX + 1];

enum tiles_ioc_type tiles_ioc_type_of(const struct feed_ioc *ioc);

/* The one type a tweet is filed under in the activity chart, so that every
 * tweet counts once per day: the most specific type it names (SHA256, SHA1,
 * MD5, URL, domain, IP, IPv6, email), or TILES_IOC_NONE. */
int tiles_primary_type(const struct feed_tweet *t);

/* feed->tweets[begin .. end) are the tweets with start <= timestamp <= now. */
struct tiles_window {
	size_t begin, end;
	double start, now;
};

void tiles_window_find(const struct feed *feed, double start, double now, struct tiles_window *w);

struct tiles_summary {
	size_t tweets;
	size_t accounts;      /* distinct accounts that tweeted in the window */
	size_t mentions;      /* IOC mentions (an IOC named in three tweets counts three times) */
	size_t distinct_iocs; /* distinct IOCs (match keys, as lookups use them) */
	size_t distinct_by_type[TILES_IOC__MAX];
};

/* Counts the window. Distinct IOCs come from the index's posting lists (an
 * IOC is counted at the newest tweet of the window that names it), so no
 * per-request set is built. Returns 0, or -1 when out of memory. */
int tiles_summarize(const struct feed_index *index, const struct tiles_window *w,
		    struct tiles_summary *out);

/* A 7-day window touches 8 UTC days; one more for safety. */
#define TILES_MAX_DAYS 9

struct tiles_day {
	double start; /* epoch seconds of the UTC midnight that starts the day */
	size_t tweets;
	size_t by_type[TILES_IOC__MAX + 1]; /* tweets by tiles_primary_type() */
};

/* Fills one entry per UTC day from the day of w->start to the day of w->now
 * (days without tweets included) and returns how many; at most
 * TILES_MAX_DAYS (older days are dropped first if a window were longer). */
size_t tiles_activity(const struct feed *feed, const struct tiles_window *w,
		      struct tiles_day days[TILES_MAX_DAYS]);

struct tiles_rank {
	const char *label;		/* account name, or hashtag as its newest tweet wrote it */
	size_t value;			/* accounts: IOC mentions; hashtags: tweets using it */
	size_t tweets;			/* tweets in the window */
	size_t by_type[TILES_IOC__MAX]; /* accounts: IOC mentions by type */
};

/* The accounts that named the most IOCs in the window (ties: more tweets,
 * then name), at most `limit`, into out[]; accounts without IOCs are left
 * out. *n gets how many. Returns 0, or -1 when out of memory (*n = 0). */
int tiles_top_accounts(const struct feed *feed, const struct tiles_window *w, size_t limit,
		       struct tiles_rank *out, size_t *n);

/* The hashtags used by the most tweets in the window, compared without
 * regard to ASCII case, each tweet counted once per hashtag (ties: name).
 * Same contract as tiles_top_accounts(). */
int tiles_top_hashtags(const struct feed *feed, const struct tiles_window *w, size_t limit,
		       struct tiles_rank *out, size_t *n);

/* strcmp() ignoring ASCII case, whatever the locale. */
int tiles_ascii_casecmp(const char *a, const char *b);

#endif
