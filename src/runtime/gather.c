/*
 * gather.c - waiting on several tasks at once: gather, wait, wait_for.
 *
 * The waiter hangs one done-callback node on each unfinished task; the
 * nodes live on the waiter's stack (or in one malloc for large sets) and are
 * all unlinked before the call returns, so a task finishing later never
 * touches a dead node.  The waiter itself waits on no queue (rt__wait with
 * wq NULL): the callbacks wake it.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt-int.h"

#define LOCAL_NODES	16

struct waitset {
	struct rt_task	*waiter;
	size_t		 left;		/* tasks not yet done */
	int		 first;		/* wake at the first completion */
};

struct waitnode {
	struct rt_cb	 cb;
	struct waitset	*ws;
};

static void
rt__waitnode_cb(struct rt_cb *cb, void *source)
{
	struct waitnode *wn = (struct waitnode *)(void *)cb;
	struct waitset *ws = wn->ws;

	(void)source;
	ws->left--;
	if (ws->left == 0 || ws->first)
		(void)rt__wake(ws->waiter, 0);
}

/* Hangs a node on every unfinished task; returns how many. */
static size_t
rt__waitset_arm(struct waitset *ws, struct waitnode *nodes,
    struct rt_task **tasks, size_t n)
{
	size_t i;

	ws->left = 0;
	for (i = 0; i < n; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		if (rt_task_done(tasks[i]))
			continue;
		nodes[i].cb.fn = rt__waitnode_cb;
		nodes[i].ws = ws;
		rt__cb_add(&tasks[i]->done_cbs, &nodes[i].cb);
		ws->left++;
	}
	return ws->left;
}

static void
rt__waitset_disarm(struct waitnode *nodes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		rt_cb_remove(&nodes[i].cb);
}

static struct waitnode *
rt__nodes_get(struct waitnode *local, size_t n)
{
	return n <= LOCAL_NODES ? local : malloc(n * sizeof(*local));
}

static void
rt__nodes_put(struct waitnode *nodes, struct waitnode *local)
{
	if (nodes != local)
		free(nodes);
}

int
rt_gather(struct rt_task **tasks, size_t n, double timeout)
{
	struct waitnode local[LOCAL_NODES], *nodes;
	struct waitset ws = { .waiter = rt__loop->current };
	int err = 0;
	size_t i;

	if (ws.waiter == NULL)
		return -EPERM;
	for (i = 0; i < n; i++)
		if (tasks[i] == ws.waiter)
			return -EDEADLK;
	if ((nodes = rt__nodes_get(local, n)) == NULL)
		return -ENOMEM;

	if (rt__waitset_arm(&ws, nodes, tasks, n) > 0)
		err = rt__wait(NULL, "gather", timeout, 0);
	if (err < 0) {
		/* asyncio: a cancelled gather cancels what it gathers, and we
		 * return only once they are done, so none outlives the call
		 * unnoticed. */
		for (i = 0; i < n; i++)
			(void)rt_task_cancel(tasks[i]);
		while (ws.left > 0)
			(void)rt__wait(NULL, "gather (cancelling)", RT_FOREVER,
			    RT__WAIT_SHIELD);
	}
	rt__waitset_disarm(nodes, n);
	rt__nodes_put(nodes, local);
	if (err < 0)
		return err;
	for (i = 0; i < n; i++)
		if (tasks[i]->status < 0)
			return tasks[i]->status;
	return 0;
}

ssize_t
rt_wait(struct rt_task **tasks, size_t n, enum rt_wait_mode mode,
    double timeout)
{
	struct waitnode local[LOCAL_NODES], *nodes;
	struct waitset ws = { .waiter = rt__loop->current };
	struct rt_task *pending_local[LOCAL_NODES], **pending;
	size_t i, ndone = 0, npend = 0;
	double own;
	int err = 0;

	if (ws.waiter == NULL)
		return -EPERM;
	if (mode != RT_ALL_COMPLETED && mode != RT_FIRST_COMPLETED)
		return -EINVAL;
	ws.first = mode == RT_FIRST_COMPLETED;
	if ((nodes = rt__nodes_get(local, n)) == NULL)
		return -ENOMEM;
	pending = n <= LOCAL_NODES ? pending_local :
	    malloc(n * sizeof(*pending));
	if (pending == NULL) {
		rt__nodes_put(nodes, local);
		return -ENOMEM;
	}

	own = timeout >= 0 ? rt_loop_time() + timeout : HUGE_VAL;
	if (rt__waitset_arm(&ws, nodes, tasks, n) > 0 &&
	    !(ws.first && ws.left < n))
		err = rt__wait(NULL, "wait", timeout, 0);
	rt__waitset_disarm(nodes, n);
	rt__nodes_put(nodes, local);

	/*
	 * Only our own timeout is a normal return.  An enclosing deadline
	 * scope's is an error like in every other wait: returning "0 done" at
	 * once, without suspending, would make a caller's wait-until-done loop
	 * spin forever.  Ties count as our own (as in rt_sleep).
	 */
	if (err == -ETIMEDOUT && !(ws.waiter->scope != NULL &&
	    ws.waiter->scope->deadline < own))
		err = 0;
	if (err < 0) {
		if (pending != pending_local)
			free(pending);
		return err;
	}
	/* Stable partition: done first, then pending. */
	for (i = 0; i < n; i++) {
		if (rt_task_done(tasks[i]))
			tasks[ndone++] = tasks[i];
		else
			pending[npend++] = tasks[i];
	}
	memcpy(tasks + ndone, pending, npend * sizeof(*pending));
	if (pending != pending_local)
		free(pending);
	return (ssize_t)ndone;
}

int
rt_wait_for(struct rt_task *t, void **result, double timeout)
{
	int err;

	err = rt__task_join(t, result, timeout, 0);
	if (err != -ETIMEDOUT && err != -ECANCELED)
		return err;
	if (rt_task_done(t) && err == -ETIMEDOUT) {
		/* The scope expired as t finished: its result stands. */
		return rt__task_join(t, result, RT_FOREVER, RT__WAIT_SHIELD);
	}
	/* Timed out or cancelled ourselves: cancel t and wait for it to end,
	 * so that it never outlives the call. */
	(void)rt_task_cancel(t);
	(void)rt__task_join(t, NULL, RT_FOREVER, RT__WAIT_SHIELD);
	return err;
}
