/* tiles_stats.c: counts over one period of the feed for the dashboard tiles.
 *
 * Every function makes one pass over the window (the tweets of the period,
 * a contiguous run of the newest-first feed). Distinct IOCs use the lookup
 * index's posting lists instead of a per-request set; accounts (interned
 * pointers) and hashtags (ASCII case folded) are counted in GLib hash
 * tables that live for the call. Nothing allocated here outlives the call.
 */
#include "modules/tweettioc/tiles_stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define DAY_SECONDS 86400.0
/* Hashtags longer than this (bytes) are not counted; the feed keeps <= 280 characters. */
#define TAG_MAX_BYTES 1200

const struct tiles_ioc_type_info tiles_ioc_types[TILES_IOC__MAX + 1] = {
	[TILES_IOC_IP] = {"ip", "IP", "IP addresses"},
	[TILES_IOC_IPV6] = {"ipv6", "IPv6", "IPv6 addresses"},
	[TILES_IOC_DOMAIN] = {"domain", "Domain", "Domains"},
	[TILES_IOC_URL] = {"url", "URL", "URLs"},
	[TILES_IOC_MD5] = {"md5", "MD5", "MD5 hashes"},
	[TILES_IOC_SHA1] = {"sha1", "SHA1", "SHA1 hashes"},
	[TILES_IOC_SHA256] = {"sha256", "SHA256", "SHA256 hashes"},
	[TILES_IOC_EMAIL] = {"email", "Email", "Email addresses"},
	[TILES_IOC_NONE] = {"none", "No IOC", "Tweets without IOCs"},
};

enum tiles_ioc_type tiles_ioc_type_of(const struct feed_ioc *ioc)
{
	switch (ioc->kind) {
	case FEED_IOC_IP:
		return ioc->ctim_type && strcmp(ioc->ctim_type, "ipv6") == 0 ? TILES_IOC_IPV6
									     : TILES_IOC_IP;
	case FEED_IOC_MD5: return TILES_IOC_MD5;
	case FEED_IOC_SHA1: return TILES_IOC_SHA1;
	case FEED_IOC_SHA256: return TILES_IOC_SHA256;
	case FEED_IOC_MAIL: return TILES_IOC_EMAIL;
	case FEED_IOC_DOMAIN: return TILES_IOC_DOMAIN;
	case FEED_IOC_URL: return TILES_IOC_URL;
	default: return TILES_IOC_URL;
	}
}

int tiles_primary_type(const struct feed_tweet *t)
{
	/* Most specific first: a hash names one sample, a URL one resource. */
	static const enum tiles_ioc_type precedence[] = {
		TILES_IOC_SHA256, TILES_IOC_SHA1, TILES_IOC_MD5,  TILES_IOC_URL,
		TILES_IOC_DOMAIN, TILES_IOC_IP,	  TILES_IOC_IPV6, TILES_IOC_EMAIL,
	};
	int present[TILES_IOC__MAX] = {0};
	for (size_t i = 0; i < t->n_iocs; i++)
		present[tiles_ioc_type_of(&t->iocs[i])] = 1;
	for (size_t i = 0; i < sizeof(precedence) / sizeof(precedence[0]); i++)
		if (present[precedence[i]])
			return (int)precedence[i];
	return TILES_IOC_NONE;
}

int tiles_ascii_casecmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
	for (;; p++, q++) {
		int x = *p >= 'A' && *p <= 'Z' ? *p + 32 : *p;
		int y = *q >= 'A' && *q <= 'Z' ? *q + 32 : *q;
		if (x != y || x == 0)
			return x - y;
	}
}

/* First index in [0, n) whose tweet satisfies `older` (monotone over the
 * newest-first order), n if none. */
