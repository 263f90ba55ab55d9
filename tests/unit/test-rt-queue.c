/*
 * test-rt-queue.c - runtime/queue.c: bounded FIFO ring, backpressure,
 * hand-off to waiting getters and putters in FIFO order, timeouts,
 * cancellation, deadline scopes, nowait variants and destroy.
 *
 * The shared harness (records, setup, spawn, finish_loop) is prims-test.h.
 */
#include "config.h"

#include "prims-test.h"

#define I(n)	((void *)(intptr_t)(n))

static struct rt_queue	q;
static intptr_t		got[32];	/* items in the order received */
static size_t		ngot;
static int		expired;	/* rt_scope_exit's verdict */

/* finish_loop() runs this once the tasks are released. */
static void
destroy_queue(void)
{
	rt_queue_destroy(&q);
}

static void
setup_loop(size_t cap)
{
	prims_setup_loop();
	assert_int_equal(rt_queue_init(&q, cap), 0);
	prims_before_close = destroy_queue;
	ngot = 0;
	expired = 0;
}

static int
producer(void *arg)
{
	intptr_t n;

	(void)arg;
	for (n = 1; n <= 10; n++) {
		if ((err[0] = rt_queue_put(&q, I(n), RT_FOREVER)) != 0)
			return err[0];
		seen[0] = (int)n;	/* puts completed */
	}
	return 0;
}

static int
consumer(void *arg)
{
	void *it;
	int i;

	(void)arg;
	for (i = 0; i < 10; i++) {
		if ((err[1] = rt_queue_get(&q, &it, RT_FOREVER)) != 0)
			return err[1];
		got[ngot++] = (intptr_t)it;
		if (i % 3 == 0)
			(void)rt_sleep(0);	/* let the queue fill */
	}
	return 0;
}

static void
test_queue_producer_consumer_keeps_fifo_order(void **state)
{
	size_t i;

	(void)state;
	setup_loop(2);
	spawn(0, producer);
	spawn(1, consumer);
	finish_loop();
	assert_int_equal(err[0], 0);
	assert_int_equal(err[1], 0);
	assert_int_equal(ngot, 10);
	for (i = 0; i < 10; i++)
		assert_int_equal(got[i], (intptr_t)i + 1);
}

/* Checks the producer is stuck on a full queue, then drains one item. */
static int
probe_backpressure(void *arg)
{
	void *it;

	(void)arg;
	(void)rt_sleep(0);
	(void)rt_sleep(0);
	seen[1] = seen[0];			/* puts done while full */
	seen[2] = (int)rt_queue_len(&q);
	err[1] = rt_queue_get(&q, &it, RT_FOREVER);
	got[ngot++] = (intptr_t)it;
	seen[3] = (int)rt_queue_len(&q);	/* the putter's item moved in */
	(void)rt_sleep(0);
	(void)rt_sleep(0);
	seen[4] = seen[0];
	while (rt_queue_get_nowait(&q, &it) == 0)
		got[ngot++] = (intptr_t)it;
	return 0;
}

static int
producer_three(void *arg)
{
	intptr_t n;

	(void)arg;
	for (n = 1; n <= 3; n++) {
		if ((err[0] = rt_queue_put(&q, I(n), RT_FOREVER)) != 0)
			return err[0];
		seen[0] = (int)n;
	}
	return 0;
}

static void
test_queue_put_blocks_while_full(void **state)
{
	(void)state;
	setup_loop(2);
	spawn(0, producer_three);
	spawn(1, probe_backpressure);
	finish_loop();
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 2);
	assert_int_equal(err[1], 0);
	assert_int_equal(seen[3], 2);
	assert_int_equal(seen[4], 3);
	assert_int_equal(err[0], 0);
	assert_int_equal(ngot, 3);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[1], 2);
	assert_int_equal(got[2], 3);
}

static int
putter(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_queue_put(&q, I(id * 10), RT_FOREVER);
	order[norder++] = id;
	return 0;
}

/* With 1, 2, 3 queued behind a full queue, gets everything and tries to
 * barge with a put after the first get. */
static int
drainer(void *arg)
{
	void *it;
	int i;

	(void)arg;
	(void)rt_sleep(0);
	for (i = 0; i < 4; i++) {
		if ((err[0] = rt_queue_get(&q, &it, RT_FOREVER)) != 0)
			return err[0];
		got[ngot++] = (intptr_t)it;
		if (i == 0)
			seen[0] = rt_queue_put_nowait(&q, I(99));
	}
	return 0;
}

