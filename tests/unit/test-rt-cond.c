/*
 * test-rt-cond.c - runtime/cond.c: notify(n) and notify_all in FIFO order,
 * the lock released while waiting and held again on every return (timeout,
 * cancellation, deadline scope), and a cancellation that arrives during the
 * re-acquire kept for the next wait.
 *
 * The shared harness (records, setup, spawn, finish_loop) is prims-test.h.
 */
#include "config.h"

#include "prims-test.h"

static struct rt_lock	lk;
static struct rt_cond	cv;
/* Per-task: owned the lock when cond_wait returned. */
static int		held[PRIMS_NTASKS];

static void
setup_loop(void)
{
	size_t i;

	prims_setup_loop();
	rt_lock_init(&lk);
	rt_cond_init(&cv, &lk);
	for (i = 0; i < PRIMS_NTASKS; i++)
		held[i] = -1;
}

/* Waits on the condition with timeout (id 1..7 in arg); records the
 * result, whether it held the lock on return, and its turn. */
static int
cond_waiter_timeout(int id, double timeout)
{
	if ((err[id] = rt_lock_acquire(&lk, RT_FOREVER)) != 0)
		return err[id];
	err[id] = rt_cond_wait(&cv, timeout);
	held[id] = lk.owner == tasks[id];
	order[norder++] = id;
	return rt_lock_release(&lk);
}

static int
waiter(void *arg)
{
	return cond_waiter_timeout((int)(intptr_t)arg, RT_FOREVER);
}

/* Notifies 2, lets the loop settle, records how many woke, notifies 2. */
static int
notifier_by_two(void *arg)
{
	int i;

	(void)arg;
	(void)rt_sleep(0);		/* every waiter is in cond_wait */
	(void)rt_lock_acquire(&lk, RT_FOREVER);	/* they released it */
	rt_cond_notify(&cv, 2);
	(void)rt_lock_release(&lk);
	for (i = 0; i < 5; i++)
		(void)rt_sleep(0);
	seen[0] = (int)norder;
	(void)rt_lock_acquire(&lk, RT_FOREVER);
	rt_cond_notify(&cv, 5);		/* more than are left: no harm */
	(void)rt_lock_release(&lk);
	return 0;
}

static void
test_cond_notify_wakes_n_waiters_in_fifo_order(void **state)
{
	int i;

	(void)state;
	setup_loop();
	spawn(0, notifier_by_two);
	for (i = 1; i <= 4; i++)
		spawn(i, waiter);
	finish_loop();
	assert_int_equal(seen[0], 2);
	assert_int_equal(norder, 4);
	for (i = 1; i <= 4; i++) {
		assert_int_equal(order[i - 1], i);
		assert_int_equal(err[i], 0);
		assert_int_equal(held[i], 1);
	}
	assert_false(rt_lock_locked(&lk));
}

static int
notifier_all(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);
	(void)rt_lock_acquire(&lk, RT_FOREVER);
	rt_cond_notify_all(&cv);
	(void)rt_sleep(0);	/* they are woken but queue for our lock */
	seen[0] = (int)norder;
	return rt_lock_release(&lk);
}

static void
test_cond_notify_all_wakes_every_waiter_after_lock_release(void **state)
{
	int i;

	(void)state;
	setup_loop();
	spawn(0, notifier_all);
	for (i = 1; i <= 4; i++)
		spawn(i, waiter);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(norder, 4);
	for (i = 1; i <= 4; i++) {
		assert_int_equal(order[i - 1], i);
		assert_int_equal(err[i], 0);
		assert_int_equal(held[i], 1);
	}
}

static int
waiter_timeout(void *arg)
{
	return cond_waiter_timeout((int)(intptr_t)arg, 0.01);
}

/* Takes the lock while 1 waits and keeps it past 1's timeout. */
static int
lock_hog(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);
	(void)rt_lock_acquire(&lk, RT_FOREVER);
	(void)rt_sleep(0.05);
	seen[0] = (int)norder;	/* 1 must still be waiting for the lock */
	return rt_lock_release(&lk);
}

static void
test_cond_wait_times_out_and_returns_holding_the_lock(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, lock_hog);
	spawn(1, waiter_timeout);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(held[1], 1);
	assert_false(rt_lock_locked(&lk));
}

