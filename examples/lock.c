/*
 * lock.c - two tasks take turns holding one lock.
 *
 * The seed's Python (asyncio's documentation example):
 *
 *	async def coro(name, lock):
 *		print('coro {}: waiting for lock'.format(name))
 *		async with lock:
 *			print('coro {}: holding the lock'.format(name))
 *			await asyncio.sleep(1)
 *			print('coro {}: releasing the lock'.format(name))
 *
 *	loop = asyncio.get_event_loop()
 *	lock = asyncio.Lock()
 *	coros = asyncio.gather(coro(1, lock), coro(2, lock))
 *	try:
 *		loop.run_until_complete(coros)
 *	finally:
 *		loop.close()
 *
 * The seed's output starts with coro 2 because Python 3.5's gather() went
 * through a set; asyncd, like today's asyncio, starts the tasks in order, so
 * coro 1 takes the lock first and coro 2 queues behind it.  `async with`
 * releases on every way out of the block: so does this function.
 */
#include <stdio.h>

#include <asyncd/rt.h>
#include "example.h"

struct coro {
	int		 name;
	struct rt_lock	*lock;
};

static int
coro(void *arg)
{
	const struct coro *c = arg;
	int err, rerr;

	printf("coro %d: waiting for lock\n", c->name);
	if ((err = rt_lock_acquire(c->lock, RT_FOREVER)) != 0)
		return err;
	printf("coro %d: holding the lock\n", c->name);
	err = rt_sleep(ex_seconds(1.0));
	printf("coro %d: releasing the lock\n", c->name);
	rerr = rt_lock_release(c->lock);
	return err != 0 ? err : rerr;
}

/* run_until_complete(asyncio.gather(coro(1, lock), coro(2, lock))) */
static int
gather(void *arg)
{
	return rt_gather(arg, 2, RT_FOREVER);
}

int
main(void)
{
	struct rt_lock lock;
	struct coro coros[2] = { { 1, &lock }, { 2, &lock } };
	struct rt_task *tasks[2], *gatherer;
	int i;

	EX_CHECK(rt_loop_init(NULL));
	rt_lock_init(&lock);
	for (i = 0; i < 2; i++)
		EX_CHECK(rt_task_spawn(&tasks[i], "coro", coro, &coros[i]));
	EX_CHECK(rt_task_spawn(&gatherer, "gather", gather, tasks));
	EX_CHECK(rt_loop_run_until(gatherer));
	EX_CHECK(rt_task_status(gatherer));
	rt_task_release(gatherer);
	for (i = 0; i < 2; i++)
		rt_task_release(tasks[i]);
	if (rt_lock_locked(&lock))
		ex_die("rt_lock_locked: still held at the end", -EPROTO,
		    __FILE__, __LINE__);
	rt_loop_close();
	return ex_finish();
}
