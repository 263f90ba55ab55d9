/*
 * test-daemon-log.c - src/daemon/log.c: the line format, level filtering,
 * escaping, truncation, the access log's fd and log_reopen() after the
 * files were moved away (logrotate), and fatal()'s exit status (in a
 * forked child).  The journal's prefixes with fd 2 swapped for a pipe
 * named by JOURNAL_STREAM; syslog against a datagram socket of our own.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

static char tmpdir[256];
static char err_path[300], acc_path[300], moved[300], sock_path[300];

/* The whole file, NUL-terminated, in buf. */
static size_t
slurp(const char *path, char *buf, size_t cap)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL) {
		buf[0] = '\0';
		return 0;
	}
	n = fread(buf, 1, cap - 1, fp);
	buf[n] = '\0';
	(void)fclose(fp);
	return n;
}

/* "[level] asyncd[pid]: msg", the part of a line after its time. */
static const char *
line_of(pid_t pid, const char *level, const char *msg)
{
	static char line[512];

	(void)snprintf(line, sizeof(line), "[%s] asyncd[%ld]: %s", level,
	    (long)pid, msg);
	return line;
}

static void
assert_matches(const char *text, const char *re)
{
	regex_t r;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&r, text, 0, NULL, 0) != 0)
		fail_msg("\"%s\" does not match /%s/", text, re);
	regfree(&r);
}

static int
setup_each(void **state)
{
	(void)state;
	(void)unlink(err_path);
	(void)unlink(acc_path);
	(void)unlink(moved);
	(void)unlink(sock_path);
	return 0;
}

static int
teardown_each(void **state)
{
	(void)state;
	log_close();
	(void)unsetenv("JOURNAL_STREAM");
	return 0;
}

static void
test_log_line_has_time_level_and_message(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	log_info("listening on %s:%d", "127.0.0.1", 8000);
	slurp(err_path, buf, sizeof(buf));
	assert_matches(buf, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
	    "[0-9]{2}Z \\[info\\] asyncd\\[[0-9]+\\]: listening on "
	    "127\\.0\\.0\\.1:8000\n$");
}

static void
test_log_level_filters_and_names(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(log_init(err_path, LOG_LEVEL_WARN), 0);
	log_error("e%d", 1);
	log_warn("w%d", 2);
	log_info("i%d", 3);
	log_debug("d%d", 4);
	log_msg(LOG_LEVEL_ERROR, "m%d", 5);
	log_msg(LOG_LEVEL_DEBUG, "m%d", 6);
	log_msg(-3, "below error is error");
	slurp(err_path, buf, sizeof(buf));
	assert_non_null(strstr(buf, line_of(getpid(), "error", "e1\n")));
	assert_non_null(strstr(buf, line_of(getpid(), "warn", "w2\n")));
	assert_null(strstr(buf, "i3"));
	assert_null(strstr(buf, "d4"));
	assert_non_null(strstr(buf, line_of(getpid(), "error", "m5\n")));
	assert_null(strstr(buf, "m6"));
	assert_non_null(strstr(buf, line_of(getpid(), "error",
	    "below error is error\n")));

	assert_int_equal(log_init(err_path, LOG_LEVEL_DEBUG), 0);
	log_debug("now d");
	slurp(err_path, buf, sizeof(buf));
	assert_non_null(strstr(buf, line_of(getpid(), "debug", "now d\n")));
	assert_int_equal(log_init(err_path, 4), -EINVAL);
	assert_int_equal(log_init(err_path, -1), -EINVAL);

	assert_string_equal(log_level_name(LOG_LEVEL_ERROR), "error");
	assert_string_equal(log_level_name(LOG_LEVEL_DEBUG), "debug");
	assert_null(log_level_name(4));
	assert_int_equal(log_level_parse("warn"), LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("info"), LOG_LEVEL_INFO);
	assert_int_equal(log_level_parse("INFO"), -1);
	assert_int_equal(log_level_parse("warning"), -1);
}

