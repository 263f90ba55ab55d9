/*
 * group.c - task groups (asyncio's TaskGroup, Trio's nursery).
 *
 * A group owns its children's handles.  Each child carries a done callback
 * (struct rt_task's group_cb); the first child that fails records the error
 * and cancels its siblings.  rt_group_wait returns only when every child has
 * finished: no child outlives its group.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "rt-int.h"

void
rt_group_init(struct rt_group *g)
{
	/* owner stays NULL until rt_group_wait: a child finishing earlier must
	 * not wake the creator out of whatever else it is waiting on. */
	memset(g, 0, sizeof(*g));
}

void
rt_group_cancel(struct rt_group *g)
{
	struct rt_task *t;

	g->cancelled = 1;
	for (t = g->children; t != NULL; t = t->group_next)
		(void)rt_task_cancel(t);
}

static void
rt__child_done_cb(struct rt_cb *cb, void *source)
{
	struct rt_task *t = source;
	struct rt_group *g = t->group;

	(void)cb;
	g->live--;
	if (t->status < 0 && t->status != -ECANCELED && g->error == 0) {
		g->error = t->status;
		rt_group_cancel(g);
	}
	if (g->live == 0 && g->owner != NULL)
		(void)rt__wake(g->owner, 0);
}

int
rt_group_spawn(struct rt_group *g, const char *name, rt_task_fn fn, void *arg)
{
	struct rt_task *t;
	int err;

	if (g->error != 0 || g->cancelled)
		return -ECANCELED;
	if ((err = rt_task_spawn(&t, name, fn, arg)) != 0)
		return err;
	t->group = g;
	t->group_next = g->children;
	g->children = t;
	g->live++;
	t->group_cb.fn = rt__child_done_cb;
	t->group_cb.arg = NULL;	/* spawn leaves it unset; unused */
	rt_task_add_done_cb(t, &t->group_cb);
	return 0;
}

int
rt_group_wait(struct rt_group *g)
{
	struct rt_task *t;
	unsigned flags = 0;
	int err = 0, e;

	g->owner = rt__loop->current;
	if (g->owner == NULL)
		return -EPERM;
	while (g->live > 0) {
		e = rt__wait(NULL, "task group", RT_FOREVER, flags);
		if (e < 0 && err == 0) {
			/* The owner was cancelled (or its scope expired):
			 * cancel the children, then keep waiting, shielded. */
			err = e;
			rt_group_cancel(g);
			flags = RT__WAIT_SHIELD;
		}
	}
	/* Not waiting any more: later wake-ups would hit an unrelated wait. */
	g->owner = NULL;
	while ((t = g->children) != NULL) {
		g->children = t->group_next;
		t->group = NULL;
		rt_task_release(t);
	}
	return err != 0 ? err : g->error;
}
