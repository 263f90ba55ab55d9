/*
 * lock.c - asyncio's Lock: mutual exclusion between tasks, FIFO-fair.
 *
 * Ownership is handed over, never raced for: rt_lock_release with waiters
 * makes the longest waiter the owner (l->owner = it) before it even runs,
 * and only wakes it.  So a task that calls rt_lock_acquire after a release
 * finds the lock owned and queues behind the waiters (no barging), and
 * owner == NULL implies an empty wait queue.
 *
 * Invariants:
 *   - owner == NULL  =>  waiters is empty.
 *   - A waiter owns the lock iff its rt__wait returned 0.  A waiter that
 *     times out or is cancelled was unlinked by rt__wake before anyone could
 *     hand it the lock, so it never owns it.
 *   - A waiter the lock was handed to and that is then cancelled while READY
 *     (before it runs) still owns the lock: rt_task_cancel only sets
 *     cancel_pending for a task that is not WAITING, so its acquire returns
 *     0 and the cancellation is delivered at its next wait.  Its caller
 *     must release as usual (asyncio has the same window and handles it the
 *     same way: the acquire succeeds, the next await raises).
 *   - A task that finishes while owning the lock leaves it locked: register
 *     rt_task_defer(release) if the task can end early.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "rt-int.h"

void
rt_lock_init(struct rt_lock *l)
{
	l->owner = NULL;
	rt__wq_init(&l->waiters);
}

/*
 * Suspends unless the lock is free.  Returns 0 (the caller owns it),
 * -ETIMEDOUT, -ECANCELED, -EPERM outside a task, or -EDEADLK if the caller
 * already owns it (the lock is not recursive: waiting would hang forever).
 */
int
rt_lock_acquire(struct rt_lock *l, double timeout)
{
	struct rt_task *self = rt__loop->current;

	if (self == NULL || rt__loop->gen_current != NULL)
		return -EPERM;
	if (l->owner == self)
		return -EDEADLK;
	if (l->owner == NULL) {
		l->owner = self;
		return 0;
	}
	/* On 0, rt_lock_release has already made us the owner. */
	return rt__wait(&l->waiters, "lock", timeout, 0);
}

int
rt_lock_try(struct rt_lock *l)
{
	struct rt_task *self = rt__loop->current;

	if (self == NULL)
		return -EPERM;
	if (l->owner != NULL)
		return -EBUSY;
	l->owner = self;
	return 0;
}

int
rt_lock_release(struct rt_lock *l)
{
	if (l->owner == NULL || l->owner != rt__loop->current)
		return -EPERM;
	/* The hand-off: NULL (unlocked) if nobody waits. */
	l->owner = rt__wq_wake_one(&l->waiters, 0);
	return 0;
}

int
rt_lock_locked(const struct rt_lock *l)
{
	return l->owner != NULL;
}
