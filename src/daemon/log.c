/*
 * log.c - the error log, and the access log's fd.
 *
 * Error log lines are built whole in a stack buffer and written with one
 * write(2) on an O_APPEND fd: with several processes (the workers of the
 * next issue) appending to one file, a line is never split or interleaved,
 * and nothing is buffered in stdio to be lost at exit or duplicated by
 * fork().  A message longer than LOG_LINE_MAX is cut, and says so.
 *
 * Logged text may come from the network (a path, a header): bytes below
 * 0x20, 0x7f and backslash are written as \xNN, so a message is always one
 * line and cannot forge another one.
 *
 * Where the lines go, and how they look (log.error):
 *
 *	a file	2026-11-27T05:40:00Z [info] asyncd[4242]: msg\n
 *	stderr	the same, unless stderr is the journal's stream:
 *	journal	<6>[info] asyncd[4242]: msg\n
 *	syslog	<30>Nov 27 05:40:00 asyncd[4242]: [info] msg	(a datagram)
 *
 * The journal: systemd names the stream it connected to fd 2 in
 * JOURNAL_STREAM, "DEV:INODE" (systemd.exec(5)).  Only when fd 2 is still
 * that stream (a service's script may have redirected it and kept the
 * variable) is each line given sd-daemon(3)'s "<N>" prefix, N the syslog
 * severity (3 error, 4 warn, 6 info, 7 debug), so that `journalctl -p err`
 * finds the errors; the time goes, since the journal stamps every line
 * itself, and the rest stays as in a file: the level word for the eye, the
 * pid because the journal credits every line of the stream to the master.
 * The workers inherit fd 2, and what was found, through fork().
 *
 * Syslog: one datagram per line to an AF_UNIX socket (/dev/log unless
 * log.syslog_socket says otherwise), as syslog(3) sends it: RFC 3164 with
 * the local time, no hostname, no newline, PRI = facility * 8 + severity.
 * It is written here rather than with syslog(3): glibc's syslog() sends on
 * a blocking socket, so a syslogd that stops reading would stop the event
 * loop of every process; its socket is always _PATH_LOG, where a container
 * or a test wants another.  Ours is non-blocking, connected once by the
 * master, and shared with the workers through fork(): datagrams never mix,
 * and each names its writer's getpid(), so nothing is reopened in a child.
 * A line that finds the socket's queue full is dropped and counted, and the
 * next line that gets through is preceded by a warning with the count.  A
 * syslogd that restarted has a new socket at the same path: on
 * ECONNREFUSED the socket connects again, once per line.  When nothing can
 * be reached at the path at all (no /dev/log in a container), the log
 * falls back to stderr with one warning; SIGUSR1 (log_reopen()) tries
 * syslog again.
 *
 * The access log's lines are written by the HTTP server, through the int
 * whose address log_access_fd() returns.  log_reopen() opens the new file
 * before closing the old one and swaps the int in between; the process is
 * single-threaded, so the server sees either fd, never a closed one.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define LOG_LINE_MAX	2048	/* one line, prefix and newline included */
#define LOG_MSG_MAX	1024	/* the message before escaping */
#define LOG_IDENT	"asyncd"

static const char *const log_levels[] = { "error", "warn", "info", "debug" };
/* Each level's syslog severity (RFC 5424 6.2.1), which is also its
 * sd-daemon(3) prefix: err, warning, info, debug. */
static const int log_severity[] = { 3, 4, 6, 7 };
static const char *const log_journal_prefix[] = { "<3>", "<4>", "<6>", "<7>" };

/* The facilities a daemon may log with (RFC 3164 4.1.1; not kern, 0, which
 * is the kernel's, nor the obscure 12..15). */