/* A message from the network cannot forge a second line. */
static void
test_log_escapes_control_bytes(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	log_info("GET /%s", "a\r\n2026-01-01T00:00:00Z [error] asyncd: x\\\x7f");
	slurp(err_path, buf, sizeof(buf));
	assert_non_null(strstr(buf, line_of(getpid(), "info",
	    "GET /a\\x0d\\x0a2026-01-01T00:00:00Z [error] asyncd: x\\x5c\\x7f\n")));
	assert_non_null(strchr(buf, '\n'));
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

static void
test_log_cuts_long_messages(void **state)
{
	char big[5000], buf[8192];
	size_t n;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	log_info("%s", big);
	n = slurp(err_path, buf, sizeof(buf));
	assert_true(n < 2048);
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(strchr(buf, '\n'), buf + n - 1);
	/* vsnprintf cut it at the message buffer; so much is logged. */
	assert_non_null(strstr(buf, "aaaa\n"));

	/* Escaping can grow a message fourfold: the line is cut, and says
	 * so, instead of overflowing. */
	memset(big, '\n', 1000);
	big[1000] = '\0';
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	(void)unlink(err_path);
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	log_info("%s", big);
	n = slurp(err_path, buf, sizeof(buf));
	assert_true(n <= 2048);
	assert_non_null(strstr(buf, "\\x0a...\n"));
	assert_int_equal(strchr(buf, '\n'), buf + n - 1);
}

static void
test_log_init_failure_keeps_the_old_destination(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	assert_int_equal(log_init("/nonexistent/dir/x.log", LOG_LEVEL_DEBUG),
	    -ENOENT);
	log_info("still here");
	log_debug("level kept too");
	slurp(err_path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "still here"));
	assert_null(strstr(buf, "level kept"));
	/* "stderr" and NULL go back to fd 2. */
	assert_int_equal(log_init("stderr", LOG_LEVEL_INFO), 0);
	assert_int_equal(log_init(NULL, LOG_LEVEL_INFO), 0);
}

/* errno survives logging: callers log, then look at it. */
static void
test_log_preserves_errno(void **state)
{
	(void)state;
	assert_int_equal(log_init("/dev/full", LOG_LEVEL_INFO), 0);
	errno = EMFILE;
	log_error("the write fails with ENOSPC");
	assert_int_equal(errno, EMFILE);
}

static void
test_log_access_fd_is_opened_and_reopened(void **state)
{
	const int *fdp = log_access_fd();
	char buf[4096];
	int old;

	(void)state;
	assert_int_equal(*fdp, -1);
	assert_int_equal(log_access_open("off"), 0);
	assert_int_equal(*fdp, -1);
	assert_int_equal(log_access_open(acc_path), 0);
	assert_true(*fdp > 2);
	assert_int_equal(fcntl(*fdp, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(*fdp, F_GETFL) & O_APPEND, O_APPEND);
	assert_int_equal(write(*fdp, "one\n", 4), 4);

	/* logrotate moves it away; USR1 reopens: new lines in a new file,
	 * through the same pointer. */
	assert_int_equal(rename(acc_path, moved), 0);
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	old = *fdp;
	assert_int_equal(log_reopen(), 0);
	assert_ptr_equal(log_access_fd(), fdp);
	assert_true(*fdp > 2);
	assert_int_equal(fcntl(old, F_GETFD) == -1 || old == *fdp, 1);
	assert_int_equal(write(*fdp, "two\n", 4), 4);
	slurp(moved, buf, sizeof(buf));
	assert_string_equal(buf, "one\n");
	slurp(acc_path, buf, sizeof(buf));
	assert_string_equal(buf, "two\n");

	assert_int_equal(log_access_open(NULL), 0);
	assert_int_equal(*fdp, -1);
	assert_int_equal(log_access_open("/nonexistent/a.log"), -ENOENT);
	assert_int_equal(*fdp, -1);
}

static void
test_log_reopen_moves_the_error_log(void **state)
{
	char buf[4096];

	(void)state;
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	log_info("before");
	assert_int_equal(rename(err_path, moved), 0);
	assert_int_equal(log_reopen(), 0);
	log_info("after");
	slurp(moved, buf, sizeof(buf));
	assert_non_null(strstr(buf, "before"));
	assert_null(strstr(buf, "after"));
	slurp(err_path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "after"));
	assert_null(strstr(buf, "before"));
}

