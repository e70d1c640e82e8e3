/* utc_time.h: calendar times written by upstreams, read strictly.
 *
 * TweetFeed writes "YYYY-MM-DD HH:MM:SS" and ThreatFox the same followed by
 * " UTC"; both mean UTC. Only real dates pass (no 30 February, no hour 24),
 * years 1970..9999.
 */
#ifndef UTC_TIME_H
#define UTC_TIME_H

#include <stddef.h>

/* Reads exactly "YYYY-MM-DD HH:MM:SS" from the n bytes at s. Returns 0 with
 * *out set to epoch seconds, or -1 for anything else. */
int utc_parse_datetime(const char *s, size_t n, double *out);

#endif
