/* module.c: PLACEHOLDER for the cybercrime module table entry, replaced by the
 * CyberCrime Tracker implementation. It offers no endpoint yet (404). */
#include "module.h"

const struct relay_module cybercrime_module = {
	.id = "cybercrime",
	.title = "CyberCrime Tracker",
};