/* A file that cannot be reopened keeps its fd, and the failure is logged. */
static void
test_log_reopen_failure_keeps_the_old_fd(void **state)
{
	char sub[400], path[500], buf[4096];

	(void)state;
	(void)snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	assert_int_equal(mkdir(sub, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/e.log", sub);
	assert_int_equal(log_init(path, LOG_LEVEL_INFO), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(log_reopen(), -ENOENT);
	log_info("kept");
	slurp(moved, buf, sizeof(buf));
	assert_non_null(strstr(buf, line_of(getpid(), "error",
	    "cannot reopen the error log")));
	assert_non_null(strstr(buf, "No such file or directory"));
	assert_non_null(strstr(buf, "kept"));
}

static void
test_fatal_exits_with_its_status(void **state)
{
	char buf[4096];
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		/* Keep the test's stderr clean: fatal copies it there. */
		if (devnull == -1 || dup2(devnull, STDERR_FILENO) == -1)
			_exit(99);
		if (log_init(err_path, LOG_LEVEL_ERROR) != 0)
			_exit(98);
		errno = EADDRINUSE;
		fatal(EX_OSERR, "cannot listen on %s", "127.0.0.1:80");
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EX_OSERR);
	slurp(err_path, buf, sizeof(buf));
	/* The child's pid: the line says who wrote it. */
	assert_non_null(strstr(buf, line_of(pid, "error", "cannot listen on "
	    "127.0.0.1:80: Address already in use\n")));

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (log_init(err_path, LOG_LEVEL_ERROR) != 0)
			_exit(98);
		(void)close(STDERR_FILENO);
		fatalx(EX_CONFIG, "bad %s", "config");
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EX_CONFIG);
	slurp(err_path, buf, sizeof(buf));
	assert_non_null(strstr(buf, line_of(pid, "error", "bad config\n")));
}

/* ---- journald and syslog ------------------------------------------------- */

/* Points fd 2 at fd; the old fd 2, to give to stderr_back(). */
static int
stderr_to(int fd)
{
	int saved = dup(STDERR_FILENO);

	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	return saved;
}

static void
stderr_back(int saved)
{
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	assert_int_equal(close(saved), 0);
}

/* JOURNAL_STREAM naming fd's device and inode (plus bump on the inode, to
 * name another stream). */
static void
journal_stream_is(int fd, unsigned long long bump)
{
	struct stat st;
	char v[64];

	assert_int_equal(fstat(fd, &st), 0);
	(void)snprintf(v, sizeof(v), "%llu:%llu",
	    (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino + bump);
	assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
}

/* What the pipe holds now, NUL-terminated. */
static size_t
pipe_slurp(int fd, char *buf, size_t cap)
{
	size_t o = 0;
	ssize_t n;

	while (o < cap - 1 && (n = read(fd, buf + o, cap - 1 - o)) > 0)
		o += (size_t)n;
	buf[o] = '\0';
	return o;
}

static void
pipe_open(int p[2])
{
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
}

/* Under systemd, with fd 2 the journal's stream: sd-daemon(3) priorities,
 * no time, in this process and in a child (a worker) alike. */
static void
test_log_journal_stream_gets_priorities(void **state)
{
	char buf[4096], want[512];
	int p[2], saved, st;
	pid_t pid, me = getpid();

	(void)state;
	pipe_open(p);
	journal_stream_is(p[1], 0);
	saved = stderr_to(p[1]);
	if (log_init(NULL, LOG_LEVEL_DEBUG) == 0) {
		log_error("e%d", 1);
		log_warn("w\n");
		log_info("i");
		log_debug("d");
		if ((pid = fork()) == 0) {
			log_info("from the child");
			_exit(0);
		}
	} else
		pid = -1;
	stderr_back(saved);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	pipe_slurp(p[0], buf, sizeof(buf));
	(void)snprintf(want, sizeof(want),
	    "<3>[error] asyncd[%ld]: e1\n"
	    "<4>[warn] asyncd[%ld]: w\\x0a\n"
	    "<6>[info] asyncd[%ld]: i\n"
	    "<7>[debug] asyncd[%ld]: d\n"
	    "<6>[info] asyncd[%ld]: from the child\n",
	    (long)me, (long)me, (long)me, (long)me, (long)pid);
	assert_string_equal(buf, want);
	(void)close(p[0]);
	(void)close(p[1]);
}

/* Another stream, a malformed variable, none, or a log file: as before. */
static void
test_log_journal_stream_elsewhere_keeps_the_text(void **state)
{
	/* The right numbers, badly written: only "DEV:INODE" counts. */
	static const char *const bad[] = { "%llu:%llux", "%llu:%llu:",
	    " %llu:%llu", "%llu;%llu", "%llu: %llu", "%llu:+%llu",
	    "%llu%llu", "x", "" };
	char buf[8192], v[64];
	unsigned long long dev, ino;
	int p[2], saved, fd;
	struct stat st;
	size_t i;

	(void)state;
	pipe_open(p);
	assert_int_equal(fstat(p[1], &st), 0);
	dev = (unsigned long long)st.st_dev;
	ino = (unsigned long long)st.st_ino;
	saved = stderr_to(p[1]);
	/* The right device, another inode. */
	journal_stream_is(p[1], 1);
	assert_int_equal(log_init(NULL, LOG_LEVEL_INFO), 0);
	log_info("other stream");
	assert_string_equal(log_stderr_prefix(LOG_LEVEL_ERROR), "");
	/* No variable. */
	assert_int_equal(unsetenv("JOURNAL_STREAM"), 0);
	assert_int_equal(log_init("stderr", LOG_LEVEL_INFO), 0);
	log_info("no variable");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		(void)snprintf(v, sizeof(v), bad[i], dev, ino);
#pragma GCC diagnostic pop
		assert_int_equal(setenv("JOURNAL_STREAM", v, 1), 0);
		assert_int_equal(log_init(NULL, LOG_LEVEL_INFO), 0);
		log_info("bad %zu", i);
	}
	/* A file named by JOURNAL_STREAM and open as fd 2 too: log.error is
	 * the file, not stderr, so no prefix. */
	stderr_back(saved);
	assert_true((fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND,
	    0644)) >= 0);
	journal_stream_is(fd, 0);
	saved = stderr_to(fd);
	assert_int_equal(log_init(err_path, LOG_LEVEL_INFO), 0);
	log_info("to the file");
	stderr_back(saved);
	(void)close(fd);

	pipe_slurp(p[0], buf, sizeof(buf));
	assert_null(strchr(buf, '<'));
	assert_matches(buf, "^[0-9-]{10}T[0-9:]{8}Z \\[info\\] asyncd\\[[0-9]+"
	    "\\]: other stream\n[0-9-]{10}T[0-9:]{8}Z \\[info\\] asyncd\\["
	    "[0-9]+\\]: no variable\n");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		(void)snprintf(v, sizeof(v), "Z [info] asyncd[%ld]: bad %zu\n",
		    (long)getpid(), i);
		if (strstr(buf, v) == NULL)
			fail_msg("JOURNAL_STREAM=\"%s\": no \"%s\" in\n%s",
			    bad[i], v, buf);
	}
	slurp(err_path, buf, sizeof(buf));
	assert_matches(buf, "^[0-9-]{10}T[0-9:]{8}Z \\[info\\] asyncd\\[[0-9]+"
	    "\\]: to the file\n$");
	(void)close(p[0]);
	(void)close(p[1]);
}

