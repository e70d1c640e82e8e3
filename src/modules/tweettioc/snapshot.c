/* snapshot.c: writes the retained feed to disk atomically and reads it back at start.
 *
 * The layout is in snapshot.h. Writing streams the tweets through one
 * buffer into a new temporary file next to the snapshot (state_dir.h)
 * while hashing them (OpenSSL EVP, SHA-256), then fills in the header,
 * fsyncs, renames over the old file and fsyncs the directory: a crash or a
 * full disk at any point leaves the previous snapshot as it was. Reading
 * copies the file into memory of its own (bounded by TWEETTIOC_MAX_BYTES),
 * checks the header, the checksum and the times, and hands every tweet to
 * the feed builder (feed_build.h), which checks it as the JSON parser
 * would and folds repeated ids as a download's (dedupe.h).
 */
#include "modules/tweettioc/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"
#include "modules/tweettioc/state_dir.h"

static const char snapshot_magic[8] = {'S', 'X', 'R', 'F', 'E', 'E', 'D', '\n'};
#define SNAPSHOT_BOM 0x01020304u
#define HEADER_BYTES 64
#define DIGEST_BYTES 32
#define PREFIX_BYTES (HEADER_BYTES + DIGEST_BYTES)
#define WRITE_BUFFER (1024 * 1024)

struct header {
	char magic[8];
	uint32_t version;
	uint32_t bom;
	double last_success;
	uint64_t n_tweets;
	uint64_t payload_bytes;
	uint64_t source_bytes;
	uint64_t n_skipped;
	uint64_t n_future; /* 0 in files of relays before it was kept */
};
_Static_assert(sizeof(struct header) == HEADER_BYTES, "snapshot header layout");

size_t snapshot_max_size(size_t max_bytes)
{
	return max_bytes ? PREFIX_BYTES + 2 * max_bytes : SIZE_MAX / 2;
}

/* ------------------------------------------------------------------ write */

struct writer {
	int fd;
	unsigned char *buf;
	size_t used;
	EVP_MD_CTX *md;
	int failed; /* errno of the first failure, 0 if none */
	uint64_t payload;
	const volatile int *cancel;
};

