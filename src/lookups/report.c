/* report.c: the entries for the lookup engine's bounds (see report.h). */
#include "lookups/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctim/entities.h"

void lookup_report_bounds(const struct lookup_bounds_text *t, const struct observable *const *which,
			  const void *results, size_t stride, size_t late_offset, size_t n,
			  size_t left_out, struct relay_response *res)
{
	if (left_out)
		response_add_error(res, RELAY_ERR_TOO_MANY_ENTITIES,
				   "%s: %zu observable%s not looked up: one request asks about at "
				   "most %zu values (%s).",
				   t->name, left_out, left_out == 1 ? " was" : "s were",
				   t->max_lookups, t->max_var);
	size_t late = 0, shown = 0, o = 0;
	char names[512] = "";
	for (size_t i = 0; i < n; i++) {
		int is_late;
		memcpy(&is_late, (const char *)results + i * stride + late_offset, sizeof(is_late));
		if (!is_late)
			continue;
		late++;
		char *v = shown < LOOKUP_LATE_SHOWN ? ctim_truncate(which[i]->value, 60) : NULL;
		if (!v)
			continue;
		int w = snprintf(names + o, sizeof(names) - o, "%s%s %s", shown ? ", " : "",
				 which[i]->type, v);
		if (w > 0 && (size_t)w < sizeof(names) - o) {
			o += (size_t)w;
			shown++;
		} else {
			names[o] = '\0';
		}
		free(v);
	}
	if (late)
		response_add_error(res, RELAY_ERR_UNAVAILABLE,
				   "%s did not answer about %zu observable%s within the request's "
				   "deadline of %ld ms (RELAY_REQUEST_DEADLINE_MS): %s%s.",
				   t->subject, late, late == 1 ? "" : "s", t->deadline_ms, names,
				   late > shown ? ", ..." : "");
}
