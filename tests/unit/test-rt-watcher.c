/*
 * test-rt-watcher.c - runtime/watcher.c: timers (one-shot, repeating,
 * re-armed, stopped, restarted from their own callback), child watchers
 * (exit status, death by signal, any child), and a watcher prepared once
 * and resumed many times.  rt_watch and rt_signal callbacks are also
 * covered by test-rt-fdwait.c.
 *
 * The loop is driven by rt_loop_run() from the main stack: callbacks
 * record what they saw and stop the loop; the asserts run after it
 * returns.
 */
#include "config.h"

#include <errno.h>
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

/* ---- timers -------------------------------------------------------------- */

struct tick {
	int		 calls;
	int		 stop_after;	/* rt_loop_stop at this many calls */
	double		 at[8];		/* rt_test_mono() of each call */
};

static void
tick_cb(struct rt_timer *t)
{
	struct tick *k = t->arg;

	if (k->calls < 8)
		k->at[k->calls] = rt_test_mono();
	if (++k->calls == k->stop_after) {
		rt_timer_stop(t);
		rt_loop_stop();
	}
}

static void
test_timer_fires_once_after_its_delay(void **state)
{
	struct tick k = { .stop_after = 1 };
	struct rt_timer t;
	double t0;

	(void)state;
	rt_timer_init(&t, tick_cb, &k);
	assert_false(rt_timer_active(&t));
	t0 = rt_test_mono();
	rt_timer_start(&t, 0.05, 0.);
	assert_true(rt_timer_active(&t));
	assert_true(rt_timer_remaining(&t) > 0.);
	assert_true(rt_timer_remaining(&t) <= 0.05 + 1e-9);
	(void)rt_loop_run();
	assert_int_equal(k.calls, 1);
	/* Not before its time (libev's clock may lag ours by its slack). */
	assert_true(k.at[0] - t0 >= 0.05 - 0.002);
	assert_false(rt_timer_active(&t));
	/* Nothing left to run: the loop returns without calling again. */
	(void)rt_loop_run();
	assert_int_equal(k.calls, 1);
}

static void
test_timer_repeats_until_stopped(void **state)
{
	struct tick k = { .stop_after = 3 };
	struct rt_timer t;

	(void)state;
	rt_timer_init(&t, tick_cb, &k);
	rt_timer_start(&t, 0., 0.01);
	(void)rt_loop_run();
	assert_int_equal(k.calls, 3);
	assert_true(k.at[1] > k.at[0]);
	assert_true(k.at[2] > k.at[1]);
	assert_false(rt_timer_active(&t));
}

static void
test_timer_stopped_never_fires(void **state)
{
	struct tick k = { .stop_after = 1 }, guard = { .stop_after = 1 };
	struct rt_timer t, g;

	(void)state;
	rt_timer_init(&t, tick_cb, &k);
	rt_timer_init(&g, tick_cb, &guard);
	rt_timer_start(&t, 0.01, 0.);
	rt_timer_start(&g, 0.05, 0.);
	rt_timer_stop(&t);
	rt_timer_stop(&t);		/* twice: harmless */
	(void)rt_loop_run();
	assert_int_equal(k.calls, 0);
	assert_int_equal(guard.calls, 1);
}

static void
test_timer_start_rearms_an_active_timer(void **state)
{
	struct tick k = { .stop_after = 1 };
	struct rt_timer t;
	double t0;

	(void)state;
	rt_timer_init(&t, tick_cb, &k);
	t0 = rt_test_mono();
	rt_timer_start(&t, 0.01, 0.);
	rt_timer_start(&t, 0.08, 0.);	/* the later one wins */
	(void)rt_loop_run();
	assert_int_equal(k.calls, 1);
	assert_true(k.at[0] - t0 >= 0.08 - 0.002);
}

static void
test_timer_again_postpones_and_zero_stops(void **state)
{
	struct tick k = { .stop_after = 1 };
	struct rt_timer t;
	double t0;

	(void)state;
	rt_timer_init(&t, tick_cb, &k);
	/* Not started: again starts it `repeat` from now. */
	t0 = rt_test_mono();
	rt_timer_again(&t, 0.06);
	assert_true(rt_timer_active(&t));
	(void)rt_loop_run();
	assert_int_equal(k.calls, 1);
	assert_true(k.at[0] - t0 >= 0.06 - 0.002);
	/* Repeat 0 stops it. */
	rt_timer_again(&t, 0.05);
	assert_true(rt_timer_active(&t));
	rt_timer_again(&t, 0.);
	assert_false(rt_timer_active(&t));
}