static const struct {
	const char	*name;
	int		 code;
} log_facilities[] = {
	{ "user", 1 }, { "mail", 2 }, { "daemon", 3 }, { "auth", 4 },
	{ "syslog", 5 }, { "lpr", 6 }, { "news", 7 }, { "uucp", 8 },
	{ "cron", 9 }, { "authpriv", 10 }, { "ftp", 11 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

/* What a line looks like (the top comment shows each). */
enum log_style {
	LOG_STYLE_FILE,
	LOG_STYLE_JOURNAL,
	LOG_STYLE_SYSLOG
};

static int	 log_fd = STDERR_FILENO;
static char	*log_path;		/* NULL: stderr */
static int	 log_level = LOG_LEVEL_INFO;
static int	 log_journal = -1;	/* fd 2 is the journal's stream: 1 or
					   0; -1: not looked at yet */
static int	 log_sock = -1;		/* syslog's connected socket, or -1 */
static char	*log_sock_path;		/* syslog wanted there; with log_sock
					   -1, it fell back to stderr */
static int	 log_facility = LOG_FACILITY_DAEMON;
static unsigned long log_dropped;	/* syslog lines lost in a row */
static int	 log_drop_err;		/* the errno of the last one */
static int	 log_access = -1;
static char	*log_access_path;	/* NULL: off */

const char *
log_level_name(int level)
{
	if (level < LOG_LEVEL_ERROR || level > LOG_LEVEL_DEBUG)
		return NULL;
	return log_levels[level];
}

int
log_level_parse(const char *name)
{
	int i;

	for (i = LOG_LEVEL_ERROR; i <= LOG_LEVEL_DEBUG; i++)
		if (strcmp(name, log_levels[i]) == 0)
			return i;
	return -1;
}

const char *
log_facility_name(int facility)
{
	size_t i;

	for (i = 0; i < sizeof(log_facilities) / sizeof(log_facilities[0]); i++)
		if (log_facilities[i].code == facility)
			return log_facilities[i].name;
	return NULL;
}

int
log_facility_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(log_facilities) / sizeof(log_facilities[0]); i++)
		if (strcmp(name, log_facilities[i].name) == 0)
			return log_facilities[i].code;
	return -1;
}

/*
 * Whether fd 2 is the stream systemd connected to the journal: its device
 * and inode are those JOURNAL_STREAM names ("DEV:INODE", both decimal).
 * Leaves errno alone: log_vmsg() may ask.
 */
static int
log_journal_check(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;
	int saved = errno, yes = 0;

	if (v == NULL || *v < '0' || *v > '9')
		return 0;
	errno = 0;
	dev = strtoull(v, &end, 10);
	if (errno == 0 && end[0] == ':' && end[1] >= '0' && end[1] <= '9') {
		ino = strtoull(end + 1, &end, 10);
		if (errno == 0 && *end == '\0' &&
		    fstat(STDERR_FILENO, &st) == 0 &&
		    (unsigned long long)st.st_dev == dev &&
		    (unsigned long long)st.st_ino == ino)
			yes = 1;
	}
	errno = saved;
	return yes;
}

/* How lines written to fd 2 look. */
static enum log_style
log_stderr_style(void)
{
	if (log_journal == -1)
		log_journal = log_journal_check();
	return log_journal ? LOG_STYLE_JOURNAL : LOG_STYLE_FILE;
}

const char *
log_stderr_prefix(int level)
{
	if (log_level_name(level) == NULL ||
	    log_stderr_style() != LOG_STYLE_JOURNAL)
		return "";
	return log_journal_prefix[level];
}

/* Opens a log file for appending; the fd, or -errno. */
static int
log_open(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0644);
	return fd == -1 ? -errno : fd;
}

/* Writes all of buf, retrying after EINTR and short writes. */
static void
log_write(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;	/* nowhere left to report it */
		buf += n;
		len -= (size_t)n;
	}
}

/* Appends msg to buf[*o, cap), escaped; leaves room for "...\n". */
static void
log_escape(char *buf, size_t *o, size_t cap, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = *o;

	for (; *msg != '\0'; msg++) {
		unsigned char c = (unsigned char)*msg;

		if (i + 4 + 5 > cap) {		/* \xNN, then "...\n\0" */
			memcpy(buf + i, "...", 3);
			i += 3;
			break;
		}
		if (c < 0x20 || c == 0x7f || c == '\\') {
			buf[i++] = '\\';
			buf[i++] = 'x';
			buf[i++] = hex[c >> 4];
			buf[i++] = hex[c & 0xf];
		} else
			buf[i++] = (char)c;
	}
	*o = i;
}

