/* normalize.c: refanging and match keys for the Twitter IOC Hunter index. */
#include "modules/tweettioc/normalize.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

char ioc_class_of_type(const char *type)
{
	static const struct {
		const char *type;
		char cls;
	} types[] = {
		{"ip", IOC_CLASS_IP},	    {"ipv6", IOC_CLASS_IP},
		{"md5", IOC_CLASS_HASH},    {"sha1", IOC_CLASS_HASH},
		{"sha256", IOC_CLASS_HASH}, {"domain", IOC_CLASS_DOMAIN},
		{"email", IOC_CLASS_EMAIL}, {"url", IOC_CLASS_URL},
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].type) == 0)
			return types[i].cls;
	return 0;
}

/* Defanged spellings and what they stand for; matched case-insensitively. */
static const struct {
	const char *from, *to;
} fangs[] = {
	{"hxxps", "https"}, {"hxxp", "http"}, {"[://]", "://"}, {"[.]", "."},
	{"(.)", "."},	    {"{.}", "."},     {"[dot]", "."},	{"(dot)", "."},
	{"[:]", ":"},	    {"[at]", "@"},    {"(at)", "@"},	{"[@]", "@"},
};

/* Only these characters can start a defanged spelling. */
static int may_start_fang(char c)
{
	return c == '[' || c == '(' || c == '{' || c == 'h' || c == 'H';
}

long ioc_refang(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	while (*s) {
		const char *to = NULL;
		size_t from_len = 0;
		for (size_t i = 0; may_start_fang(*s) && i < sizeof(fangs) / sizeof(fangs[0]);
		     i++) {
			size_t n = strlen(fangs[i].from);
			if (strncasecmp(s, fangs[i].from, n) == 0) {
				to = fangs[i].to;
				from_len = n;
				break;
			}
		}
		if (to) {
			size_t n = strlen(to);
			if (o + n >= outlen)
				return -1;
			memcpy(out + o, to, n);
			o += n;
			s += from_len;
		} else {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	return (long)o;
}

static void lower(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
}

/* Trims white space in place; returns the new start. */
static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* "<cls>:<v>" into out. */
static int put_key(char cls, const char *v, size_t n, char *out, size_t outlen)
{
	if (n + 3 > outlen)
		return -1;
	out[0] = cls;
	out[1] = ':';
	memcpy(out + 2, v, n);
	out[n + 2] = '\0';
	return 0;
}

/* Normalises a URL (refanged, trimmed) in place: lowercase scheme and
 * host, "/" for an empty path. Writes keys as ioc_key() describes. */
static int url_keys(char *v, char *out, size_t outlen, char *alt, size_t altlen)
{
	char buf[IOC_KEY_MAX];
	char *sep = strstr(v, "://");
	char *host = sep ? sep + 3 : v;
	size_t host_len = strcspn(host, "/?#");
	lower(v, (size_t)(host + host_len - v)); /* scheme and host */
	int rc = snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(host + host_len - v), v,
			  host[host_len] == '/' ? "" : "/", host + host_len);
	if (rc < 0 || (size_t)rc >= sizeof(buf))
		return -1;
	size_t scheme_len = sep ? (size_t)(sep - v) + 3 : 0;
	int web = sep && (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0);
	if (alt)
		alt[0] = '\0';
	if (!sep)
		return put_key(IOC_CLASS_URL_NOSCHEME, buf, (size_t)rc, out, outlen);
	if (put_key(IOC_CLASS_URL, buf, (size_t)rc, out, outlen) != 0)
		return -1;
	if (web && alt &&
	    put_key(IOC_CLASS_URL_NOSCHEME, buf + scheme_len, (size_t)rc - scheme_len, alt,
		    altlen) != 0)
		return -1;
	return 0;
}

int ioc_key(char cls, const char *value, char *out, size_t outlen, char *alt, size_t altlen)
{
	char buf[IOC_KEY_MAX];
	if (alt && altlen)
		alt[0] = '\0';
	if (strlen(value) > IOC_MAX_VALUE || ioc_refang(value, buf, sizeof(buf)) < 0)
		return -1;
	char *v = trim(buf);
	size_t n = strlen(v);
	if (n == 0)
		return -1;
	switch (cls) {
	case IOC_CLASS_URL: return url_keys(v, out, outlen, alt, altlen);
	case IOC_CLASS_IP: {
		lower(v, n);
		/* IPv6 has many spellings of one address; inet_ntop gives one. */
		struct in6_addr a6;
		char canon[INET6_ADDRSTRLEN];
		if (strchr(v, ':') && inet_pton(AF_INET6, v, &a6) == 1 &&
		    inet_ntop(AF_INET6, &a6, canon, sizeof(canon)))
			return put_key(cls, canon, strlen(canon), out, outlen);
		return put_key(cls, v, n, out, outlen);
	}
	case IOC_CLASS_DOMAIN:
		while (n > 1 && v[n - 1] == '.')
			v[--n] = '\0';
		lower(v, n);
		return put_key(cls, v, n, out, outlen);
	case IOC_CLASS_HASH:
	case IOC_CLASS_EMAIL: lower(v, n); return put_key(cls, v, n, out, outlen);
	default: return -1;
	}
}
