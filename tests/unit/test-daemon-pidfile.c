/*
 * test-daemon-pidfile.c - daemon/pidfile.c in a temporary directory per
 * test.  Live and dead pids come from children the test forks and reaps
 * itself: a child blocked in pause() is live until killed; a reaped one is
 * dead (its pid could be reused meanwhile, but not within a test).  Pid 1
 * is always live, and for a non-root user kill(1, 0) fails with EPERM,
 * which must count as live too.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "pidfile.h"

static char	dir[64];
static char	path[128];	/* dir/asyncd.pid */

/* Removes every file in dir, then dir. */
static int
rm_dir(void)
{
	char p[sizeof(dir) + 1 + 256];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) != 0 && rmdir(p) != 0)
			return -1;
	}
	if (closedir(d) != 0)
		return -1;
	return rmdir(dir);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/asyncd-pidfile-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/asyncd.pid", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return rm_dir();
}

#define PIDFILE_TEST(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

static void
put_file(const char *p, const char *text)
{
	FILE *fp;

	assert_non_null(fp = fopen(p, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
put_pid(pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	put_file(path, buf);
}

/* Checks that path holds exactly "<our pid>\n". */
static void
assert_holds_us(void)
{
	char buf[64], want[32];
	FILE *fp;
	size_t n;

	assert_non_null(fp = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	assert_int_equal(fclose(fp), 0);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	assert_string_equal(buf, want);
}

/* The number of entries in dir: 1 means no temporary file was left. */
static size_t
dir_entries(void)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	assert_int_equal(closedir(d), 0);
	return n;
}

static pid_t
spawn_pauser(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		(void)alarm(30);	/* not forever if the test fails */
		for (;;)
			pause();	/* until the test kills us */
	}
	return pid;
}

static void
reap(pid_t pid, int kill_it)
{
	int st;

	if (kill_it)
		assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

/* A pid that named a process a moment ago and names none now. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	reap(pid, 0);
	return pid;
}

static void
test_pidfile_write_creates(void **state)
{
	pid_t pid;

	(void)state;
	assert_int_equal(pidfile_write(path, 0, NULL), 0);
	assert_holds_us();
	assert_int_equal(dir_entries(), 1);
	assert_int_equal(pidfile_read(path, &pid), 0);
	assert_int_equal(pid, getpid());
}

/* A stale file is replaced by rename, not rewritten in place: the inode
 * changes, so no reader ever saw it half-written. */
static void
test_pidfile_replaces_stale_by_rename(void **state)
{
	struct stat before, after;

	(void)state;
	put_pid(dead_pid());
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(pidfile_write(path, 0, NULL), 0);
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino != after.st_ino);
	assert_holds_us();
	assert_int_equal(dir_entries(), 1);
}

static void
test_pidfile_refuses_a_live_other(void **state)
{
	pid_t child, holder = 0;
	struct stat before, after;

	(void)state;
	child = spawn_pauser();
	put_pid(child);
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(pidfile_write(path, 0, &holder), -EEXIST);
	assert_int_equal(holder, child);
	assert_int_equal(pidfile_write(path, 0, NULL), -EEXIST);
	/* Another live process is not the one we take over from. */
	assert_int_equal(pidfile_write(path, 1, NULL), -EEXIST);
	assert_int_equal(stat(path, &after), 0);
	assert_true(before.st_ino == after.st_ino);	/* untouched */
	assert_int_equal(dir_entries(), 1);
	/* Once it is gone, the file is stale and ours to take. */
	reap(child, 1);
	assert_int_equal(pidfile_write(path, 0, &holder), 0);
	assert_holds_us();
}

/* A binary upgrade's new master takes the file from the live old one. */
static void
test_pidfile_taken_from_prev(void **state)
{
	pid_t child;

	(void)state;
	child = spawn_pauser();
	put_pid(child);
	assert_int_equal(pidfile_write(path, child, NULL), 0);
	assert_holds_us();
	/* The old master's exit leaves it alone: it names us now. */
	reap(child, 1);
	assert_holds_us();
	assert_int_equal(dir_entries(), 1);
}

/* kill(1, 0) is 0 as root and EPERM otherwise: live either way. */
static void
test_pidfile_eperm_counts_as_live(void **state)
{
	pid_t holder = 0;

	(void)state;
	if (getpid() == 1)
		skip();
	put_pid(1);
	assert_int_equal(pidfile_write(path, 0, &holder), -EEXIST);
	assert_int_equal(holder, 1);
}

/* Our own pid (a restart in place, or the file written twice). */
static void
test_pidfile_own_pid_is_rewritten(void **state)
{
	(void)state;
	put_pid(getpid());
	assert_int_equal(pidfile_write(path, 0, NULL), 0);
	assert_holds_us();
	assert_int_equal(pidfile_write(path, 0, NULL), 0);
	assert_holds_us();
}

static void
test_pidfile_garbage_is_replaced(void **state)
{
	const char *rows[] = {
		"",				/* empty: a crash mid-write */
		"\n",
		"abc\n",
		"-5\n",
		"0\n",				/* pid 0: kill() would mean
						   our process group */
		"12x\n",
		" 12\n",
		"12\n\n",
		"123\n456\n",
		"2147483648\n",			/* > INT_MAX */
		"99999999999999999999999999\n",	/* overflows */
		"1234567890123456789012345678901234567890\n", /* too long */
	};
	pid_t pid;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("row %zu\n", i);
		put_file(path, rows[i]);
		assert_int_equal(pidfile_read(path, &pid), -EINVAL);
		assert_int_equal(pidfile_write(path, 0, NULL), 0);
		assert_holds_us();
	}
	/* And the well-formed shapes read back. */
	put_file(path, "42\n");
	assert_int_equal(pidfile_read(path, &pid), 0);
	assert_int_equal(pid, 42);
	put_file(path, "43");
	assert_int_equal(pidfile_read(path, &pid), 0);
	assert_int_equal(pid, 43);
}

/* A temporary file left by an earlier process with our pid. */
static void
test_pidfile_leftover_tmp(void **state)
{
	char tmp[256];

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	put_file(tmp, "garbage");
	assert_int_equal(pidfile_write(path, 0, NULL), 0);
	assert_holds_us();
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(dir_entries(), 1);
}

static void
test_pidfile_errors(void **state)
{
	char missing[256], *longp;
	pid_t pid;

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no/such/dir/asyncd.pid", dir);
	assert_int_equal(pidfile_write(missing, 0, NULL), -ENOENT);
	assert_int_equal(pidfile_read(missing, &pid), -ENOENT);
	/* path is a directory: unreadable, so not ours to replace */
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(pidfile_write(path, 0, NULL), -EISDIR);
	assert_int_equal(pidfile_remove(path), -EISDIR);
	assert_int_equal(rmdir(path), 0);
	/* a name that leaves no room for ".tmp.<pid>" */
	assert_non_null(longp = malloc(PATH_MAX));
	memset(longp, 'a', PATH_MAX - 1);
	longp[0] = '/';
	longp[PATH_MAX - 1] = '\0';
	assert_int_equal(pidfile_write(longp, 0, NULL), -ENAMETOOLONG);
	free(longp);
	assert_int_equal(dir_entries(), 0);
}

static void
test_pidfile_remove(void **state)
{
	pid_t other;

	(void)state;
	assert_int_equal(pidfile_write(path, 0, NULL), 0);
	assert_int_equal(pidfile_remove(path), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pidfile_remove(path), -ENOENT);
	/* Another master's file (a binary upgrade's new one) stays. */
	other = spawn_pauser();
	put_pid(other);
	assert_int_equal(pidfile_remove(path), -EBUSY);
	assert_int_equal(access(path, F_OK), 0);
	reap(other, 1);
	put_file(path, "garbage\n");
	assert_int_equal(pidfile_remove(path), -EINVAL);
	assert_int_equal(access(path, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		PIDFILE_TEST(test_pidfile_write_creates),
		PIDFILE_TEST(test_pidfile_taken_from_prev),
		PIDFILE_TEST(test_pidfile_replaces_stale_by_rename),
		PIDFILE_TEST(test_pidfile_refuses_a_live_other),
		PIDFILE_TEST(test_pidfile_eperm_counts_as_live),
		PIDFILE_TEST(test_pidfile_own_pid_is_rewritten),
		PIDFILE_TEST(test_pidfile_garbage_is_replaced),
		PIDFILE_TEST(test_pidfile_leftover_tmp),
		PIDFILE_TEST(test_pidfile_errors),
		PIDFILE_TEST(test_pidfile_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
