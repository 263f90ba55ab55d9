/*
 * test-rt-gen.c - gen.c: Python's send protocol (the first send primes and
 * gets the first yield), a return value ends it (send returns 1), close
 * delivers -ECANCELED to the suspended yield and the body's cleanup runs,
 * a finished or running generator refuses send, waits inside a generator
 * fail with -EPERM, and generators nest.
 */
#include "config.h"

#include <stdlib.h>

#include "rt-test.h"

#define V(x)	((void *)(intptr_t)(x))
#define I(p)	((intptr_t)(p))

static int	 cleaned;	/* the body's cleanup ran */

/*
 * Python:
 *	def doubler():
 *	    x = yield 'init'
 *	    while x != 0: x = yield x * 2
 *	    return 'end'
 * with 'init' = -1 and 'end' = -2; cleans up when closed.
 */
static void *
doubler(struct rt_gen *g, void *arg)
{
	void *x;

	(void)g;
	(void)arg;
	if (rt_gen_yield(V(-1), &x) != 0)
		goto closed;
	while (I(x) != 0)
		if (rt_gen_yield(V(I(x) * 2), &x) != 0)
			goto closed;
	return V(-2);
closed:
	cleaned = 1;
	return V(-3);
}

static void
drive_doubler(void)
{
	struct rt_gen *g;
	void *out = NULL;

	assert_non_null(g = rt_gen_new(doubler, NULL, 0));
	assert_false(rt_gen_finished(g));
	/* The first send's value is ignored (Python wants None). */
	assert_int_equal(rt_gen_send(g, V(99), &out), 0);
	assert_int_equal(I(out), -1);
	assert_int_equal(rt_gen_send(g, V(3), &out), 0);
	assert_int_equal(I(out), 6);
	assert_int_equal(rt_gen_send(g, V(5), &out), 0);
	assert_int_equal(I(out), 10);
	/* Return: StopIteration with the value. */
	assert_int_equal(rt_gen_send(g, V(0), &out), 1);
	assert_int_equal(I(out), -2);
	assert_true(rt_gen_finished(g));
	assert_int_equal(rt_gen_send(g, V(1), &out), -EINVAL);
	assert_int_equal(rt_gen_close(g), 0);	/* done: nothing to do */
	rt_gen_free(g);
}

static void
test_gen_send_protocol_from_main(void **state)
{
	(void)state;
	drive_doubler();
}

struct gen_run {
	int	steps[4];
	int	rets[4];
};

static int
drive_in_task(void *arg)
{
	struct gen_run *r = arg;
	struct rt_gen *g;
	void *out;
	int i;

	if ((g = rt_gen_new(doubler, NULL, 0)) == NULL)
		return -ENOMEM;
	for (i = 0; i < 4; i++) {
		out = NULL;
		r->rets[i] = rt_gen_send(g, V(i == 3 ? 0 : i + 1), &out);
		r->steps[i] = (int)I(out);
		TCHECK(rt_task_current() != NULL);	/* back in the task */
		TCHECK_INT(rt_sleep(0), 0);	/* the task may still wait */
	}
	rt_gen_free(g);
	return 0;
}

static void
test_gen_send_protocol_from_task(void **state)
{
	struct gen_run r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(rt_test_run(drive_in_task, &r), 0);
	assert_int_equal(r.rets[0], 0);
	assert_int_equal(r.steps[0], -1);
	assert_int_equal(r.rets[1], 0);
	assert_int_equal(r.steps[1], 4);
	assert_int_equal(r.rets[2], 0);
	assert_int_equal(r.steps[2], 6);
	assert_int_equal(r.rets[3], 1);
	assert_int_equal(r.steps[3], -2);
}

static void *
counter(struct rt_gen *g, void *arg)
{
	intptr_t i, n = I(arg);

	(void)g;
	for (i = 0; i < n; i++)
		if (rt_gen_yield(V(i), NULL) != 0)
			return V(-3);
	return V(n);
}

