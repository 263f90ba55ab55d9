/*
 * test-rt-group.c - group.c (asyncio's TaskGroup): all children succeed;
 * the first failure cancels the siblings and is what rt_group_wait returns;
 * a cancelled owner cancels and awaits its children; no spawning into a
 * failed group; a child's own cancellation is not a group failure.
 */
#include "config.h"

#include "rt-test.h"

struct kid {
	double	 secs;		/* < 0: park until cancelled */
	int	 status;	/* returned when the sleep ends normally */
	int	 on_cancel;	/* returned when cancelled (0: -ECANCELED) */
	int	 slept;		/* what its sleep returned */
	int	 finished;
};

static int
kid_body(void *arg)
{
	struct kid *k = arg;

	k->slept = rt_sleep(k->secs < 0 ? 10 : k->secs);
	k->finished = 1;
	if (k->slept == -ECANCELED)
		return k->on_cancel != 0 ? k->on_cancel : -ECANCELED;
	return k->slept != 0 ? k->slept : k->status;
}

static void
kids_reset(struct kid *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		k[i].slept = 1;
		k[i].finished = 0;
	}
}

static int
all_ok(void *arg)
{
	struct kid k[3] = { { .secs = 0.01 }, { .secs = 0 }, { .secs = 0.02 } };
	struct rt_group g;
	size_t i;

	(void)arg;
	kids_reset(k, 3);
	rt_group_init(&g);
	for (i = 0; i < 3; i++)
		TCHECK_INT(rt_group_spawn(&g, "kid", kid_body, &k[i]), 0);
	TCHECK_INT(g.live, 3);
	TCHECK_INT(rt_group_wait(&g), 0);
	for (i = 0; i < 3; i++)
		TCHECK_INT(k[i].finished, 1);
	TCHECK_INT(g.live, 0);
	/* The group released its children: only "main" is left. */
	TCHECK_INT(coro_stack_in_use(), 1);
	return 0;
}

static void
test_group_all_children_succeed(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(all_ok, NULL), 0);
	assert_int_equal(coro_stack_in_use(), 0);
}

static int
first_failure(void *arg)
{
	/* k[1] fails first; k[3] fails later, when cancelled: not counted. */
	struct kid k[4] = { { .secs = -1 }, { .secs = 0.01, .status = -EIO },
	    { .secs = -1 }, { .secs = -1, .on_cancel = -EPIPE } };
	struct rt_group g;
	double t0 = rt_loop_time();
	size_t i;

	(void)arg;
	kids_reset(k, 4);
	rt_group_init(&g);
	for (i = 0; i < 4; i++)
		TCHECK_INT(rt_group_spawn(&g, "kid", kid_body, &k[i]), 0);
	TCHECK_INT(rt_group_wait(&g), -EIO);
	TCHECK(rt_loop_time() - t0 < 5.0);	/* not the parked 10 s */
	TCHECK_INT(k[0].slept, -ECANCELED);
	TCHECK_INT(k[1].slept, 0);
	TCHECK_INT(k[2].slept, -ECANCELED);
	TCHECK_INT(k[3].slept, -ECANCELED);
	for (i = 0; i < 4; i++)
		TCHECK_INT(k[i].finished, 1);
	TCHECK_INT(g.error, -EIO);
	return 0;
}

static void
test_group_first_failure_cancels_siblings(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(first_failure, NULL), 0);
}

static struct kid owner_kids[2] = { { .secs = -1 }, { .secs = -1 } };
static int owner_wait;
static int owner_saw_all_finished;

static int
owner_body(void *arg)
{
	struct rt_group g;
	size_t i;

	(void)arg;
	rt_group_init(&g);
	for (i = 0; i < 2; i++)
		TCHECK_INT(rt_group_spawn(&g, "kid", kid_body, &owner_kids[i]),
		    0);
	owner_wait = rt_group_wait(&g);
	owner_saw_all_finished = owner_kids[0].finished &&
	    owner_kids[1].finished;
	return owner_wait;
}

static int
cancel_owner(void *arg)
{
	struct rt_task *owner;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&owner, "owner", owner_body, NULL), 0);
	TCHECK_INT(rt_sleep(0.01), 0);
	TCHECK(strcmp(rt_task_waiting_on(owner), "task group") == 0);
	TCHECK_INT(rt_task_cancel(owner), 0);
	TCHECK_INT(rt_task_join(owner, NULL, RT_FOREVER), -ECANCELED);
	rt_task_release(owner);
	return 0;
}

