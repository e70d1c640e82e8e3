/* uri.c: strict RFC 3986 checking of emitted http(s) URIs, percent-encoding,
 * and tweet links.
 *
 * The grammar is RFC 3986 section 3 restricted to what a relay emits:
 * scheme "://" host [":" port] path-abempty ["?" query] ["#" fragment],
 * with pchar = unreserved / pct-encoded / sub-delims / ":" / "@". The host is
 * held to DNS letters, digits, '-' and '.' (or an IP literal) because an
 * entity such as &commat; in a Markdown link destination is decoded before
 * the browser sees it: a host that may contain '&' could become userinfo.
 */
#include "ctim/uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

char *uri_escape(const char *s)
{
	char *enc = curl_easy_escape(NULL, s, 0);
	if (!enc)
		return NULL;
	char *out = strdup(enc);
	curl_free(enc);
	return out;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* unreserved / sub-delims / ":" / "@" (pchar without pct-encoded). */
static int is_pchar(char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("-._~!$&'()*+,;=:@", c));
}

/* Length of the host at s (up to the first ':', '/', '?', '#' or end), or
 * 0 when it is not a DNS name or an IP literal. */
static size_t host_len(const char *s)
{
	size_t i = 0;
	if (s[0] == '[') {
		for (i = 1; s[i] && s[i] != ']'; i++)
			if (!is_hex(s[i]) && s[i] != ':' && s[i] != '.')
				return 0;
		return s[i] == ']' && i > 1 ? i + 1 : 0;
	}
	for (; s[i] && !strchr(":/?#", s[i]); i++)
		if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '-' && s[i] != '.')
			return 0;
	return i;
}

int uri_valid_http(const char *s)
{
	if (!s || strlen(s) > URI_MAX)
		return 0;
	size_t i;
	if (strncasecmp(s, "https://", 8) == 0)
		i = 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		i = 7;
	else
		return 0;
	size_t h = host_len(s + i);
	if (h == 0)
		return 0;
	i += h;
	if (s[i] == ':') {
		size_t digits = 0;
		for (i++; is_digit(s[i]); i++)
			digits++;
		if (digits == 0 || digits > 5)
			return 0;
	}
	if (s[i] && !strchr("/?#", s[i]))
		return 0;
	int in_fragment = 0;
	for (; s[i]; i++) {
		char c = s[i];
		if (c == '%') {
			if (!is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return 0;
			i += 2;
		} else if (c == '#') {
			if (in_fragment)
				return 0;
			in_fragment = 1;
		} else if (c != '/' && c != '?' && !is_pchar(c)) {
			return 0;
		}
	}
	return 1;
}

int uri_host_is(const char *s, const char *host)
{
	const char *p = strstr(s, "://");
	if (!p)
		return 0;
	p += 3;
	size_t n = strlen(host);
	return strncasecmp(p, host, n) == 0 && (p[n] == '\0' || strchr(":/?#", p[n]));
}

int uri_twitter_handle(const char *name)
{
	size_t n = 0;
	for (; name && name[n]; n++)
		if (n >= 15 || !(is_alpha(name[n]) || is_digit(name[n]) || name[n] == '_'))
			return 0;
	return n > 0;
}

static int tweet_id(const char *id)
{
	size_t n = 0;
	for (; id && id[n]; n++)
		if (n >= 20 || !is_digit(id[n]))
			return 0;
	return n > 0;
}

static int twitter_host(const char *link)
{
	static const char *const hosts[] = {"twitter.com", "www.twitter.com", "mobile.twitter.com",
					    "x.com", "www.x.com"};
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (uri_host_is(link, hosts[i]))
			return 1;
	return 0;
}

#define TWITTER_BASE "https://twitter.com"

int uri_tweet_link(const char *link, const char *user, const char *id, char buf[URI_MAX + 1],
		   const char **out)
{
	*out = NULL;
	if (link && link[0] == '/' && link[1] != '/') {
		int n = snprintf(buf, URI_MAX + 1, "%s%s", TWITTER_BASE, link);
		if (n > 0 && n <= URI_MAX && uri_valid_http(buf)) {
			*out = buf;
			return 1;
		}
	} else if (uri_valid_http(link) && twitter_host(link)) {
		*out = link;
		return 1;
	}
	if (!uri_twitter_handle(user) || !tweet_id(id))
		return 0;
	snprintf(buf, URI_MAX + 1, TWITTER_BASE "/%s/status/%s", user, id);
	*out = buf;
	return 1;
}

int uri_tweet_link_canonical(const char *link, const char *user, const char *id)
{
	static const char base[] = TWITTER_BASE "/", status[] = "/status/";
	size_t nb = sizeof(base) - 1, ns = sizeof(status) - 1;
	if (!link || !uri_twitter_handle(user) || !tweet_id(id) || strncmp(link, base, nb) != 0)
		return 0;
	link += nb;
	size_t nu = strlen(user);
	if (strncmp(link, user, nu) != 0 || strncmp(link + nu, status, ns) != 0)
		return 0;
	return strcmp(link + nu + ns, id) == 0;
}