static void
test_gen_iterates_to_its_return_value(void **state)
{
	struct rt_gen *g;
	void *out = NULL;
	intptr_t i;

	(void)state;
	assert_non_null(g = rt_gen_new(counter, V(1000), 0));
	for (i = 0; i < 1000; i++) {
		assert_int_equal(rt_gen_send(g, NULL, &out), 0);
		assert_int_equal(I(out), i);
	}
	assert_int_equal(rt_gen_send(g, NULL, &out), 1);
	assert_int_equal(I(out), 1000);
	rt_gen_free(g);
}

/* ---- close ---------------------------------------------------------------- */

static void
test_gen_close_delivers_ecanceled_and_cleanup_runs(void **state)
{
	struct rt_gen *g;
	void *out;

	(void)state;
	cleaned = 0;
	assert_non_null(g = rt_gen_new(doubler, NULL, 0));
	assert_int_equal(rt_gen_send(g, NULL, &out), 0);
	assert_int_equal(rt_gen_send(g, V(4), &out), 0);
	assert_int_equal(rt_gen_close(g), 0);
	assert_int_equal(cleaned, 1);
	assert_true(rt_gen_finished(g));
	assert_int_equal(rt_gen_send(g, V(1), &out), -EINVAL);
	rt_gen_free(g);
}

static void
test_gen_close_before_first_send_runs_nothing(void **state)
{
	struct rt_gen *g;

	(void)state;
	cleaned = 0;
	assert_non_null(g = rt_gen_new(doubler, NULL, 0));
	assert_int_equal(rt_gen_close(g), 0);
	assert_true(rt_gen_finished(g));
	assert_int_equal(cleaned, 0);
	assert_int_equal(rt_gen_send(g, NULL, NULL), -EINVAL);
	rt_gen_free(g);
}

static void
test_gen_free_closes_suspended_generator(void **state)
{
	struct rt_gen *g;

	(void)state;
	cleaned = 0;
	assert_non_null(g = rt_gen_new(doubler, NULL, 0));
	assert_int_equal(rt_gen_send(g, NULL, NULL), 0);
	assert_int_equal(coro_stack_in_use(), 1);
	rt_gen_free(g);
	assert_int_equal(cleaned, 1);
	assert_int_equal(coro_stack_in_use(), 0);
}

static int stubborn_yields;

static void *
ignores_close(struct rt_gen *g, void *arg)
{
	(void)g;
	(void)arg;
	for (;;) {
		stubborn_yields++;
		(void)rt_gen_yield(NULL, NULL);	/* yields again when closed */
	}
	return NULL;
}

static void
test_gen_close_of_generator_yielding_again_is_einval(void **state)
{
	struct rt_gen *g;

	(void)state;
	stubborn_yields = 0;
	assert_non_null(g = rt_gen_new(ignores_close, NULL, 0));
	assert_int_equal(rt_gen_send(g, NULL, NULL), 0);
	assert_int_equal(rt_gen_close(g), -EINVAL);
	assert_int_equal(stubborn_yields, 2);
	assert_true(rt_gen_finished(g));	/* abandoned */
	rt_gen_free(g);				/* its stack comes back */
	assert_int_equal(coro_stack_in_use(), 0);
}

/* ---- what a generator may not do ----------------------------------------- */

struct forbidden {
	struct rt_gen	*self;
	int		 sleep_err, yield0_err, await_err, join_err, send_err;
	struct rt_task	*task;
};

static void *
tries_to_wait(struct rt_gen *g, void *arg)
{
	struct forbidden *f = arg;
	struct rt_future never;

	(void)g;
	rt_future_init(&never);
	f->sleep_err = rt_sleep(0.01);
	f->yield0_err = rt_sleep(0);
	f->await_err = rt_future_await(&never, NULL, RT_FOREVER);
	f->join_err = f->task != NULL ?
	    rt_task_join(f->task, NULL, RT_FOREVER) : -EPERM;
	f->send_err = rt_gen_send(f->self, NULL, NULL);	/* itself: running */
	return V(7);
}

