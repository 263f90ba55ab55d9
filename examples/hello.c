/*
 * hello.c - two tasks sleep at the same time: the pair takes 1 s, not 2.
 *
 * The seed's Python (the async/await form of its hello world):
 *
 *	async def hello():
 *		print("Hello world!")
 *		r = await asyncio.sleep(1)
 *		print("Hello again!")
 *
 *	loop = asyncio.get_event_loop()
 *	loop.run_until_complete(asyncio.wait([hello(), hello()]))
 *	loop.close()
 *
 * Both tasks print "Hello world!" and suspend in rt_sleep(); the loop sits in
 * libev until both timers fire, then both print "Hello again!".  The waiter
 * task plays asyncio.wait([...]) and rt_loop_run_until() plays
 * run_until_complete().
 */
#include <stdio.h>

#include <asyncd/rt.h>
#include "example.h"

static int
hello(void *arg)
{
	int err;

	(void)arg;
	printf("Hello world!\n");
	if ((err = rt_sleep(ex_seconds(1.0))) != 0)
		return err;
	printf("Hello again!\n");
	return 0;
}

/* asyncio.wait([hello(), hello()]): returns once both are done. */
static int
wait_both(void *arg)
{
	struct rt_task **hellos = arg;
	ssize_t done;
	int i;

	if ((done = rt_wait(hellos, 2, RT_ALL_COMPLETED, RT_FOREVER)) < 0)
		return (int)done;
	if (done != 2)
		return -EPROTO;
	for (i = 0; i < 2; i++)
		if (rt_task_status(hellos[i]) != 0)
			return rt_task_status(hellos[i]);
	return 0;
}

int
main(void)
{
	struct rt_task *hellos[2], *waiter;
	int i;

	EX_CHECK(rt_loop_init(NULL));
	for (i = 0; i < 2; i++)
		EX_CHECK(rt_task_spawn(&hellos[i], "hello", hello, NULL));
	EX_CHECK(rt_task_spawn(&waiter, "wait", wait_both, hellos));
	EX_CHECK(rt_loop_run_until(waiter));
	EX_CHECK(rt_task_status(waiter));
	rt_task_release(waiter);
	for (i = 0; i < 2; i++)
		rt_task_release(hellos[i]);
	rt_loop_close();
	return ex_finish();
}
