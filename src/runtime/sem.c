/*
 * sem.c - asyncio's Semaphore: a counter of units that tasks take and give
 * back, FIFO-fair.
 *
 * A release with waiters does not increment the value: it hands the unit
 * straight to the longest waiter and wakes it.  A task that acquires in the
 * meantime sees value 0 and queues behind, so no task can barge ahead of one
 * already woken (asyncio needed a _wakeup_scheduled dance for this; handing
 * the unit over makes it structural).
 *
 * Invariants:
 *   - value > 0  =>  waiters is empty.
 *   - A waiter holds a unit iff its rt__wait returned 0.  One that times out
 *     or is cancelled was unlinked by rt__wake, so no release can hand it a
 *     unit.  One that was handed a unit and is cancelled before it runs
 *     still holds the unit (its acquire returns 0; the cancellation comes at
 *     its next wait), as for lock.c.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "rt-int.h"

void
rt_sem_init(struct rt_sem *s, unsigned value)
{
	s->value = value;
	rt__wq_init(&s->waiters);
}

int
rt_sem_acquire(struct rt_sem *s, double timeout)
{
	if (rt__loop->current == NULL || rt__loop->gen_current != NULL)
		return -EPERM;
	if (s->value > 0) {
		s->value--;
		return 0;
	}
	/* On 0, rt_sem_release handed us its unit. */
	return rt__wait(&s->waiters, "semaphore", timeout, 0);
}

int
rt_sem_try(struct rt_sem *s)
{
	if (s->value == 0)
		return -EAGAIN;
	s->value--;
	return 0;
}

void
rt_sem_release(struct rt_sem *s)
{
	if (rt__wq_wake_one(&s->waiters, 0) == NULL)
		s->value++;
}

unsigned
rt_sem_value(const struct rt_sem *s)
{
	return s->value;
}
