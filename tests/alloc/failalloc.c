/* failalloc.c: the --wrap'd allocators and the hooks of cJSON and libcurl.
 *
 * Counting is atomic so a helper thread (the test's fake upstream) cannot
 * tear it, but a test arms the counter only around work it starts itself.
 */
#include "failalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sanitizer/common_interface_defs.h>
#include <curl/curl.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static unsigned long fail_at; /* 0: never */
static unsigned long counted;
static int mode;
static int hit;
static int hit_in_curl;

void failalloc_arm(unsigned long n, enum failalloc_mode m)
{
	__atomic_store_n(&counted, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&hit, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&hit_in_curl, 0, __ATOMIC_SEQ_CST);
	mode = (int)m;
	__atomic_store_n(&fail_at, n, __ATOMIC_SEQ_CST);
}

unsigned long failalloc_disarm(void)
{
	__atomic_store_n(&fail_at, 0, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&counted, __ATOMIC_SEQ_CST);
}

int failalloc_hit(void)
{
	return __atomic_load_n(&hit, __ATOMIC_SEQ_CST);
}

int failalloc_hit_in_curl(void)
{
	return __atomic_load_n(&hit_in_curl, __ATOMIC_SEQ_CST);
}

static int should_fail(void)
{
	unsigned long at = __atomic_load_n(&fail_at, __ATOMIC_SEQ_CST);
	if (!at)
		return 0;
	unsigned long n = __atomic_add_fetch(&counted, 1, __ATOMIC_SEQ_CST);
	if (n == at || (mode == FAILALLOC_FROM_N && n > at)) {
		__atomic_store_n(&hit, 1, __ATOMIC_SEQ_CST);
		/* FAILALLOC_STACK=N shows where allocation N came from. */
		const char *show = getenv("FAILALLOC_STACK");
		if (n == at && show && strtoul(show, NULL, 10) == n)
			__sanitizer_print_stack_trace();
		errno = ENOMEM; /* as malloc itself does */
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n)
{
	return should_fail() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return should_fail() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return should_fail() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return should_fail() ? NULL : __real_strndup(s, n);
}

static void plain_free(void *p)
{
	free(p);
}

/* libcurl's hooks: the same counter, but a failure is remembered as libcurl's. */
static void *curl_fail_note(void *p)
{
	if (!p && failalloc_hit())
		__atomic_store_n(&hit_in_curl, 1, __ATOMIC_SEQ_CST);
	return p;
}

static void *curl_malloc(size_t n)
{
	return curl_fail_note(__wrap_malloc(n));
}

static void *curl_calloc(size_t n, size_t size)
{
	return curl_fail_note(__wrap_calloc(n, size));
}

static void *curl_realloc(void *p, size_t n)
{
	return curl_fail_note(__wrap_realloc(p, n));
}

static char *curl_strdup(const char *s)
{
	return curl_fail_note(__wrap_strdup(s));
}

void failalloc_install(void)
{
	cJSON_Hooks hooks = {.malloc_fn = __wrap_malloc, .free_fn = plain_free};
	cJSON_InitHooks(&hooks);
	curl_global_init_mem(CURL_GLOBAL_DEFAULT, curl_malloc, plain_free, curl_realloc,
			     curl_strdup, curl_calloc);
}
