/*
 * future.c - futures: a result or an error, set once, awaited by tasks.
 *
 * Waiting tasks and done callbacks share one list: a waiting task is just a
 * callback node on its own stack that wakes it.  Callbacks run inside the
 * call that completes the future, in registration order.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "rt-int.h"

void
rt_future_init(struct rt_future *f)
{
	memset(f, 0, sizeof(*f));
}

static int
rt__future_complete(struct rt_future *f, void *result, int error)
{
	if (f->done)
		return -EINVAL;
	f->done = 1;
	f->result = result;
	f->error = error;
	rt__cb_run_all(&f->cbs, f);
	return 0;
}

int
rt_future_set_result(struct rt_future *f, void *result)
{
	return rt__future_complete(f, result, 0);
}

int
rt_future_set_error(struct rt_future *f, int error)
{
	return rt__future_complete(f, NULL, error < 0 ? error : -error);
}

int
rt_future_await(struct rt_future *f, void **result, double timeout)
{
	int err;

	if (!f->done && (err = rt__wait_cbs(&f->cbs, "future", timeout, 0)) != 0)
		return err;
	if (result != NULL)
		*result = f->result;
	return f->error;
}

void
rt_future_add_done_cb(struct rt_future *f, struct rt_cb *cb)
{
	rt__cb_add_or_run(&f->cbs, f->done, cb, f);
}

int
rt_future_done(const struct rt_future *f)
{
	return f->done;
}
