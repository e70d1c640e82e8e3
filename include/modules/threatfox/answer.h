/* answer.h: ThreatFox's API answer read into records, and exact matching
 * (docs/api.md, module threatfox).
 *
 * POST <THREATFOX_URL>/api/v1/ answers {"query_status": "ok", "data":
 * [record...]}; "no_result" (or an empty data) is no hit; any other status
 * is the upstream's own refusal, reported as a warning with its text. A
 * record is {id, ioc, threat_type, threat_type_desc, ioc_type, malware,
 * malware_printable, malware_alias, confidence_level, first_seen,
 * last_seen, reference, reporter, tags}: everything attacker-written and
 * checked; unknown fields are ignored and a record of the wrong shape is
 * skipped, never the answer.
 *
 * Ownership: every string and array of `out` lives in the caller's arena.
 */
#ifndef THREATFOX_ANSWER_H
#define THREATFOX_ANSWER_H

#include <stddef.h>

#include "http/relay_error.h"

struct arena;

/* Records read from one answer at most; the rest are counted in `over`.
 * The module then keeps CTR_ENTITIES_LIMIT of those that match. */
#define THREATFOX_MAX_RECORDS 1000
#define THREATFOX_MAX_TAGS 32
/* Longest string field kept; a record with a longer one is skipped. */
#define THREATFOX_MAX_FIELD 4096
/* The status text kept for a warning. */
#define THREATFOX_STATUS_MAX 128

enum threatfox_status {
	THREATFOX_OK,	     /* records follow (maybe none that match) */
	THREATFOX_NO_RESULT, /* "no_result", or an empty data */
	THREATFOX_REFUSED,   /* another query_status: `status` says which */
	THREATFOX_STATUS__MAX
};

struct threatfox_record {
	const char *id;		       /* digits */
	const char *ioc;	       /* as ThreatFox wrote it, e.g. "1.2.3.4:443" */
	const char *ioc_type;	       /* "ip:port", "domain", "url", "md5_hash", "sha256_hash" */
	const char *threat_type;       /* may be NULL */
	const char *threat_type_desc;  /* may be NULL */
	const char *malware;	       /* may be NULL */
	const char *malware_printable; /* the family, "Unknown malware" when absent */
	const char **aliases;	       /* malware_alias split on ',' */
	size_t n_aliases;
	int confidence;	       /* 0..100 */
	double first_seen;     /* epoch seconds, < 0 when absent */
	double last_seen;      /* epoch seconds, < 0 when null */
	const char *reference; /* a valid http(s) URI, else NULL */
	const char *reporter;  /* may be NULL */
	const char **tags;
	size_t n_tags;
};

struct threatfox_answer {
	enum threatfox_status status;
	char status_text[THREATFOX_STATUS_MAX]; /* printable ASCII, for REFUSED */
	struct threatfox_record *records;
	size_t n_records;
	size_t skipped; /* records of the wrong shape */
	size_t over;	/* records past THREATFOX_MAX_RECORDS */
};

/* Reads `len` bytes. Returns RELAY_OK with *out filled; RELAY_ERR_KEY_ERROR
 * (not JSON, no string query_status, or "ok" without a data array) or
 * RELAY_ERR_INTERNAL (out of memory) with a message in err. */
enum relay_err threatfox_parse(const char *json, size_t len, struct arena *a,
			       struct threatfox_answer *out, char *err, size_t errlen);

/* 1 when the record's `ioc` is the observable exactly: an ip matches the ip
 * or "<ip>:<port>" (never a longer ip), domains and urls compare after
 * refanging with the case rules of docs/api.md (scheme and host
 * case-insensitive), hashes case-insensitively. 0 otherwise, also for an
 * unsupported type. */
int threatfox_match(const char *type, const char *value, const struct threatfox_record *r);

/* "High" (>= 75), "Medium" (>= 50) or "Low". */
const char *threatfox_confidence(int level);

/* "YYYY-MM-DD HH:MM:SS UTC" to epoch seconds: 0, or -1 for anything else. */
int threatfox_parse_time(const char *s, double *out);

#endif
