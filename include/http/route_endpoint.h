/* route_endpoint.h: the relay's endpoints as an enum, and their names.
 *
 * The lowest layer of http/: the router (http/router.c) dispatches on these
 * values and the counters (http/metrics.c) are indexed by them, so both
 * include this header instead of each other. route_endpoint_name() returns
 * static strings; nothing here allocates.
 */
#ifndef ROUTE_ENDPOINT_H
#define ROUTE_ENDPOINT_H

enum route_endpoint {
	ROUTE_HEALTH,
	ROUTE_DELIBERATE,
	ROUTE_OBSERVE,
	ROUTE_REFER,
	ROUTE_TILES,
	ROUTE_TILE,
	ROUTE_TILE_DATA,
	ROUTE_VERSION,
	ROUTE_WATCHDOG,
	ROUTE_METRICS,
	ROUTE_READY,
	ROUTE__MAX
};

/* The endpoint's name in logs and metrics ("deliberate", "tile_data");
 * "-" for a value outside the enum. */
const char *route_endpoint_name(enum route_endpoint ep);

#endif
