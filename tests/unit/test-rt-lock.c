/*
 * test-rt-lock.c - runtime/lock.c: FIFO hand-off, timeouts, cancellation,
 * deadline scopes, try, and ownership checks.
 *
 * The shared harness (records, setup, spawn, finish_loop) is prims-test.h.
 */
#include "config.h"

#include "prims-test.h"

static struct rt_lock	lk;

static void
setup_loop(void)
{
	prims_setup_loop();
	rt_lock_init(&lk);
}

static int
owned_by(const struct rt_task *t)
{
	return lk.owner == t;
}

/* Takes the lock, lets every other task queue behind it, releases. */
static int
holder(void *arg)
{
	int id = (int)(intptr_t)arg;
	int i;

	err[id] = rt_lock_acquire(&lk, RT_FOREVER);
	for (i = 0; i < 3; i++)
		(void)rt_sleep(0);
	order[norder++] = id;
	return rt_lock_release(&lk);
}

/* Waits for the lock, records its turn and whether it owned it, releases. */
static int
waiter(void *arg)
{
	int id = (int)(intptr_t)arg;

	if ((err[id] = rt_lock_acquire(&lk, RT_FOREVER)) != 0)
		return err[id];
	order[norder++] = id;
	seen[id] = rt_lock_locked(&lk);
	(void)rt_sleep(0);	/* let later waiters try to barge */
	return rt_lock_release(&lk);
}

static void
test_lock_wakes_waiters_in_fifo_order(void **state)
{
	int i;

	(void)state;
	setup_loop();
	spawn(0, holder);
	for (i = 1; i <= 5; i++)
		spawn(i, waiter);
	finish_loop();
	assert_int_equal(norder, 6);
	for (i = 0; i <= 5; i++) {
		assert_int_equal(order[i], i);
		assert_int_equal(err[i], 0);
	}
	for (i = 1; i <= 5; i++)
		assert_int_equal(seen[i], 1);
}

/* Releases while task 1 waits, then tries to take the lock straight back. */
static int
releaser_rebarges(void *arg)
{
	(void)arg;
	err[0] = rt_lock_acquire(&lk, RT_FOREVER);
	(void)rt_sleep(0);			/* task 1 queues */
	(void)rt_lock_release(&lk);
	seen[0] = owned_by(tasks[1]);
	err[2] = rt_lock_try(&lk);		/* must not barge */
	err[3] = rt_lock_acquire(&lk, RT_FOREVER);	/* queues behind 1 */
	order[norder++] = 0;
	return rt_lock_release(&lk);
}

static void
test_lock_release_hands_off_to_waiter_before_it_runs(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, releaser_rebarges);
	spawn(1, waiter);
	finish_loop();
	assert_int_equal(seen[0], 1);
	assert_int_equal(err[2], -EBUSY);
	assert_int_equal(err[3], 0);
	assert_int_equal(err[1], 0);
	assert_int_equal(norder, 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 0);
}

static int
holder_long(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_lock_acquire(&lk, RT_FOREVER);
	(void)rt_sleep(0.05);
	(void)rt_lock_release(&lk);
	seen[id] = rt_lock_locked(&lk);	/* nobody left to hand it to */
	return 0;
}

static int
waiter_timeout(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_lock_acquire(&lk, 0.01);
	seen[id] = owned_by(tasks[id]);
	return 0;
}

static void
test_lock_acquire_times_out_and_never_owns_it(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, holder_long);
	spawn(1, waiter_timeout);
	finish_loop();
	assert_int_equal(err[0], 0);
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(seen[1], 0);
	assert_int_equal(seen[0], 0);
	assert_false(rt_lock_locked(&lk));
}

/* Holds the lock while 1, 2, 3 queue, cancels 2, releases. */
static int
holder_cancels(void *arg)
{
	(void)arg;
	err[0] = rt_lock_acquire(&lk, RT_FOREVER);
	(void)rt_sleep(0);
	seen[0] = rt_task_cancel(tasks[2]);
	order[norder++] = 0;
	return rt_lock_release(&lk);
}

static void
test_lock_cancelled_waiter_is_skipped_and_others_proceed(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, holder_cancels);
	spawn(1, waiter);
	spawn(2, waiter);
	spawn(3, waiter);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[1], 0);
	assert_int_equal(err[2], -ECANCELED);
	assert_int_equal(err[3], 0);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 3);
	assert_int_equal(seen[2], -1);	/* never ran its critical section */
	assert_false(rt_lock_locked(&lk));
}

/* Releases to task 1, then cancels it before it has run. */
static int
holder_cancels_new_owner(void *arg)
{
	(void)arg;
	err[0] = rt_lock_acquire(&lk, RT_FOREVER);
	(void)rt_sleep(0);
	(void)rt_lock_release(&lk);
	(void)rt_task_cancel(tasks[1]);
	return 0;
}