/*
 * Formats one line in style (see the top comment): its length.  The pid
 * tells the master's lines from each worker's (the workers share the file,
 * and under systemd the journal credits every line of the stream to the
 * master).  getpid() per line: error-log lines are rare, and a cached pid
 * would have to be refreshed after every fork.
 */
static size_t
log_format(char *buf, size_t cap, int level, const char *msg,
    enum log_style style)
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct timespec ts;
	struct tm tm;
	size_t o = 0;
	int n;

	switch (style) {
	case LOG_STYLE_JOURNAL:
		n = snprintf(buf, cap, "%s[%s] " LOG_IDENT "[%ld]: ",
		    log_journal_prefix[level], log_levels[level],
		    (long)getpid());
		break;
	case LOG_STYLE_SYSLOG:
		/* RFC 3164's TIMESTAMP, "Mmm dd hh:mm:ss" in local time
		 * whatever the locale; without a clock, none (a relay adds
		 * its own). */
		n = snprintf(buf, cap, "<%d>", log_facility * 8 +
		    log_severity[level]);
		if (n > 0)
			o = (size_t)n;
		if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
		    localtime_r(&ts.tv_sec, &tm) != NULL && tm.tm_mon >= 0 &&
		    tm.tm_mon < 12) {
			n = snprintf(buf + o, cap - o, "%s %2d %02d:%02d:%02d ",
			    mon[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min,
			    tm.tm_sec);
			if (n > 0)
				o += (size_t)n;
		}
		n = snprintf(buf + o, cap - o, LOG_IDENT "[%ld]: [%s] ",
		    (long)getpid(), log_levels[level]);
		break;
	default:
		if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
		    gmtime_r(&ts.tv_sec, &tm) != NULL)
			o = strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ ", &tm);
		n = snprintf(buf + o, cap - o, "[%s] " LOG_IDENT "[%ld]: ",
		    log_levels[level], (long)getpid());
		break;
	}
	/* snprintf says what it would have written: never step past cap
	 * (the prefix is short, but this is the shape that overflowed the
	 * access log). */
	if (n > 0)
		o += (size_t)n;
	if (o > cap - 8)
		o = cap - 8;	/* log_escape's "..." and the newline fit */
	log_escape(buf, &o, cap, msg);
	/* A datagram is the line: syslog(3) sends none. */
	if (style != LOG_STYLE_SYSLOG)
		buf[o++] = '\n';
	return o;
}

/* The socket address of path; 0, or -ENAMETOOLONG. */
static int
log_sun_make(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* A non-blocking datagram socket connected to syslog at path: the fd, or
 * -errno. */
static int
log_syslog_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, err;

	if ((err = log_sun_make(path, &sun)) != 0)
		return err;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&sun, sizeof(sun)) == -1) {
		err = errno;
		(void)close(fd);
		return -err;
	}
	return fd;
}

/* Sends one datagram to syslog without waiting; 0 or -errno. */
static int
log_syslog_send(const char *buf, size_t len)
{
	struct sockaddr_un sun;
	int again = 1;

	for (;;) {
		if (send(log_sock, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) != -1)
			return 0;
		if (errno == EINTR)
			continue;
		/* syslogd restarted: its new socket is at the same path. */
		if (again && (errno == ECONNREFUSED || errno == ENOTCONN ||
		    errno == ECONNRESET) &&
		    log_sun_make(log_sock_path, &sun) == 0) {
			again = 0;
			if (connect(log_sock, (const struct sockaddr *)&sun,
			    sizeof(sun)) == 0)
				continue;
		}
		return -errno;
	}
}

