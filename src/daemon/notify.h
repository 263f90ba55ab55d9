/*
 * notify.h - the systemd notify protocol, spoken by hand (notify.c;
 * sd_notify(3), research/process-model.md §5).  No libsystemd.
 *
 * To be merged into daemon.h; kept apart while daemon.h is being written.
 *
 * Only the master talks to systemd (NotifyAccess=main): workers call
 * notify_unset() right after fork.  Every call is best effort for the
 * caller: a failure is worth a log line, never an exit.  None suspends.
 */
#ifndef ASYNCD_NOTIFY_H
#define ASYNCD_NOTIFY_H

#include <stdint.h>

/* The longest datagram notify_send() builds (systemd reads up to
 * PIPE_BUF = 4096 bytes of state per message). */
#define NOTIFY_MSG_MAX		4096

/*
 * Reads $NOTIFY_SOCKET: an absolute path, or "@name" for an abstract
 * address.  Returns 1 if notifications are on, 0 if it is unset or empty
 * (not run by systemd: every send is then a no-op), -EAFNOSUPPORT for
 * anything else (vsock:, a relative path), -ENAMETOOLONG if it does not
 * fit sun_path.  Reads the environment again on each call; the other calls
 * make it once by themselves if nobody has.
 */
int	notify_init(void);

/*
 * Sends one datagram built from fmt ("READY=1\nSTATUS=..."), at most
 * NOTIFY_MSG_MAX bytes.  Returns 0 when sent or when notifications are off,
 * -EMSGSIZE if the text is too long, or the send's -errno (-ECONNREFUSED,
 * -ENOENT: no one listens there).
 */
int	notify_send(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* READY=1, with STATUS=status unless status is NULL.  A status is one line:
 * its newlines become spaces (it must not add keys). */
int	notify_ready(const char *status);
/* RELOADING=1 and MONOTONIC_USEC=<CLOCK_MONOTONIC in µs> in one datagram,
 * as Type=notify-reload needs; follow it with notify_ready(). */
int	notify_reloading(void);
int	notify_stopping(void);		/* STOPPING=1 */
int	notify_watchdog(void);		/* WATCHDOG=1 */
/* STATUS=<formatted text>, newlines made spaces. */
int	notify_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * The watchdog interval in µs from $WATCHDOG_USEC: 0 when it is unset,
 * malformed or 0, or when $WATCHDOG_PID is set and is not our pid (then
 * the watchdog is some other process's).  Ping every half of it.
 */
uint64_t notify_watchdog_usec(void);

/*
 * While held, every send is a silent no-op that returns 0.  With
 * NotifyAccess=main systemd refuses, and logs, every message from a
 * process that is not the unit's main one: a binary upgrade's new master
 * holds its messages until the old one has named it with MAINPID=, and the
 * old one holds them from then on.
 */
void	notify_hold(int hold);

/* For workers after fork: removes NOTIFY_SOCKET, WATCHDOG_USEC and
 * WATCHDOG_PID from the environment and turns notifications off.  0 or
 * unsetenv's -errno. */
int	notify_unset(void);

#endif /* ASYNCD_NOTIFY_H */
