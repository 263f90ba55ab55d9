/*
 * pidfile.h - the master's pid file (pidfile.c).
 *
 * To be merged into daemon.h; kept apart while daemon.h is being written.
 * Every call is blocking file I/O on a small local file: call them at
 * startup and exit, not from a busy loop.  None suspends.
 */
#ifndef ASYNCD_PIDFILE_H
#define ASYNCD_PIDFILE_H

#include <sys/types.h>

/*
 * Reads the pid in path ("<digits>\n").  Returns 0 with *pid set, -ENOENT
 * if there is no file, -EINVAL if it does not hold a pid > 0, or -errno.
 */
int	pidfile_read(const char *path, pid_t *pid);

/*
 * Writes our pid to path atomically: readers see the old file or the whole
 * new one, never a partial one.  Refuses with -EEXIST, storing the pid in
 * *holder (when holder is not NULL), if path names a live process other
 * than us or prev (the master a binary upgrade takes over from, or 0); a
 * file naming a dead process, or holding no pid, is replaced.  Returns 0,
 * -EEXIST, -ENAMETOOLONG or the failing call's -errno (nothing is left
 * behind then).
 */
int	pidfile_write(const char *path, pid_t prev, pid_t *holder);

/*
 * Removes path if it names us.  Returns 0, -ENOENT if it is gone, -EBUSY
 * if it names another process (left in place: a new master owns it now),
 * -EINVAL if it holds no pid (left in place too), or -errno.
 */
int	pidfile_remove(const char *path);

#endif /* ASYNCD_PIDFILE_H */
