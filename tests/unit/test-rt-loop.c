/*
 * test-rt-loop.c - loop.c: when rt_loop_run returns, stopping it from a
 * task and from a libev callback, run_until, call_soon's FIFO order among
 * tasks, strict alternation of yielding tasks, and the two halves of the
 * scheduling contract: ready tasks run before libev is polled, and a busy
 * task still lets timers fire (the RT__BUDGET poll).
 */
#include "config.h"

#include "rt-test.h"

/* ---- run, stop, run_until ------------------------------------------------- */

static void
test_loop_run_returns_at_once_when_empty(void **state)
{
	(void)state;
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(rt_task_count(), 0);
}

static int
sleep_then_log(void *arg)
{
	TCHECK_INT(rt_sleep(0.01), 0);
	log_step(*(const char *)arg);
	return 0;
}

static void
test_loop_run_returns_when_last_task_done(void **state)
{
	struct rt_task *t;

	(void)state;
	log_reset();
	assert_int_equal(rt_task_spawn(&t, "sleeper", sleep_then_log, "s"), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	assert_true(rt_task_done(t));
	assert_string_equal(order, "s");
	assert_int_equal(rt_task_count(), 0);
	rt_task_release(t);
}

static void
test_loop_init_twice_is_eexist(void **state)
{
	(void)state;
	assert_int_equal(rt_loop_init(NULL), -EEXIST);
}

static int stop_iterations;

static int
stop_after_five(void *arg)
{
	int err;

	(void)arg;
	for (;;) {
		if (++stop_iterations == 5)
			rt_loop_stop();
		if ((err = rt_sleep(0)) != 0)
			return err;
	}
}

static void
test_loop_stop_from_task(void **state)
{
	struct rt_task *t;

	(void)state;
	stop_iterations = 0;
	assert_int_equal(rt_task_spawn(&t, "stopper", stop_after_five, NULL), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	/* Stopped after the fifth step; the task is ready, not done. */
	assert_int_equal(stop_iterations, 5);
	assert_int_equal(rt_task_state(t), RT_TASK_READY);
	/* A second run resumes where the first stopped. */
	assert_int_equal(rt_task_cancel(t), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_true(rt_task_done(t));
	assert_int_equal(rt_task_status(t), -ECANCELED);
	assert_int_equal(stop_iterations, 5);	/* its yield failed */
	rt_task_release(t);
}

static int stop_cb_calls;

static void
stop_timer_cb(struct rt_timer *w)
{
	(void)w;
	stop_cb_calls++;
	rt_loop_stop();
}

static void
test_loop_stop_from_callback(void **state)
{
	struct rt_task *t;
	struct rt_timer w;
	double t0;

	(void)state;
	stop_cb_calls = 0;
	assert_int_equal(rt_task_spawn(&t, "parked", rt_test_park, NULL), 0);
	rt_timer_init(&w, stop_timer_cb, NULL);
	rt_timer_start(&w, 0.01, 0.);
	t0 = rt_test_mono();
	(void)rt_loop_run();	/* always 0: nothing to assert */
	/* The parked task's 10 s timer is still active: only stop ended it. */
	assert_true(rt_test_mono() - t0 < 5.0);
	assert_int_equal(stop_cb_calls, 1);
	assert_int_equal(rt_task_state(t), RT_TASK_WAITING);
	assert_int_equal(rt_task_cancel(t), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(rt_task_status(t), -ECANCELED);
	rt_task_release(t);
}

static void
test_loop_stop_from_busy_task_callback(void **state)
{
	struct rt_task *t;
	struct rt_timer w;

	(void)state;
	/* A yield loop never leaves the ready queue empty: the timer (and
	 * its stop) can only come in through the budget poll. */
	stop_iterations = -1000000000;
	stop_cb_calls = 0;
	assert_int_equal(rt_task_spawn(&t, "busy", stop_after_five, NULL), 0);
	rt_timer_init(&w, stop_timer_cb, NULL);
	rt_timer_start(&w, 0.01, 0.);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(stop_cb_calls, 1);
	assert_int_equal(rt_task_state(t), RT_TASK_READY);
	assert_int_equal(rt_task_cancel(t), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_true(rt_task_done(t));
	rt_task_release(t);
}

static void
test_loop_run_until_returns_when_task_done(void **state)
{
	struct rt_task *quick, *slow;

	(void)state;
	log_reset();
	assert_int_equal(rt_task_spawn(&slow, "slow", rt_test_park, NULL), 0);
	assert_int_equal(rt_task_spawn(&quick, "quick", sleep_then_log, "q"), 0);
	assert_int_equal(rt_loop_run_until(quick), 0);
	assert_true(rt_task_done(quick));
	assert_string_equal(order, "q");
	assert_int_equal(rt_task_state(slow), RT_TASK_WAITING);
	/* Already done: returns at once. */
	assert_int_equal(rt_loop_run_until(quick), 0);
	assert_int_equal(rt_task_cancel(slow), 0);
	assert_int_equal(rt_loop_run_until(slow), 0);
	assert_int_equal(rt_task_status(slow), -ECANCELED);
	rt_task_release(quick);
	rt_task_release(slow);
}

static int
await_forever(void *arg)
{
	return rt_future_await(arg, NULL, RT_FOREVER);
}

static void
test_loop_run_until_eagain_when_no_progress(void **state)
{
	struct rt_future never;
	struct rt_task *t;

	(void)state;
	rt_future_init(&never);
	assert_int_equal(rt_task_spawn(&t, "stuck", await_forever, &never), 0);
	/* No watcher can ever set the future: the loop runs dry. */
	assert_int_equal(rt_loop_run_until(t), -EAGAIN);
	assert_int_equal(rt_task_state(t), RT_TASK_WAITING);
	assert_int_equal(rt_future_set_result(&never, NULL), 0);
	assert_int_equal(rt_loop_run_until(t), 0);
	rt_task_release(t);
}

/* ---- ordering ------------------------------------------------------------ */

static void
soon_log(void *arg)
{
	log_step(*(const char *)arg);
}

static int
log_yield_log(void *arg)
{
	const char *s = arg;

	log_step(s[0]);
	TCHECK_INT(rt_sleep(0), 0);
	log_step(s[1]);
	return 0;
}

static void
test_loop_call_soon_runs_fifo_with_tasks(void **state)
{
	(void)state;
	log_reset();
	assert_int_equal(rt_task_spawn(NULL, "a", log_yield_log, "aA"), 0);
	assert_int_equal(rt_loop_call_soon(soon_log, "1"), 0);
	assert_int_equal(rt_task_spawn(NULL, "b", log_yield_log, "bB"), 0);
	assert_int_equal(rt_loop_call_soon(soon_log, "2"), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	/* a yields behind 1, b, 2; b yields behind them and a. */
	assert_string_equal(order, "a1b2AB");
}

static int
task_calls_soon(void *arg)
{
	(void)arg;
	log_step('t');
	TCHECK_INT(rt_loop_call_soon(soon_log, "s"), 0);
	TCHECK(rt_task_current() != NULL);
	TCHECK_INT(rt_sleep(0), 0);	/* behind the callback */
	log_step('T');
	return 0;
}

static void
test_loop_call_soon_from_task_runs_before_its_yield_returns(void **state)
{
	(void)state;
	log_reset();
	assert_int_equal(rt_test_run(task_calls_soon, NULL), 0);
	assert_string_equal(order, "tsT");
}

static int
alternate(void *arg)
{
	int i;

	for (i = 0; i < 1500; i++) {	/* crosses RT__BUDGET (1024) */
		log_step(*(const char *)arg);
		TCHECK_INT(rt_sleep(0), 0);
	}
	return 0;
}

static void
test_loop_yield_alternates_two_tasks_strictly(void **state)
{
	size_t i;

	(void)state;
	log_reset();
	assert_int_equal(rt_task_spawn(NULL, "x", alternate, "x"), 0);
	assert_int_equal(rt_task_spawn(NULL, "y", alternate, "y"), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	assert_int_equal(norder, 3000);
	for (i = 0; i < norder; i++)
		if (order[i] != (i % 2 == 0 ? 'x' : 'y'))
			fail_msg("step %zu ran %c", i, order[i]);
}

static int timer_saw_steps = -1;

static void
record_timer_cb(struct rt_timer *w)
{
	(void)w;
	timer_saw_steps = (int)norder;
}

static int
yield_100(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 100; i++) {
		log_step('.');
		TCHECK_INT(rt_sleep(0), 0);
	}
	return 0;
}

static void
test_loop_drains_ready_tasks_before_polling(void **state)
{
	struct rt_timer w;

	(void)state;
	log_reset();
	timer_saw_steps = -1;
	/* Due at once, but the loop only sees it when it polls libev. */
	rt_timer_init(&w, record_timer_cb, NULL);
	rt_timer_start(&w, 0., 0.);
	assert_int_equal(rt_task_spawn(NULL, "yielder", yield_100, NULL), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	/* 100 yields are under the budget: all ran before the poll. */
	assert_int_equal(timer_saw_steps, 100);
}

static volatile int fired;

static void
set_fired_cb(struct rt_timer *w)
{
	(void)w;
	fired = 1;
}

static long busy_yields;

static int
busy_until_fired(void *arg)
{
	double t0 = rt_test_mono();

	(void)arg;
	while (!fired) {
		if (rt_test_mono() - t0 > 3.0)
			return -ETIMEDOUT;	/* starved */
		busy_yields++;
		TCHECK_INT(rt_sleep(0), 0);
	}
	return 0;
}

static void
test_loop_busy_task_does_not_starve_timers(void **state)
{
	struct rt_timer w;

	(void)state;
	fired = 0;
	busy_yields = 0;
	rt_timer_init(&w, set_fired_cb, NULL);
	rt_timer_start(&w, 0.02, 0.);
	assert_int_equal(rt_test_run(busy_until_fired, NULL), 0);
	assert_int_equal(fired, 1);
	assert_true(busy_yields > 0);
}

static void
current_in_soon(void *arg)
{
	*(int *)arg = rt_task_current() == NULL;
}

static void
test_loop_callbacks_run_outside_any_task(void **state)
{
	int none = 0;

	(void)state;
	assert_null(rt_task_current());
	assert_int_equal(rt_loop_call_soon(current_in_soon, &none), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(none, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_loop_run_returns_at_once_when_empty),
		RT_TEST(test_loop_run_returns_when_last_task_done),
		RT_TEST(test_loop_init_twice_is_eexist),
		RT_TEST(test_loop_stop_from_task),
		RT_TEST(test_loop_stop_from_callback),
		RT_TEST(test_loop_stop_from_busy_task_callback),
		RT_TEST(test_loop_run_until_returns_when_task_done),
		RT_TEST(test_loop_run_until_eagain_when_no_progress),
		RT_TEST(test_loop_call_soon_runs_fifo_with_tasks),
		RT_TEST(test_loop_call_soon_from_task_runs_before_its_yield_returns),
		RT_TEST(test_loop_yield_alternates_two_tasks_strictly),
		RT_TEST(test_loop_drains_ready_tasks_before_polling),
		RT_TEST(test_loop_busy_task_does_not_starve_timers),
		RT_TEST(test_loop_callbacks_run_outside_any_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
