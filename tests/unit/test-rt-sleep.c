/*
 * test-rt-sleep.c - wait.c's timed half: rt_sleep ordering by duration,
 * rt_sleep(0) as a yield, and deadline scopes (the deadline fails every
 * wait inside an expired scope, nested scopes use the earliest deadline,
 * rt_scope_exit reports whether it expired).
 */
#include "config.h"

#include "rt-test.h"

/* ---- sleep ------------------------------------------------------------- */

struct sleeper {
	double	secs;
	char	tag;
	double	slept;		/* loop time elapsed across the sleep */
	int	err;
	double	due;		/* the deadline, as the test sees it */
};

static int
sleep_and_log(void *arg)
{
	struct sleeper *s = arg;
	double t0 = rt_loop_time();

	s->due = t0 + s->secs;
	s->err = rt_sleep(s->secs);
	s->slept = rt_loop_time() - t0;
	log_step(s->tag);
	return 0;
}

/*
 * Spawned longest first, they wake shortest first.  Each deadline is read
 * from the clock at its sleep, so a machine busy enough to preempt the
 * process for 10 ms between two sleepers really does move the later one's
 * deadline past the earlier one's: the order checked is that of the
 * deadlines each sleeper noted just before sleeping, pairs closer than
 * ORDER_SLACK left out (the runtime reads the clock a moment after the
 * test: microseconds, unless preempted right there).  Durations are 10 ms
 * apart, so on an idle machine every pair is compared.
 */
#define ORDER_SLACK	0.004

static void
test_sleep_wakes_in_order_of_duration(void **state)
{
	struct sleeper s[] = {
		{ 0.03, 'c', 0, 1, 0 }, { 0.01, 'a', 0, 1, 0 },
		{ 0.02, 'b', 0, 1, 0 }, { 0.001, '0', 0, 1, 0 },
	};
	size_t i, j, n = sizeof(s) / sizeof(s[0]);
	const char *pi, *pj;

	(void)state;
	log_reset();
	for (i = 0; i < n; i++)
		assert_int_equal(rt_task_spawn(NULL, "sleeper", sleep_and_log,
		    &s[i]), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(strlen(order), n);
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			if (s[i].due + ORDER_SLACK > s[j].due)
				continue;
			pi = strchr(order, s[i].tag);
			pj = strchr(order, s[j].tag);
			assert_non_null(pi);
			assert_non_null(pj);
			if (pi > pj)
				fail_msg("'%c' (due %.6f) woke after '%c' (due "
				    "%.6f): order \"%s\"", s[i].tag, s[i].due,
				    s[j].tag, s[j].due, order);
		}
	for (i = 0; i < n; i++) {
		assert_int_equal(s[i].err, 0);
		if (s[i].slept < s[i].secs)
			fail_msg("sleep(%g) returned after %g", s[i].secs,
			    s[i].slept);
	}
}

static void
test_sleep_equal_durations_wake_in_fifo_order(void **state)
{
	/* Spawned in one loop iteration: the same cached ev_now, so equal
	 * deadlines; they must wake in the order they went to sleep
	 * (asyncio's order), which libev's own timer heap does not keep. */
	static const char tags[] = "ABCDEFGHIJKLMNOP";
	struct sleeper s[sizeof(tags) - 1];
	size_t i;

	(void)state;
	log_reset();
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		s[i] = (struct sleeper){ 0.01, tags[i], 0, 1, 0 };
		assert_int_equal(rt_task_spawn(NULL, "sleeper", sleep_and_log,
		    &s[i]), 0);
	}
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_string_equal(order, tags);
}

static int
compute_then_sleep(void *arg)
{
	double *slept = arg, t0 = rt_test_mono();

	while (rt_test_mono() - t0 < 0.1)
		;		/* 100 ms of work, without yielding */
	t0 = rt_test_mono();
	TCHECK_INT(rt_sleep(0.2), 0);
	*slept = rt_test_mono() - t0;
	return 0;
}

/*
 * A sleep counts from the call, not from the start of the loop iteration
 * it was called in: a deadline taken from a clock cached per iteration
 * (libev's ev_now) made this sleep return after about 0.1 s.
 */