static int
drive_forbidden(void *arg)
{
	struct forbidden *f = arg;
	void *out = NULL;

	TCHECK_INT(rt_task_spawn(&f->task, "other", rt_test_park, NULL), 0);
	if ((f->self = rt_gen_new(tries_to_wait, f, 0)) == NULL)
		return -ENOMEM;
	/* The driving task is not suspended by its generator's attempts. */
	TCHECK_INT(rt_gen_send(f->self, NULL, &out), 1);
	TCHECK_INT(I(out), 7);
	rt_gen_free(f->self);
	TCHECK_INT(rt_task_cancel(f->task), 0);
	TCHECK_INT(rt_task_join(f->task, NULL, RT_FOREVER), -ECANCELED);
	rt_task_release(f->task);
	return 0;
}

static void
test_gen_waits_inside_generator_are_eperm(void **state)
{
	struct forbidden f;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_int_equal(rt_test_run(drive_forbidden, &f), 0);
	assert_int_equal(f.sleep_err, -EPERM);
	assert_int_equal(f.yield0_err, -EPERM);
	assert_int_equal(f.await_err, -EPERM);
	assert_int_equal(f.join_err, -EPERM);
	assert_int_equal(f.send_err, -EINVAL);
}

static void
test_gen_yield_outside_generator_is_eperm(void **state)
{
	(void)state;
	assert_int_equal(rt_gen_yield(NULL, NULL), -EPERM);
}

/* ---- nesting --------------------------------------------------------------- */

/* Yields 100 + each value of an inner counter(3), then returns 4. */
static void *
outer_gen(struct rt_gen *g, void *arg)
{
	struct rt_gen *inner;
	void *v;
	int r;

	(void)g;
	(void)arg;
	if ((inner = rt_gen_new(counter, V(3), 0)) == NULL)
		return V(-12);
	while ((r = rt_gen_send(inner, NULL, &v)) == 0)
		if (rt_gen_yield(V(100 + I(v)), NULL) != 0)
			break;
	rt_gen_free(inner);
	return r == 1 ? V(I(v) + 1) : V(-3);
}

static void
test_gen_nested_generators_yield_to_their_sender(void **state)
{
	static const intptr_t want[] = { 100, 101, 102 };
	struct rt_gen *g;
	void *out = NULL;
	size_t i;

	(void)state;
	assert_non_null(g = rt_gen_new(outer_gen, NULL, 0));
	for (i = 0; i < 3; i++) {
		assert_int_equal(rt_gen_send(g, NULL, &out), 0);
		assert_int_equal(I(out), want[i]);
	}
	assert_int_equal(rt_gen_send(g, NULL, &out), 1);
	assert_int_equal(I(out), 4);
	rt_gen_free(g);
	assert_int_equal(coro_stack_in_use(), 0);
}

static void
test_gen_close_of_outer_closes_inner(void **state)
{
	struct rt_gen *g;
	void *out = NULL;

	(void)state;
	assert_non_null(g = rt_gen_new(outer_gen, NULL, 0));
	assert_int_equal(rt_gen_send(g, NULL, &out), 0);
	assert_int_equal(coro_stack_in_use(), 2);
	assert_int_equal(rt_gen_close(g), 0);
	/* outer's cleanup freed (and so closed) the suspended inner. */
	assert_int_equal(coro_stack_in_use(), 1);
	rt_gen_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_gen_send_protocol_from_main),
		RT_TEST(test_gen_send_protocol_from_task),
		RT_TEST(test_gen_iterates_to_its_return_value),
		RT_TEST(test_gen_close_delivers_ecanceled_and_cleanup_runs),
		RT_TEST(test_gen_close_before_first_send_runs_nothing),
		RT_TEST(test_gen_free_closes_suspended_generator),
		RT_TEST(test_gen_close_of_generator_yielding_again_is_einval),
		RT_TEST(test_gen_waits_inside_generator_are_eperm),
		RT_TEST(test_gen_yield_outside_generator_is_eperm),
		RT_TEST(test_gen_nested_generators_yield_to_their_sender),
		RT_TEST(test_gen_close_of_outer_closes_inner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
