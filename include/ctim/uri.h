/* uri.h: the strict check every URI the relay emits passes, percent-encoding
 * of the values put into one, and tweet links.
 *
 * CTIM's URI type is java.net.URI.create and at most 2,048 characters; the
 * relay is stricter: an absolute http or https URI per RFC 3986 (ASCII only,
 * no spaces, every % followed by two hex digits, no userinfo, a host of
 * letters, digits, '-' and '.', or an IP literal, an optional port).
 */
#ifndef URI_H
#define URI_H

#include <stddef.h>

#define URI_MAX 2048

/* Percent-encodes `s` for a URI query or path component: every byte but
 * RFC 3986's unreserved ALPHA / DIGIT / "-" / "." / "_" / "~" becomes %XX
 * (libcurl's curl_easy_escape). Returns a new string (free() it), or NULL
 * when out of memory. */
char *uri_escape(const char *s);

/* 1 when s is such a URI, 0 otherwise (NULL included). */
int uri_valid_http(const char *s);

/* 1 when s (a valid URI) points at host (ASCII case ignored, any port). */
int uri_host_is(const char *s, const char *host);

/* 1 when name can be a Twitter account: [A-Za-z0-9_]{1,15}. */
int uri_twitter_handle(const char *name);

/* The link for a tweet: the feed's `link` when it is a valid URI on
 * twitter.com or x.com (a path starting with "/" is taken as relative to
 * https://twitter.com), else https://twitter.com/<user>/status/<id> when the
 * account is a handle and the id 1-20 digits. Sets *out to the link (`link`
 * itself, or `buf` holding the rebuilt one) and returns 1; returns 0 with
 * *out NULL when the tweet has no usable link. */
int uri_tweet_link(const char *link, const char *user, const char *id, char buf[URI_MAX + 1],
		   const char **out);

/* 1 when `link` is exactly https://twitter.com/<user>/status/<id> for a
 * handle and an id that uri_tweet_link() would rebuild it from. */
int uri_tweet_link_canonical(const char *link, const char *user, const char *id);

#endif
