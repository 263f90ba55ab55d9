/*
 * test-rt-gather.c - gather.c: rt_gather (all results, first failure in
 * array order, timeout cancels and awaits the children), rt_wait (ALL and
 * FIRST_COMPLETED, the stable done/pending partition, timeouts) and
 * rt_wait_for (success, and a timeout that cancels the task and returns
 * only once it has finished).
 */
#include "config.h"

#include "rt-test.h"

/* A child: sleeps, then returns status; records how its sleep ended. */
struct child {
	double	 secs;		/* < 0: park until cancelled */
	int	 status;
	double	 cleanup;	/* seconds of cleanup after a cancellation */
	int	 slept;		/* what its sleep returned */
	int	 cleaned;	/* its cleanup finished */
	struct rt_task *t;
};

static int
child_body(void *arg)
{
	struct child *c = arg;

	c->slept = rt_sleep(c->secs < 0 ? 10 : c->secs);
	if (c->slept == -ECANCELED) {
		if (c->cleanup > 0)
			TCHECK_INT(rt_sleep(c->cleanup), 0);
		c->cleaned = 1;
		return -ECANCELED;
	}
	return c->status;
}

static void
spawn_children(struct child *c, size_t n, struct rt_task **tasks)
{
	size_t i;

	for (i = 0; i < n; i++) {
		c[i].slept = 1;
		TCHECK_INT(rt_task_spawn(&c[i].t, "child", child_body, &c[i]),
		    0);
		tasks[i] = c[i].t;
	}
}

static void
release_children(struct child *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!rt_task_done(c[i].t)) {
			(void)rt_task_cancel(c[i].t);
			(void)rt_task_join(c[i].t, NULL, RT_FOREVER);
		}
		rt_task_release(c[i].t);
	}
}

/* ---- gather ------------------------------------------------------------ */

static int
gather_all_ok(void *arg)
{
	struct child c[3] = { { .secs = 0.02 }, { .secs = 0.01 },
	    { .secs = 0 } };
	struct rt_task *tasks[3];
	size_t i;

	(void)arg;
	spawn_children(c, 3, tasks);
	TCHECK_INT(rt_gather(tasks, 3, RT_FOREVER), 0);
	for (i = 0; i < 3; i++) {
		TCHECK(rt_task_done(tasks[i]));
		TCHECK_INT(rt_task_status(tasks[i]), 0);
	}
	/* All done already: returns at once. */
	TCHECK_INT(rt_gather(tasks, 3, 0), 0);
	TCHECK_INT(rt_gather(tasks, 0, RT_FOREVER), 0);
	release_children(c, 3);
	return 0;
}

static void
test_gather_all_ok_returns_0(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(gather_all_ok, NULL), 0);
}

static int
gather_many(void *arg)
{
	struct child c[40];
	struct rt_task *tasks[40];
	size_t i;

	(void)arg;
	memset(c, 0, sizeof(c));
	for (i = 0; i < 40; i++)	/* more than gather's 16 local nodes */
		c[i].secs = (double)(i % 3) / 1000;
	c[33].status = -EPIPE;
	spawn_children(c, 40, tasks);
	TCHECK_INT(rt_gather(tasks, 40, RT_FOREVER), -EPIPE);
	for (i = 0; i < 40; i++)
		TCHECK(rt_task_done(tasks[i]));
	release_children(c, 40);
	return 0;
}

static void
test_gather_many_tasks(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(gather_many, NULL), 0);
}

static int
gather_first_failure(void *arg)
{
	/* [2] fails first in time; [1] comes first in the array. */
	struct child c[4] = { { .secs = 0.03 }, { .secs = 0.02, .status = -EIO },
	    { .secs = 0.01, .status = -EPIPE }, { .secs = 0.04 } };
	struct rt_task *tasks[4];
	size_t i;

	(void)arg;
	spawn_children(c, 4, tasks);
	TCHECK_INT(rt_gather(tasks, 4, RT_FOREVER), -EIO);
	/* A failure does not cut the gather short: all ran to the end. */
	for (i = 0; i < 4; i++) {
		TCHECK(rt_task_done(tasks[i]));
		TCHECK_INT(c[i].slept, 0);
	}
	release_children(c, 4);
	return 0;
}

