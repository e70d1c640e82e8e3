/* metrics.h: process-wide counters and the Prometheus text of GET /metrics. */
#ifndef METRICS_H
#define METRICS_H

#include "http/route_endpoint.h"
#include "lib/strbuf.h"

struct relay_config;

/* Counts one answered request (thread-safe, lock-free). */
void metrics_count_request(enum route_endpoint endpoint, int http_status, int had_errors);

/* Counts one request's duration in relay_request_duration_seconds
 * (thread-safe, lock-free). */
void metrics_observe_duration(enum route_endpoint endpoint, double seconds);

/* Counts one entity left out because it could not be made valid CTIM
 * (relay_entities_dropped_total; thread-safe). */
void metrics_count_dropped_entity(void);

/* Appends the exposition text for the relay and every enabled module. */
void metrics_render(const struct relay_config *cfg, struct strbuf *out);

#endif
