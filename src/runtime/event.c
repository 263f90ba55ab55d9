/*
 * event.c - asyncio's Event: a flag that tasks wait to see set.
 *
 * rt_event_set wakes every waiter with 0; a woken waiter's wait returns 0
 * even if the event is cleared again before it runs (asyncio's Event.wait
 * returns True then too): what it waited for did happen.  A wait on an
 * event that is already set returns 0 at once without yielding.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "rt-int.h"

void
rt_event_init(struct rt_event *e)
{
	e->set = 0;
	rt__wq_init(&e->waiters);
}

void
rt_event_set(struct rt_event *e)
{
	if (e->set)
		return;
	e->set = 1;
	(void)rt__wq_wake_all(&e->waiters, 0);
}

void
rt_event_clear(struct rt_event *e)
{
	e->set = 0;
}

int
rt_event_is_set(const struct rt_event *e)
{
	return e->set;
}

int
rt_event_wait(struct rt_event *e, double timeout)
{
	if (rt__loop->current == NULL || rt__loop->gen_current != NULL)
		return -EPERM;
	if (e->set)
		return 0;
	return rt__wait(&e->waiters, "event", timeout, 0);
}
