/* now.c: the wall and monotonic clocks as seconds (see lib/now.h). */
#include "lib/now.h"

#include <time.h>

static double clock_seconds(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_seconds(void)
{
	return clock_seconds(CLOCK_REALTIME);
}

double now_monotonic(void)
{
	return clock_seconds(CLOCK_MONOTONIC);
}
