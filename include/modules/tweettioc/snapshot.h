/* snapshot.h: the retained feed kept on disk, so a restart never starts blind.
 *
 * One file, tweettioc.snapshot in the state directory (state_dir.h),
 * replaced atomically (a new temporary file in the same directory, fsync,
 * rename, fsync of the directory) after each good refresh. Layout (native
 * byte order, checked by a mark):
 *
 *   header (64 bytes): magic "SXRFEED\n", u32 version, u32 byte-order mark,
 *     f64 last successful refresh, u64 tweets, u64 payload bytes,
 *     u64 source bytes, u64 skipped items, u64 of those dated in the future
 *   SHA-256 (32 bytes) of the payload and the header
 *   payload: per tweet f64 timestamp, str id, user, text, link,
 *     u16 hashtags + str each, u16 IOCs + (u8 kind, str value) each;
 *     str = u32 length, the bytes, a NUL.
 *
 * A file that is short, of another version, fails its checksum, holds a
 * tweet of the wrong shape, or whose times are in the future (a refresh
 * time after the clock, a tweet over a day after its refresh time) is
 * refused as a whole, never half-loaded; so is one larger than a copy
 * within TWEETTIOC_MAX_BYTES can give. A tweet over FEED_MAX_AHEAD after
 * the clock is skipped and counted, as at download. Repeated ids are
 * folded (dedupe.h).
 */
#ifndef TWEETTIOC_SNAPSHOT_H
#define TWEETTIOC_SNAPSHOT_H

#include <stddef.h>

struct feed;

#define SNAPSHOT_VERSION 1
#define SNAPSHOT_FILE "tweettioc.snapshot"
/* Seconds a refresh time may be after the clock (clocks are stepped). */
#define SNAPSHOT_CLOCK_SLACK 60.0

/* The largest snapshot a copy within `max_bytes` of feed JSON gives (0: no
 * cap): the header plus twice the bytes. Each tweet, IOC and hashtag takes
 * at most twice in the file what it took in the JSON (an IOC "a" is
 * `"a",` there, 7 bytes here), and the history merge keeps a copy within
 * max_bytes of JSON (feed_build.h). */
size_t snapshot_max_size(size_t max_bytes);

/* Writes `feed` as the snapshot in the state directory `dirfd`; the
 * previous one stays intact on any failure. A non-zero *cancel (may be
 * NULL; the relay stopping) gives up between two buffers and before the
 * fsync. Returns 0, or -1 with the reason in err. */
int snapshot_write(int dirfd, const struct feed *feed, double last_success,
		   const volatile int *cancel, char *err, size_t errlen);

/* Decodes a snapshot held in memory, `now` being the clock (epoch
 * seconds); with check_sum 0 the checksum is not verified (the fuzzer
 * reaches the payload that way). Returns 0 with *out and *last_success
 * set, or -1 with the reason in err. */
int snapshot_decode(const unsigned char *buf, size_t len, int check_sum, double now,
		    struct feed **out, double *last_success, char *err, size_t errlen);

/* Loads the snapshot of the state directory `dirfd`, refused unread when
 * larger than snapshot_max_size(max_bytes). Returns 1 when loaded, 0 when
 * there is none, -1 when one exists but was refused (reason in err). */
int snapshot_load(int dirfd, size_t max_bytes, double now, struct feed **out, double *last_success,
		  char *err, size_t errlen);

/* The same for any indexed feed's snapshot: the file `file` (e.g.
 * "tweetfeed.snapshot", at most SNAPSHOT_FILE_MAX bytes) of the state
 * directory, same format and rules; `cap_setting` names the byte cap in
 * the message of a file too large ("TWEETFEED_MAX_BYTES"). */
#define SNAPSHOT_FILE_MAX 64
int snapshot_write_file(int dirfd, const char *file, const struct feed *feed, double last_success,
			const volatile int *cancel, char *err, size_t errlen);
int snapshot_load_file(int dirfd, const char *file, const char *cap_setting, size_t max_bytes,
		       double now, struct feed **out, double *last_success, char *err,
		       size_t errlen);

#endif
