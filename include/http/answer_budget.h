/* answer_budget.h: keeps an observables answer within RELAY_MAX_ANSWER_BYTES.
 *
 * docs/api.md#entities-in-every-module: an answer is at most RELAY_MAX_ANSWER_BYTES bytes; entities
 * beyond it are left out with a too-many-entities warning, and what remains
 * is a complete, valid answer (every `count` matches its `docs`).
 *
 * Works on the answer as the module left it, whatever the module: `data` is
 * either an array of entities (refer) or an object of {"count", "docs"}
 * lists (deliberate, observe). Lists are kept in the order of their worth
 * to a reader (verdicts, judgements, indicators, relationships, sightings,
 * then any other), and in each list the entities in their order, as long
 * as they fit. Errors are never dropped; they count against the budget.
 *
 * A cheap upper bound of the printed size comes first, so the common small
 * answer is never printed twice; only an answer that may be over the
 * budget has its entities printed one by one (json_print) to be measured.
 */
#ifndef ANSWER_BUDGET_H
#define ANSWER_BUDGET_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "http/response.h"

/* Room kept for the warning entry this adds (with its separators). */
#define ANSWER_BUDGET_WARNING_RESERVE 400

/* Cuts res->data so the rendered envelope is at most max_bytes long
 * (0 = no budget). Nothing happens to a failed response or one without
 * data. Out of memory turns the response into a 500. */
void answer_budget_apply(struct relay_response *res, size_t max_bytes);

/* An upper bound of the length json_print gives `item` (never less than
 * the real length; cheap: no printing). */
size_t answer_budget_bound(const cJSON *item);

#endif