static void
test_gather_returns_first_failure_in_array_order(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(gather_first_failure, NULL), 0);
}

static int
gather_timeout(void *arg)
{
	struct child c[3] = { { .secs = 0.001 }, { .secs = -1, .cleanup = 0.02 },
	    { .secs = -1, .cleanup = 0.01 } };
	struct rt_task *tasks[3];
	double t0 = rt_loop_time();

	(void)arg;
	spawn_children(c, 3, tasks);
	TCHECK_INT(rt_gather(tasks, 3, 0.02), -ETIMEDOUT);
	/* The unfinished ones were cancelled and have finished cleaning up. */
	TCHECK(rt_loop_time() - t0 >= 0.04);
	TCHECK_INT(c[0].slept, 0);
	TCHECK_INT(rt_task_status(tasks[0]), 0);
	TCHECK_INT(c[1].slept, -ECANCELED);
	TCHECK_INT(c[1].cleaned, 1);
	TCHECK_INT(c[2].slept, -ECANCELED);
	TCHECK_INT(c[2].cleaned, 1);
	TCHECK(rt_task_done(tasks[1]) && rt_task_done(tasks[2]));
	release_children(c, 3);
	return 0;
}

static void
test_gather_timeout_cancels_and_awaits_children(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(gather_timeout, NULL), 0);
}

static int
gather_self(void *arg)
{
	struct rt_task *self = rt_task_current();

	(void)arg;
	TCHECK_INT(rt_gather(&self, 1, RT_FOREVER), -EDEADLK);
	return 0;
}

static void
test_gather_rejects_self_and_main_stack(void **state)
{
	struct rt_task *t;

	(void)state;
	assert_int_equal(rt_test_run(gather_self, NULL), 0);
	assert_int_equal(rt_task_spawn(&t, "t", rt_test_park, NULL), 0);
	assert_int_equal(rt_gather(&t, 1, RT_FOREVER), -EPERM);
	assert_int_equal(rt_task_cancel(t), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	rt_task_release(t);
}

/* ---- wait ---------------------------------------------------------------- */

static int
wait_all(void *arg)
{
	struct child c[3] = { { .secs = 0.03 }, { .secs = 0.01 },
	    { .secs = 0.02, .status = -EIO } };
	struct rt_task *tasks[3];
	size_t i;

	(void)arg;
	spawn_children(c, 3, tasks);
	/* Failures are results, not errors, for wait. */
	TCHECK_INT(rt_wait(tasks, 3, RT_ALL_COMPLETED, RT_FOREVER), 3);
	for (i = 0; i < 3; i++) {
		TCHECK(tasks[i] == c[i].t);	/* all done: order unchanged */
		TCHECK(rt_task_done(tasks[i]));
	}
	release_children(c, 3);
	return 0;
}

static void
test_wait_all_completed_returns_all(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(wait_all, NULL), 0);
}

static int
wait_first(void *arg)
{
	struct child c[4] = { { .secs = -1 }, { .secs = 0.01 }, { .secs = -1 },
	    { .secs = -1 } };
	struct rt_task *tasks[4];

	(void)arg;
	spawn_children(c, 4, tasks);
	TCHECK_INT(rt_wait(tasks, 4, RT_FIRST_COMPLETED, RT_FOREVER), 1);
	/* Done first, then the pending ones in their original order. */
	TCHECK(tasks[0] == c[1].t);
	TCHECK(tasks[1] == c[0].t);
	TCHECK(tasks[2] == c[2].t);
	TCHECK(tasks[3] == c[3].t);
	/* Pending tasks keep running. */
	TCHECK_INT(rt_task_state(c[0].t), RT_TASK_WAITING);
	TCHECK_INT(rt_task_cancelling(c[0].t), 0);
	/* With one already done, FIRST_COMPLETED returns without waiting. */
	TCHECK_INT(rt_wait(tasks, 4, RT_FIRST_COMPLETED, RT_FOREVER), 1);
	TCHECK(tasks[0] == c[1].t);
	release_children(c, 4);
	return 0;
}

