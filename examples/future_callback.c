/*
 * future_callback.c - a task resolves a future; a done callback reads it and
 * stops the loop.
 *
 * The seed's Python ("use future"):
 *
 *	@asyncio.coroutine
 *	def slow_operation(future):
 *		yield from asyncio.sleep(1)
 *		future.set_result('Future is done!')
 *
 *	def got_result(future):
 *		print(future.result())
 *		loop.stop()
 *
 *	loop = asyncio.get_event_loop()
 *	future = asyncio.Future()
 *	asyncio.ensure_future(slow_operation(future))
 *	future.add_done_callback(got_result)
 *	try:
 *		loop.run_forever()
 *	finally:
 *		loop.close()
 *
 * The callback runs inside rt_future_set_result(), on the task's stack, and
 * must not suspend: it only prints and asks the loop to stop.  The task is
 * detached (ensure_future's result is dropped in the seed too).
 */
#include <stdio.h>

#include <asyncd/rt.h>
#include "example.h"

static char	result_text[] = "Future is done!";

static int
slow_operation(void *arg)
{
	struct rt_future *future = arg;
	int err;

	if ((err = rt_sleep(ex_seconds(1.0))) != 0)
		return rt_future_set_error(future, err);
	return rt_future_set_result(future, result_text);
}

static void
got_result_cb(struct rt_cb *cb, void *source)
{
	struct rt_future *future = source;

	(void)cb;
	if (future->error != 0)	/* future.result() would raise */
		fprintf(stderr, "future failed: %s\n",
		    strerror(-future->error));
	else
		printf("%s\n", (const char *)future->result);
	rt_loop_stop();
}

int
main(void)
{
	struct rt_future future;
	struct rt_cb got_result = { .fn = got_result_cb };

	EX_CHECK(rt_loop_init(NULL));
	rt_future_init(&future);
	EX_CHECK(rt_task_spawn(NULL, "slow_operation", slow_operation,
	    &future));
	rt_future_add_done_cb(&future, &got_result);
	EX_CHECK(rt_loop_run());
	rt_loop_close();
	/* run_forever() returns only through loop.stop(): if it returned
	 * otherwise, nothing was left that could resolve the future. */
	if (!rt_future_done(&future))
		ex_die("rt_loop_run: returned before the future was done",
		    -EPROTO, __FILE__, __LINE__);
	EX_CHECK(future.error);
	return ex_finish();
}
