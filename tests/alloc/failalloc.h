/* failalloc.h: one allocation wrapper that a test makes fail at the Nth call.
 *
 * The test program is linked with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc,--wrap=strdup,--wrap=strndup, so every call to those in
 * the relay's objects (and the test's) lands in failalloc.c. cJSON is
 * pointed at the same counter with cJSON_InitHooks and libcurl with
 * curl_global_init_mem (failalloc_install, before anything else allocates).
 *
 * Left out: GLib aborts on allocation failure by design (g_malloc never
 * returns NULL), so the GHashTables of the index, the feed parser and the
 * observables list are not failure points. libcrypto does not always say
 * that it ran out of memory (EVP_PKEY_is_a answers "not RSA", HMAC fails
 * without an error), so a failure inside it can only fail closed: the
 * token is refused, never accepted. Frees are not counted. FAILALLOC_STACK=N in the
 * environment prints the stack of allocation N when it is made to fail.
 */
#ifndef FAILALLOC_H
#define FAILALLOC_H

#include <stddef.h>

enum failalloc_mode {
	FAILALLOC_ONCE,	  /* only the Nth call fails; later calls succeed again */
	FAILALLOC_FROM_N, /* the Nth call and every later one fail */
};

/* Points cJSON and libcurl at the counter. Call first in main(). */
void failalloc_install(void);

/* Starts counting from zero; the nth counted call (1-based) fails. */
void failalloc_arm(unsigned long n, enum failalloc_mode mode);

/* Stops failing; returns how many calls were counted since failalloc_arm. */
unsigned long failalloc_disarm(void);

/* Whether a call failed since the last failalloc_arm. */
int failalloc_hit(void);

/* Whether a call that failed came from inside libcurl. libcurl does not
 * always report running out of memory as such (a failed copy of a numeric
 * host reads "Could not resolve host"), so the relay can only pass on the
 * upstream error it was given. */
int failalloc_hit_in_curl(void);

#endif