/* Takes the lock, cancels 1 (waiting on the condition), keeps the lock a
 * while so 1's re-acquire has to wait. */
static int
hog_cancels(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);
	(void)rt_lock_acquire(&lk, RT_FOREVER);
	(void)rt_task_cancel(tasks[1]);
	(void)rt_sleep(0);
	(void)rt_sleep(0);
	seen[0] = (int)norder;
	return rt_lock_release(&lk);
}

static void
test_cond_wait_cancelled_returns_holding_the_lock(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, hog_cancels);
	spawn(1, waiter);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[1], -ECANCELED);
	assert_int_equal(held[1], 1);
	assert_false(rt_lock_locked(&lk));
}

/* Notified, then cancelled while re-acquiring the lock. */
static int
waiter_then_sleeps(void *arg)
{
	int id = (int)(intptr_t)arg;

	(void)rt_lock_acquire(&lk, RT_FOREVER);
	err[id] = rt_cond_wait(&cv, RT_FOREVER);
	held[id] = lk.owner == tasks[id];
	seen[id] = rt_sleep(0);		/* the cancellation lands here */
	return rt_lock_release(&lk);
}

static int
notifier_cancels(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);
	(void)rt_lock_acquire(&lk, RT_FOREVER);
	rt_cond_notify(&cv, 1);
	(void)rt_sleep(0);	/* 1 now waits, shielded, for our lock */
	seen[0] = rt_task_cancel(tasks[1]);
	(void)rt_sleep(0);
	return rt_lock_release(&lk);
}

static void
test_cond_cancel_during_relock_is_delivered_at_next_wait(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, notifier_cancels);
	spawn(1, waiter_then_sleeps);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[1], 0);
	assert_int_equal(held[1], 1);
	assert_int_equal(seen[1], -ECANCELED);
	assert_false(rt_lock_locked(&lk));
}

static int
waiter_in_scope(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct rt_scope sc;

	rt_scope_enter(&sc, 0.01);
	(void)rt_lock_acquire(&lk, RT_FOREVER);
	err[id] = rt_cond_wait(&cv, RT_FOREVER);
	held[id] = lk.owner == tasks[id];
	order[norder++] = id;
	(void)rt_lock_release(&lk);
	seen[id] = rt_scope_exit(&sc);
	return 0;
}

static void
test_cond_deadline_scope_times_out_wait_and_relocks(void **state)
{
	(void)state;
	setup_loop();
	spawn(0, lock_hog);	/* holds the lock past the deadline */
	spawn(1, waiter_in_scope);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(held[1], 1);
	assert_int_equal(seen[1], 1);
}

static int
waiter_without_lock(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_cond_wait(&cv, RT_FOREVER);
	return 0;
}

static int
lock_holder(void *arg)
{
	(void)arg;
	(void)rt_lock_acquire(&lk, RT_FOREVER);
	(void)rt_sleep(0);
	(void)rt_sleep(0);
	return rt_lock_release(&lk);
}

static void
test_cond_wait_without_holding_the_lock_is_eperm(void **state)
{
	(void)state;
	setup_loop();
	assert_int_equal(rt_cond_wait(&cv, RT_FOREVER), -EPERM);
	spawn(0, lock_holder);
	spawn(1, waiter_without_lock);	/* locked, but by 0 */
	finish_loop();
	assert_int_equal(err[1], -EPERM);
	assert_false(rt_lock_locked(&lk));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cond_notify_wakes_n_waiters_in_fifo_order),
		cmocka_unit_test(
		    test_cond_notify_all_wakes_every_waiter_after_lock_release),
		cmocka_unit_test(
		    test_cond_wait_times_out_and_returns_holding_the_lock),
		cmocka_unit_test(
		    test_cond_wait_cancelled_returns_holding_the_lock),
		cmocka_unit_test(
		    test_cond_cancel_during_relock_is_delivered_at_next_wait),
		cmocka_unit_test(
		    test_cond_deadline_scope_times_out_wait_and_relocks),
		cmocka_unit_test(
		    test_cond_wait_without_holding_the_lock_is_eperm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
