/*
 * test-daemon-notify.c - daemon/notify.c against datagram sockets the test
 * binds itself, standing in for systemd: one at a path in a temporary
 * directory, one at an abstract name.  Each datagram is compared byte for
 * byte.  The abstract socket is bound with the exact address length, as
 * systemd binds its own, so a sender that passed sizeof(struct
 * sockaddr_un) would name a different socket and fail with ECONNREFUSED.
 *
 * notify.c keeps the address it read in a static: each test sets the
 * environment and calls notify_init() itself.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
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

#include <cmocka.h>

#include "notify.h"

static char	dir[64];	/* the test's temporary directory */
static char	sock_path[128];	/* the pathname socket in it, if bound */
static int	srv = -1;	/* systemd's end */

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/asyncd-notify-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	sock_path[0] = '\0';
	srv = -1;
	if (unsetenv("NOTIFY_SOCKET") != 0 || unsetenv("WATCHDOG_USEC") != 0 ||
	    unsetenv("WATCHDOG_PID") != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (srv >= 0 && close(srv) != 0)
		return -1;
	srv = -1;
	if (sock_path[0] != '\0' && unlink(sock_path) != 0)
		return -1;
	return rmdir(dir);
}

#define NOTIFY_TEST(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

/* Binds srv at dir/notify and points NOTIFY_SOCKET at it. */
static void
bind_path(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sock_path, sizeof(sock_path), "%s/notify", dir);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	srv = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(srv >= 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", sock_path, 1), 0);
	assert_int_equal(notify_init(), 1);
}

/* Binds srv at an abstract name, exact length, and points NOTIFY_SOCKET
 * at "@name". */