static int write_all(int fd, const unsigned char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : ENOSPC;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void flush(struct writer *w)
{
	if (!w->failed && w->cancel && *w->cancel)
		w->failed = ECANCELED;
	if (!w->failed && w->used) {
		if (!EVP_DigestUpdate(w->md, w->buf, w->used))
			w->failed = EIO;
		else
			w->failed = write_all(w->fd, w->buf, w->used);
	}
	w->payload += w->used;
	w->used = 0;
}

static void put(struct writer *w, const void *p, size_t n)
{
	const unsigned char *s = p;
	while (n && !w->failed) {
		if (w->used == WRITE_BUFFER)
			flush(w);
		size_t room = WRITE_BUFFER - w->used, take = n < room ? n : room;
		memcpy(w->buf + w->used, s, take);
		w->used += take;
		s += take;
		n -= take;
	}
}

static void put_str(struct writer *w, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	put(w, &n, sizeof(n));
	put(w, s, (size_t)n + 1);
}

static void put_tweet(struct writer *w, const struct feed_tweet *t)
{
	put(w, &t->timestamp, sizeof(t->timestamp));
	put_str(w, t->id);
	put_str(w, t->user);
	put_str(w, t->text);
	put_str(w, t->link);
	uint16_t n = (uint16_t)t->n_hashtags;
	put(w, &n, sizeof(n));
	for (size_t i = 0; i < t->n_hashtags; i++)
		put_str(w, t->hashtags[i]);
	n = (uint16_t)t->n_iocs;
	put(w, &n, sizeof(n));
	for (size_t i = 0; i < t->n_iocs; i++) {
		uint8_t kind = (uint8_t)t->iocs[i].kind;
		put(w, &kind, sizeof(kind));
		put_str(w, t->iocs[i].value);
	}
}

/* Writes the whole file to w->fd; returns 0 or an errno value. */
static int write_file(struct writer *w, const struct feed *feed, double last_success)
{
	unsigned char prefix[PREFIX_BYTES];
	memset(prefix, 0, sizeof(prefix));
	int e = write_all(w->fd, prefix, sizeof(prefix));
	if (e)
		return e;
	for (size_t i = 0; i < feed->n_tweets && !w->failed; i++)
		put_tweet(w, &feed->tweets[i]);
	flush(w);
	if (w->failed)
		return w->failed;
	struct header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, snapshot_magic, sizeof(h.magic));
	h.version = SNAPSHOT_VERSION;
	h.bom = SNAPSHOT_BOM;
	h.last_success = last_success;
	h.n_tweets = feed->n_tweets;
	h.payload_bytes = w->payload;
	h.source_bytes = feed->source_bytes;
	h.n_skipped = feed->n_skipped;
	h.n_future = feed->n_future;
	memcpy(prefix, &h, sizeof(h));
	unsigned int dlen = 0;
	if (!EVP_DigestUpdate(w->md, &h, sizeof(h)) ||
	    !EVP_DigestFinal_ex(w->md, prefix + HEADER_BYTES, &dlen) || dlen != DIGEST_BYTES)
		return EIO;
	for (size_t off = 0; off < sizeof(prefix);) {
		ssize_t n = pwrite(w->fd, prefix + off, sizeof(prefix) - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : ENOSPC;
		off += (size_t)n;
	}
	if (w->cancel && *w->cancel)
		return ECANCELED;
	return fsync(w->fd) != 0 ? errno : 0;
}

int snapshot_write(int dirfd, const struct feed *feed, double last_success,
		   const volatile int *cancel, char *err, size_t errlen)
{
	return snapshot_write_file(dirfd, SNAPSHOT_FILE, feed, last_success, cancel, err, errlen);
}

int snapshot_write_file(int dirfd, const char *file, const struct feed *feed, double last_success,
			const volatile int *cancel, char *err, size_t errlen)
{
	char prefix[SNAPSHOT_FILE_MAX + sizeof(".tmp")];
	char tmp[sizeof(prefix) - 1 + STATE_DIR_TEMP_SUFFIX];
	if (strlen(file) > SNAPSHOT_FILE_MAX) {
		snprintf(err, errlen, "the snapshot name is too long");
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "%s.tmp", file);
	struct writer w;
	memset(&w, 0, sizeof(w));
	w.cancel = cancel;
	w.buf = malloc(WRITE_BUFFER);
	w.md = EVP_MD_CTX_new();
	if (!w.buf || !w.md || !EVP_DigestInit_ex(w.md, EVP_sha256(), NULL)) {
		free(w.buf);
		EVP_MD_CTX_free(w.md);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* A new name, created exclusively: nothing planted is written through. */
	w.fd = state_dir_create_temp(dirfd, prefix, tmp, sizeof(tmp));
	int e = w.fd < 0 ? errno : write_file(&w, feed, last_success);
	free(w.buf);
	EVP_MD_CTX_free(w.md);
	if (w.fd >= 0 && close(w.fd) != 0 && !e)
		e = errno;
	if (!e && renameat(dirfd, tmp, dirfd, file) != 0)
		e = errno;
	if (e) {
		if (w.fd >= 0)
			unlinkat(dirfd, tmp, 0);
		snprintf(err, errlen, "cannot write %s: %s", file, strerror(e));
		return -1;
	}
	/* The rename itself is only durable once the directory is synced. */
	fsync(dirfd);
	return 0;
}

/* ------------------------------------------------------------------- read */

struct reader {
	const unsigned char *p, *end;
};

static int get(struct reader *r, void *out, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	memcpy(out, r->p, n);
	r->p += n;
	return 0;
}

/* A NUL-terminated string of the payload, without inner NULs; NULL if not. */
static const char *get_str(struct reader *r)
{
	uint32_t n;
	if (get(r, &n, sizeof(n)) != 0 || (size_t)(r->end - r->p) <= n || r->p[n] != '\0' ||
	    memchr(r->p, '\0', n))
		return NULL;
	const char *s = (const char *)r->p;
	r->p += (size_t)n + 1;
	return s;
}

/* Reads one tweet into t (pointing into the buffer); 0, or -1 if malformed. */
static int get_tweet(struct reader *r, struct feed_tweet *t, const char **tags,
		     struct feed_ioc *iocs)
{
	uint16_t n;
	memset(t, 0, sizeof(*t));
	if (get(r, &t->timestamp, sizeof(t->timestamp)) != 0 || !(t->id = get_str(r)) ||
	    !(t->user = get_str(r)) || !(t->text = get_str(r)) || !(t->link = get_str(r)) ||
	    get(r, &n, sizeof(n)) != 0 || n > FEED_MAX_HASHTAGS)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!(tags[i] = get_str(r)))
			return -1;
	t->hashtags = tags;
	t->n_hashtags = n;
	if (get(r, &n, sizeof(n)) != 0 || n > FEED_MAX_IOCS_PER_TWEET)
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint8_t kind;
		memset(&iocs[i], 0, sizeof(iocs[i]));
		if (get(r, &kind, sizeof(kind)) != 0 || kind >= FEED_IOC__MAX ||
		    !(iocs[i].value = get_str(r)))
			return -1;
		iocs[i].kind = (enum feed_ioc_kind)kind;
	}
	t->iocs = iocs;
	t->n_iocs = n;
	return 0;
}