/* fatal() under systemd: the last words at the error priority. */
static void
test_fatal_on_the_journal_is_an_error(void **state)
{
	char buf[4096], want[256];
	int p[2], st;
	pid_t pid;

	(void)state;
	pipe_open(p);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (dup2(p[1], STDERR_FILENO) == -1)
			_exit(99);
		journal_stream_is(p[1], 0);
		fatalx(EX_CONFIG, "bad %s", "config");
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EX_CONFIG);
	pipe_slurp(p[0], buf, sizeof(buf));
	(void)snprintf(want, sizeof(want), "<3>[error] asyncd[%ld]: bad config\n",
	    (long)pid);
	assert_string_equal(buf, want);
	(void)close(p[0]);
	(void)close(p[1]);
}


/* Binds our syslogd: a datagram socket at sock_path. */
static int
rx_open(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(sock_path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	(void)unlink(sock_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* The next datagram, NUL-terminated; its length, -1 if none is there (a
 * send to a local datagram socket is queued before it returns). */
static ssize_t
rx_get(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);

	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

/* The datagram matches "<pri>Mmm dd hh:mm:ss asyncd[pid]: [level] msg". */
static void
assert_syslog(const char *dgram, int pri, pid_t pid, const char *level,
    const char *msg)
{
	char re[512], quoted[256];
	size_t i, o = 0;

	for (i = 0; msg[i] != '\0' && o < sizeof(quoted) - 3; i++) {
		if (strchr("\\.[]()*+?{}|^$", msg[i]) != NULL)
			quoted[o++] = '\\';
		quoted[o++] = msg[i];
	}
	quoted[o] = '\0';
	(void)snprintf(re, sizeof(re), "^<%d>(Jan|Feb|Mar|Apr|May|Jun|Jul|"
	    "Aug|Sep|Oct|Nov|Dec) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:"
	    "[0-6][0-9] asyncd\\[%ld\\]: \\[%s\\] %s$", pri, (long)pid,
	    level, quoted);
	assert_matches(dgram, re);
}

static void
test_log_syslog_sends_rfc3164_datagrams(void **state)
{
	char buf[4096], big[5000];
	int rx, st;
	pid_t pid;

	(void)state;
	rx = rx_open();
	/* local3 = 19: PRI 19 * 8 + severity. */
	assert_int_equal(log_init_syslog(LOG_LEVEL_INFO, 19, sock_path), 0);
	log_error("e %s", "x\n");
	log_warn("w");
	log_info("i");
	log_debug("d");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 155, getpid(), "error", "e x\\x0a");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 156, getpid(), "warn", "w");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 158, getpid(), "info", "i");
	assert_int_equal(rx_get(rx, buf, sizeof(buf)), -1);	/* no debug */

	/* A worker shares the socket, and names itself. */
	if ((pid = fork()) == 0) {
		log_info("from the child");
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 158, pid, "info", "from the child");

	/* Cut like a line, one datagram still. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("%s", big);
	assert_true(rx_get(rx, buf, sizeof(buf)) < 2048);
	assert_non_null(strstr(buf, "aaaa"));
	assert_null(strchr(buf, '\n'));

	/* Bad arguments keep the old destination. */
	assert_int_equal(log_init_syslog(LOG_LEVEL_INFO, 0, sock_path),
	    -EINVAL);
	assert_int_equal(log_init_syslog(LOG_LEVEL_INFO, 12, sock_path),
	    -EINVAL);
	assert_int_equal(log_init_syslog(4, 3, sock_path), -EINVAL);
	memset(big, 'a', 200);
	big[0] = '/';
	big[200] = '\0';
	assert_int_equal(log_init_syslog(LOG_LEVEL_INFO, 3, big),
	    -ENAMETOOLONG);
	log_warn("still here");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 156, getpid(), "warn", "still here");

	/* fatal(): to syslog, and on stderr for whoever started us. */
	{
		int p[2];

		pipe_open(p);
		if ((pid = fork()) == 0) {
			if (dup2(p[1], STDERR_FILENO) == -1)
				_exit(99);
			fatalx(EX_OSERR, "last words");
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_int_equal(WEXITSTATUS(st), EX_OSERR);
		assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
		assert_syslog(buf, 155, pid, "error", "last words");
		pipe_slurp(p[0], buf, sizeof(buf));
		assert_string_equal(buf, "asyncd: last words\n");
		(void)close(p[0]);
		(void)close(p[1]);
	}
	(void)close(rx);
}

