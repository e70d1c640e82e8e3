/* snapshot.h: the retained feed kept on disk, so a restart never starts blind.
 *
 * One file, <state_dir>/tweettioc.snapshot, replaced atomically (temporary
 * file in the same directory, fsync, rename, fsync of the directory) after
 * each good refresh. Layout (native byte order, checked by a mark):
 *
 *   header (64 bytes): magic "SXRFEED\n", u32 version, u32 byte-order mark,
 *     f64 last successful refresh, u64 tweets, u64 payload bytes,
 *     u64 source bytes, u64 skipped items, u64 reserved
 *   SHA-256 (32 bytes) of the header and the payload
 *   payload: per tweet f64 timestamp, str id, user, text, link,
 *     u16 hashtags + str each, u16 IOCs + (u8 kind, str value) each;
 *     str = u32 length, the bytes, a NUL.
 *
 * A file that is short, of another version, fails its checksum or holds a
 * tweet of the wrong shape is refused as a whole, never half-loaded.
 */
#ifndef TWEETTIOC_SNAPSHOT_H
#define TWEETTIOC_SNAPSHOT_H

#include <stddef.h>

struct feed;

#define SNAPSHOT_VERSION 1
#define SNAPSHOT_FILE "tweettioc.snapshot"

/* Creates `dir` when missing and checks that a file can be written there.
 * Returns 0, or -1 with the reason in err. */
int snapshot_dir_ready(const char *dir, char *err, size_t errlen);

/* Writes `feed` as the snapshot in `dir`; the previous one stays intact on
 * any failure. A non-zero *cancel (may be NULL; the relay stopping) gives
 * up between two buffers and before the fsync. Returns 0, or -1 with the
 * reason in err. */
int snapshot_write(const char *dir, const struct feed *feed, double last_success,
		   const volatile int *cancel, char *err, size_t errlen);

/* Decodes a snapshot held in memory; with check_sum 0 the checksum is not
 * verified (the fuzzer reaches the payload that way). Returns 0 with *out
 * and *last_success set, or -1 with the reason in err. */
int snapshot_decode(const unsigned char *buf, size_t len, int check_sum, struct feed **out,
		    double *last_success, char *err, size_t errlen);

/* Loads <dir>/tweettioc.snapshot. Returns 1 when loaded, 0 when there is
 * none, -1 when one exists but was refused (reason in err). */
int snapshot_load(const char *dir, struct feed **out, double *last_success, char *err,
		  size_t errlen);

/* The same for another feed's snapshot: the file `file` (e.g.
 * "tweetfeed.snapshot") in `dir`, same format and rules. */
int snapshot_write_file(const char *dir, const char *file, const struct feed *feed,
			double last_success, const volatile int *cancel, char *err, size_t errlen);
int snapshot_load_file(const char *dir, const char *file, struct feed **out, double *last_success,
		       char *err, size_t errlen);

#endif
