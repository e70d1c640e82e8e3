/* route_endpoint.c: the name of each endpoint, as logs and metrics print it. */
#include "http/route_endpoint.h"

static const char *const endpoint_names[ROUTE__MAX] = {
	[ROUTE_HEALTH] = "health",	 [ROUTE_DELIBERATE] = "deliberate",
	[ROUTE_OBSERVE] = "observe",	 [ROUTE_REFER] = "refer",
	[ROUTE_TILES] = "tiles",	 [ROUTE_TILE] = "tile",
	[ROUTE_TILE_DATA] = "tile_data", [ROUTE_VERSION] = "version",
	[ROUTE_WATCHDOG] = "watchdog",	 [ROUTE_METRICS] = "metrics",
	[ROUTE_READY] = "ready",
};

const char *route_endpoint_name(enum route_endpoint ep)
{
	if ((int)ep < 0 || ep >= ROUTE__MAX)
		return "-";
	return endpoint_names[ep];
}