/* log.error = "syslog" in a configuration. */
static void
test_log_init_conf_follows_log_error(void **state)
{
	struct asyncd_conf c;
	char buf[4096];
	int rx;

	(void)state;
	rx = rx_open();
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(c.syslog_facility, LOG_FACILITY_DAEMON);
	assert_string_equal(c.syslog_socket, "/dev/log");
	free(c.error_log);
	free(c.syslog_socket);
	c.error_log = strdup("syslog");
	c.syslog_socket = strdup(sock_path);
	assert_non_null(c.error_log);
	assert_non_null(c.syslog_socket);
	c.syslog_facility = 23;		/* local7 */
	assert_int_equal(log_init_conf(&c), 0);
	log_info("via the conf");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 190, getpid(), "info", "via the conf");

	free(c.error_log);
	c.error_log = strdup(err_path);
	assert_non_null(c.error_log);
	assert_int_equal(log_init_conf(&c), 0);
	log_info("in the file");
	assert_int_equal(rx_get(rx, buf, sizeof(buf)), -1);
	slurp(err_path, buf, sizeof(buf));
	assert_non_null(strstr(buf, "in the file"));
	conf_free(&c);
	(void)close(rx);
}

/*
 * A syslogd that does not read: lines are dropped without blocking, and
 * the next line that gets through is preceded by their count.
 */