static void
bind_abstract(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char env[100];
	size_t len;

	len = (size_t)snprintf(env, sizeof(env), "@asyncd-test-notify-%ld-%s",
	    (long)getpid(), dir + sizeof("/tmp/asyncd-notify-") - 1);
	memcpy(sa.sun_path, env, len);
	sa.sun_path[0] = '\0';
	srv = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(srv >= 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&sa,
	    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", env, 1), 0);
	assert_int_equal(notify_init(), 1);
}

/* The next datagram, which the send has already queued, NUL-terminated. */
static size_t
recv_dgram(char *buf, size_t cap)
{
	ssize_t n;

	n = recv(srv, buf, cap - 1, MSG_DONTWAIT | MSG_TRUNC);
	assert_true(n >= 0);
	assert_true((size_t)n < cap);	/* not truncated */
	buf[n] = '\0';
	return (size_t)n;
}

static void
assert_no_dgram(void)
{
	char c;

	assert_int_equal(recv(srv, &c, 1, MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void
expect(int sent, const char *want)
{
	char buf[NOTIFY_MSG_MAX + 2];

	assert_int_equal(sent, 0);
	assert_int_equal(recv_dgram(buf, sizeof(buf)), strlen(want));
	assert_string_equal(buf, want);
}

/* Every helper, through whatever srv is bound. */
static void
check_every_message(void)
{
	expect(notify_ready(NULL), "READY=1");
	expect(notify_ready("4 workers, gen 1"),
	    "READY=1\nSTATUS=4 workers, gen 1");
	/* A status is one line: it cannot smuggle in a key. */
	expect(notify_ready("Reload failed\nSTOPPING=1"),
	    "READY=1\nSTATUS=Reload failed STOPPING=1");
	expect(notify_status("%d conns\r\nX=%s", 127, "y"),
	    "STATUS=127 conns  X=y");
	expect(notify_stopping(), "STOPPING=1");
	expect(notify_watchdog(), "WATCHDOG=1");
	expect(notify_send("EXTEND_TIMEOUT_USEC=%u\nSTATUS=%s", 5000000u,
	    "draining"), "EXTEND_TIMEOUT_USEC=5000000\nSTATUS=draining");
	assert_no_dgram();
}

static void
test_notify_path_socket(void **state)
{
	(void)state;
	bind_path();
	check_every_message();
}

static void
test_notify_abstract_socket(void **state)
{
	(void)state;
	bind_abstract();
	check_every_message();
}

static uint64_t
mono_usec(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
test_notify_reloading_sends_monotonic_usec(void **state)
{
	char buf[256];
	uint64_t before, after;
	unsigned long long v;
	int used = 0;

	(void)state;
	bind_abstract();
	before = mono_usec();
	assert_int_equal(notify_reloading(), 0);
	after = mono_usec();
	recv_dgram(buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu%n", &v,
	    &used), 1);
	assert_int_equal((size_t)used, strlen(buf));	/* nothing after */
	assert_true(v >= before && v <= after);
}

/* Unset (not run by systemd): every call is a no-op that succeeds. */
static void
test_notify_unset_is_a_noop(void **state)
{
	(void)state;
	assert_int_equal(notify_init(), 0);
	assert_int_equal(notify_ready("x"), 0);
	assert_int_equal(notify_reloading(), 0);
	assert_int_equal(notify_stopping(), 0);
	assert_int_equal(notify_watchdog(), 0);
	assert_int_equal(notify_status("%s", "y"), 0);
	assert_int_equal(notify_send("A=1"), 0);
	/* Empty counts as unset (systemd's own reading). */
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(notify_init(), 0);
	assert_int_equal(notify_ready(NULL), 0);
}

/* What a worker does after fork: the variables go, sends become no-ops,
 * even though the master's address was read before. */
static void
test_notify_unset_after_fork(void **state)
{
	(void)state;
	bind_path();
	assert_int_equal(setenv("WATCHDOG_USEC", "1000000", 1), 0);
	assert_int_equal(setenv("WATCHDOG_PID", "1", 1), 0);
	assert_int_equal(notify_unset(), 0);
	assert_null(getenv("NOTIFY_SOCKET"));
	assert_null(getenv("WATCHDOG_USEC"));
	assert_null(getenv("WATCHDOG_PID"));
	assert_int_equal(notify_ready("worker"), 0);
	assert_int_equal(notify_watchdog(), 0);
	assert_no_dgram();
	assert_int_equal(notify_init(), 0);
}

/* The address is read once: changing the variable later changes nothing
 * until notify_init() runs again. */
static void
test_notify_address_read_once(void **state)
{
	char buf[64];

	(void)state;
	bind_path();
	assert_int_equal(setenv("NOTIFY_SOCKET", "/nonexistent/sock", 1), 0);
	assert_int_equal(notify_stopping(), 0);
	recv_dgram(buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1");
	assert_int_equal(notify_init(), 1);
	assert_int_equal(notify_stopping(), -ENOENT);
}

static void
test_notify_bad_addresses(void **state)
{
	char longpath[200], file[128];
	FILE *fp;
	const struct {
		const char	*value;
		int		 init;		/* notify_init's result */
		int		 send;		/* then notify_ready's */
	} rows[] = {
		{ "relative/notify", -EAFNOSUPPORT, -EAFNOSUPPORT },
		{ "vsock:2:1234", -EAFNOSUPPORT, -EAFNOSUPPORT },
		{ longpath, -ENAMETOOLONG, -ENAMETOOLONG },
		{ "/nonexistent/asyncd/notify", 1, -ENOENT },
		/* a plain file, not a socket */
		{ file, 1, -ECONNREFUSED },
		/* an abstract name nobody bound */
		{ "@asyncd-test-nobody-listens-here", 1, -ECONNREFUSED },
	};
	size_t i;

	(void)state;
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	snprintf(file, sizeof(file), "%s/file", dir);
	assert_non_null(fp = fopen(file, "w"));
	assert_int_equal(fclose(fp), 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("NOTIFY_SOCKET=%.40s\n", rows[i].value);
		assert_int_equal(setenv("NOTIFY_SOCKET", rows[i].value, 1), 0);
		assert_int_equal(notify_init(), rows[i].init);
		assert_int_equal(notify_ready("x"), rows[i].send);
	}
	assert_int_equal(unlink(file), 0);
}

static void
test_notify_message_bound(void **state)
{
	static char big[NOTIFY_MSG_MAX + 2], buf[NOTIFY_MSG_MAX + 2];

	(void)state;
	bind_path();
	memset(big, 'x', NOTIFY_MSG_MAX);
	big[NOTIFY_MSG_MAX] = '\0';
	assert_int_equal(notify_send("%s", big), 0);	/* exactly the max */
	assert_int_equal(recv_dgram(buf, sizeof(buf)), NOTIFY_MSG_MAX);
	big[NOTIFY_MSG_MAX] = 'x';
	big[NOTIFY_MSG_MAX + 1] = '\0';
	assert_int_equal(notify_send("%s", big), -EMSGSIZE);
	assert_int_equal(notify_status("%s", big), -EMSGSIZE);
	assert_int_equal(notify_ready(big), -EMSGSIZE);
	assert_no_dgram();
}

static void
test_notify_watchdog_usec(void **state)
{
	char me[32], other[32];
	const struct {
		const char	*usec;		/* NULL: unset */
		const char	*pid;		/* NULL: unset */
		uint64_t	 want;
	} rows[] = {
		{ NULL, NULL, 0 },
		{ "30000000", NULL, 30000000 },
		{ "30000000", me, 30000000 },
		{ "1", NULL, 1 },
		{ "18446744073709551615", NULL, UINT64_MAX },
		/* the watchdog is another process's */
		{ "30000000", other, 0 },
		{ "30000000", "1", 0 },
		{ "30000000", "", 0 },
		{ "30000000", "abc", 0 },
		{ "30000000", "-1", 0 },
		/* malformed intervals */
		{ "", NULL, 0 },
		{ "0", NULL, 0 },
		{ "abc", NULL, 0 },
		{ "12x", NULL, 0 },
		{ "-5", NULL, 0 },
		{ " 5", NULL, 0 },
		{ "+5", NULL, 0 },
		{ "18446744073709551616", NULL, 0 },	/* overflows */
	};
	size_t i;

	(void)state;
	snprintf(me, sizeof(me), "%ld", (long)getpid());
	snprintf(other, sizeof(other), "%ld", (long)getpid() + 1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("WATCHDOG_USEC=%s WATCHDOG_PID=%s\n",
		    rows[i].usec ? rows[i].usec : "(unset)",
		    rows[i].pid ? rows[i].pid : "(unset)");
		if (rows[i].usec != NULL)
			assert_int_equal(setenv("WATCHDOG_USEC", rows[i].usec,
			    1), 0);
		else
			assert_int_equal(unsetenv("WATCHDOG_USEC"), 0);
		if (rows[i].pid != NULL)
			assert_int_equal(setenv("WATCHDOG_PID", rows[i].pid, 1),
			    0);
		else
			assert_int_equal(unsetenv("WATCHDOG_PID"), 0);
		assert_true(notify_watchdog_usec() == rows[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		NOTIFY_TEST(test_notify_path_socket),
		NOTIFY_TEST(test_notify_abstract_socket),
		NOTIFY_TEST(test_notify_reloading_sends_monotonic_usec),
		NOTIFY_TEST(test_notify_unset_is_a_noop),
		NOTIFY_TEST(test_notify_unset_after_fork),
		NOTIFY_TEST(test_notify_address_read_once),
		NOTIFY_TEST(test_notify_bad_addresses),
		NOTIFY_TEST(test_notify_message_bound),
		NOTIFY_TEST(test_notify_watchdog_usec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
