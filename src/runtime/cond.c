/*
 * cond.c - asyncio's Condition over a caller-owned rt_lock.
 *
 * rt_cond_wait releases the lock, waits on the condition's own queue, then
 * re-acquires the lock whatever ended that wait, so the caller always holds
 * the lock when it returns, as asyncio's Condition.wait guarantees.  The
 * re-acquire is shielded (RT__WAIT_SHIELD): neither a cancellation nor an
 * expired deadline scope may interrupt it, or the caller would return
 * without the lock it must release.  A cancellation that arrives during the
 * re-acquire is not lost: rt_task_cancel leaves it pending for a shielded
 * wait, and the task's next unshielded wait returns -ECANCELED.  The
 * return value is the status of the condition wait itself.
 *
 * A notified waiter is woken with 0 and only then queues for the lock, which
 * the notifier usually still holds; it runs once the notifier releases.  A
 * notification is consumed exactly once: rt__wake wakes a task at most once
 * per wait, so a waiter that timed out or was cancelled is no longer on the
 * queue and cannot swallow a notify meant for another.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "rt-int.h"

void
rt_cond_init(struct rt_cond *c, struct rt_lock *lock)
{
	c->lock = lock;
	rt__wq_init(&c->waiters);
}

/*
 * rt_lock_acquire, shielded and without timeout.  It relies on lock.c's
 * hand-off: a free lock has no waiters, and a waiter whose wait returns 0
 * was made the owner by rt_lock_release.  A shielded wait with no timeout
 * can only be ended by that hand-off; the loop is belt and braces.
 */
static void
rt__cond_relock(struct rt_lock *l, struct rt_task *self)
{
	while (l->owner != self) {
		if (l->owner == NULL) {
			l->owner = self;
			break;
		}
		(void)rt__wait(&l->waiters, "condition relock", RT_FOREVER,
		    RT__WAIT_SHIELD);
	}
}

int
rt_cond_wait(struct rt_cond *c, double timeout)
{
	struct rt_task *self = rt__loop->current;
	int err;

	if (self == NULL || rt__loop->gen_current != NULL)
		return -EPERM;
	if (c->lock->owner != self)
		return -EPERM;
	(void)rt_lock_release(c->lock);	/* cannot fail: we own it */
	err = rt__wait(&c->waiters, "condition", timeout, 0);
	rt__cond_relock(c->lock, self);
	return err;
}

/* asyncio raises if the lock is not held; this API has no error to return,
 * so notifying without the lock is allowed (and racy only in the caller's
 * logic, never in the runtime's). */
void
rt_cond_notify(struct rt_cond *c, size_t n)
{
	while (n-- > 0 && rt__wq_wake_one(&c->waiters, 0) != NULL)
		;
}

void
rt_cond_notify_all(struct rt_cond *c)
{
	(void)rt__wq_wake_all(&c->waiters, 0);
}