static void
test_wait_first_completed_partitions_done_first(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(wait_first, NULL), 0);
}

static int
wait_timeout(void *arg)
{
	struct child c[5] = { { .secs = -1 }, { .secs = 0.005 },
	    { .secs = -1 }, { .secs = 0.01 }, { .secs = -1 } };
	struct rt_task *tasks[5];
	double t0 = rt_loop_time();

	(void)arg;
	spawn_children(c, 5, tasks);
	TCHECK_INT(rt_wait(tasks, 5, RT_ALL_COMPLETED, 0.05), 2);
	TCHECK(rt_loop_time() - t0 >= 0.05);
	TCHECK(tasks[0] == c[1].t);
	TCHECK(tasks[1] == c[3].t);
	TCHECK(tasks[2] == c[0].t);
	TCHECK(tasks[3] == c[2].t);
	TCHECK(tasks[4] == c[4].t);
	TCHECK_INT(rt_task_state(c[0].t), RT_TASK_WAITING);
	/* Nothing finishes in time: an empty done set, not an error. */
	TCHECK_INT(rt_wait(tasks + 2, 3, RT_FIRST_COMPLETED, 0.01), 0);
	TCHECK(tasks[2] == c[0].t && tasks[3] == c[2].t && tasks[4] == c[4].t);
	release_children(c, 5);
	return 0;
}

static void
test_wait_timeout_returns_partial_done_set(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(wait_timeout, NULL), 0);
}

static int
wait_bad_mode(void *arg)
{
	struct rt_task *t = NULL;

	(void)arg;
	TCHECK_INT(rt_wait(&t, 1, (enum rt_wait_mode)9, 0), -EINVAL);
	return 0;
}

static void
test_wait_rejects_bad_mode(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(wait_bad_mode, NULL), 0);
}

/* ---- wait_for ------------------------------------------------------------ */

static int wf_marker;

static int
set_result_later(void *arg)
{
	(void)arg;
	TCHECK_INT(rt_sleep(0.01), 0);
	rt_task_set_result(&wf_marker);
	return -EPIPE;
}

static int
wait_for_ok(void *arg)
{
	struct rt_task *t;
	void *result = NULL;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "t", set_result_later, NULL), 0);
	TCHECK_INT(rt_wait_for(t, &result, 1.0), -EPIPE);
	TCHECK(result == &wf_marker);
	rt_task_release(t);
	return 0;
}

static void
test_wait_for_returns_task_outcome(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(wait_for_ok, NULL), 0);
}

static int
wait_for_timeout(void *arg)
{
	struct child c = { .secs = -1, .cleanup = 0.03 };
	struct rt_task *t;
	double t0 = rt_loop_time();

	(void)arg;
	c.slept = 1;
	TCHECK_INT(rt_task_spawn(&t, "slow", child_body, &c), 0);
	TCHECK_INT(rt_wait_for(t, NULL, 0.02), -ETIMEDOUT);
	/* Returned only once the cancelled task finished its cleanup. */
	TCHECK(rt_task_done(t));
	TCHECK_INT(c.slept, -ECANCELED);
	TCHECK_INT(c.cleaned, 1);
	TCHECK(rt_loop_time() - t0 >= 0.05);
	rt_task_release(t);
	return 0;
}

static void
test_wait_for_timeout_cancels_and_awaits_task(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(wait_for_timeout, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_gather_all_ok_returns_0),
		RT_TEST(test_gather_many_tasks),
		RT_TEST(test_gather_returns_first_failure_in_array_order),
		RT_TEST(test_gather_timeout_cancels_and_awaits_children),
		RT_TEST(test_gather_rejects_self_and_main_stack),
		RT_TEST(test_wait_all_completed_returns_all),
		RT_TEST(test_wait_first_completed_partitions_done_first),
		RT_TEST(test_wait_timeout_returns_partial_done_set),
		RT_TEST(test_wait_rejects_bad_mode),
		RT_TEST(test_wait_for_returns_task_outcome),
		RT_TEST(test_wait_for_timeout_cancels_and_awaits_task),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