static void
test_log_syslog_full_socket_drops_and_counts(void **state)
{
	char buf[4096], want[128];
	int rx, i, got = 0, sent = 3000;
	long t0;

	(void)state;
	rx = rx_open();
	assert_int_equal(log_init_syslog(LOG_LEVEL_INFO, 3, sock_path), 0);
	t0 = (long)time(NULL);
	for (i = 0; i < sent; i++)
		log_info("line %d", i);
	assert_true((long)time(NULL) - t0 < 5);		/* never waited */
	while (rx_get(rx, buf, sizeof(buf)) > 0)
		got++;
	assert_true(got > 0);
	assert_true(got < sent);
	log_info("after");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	(void)snprintf(want, sizeof(want), "%d lines lost: the syslog socket "
	    "was full", sent - got);
	assert_syslog(buf, 28, getpid(), "warn", want);
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 30, getpid(), "info", "after");
	(void)close(rx);
}

/* syslogd restarts: a new socket at the same path. */
static void
test_log_syslog_reconnects_after_a_restart(void **state)
{
	char buf[4096];
	int rx;

	(void)state;
	rx = rx_open();
	assert_int_equal(log_init_syslog(LOG_LEVEL_INFO, 3, sock_path), 0);
	log_info("one");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	(void)close(rx);
	rx = rx_open();
	log_info("two");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 30, getpid(), "info", "two");

	/* Down for a while: what is lost then is said. */
	(void)close(rx);
	(void)unlink(sock_path);
	log_info("lost");
	rx = rx_open();
	log_info("three");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 28, getpid(), "warn",
	    "1 line lost: No such file or directory");
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 30, getpid(), "info", "three");
	(void)close(rx);
}

