/*
 * test-daemon-log.c - src/daemon/log.c: the line format, level filtering,
 * escaping, truncation, the access log's fd and log_reopen() after the
 * files were moved away (logrotate), and fatal()'s exit status (in a
 * forked child).
 */
#include "config.h"

#include <sys/stat.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

static char tmpdir[256];
static char err_path[300], acc_path[300], moved[300];

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
	return 0;
}

static int
teardown_each(void **state)
{
	(void)state;
	log_close();
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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