static int refuse(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -1;
}

static int check_header(const unsigned char *buf, size_t len, int check_sum, double now,
			struct header *h, char *err, size_t errlen)
{
	if (len < PREFIX_BYTES)
		return refuse(err, errlen, "the snapshot is truncated (no complete header)");
	memcpy(h, buf, sizeof(*h));
	if (memcmp(h->magic, snapshot_magic, sizeof(h->magic)) != 0)
		return refuse(err, errlen, "the file is not a feed snapshot (bad magic)");
	if (h->version != SNAPSHOT_VERSION || h->bom != SNAPSHOT_BOM) {
		snprintf(err, errlen, "the snapshot has format version %u (this relay reads %d)",
			 (unsigned)h->version, SNAPSHOT_VERSION);
		return -1;
	}
	if (h->payload_bytes != len - PREFIX_BYTES)
		return refuse(err, errlen,
			      "the snapshot is truncated or has trailing bytes (size mismatch)");
	if (!(h->last_success >= 0 && h->last_success < 1e11))
		return refuse(err, errlen, "the snapshot's refresh time is out of range");
	if (check_sum) {
		unsigned char digest[DIGEST_BYTES];
		unsigned int dlen = 0;
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
			 EVP_DigestUpdate(md, buf + PREFIX_BYTES, len - PREFIX_BYTES) &&
			 EVP_DigestUpdate(md, buf, HEADER_BYTES) &&
			 EVP_DigestFinal_ex(md, digest, &dlen) && dlen == DIGEST_BYTES;
		EVP_MD_CTX_free(md);
		if (!ok)
			return refuse(err, errlen, "out of memory while checking the snapshot");
		if (memcmp(digest, buf + HEADER_BYTES, DIGEST_BYTES) != 0)
			return refuse(err, errlen, "the snapshot fails its SHA-256 checksum");
	}
	/* Its age would be negative: /health would call a copy fresh that no
	 * refresh renews. */
	if (h->last_success > now + SNAPSHOT_CLOCK_SLACK) {
		snprintf(err, errlen,
			 "the snapshot's refresh time is in the future (%.0f s after the clock)",
			 h->last_success - now);
		return -1;
	}
	return 0;
}