static void
test_group_cancelled_owner_cancels_children(void **state)
{
	(void)state;
	kids_reset(owner_kids, 2);
	owner_wait = 1;
	owner_saw_all_finished = 0;
	assert_int_equal(rt_test_run(cancel_owner, NULL), 0);
	assert_int_equal(owner_wait, -ECANCELED);
	assert_int_equal(owner_kids[0].slept, -ECANCELED);
	assert_int_equal(owner_kids[1].slept, -ECANCELED);
	/* rt_group_wait returned only after the children had finished. */
	assert_int_equal(owner_saw_all_finished, 1);
}

static int
spawn_after_failure(void *arg)
{
	struct kid k[2] = { { .secs = 0, .status = -EIO }, { .secs = -1 } },
	    late = { .secs = 0 };
	struct rt_group g;

	(void)arg;
	kids_reset(k, 2);
	late.finished = 0;
	rt_group_init(&g);
	TCHECK_INT(rt_group_spawn(&g, "fails", kid_body, &k[0]), 0);
	TCHECK_INT(rt_group_spawn(&g, "parked", kid_body, &k[1]), 0);
	TCHECK_INT(rt_sleep(0.01), 0);		/* k[0] fails meanwhile */
	TCHECK_INT(g.error, -EIO);
	TCHECK_INT(rt_group_spawn(&g, "late", kid_body, &late), -ECANCELED);
	/* The sibling was cancelled when k[0] failed, not at group_wait. */
	TCHECK_INT(k[1].finished, 1);
	TCHECK_INT(rt_group_wait(&g), -EIO);
	TCHECK_INT(k[1].slept, -ECANCELED);
	TCHECK_INT(late.finished, 0);
	return 0;
}

static void
test_group_spawn_after_failure_is_ecanceled(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(spawn_after_failure, NULL), 0);
}

static int
cancel_self_then_park(void *arg)
{
	/* A child cancelled on its own (here by itself), not by the group. */
	TCHECK_INT(rt_task_cancel(rt_task_current()), 0);
	return kid_body(arg);
}

static int
child_cancelled_alone(void *arg)
{
	struct kid k[2] = { { .secs = -1 }, { .secs = 0.02 } };
	struct rt_group g;

	(void)arg;
	kids_reset(k, 2);
	rt_group_init(&g);
	TCHECK_INT(rt_group_spawn(&g, "victim", cancel_self_then_park, &k[0]),
	    0);
	TCHECK_INT(rt_group_spawn(&g, "sibling", kid_body, &k[1]), 0);
	TCHECK_INT(rt_group_wait(&g), 0);
	TCHECK_INT(k[0].slept, -ECANCELED);
	TCHECK_INT(k[1].slept, 0);		/* the sibling was left alone */
	TCHECK_INT(g.cancelled, 0);
	return 0;
}

static void
test_group_child_cancellation_is_not_failure(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(child_cancelled_alone, NULL), 0);
}

static int
explicit_cancel(void *arg)
{
	struct kid k[2] = { { .secs = -1 }, { .secs = -1 } }, late = { 0 };
	struct rt_group g;
	size_t i;

	(void)arg;
	kids_reset(k, 2);
	rt_group_init(&g);
	for (i = 0; i < 2; i++)
		TCHECK_INT(rt_group_spawn(&g, "kid", kid_body, &k[i]), 0);
	TCHECK_INT(rt_sleep(0), 0);
	rt_group_cancel(&g);
	TCHECK_INT(rt_group_spawn(&g, "late", kid_body, &late), -ECANCELED);
	(void)rt_group_wait(&g);
	TCHECK_INT(k[0].slept, -ECANCELED);
	TCHECK_INT(k[1].slept, -ECANCELED);
	TCHECK_INT(k[0].finished && k[1].finished, 1);
	return 0;
}

static void
test_group_cancel_cancels_every_child(void **state)
{
	(void)state;
	assert_int_equal(rt_test_run(explicit_cancel, NULL), 0);
}

static void
test_group_wait_outside_task_is_eperm(void **state)
{
	struct rt_group g;

	(void)state;
	rt_group_init(&g);
	assert_null(g.owner);
	assert_int_equal(rt_group_wait(&g), -EPERM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_group_all_children_succeed),
		RT_TEST(test_group_first_failure_cancels_siblings),
		RT_TEST(test_group_cancelled_owner_cancels_children),
		RT_TEST(test_group_spawn_after_failure_is_ecanceled),
		RT_TEST(test_group_child_cancellation_is_not_failure),
		RT_TEST(test_group_cancel_cancels_every_child),
		RT_TEST(test_group_wait_outside_task_is_eperm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
