/*
 * test-rt-sem.c - runtime/sem.c: counting, FIFO hand-off of released units,
 * timeouts, cancellation, deadline scopes and try.
 *
 * The shared harness (records, setup, spawn, finish_loop) is prims-test.h.
 */
#include "config.h"

#include "prims-test.h"

static struct rt_sem	sem;
static int		inside, max_inside;

static void
setup_loop(unsigned value)
{
	prims_setup_loop();
	rt_sem_init(&sem, value);
	inside = max_inside = 0;
}

/* Takes a unit, lets every other task queue, gives it back. */
static int
holder(void *arg)
{
	int id = (int)(intptr_t)arg;
	int i;

	err[id] = rt_sem_acquire(&sem, RT_FOREVER);
	for (i = 0; i < 3; i++)
		(void)rt_sleep(0);
	order[norder++] = id;
	rt_sem_release(&sem);
	return 0;
}

static int
waiter(void *arg)
{
	int id = (int)(intptr_t)arg;

	if ((err[id] = rt_sem_acquire(&sem, RT_FOREVER)) != 0)
		return err[id];
	order[norder++] = id;
	if (++inside > max_inside)
		max_inside = inside;
	(void)rt_sleep(0);	/* let later tasks try to barge */
	(void)rt_sleep(0);
	inside--;
	rt_sem_release(&sem);
	return 0;
}

static void
test_sem_wakes_waiters_in_fifo_order(void **state)
{
	int i;

	(void)state;
	setup_loop(1);
	spawn(0, holder);
	for (i = 1; i <= 5; i++)
		spawn(i, waiter);
	finish_loop();
	assert_int_equal(norder, 6);
	for (i = 0; i <= 5; i++) {
		assert_int_equal(order[i], i);
		assert_int_equal(err[i], 0);
	}
	assert_int_equal(max_inside, 1);
	assert_int_equal(rt_sem_value(&sem), 1);
}

static void
test_sem_admits_at_most_value_tasks_at_once(void **state)
{
	int i;

	(void)state;
	setup_loop(3);
	for (i = 0; i < 7; i++)
		spawn(i, waiter);
	finish_loop();
	assert_int_equal(norder, 7);
	for (i = 0; i < 7; i++) {
		assert_int_equal(err[i], 0);
		assert_int_equal(order[i], i);
	}
	assert_int_equal(max_inside, 3);
	assert_int_equal(rt_sem_value(&sem), 3);
}

/* Releases while task 1 waits, then tries to take the unit back. */
static int
releaser_rebarges(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);			/* task 1 queues */
	rt_sem_release(&sem);
	seen[0] = (int)rt_sem_value(&sem);	/* handed over, not counted */
	err[0] = rt_sem_try(&sem);
	return 0;
}

static void
test_sem_release_hands_unit_to_waiter_without_barging(void **state)
{
	(void)state;
	setup_loop(0);
	spawn(0, releaser_rebarges);
	spawn(1, waiter);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[0], -EAGAIN);
	assert_int_equal(err[1], 0);
	assert_int_equal(rt_sem_value(&sem), 1);	/* 1 gave it back */
}

static int
late_releaser(void *arg)
{
	(void)arg;
	(void)rt_sleep(0.05);
	rt_sem_release(&sem);
	return 0;
}

static int
waiter_timeout(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_sem_acquire(&sem, 0.01);
	return 0;
}

static void
test_sem_acquire_times_out_and_gets_no_unit(void **state)
{
	(void)state;
	setup_loop(0);
	spawn(0, late_releaser);
	spawn(1, waiter_timeout);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
	/* The release found no waiter: the unit is counted, not lost. */
	assert_int_equal(rt_sem_value(&sem), 1);
}

static int
releaser_cancels(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);			/* 1, 2, 3 queue */
	seen[0] = rt_task_cancel(tasks[2]);
	rt_sem_release(&sem);
	rt_sem_release(&sem);
	return 0;
}

static int
waiter_keeps(void *arg)
{
	int id = (int)(intptr_t)arg;

	if ((err[id] = rt_sem_acquire(&sem, RT_FOREVER)) == 0)
		order[norder++] = id;
	return 0;
}

static void
test_sem_cancelled_waiter_is_skipped_and_others_proceed(void **state)
{
	(void)state;
	setup_loop(0);
	spawn(0, releaser_cancels);
	spawn(1, waiter_keeps);
	spawn(2, waiter_keeps);
	spawn(3, waiter_keeps);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[1], 0);
	assert_int_equal(err[2], -ECANCELED);
	assert_int_equal(err[3], 0);
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 3);
	assert_int_equal(rt_sem_value(&sem), 0);	/* both units taken */
}

static int
waiter_in_scope(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct rt_scope sc;

	rt_scope_enter(&sc, 0.01);
	err[id] = rt_sem_acquire(&sem, RT_FOREVER);
	seen[id] = rt_scope_exit(&sc);
	return 0;
}

static void
test_sem_deadline_scope_times_out_acquire(void **state)
{
	(void)state;
	setup_loop(0);
	spawn(0, late_releaser);
	spawn(1, waiter_in_scope);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(seen[1], 1);
	assert_int_equal(rt_sem_value(&sem), 1);
}

static void
test_sem_try_takes_units_until_zero(void **state)
{
	(void)state;
	setup_loop(2);
	assert_int_equal(rt_sem_try(&sem), 0);
	assert_int_equal(rt_sem_try(&sem), 0);
	assert_int_equal(rt_sem_try(&sem), -EAGAIN);
	assert_int_equal(rt_sem_value(&sem), 0);
	rt_sem_release(&sem);
	assert_int_equal(rt_sem_value(&sem), 1);
	assert_int_equal(rt_sem_try(&sem), 0);
	finish_loop();
}

static void
test_sem_acquire_outside_a_task_is_eperm(void **state)
{
	(void)state;
	setup_loop(1);
	assert_int_equal(rt_sem_acquire(&sem, RT_FOREVER), -EPERM);
	assert_int_equal(rt_sem_value(&sem), 1);
	finish_loop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sem_wakes_waiters_in_fifo_order),
		cmocka_unit_test(test_sem_admits_at_most_value_tasks_at_once),
		cmocka_unit_test(
		    test_sem_release_hands_unit_to_waiter_without_barging),
		cmocka_unit_test(test_sem_acquire_times_out_and_gets_no_unit),
		cmocka_unit_test(
		    test_sem_cancelled_waiter_is_skipped_and_others_proceed),
		cmocka_unit_test(test_sem_deadline_scope_times_out_acquire),
		cmocka_unit_test(test_sem_try_takes_units_until_zero),
		cmocka_unit_test(test_sem_acquire_outside_a_task_is_eperm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
