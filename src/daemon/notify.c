/*
 * notify.c - sd_notify(3) without libsystemd: one AF_UNIX datagram of
 * newline-separated KEY=VALUE lines to the socket named by $NOTIFY_SOCKET.
 * The protocol is systemd's stable interface; a hand-written sender is
 * what haproxy (src/systemd.c) and suricata do since the xz backdoor
 * (research/process-model.md §5).
 *
 * The address is read once (notify_init, or lazily by the first send) and
 * kept: workers unset the variable after fork, and a master that has
 * dropped privileges still knows where to send.  A socket is opened per
 * message: notifications are rare (startup, reload, stop, a watchdog tick
 * every few seconds), so keeping one open would buy nothing but an fd that
 * every fork would have to close.
 *
 * The one trap (systemd's own example had it; libuv PR #4266, janet #1618):
 * an abstract name ("@name": sun_path[0] = '\0') is delimited by the
 * address length, not by a NUL, so the length passed to sendto() must be
 * offsetof(sun_path) + strlen(name), never sizeof(struct sockaddr_un),
 * whose trailing NULs would become part of another name.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

enum {
	NOTIFY_UNREAD = 0,	/* notify_init not called yet */
	NOTIFY_OFF,		/* unset: sends are no-ops */
	NOTIFY_ON,
	NOTIFY_BAD		/* set but unusable: sends fail with init_err */
};

static int		 notify_state = NOTIFY_UNREAD;
static int		 notify_held;
static int		 notify_init_err;
static struct sockaddr_un notify_addr;
static socklen_t	 notify_addrlen;

int
notify_init(void)
{
	const char *p = getenv("NOTIFY_SOCKET");
	size_t len;

	if (p == NULL || *p == '\0') {
		notify_state = NOTIFY_OFF;
		return 0;
	}
	notify_state = NOTIFY_BAD;
	if (p[0] != '/' && p[0] != '@') {
		/* vsock:CID:PORT is for VMs; a relative path is meaningless
		 * to a service manager. */
		notify_init_err = -EAFNOSUPPORT;
		return notify_init_err;
	}
	/* An abstract name needs no NUL, but keep a path's: sun_path is
	 * then a C string too, for messages. */
	if ((len = strlen(p)) >= sizeof(notify_addr.sun_path)) {
		notify_init_err = -ENAMETOOLONG;
		return notify_init_err;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, p, len);
	if (notify_addr.sun_path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len);
	notify_state = NOTIFY_ON;
	notify_init_err = 0;
	return 1;
}

/* Sends len bytes of msg as one datagram, if notifications are on. */
static int
notify_sendbuf(const char *msg, size_t len)
{
	ssize_t n;
	int fd, err;

	if (notify_state == NOTIFY_UNREAD)
		(void)notify_init();	/* its result is in notify_state */
	if (notify_state == NOTIFY_OFF || notify_held)
		return 0;
	if (notify_state == NOTIFY_BAD)
		return notify_init_err;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	do
		n = sendto(fd, msg, len, MSG_NOSIGNAL,
		    (const struct sockaddr *)&notify_addr, notify_addrlen);
	while (n < 0 && errno == EINTR);
	err = n < 0 ? -errno : (size_t)n != len ? -EMSGSIZE : 0;
	/* A datagram socket that sent nothing pending: close cannot lose
	 * data, and Linux frees the fd even if it reports an error. */
	(void)close(fd);
	return err;
}

/*
 * Appends fmt's text to buf[*len..NOTIFY_MSG_MAX), with newlines made
 * spaces when oneline is set.  0 or -EMSGSIZE.
 */
static int
notify_vappend(char *buf, size_t *len, int oneline, const char *fmt,
    va_list ap)
{
	char *p;
	int n;

	n = vsnprintf(buf + *len, NOTIFY_MSG_MAX + 1 - *len, fmt, ap);
	if (n < 0)
		return -EINVAL;		/* a bad format: a bug of the caller */
	if ((size_t)n > NOTIFY_MSG_MAX - *len)
		return -EMSGSIZE;
	if (oneline)
		for (p = buf + *len; p < buf + *len + n; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	*len += (size_t)n;
	return 0;
}

static int __attribute__((format(printf, 4, 5)))
notify_append(char *buf, size_t *len, int oneline, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = notify_vappend(buf, len, oneline, fmt, ap);
	va_end(ap);
	return err;
}

int
notify_send(const char *fmt, ...)
{
	char buf[NOTIFY_MSG_MAX + 1];
	size_t len = 0;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = notify_vappend(buf, &len, 0, fmt, ap);
	va_end(ap);
	return err != 0 ? err : notify_sendbuf(buf, len);
}

int
notify_ready(const char *status)
{
	char buf[NOTIFY_MSG_MAX + 1];
	size_t len = 0;
	int err;

	if ((err = notify_append(buf, &len, 0, "READY=1")) != 0)
		return err;
	if (status != NULL &&
	    ((err = notify_append(buf, &len, 0, "\nSTATUS=")) != 0 ||
	    (err = notify_append(buf, &len, 1, "%s", status)) != 0))
		return err;
	return notify_sendbuf(buf, len);
}

int
notify_status(const char *fmt, ...)
{
	char buf[NOTIFY_MSG_MAX + 1];
	size_t len = 0;
	va_list ap;
	int err;

	if ((err = notify_append(buf, &len, 0, "STATUS=")) != 0)
		return err;
	va_start(ap, fmt);
	err = notify_vappend(buf, &len, 1, fmt, ap);
	va_end(ap);
	return err != 0 ? err : notify_sendbuf(buf, len);
}

int
notify_reloading(void)
{
	struct timespec ts;

	/* systemd matches the reload against its own CLOCK_MONOTONIC
	 * reading; without this key `systemctl reload` may never return
	 * (trapperkeeper PR #110). */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return -errno;
	return notify_send("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
}

int
notify_stopping(void)
{
	return notify_send("STOPPING=1");
}

int
notify_watchdog(void)
{
	return notify_send("WATCHDOG=1");
}

/* A whole non-empty decimal number, without sign, space or overflow. */
static int
notify_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

uint64_t
notify_watchdog_usec(void)
{
	uint64_t usec, pid;

	if (notify_parse_u64(getenv("WATCHDOG_USEC"), &usec) != 0)
		return 0;
	if (getenv("WATCHDOG_PID") != NULL &&
	    (notify_parse_u64(getenv("WATCHDOG_PID"), &pid) != 0 ||
	    pid != (uint64_t)getpid()))
		return 0;
	return usec;
}

void
notify_hold(int hold)
{
	notify_held = hold != 0;
}

int
notify_unset(void)
{
	static const char *const vars[] = {
		"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"
	};
	size_t i;

	notify_state = NOTIFY_OFF;
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (unsetenv(vars[i]) != 0)
			return -errno;
	return 0;
}