static size_t first_older(const struct feed *feed, double limit, int inclusive)
{
	size_t lo = 0, hi = feed->n_tweets;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		double ts = feed->tweets[mid].timestamp;
		int older = inclusive ? ts <= limit : ts < limit;
		if (older)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void tiles_window_find(const struct feed *feed, double start, double now, struct tiles_window *w)
{
	w->start = start;
	w->now = now;
	w->begin = first_older(feed, now, 1);
	w->end = first_older(feed, start, 0);
	if (w->end < w->begin)
		w->end = w->begin;
}

/* The newest tweet of the window naming the posting's IOC: posting lists
 * hold tweet numbers in ascending order (newest first). */
static uint32_t first_in_window(const struct feed_index *index, const struct feed_posting *p,
				size_t begin)
{
	const uint32_t *ids = index->tweet_ids + p->offset;
	size_t lo = 0, hi = p->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid] < begin)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->count ? ids[lo] : UINT32_MAX;
}

int tiles_summarize(const struct feed_index *index, const struct tiles_window *w,
		    struct tiles_summary *out)
{
	const struct feed *feed = index->feed;
	memset(out, 0, sizeof(*out));
	out->tweets = w->end - w->begin;
	for (size_t i = w->begin; i < w->end; i++) {
		const struct feed_tweet *t = &feed->tweets[i];
		out->mentions += t->n_iocs;
		for (size_t j = 0; j < t->n_iocs; j++) {
			const struct feed_ioc *ioc = &t->iocs[j];
			if (!ioc->posting)
				continue; /* not normalisable, so never matched either */
			int repeat = 0;
			for (size_t k = 0; k < j && !repeat; k++)
				repeat = t->iocs[k].posting == ioc->posting;
			const struct feed_posting *p = repeat ? NULL : ioc->posting;
			if (!p || first_in_window(index, p, w->begin) != i)
				continue;
			out->distinct_iocs++;
			out->distinct_by_type[tiles_ioc_type_of(ioc)]++;
		}
	}
	/* User names are interned: distinct accounts are distinct pointers. */
	GHashTable *users = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (size_t i = w->begin; i < w->end; i++)
		g_hash_table_add(users, (gpointer)feed->tweets[i].user);
	out->accounts = g_hash_table_size(users);
	g_hash_table_destroy(users);
	return 0;
}

size_t tiles_activity(const struct feed *feed, const struct tiles_window *w,
		      struct tiles_day days[TILES_MAX_DAYS])
{
	double first_day = floor(w->start / DAY_SECONDS), last_day = floor(w->now / DAY_SECONDS);
	if (last_day - first_day + 1 > TILES_MAX_DAYS)
		first_day = last_day - (TILES_MAX_DAYS - 1);
	if (first_day > last_day)
		return 0;
	size_t n = (size_t)(last_day - first_day) + 1;
	memset(days, 0, n * sizeof(*days));
	for (size_t d = 0; d < n; d++)
		days[d].start = (first_day + (double)d) * DAY_SECONDS;
	for (size_t i = w->begin; i < w->end; i++) {
		const struct feed_tweet *t = &feed->tweets[i];
		double day = floor(t->timestamp / DAY_SECONDS);
		if (day < first_day || day > last_day)
			continue;
		struct tiles_day *d = &days[(size_t)(day - first_day)];
		d->tweets++;
		d->by_type[tiles_primary_type(t)]++;
	}
	return n;
}

/* Ranking order: larger value, then more tweets, then label. */
static int rank_before(const struct tiles_rank *a, const struct tiles_rank *b)
{
	if (a->value != b->value)
		return a->value > b->value;
	if (a->tweets != b->tweets)
		return a->tweets > b->tweets;
	int c = tiles_ascii_casecmp(a->label, b->label);
	return c ? c < 0 : strcmp(a->label, b->label) < 0;
}

