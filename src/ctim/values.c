/* values.c: the values CTIM fields take: transient ids (uuid4), ISO-8601
 * times with milliseconds, disposition names, strings cut to CTIM's
 * lengths. Nothing here builds JSON (see ctim/entities.c).
 */
#include "ctim/values.h"

#include <math.h>
#include <string.h>

#include <openssl/rand.h>

#include "ctim/text.h"

static const char *const disposition_names[] = {
	[CTIM_CLEAN] = "Clean",	  [CTIM_MALICIOUS] = "Malicious", [CTIM_SUSPICIOUS] = "Suspicious",
	[CTIM_COMMON] = "Common", [CTIM_UNKNOWN] = "Unknown",
};

const char *ctim_disposition_name(int disposition)
{
	if (disposition < CTIM_CLEAN || disposition > CTIM_UNKNOWN)
		return "Unknown";
	return disposition_names[disposition];
}

/* Random bytes are drawn from OpenSSL in blocks per thread: one RAND_bytes
 * call per 256 ids instead of one per id, which the hot path felt. */
#define CTIM_RANDOM_POOL 4096

static int random_16(unsigned char out[16])
{
	static _Thread_local unsigned char pool[CTIM_RANDOM_POOL];
	static _Thread_local size_t used = CTIM_RANDOM_POOL;
	if (used + 16 > CTIM_RANDOM_POOL) {
		if (RAND_bytes(pool, sizeof(pool)) != 1)
			return -1;
		used = 0;
	}
	memcpy(out, pool + used, 16);
	/* Never hand the same bytes out twice. */
	memset(pool + used, 0, 16);
	used += 16;
	return 0;
}

int ctim_transient_id(const char *kind, char *buf, size_t len)
{
	unsigned char b[16];
	if (random_16(b) != 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* RFC 4122 variant */
	static const char hex[] = "0123456789abcdef";
	char uuid[37];
	size_t o = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			uuid[o++] = '-';
		uuid[o++] = hex[b[i] >> 4];
		uuid[o++] = hex[b[i] & 15];
	}
	uuid[o] = '\0';
	/* "transient:" kind "-" uuid, without printf on the hot path. */
	size_t klen = strlen(kind);
	if (10 + klen + 1 + o + 1 > len)
		return -1;
	memcpy(buf, "transient:", 10);
	memcpy(buf + 10, kind, klen);
	buf[10 + klen] = '-';
	memcpy(buf + 11 + klen, uuid, o + 1);
	return 0;
}

void ctim_format_time(double t, char buf[CTIM_TIME_LEN])
{
	if (!isfinite(t) || t < 0)
		t = 0;
	if (t > 253402300799.0) /* 9999-12-31T23:59:59Z */
		t = 253402300799.0;
	time_t secs = (time_t)t;
	int ms = (int)((t - (double)secs) * 1000.0);
	if (ms < 0 || ms > 999)
		ms = 0;
	/* Entities of one request share a handful of seconds: remember the
	 * last one formatted by this thread. */
	static _Thread_local time_t last_secs[2] = {-1, -1};
	static _Thread_local char last_day[2][24];
	static _Thread_local int next_slot;
	int slot = secs == last_secs[0] ? 0 : secs == last_secs[1] ? 1 : -1;
	if (slot < 0) {
		/* Two slots: a request formats "now" and "now + 7 days" in turn. */
		slot = next_slot;
		next_slot ^= 1;
		struct tm tm;
		gmtime_r(&secs, &tm);
		/* %Y-%m-%dT%H:%M:%S written by hand: strftime was a few % of an
		 * observe answer, one call per tweet. Years stay within 0..9999. */
		char *d = last_day[slot];
		int year = tm.tm_year + 1900;
		const int parts[] = {tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec};
		static const char seps[] = "-T::";
		d[0] = (char)('0' + year / 1000 % 10);
		d[1] = (char)('0' + year / 100 % 10);
		d[2] = (char)('0' + year / 10 % 10);
		d[3] = (char)('0' + year % 10);
		d[4] = '-';
		for (int i = 0; i < 5; i++) {
			d[5 + 3 * i] = (char)('0' + parts[i] / 10);
			d[6 + 3 * i] = (char)('0' + parts[i] % 10);
			if (i < 4)
				d[7 + 3 * i] = seps[i];
		}
		d[19] = '\0';
		last_secs[slot] = secs;
	}
	memcpy(buf, last_day[slot], 19);
	buf[19] = '.';
	buf[20] = (char)('0' + ms / 100);
	buf[21] = (char)('0' + ms / 10 % 10);
	buf[22] = (char)('0' + ms % 10);
	buf[23] = 'Z';
	buf[24] = '\0';
}

char *ctim_truncate(const char *s, size_t max_units)
{
	return text_cut_utf16(s, max_units);
}

int ctim_observable_ok(const char *type, const char *value)
{
	return type && value && text_fits(type, (size_t)-1) && text_fits(value, (size_t)-1);
}