static void
test_queue_get_hands_slot_to_putters_in_fifo_order(void **state)
{
	(void)state;
	setup_loop(1);
	assert_int_equal(rt_queue_put_nowait(&q, I(5)), 0);
	spawn(0, drainer);
	spawn(1, putter);
	spawn(2, putter);
	spawn(3, putter);
	finish_loop();
	assert_int_equal(seen[0], -EAGAIN);	/* slot went to putter 1 */
	assert_int_equal(ngot, 4);
	assert_int_equal(got[0], 5);
	assert_int_equal(got[1], 10);
	assert_int_equal(got[2], 20);
	assert_int_equal(got[3], 30);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
}

static int
getter(void *arg)
{
	int id = (int)(intptr_t)arg;
	void *it = I(-1);

	err[id] = rt_queue_get(&q, &it, RT_FOREVER);
	seen[id] = (int)(intptr_t)it;
	order[norder++] = id;
	return 0;
}

/* With getters 1, 2, 3 waiting, puts three items then checks the ring. */
static int
feeder(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);
	err[0] = rt_queue_put(&q, I(100), RT_FOREVER);
	(void)rt_queue_put(&q, I(200), RT_FOREVER);
	(void)rt_queue_put(&q, I(300), RT_FOREVER);
	seen[0] = (int)rt_queue_len(&q);	/* handed over, never queued */
	return 0;
}

static void
test_queue_put_hands_items_to_getters_in_fifo_order(void **state)
{
	(void)state;
	setup_loop(4);
	spawn(0, feeder);
	spawn(1, getter);
	spawn(2, getter);
	spawn(3, getter);
	finish_loop();
	assert_int_equal(err[0], 0);
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[1], 0);
	assert_int_equal(seen[1], 100);
	assert_int_equal(seen[2], 200);
	assert_int_equal(seen[3], 300);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
}

static int
getter_timeout(void *arg)
{
	int id = (int)(intptr_t)arg;
	void *it = I(-1);

	err[id] = rt_queue_get(&q, &it, 0.01);
	seen[id] = (int)(intptr_t)it;
	return 0;
}

static int
late_putter(void *arg)
{
	(void)arg;
	(void)rt_sleep(0.05);
	err[0] = rt_queue_put(&q, I(7), RT_FOREVER);
	seen[0] = (int)rt_queue_len(&q);
	return 0;
}

static void
test_queue_get_times_out_and_receives_nothing(void **state)
{
	(void)state;
	setup_loop(2);
	spawn(0, late_putter);
	spawn(1, getter_timeout);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(seen[1], -1);		/* *item untouched */
	assert_int_equal(err[0], 0);
	assert_int_equal(seen[0], 1);		/* queued, not lost */
}

static int
putter_timeout(void *arg)
{
	int id = (int)(intptr_t)arg;

	err[id] = rt_queue_put(&q, I(8), 0.01);
	seen[id] = (int)rt_queue_len(&q);
	return 0;
}

static int
late_getter(void *arg)
{
	void *it;

	(void)arg;
	(void)rt_sleep(0.05);
	err[0] = rt_queue_get(&q, &it, RT_FOREVER);
	got[ngot++] = (intptr_t)it;
	seen[0] = (int)rt_queue_len(&q);
	return 0;
}

static void
test_queue_put_times_out_and_item_is_not_queued(void **state)
{
	(void)state;
	setup_loop(1);
	assert_int_equal(rt_queue_put_nowait(&q, I(4)), 0);
	spawn(0, late_getter);
	spawn(1, putter_timeout);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(seen[1], 1);
	assert_int_equal(err[0], 0);
	assert_int_equal(got[0], 4);
	assert_int_equal(seen[0], 0);		/* 8 never went in */
}

static int
feeder_cancels(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);
	seen[0] = rt_task_cancel(tasks[2]);
	(void)rt_queue_put(&q, I(100), RT_FOREVER);
	(void)rt_queue_put(&q, I(200), RT_FOREVER);
	err[0] = (int)rt_queue_len(&q);
	return 0;
}

static void
test_queue_cancelled_getter_is_skipped_and_others_served(void **state)
{
	(void)state;
	setup_loop(4);
	spawn(0, feeder_cancels);
	spawn(1, getter);
	spawn(2, getter);
	spawn(3, getter);
	finish_loop();
	assert_int_equal(seen[0], 0);
	assert_int_equal(err[0], 0);
	assert_int_equal(err[1], 0);
	assert_int_equal(seen[1], 100);
	assert_int_equal(err[2], -ECANCELED);
	assert_int_equal(seen[2], -1);
	assert_int_equal(err[3], 0);
	assert_int_equal(seen[3], 200);
}

