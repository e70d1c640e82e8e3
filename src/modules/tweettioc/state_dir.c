/* state_dir.c: opens the state directory safely, makes temporary files in it and reads files of it.
 *
 * Everything happens relative to one directory descriptor, opened once:
 * renaming or replacing the path afterwards changes nothing for the relay.
 * Files are opened with O_NOFOLLOW|O_NONBLOCK (a planted symbolic link is
 * refused, a planted FIFO does not block) and checked with fstat() before
 * use; new files are created with O_EXCL under random names, so nothing
 * planted under a name is ever opened for writing.
 */
#include "modules/tweettioc/state_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* A symbolic link at `path` that root or we own (systemd's DynamicUser=
 * makes /var/lib/<name> a link to private/<name>) is followed; another's
 * is refused, as anything else that is not a directory. */
static int open_through_link(const char *path, char *err, size_t errlen)
{
	struct stat ls;
	if (lstat(path, &ls) != 0 || !S_ISLNK(ls.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return -1;
	}
	if (ls.st_uid != 0 && ls.st_uid != geteuid()) {
		snprintf(err, errlen, "%s is a symbolic link of uid %u", path, (unsigned)ls.st_uid);
		return -1;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

/* Whether the directory is ours alone; 0, or -1 with the reason. */
static int check_private(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s belongs to uid %u, not to this process's uid %u", path,
			 (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s is writable by group or others (mode %04o)", path,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int state_dir_open(const char *path, char *err, size_t errlen)
{
	if (!path || !path[0]) {
		snprintf(err, errlen, "no state directory is set");
		return -1;
	}
	if (mkdir(path, 0750) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		fd = open_through_link(path, err, errlen);
	else if (fd < 0)
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
	if (fd < 0)
		return -1;
	if (check_private(fd, path, err, errlen) != 0) {
		close(fd);
		return -1;
	}
	char probe[64];
	int pfd = state_dir_create_temp(fd, ".write-probe", probe, sizeof(probe));
	if (pfd < 0) {
		snprintf(err, errlen, "cannot write in %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(pfd);
	unlinkat(fd, probe, 0);
	return fd;
}

int state_dir_create_temp(int dirfd, const char *prefix, char *name, size_t namelen)
{
	if (strlen(prefix) + STATE_DIR_TEMP_SUFFIX > namelen) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* 64 random bits: a name taken by chance is tried again, a planted
	 * one can only be guessed. */
	for (int tries = 0; tries < 8; tries++) {
		unsigned char r[8];
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		snprintf(name, namelen, "%s.%02x%02x%02x%02x%02x%02x%02x%02x", prefix, r[0], r[1],
			 r[2], r[3], r[4], r[5], r[6], r[7]);
		int fd = openat(dirfd, name,
				O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
				0640);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* Reads up to max + 1 bytes of fd into *buf; 0, or an errno value. The
 * size fstat() gave only sizes the first buffer: the file may change. */
static int read_bounded(int fd, size_t hint, size_t max, unsigned char **buf, size_t *len)
{
	size_t cap = (hint < max ? hint : max) + 1, used = 0;
	unsigned char *p = malloc(cap);
	if (!p)
		return ENOMEM;
	for (;;) {
		if (used == cap) {
			if (cap > max) /* max + 1 bytes read: too large */
				break;
			size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
			unsigned char *bigger = realloc(p, ncap);
			if (!bigger) {
				free(p);
				return ENOMEM;
			}
			p = bigger;
			cap = ncap;
		}
		ssize_t n = read(fd, p + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(p);
			return e;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*buf = p;
	*len = used;
	return 0;
}

int state_dir_read(int dirfd, const char *name, size_t max, unsigned char **buf, size_t *len,
		   char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot open %s: %s", name,
			 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	struct stat st;
	int rc = -1;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat %s: %s", name, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", name);
	} else if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "%s belongs to uid %u", name, (unsigned)st.st_uid);
	} else if ((size_t)st.st_size > max) {
		snprintf(err, errlen, "%s has %lld bytes, over the limit of %zu", name,
			 (long long)st.st_size, max);
		rc = -2;
	} else {
		int e = read_bounded(fd, (size_t)st.st_size, max, buf, len);
		if (e)
			snprintf(err, errlen, "cannot read %s: %s", name, strerror(e));
		else if (*len > max)
			snprintf(err, errlen, "%s grew over the limit of %zu bytes while read",
				 name, max);
		rc = e ? -1 : *len > max ? -2 : 1;
		if (rc != 1) {
			free(*buf);
			*buf = NULL;
			*len = 0;
		}
	}
	close(fd);
	return rc;
}
