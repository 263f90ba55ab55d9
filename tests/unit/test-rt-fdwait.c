/*
 * test-rt-fdwait.c - runtime/fdwait.c: rt_fd_wait readiness, timeout and
 * cancellation; rt_watch callbacks; rt_signal handlers run from the loop,
 * never in signal context; SIGPIPE ignored once a loop exists.
 *
 * Every fd is a socketpair or a pipe made by the test and closed by it.
 * Tasks check with TCHECK (rt-test.h): cmocka's asserts must not longjmp
 * off a task stack.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt-test.h"

static int	sp[2];		/* the socketpair of the current test */

static void
pair_open(void)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sp), 0);
}

static void
pair_close(void)
{
	assert_int_equal(close(sp[0]), 0);
	assert_int_equal(close(sp[1]), 0);
	sp[0] = sp[1] = -1;
}

/* ---- rt_fd_wait ---------------------------------------------------------- */

static double	woke_after;

/* Writes one byte to sp[1] after 20 ms. */
static int
late_writer(void *arg)
{
	(void)arg;
	TCHECK_INT(rt_sleep(0.02), 0);
	TCHECK_INT(write(sp[1], "x", 1), 1);
	return 0;
}

static int
wait_readable(void *arg)
{
	double t0 = rt_test_mono();
	char c;
	int err;

	(void)arg;
	TCHECK_INT(rt_task_spawn(NULL, "writer", late_writer, NULL), 0);
	err = rt_fd_wait(sp[0], RT_READ, 2.0);
	woke_after = rt_test_mono() - t0;
	TCHECK_INT(err, 0);
	TCHECK_INT(read(sp[0], &c, 1), 1);
	TCHECK(c == 'x');
	return 0;
}

static void
test_fd_wait_wakes_when_readable(void **state)
{
	(void)state;
	pair_open();
	assert_int_equal(rt_test_run(wait_readable, NULL), 0);
	assert_true(woke_after >= 0.015 && woke_after < 1.0);
	pair_close();
}

static int
wait_writable(void *arg)
{
	(void)arg;
	/* An empty send buffer is writable at once. */
	TCHECK_INT(rt_fd_wait(sp[0], RT_WRITE, 1.0), 0);
	TCHECK_INT(rt_fd_wait(sp[0], RT_READ | RT_WRITE, 1.0), 0);
	return 0;
}

static void
test_fd_wait_writable_at_once(void **state)
{
	(void)state;
	pair_open();
	assert_int_equal(rt_test_run(wait_writable, NULL), 0);
	pair_close();
}

/* Fills sp[0]'s send buffer, waits for writability, which a reader task
 * restores by draining sp[1]. */
static int
drain_peer(void *arg)
{
	char buf[4096];
	ssize_t n;

	(void)arg;
	TCHECK_INT(rt_sleep(0.02), 0);
	while ((n = read(sp[1], buf, sizeof(buf))) > 0)
		;
	TCHECK(n == -1 && errno == EAGAIN);
	return 0;
}

static int
wait_writable_after_full(void *arg)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;

	(void)arg;
	memset(buf, 'w', sizeof(buf));
	while ((n = write(sp[0], buf, sizeof(buf))) > 0 && total < 64u << 20)
		total += (size_t)n;
	TCHECK(n == -1 && errno == EAGAIN);
	TCHECK_INT(rt_fd_wait(sp[0], RT_WRITE, 0.01), -ETIMEDOUT);
	TCHECK_INT(rt_task_spawn(NULL, "drain", drain_peer, NULL), 0);
	TCHECK_INT(rt_fd_wait(sp[0], RT_WRITE, 2.0), 0);
	return 0;
}

static void
test_fd_wait_writable_after_peer_drains(void **state)
{
	(void)state;
	pair_open();
	assert_int_equal(rt_test_run(wait_writable_after_full, NULL), 0);
	pair_close();
}

static int
wait_timeout(void *arg)
{
	double t0 = rt_test_mono();

	(void)arg;
	TCHECK_INT(rt_fd_wait(sp[0], RT_READ, 0.05), -ETIMEDOUT);
	woke_after = rt_test_mono() - t0;
	TCHECK_INT(rt_fd_wait(sp[0], RT_READ, 0), -ETIMEDOUT);
	/* A timeout is not sticky: data that comes later is seen. */
	TCHECK_INT(write(sp[1], "y", 1), 1);
	TCHECK_INT(rt_fd_wait(sp[0], RT_READ, 1.0), 0);
	/* A zero timeout on a ready fd still succeeds. */
	TCHECK_INT(rt_fd_wait(sp[0], RT_READ, 0), 0);
	return 0;
}

static void
test_fd_wait_times_out(void **state)
{
	(void)state;
	pair_open();
	assert_int_equal(rt_test_run(wait_timeout, NULL), 0);
	assert_true(woke_after >= 0.045 && woke_after < 1.0);
	pair_close();
}

static int
wait_forever(void *arg)
{
	(void)arg;
	return rt_fd_wait(sp[0], RT_READ, RT_FOREVER);
}

