/* snapshot.c: writes the retained feed to disk atomically and reads it back at start.
 *
 * The layout is in snapshot.h. Writing streams the tweets through one
 * buffer into a temporary file next to the snapshot while hashing them
 * (OpenSSL EVP, SHA-256), then fills in the header, fsyncs, renames over
 * the old file and fsyncs the directory: a crash or a full disk at any
 * point leaves the previous snapshot as it was. Reading maps the file,
 * checks the header and the checksum, and hands every tweet to the feed
 * builder (feed.h), which checks it as the JSON parser would.
 */
#include "modules/tweettioc/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "modules/tweettioc/feed.h"
#include "modules/tweettioc/feed_build.h"

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
	uint64_t reserved;
};
_Static_assert(sizeof(struct header) == HEADER_BYTES, "snapshot header layout");

static int path_in(char *out, size_t outlen, const char *dir, const char *name)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

int snapshot_dir_ready(const char *dir, char *err, size_t errlen)
{
	char probe[4096];
	if (!dir || !dir[0]) {
		snprintf(err, errlen, "no state directory is set");
		return -1;
	}
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (path_in(probe, sizeof(probe), dir, ".write-probe") != 0) {
		snprintf(err, errlen, "the state directory path is too long");
		return -1;
	}
	int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write in %s: %s", dir, strerror(errno));
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
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

int snapshot_write(const char *dir, const struct feed *feed, double last_success,
		   const volatile int *cancel, char *err, size_t errlen)
{
	return snapshot_write_file(dir, SNAPSHOT_FILE, feed, last_success, cancel, err, errlen);
}

int snapshot_write_file(const char *dir, const char *file, const struct feed *feed,
			double last_success, const volatile int *cancel, char *err, size_t errlen)
{
	char final[4096], tmp[4096], name[128];
	snprintf(name, sizeof(name), "%s.tmp.%ld", file, (long)getpid());
	if (path_in(final, sizeof(final), dir, file) != 0 ||
	    path_in(tmp, sizeof(tmp), dir, name) != 0) {
		snprintf(err, errlen, "the state directory path is too long");
		return -1;
	}
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
	w.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	int e = w.fd < 0 ? errno : write_file(&w, feed, last_success);
	free(w.buf);
	EVP_MD_CTX_free(w.md);
	if (w.fd >= 0 && close(w.fd) != 0 && !e)
		e = errno;
	if (!e && rename(tmp, final) != 0)
		e = errno;
	if (e) {
		if (w.fd >= 0)
			unlink(tmp);
		snprintf(err, errlen, "cannot write %s: %s", final, strerror(e));
		return -1;
	}
	/* The rename itself is only durable once the directory is synced. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
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

static int check_header(const unsigned char *buf, size_t len, int check_sum, struct header *h,
			char *err, size_t errlen)
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
	if (!check_sum)
		return 0;
	unsigned char digest[DIGEST_BYTES];
	unsigned int dlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
		 EVP_DigestUpdate(md, buf + PREFIX_BYTES, len - PREFIX_BYTES) &&
		 EVP_DigestUpdate(md, buf, HEADER_BYTES) && EVP_DigestFinal_ex(md, digest, &dlen) &&
		 dlen == DIGEST_BYTES;
	EVP_MD_CTX_free(md);
	if (!ok)
		return refuse(err, errlen, "out of memory while checking the snapshot");
	if (memcmp(digest, buf + HEADER_BYTES, DIGEST_BYTES) != 0)
		return refuse(err, errlen, "the snapshot fails its SHA-256 checksum");
	return 0;
}

int snapshot_decode(const unsigned char *buf, size_t len, int check_sum, struct feed **out,
		    double *last_success, char *err, size_t errlen)
{
	*out = NULL;
	struct header h;
	if (check_header(buf, len, check_sum, &h, err, errlen) != 0)
		return -1;
	/* Each tweet takes at least 28 bytes: a bound before trusting the count. */
	if (h.n_tweets > h.payload_bytes / 28 + 1)
		return refuse(err, errlen, "the snapshot's tweet count does not fit its size");
	const char **tags = malloc(FEED_MAX_HASHTAGS * sizeof(*tags));
	struct feed_ioc *iocs = malloc(FEED_MAX_IOCS_PER_TWEET * sizeof(*iocs));
	struct feed_builder b;
	if (!tags || !iocs || feed_builder_init(&b, NULL) != 0) {
		free(tags);
		free(iocs);
		return refuse(err, errlen, "out of memory while loading the snapshot");
	}
	struct reader r = {buf + PREFIX_BYTES, buf + len};
	const char *why = NULL;
	for (uint64_t i = 0; i < h.n_tweets && !why; i++) {
		struct feed_tweet t;
		if (get_tweet(&r, &t, tags, iocs) != 0) {
			why = "a tweet of the snapshot is cut or malformed";
			break;
		}
		int rc = feed_builder_add(&b, &t);
		if (rc < 0)
			why = "out of memory while loading the snapshot";
		else if (rc == 0)
			why = "a tweet of the snapshot has the wrong shape or a repeated id";
	}
	if (!why && r.p != r.end)
		why = "the snapshot has bytes after its last tweet";
	free(tags);
	free(iocs);
	if (why) {
		feed_builder_abort(&b);
		return refuse(err, errlen, why);
	}
	struct feed *feed = feed_builder_finish(&b, 0);
	if (!feed)
		return refuse(err, errlen, "out of memory while loading the snapshot");
	feed->source_bytes = (size_t)h.source_bytes;
	feed->n_skipped = (size_t)h.n_skipped;
	*out = feed;
	*last_success = h.last_success;
	return 0;
}

int snapshot_load(const char *dir, struct feed **out, double *last_success, char *err,
		  size_t errlen)
{
	return snapshot_load_file(dir, SNAPSHOT_FILE, out, last_success, err, errlen);
}

int snapshot_load_file(const char *dir, const char *file, struct feed **out, double *last_success,
		       char *err, size_t errlen)
{
	char path[4096];
	*out = NULL;
	if (path_in(path, sizeof(path), dir, file) != 0)
		return refuse(err, errlen, "the state directory path is too long");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	size_t len = (size_t)st.st_size;
	if (len < PREFIX_BYTES) {
		close(fd);
		return refuse(err, errlen, "the snapshot is truncated (no complete header)");
	}
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		return -1;
	}
	madvise(map, len, MADV_SEQUENTIAL);
	int rc = snapshot_decode(map, len, 1, out, last_success, err, errlen);
	munmap(map, len);
	return rc == 0 ? 1 : -1;
}
