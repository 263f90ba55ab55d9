/*
 * test-rt-cancel.c - cancellation (task.c's rt_task_cancel, wait.c's
 * delivery): a task cancelled in each kind of wait (sleep, join, gather,
 * wait, future) sees -ECANCELED once, can clean up and wait again; a ready
 * or running task gets it at its next wait; a done task cannot be
 * cancelled; rt_task_cancelling tracks the request until the task ends;
 * rt_shield_enter/exit hold a cancellation back until the last exit.
 */
#include "config.h"

#include "rt-test.h"

enum wait_kind {
	IN_SLEEP,
	IN_JOIN,
	IN_GATHER,
	IN_WAIT,
	IN_FUTURE
};

/* What the cancelled task saw, for the test to check. */
struct victim {
	enum wait_kind	 kind;
	struct rt_task	*others[2];	/* what it joins / gathers / waits on */
	struct rt_future future;
	int		 first;		/* its interrupted wait's result */
	int		 cancelling;	/* rt_task_cancelling(self) after it */
	int		 again;		/* a second wait, during cleanup */
	int		 done;
};

static int
victim_body(void *arg)
{
	struct victim *v = arg;
	struct rt_task *self = rt_task_current();

	switch (v->kind) {
	case IN_SLEEP:
		v->first = rt_sleep(10);
		break;
	case IN_JOIN:
		v->first = rt_task_join(v->others[0], NULL, RT_FOREVER);
		break;
	case IN_GATHER:
		v->first = rt_gather(v->others, 2, RT_FOREVER);
		break;
	case IN_WAIT:
		v->first = (int)rt_wait(v->others, 2, RT_ALL_COMPLETED,
		    RT_FOREVER);
		break;
	case IN_FUTURE:
		v->first = rt_future_await(&v->future, NULL, RT_FOREVER);
		break;
	}
	v->cancelling = rt_task_cancelling(self);
	/* Cleanup may wait: the cancellation was delivered once. */
	v->again = rt_sleep(0.005);
	v->done = 1;
	return v->first;
}

struct scenario {
	enum wait_kind	 kind;
	const char	*waiting_on;	/* rt_task_waiting_on while parked */
};

static const struct scenario scenarios[] = {
	{ IN_SLEEP,	"sleep" },
	{ IN_JOIN,	"join" },
	{ IN_GATHER,	"gather" },
	{ IN_WAIT,	"wait" },
	{ IN_FUTURE,	"future" },
};

static int
run_scenario(void *arg)
{
	const struct scenario *sc = arg;
	struct victim v;
	struct rt_task *t;
	double t0;
	int i;

	memset(&v, 0, sizeof(v));
	v.kind = sc->kind;
	rt_future_init(&v.future);
	for (i = 0; i < 2; i++)
		TCHECK_INT(rt_task_spawn(&v.others[i], "other", rt_test_park,
		    NULL), 0);
	TCHECK_INT(rt_task_spawn(&t, "victim", victim_body, &v), 0);
	TCHECK_INT(rt_sleep(0), 0);		/* everyone parks */
	TCHECK_INT(rt_task_state(t), RT_TASK_WAITING);
	TCHECK(strcmp(rt_task_waiting_on(t), sc->waiting_on) == 0);
	TCHECK_INT(rt_task_cancelling(t), 0);

	t0 = rt_loop_time();
	TCHECK_INT(rt_task_cancel(t), 0);
	TCHECK_INT(rt_task_cancelling(t), 1);
	TCHECK_INT(rt_task_join(t, NULL, RT_FOREVER), -ECANCELED);
	TCHECK(rt_loop_time() - t0 < 5.0);	/* not the 10 s park */
	TCHECK_INT(v.first, -ECANCELED);
	TCHECK_INT(v.cancelling, 1);
	TCHECK_INT(v.again, 0);
	TCHECK_INT(v.done, 1);
	TCHECK_INT(rt_task_cancelling(t), 0);	/* done now */
	TCHECK_INT(rt_task_cancel(t), -EALREADY);
	/* The future holds no stale node from the interrupted await. */
	TCHECK(v.future.cbs == NULL);
	TCHECK_INT(rt_future_set_result(&v.future, NULL), 0);

	for (i = 0; i < 2; i++) {
		if (sc->kind == IN_GATHER) {
			/* gather cancels what it gathers... */
			TCHECK(rt_task_done(v.others[i]));
			TCHECK_INT(rt_task_status(v.others[i]), -ECANCELED);
		} else {
			/* ...join and wait leave it running. */
			TCHECK_INT(rt_task_state(v.others[i]), RT_TASK_WAITING);
			TCHECK_INT(rt_task_cancel(v.others[i]), 0);
		}
		TCHECK_INT(rt_task_join(v.others[i], NULL, RT_FOREVER),
		    -ECANCELED);
		rt_task_release(v.others[i]);
	}
	rt_task_release(t);
	return 0;
}

