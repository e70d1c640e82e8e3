/* redirect.h: the redirect rule of outbound calls: which 3xx targets may be
 * followed, and how a refused target is quoted in a message.
 *
 * Owned by src/net/redirect.c. Pure functions over URL strings (curl's URL
 * API parses them); the transfers themselves (net/transfer.c) apply the
 * rule. Nothing here keeps state; returned strings are the caller's.
 */
#ifndef NET_REDIRECT_H
#define NET_REDIRECT_H

/* Redirects in a row one call follows (when it follows any). */
#define REDIRECT_MAX_FOLLOWED 3

/* Longest piece of a refused redirect's target quoted in a message. */
#define REDIRECT_SHOWN_MAX 180

/* Why a redirect from `from` to `to` (absolute URLs, as
 * CURLINFO_REDIRECT_URL gives them) may not be followed, as a static
 * phrase completing "redirected to <url>; ", or NULL when it may: same host
 * (case-insensitive), same port or http:80 to https:443, scheme http or
 * https and never https to http; `https_only` also refuses http. URLs that
 * do not parse, and no memory, are refused. */
const char *redirect_refusal(const char *from, const char *to, int https_only);

/* 1 when redirect_refusal() has nothing against it, else 0. */
int redirect_allowed(const char *from, const char *to, int https_only);

/* A copy of a URL from an upstream that is safe to show: at most
 * REDIRECT_SHOWN_MAX bytes (then "..."), control and non-ASCII bytes as %XX
 * (so the message is valid UTF-8 whatever was sent). free() it; NULL when
 * out of memory. */
char *redirect_url_shown(const char *url);

#endif