static int
cancel_waiter(void *arg)
{
	struct rt_task *t;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "waiter", wait_forever, NULL), 0);
	TCHECK_INT(rt_sleep(0.01), 0);
	TCHECK(rt_task_state(t) == RT_TASK_WAITING);
	TCHECK(strcmp(rt_task_waiting_on(t), "fd readable") == 0);
	TCHECK_INT(rt_task_cancel(t), 0);
	TCHECK_INT(rt_task_join(t, NULL, 1.0), -ECANCELED);
	rt_task_release(t);
	return 0;
}

static void
test_fd_wait_cancelled(void **state)
{
	(void)state;
	pair_open();
	/* The loop ends once the cancelled waiter's watcher is stopped: a
	 * watcher left active would keep rt_loop_run going forever. */
	assert_int_equal(rt_test_run(cancel_waiter, NULL), 0);
	pair_close();
}

static int
wait_in_scope(void *arg)
{
	struct rt_scope sc;

	(void)arg;
	rt_scope_enter(&sc, 0.02);
	TCHECK_INT(rt_fd_wait(sp[0], RT_READ, RT_FOREVER), -ETIMEDOUT);
	/* Expired scope: fails at once, without arming the watcher. */
	TCHECK_INT(rt_fd_wait(sp[0], RT_READ, RT_FOREVER), -ETIMEDOUT);
	TCHECK_INT(rt_scope_exit(&sc), 1);
	return 0;
}

static void
test_fd_wait_honours_deadline_scope(void **state)
{
	(void)state;
	pair_open();
	assert_int_equal(rt_test_run(wait_in_scope, NULL), 0);
	pair_close();
}

static int
wait_bad_args(void *arg)
{
	(void)arg;
	TCHECK_INT(rt_fd_wait(-1, RT_READ, 1.0), -EINVAL);
	TCHECK_INT(rt_fd_wait(sp[0], 0, 1.0), -EINVAL);
	TCHECK_INT(rt_fd_wait(sp[0], 0x100, 1.0), -EINVAL);
	return 0;
}

static void
test_fd_wait_rejects_bad_arguments(void **state)
{
	(void)state;
	pair_open();
	assert_int_equal(rt_test_run(wait_bad_args, NULL), 0);
	/* Outside a task there is nothing to suspend. */
	assert_int_equal(rt_fd_wait(sp[0], RT_READ, 0), -EPERM);
	pair_close();
}

/* ---- rt_watch ------------------------------------------------------------- */

static int	watch_calls;
static char	watch_got[8];

static void
watch_read_cb(struct rt_watch *w, int revents)
{
	int *fd = w->arg;
	ssize_t n;

	TCHECK(revents & RT_READ);
	n = read(*fd, watch_got + watch_calls, 1);
	TCHECK_INT(n, 1);
	if (++watch_calls == 3)
		rt_watch_stop(w);
}

static int
watch_feeder(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 3; i++) {
		TCHECK_INT(write(sp[1], &"abc"[i], 1), 1);
		TCHECK_INT(rt_sleep(0.005), 0);
	}
	return 0;
}

static void
test_watch_calls_back_until_stopped(void **state)
{
	struct rt_watch w;

	(void)state;
	pair_open();
	watch_calls = 0;
	memset(watch_got, 0, sizeof(watch_got));
	rt_watch_start(&w, sp[0], RT_READ, watch_read_cb, &sp[0]);
	/* The loop returns only once the callback stopped the watcher. */
	assert_int_equal(rt_test_run(watch_feeder, NULL), 0);
	assert_int_equal(watch_calls, 3);
	assert_string_equal(watch_got, "abc");
	pair_close();
}

static void
watch_count_cb(struct rt_watch *w, int revents)
{
	(void)w;
	(void)revents;
	watch_calls++;
}

static int
watch_stopper(void *arg)
{
	struct rt_watch *w = arg;

	TCHECK_INT(rt_sleep(0.01), 0);
	rt_watch_stop(w);
	TCHECK_INT(write(sp[1], "z", 1), 1);
	TCHECK_INT(rt_sleep(0.01), 0);
	return 0;
}

static void
test_watch_stopped_never_calls_back(void **state)
{
	struct rt_watch w;

	(void)state;
	pair_open();
	watch_calls = 0;
	rt_watch_start(&w, sp[0], RT_READ, watch_count_cb, NULL);
	assert_int_equal(rt_test_run(watch_stopper, &w), 0);
	assert_int_equal(watch_calls, 0);
	pair_close();
}

static void
watch_write_cb(struct rt_watch *w, int revents)
{
	TCHECK(revents & RT_WRITE);
	watch_calls++;
	rt_watch_stop(w);
}

static void
test_watch_reports_writable(void **state)
{
	struct rt_watch w;

	(void)state;
	pair_open();
	watch_calls = 0;
	rt_watch_start(&w, sp[0], RT_WRITE, watch_write_cb, NULL);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	assert_int_equal(watch_calls, 1);
	pair_close();
}

/* ---- rt_signal -------------------------------------------------------------- */