static void
test_cancel_in_sleep(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(run_scenario, (void *)&scenarios[0]), 0);
}

static void
test_cancel_in_join(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(run_scenario, (void *)&scenarios[1]), 0);
}

static void
test_cancel_in_gather_cancels_gathered(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(run_scenario, (void *)&scenarios[2]), 0);
}

static void
test_cancel_in_wait(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(run_scenario, (void *)&scenarios[3]), 0);
}

static void
test_cancel_in_future_await(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(run_scenario, (void *)&scenarios[4]), 0);
}

/* ---- not waiting when cancelled ------------------------------------------- */

static int worked, first_wait, second_wait;

static int
work_then_wait(void *arg)
{
	(void)arg;
	worked = 1;			/* cancel does not stop it starting */
	first_wait = rt_sleep(10);
	second_wait = rt_sleep(0.001);	/* edge-triggered: once only */
	return first_wait;
}

static void
test_cancel_ready_task_delivered_at_next_wait(void **state)
{
	struct rt_task *t;

	(void)state;
	worked = 0;
	first_wait = second_wait = 1;
	assert_int_equal(rt_task_spawn(&t, "ready", work_then_wait, NULL), 0);
	assert_int_equal(rt_task_cancel(t), 0);
	assert_int_equal(rt_task_cancelling(t), 1);
	assert_int_equal(rt_task_cancel(t), 0);	/* twice: still once */
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_int_equal(worked, 1);
	assert_int_equal(first_wait, -ECANCELED);
	assert_int_equal(second_wait, 0);
	assert_int_equal(rt_task_status(t), -ECANCELED);
	assert_int_equal(rt_task_cancelling(t), 0);
	rt_task_release(t);
}

static int
yield_then_wait(void *arg)
{
	(void)arg;
	first_wait = rt_sleep(0);
	second_wait = rt_sleep(0);
	return 0;
}

static int
cancel_yielded(void *arg)
{
	struct rt_task *t;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "yielder", yield_then_wait, NULL), 0);
	TCHECK_INT(rt_sleep(0), 0);	/* t runs and yields: READY again */
	TCHECK_INT(rt_task_state(t), RT_TASK_READY);
	TCHECK_INT(rt_task_cancel(t), 0);
	TCHECK_INT(rt_task_join(t, NULL, RT_FOREVER), 0);
	rt_task_release(t);
	return 0;
}

static void
test_cancel_during_yield_fails_the_yield(void **state)
{
	(void)state;
	first_wait = second_wait = 1;
	assert_int_equal(rt_test_run(cancel_yielded, NULL), 0);
	assert_int_equal(first_wait, -ECANCELED);
	assert_int_equal(second_wait, 0);
}

static int
cancel_self(void *arg)
{
	(void)arg;
	TCHECK_INT(rt_task_cancel(rt_task_current()), 0);	/* RUNNING */
	TCHECK_INT(rt_task_cancelling(rt_task_current()), 1);
	worked = 1;			/* no wait yet: nothing happens */
	return rt_sleep(0.001);
}

static void
test_cancel_running_task_delivered_at_next_wait(void **state)
{
	(void)state;
	worked = 0;
	assert_int_equal(rt_test_run(cancel_self, NULL), -ECANCELED);
	assert_int_equal(worked, 1);
}

