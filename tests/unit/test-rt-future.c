/*
 * test-rt-future.c - future.c: a result set from a libev callback or from
 * a task wakes every awaiting task; errors; a future is set once; await's
 * timeout and cancellation leave no stale node behind; done callbacks run
 * in registration order inside the setting call, or at once when added to
 * a done future.
 */
#include "config.h"

#include "rt-test.h"

static int marker1, marker2;

struct awaiter {
	struct rt_future *f;
	double		 timeout;
	int		 err;
	void		*result;
};

static int
await_body(void *arg)
{
	struct awaiter *a = arg;

	a->result = &marker2;		/* must be overwritten on success */
	a->err = rt_future_await(a->f, &a->result, a->timeout);
	return a->err;
}

/* ---- setting ------------------------------------------------------------- */

static struct rt_future *timer_future;

static void
set_from_timer_cb(struct rt_timer *w)
{
	(void)w;
	TCHECK_INT(rt_future_set_result(timer_future, &marker1), 0);
}

static void
test_future_set_from_callback_wakes_all_awaiters(void **state)
{
	struct awaiter a[3];
	struct rt_future f;
	struct rt_timer w;
	size_t i;

	(void)state;
	rt_future_init(&f);
	timer_future = &f;
	for (i = 0; i < 3; i++) {
		a[i] = (struct awaiter){ .f = &f, .timeout = RT_FOREVER, .err = 1 };
		assert_int_equal(rt_task_spawn(NULL, "awaiter", await_body,
		    &a[i]), 0);
	}
	rt_timer_init(&w, set_from_timer_cb, NULL);
	rt_timer_start(&w, 0.01, 0.);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	assert_true(rt_future_done(&f));
	for (i = 0; i < 3; i++) {
		assert_int_equal(a[i].err, 0);
		assert_ptr_equal(a[i].result, &marker1);
	}
}

static int
set_later(void *arg)
{
	TCHECK_INT(rt_sleep(0.01), 0);
	TCHECK_INT(rt_future_set_result(arg, &marker1), 0);
	return 0;
}

static void
test_future_set_from_task(void **state)
{
	struct awaiter a;
	struct rt_future f;

	(void)state;
	rt_future_init(&f);
	a = (struct awaiter){ .f = &f, .timeout = RT_FOREVER, .err = 1 };
	assert_int_equal(rt_task_spawn(NULL, "awaiter", await_body, &a), 0);
	assert_int_equal(rt_task_spawn(NULL, "setter", set_later, &f), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	assert_int_equal(a.err, 0);
	assert_ptr_equal(a.result, &marker1);
}

static const struct {
	int	given, stored;
} error_rows[] = {
	{ -EIO, -EIO },
	{ EIO, -EIO },		/* a positive errno is negated */
	{ -ECONNRESET, -ECONNRESET },
};

static void
test_future_set_error_is_returned_by_await(void **state)
{
	struct awaiter a;
	struct rt_future f;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_rows) / sizeof(error_rows[0]); i++) {
		rt_future_init(&f);
		a = (struct awaiter){ .f = &f, .timeout = RT_FOREVER, .err = 1 };
		assert_int_equal(rt_task_spawn(NULL, "awaiter", await_body, &a),
		    0);
		(void)rt_loop_run();	/* parks, runs dry */
		assert_int_equal(rt_future_set_error(&f, error_rows[i].given), 0);
		(void)rt_loop_run();	/* always 0: nothing to assert */
		assert_int_equal(a.err, error_rows[i].stored);
		assert_int_equal(f.error, error_rows[i].stored);
	}
}

static void
test_future_second_set_is_einval(void **state)
{
	struct rt_future f;
	void *result = NULL;

	(void)state;
	rt_future_init(&f);
	assert_false(rt_future_done(&f));
	assert_int_equal(rt_future_set_result(&f, &marker1), 0);
	assert_int_equal(rt_future_set_result(&f, &marker2), -EINVAL);
	assert_int_equal(rt_future_set_error(&f, -EIO), -EINVAL);
	/* The first value stands; a done future is awaited without a task. */
	assert_int_equal(rt_future_await(&f, &result, 0), 0);
	assert_ptr_equal(result, &marker1);

	rt_future_init(&f);
	assert_int_equal(rt_future_set_error(&f, -EIO), 0);
	assert_int_equal(rt_future_set_result(&f, &marker2), -EINVAL);
	assert_int_equal(rt_future_await(&f, NULL, 0), -EIO);
}

/* ---- awaiting ------------------------------------------------------------ */

static int
await_timeout(void *arg)
{
	struct rt_future *f = arg;
	double t0 = rt_loop_time();

	TCHECK_INT(rt_future_await(f, NULL, 0.02), -ETIMEDOUT);
	TCHECK(rt_loop_time() - t0 >= 0.02);
	/* Our node is gone from the future. */
	TCHECK(f->cbs == NULL);
	return 0;
}

static void
test_future_await_timeout(void **state)
{
	struct rt_future f;

	(void)state;
	rt_future_init(&f);
	assert_int_equal(rt_test_run(await_timeout, &f), 0);
	assert_false(rt_future_done(&f));
	/* Setting it now touches no dead waiter (ASan would say). */
	assert_int_equal(rt_future_set_result(&f, NULL), 0);
}