/* Decodes every tweet into the builder. NULL, or why the file is refused. */
static const char *decode_tweets(struct reader *r, const struct header *h, double now,
				 struct feed_builder *b, size_t *future)
{
	const char **tags = malloc(FEED_MAX_HASHTAGS * sizeof(*tags));
	struct feed_ioc *iocs = malloc(FEED_MAX_IOCS_PER_TWEET * sizeof(*iocs));
	const char *why = !tags || !iocs ? "out of memory while loading the snapshot" : NULL;
	for (uint64_t i = 0; i < h->n_tweets && !why; i++) {
		struct feed_tweet t;
		if (get_tweet(r, &t, tags, iocs) != 0) {
			why = "a tweet of the snapshot is cut or malformed";
		} else if (t.timestamp > h->last_success + FEED_MAX_AHEAD + SNAPSHOT_CLOCK_SLACK) {
			/* No download keeps such a tweet: written by hand, or
			 * by a relay that did not check. */
			why = "a tweet of the snapshot is dated in the future (over a day after "
			      "its refresh time)";
		} else if (t.timestamp > now + FEED_MAX_AHEAD) {
			(*future)++; /* the clock went back: skipped, as a download would */
		} else {
			int rc = feed_builder_add(b, &t);
			if (rc < 0)
				why = "out of memory while loading the snapshot";
			else if (rc == 0)
				why = "a tweet of the snapshot has the wrong shape";
		}
	}
	if (!why && r->p != r->end)
		why = "the snapshot has bytes after its last tweet";
	free(tags);
	free(iocs);
	return why;
}

int snapshot_decode(const unsigned char *buf, size_t len, int check_sum, double now,
		    struct feed **out, double *last_success, char *err, size_t errlen)
{
	*out = NULL;
	struct header h;
	if (check_header(buf, len, check_sum, now, &h, err, errlen) != 0)
		return -1;
	/* Each tweet takes at least 28 bytes: a bound before trusting the count. */
	if (h.n_tweets > h.payload_bytes / 28 + 1)
		return refuse(err, errlen, "the snapshot's tweet count does not fit its size");
	struct feed_builder b;
	if (feed_builder_init(&b, NULL) != 0)
		return refuse(err, errlen, "out of memory while loading the snapshot");
	struct reader r = {buf + PREFIX_BYTES, buf + len};
	size_t future = 0;
	const char *why = decode_tweets(&r, &h, now, &b, &future);
	if (why) {
		feed_builder_abort(&b);
		return refuse(err, errlen, why);
	}
	struct feed *feed = feed_builder_finish(&b, 0);
	if (!feed)
		return refuse(err, errlen, "out of memory while loading the snapshot");
	feed->source_bytes = (size_t)h.source_bytes;
	feed->n_skipped = (size_t)h.n_skipped + future;
	feed->n_future = (size_t)h.n_future + future;
	*out = feed;
	*last_success = h.last_success;
	return 0;
}

int snapshot_load(int dirfd, size_t max_bytes, double now, struct feed **out, double *last_success,
		  char *err, size_t errlen)
{
	return snapshot_load_file(dirfd, SNAPSHOT_FILE, "TWEETTIOC_MAX_BYTES", max_bytes, now, out,
				  last_success, err, errlen);
}

int snapshot_load_file(int dirfd, const char *file, const char *cap_setting, size_t max_bytes,
		       double now, struct feed **out, double *last_success, char *err,
		       size_t errlen)
{
	unsigned char *buf;
	size_t len;
	char why[256];
	*out = NULL;
	/* Read, not mapped: a file truncated meanwhile is short, not a SIGBUS. */
	int rc = state_dir_read(dirfd, file, snapshot_max_size(max_bytes), &buf, &len, why,
				sizeof(why));
	if (rc == 0)
		return 0;
	if (rc == -2)
		snprintf(err, errlen, "%s: more than a copy within %s=%zu can hold", why,
			 cap_setting, max_bytes);
	else if (rc < 0)
		snprintf(err, errlen, "%s", why);
	if (rc < 0)
		return -1;
	rc = snapshot_decode(buf, len, 1, now, out, last_success, err, errlen);
	free(buf);
	return rc == 0 ? 1 : -1;
}