static void
test_cancel_done_task_is_ealready(void **state)
{
	struct rt_task *t;

	(void)state;
	assert_int_equal(rt_task_spawn(&t, "quick", rt_test_park, NULL), 0);
	assert_int_equal(rt_task_cancel(t), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_true(rt_task_done(t));
	assert_int_equal(rt_task_cancel(t), -EALREADY);
	assert_int_equal(rt_task_cancelling(t), 0);
	assert_int_equal(rt_task_status(t), -ECANCELED);
	rt_task_release(t);
}

static int
ignore_cancel(void *arg)
{
	int *slept = arg;

	/* A task may decide to carry on: only that one wait failed. */
	TCHECK_INT(rt_sleep(10), -ECANCELED);
	TCHECK_INT(rt_sleep(0.01), 0);
	*slept = 1;
	return 0;
}

static int
cancel_stubborn(void *arg)
{
	struct rt_task *t;

	TCHECK_INT(rt_task_spawn(&t, "stubborn", ignore_cancel, arg), 0);
	TCHECK_INT(rt_sleep(0), 0);
	TCHECK_INT(rt_task_cancel(t), 0);
	TCHECK_INT(rt_task_join(t, NULL, RT_FOREVER), 0);
	rt_task_release(t);
	return 0;
}

static void
test_cancel_can_be_ignored_by_task(void **state)
{
	int slept = 0;

	(void)state;
	assert_int_equal(rt_test_run(cancel_stubborn, &slept), 0);
	assert_int_equal(slept, 1);
}

/* What the shielded task saw. */
struct shielded {
	int		 inner, outer, after, deadline;
};

static int
shielded_body(void *arg)
{
	struct shielded *sh = arg;
	struct rt_scope sc;

	rt_shield_enter();
	rt_shield_enter();
	sh->inner = rt_sleep(0.05);		/* cancelled meanwhile */
	rt_shield_exit();
	sh->outer = rt_sleep(0.01);		/* still shielded */
	/* A deadline scope still applies inside a shield. */
	rt_scope_enter(&sc, 0.01);
	sh->deadline = rt_sleep(10);
	(void)rt_scope_exit(&sc);
	rt_shield_exit();
	sh->after = rt_sleep(10);		/* delivered here, at once */
	return 0;
}

static int
shield_run(void *arg)
{
	struct rt_task *t;
	double t0;

	TCHECK_INT(rt_task_spawn(&t, "shielded", shielded_body, arg), 0);
	TCHECK_INT(rt_sleep(0.01), 0);
	TCHECK_INT(rt_task_state(t), RT_TASK_WAITING);
	t0 = rt_loop_time();
	TCHECK_INT(rt_task_cancel(t), 0);
	TCHECK_INT(rt_task_cancelling(t), 1);
	TCHECK_INT(rt_task_join(t, NULL, RT_FOREVER), 0);
	TCHECK(rt_loop_time() - t0 < 5.0);	/* not the 10 s sleep */
	rt_task_release(t);
	return 0;
}

static void
test_shield_holds_cancel_until_last_exit(void **state)
{
	struct shielded sh = { 1, 1, 1, 1 };

	(void)state;
	assert_int_equal(rt_test_run(shield_run, &sh), 0);
	assert_int_equal(sh.inner, 0);
	assert_int_equal(sh.outer, 0);
	assert_int_equal(sh.deadline, -ETIMEDOUT);
	assert_int_equal(sh.after, -ECANCELED);
}

struct names {
	char	named[64], labelled[64], unlabelled[64];
};

static int
named(void *arg)
{
	struct names *n = arg;
	struct rt_task *self = rt_task_current();

	rt_task_set_name(self, "a name longer than the forty-seven bytes a "
	    "task's name holds");
	(void)snprintf(n->named, 64, "%s", rt_task_name(self));
	rt_task_set_label(self, "GET /a/label/{shown}/for/a/while/of/any/length");
	(void)snprintf(n->labelled, 64, "%s", rt_task_name(self));
	rt_task_set_label(self, NULL);
	(void)snprintf(n->unlabelled, 64, "%s", rt_task_name(self));
	return 0;
}

static void
test_task_set_name_truncates_and_label_overrides(void **state)
{
	struct names n;

	(void)state;
	memset(&n, 0, sizeof(n));
	assert_int_equal(rt_test_run(named, &n), 0);
	assert_int_equal(strlen(n.named), 39);
	assert_int_equal(strncmp(n.named, "a name longer than", 18), 0);
	/* A label is not copied, so not cut either. */
	assert_string_equal(n.labelled,
	    "GET /a/label/{shown}/for/a/while/of/any/length");
	assert_string_equal(n.unlabelled, n.named);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_cancel_in_sleep),
		RT_TEST(test_cancel_in_join),
		RT_TEST(test_cancel_in_gather_cancels_gathered),
		RT_TEST(test_cancel_in_wait),
		RT_TEST(test_cancel_in_future_await),
		RT_TEST(test_cancel_ready_task_delivered_at_next_wait),
		RT_TEST(test_cancel_during_yield_fails_the_yield),
		RT_TEST(test_cancel_running_task_delivered_at_next_wait),
		RT_TEST(test_cancel_done_task_is_ealready),
		RT_TEST(test_cancel_can_be_ignored_by_task),
		RT_TEST(test_shield_holds_cancel_until_last_exit),
		RT_TEST(test_task_set_name_truncates_and_label_overrides),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