/* A one-shot timer that re-arms itself from its callback. */
static void
rearm_cb(struct rt_timer *t)
{
	struct tick *k = t->arg;

	if (++k->calls == k->stop_after)
		rt_loop_stop();
	else
		rt_timer_start(t, 0.005, 0.);
}

static void
test_timer_restarts_from_its_callback(void **state)
{
	struct tick k = { .stop_after = 4 };
	struct rt_timer t;

	(void)state;
	rt_timer_init(&t, rearm_cb, &k);
	rt_timer_start(&t, 0., 0.);
	(void)rt_loop_run();
	assert_int_equal(k.calls, 4);
}

/* ---- children ------------------------------------------------------------ */

struct ended {
	int		 calls;
	pid_t		 pid;
	int		 status;
};

static void
child_cb(struct rt_child *c, pid_t pid, int status)
{
	struct ended *e = c->arg;

	e->calls++;
	e->pid = pid;
	e->status = status;
	rt_child_stop(c);
	rt_loop_stop();
}

static pid_t
fork_child(int how)
{
	pid_t pid = fork();

	assert_true(pid != -1);
	if (pid == 0) {
		if (how == 0)
			_exit(7);
		(void)pause();		/* until killed */
		_exit(1);
	}
	return pid;
}

static void
test_child_reports_exit_status(void **state)
{
	struct ended e = { 0 };
	struct rt_child c;
	pid_t pid;

	(void)state;
	pid = fork_child(0);
	rt_child_start(&c, pid, child_cb, &e);
	(void)rt_loop_run();
	assert_int_equal(e.calls, 1);
	assert_int_equal(e.pid, pid);
	assert_true(WIFEXITED(e.status));
	assert_int_equal(WEXITSTATUS(e.status), 7);
	/* Reaped by the runtime: nothing left for us. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void
test_child_reports_death_by_signal_for_any_pid(void **state)
{
	struct ended e = { 0 };
	struct rt_child c;
	pid_t pid;

	(void)state;
	pid = fork_child(1);
	rt_child_start(&c, 0, child_cb, &e);	/* any child */
	assert_int_equal(kill(pid, SIGKILL), 0);
	(void)rt_loop_run();
	assert_int_equal(e.calls, 1);
	assert_int_equal(e.pid, pid);
	assert_true(WIFSIGNALED(e.status));
	assert_int_equal(WTERMSIG(e.status), SIGKILL);
}

/* ---- a watcher prepared once, resumed again and again --------------------- */

struct reads {
	int		 calls;
	int		 fd;
};

static void
read_once_cb(struct rt_watch *w, int revents)
{
	struct reads *r = w->arg;
	char c;

	assert_true(revents & RT_READ);
	assert_int_equal(read(rt_watch_fd(w), &c, 1), 1);
	r->calls++;
	rt_watch_stop(w);
	rt_loop_stop();
}

static void
test_watch_prepared_waits_for_resume(void **state)
{
	struct reads r = { 0 };
	struct tick guard = { .stop_after = 1 };
	struct rt_timer g;
	struct rt_watch w;
	int sp[2], i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sp), 0);
	rt_watch_init(&w, sp[0], RT_READ, read_once_cb, &r);
	assert_int_equal(rt_watch_fd(&w), sp[0]);
	assert_false(rt_watch_active(&w));
	assert_int_equal(write(sp[1], "abc", 3), 3);
	/* Prepared, not started: readable data does not call it. */
	rt_timer_init(&g, tick_cb, &guard);
	rt_timer_start(&g, 0.02, 0.);
	(void)rt_loop_run();
	assert_int_equal(guard.calls, 1);
	assert_int_equal(r.calls, 0);
	for (i = 1; i <= 3; i++) {
		rt_watch_resume(&w);
		rt_watch_resume(&w);	/* resuming a started one: no-op */
		assert_true(rt_watch_active(&w));
		(void)rt_loop_run();
		assert_int_equal(r.calls, i);
		assert_false(rt_watch_active(&w));
	}
	assert_int_equal(close(sp[0]), 0);
	assert_int_equal(close(sp[1]), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_timer_fires_once_after_its_delay),
		RT_TEST(test_timer_repeats_until_stopped),
		RT_TEST(test_timer_stopped_never_fires),
		RT_TEST(test_timer_start_rearms_an_active_timer),
		RT_TEST(test_timer_again_postpones_and_zero_stops),
		RT_TEST(test_timer_restarts_from_its_callback),
		RT_TEST(test_child_reports_exit_status),
		RT_TEST(test_child_reports_death_by_signal_for_any_pid),
		RT_TEST(test_watch_prepared_waits_for_resume),
	};

	rt_test_watchdog(30);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