static volatile sig_atomic_t raise_returned;
static int	sig_calls, sig_seen, sig_blocked, sig_after_raise;

static void
sig_cb(struct rt_signal *s, int signum)
{
	sigset_t cur;
	char *p;

	sig_calls++;
	sig_seen = signum;
	/* In signal context libev's handler runs with signals blocked, and
	 * before raise() returns: the callback sees neither. */
	sig_after_raise = raise_returned;
	TCHECK_INT(sigprocmask(SIG_BLOCK, NULL, &cur), 0);
	sig_blocked = sigismember(&cur, signum);
	/* Not async-signal-safe, allowed here. */
	p = malloc(64);
	TCHECK(p != NULL);
	free(p);
	rt_signal_stop(s);
	TCHECK(s->arg == &sig_calls);
}

static int
raiser(void *arg)
{
	int how = (int)(intptr_t)arg;

	raise_returned = 0;
	if (how == 0)
		TCHECK_INT(raise(SIGUSR1), 0);
	else
		TCHECK_INT(kill(getpid(), SIGUSR1), 0);
	raise_returned = 1;
	TCHECK_INT(sig_calls, 0);	/* not yet: only the loop runs it */
	return 0;
}

static void
run_signal_test(int how)
{
	struct rt_signal s;

	sig_calls = sig_seen = sig_after_raise = 0;
	sig_blocked = -1;
	rt_signal_start(&s, SIGUSR1, sig_cb, &sig_calls);
	/* The active signal watcher keeps the loop alive until sig_cb. */
	assert_int_equal(rt_test_run(raiser, (void *)(intptr_t)how), 0);
	assert_int_equal(sig_calls, 1);
	assert_int_equal(sig_seen, SIGUSR1);
	assert_int_equal(sig_after_raise, 1);
	assert_int_equal(sig_blocked, 0);
}

static void
test_signal_handler_runs_in_loop_after_raise(void **state)
{
	(void)state;
	run_signal_test(0);
}

static void
test_signal_handler_runs_in_loop_after_kill(void **state)
{
	(void)state;
	run_signal_test(1);
}

/* Signals raised twice before the loop looks coalesce into one call at
 * least, never crash; a later signal calls again. */
static int	sig2_calls;

static void
sig2_cb(struct rt_signal *s, int signum)
{
	(void)s;
	(void)signum;
	sig2_calls++;
}

static int
raise_twice(void *arg)
{
	struct rt_signal *s = arg;

	TCHECK_INT(raise(SIGUSR2), 0);
	TCHECK_INT(raise(SIGUSR2), 0);
	TCHECK_INT(rt_sleep(0.01), 0);
	TCHECK(sig2_calls >= 1 && sig2_calls <= 2);
	TCHECK_INT(kill(getpid(), SIGUSR2), 0);
	TCHECK_INT(rt_sleep(0.01), 0);
	TCHECK(sig2_calls >= 2);
	rt_signal_stop(s);
	return 0;
}

static void
test_signal_repeats_until_stopped(void **state)
{
	struct rt_signal s;

	(void)state;
	sig2_calls = 0;
	rt_signal_start(&s, SIGUSR2, sig2_cb, NULL);
	assert_int_equal(rt_test_run(raise_twice, &s), 0);
}

/*
 * SIGPIPE: in a forked child (the test process must survive a failure),
 * after rt_loop_init a write to a pipe without reader returns EPIPE.
 * The child's exit code says which step failed.
 */
static void
test_sigpipe_ignored_after_loop_init(void **state)
{
	int p[2], status;
	pid_t pid;

	(void)state;
	rt_loop_close();	/* the child makes its own */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		if (signal(SIGPIPE, SIG_DFL) == SIG_ERR)
			_exit(10);
		if (rt_loop_init(NULL) != 0)
			_exit(11);
		if (pipe(p) != 0)
			_exit(12);
		if (close(p[0]) != 0)
			_exit(13);
		if (write(p[1], "x", 1) != -1 || errno != EPIPE)
			_exit(14);
		(void)close(p[1]);
		rt_loop_close();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(rt_loop_init(NULL), 0);	/* for the teardown */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_fd_wait_wakes_when_readable),
		RT_TEST(test_fd_wait_writable_at_once),
		RT_TEST(test_fd_wait_writable_after_peer_drains),
		RT_TEST(test_fd_wait_times_out),
		RT_TEST(test_fd_wait_cancelled),
		RT_TEST(test_fd_wait_honours_deadline_scope),
		RT_TEST(test_fd_wait_rejects_bad_arguments),
		RT_TEST(test_watch_calls_back_until_stopped),
		RT_TEST(test_watch_stopped_never_calls_back),
		RT_TEST(test_watch_reports_writable),
		RT_TEST(test_signal_handler_runs_in_loop_after_raise),
		RT_TEST(test_signal_handler_runs_in_loop_after_kill),
		RT_TEST(test_signal_repeats_until_stopped),
		RT_TEST(test_sigpipe_ignored_after_loop_init),
	};

	rt_test_watchdog(30);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
