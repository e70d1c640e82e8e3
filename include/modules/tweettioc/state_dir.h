/* state_dir.h: the state directory (RELAY_STATE_DIR), opened once and used through its descriptor.
 *
 * The directory may be shared with others (a custom RELAY_STATE_DIR, a
 * volume): it is used only when it belongs to this process's user and no
 * one else may write in it; the files in it are opened relative to the one
 * descriptor, never through a symbolic link and never blocking on a FIFO;
 * only regular files are read, into private memory (a file someone
 * truncates while it is read is then short, not a SIGBUS); temporary files
 * get a fresh random name, created exclusively. docs/hardening.md says why.
 *
 * Ownership: the caller owns (closes) the descriptor state_dir_open()
 * returns and frees the buffer state_dir_read() returns.
 */
#ifndef TWEETTIOC_STATE_DIR_H
#define TWEETTIOC_STATE_DIR_H

#include <stddef.h>

/* Bytes state_dir_create_temp() adds to the prefix: '.', 16 hex digits, NUL. */
#define STATE_DIR_TEMP_SUFFIX 18

/* Opens `path`, creating it (mode 0750) when missing, and checks that it is
 * a directory of this process's user that neither its group nor others may
 * write, and that a file can be created in it. A symbolic link is followed
 * only when root or this user owns it (systemd's DynamicUser= makes
 * /var/lib/<name> one). Returns the descriptor (O_DIRECTORY, close-on-exec),
 * or -1 with the reason in err. */
int state_dir_open(const char *path, char *err, size_t errlen);

/* Creates a new empty file "<prefix>.<16 random hex digits>" (mode 0640) in
 * the directory, exclusively: an existing name, a symbolic link or a FIFO
 * planted under it is never opened. Writes the name into `name` (namelen
 * at least strlen(prefix) + STATE_DIR_TEMP_SUFFIX). Returns the descriptor
 * (write-only, close-on-exec), or -1 with errno set. */
int state_dir_create_temp(int dirfd, const char *prefix, char *name, size_t namelen);

/* Reads the regular file `name` of the directory into memory of its own,
 * at most `max` bytes. Returns 1 with *buf (malloc'd, *len bytes); 0 when
 * there is no such file; -1 with the reason in err (a symbolic link,
 * not a regular file, another user's file, a read error, out of memory);
 * -2 when the file is larger than `max` (err says its size). */
int state_dir_read(int dirfd, const char *name, size_t max, unsigned char **buf, size_t *len,
		   char *err, size_t errlen);

#endif