static int
cancel_awaiter(void *arg)
{
	struct awaiter *a = arg;
	struct rt_task *t;

	TCHECK_INT(rt_task_spawn(&t, "awaiter", await_body, a), 0);
	TCHECK_INT(rt_sleep(0), 0);
	TCHECK(strcmp(rt_task_waiting_on(t), "future") == 0);
	TCHECK_INT(rt_task_cancel(t), 0);
	TCHECK_INT(rt_task_join(t, NULL, RT_FOREVER), -ECANCELED);
	TCHECK(a->f->cbs == NULL);
	rt_task_release(t);
	return 0;
}

static void
test_future_await_cancelled(void **state)
{
	struct rt_future f;
	struct awaiter a;

	(void)state;
	rt_future_init(&f);
	a = (struct awaiter){ .f = &f, .timeout = RT_FOREVER, .err = 1 };
	assert_int_equal(rt_test_run(cancel_awaiter, &a), 0);
	assert_int_equal(a.err, -ECANCELED);
	assert_false(rt_future_done(&f));
	assert_int_equal(rt_future_set_result(&f, NULL), 0);
}

static int
log_task(void *arg)
{
	log_step(*(const char *)arg);
	return 0;
}

static int
await_done_does_not_yield(void *arg)
{
	struct rt_future *f = arg;
	void *result = NULL;

	TCHECK_INT(rt_task_spawn(NULL, "other", log_task, "o"), 0);
	TCHECK_INT(rt_future_await(f, &result, RT_FOREVER), 0);
	TCHECK(result == &marker1);
	log_step('a');			/* before "other" got to run */
	return 0;
}

static void
test_future_await_done_returns_at_once(void **state)
{
	struct rt_future f;

	(void)state;
	log_reset();
	rt_future_init(&f);
	assert_int_equal(rt_future_set_result(&f, &marker1), 0);
	assert_int_equal(rt_test_run(await_done_does_not_yield, &f), 0);
	assert_string_equal(order, "ao");
}

static void
test_future_await_outside_task_is_eperm(void **state)
{
	struct rt_future f;

	(void)state;
	rt_future_init(&f);
	assert_int_equal(rt_future_await(&f, NULL, RT_FOREVER), -EPERM);
	assert_null(f.cbs);
}

/* ---- done callbacks -------------------------------------------------------- */

static void *cb_source;

static void
log_cb(struct rt_cb *cb, void *source)
{
	log_step(*(const char *)cb->arg);
	cb_source = source;
}

static void
test_future_done_callbacks_run_in_registration_order(void **state)
{
	struct rt_cb c1 = { .fn = log_cb, .arg = "1" },
	    c2 = { .fn = log_cb, .arg = "2" }, c3 = { .fn = log_cb, .arg = "3" },
	    c4 = { .fn = log_cb, .arg = "4" }, c5 = { .fn = log_cb, .arg = "5" };
	struct rt_future f;

	(void)state;
	log_reset();
	rt_future_init(&f);
	rt_future_add_done_cb(&f, &c1);
	rt_future_add_done_cb(&f, &c2);
	rt_future_add_done_cb(&f, &c3);
	rt_future_add_done_cb(&f, &c4);
	rt_cb_remove(&c3);
	assert_string_equal(order, "");
	/* Inside the setting call, before it returns. */
	assert_int_equal(rt_future_set_result(&f, NULL), 0);
	assert_string_equal(order, "124");
	assert_ptr_equal(cb_source, &f);
	assert_null(f.cbs);
	/* Already done: at once. */
	rt_future_add_done_cb(&f, &c5);
	assert_string_equal(order, "1245");
}

static struct rt_cb self_removing;

static void
add_more_cb(struct rt_cb *cb, void *source)
{
	/* Adding to a future being completed: it is done, so this runs at
	 * once, from inside the callback. */
	log_step('x');
	rt_future_add_done_cb(source, &self_removing);
	(void)cb;
}

static void
test_future_callback_may_add_callbacks(void **state)
{
	struct rt_cb c = { .fn = add_more_cb };
	struct rt_future f;

	(void)state;
	log_reset();
	self_removing = (struct rt_cb){ .fn = log_cb, .arg = "y" };
	rt_future_init(&f);
	rt_future_add_done_cb(&f, &c);
	assert_int_equal(rt_future_set_result(&f, NULL), 0);
	assert_string_equal(order, "xy");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_future_set_from_callback_wakes_all_awaiters),
		RT_TEST(test_future_set_from_task),
		RT_TEST(test_future_set_error_is_returned_by_await),
		RT_TEST(test_future_second_set_is_einval),
		RT_TEST(test_future_await_timeout),
		RT_TEST(test_future_await_cancelled),
		RT_TEST(test_future_await_done_returns_at_once),
		RT_TEST(test_future_await_outside_task_is_eperm),
		RT_TEST(test_future_done_callbacks_run_in_registration_order),
		RT_TEST(test_future_callback_may_add_callbacks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
