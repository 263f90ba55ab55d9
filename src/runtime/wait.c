/*
 * wait.c - how a task waits: wait queues, deadlines, cancellation, deadline
 * scopes, and sleep.
 *
 * Every blocking call of the runtime ends in rt__wait(): it links the task on
 * at most one wait queue, enters it in the loop's deadline heap (timer.c)
 * for the earliest of the call's timeout and the enclosing scopes'
 * deadlines, and suspends.  Exactly one of three things ends the wait, each
 * through rt__wake(): the primitive (status 0 or its error), the deadline
 * heap (-ETIMEDOUT), or rt_task_cancel (-ECANCELED).  rt__wake undoes the
 * other two, so a task is never woken twice for one wait.
 */
#include "config.h"

#include <errno.h>
#include <math.h>

#include "rt-int.h"

static void
rt__wq_unlink(struct rt_task *t)
{
	struct rt_wq *wq = t->wq;

	if (t->wq_prev != NULL)
		t->wq_prev->wq_next = t->wq_next;
	else
		wq->head = t->wq_next;
	if (t->wq_next != NULL)
		t->wq_next->wq_prev = t->wq_prev;
	else
		wq->tail = t->wq_prev;
	t->wq = NULL;
	t->wq_next = t->wq_prev = NULL;
}

static void
rt__wq_append(struct rt_wq *wq, struct rt_task *t)
{
	t->wq = wq;
	t->wq_next = NULL;
	t->wq_prev = wq->tail;
	if (wq->tail != NULL)
		wq->tail->wq_next = t;
	else
		wq->head = t;
	wq->tail = t;
}

int
rt__wake(struct rt_task *t, int status)
{
	if (t->state != RT_TASK_WAITING)
		return 0;
	if (t->wq != NULL)
		rt__wq_unlink(t);
	if (t->timer_slot != 0)
		rt__timer_del(t);
	rt__task_io_stop(t, rt__loop->ev);
	t->wake_status = status;
	rt__ready_push(t);
	return 1;
}

static double
rt__scope_deadline(const struct rt_task *t)
{
	return t->scope != NULL ? t->scope->deadline : HUGE_VAL;
}

int
rt__wait(struct rt_wq *wq, const char *what, double timeout, unsigned flags)
{
	struct rt__loop *l = rt__loop;
	struct rt_task *t = l->current;
	double now, deadline = HUGE_VAL;

	if (t == NULL || l->gen_current != NULL)
		return -EPERM;
	if (!(flags & RT__WAIT_SHIELD)) {
		if (t->cancel_pending && t->shield_depth == 0) {
			t->cancel_pending = 0;
			return -ECANCELED;
		}
		deadline = rt__scope_deadline(t);
	}
	/* A clock read: skipped for waits without a limit. */
	now = deadline != HUGE_VAL || timeout >= 0 ? rt__now() : 0;
	if (deadline <= now)
		return -ETIMEDOUT;
	if (timeout >= 0 && now + timeout < deadline)
		deadline = now + timeout;

	if (deadline != HUGE_VAL && rt__timer_add(t, deadline) != 0)
		return -ENOMEM;
	if (wq != NULL)
		rt__wq_append(wq, t);
	t->waiting_on = what;
	/* The loop's cached time, no clock read: for rt_task_waiting_since
	 * (the "for how long" of a task list), a line already written. */
	t->wait_since = ev_now(rt__loop->ev);
	/* A shielded section holds cancellation back, not deadlines. */
	t->shielded = (flags & RT__WAIT_SHIELD) != 0 || t->shield_depth > 0;
	t->wake_status = 0;
	t->state = RT_TASK_WAITING;
	rt__task_suspend(t);
	t->shielded = 0;
	return t->wake_status;
}

struct rt_task *
rt__wq_wake_one(struct rt_wq *wq, int status)
{
	struct rt_task *t = wq->head;

	if (t != NULL)
		(void)rt__wake(t, status);
	return t;
}

size_t
rt__wq_wake_all(struct rt_wq *wq, int status)
{
	size_t n = 0;

	while (wq->head != NULL) {
		(void)rt__wake(wq->head, status);
		n++;
	}
	return n;
}

static void
rt__wake_cb(struct rt_cb *cb, void *source)
{
	(void)source;
	(void)rt__wake(cb->arg, 0);
}

int
rt__wait_cbs(struct rt_cb **list, const char *what, double timeout,
    unsigned flags)
{
	struct rt_cb cb = { .fn = rt__wake_cb, .arg = rt__loop->current };
	int err;

	if (cb.arg == NULL)
		return -EPERM;
	rt__cb_add(list, &cb);
	err = rt__wait(NULL, what, timeout, flags);
	rt_cb_remove(&cb);
	return err;
}

void
rt__cb_add_or_run(struct rt_cb **list, int done, struct rt_cb *cb,
    void *source)
{
	if (!done) {
		rt__cb_add(list, cb);
		return;
	}
	cb->next = NULL;
	cb->pprev = NULL;
	cb->fn(cb, source);
}

/* ---- deadline scopes -------------------------------------------------- */

void
rt_scope_enter(struct rt_scope *s, double timeout)
{
	struct rt__loop *l = rt__loop;
	struct rt_task *t = l->current;

	s->deadline = timeout >= 0 ? rt__now() + timeout : HUGE_VAL;
	s->outer = NULL;
	if (t == NULL)
		return;
	/* Store the effective deadline: the earliest of the chain. */
	s->outer = t->scope;
	if (s->outer != NULL && s->outer->deadline < s->deadline)
		s->deadline = s->outer->deadline;
	t->scope = s;
}

int
rt_scope_exit(struct rt_scope *s)
{
	struct rt__loop *l = rt__loop;
	struct rt_task *t = l->current;

	if (t != NULL && t->scope == s)
		t->scope = s->outer;
	return s->deadline != HUGE_VAL && rt__now() >= s->deadline;
}

/* ---- sleep ------------------------------------------------------------- */

int
rt_sleep(double seconds)
{
	struct rt__loop *l = rt__loop;
	struct rt_task *t = l->current;
	int err;

	if (t == NULL || l->gen_current != NULL)
		return -EPERM;
	if (seconds > 0) {
		/* Only a scope can cut the sleep short: no clock read without
		 * one.  rt__wait reads the clock again; a scope deadline within
		 * the nanoseconds between the two reads counts as the sleep's
		 * own, ending it a few ns early as a success. */
		int cut = t->scope != NULL &&
		    rt__scope_deadline(t) < rt__now() + seconds;

		err = rt__wait(NULL, "sleep", seconds, 0);
		/* The sleep's own timer ending it is success. */
		return err == -ETIMEDOUT && !cut ? 0 : err;
	}

	/* sleep(0): to the back of the ready queue, once around. */
	if (t->cancel_pending && t->shield_depth == 0) {
		t->cancel_pending = 0;
		return -ECANCELED;
	}
	if (t->scope != NULL && t->scope->deadline <= rt__now())
		return -ETIMEDOUT;
	/* READY with a stale -ECANCELED would make rt_task_cancel believe a
	 * cancellation is already on its way to us. */
	t->wake_status = 0;
	rt__ready_push(t);
	rt__task_suspend(t);
	if (t->cancel_pending && t->shield_depth == 0) {
		t->cancel_pending = 0;
		return -ECANCELED;
	}
	return 0;
}
