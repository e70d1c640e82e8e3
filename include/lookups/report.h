/* report.h: what the lookup engine's bounds cost a request, worded for the client.
 *
 * The engine leaves out the values over a module's per-request cap and
 * gives up on those the request deadline cuts (lookup.h). Every lookup
 * module tells the client the same way: one warning for the values left
 * out, and one `service unavailable` error naming the first few late
 * observables (docs/api.md#bounds-cybercrime). The module gives only its
 * words; nothing here allocates but the names' cut copies.
 */
#ifndef LOOKUPS_REPORT_H
#define LOOKUPS_REPORT_H

#include <stddef.h>

#include "http/observables.h"
#include "http/response.h"

/* Late observables a deadline error names before "...". */
#define LOOKUP_LATE_SHOWN 5

struct lookup_bounds_text {
	const char *name;    /* the warning's prefix, e.g. "CyberCrime Tracker" */
	const char *subject; /* who did not answer, e.g. "The CyberCrime Tracker" */
	const char *max_var; /* the cap's variable, e.g. "CYBERCRIME_MAX_LOOKUPS" */
	size_t max_lookups;
	long deadline_ms;
};

/* Adds the entries for `left_out` values not asked and for the late ones
 * among which[0..n-1]: result i is late when the int at byte `late_offset`
 * of the i-th of the `results` array (elements of `stride` bytes) is
 * non-zero, so any module's result struct serves (offsetof its `late`).
 * Adds nothing when neither happened; never fails (a name that cannot be
 * copied is left out of the list). */
void lookup_report_bounds(const struct lookup_bounds_text *t, const struct observable *const *which,
			  const void *results, size_t stride, size_t late_offset, size_t n,
			  size_t left_out, struct relay_response *res);

#endif
