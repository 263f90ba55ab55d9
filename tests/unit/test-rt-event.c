/*
 * test-rt-event.c - runtime/event.c: set wakes every waiter, waits on a set
 * event return at once, clear, timeouts, cancellation and deadline scopes.
 *
 * The shared harness (records, setup, spawn, finish_loop) is prims-test.h.
 */
#include "config.h"

#include "prims-test.h"

static struct rt_event	ev;

static void
setup_loop(void)
{
	prims_setup_loop();
	rt_event_init(&ev);
}

static int
waiter(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_event_wait(&ev, RT_FOREVER);
	order[norder++] = id;
	return 0;
}

/* Lets the others queue, then sets (and with arg 1, clears at once). */
static int
setter(void *arg)
{
	(void)rt_sleep(0);
	rt_event_set(&ev);
	if (arg != NULL)
		rt_event_clear(&ev);
	order[norder++] = 0;
	return 0;
}

static void
test_event_set_wakes_every_waiter_in_fifo_order(void **state)
{
	int i;

	(void)state;
	setup_loop();
	spawn(0, setter);
	for (i = 1; i <= 4; i++)
		spawn(i, waiter);
	finish_loop();
	assert_int_equal(norder, 5);
	for (i = 0; i <= 4; i++)
		assert_int_equal(order[i], i);
	for (i = 1; i <= 4; i++)
		assert_int_equal(err[i], 0);
	assert_true(rt_event_is_set(&ev));
}

static void
test_event_waiter_woken_by_set_succeeds_though_cleared_since(void **state)
{
	(void)state;
	setup_loop();
	assert_int_equal(rt_task_spawn(&tasks[0], "t", setter, (void *)1), 0);
	spawn(1, waiter);
	finish_loop();
	assert_int_equal(err[1], 0);
	assert_false(rt_event_is_set(&ev));
}

static int
noter(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
	return 0;
}

static void
test_event_wait_on_set_event_returns_at_once(void **state)
{
	(void)state;
	setup_loop();
	rt_event_set(&ev);
	spawn(1, waiter);
	spawn(2, noter);
	finish_loop();
	assert_int_equal(err[1], 0);
	/* 1 did not yield: it finished before 2 ran. */
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
}

static int
waiter_timeout(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_event_wait(&ev, 0.01);
	return 0;
}

static void
test_event_wait_times_out_while_clear(void **state)
{
	(void)state;
	setup_loop();
	spawn(1, waiter_timeout);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_false(rt_event_is_set(&ev));
}

static void
test_event_clear_makes_later_waits_block(void **state)
{
	(void)state;
	setup_loop();
	rt_event_set(&ev);
	assert_true(rt_event_is_set(&ev));
	rt_event_clear(&ev);
	assert_false(rt_event_is_set(&ev));
	spawn(1, waiter_timeout);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
}

static int
setter_cancels(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);
	seen[0] = rt_task_cancel(tasks[2]);
	rt_event_set(&ev);
	return 0;
}

static void
test_event_cancelled_waiter_gets_ecanceled_others_woken(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, setter_cancels);
	spawn(1, waiter);
	spawn(2, waiter);
	spawn(3, waiter);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[1], 0);
	assert_int_equal(err[2], -ECANCELED);
	assert_int_equal(err[3], 0);
}

static int
waiter_in_scope(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct rt_scope sc;

	rt_scope_enter(&sc, 0.01);
	err[id] = rt_event_wait(&ev, RT_FOREVER);
	seen[id] = rt_scope_exit(&sc);
	return 0;
}

static void
test_event_deadline_scope_times_out_wait(void **state)
{
	(void)state;
	setup_loop();
	spawn(1, waiter_in_scope);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(seen[1], 1);
}

static void
test_event_wait_outside_a_task_is_eperm(void **state)
{
	(void)state;
	setup_loop();
	assert_int_equal(rt_event_wait(&ev, RT_FOREVER), -EPERM);
	rt_event_set(&ev);	/* set needs no task */
	assert_true(rt_event_is_set(&ev));
	assert_int_equal(rt_event_wait(&ev, RT_FOREVER), -EPERM);
	finish_loop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_set_wakes_every_waiter_in_fifo_order),
		cmocka_unit_test(
		    test_event_waiter_woken_by_set_succeeds_though_cleared_since),
		cmocka_unit_test(test_event_wait_on_set_event_returns_at_once),
		cmocka_unit_test(test_event_wait_times_out_while_clear),
		cmocka_unit_test(test_event_clear_makes_later_waits_block),
		cmocka_unit_test(
		    test_event_cancelled_waiter_gets_ecanceled_others_woken),
		cmocka_unit_test(test_event_deadline_scope_times_out_wait),
		cmocka_unit_test(test_event_wait_outside_a_task_is_eperm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
