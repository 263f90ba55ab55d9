/*
 * pidfile.c - the master's pid file, for scripts and for `kill -HUP
 * $(cat asyncd.pid)`; systemd needs none (Type=notify knows the pid).
 *
 * Written atomically: the pid goes to path.tmp.<pid> (O_EXCL: never
 * through someone else's file or symlink), is fsync'ed, then rename()d
 * over path, so a reader never sees an empty or half-written file
 * (nginx writes in place and has that window).  The directory is not
 * fsync'ed: a pid file describes a running process, and after a crash of
 * the machine it is stale whether or not the rename survived.
 *
 * A pid file naming a live process other than us refuses the write: a
 * second master must not take the first one's file.  "Live" is kill(pid, 0)
 * succeeding or failing with EPERM (the process exists but is another
 * user's).  A stale file (ESRCH) or garbage is replaced.  Two masters
 * starting at the same instant can still both pass the check; the one that
 * renames last wins the file.  A lock would close that window, and is left
 * for when the master grows a control socket to lock instead.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"

/* "<pid>\n": pid_t is 32 bits, so 10 digits; room for a few more so that
 * an over-long number reads as garbage rather than being cut short. */
#define PIDFILE_MAX	32

int
pidfile_read(const char *path, pid_t *pid)
{
	char buf[PIDFILE_MAX + 1], *end;
	ssize_t n;
	size_t len = 0;
	long v;
	int fd, err = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return -errno;
	while (len < PIDFILE_MAX) {
		n = read(fd, buf + len, PIDFILE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(void)close(fd);	/* read-only: nothing to lose */
	if (err != 0)
		return err;
	buf[len] = '\0';
	if (len == 0 || buf[0] < '0' || buf[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || v <= 0 || v > INT_MAX ||
	    (*end != '\0' && strcmp(end, "\n") != 0))
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

/* 1 if pid names a process that exists, 0 if not. */
static int
pidfile_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* Writes all of buf to fd; 0 or -errno. */
static int
pidfile_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
pidfile_write(const char *path, pid_t prev, pid_t *holder)
{
	char tmp[PATH_MAX], buf[PIDFILE_MAX];
	pid_t me = getpid(), old;
	int fd = -1, err, n, len, retried = 0;

	err = pidfile_read(path, &old);
	if (err == 0 && old != me && (prev == 0 || old != prev) &&
	    pidfile_alive(old)) {
		if (holder != NULL)
			*holder = old;
		return -EEXIST;
	}
	if (err != 0 && err != -ENOENT && err != -EINVAL)
		return err;	/* unreadable: we would not know whose it is */

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)me);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)me);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -EINVAL;		/* cannot happen: 11 bytes at most */

again:
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY,
	    0644)) < 0) {
		err = -errno;
		/* Our own leftover (an earlier process with our pid died
		 * between open and rename): no one else writes this name. */
		if (err == -EEXIST && !retried && unlink(tmp) == 0) {
			retried = 1;
			goto again;
		}
		return err;
	}
	if ((err = pidfile_write_all(fd, buf, (size_t)len)) != 0)
		goto fail;
	if (fsync(fd) != 0) {
		err = -errno;
		goto fail;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		err = -errno;	/* a deferred write error (NFS) */
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		err = -errno;
		goto fail;
	}
	return 0;

fail:
	if (fd >= 0)
		(void)close(fd);	/* the file is being thrown away */
	(void)unlink(tmp);	/* best effort; err says what went wrong */
	return err;
}

int
pidfile_remove(const char *path)
{
	pid_t pid;
	int err;

	if ((err = pidfile_read(path, &pid)) != 0)
		return err;
	if (pid != getpid())
		return -EBUSY;
	if (unlink(path) != 0)
		return -errno;
	return 0;
}