/* Inserts r into the sorted top list out[0..*n) of at most `limit` entries. */
static void rank_offer(struct tiles_rank *out, size_t *n, size_t limit, const struct tiles_rank *r)
{
	if (limit == 0 || (*n == limit && !rank_before(r, &out[*n - 1])))
		return;
	size_t at = *n < limit ? (*n)++ : limit - 1;
	while (at > 0 && rank_before(r, &out[at - 1])) {
		out[at] = out[at - 1];
		at--;
	}
	out[at] = *r;
}

/* Appends a zeroed entry to a growable array of tiles_rank; NULL when out of memory. */
static struct tiles_rank *rank_push(struct tiles_rank **all, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t grown = *cap ? *cap * 2 : 256;
		struct tiles_rank *p = realloc(*all, grown * sizeof(*p));
		if (!p)
			return NULL;
		*all = p;
		*cap = grown;
	}
	struct tiles_rank *r = &(*all)[(*n)++];
	memset(r, 0, sizeof(*r));
	return r;
}

int tiles_top_accounts(const struct feed *feed, const struct tiles_window *w, size_t limit,
		       struct tiles_rank *out, size_t *n)
{
	*n = 0;
	struct tiles_rank *all = NULL;
	size_t count = 0, cap = 0;
	/* account (interned pointer) -> 1 + its entry in `all` */
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	int rc = 0;
	for (size_t i = w->begin; i < w->end && rc == 0; i++) {
		const struct feed_tweet *t = &feed->tweets[i];
		size_t at = GPOINTER_TO_SIZE(g_hash_table_lookup(seen, t->user));
		struct tiles_rank *r;
		if (at) {
			r = &all[at - 1];
		} else if ((r = rank_push(&all, &count, &cap))) {
			r->label = t->user;
			g_hash_table_insert(seen, (gpointer)t->user, GSIZE_TO_POINTER(count));
		} else {
			rc = -1;
			break;
		}
		r->tweets++;
		r->value += t->n_iocs;
		for (size_t j = 0; j < t->n_iocs; j++)
			r->by_type[tiles_ioc_type_of(&t->iocs[j])]++;
	}
	g_hash_table_destroy(seen);
	for (size_t i = 0; rc == 0 && i < count; i++)
		if (all[i].value > 0)
			rank_offer(out, n, limit, &all[i]);
	free(all);
	return rc;
}

int tiles_top_hashtags(const struct feed *feed, const struct tiles_window *w, size_t limit,
		       struct tiles_rank *out, size_t *n)
{
	*n = 0;
	struct tiles_rank *all = NULL;
	size_t count = 0, cap = 0;
	/* folded hashtag (owned copy) -> 1 + its entry in `all`; an entry's
	 * `value` holds 1 + the last tweet counted, so a tweet counts once. */
	GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char folded[TAG_MAX_BYTES + 1];
	int rc = 0;
	for (size_t i = w->begin; i < w->end && rc == 0; i++) {
		const struct feed_tweet *t = &feed->tweets[i];
		for (size_t j = 0; j < t->n_hashtags; j++) {
			const char *tag = t->hashtags[j];
			size_t len = strlen(tag);
			if (len == 0 || len > TAG_MAX_BYTES)
				continue;
			for (size_t k = 0; k <= len; k++)
				folded[k] = tag[k] >= 'A' && tag[k] <= 'Z' ? (char)(tag[k] + 32)
									   : tag[k];
			size_t at = GPOINTER_TO_SIZE(g_hash_table_lookup(seen, folded));
			struct tiles_rank *r;
			if (at) {
				r = &all[at - 1];
			} else if ((r = rank_push(&all, &count, &cap))) {
				r->label = tag; /* the newest tweet's spelling */
				g_hash_table_insert(seen, g_strdup(folded),
						    GSIZE_TO_POINTER(count));
			} else {
				rc = -1;
				break;
			}
			if (r->value != i + 1) {
				r->value = i + 1;
				r->tweets++;
			}
		}
	}
	g_hash_table_destroy(seen);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		all[i].value = all[i].tweets;
		rank_offer(out, n, limit, &all[i]);
	}
	free(all);
	return rc;
}