static void
test_sleep_after_long_compute_lasts_its_duration(void **state)
{
	double slept = 0;

	(void)state;
	assert_int_equal(rt_task_spawn(NULL, "worker", compute_then_sleep,
	    &slept), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	if (slept < 0.2 || slept > 1.0 * rt_test_scale())
		fail_msg("rt_sleep(0.2) after 0.1 s of work lasted %.3f s",
		    slept);
}

/*
 * The heap under load: 500 sleepers over 8 distinct durations (many ties),
 * every third one cancelled from the middle of the heap while all are
 * asleep.  The survivors must wake in the order of their deadlines and
 * the cancelled ones with -ECANCELED: a removal that broke the heap shows
 * up as a wrong order or a lost wake-up.  Deadlines are read from the clock
 * at each sleep, so each sleeper notes its own just before sleeping; two
 * notes closer than HEAP_SLACK are not compared (the runtime reads the
 * clock a moment later than the test does: microseconds, more under
 * valgrind or if the process is preempted right there), and durations
 * are 20 ms apart so that most pairs are.
 */
#define HEAP_N		500
#define HEAP_SLACK	0.01

struct heap_sleeper {
	int	idx;
	int	err;
	double	due;		/* the deadline, as the test sees it */
	struct rt_task *task;
};

static int	 woke[HEAP_N];
static size_t	 nwoke;

static double
heap_secs(int i)
{
	return 0.02 * ((i * 5) % 8);	/* 0 to 140 ms, ties every 8 */
}

static int
heap_sleep(void *arg)
{
	struct heap_sleeper *h = arg;

	h->due = rt_loop_time() + heap_secs(h->idx) + 0.001;
	h->err = rt_sleep(heap_secs(h->idx) + 0.001);
	if (h->err == 0)
		woke[nwoke++] = h->idx;
	return 0;
}

static int
heap_cancel_thirds(void *arg)
{
	struct heap_sleeper *h = arg;
	int i;

	for (i = 0; i < HEAP_N; i += 3)
		assert_int_equal(rt_task_cancel(h[i].task), 0);
	return 0;
}

static void
test_sleep_many_with_cancels_keep_heap_order(void **state)
{
	static struct heap_sleeper h[HEAP_N];
	size_t k;
	int i;

	(void)state;
	nwoke = 0;
	for (i = 0; i < HEAP_N; i++) {
		h[i] = (struct heap_sleeper){ i, 1, 0, NULL };
		assert_int_equal(rt_task_spawn(&h[i].task, "sleeper",
		    heap_sleep, &h[i]), 0);
	}
	/* Spawned last: runs once every sleeper has armed its deadline. */
	assert_int_equal(rt_task_spawn(NULL, "canceller", heap_cancel_thirds,
	    h), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	for (i = 0; i < HEAP_N; i++) {
		assert_int_equal(h[i].err, i % 3 == 0 ? -ECANCELED : 0);
		rt_task_release(h[i].task);
	}
	assert_int_equal(nwoke, HEAP_N - (HEAP_N + 2) / 3);
	for (k = 1; k < nwoke; k++)
		if (h[woke[k - 1]].due > h[woke[k]].due + HEAP_SLACK)
			fail_msg("sleeper %d (due %.6f) woke before %d (due "
			    "%.6f)", woke[k - 1], h[woke[k - 1]].due, woke[k],
			    h[woke[k]].due);
}

static int
yield_twice(void *arg)
{
	const char *s = arg;

	log_step(s[0]);
	TCHECK_INT(rt_sleep(0), 0);
	log_step(s[1]);
	TCHECK_INT(rt_sleep(0), 0);
	log_step(s[2]);
	return 0;
}

static void
test_sleep_zero_yields_in_fifo_order(void **state)
{
	struct sleeper timed = { 0.001, 'T', 0, 1, 0 };

	(void)state;
	log_reset();
	assert_int_equal(rt_task_spawn(NULL, "timed", sleep_and_log, &timed),
	    0);
	assert_int_equal(rt_task_spawn(NULL, "a", yield_twice, "abc"), 0);
	assert_int_equal(rt_task_spawn(NULL, "b", yield_twice, "ABC"), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	/* Round robin; the timer only fires once the ready queue is empty. */
	assert_string_equal(order, "aAbBcCT");
}

static int
sleep_zero_alone(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 10; i++)	/* nothing else ready: returns at once */
		TCHECK_INT(rt_sleep(0), 0);
	return 0;
}

static void
test_sleep_zero_alone_returns(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(sleep_zero_alone, NULL), 0);
}

static void
test_sleep_outside_task_is_eperm(void **state)
{
	(void)state;
	assert_int_equal(rt_sleep(0.01), -EPERM);
	assert_int_equal(rt_sleep(0), -EPERM);
}

/* ---- deadline scopes --------------------------------------------------- */

static struct rt_future never;

static int
scope_level_triggered(void *arg)
{
	struct rt_scope s;
	double t0 = rt_loop_time();

	(void)arg;
	rt_future_init(&never);
	rt_scope_enter(&s, 0.05);
	TCHECK_INT(rt_sleep(1), -ETIMEDOUT);
	TCHECK(rt_loop_time() - t0 >= 0.05);
	TCHECK(rt_loop_time() - t0 < 0.9);
	/* Expired: every later wait in the scope fails at once. */
	t0 = rt_loop_time();
	TCHECK_INT(rt_sleep(0.001), -ETIMEDOUT);
	TCHECK_INT(rt_sleep(0), -ETIMEDOUT);
	TCHECK_INT(rt_future_await(&never, NULL, RT_FOREVER), -ETIMEDOUT);
	TCHECK_INT(rt_sleep(1), -ETIMEDOUT);
	TCHECK(rt_loop_time() - t0 < 0.5);
	TCHECK_INT(rt_scope_exit(&s), 1);
	/* Out of the scope, waits work again. */
	TCHECK_INT(rt_sleep(0.001), 0);
	TCHECK_INT(rt_sleep(0), 0);
	return 0;
}

static void
test_scope_expired_fails_every_wait_inside(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(scope_level_triggered, NULL), 0);
}

