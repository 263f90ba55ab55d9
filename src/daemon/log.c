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
 * The access log's lines are written by the HTTP server, through the int
 * whose address log_access_fd() returns.  log_reopen() opens the new file
 * before closing the old one and swaps the int in between; the process is
 * single-threaded, so the server sees either fd, never a closed one.
 */
#include "config.h"

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

static int	 log_fd = STDERR_FILENO;
static char	*log_path;		/* NULL: stderr */
static int	 log_level = LOG_LEVEL_INFO;
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
 * Formats one line: "2026-11-27T05:40:00Z [info] asyncd[4242]: msg\n".  The
 * pid tells the master's lines from each worker's (the workers share the
 * file, and under systemd the journal credits every line of the stream to
 * the master).  getpid() per line: error-log lines are rare, and a cached
 * pid would have to be refreshed after every fork.
 */
static size_t
log_format(char *buf, size_t cap, int level, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	size_t o = 0;
	int n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 &&
	    gmtime_r(&ts.tv_sec, &tm) != NULL)
		o = strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	n = snprintf(buf + o, cap - o, "[%s] " LOG_IDENT "[%ld]: ",
	    log_levels[level], (long)getpid());
	/* snprintf says what it would have written: never step past cap
	 * (the prefix is short, but this is the shape that overflowed the
	 * access log). */
	if (n > 0)
		o += (size_t)n;
	if (o > cap - 8)
		o = cap - 8;	/* log_escape's "..." and the newline fit */
	log_escape(buf, &o, cap, msg);
	buf[o++] = '\n';
	return o;
}

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX], line[LOG_LINE_MAX];
	int saved = errno;	/* callers log, then look at errno */

	if (level < LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;
	if (level > LOG_LEVEL_DEBUG || level > log_level)
		goto out;
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	log_write(log_fd, line, log_format(line, sizeof(line), level, msg));
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
	if (log_fd != STDERR_FILENO)
		(void)close(log_fd);	/* a log file: nothing to flush */
	free(log_path);
	log_fd = fd;
	log_path = copy;
	log_level = level;
	return 0;
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
	int rc, rc2;

	rc = log_reopen_one("error", log_path, &log_fd);
	rc2 = log_reopen_one("access", log_access_path, &log_access);
	return rc != 0 ? rc : rc2;
}

void
log_close(void)
{
	if (log_fd != STDERR_FILENO)
		(void)close(log_fd);
	if (log_access != -1)
		(void)close(log_access);
	free(log_path);
	free(log_access_path);
	log_fd = STDERR_FILENO;
	log_access = -1;
	log_path = NULL;
	log_access_path = NULL;
}

/* Logs msg as the last words of the process and exits with ex. */
static void __attribute__((noreturn))
log_die(int ex, const char *msg)
{
	char line[LOG_LINE_MAX];
	size_t n;

	log_write(log_fd, line, log_format(line, sizeof(line),
	    LOG_LEVEL_ERROR, msg));
	/* Whoever started us in the foreground wants to see why it died. */
	if (log_fd != STDERR_FILENO) {
		n = (size_t)snprintf(line, sizeof(line), LOG_IDENT ": %s\n",
		    msg);
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
