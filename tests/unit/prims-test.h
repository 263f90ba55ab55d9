/*
 * prims-test.h - the harness the synchronisation-primitive tests share
 * (test-rt-lock.c, test-rt-sem.c, test-rt-event.c, test-rt-cond.c and
 * test-rt-queue.c): the per-task record arrays, a fresh loop per test, a
 * spawn() that hands each task its id, and a finish_loop() that runs the
 * loop, checks every task finished and releases it.
 *
 * Tasks record what they saw in the arrays below and the test asserts after
 * rt_loop_run(): a cmocka assertion longjmps, which must not happen from a
 * task's stack.
 *
 * Each test keeps its own primitive (the lock, semaphore, event, condition
 * or queue under test) and any extra observations it needs (held[], got[],
 * inside, ...) because those differ per primitive: its setup_loop() calls
 * prims_setup_loop() and then initialises them.  A test whose primitive must
 * be torn down before the loop closes sets prims_before_close in its
 * setup_loop(); finish_loop() calls it after the tasks are released.
 */
#ifndef ASYNCD_PRIMS_TEST_H
#define ASYNCD_PRIMS_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <asyncd/rt.h>

#define PRIMS_NTASKS	8

/* Task ids in the order they ran, and how many. */
static int __attribute__((unused))	order[16];
static size_t __attribute__((unused))	norder;
/* Per-task results and extra observations, by id. */
static int __attribute__((unused))	err[PRIMS_NTASKS];
static int __attribute__((unused))	seen[PRIMS_NTASKS];
static struct rt_task *tasks[PRIMS_NTASKS];
static int		status[PRIMS_NTASKS];	/* tasks' return values */

/* Called by finish_loop() before rt_loop_close(), if set; reset per test. */
static void		(*prims_before_close)(void);

/*
 * Opens a fresh loop (closing one a failed test left open) and resets the
 * shared records: err[] to 1 ("never set"), seen[] to -1, no tasks.
 */
static void __attribute__((unused))
prims_setup_loop(void)
{
	size_t i;

	rt_loop_close();	/* a failed test leaves its loop open */
	assert_int_equal(rt_loop_init(NULL), 0);
	prims_before_close = NULL;
	norder = 0;
	for (i = 0; i < PRIMS_NTASKS; i++) {
		err[i] = 1;	/* "never set" */
		seen[i] = -1;
		tasks[i] = NULL;
	}
}

/* Spawns fn as tasks[id], with id as its argument. */
static void __attribute__((unused))
spawn(int id, rt_task_fn fn)
{
	assert_int_equal(rt_task_spawn(&tasks[id], "t", fn,
	    (void *)(intptr_t)id), 0);
}

/*
 * Runs the loop until nothing is left, checks every spawned task finished,
 * records its return value in status[] and releases it, then closes the loop
 * (after prims_before_close, if set).  A task still alive then, spawned
 * through spawn() or not (a detached helper), fails the test: rt_loop_close
 * would drop it without a trace.
 */
static void __attribute__((unused))
finish_loop(void)
{
	size_t i;

	(void)rt_loop_run();	/* always 0: nothing to assert */
	for (i = 0; i < PRIMS_NTASKS; i++) {
		if (tasks[i] != NULL) {
			assert_true(rt_task_done(tasks[i]));
			status[i] = rt_task_status(tasks[i]);
			rt_task_release(tasks[i]);
		}
	}
	if (prims_before_close != NULL)
		prims_before_close();
	if (rt_task_count() != 0) {
		print_error("%zu task(s) still alive at the end of the test:\n",
		    rt_task_count());
		rt_task_dump(stderr);
		fail_msg("a task leaked");
	}
	rt_loop_close();
}

#endif /* ASYNCD_PRIMS_TEST_H */
