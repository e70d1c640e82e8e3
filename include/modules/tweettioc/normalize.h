/* normalize.h: the match keys of IOCs and observables (docs/api.md#module-tweettioc).
 *
 * Matching is exact on a key made of a class letter and a normalised value:
 * defanged forms are refanged, hashes/domains/emails/IPs are lowercased, a
 * URL keeps its path but lowercases scheme and host. A URL also has a
 * scheme-less key, so an observable without a scheme finds http and https.
 */
#ifndef TWEETTIOC_NORMALIZE_H
#define TWEETTIOC_NORMALIZE_H

#include <stddef.h>

/* Key classes. */
#define IOC_CLASS_IP 'i'
#define IOC_CLASS_HASH 'h'
#define IOC_CLASS_DOMAIN 'd'
#define IOC_CLASS_EMAIL 'e'
#define IOC_CLASS_URL 'u'	   /* URL with its scheme */
#define IOC_CLASS_URL_NOSCHEME 'v' /* http(s) URL without its scheme */

/* Longest value the relay normalises; longer values never match. */
#define IOC_MAX_VALUE 4096

/* The class for a SecureX observable type ("ip", "md5", ...), or 0 when the
 * module does not support the type. "url" gives IOC_CLASS_URL. */
char ioc_class_of_type(const char *type);

/* Writes the refanged form of s into out (outlen bytes, at least strlen+1).
 * Returns the length, or -1 when it does not fit. */
long ioc_refang(const char *s, char *out, size_t outlen);

/* Writes the key of a value of class `cls` into out: "<cls>:<normalised>".
 * For IOC_CLASS_URL the value's scheme decides: an http(s) URL also has an
 * alternate key (IOC_CLASS_URL_NOSCHEME) written to alt when alt != NULL
 * (alt[0] = '\0' when none); a URL without "://" gets only the
 * IOC_CLASS_URL_NOSCHEME key in out. Returns 0, or -1 when the value is
 * empty or longer than IOC_MAX_VALUE. */
int ioc_key(char cls, const char *value, char *out, size_t outlen, char *alt, size_t altlen);

/* Buffer size that fits any key. */
#define IOC_KEY_MAX (IOC_MAX_VALUE + 8)

#endif
