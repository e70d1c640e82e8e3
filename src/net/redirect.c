/* redirect.c: the same-host redirect rule of outbound calls (docs/hardening.md,
 * "Outbound calls"), on curl's URL API.
 *
 * curl_url() parses both URLs so that host and port are compared as curl
 * itself would connect to them (default ports filled in, case folded for
 * the host). CURLOPT_PREREQFUNCTION was the other candidate, but it sees
 * the connected IP address, not the host name the rule is about.
 */
#include "net/redirect.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

static CURLU *url_parse(const char *s)
{
	CURLU *u = curl_url();
	if (u && curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		u = NULL;
	}
	return u;
}

/* A part of a parsed URL (curl_free() it), or NULL. */
static char *url_part(CURLU *u, CURLUPart what, unsigned int flags)
{
	char *v = NULL;
	if (!u || curl_url_get(u, what, &v, flags) != CURLUE_OK)
		return NULL;
	return v;
}

const char *redirect_refusal(const char *from, const char *to, int https_only)
{
	CURLU *a = url_parse(from), *b = url_parse(to);
	char *sa = url_part(a, CURLUPART_SCHEME, 0), *sb = url_part(b, CURLUPART_SCHEME, 0);
	char *ha = url_part(a, CURLUPART_HOST, 0), *hb = url_part(b, CURLUPART_HOST, 0);
	char *pa = url_part(a, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	char *pb = url_part(b, CURLUPART_PORT, CURLU_DEFAULT_PORT);
	const char *why = "redirects to another host are not followed";
	if (sa && sb) {
		int from_http = strcasecmp(sa, "http") == 0,
		    from_https = strcasecmp(sa, "https") == 0;
		int to_http = strcasecmp(sb, "http") == 0, to_https = strcasecmp(sb, "https") == 0;
		/* http://h/ -> https://h/ is the same host moving to TLS. */
		int upgrade = from_http && to_https && pa && pb && strcmp(pa, "80") == 0 &&
			      strcmp(pb, "443") == 0;
		if (!(from_http || from_https) || !(to_http || to_https))
			why = "redirects to protocols other than http and https are not followed";
		else if (to_http && (from_https || https_only))
			why = "redirects from https to http are not followed";
		else if (ha && hb && pa && pb && strcasecmp(ha, hb) == 0 &&
			 (strcmp(pa, pb) == 0 || upgrade))
			why = NULL;
	} else if (a && !b) {
		why = "a target that is not a URL is not followed";
	}
	curl_free(sa), curl_free(sb), curl_free(ha), curl_free(hb), curl_free(pa), curl_free(pb);
	curl_url_cleanup(a);
	curl_url_cleanup(b);
	return why;
}

int redirect_allowed(const char *from, const char *to, int https_only)
{
	return redirect_refusal(from, to, https_only) == NULL;
}

char *redirect_url_shown(const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(url), o = 0;
	char *out = malloc(REDIRECT_SHOWN_MAX + 4);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)url[i];
		int plain = c > 0x20 && c < 0x7F && c != '"' && c != '\\';
		if (o + (plain ? 1 : 3) > REDIRECT_SHOWN_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}