static int
getter_in_scope(void *arg)
{
	int id = (int)(intptr_t)arg;
	struct rt_scope sc;
	void *it = I(-1);

	rt_scope_enter(&sc, 0.01);
	err[id] = rt_queue_get(&q, &it, RT_FOREVER);
	expired = rt_scope_exit(&sc);
	seen[id] = (int)(intptr_t)it;
	return 0;
}

static void
test_queue_deadline_scope_times_out_get(void **state)
{
	(void)state;
	setup_loop(2);
	spawn(0, late_putter);
	spawn(1, getter_in_scope);
	finish_loop();
	assert_int_equal(err[1], -ETIMEDOUT);
	assert_int_equal(expired, 1);
	assert_int_equal(seen[1], -1);
	assert_int_equal(seen[0], 1);
}

static void
test_queue_nowait_variants_wrap_the_ring_in_order(void **state)
{
	void *it;
	intptr_t n, next_out = 1;

	(void)state;
	setup_loop(3);
	assert_int_equal(rt_queue_get_nowait(&q, &it), -EAGAIN);
	/* Push and pop in uneven steps so head wraps several times. */
	for (n = 1; n <= 20; n++) {
		if (rt_queue_put_nowait(&q, I(n)) == -EAGAIN) {
			assert_int_equal(rt_queue_len(&q), 3);
			assert_int_equal(rt_queue_get_nowait(&q, &it), 0);
			assert_int_equal((intptr_t)it, next_out++);
			assert_int_equal(rt_queue_put_nowait(&q, I(n)), 0);
		}
	}
	assert_int_equal(rt_queue_put_nowait(&q, I(21)), -EAGAIN);
	while (rt_queue_get_nowait(&q, &it) == 0)
		assert_int_equal((intptr_t)it, next_out++);
	assert_int_equal(next_out, 21);
	assert_int_equal(rt_queue_len(&q), 0);
	finish_loop();
}

static void
test_queue_init_rejects_zero_capacity(void **state)
{
	struct rt_queue z;

	(void)state;
	assert_int_equal(rt_queue_init(&z, 0), -EINVAL);
	rt_queue_destroy(&z);		/* safe on a failed init */
}

static void
test_queue_waits_outside_a_task_are_eperm(void **state)
{
	void *it;

	(void)state;
	setup_loop(1);
	assert_int_equal(rt_queue_put(&q, I(1), RT_FOREVER), -EPERM);
	assert_int_equal(rt_queue_len(&q), 0);
	assert_int_equal(rt_queue_put_nowait(&q, I(1)), 0);
	assert_int_equal(rt_queue_get(&q, &it, RT_FOREVER), -EPERM);
	assert_int_equal(rt_queue_len(&q), 1);
	finish_loop();
}

static int
destroyer(void *arg)
{
	(void)arg;
	(void)rt_sleep(0);
	rt_queue_destroy(&q);
	err[0] = rt_queue_put_nowait(&q, I(1));
	return 0;
}

static void
test_queue_destroy_wakes_waiters_with_epipe(void **state)
{
	(void)state;
	setup_loop(1);
	spawn(0, destroyer);
	spawn(1, getter);
	spawn(2, getter);
	finish_loop();
	assert_int_equal(err[1], -EPIPE);
	assert_int_equal(err[2], -EPIPE);
	assert_int_equal(seen[1], -1);
	assert_int_equal(err[0], -EPIPE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_producer_consumer_keeps_fifo_order),
		cmocka_unit_test(test_queue_put_blocks_while_full),
		cmocka_unit_test(
		    test_queue_get_hands_slot_to_putters_in_fifo_order),
		cmocka_unit_test(
		    test_queue_put_hands_items_to_getters_in_fifo_order),
		cmocka_unit_test(test_queue_get_times_out_and_receives_nothing),
		cmocka_unit_test(
		    test_queue_put_times_out_and_item_is_not_queued),
		cmocka_unit_test(
		    test_queue_cancelled_getter_is_skipped_and_others_served),
		cmocka_unit_test(test_queue_deadline_scope_times_out_get),
		cmocka_unit_test(
		    test_queue_nowait_variants_wrap_the_ring_in_order),
		cmocka_unit_test(test_queue_init_rejects_zero_capacity),
		cmocka_unit_test(test_queue_waits_outside_a_task_are_eperm),
		cmocka_unit_test(test_queue_destroy_wakes_waiters_with_epipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