/* One line to syslog; the lines lost before it said first. */
static void
log_syslog(int level, const char *msg)
{
	char line[LOG_LINE_MAX], note[128];
	size_t n;
	int err;

	if (log_dropped > 0) {
		(void)snprintf(note, sizeof(note), "%lu line%s lost: %s",
		    log_dropped, log_dropped == 1 ? "" : "s",
		    log_drop_err == EAGAIN ? "the syslog socket was full" :
		    strerror(log_drop_err));
		n = log_format(line, sizeof(line), LOG_LEVEL_WARN, note,
		    LOG_STYLE_SYSLOG);
		if ((err = log_syslog_send(line, n)) != 0) {
			log_dropped++;
			log_drop_err = -err;
			return;
		}
		log_dropped = 0;
	}
	n = log_format(line, sizeof(line), level, msg, LOG_STYLE_SYSLOG);
	if ((err = log_syslog_send(line, n)) != 0) {
		log_dropped++;
		log_drop_err = -err;
	}
}

/* One line to wherever the error log goes. */
static void
log_emit(int level, const char *msg)
{
	char line[LOG_LINE_MAX];

	if (log_sock != -1) {
		log_syslog(level, msg);
		return;
	}
	log_write(log_fd, line, log_format(line, sizeof(line), level, msg,
	    log_fd == STDERR_FILENO ? log_stderr_style() : LOG_STYLE_FILE));
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];
	int saved = errno;	/* callers log, then look at errno */

	if (level < LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;
	if (level > LOG_LEVEL_DEBUG || level > log_level)
		goto out;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	log_emit(level, msg);
out:
	errno = saved;
}

void
log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

#define LOG_LEVEL_FN(fn, level)					\
void								\
fn(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_vmsg(level, fmt, ap);				\
	va_end(ap);						\
}
LOG_LEVEL_FN(log_error, LOG_LEVEL_ERROR)
LOG_LEVEL_FN(log_warn, LOG_LEVEL_WARN)
LOG_LEVEL_FN(log_info, LOG_LEVEL_INFO)
LOG_LEVEL_FN(log_debug, LOG_LEVEL_DEBUG)

/* Makes the error log go to fd (path: NULL for stderr) or to syslog's sock
 * (sock_path: NULL when not syslog), closing what it went to before. */
static void
log_set(int fd, char *path, int sock, char *sock_path, int facility,
    int level)
{
	if (log_fd != STDERR_FILENO)
		(void)close(log_fd);	/* a log file: nothing to flush */
	if (log_sock != -1)
		(void)close(log_sock);
	free(log_path);
	free(log_sock_path);
	log_fd = fd;
	log_path = path;
	log_sock = sock;
	log_sock_path = sock_path;
	log_facility = facility;
	log_level = level;
	log_dropped = 0;
	/* fd 2 may have been replaced since it was last looked at. */
	log_journal = -1;
}

int
log_init(const char *path, int level)
{
	char *copy = NULL;
	int fd = STDERR_FILENO;

	if (log_level_name(level) == NULL)
		return -EINVAL;
	if (path != NULL && strcmp(path, "stderr") != 0) {
		if ((fd = log_open(path)) < 0)
			return fd;
		if ((copy = strdup(path)) == NULL) {
			(void)close(fd);
			return -ENOMEM;
		}
	}
	log_set(fd, copy, -1, NULL, log_facility, level);
	return 0;
}

int
log_init_syslog(int level, int facility, const char *path)
{
	struct sockaddr_un sun;
	char *copy, msg[LOG_MSG_MAX];
	int fd;

	if (log_level_name(level) == NULL ||
	    log_facility_name(facility) == NULL)
		return -EINVAL;
	if (log_sun_make(path, &sun) != 0)
		return -ENAMETOOLONG;
	if ((copy = strdup(path)) == NULL)
		return -ENOMEM;
	fd = log_syslog_connect(path);
	if (fd == -ENOENT || fd == -ECONNREFUSED || fd == -EACCES ||
	    fd == -ENOTDIR || fd == -EPROTOTYPE) {
		/* Nothing listens there (no syslogd in a container): stderr
		 * rather than nothing, said once, whatever the level. */
		log_set(STDERR_FILENO, NULL, -1, copy, facility, level);
		(void)snprintf(msg, sizeof(msg), "cannot send the error log "
		    "to syslog at %s: %s; logging to stderr", path,
		    strerror(-fd));
		log_emit(LOG_LEVEL_WARN, msg);
		return 0;
	}
	if (fd < 0) {
		free(copy);
		return fd;
	}
	log_set(STDERR_FILENO, NULL, fd, copy, facility, level);
	return 0;
}