/* No syslogd at all: stderr, one warning, and SIGUSR1 tries again. */
static void
test_log_syslog_missing_falls_back_to_stderr(void **state)
{
	char buf[4096], want[512];
	int p[2], saved, rx, rc;

	(void)state;
	(void)unlink(sock_path);
	pipe_open(p);
	saved = stderr_to(p[1]);
	/* At the error level still: where the lines go is always said. */
	rc = log_init_syslog(LOG_LEVEL_ERROR, 3, sock_path);
	log_error("on stderr");
	log_error("still on stderr");
	log_info("not at this level");
	stderr_back(saved);
	assert_int_equal(rc, 0);
	pipe_slurp(p[0], buf, sizeof(buf));
	(void)snprintf(want, sizeof(want), "[warn] asyncd[%ld]: cannot send "
	    "the error log to syslog at %s: No such file or directory; logging "
	    "to stderr\n", (long)getpid(), sock_path);
	assert_non_null(strstr(buf, want));
	/* Said once, not per line. */
	assert_null(strstr(strstr(buf, "cannot send") + 1, "cannot send"));
	assert_non_null(strstr(buf, line_of(getpid(), "error",
	    "on stderr\n")));
	assert_non_null(strstr(buf, line_of(getpid(), "error",
	    "still on stderr\n")));
	assert_null(strstr(buf, "not at this level"));

	/* It came up: SIGUSR1 moves the log there, and says so. */
	rx = rx_open();
	saved = stderr_to(p[1]);
	rc = log_reopen();
	log_error("on syslog");
	stderr_back(saved);
	assert_int_equal(rc, 0);
	pipe_slurp(p[0], buf, sizeof(buf));
	(void)snprintf(want, sizeof(want), "syslog at %s reachable: the error "
	    "log goes there\n", sock_path);
	assert_non_null(strstr(buf, want));
	assert_null(strstr(buf, "on syslog"));
	assert_true(rx_get(rx, buf, sizeof(buf)) > 0);
	assert_syslog(buf, 27, getpid(), "error", "on syslog");
	(void)close(rx);
	(void)close(p[0]);
	(void)close(p[1]);
}

static void
test_log_facility_names(void **state)
{
	(void)state;
	assert_int_equal(log_facility_parse("daemon"), 3);
	assert_int_equal(log_facility_parse("user"), 1);
	assert_int_equal(log_facility_parse("local0"), 16);
	assert_int_equal(log_facility_parse("local7"), 23);
	assert_int_equal(log_facility_parse("authpriv"), 10);
	assert_int_equal(log_facility_parse("kern"), -1);
	assert_int_equal(log_facility_parse("local8"), -1);
	assert_int_equal(log_facility_parse("DAEMON"), -1);
	assert_int_equal(log_facility_parse(""), -1);
	assert_string_equal(log_facility_name(3), "daemon");
	assert_string_equal(log_facility_name(19), "local3");
	assert_null(log_facility_name(0));
	assert_null(log_facility_name(12));
	assert_null(log_facility_name(24));
	assert_null(log_facility_name(-1));
}

static int
setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/asyncd-log-XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	(void)snprintf(err_path, sizeof(err_path), "%s/error.log", tmpdir);
	(void)snprintf(acc_path, sizeof(acc_path), "%s/access.log", tmpdir);
	(void)snprintf(moved, sizeof(moved), "%s/moved.log", tmpdir);
	(void)snprintf(sock_path, sizeof(sock_path), "%s/log.sock", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)setup_each(NULL);
	return rmdir(tmpdir);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup_each, teardown_each)
	const struct CMUnitTest tests[] = {
		T(test_log_line_has_time_level_and_message),
		T(test_log_level_filters_and_names),
		T(test_log_escapes_control_bytes),
		T(test_log_cuts_long_messages),
		T(test_log_init_failure_keeps_the_old_destination),
		T(test_log_preserves_errno),
		T(test_log_access_fd_is_opened_and_reopened),
		T(test_log_reopen_moves_the_error_log),
		T(test_log_reopen_failure_keeps_the_old_fd),
		T(test_fatal_exits_with_its_status),
		T(test_log_journal_stream_gets_priorities),
		T(test_log_journal_stream_elsewhere_keeps_the_text),
		T(test_fatal_on_the_journal_is_an_error),
		T(test_log_syslog_sends_rfc3164_datagrams),
		T(test_log_init_conf_follows_log_error),
		T(test_log_syslog_full_socket_drops_and_counts),
		T(test_log_syslog_reconnects_after_a_restart),
		T(test_log_syslog_missing_falls_back_to_stderr),
		T(test_log_facility_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