static int
scope_not_expired(void *arg)
{
	struct rt_scope s;

	(void)arg;
	rt_scope_enter(&s, 0.5);
	TCHECK_INT(rt_sleep(0.01), 0);
	TCHECK_INT(rt_sleep(0), 0);
	TCHECK_INT(rt_scope_exit(&s), 0);
	/* A negative timeout: a scope without deadline. */
	rt_scope_enter(&s, RT_FOREVER);
	TCHECK_INT(rt_sleep(0.001), 0);
	TCHECK_INT(rt_scope_exit(&s), 0);
	return 0;
}

static void
test_scope_exit_returns_0_when_not_expired(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(scope_not_expired, NULL), 0);
}

static int
scope_wait_timeout_shorter(void *arg)
{
	struct rt_scope s;
	double t0;

	(void)arg;
	rt_future_init(&never);
	rt_scope_enter(&s, 0.5);
	/* The wait's own timeout is earlier: it is that one that ends it. */
	t0 = rt_loop_time();
	TCHECK_INT(rt_future_await(&never, NULL, 0.01), -ETIMEDOUT);
	TCHECK(rt_loop_time() - t0 < 0.4);
	TCHECK_INT(rt_scope_exit(&s), 0);
	return 0;
}

static void
test_scope_shorter_wait_timeout_wins(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(scope_wait_timeout_shorter, NULL), 0);
}

static int
nested_outer_earlier(void *arg)
{
	struct rt_scope outer, inner;
	double t0 = rt_loop_time();

	(void)arg;
	rt_scope_enter(&outer, 0.03);
	rt_scope_enter(&inner, 5.0);
	TCHECK_INT(rt_sleep(2), -ETIMEDOUT);
	TCHECK(rt_loop_time() - t0 >= 0.03);
	TCHECK(rt_loop_time() - t0 < 1.0);
	/* The inner scope's effective deadline was the outer's. */
	TCHECK_INT(rt_scope_exit(&inner), 1);
	TCHECK_INT(rt_sleep(0.001), -ETIMEDOUT);	/* still in outer */
	TCHECK_INT(rt_scope_exit(&outer), 1);
	TCHECK_INT(rt_sleep(0.001), 0);
	return 0;
}

static void
test_scope_nested_uses_outer_earlier_deadline(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(nested_outer_earlier, NULL), 0);
}

static int
nested_inner_earlier(void *arg)
{
	struct rt_scope outer, inner;
	double t0 = rt_loop_time();

	(void)arg;
	rt_scope_enter(&outer, 5.0);
	rt_scope_enter(&inner, 0.02);
	TCHECK_INT(rt_sleep(2), -ETIMEDOUT);
	TCHECK(rt_loop_time() - t0 >= 0.02);
	TCHECK(rt_loop_time() - t0 < 1.0);
	TCHECK_INT(rt_scope_exit(&inner), 1);
	/* Back in the outer scope, which has not expired. */
	TCHECK_INT(rt_sleep(0.001), 0);
	TCHECK_INT(rt_scope_exit(&outer), 0);
	return 0;
}

static void
test_scope_nested_uses_inner_earlier_deadline(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(nested_inner_earlier, NULL), 0);
}

static int
scope_is_per_task(void *arg)
{
	(void)arg;
	/* Another task's expired scope does not affect us. */
	return rt_sleep(0.05);
}

static int
scope_owner(void *arg)
{
	struct rt_task *other;
	struct rt_scope s;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&other, "other", scope_is_per_task, NULL), 0);
	rt_scope_enter(&s, 0.01);
	TCHECK_INT(rt_sleep(1), -ETIMEDOUT);
	TCHECK_INT(rt_task_join(other, NULL, 1), -ETIMEDOUT);	/* scope */
	TCHECK_INT(rt_scope_exit(&s), 1);
	TCHECK_INT(rt_task_join(other, NULL, RT_FOREVER), 0);
	rt_task_release(other);
	return 0;
}

static void
test_scope_belongs_to_its_task(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(scope_owner, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_sleep_wakes_in_order_of_duration),
		RT_TEST(test_sleep_equal_durations_wake_in_fifo_order),
		RT_TEST(test_sleep_zero_yields_in_fifo_order),
		RT_TEST(test_sleep_zero_alone_returns),
		RT_TEST(test_sleep_outside_task_is_eperm),
		RT_TEST(test_sleep_many_with_cancels_keep_heap_order),
		RT_TEST(test_sleep_after_long_compute_lasts_its_duration),
		RT_TEST(test_scope_expired_fails_every_wait_inside),
		RT_TEST(test_scope_exit_returns_0_when_not_expired),
		RT_TEST(test_scope_shorter_wait_timeout_wins),
		RT_TEST(test_scope_nested_uses_outer_earlier_deadline),
		RT_TEST(test_scope_nested_uses_inner_earlier_deadline),
		RT_TEST(test_scope_belongs_to_its_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