static int
waiter_then_waits(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_lock_acquire(&lk, RT_FOREVER);
	seen[id] = owned_by(tasks[id]);
	err[id + 1] = rt_sleep(0);	/* the pending cancellation lands */
	(void)rt_lock_release(&lk);
	return 0;
}

static void
test_lock_handed_off_owner_cancelled_while_ready_keeps_it(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, holder_cancels_new_owner);
	spawn(1, waiter_then_waits);
	finish_loop();
	assert_int_equal(err[1], 0);
	assert_int_equal(seen[1], 1);
	assert_int_equal(err[2], -ECANCELED);
	assert_false(rt_lock_locked(&lk));
}

static int
waiter_in_scope(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct rt_scope sc;

	rt_scope_enter(&sc, 0.01);
	err[id] = rt_lock_acquire(&lk, RT_FOREVER);
	seen[id] = rt_scope_exit(&sc);
	return 0;
}

static void
test_lock_deadline_scope_times_out_acquire(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, holder_long);
	spawn(1, waiter_in_scope);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[0], 0);
	assert_false(rt_lock_locked(&lk));
}

static int
trier(void *arg)
{
	int id = (int)(intptr_t)arg;

	if (id == 0) {
		err[0] = rt_lock_try(&lk);
		seen[0] = rt_lock_try(&lk);	/* even its owner */
		(void)rt_sleep(0);
		return rt_lock_release(&lk);
	}
	err[1] = rt_lock_try(&lk);		/* held by 0 */
	(void)rt_sleep(0);
	seen[1] = rt_lock_try(&lk);		/* released by now */
	return rt_lock_release(&lk);
}

static void
test_lock_try_takes_only_a_free_lock(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, trier);
	spawn(1, trier);
	finish_loop();
	assert_int_equal(err[0], 0);
	assert_int_equal(seen[0], -EBUSY);
	assert_int_equal(err[1], -EBUSY);
	assert_int_equal(seen[1], 0);
	assert_int_equal(status[1], 0);
	assert_false(rt_lock_locked(&lk));
}

static int
owner_then_non_owner(void *arg)
{
	int id = (int)(intptr_t)arg;

	if (id == 0) {
		err[0] = rt_lock_acquire(&lk, RT_FOREVER);
		(void)rt_sleep(0);
		(void)rt_sleep(0);
		seen[0] = rt_lock_release(&lk);
		err[2] = rt_lock_release(&lk);	/* now unlocked */
		return 0;
	}
	err[1] = rt_lock_release(&lk);		/* held by 0 */
	seen[1] = owned_by(tasks[0]);
	return 0;
}

static void
test_lock_release_by_non_owner_is_eperm(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, owner_then_non_owner);
	spawn(1, owner_then_non_owner);
	finish_loop();
	assert_int_equal(err[0], 0);
	assert_int_equal(err[1], -EPERM);
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[2], -EPERM);
}

static int
reacquirer(void *arg)
{
	(void)arg;
	err[0] = rt_lock_acquire(&lk, RT_FOREVER);
	err[1] = rt_lock_acquire(&lk, 0.01);
	return rt_lock_release(&lk);
}

static void
test_lock_acquire_by_owner_is_edeadlk(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, reacquirer);
	finish_loop();
	assert_int_equal(err[0], 0);
	assert_int_equal(err[1], -EDEADLK);
	assert_int_equal(status[0], 0);
}

static void
test_lock_outside_a_task_is_eperm(void **state)
{
	(void)state;
	setup_loop();
	assert_int_equal(rt_lock_acquire(&lk, RT_FOREVER), -EPERM);
	assert_int_equal(rt_lock_try(&lk), -EPERM);
	assert_false(rt_lock_locked(&lk));
	finish_loop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_wakes_waiters_in_fifo_order),
		cmocka_unit_test(
		    test_lock_release_hands_off_to_waiter_before_it_runs),
		cmocka_unit_test(test_lock_acquire_times_out_and_never_owns_it),
		cmocka_unit_test(
		    test_lock_cancelled_waiter_is_skipped_and_others_proceed),
		cmocka_unit_test(
		    test_lock_handed_off_owner_cancelled_while_ready_keeps_it),
		cmocka_unit_test(test_lock_deadline_scope_times_out_acquire),
		cmocka_unit_test(test_lock_try_takes_only_a_free_lock),
		cmocka_unit_test(test_lock_release_by_non_owner_is_eperm),
		cmocka_unit_test(test_lock_acquire_by_owner_is_edeadlk),
		cmocka_unit_test(test_lock_outside_a_task_is_eperm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
