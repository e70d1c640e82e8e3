/* now.h: the current time as seconds in a double, on the two clocks.
 *
 * Owned by src/lib/now.c; the one place the relay reads a clock for time
 * arithmetic. now_seconds() is the wall clock (timestamps that are shown or
 * compared with dates from a feed or a token); now_monotonic() never jumps
 * and is the time base of deadlines, timeouts, durations and cache ages.
 * Neither can fail.
 */
#ifndef LIB_NOW_H
#define LIB_NOW_H

/* Seconds since the Unix epoch (CLOCK_REALTIME). */
double now_seconds(void);

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), from an unspecified
 * start: only differences mean anything. */
double now_monotonic(void);

#endif
