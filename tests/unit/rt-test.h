/*
 * rt-test.h - what the runtime's unit tests share: a fresh loop per test,
 * checks that can be made from inside a task, and a leak check.
 *
 * cmocka's assert_*() longjmp()s out of the failing test.  From a task that
 * would jump from the task's stack onto the main one and leave the loop
 * mid-switch, so code running on a task stack uses TCHECK() instead: the
 * first failure is recorded (file, line, expression, values) and the test
 * fails on the main stack, in assert_tasks_ok(), once the loop has returned.
 *
 * rt_test_setup() gives every test its own loop; rt_test_teardown() fails
 * the test if a task is still alive (not done: rt_task_count() counts them),
 * then closes the loop and fails it if a task stack is still handed out (a
 * generator leaked) or a TCHECK failure went unreported.  The live tasks are
 * checked before rt_loop_close(), not through coro_stack_in_use() after it:
 * the close gives every abandoned task's stack back, so a leaked task left
 * no trace there and only generators were caught.
 *
 * Also: an order log (log_step appends one character, log_reset empties
 * it) for tests of who runs when, and a watchdog alarm for a whole run.
 */
#ifndef ASYNCD_RT_TEST_H
#define ASYNCD_RT_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "coro.h"
#include <asyncd/rt.h>

static char rt_test_failure[512];

static void __attribute__((unused, format(printf, 3, 4)))
rt_test_failf(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (rt_test_failure[0] != '\0')
		return;		/* the first failure is the interesting one */
	n = snprintf(rt_test_failure, sizeof(rt_test_failure), "%s:%d: ",
	    file, line);
	if (n < 0 || (size_t)n >= sizeof(rt_test_failure))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(rt_test_failure + n, sizeof(rt_test_failure) - (size_t)n,
	    fmt, ap);
	va_end(ap);
}

/* Checks usable on a task or generator stack. */
#define TCHECK(cond) do {						\
	if (!(cond))							\
		rt_test_failf(__FILE__, __LINE__, "%s", #cond);		\
} while (0)

#define TCHECK_INT(a, b) do {						\
	long long a_ = (long long)(a), b_ = (long long)(b);		\
	if (a_ != b_)							\
		rt_test_failf(__FILE__, __LINE__, "%s == %s (%lld != %lld)", \
		    #a, #b, a_, b_);					\
} while (0)

/* Fails the current test with the first TCHECK failure, if any. */
#define assert_tasks_ok() do {						\
	char m_[sizeof(rt_test_failure)];				\
									\
	if (rt_test_failure[0] != '\0') {				\
		memcpy(m_, rt_test_failure, sizeof(m_));		\
		rt_test_failure[0] = '\0';	/* reported once */	\
		fail_msg("in a task: %s", m_);				\
	}								\
} while (0)

static int __attribute__((unused))
rt_test_setup(void **state)
{
	(void)state;
	rt_test_failure[0] = '\0';
	return rt_loop_init(NULL) == 0 ? 0 : -1;
}

/*
 * Tasks still alive on the current loop, each named on stderr (id, state,
 * name, what it waits on).  A test that ends with one has lost track of it:
 * no code of the task will run again, its defers included.
 */
static size_t __attribute__((unused))
rt_test_live_tasks(void)
{
	size_t n = rt_task_count();

	if (n != 0) {
		print_error("%zu task(s) still alive at the end of the test:\n",
		    n);
		rt_task_dump(stderr);
	}
	return n;
}

static int __attribute__((unused))
rt_test_teardown(void **state)
{
	size_t live;

	(void)state;
	live = rt_test_live_tasks();
	rt_loop_close();
	if (live != 0)
		return -1;
	if (coro_stack_in_use() != 0) {
		print_error("%zu task stacks still in use after rt_loop_close\n",
		    coro_stack_in_use());
		return -1;
	}
	if (rt_test_failure[0] != '\0') {
		print_error("unreported task check: %s\n", rt_test_failure);
		return -1;
	}
	return 0;
}

#define RT_TEST(f) cmocka_unit_test_setup_teardown(f, rt_test_setup,	\
	rt_test_teardown)

/*
 * Spawns fn(arg) as task "main", runs the loop until nothing is left, checks
 * the task finished and that no TCHECK failed, and returns its status.
 */
static int __attribute__((unused))
rt_test_run(rt_task_fn fn, void *arg)
{
	struct rt_task *t;
	int status;

	assert_int_equal(rt_task_spawn(&t, "main", fn, arg), 0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	assert_true(rt_task_done(t));
	status = rt_task_status(t);
	rt_task_release(t);
	return status;
}

/* The test's own CLOCK_MONOTONIC seconds, read here, not through the
 * runtime it checks. */
static double __attribute__((unused))
rt_test_mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A body that waits until cancelled (or 10 s) and returns what it got. */
static int __attribute__((unused))
rt_test_park(void *arg)
{
	(void)arg;
	return rt_sleep(10);
}

/* An order log: each step appends one character. */
static char	 order[4096] __attribute__((unused));
static size_t	 norder __attribute__((unused));

static void __attribute__((unused))
log_step(char c)
{
	if (norder < sizeof(order) - 1)
		order[norder++] = c;
	order[norder] = '\0';
}

static void __attribute__((unused))
log_reset(void)
{
	norder = 0;
	order[0] = '\0';
}

/*
 * How much slower than usual this run may be: RT_TEST_TIMEOUT_MULTIPLIER
 * (set for the valgrind run, as libuv's UV_TEST_TIMEOUT_MULTIPLIER is), or
 * 1.  Upper bounds on elapsed time are multiplied by it.
 */
static unsigned __attribute__((unused))
rt_test_scale(void)
{
	const char *m = getenv("RT_TEST_TIMEOUT_MULTIPLIER");
	int k = m != NULL ? atoi(m) : 0;

	return k > 0 ? (unsigned)k : 1;
}

/*
 * A hang must fail the run, not block make check: arms SIGALRM, whose
 * default action ends the process, for the whole program, scaled by
 * rt_test_scale().
 */
static void __attribute__((unused))
rt_test_watchdog(unsigned seconds)
{
	(void)alarm(seconds * rt_test_scale());
}

#endif /* ASYNCD_RT_TEST_H */
