/*
 * test-rt-ratelimit.c - runtime/ratelimit.c: the first message is said,
 * the repeats within the period are counted, the first one after it is
 * said with that count, and the count starts again.  Periods are short
 * and the waits between calls are the monotonic clock's own (the unit
 * under test reads nothing else).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include <asyncd/rt.h>

/* Sleeps until rt_loop_time() has moved past t. */
static void
wait_past(double t)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (rt_loop_time() <= t)
		(void)nanosleep(&ts, NULL);
}

static void
test_ratelimit_says_first_then_counts_repeats(void **state)
{
	struct rt_ratelimit rl = RT_RATELIMIT_INIT(0.2);
	unsigned long held = 99;
	double start = rt_loop_time();
	int i;

	(void)state;
	assert_int_equal(rt_ratelimit(&rl, &held), 1);
	assert_int_equal(held, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(rt_ratelimit(&rl, &held), 0);
	assert_true(rt_loop_time() < start + 0.2);	/* all within it */
	wait_past(start + 0.2);
	assert_int_equal(rt_ratelimit(&rl, &held), 1);
	assert_int_equal(held, 1000);
	/* The count starts again, and so does the period. */
	assert_int_equal(rt_ratelimit(&rl, &held), 0);
	wait_past(rt_loop_time() + 0.2);
	assert_int_equal(rt_ratelimit(&rl, &held), 1);
	assert_int_equal(held, 1);
	wait_past(rt_loop_time() + 0.2);
	assert_int_equal(rt_ratelimit(&rl, &held), 1);
	assert_int_equal(held, 0);
}

static void
test_ratelimit_zero_period_means_the_default(void **state)
{
	struct rt_ratelimit rl = { 0 };
	unsigned long held;

	(void)state;
	assert_int_equal(rt_ratelimit(&rl, &held), 1);
	assert_int_equal(rt_ratelimit(&rl, &held), 0);
	/* Due RT_RATELIMIT_PERIOD from now, not sooner. */
	assert_true(rl.next - rt_loop_time() > RT_RATELIMIT_PERIOD - 1.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_says_first_then_counts_repeats),
		cmocka_unit_test(test_ratelimit_zero_period_means_the_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