int
log_init_conf(const struct asyncd_conf *conf)
{
	if (strcmp(conf->error_log, "syslog") == 0)
		return log_init_syslog(conf->log_level, conf->syslog_facility,
		    conf->syslog_socket != NULL ? conf->syslog_socket :
		    CONF_DEFAULT_SYSLOG_SOCKET);
	return log_init(conf->error_log, conf->log_level);
}

int
log_access_open(const char *path)
{
	char *copy = NULL;
	int fd = -1;

	if (path != NULL && strcmp(path, "off") != 0) {
		if ((fd = log_open(path)) < 0)
			return fd;
		if ((copy = strdup(path)) == NULL) {
			(void)close(fd);
			return -ENOMEM;
		}
	}
	if (log_access != -1)
		(void)close(log_access);
	free(log_access_path);
	log_access = fd;
	log_access_path = copy;
	return 0;
}

const int *
log_access_fd(void)
{
	return &log_access;
}

/* Reopens path into *fdp, keeping the old fd if it cannot. */
static int
log_reopen_one(const char *what, const char *path, int *fdp)
{
	int fd;

	if (path == NULL)
		return 0;
	if ((fd = log_open(path)) < 0) {
		log_error("cannot reopen the %s log %s: %s", what, path,
		    strerror(-fd));
		return fd;
	}
	(void)close(*fdp);
	*fdp = fd;
	return 0;
}

int
log_reopen(void)
{
	char msg[LOG_MSG_MAX];
	int rc, rc2, fd;

	/* Syslog fell back to stderr: it may be there by now.  Said on
	 * stderr whatever the level: the lines stop there. */
	if (log_sock_path != NULL && log_sock == -1 &&
	    (fd = log_syslog_connect(log_sock_path)) >= 0) {
		(void)snprintf(msg, sizeof(msg), "syslog at %s reachable: the "
		    "error log goes there", log_sock_path);
		log_emit(LOG_LEVEL_INFO, msg);
		log_sock = fd;
	}
	rc = log_reopen_one("error", log_path, &log_fd);
	rc2 = log_reopen_one("access", log_access_path, &log_access);
	return rc != 0 ? rc : rc2;
}

void
log_close(void)
{
	log_set(STDERR_FILENO, NULL, -1, NULL, LOG_FACILITY_DAEMON, log_level);
	if (log_access != -1)
		(void)close(log_access);
	free(log_access_path);
	log_access = -1;
	log_access_path = NULL;
}

/* Logs msg as the last words of the process and exits with ex. */
static void __attribute__((noreturn))
log_die(int ex, const char *msg)
{
	char line[LOG_LINE_MAX];
	size_t n;

	log_emit(LOG_LEVEL_ERROR, msg);
	/* Whoever started us in the foreground wants to see why it died. */
	if (log_fd != STDERR_FILENO || log_sock != -1) {
		n = (size_t)snprintf(line, sizeof(line), "%s" LOG_IDENT
		    ": %s\n", log_stderr_prefix(LOG_LEVEL_ERROR), msg);
		log_write(STDERR_FILENO, line, n < sizeof(line) ? n :
		    sizeof(line) - 1);
	}
	exit(ex);
}

void
fatal(int ex, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;
	int err = errno;
	size_t n;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	(void)snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	log_die(ex, msg);
}

void
fatalx(int ex, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_die(ex, msg);
}
