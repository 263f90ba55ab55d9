/*
 * factorial.c - three tasks run in parallel, each sleeping between steps,
 * gathered by a fourth.
 *
 * The seed's Python ("Example: Parallel execution of tasks"):
 *
 *	@asyncio.coroutine
 *	def factorial(name, number):
 *		f = 1
 *		for i in range(2, number+1):
 *			print("Task %s: Compute factorial(%s)..." % (name, i))
 *			yield from asyncio.sleep(1)
 *			f *= i
 *		print("Task %s: factorial(%s) = %s" % (name, number, f))
 *
 *	loop = asyncio.get_event_loop()
 *	tasks = [
 *		asyncio.ensure_future(factorial("A", 2)),
 *		asyncio.ensure_future(factorial("B", 3)),
 *		asyncio.ensure_future(factorial("C", 4))]
 *	print("start..");
 *	loop.run_until_complete(asyncio.gather(*tasks))
 *	loop.close()
 *
 * The seed's output block shows "start..." but its code prints "start..":
 * we print what the code prints.  The lines interleave as asyncio's do: the
 * three tasks' sleeps of one round end at the same instant, and the wakes go
 * through the runtime's FIFO ready queue in the order the sleeps began.
 */
#include <stdio.h>

#include <asyncd/rt.h>
#include "example.h"

struct factorial {
	const char	*name;
	int		 number;
};

static int
factorial(void *arg)
{
	const struct factorial *job = arg;
	long f = 1;
	int err, i;

	for (i = 2; i <= job->number; i++) {
		printf("Task %s: Compute factorial(%d)...\n", job->name, i);
		if ((err = rt_sleep(ex_seconds(1.0))) != 0)
			return err;
		f *= i;
	}
	printf("Task %s: factorial(%d) = %ld\n", job->name, job->number, f);
	return 0;
}

/* run_until_complete(asyncio.gather(*tasks)) */
static int
gather(void *arg)
{
	return rt_gather(arg, 3, RT_FOREVER);
}

int
main(void)
{
	static const struct factorial jobs[3] = {
		{ "A", 2 }, { "B", 3 }, { "C", 4 }
	};
	struct rt_task *tasks[3], *gatherer;
	int i;

	EX_CHECK(rt_loop_init(NULL));
	for (i = 0; i < 3; i++)
		EX_CHECK(rt_task_spawn(&tasks[i], jobs[i].name, factorial,
		    (void *)&jobs[i]));
	printf("start..\n");
	EX_CHECK(rt_task_spawn(&gatherer, "gather", gather, tasks));
	EX_CHECK(rt_loop_run_until(gatherer));
	EX_CHECK(rt_task_status(gatherer));
	rt_task_release(gatherer);
	for (i = 0; i < 3; i++)
		rt_task_release(tasks[i]);
	rt_loop_close();
	return ex_finish();
}
