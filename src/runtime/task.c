/*
 * task.c - a task is a C function on its own stack, resumed only by the loop.
 *
 *   READY (in the loop's FIFO) -> RUNNING (one per process) -> WAITING (on at
 *   most one wait queue, maybe with a deadline timer) -> READY ... -> DONE
 *
 * A task suspends only itself (rt__wait in wait.c).  When it suspends, it
 * switches directly to the next ready task if there is one and the loop's
 * budget allows, else back to the loop on the main stack: one switch per
 * hand-over instead of two.
 *
 * Memory: struct rt_task sits at the top of the task's stack, just below the
 * stack's own descriptor, so a spawn takes one stack from the pool and
 * nothing else.  A DONE task's stack is recycled when no handle refers to it
 * any more; if it is unreferenced when it finishes, the stack goes back to
 * the pool right after the final switch leaves it (coro_transfer_exit).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt-int.h"

#if !defined(CORO_ASAN) && !defined(CORO_UCONTEXT)
/* The cache lines of struct rt_task (rt-int.h), where struct coro_ctx is
 * its 24 bytes (no ucontext_t, no ASan fields). */
_Static_assert(offsetof(struct rt_task, scope) == 64, "line 1 is at 64");
_Static_assert(offsetof(struct rt_task, name) == 128, "line 2 is at 128");
_Static_assert(offsetof(struct rt_task, result) == 192, "line 3 is at 192");
#endif

static char spawn_err[320];

const char *
rt_task_spawn_error(void)
{
	return spawn_err;
}

static void
rt__all_unlink(struct rt_task *t)
{
	struct rt__loop *l = rt__loop;

	if (t->all_prev != NULL)
		t->all_prev->all_next = t->all_next;
	else
		l->all_head = t->all_next;
	if (t->all_next != NULL)
		t->all_next->all_prev = t->all_prev;
}

/*
 * Zeroes lines 0 and 1 of t (see struct rt_task).  Not one memset(t, 0,
 * sizeof(*t)): that wrote six cache lines, and gcc -O2 compiles a memset of
 * 128 bytes or more to "rep stosq", whose start-up cost was a third of a
 * spawn (bench/coro, perf).  Fixed 64-byte pieces become vector stores.
 */
static inline void
rt__task_zero(struct rt_task *t)
{
	char *p = (char *)t;
	size_t i, n = offsetof(struct rt_task, name);

	for (i = 0; i + 64 <= n; i += 64)
		memset(p + i, 0, 64);
	memset(p + i, 0, n - i);
}

static void
rt__run_defers(struct rt_task *t)
{
	struct rt__loop *l = rt__loop;
	struct rt__defer *d;

	while ((d = t->defers) != NULL) {
		t->defers = d->next;
		d->fn(d->arg);
		d->next = l->defer_free;
		l->defer_free = d;
	}
}

static void
rt__task_free(struct rt_task *t)
{
	rt__all_unlink(t);
	coro_stack_put(coro_ctx_stack(&t->ctx));
}

/* Entered through coro__entry on the task's fresh stack. */
static void
rt__task_main(void *p)
{
	struct rt_task *t = p;
	struct rt__loop *l = rt__loop;
	struct coro_ctx *to;

	coro_entered(&t->ctx);
	t->status = t->fn(t->arg);
	/* Most tasks have neither defers nor done callbacks: no calls. */
	if (t->defers != NULL)
		rt__run_defers(t);
	t->state = RT_TASK_DONE;
	l->ntasks--;
	/* Callbacks may wake joiners, or release the last reference. */
	if (t->done_cbs != NULL)
		rt__cb_run_all(&t->done_cbs, t);

	/* The final switch, as rt__task_suspend but never coming back. */
	to = rt__next_ctx(l);
	if (t->refs == 0) {
		rt__all_unlink(t);
		coro_transfer_exit(&t->ctx, to, coro_ctx_stack(&t->ctx));
	}
	coro_transfer_exit(&t->ctx, to, NULL);
}

int
rt_task_spawn_opts(struct rt_task **tp, const char *name, rt_task_fn fn,
    void *arg, const struct rt_task_opts *opts)
{
	struct rt__loop *l = rt__loop;
	struct coro_stack *st;
	struct rt_task *t;
	size_t size;

	if (tp != NULL)
		*tp = NULL;
	if (fn == NULL)
		return -EINVAL;
	size = opts != NULL && opts->stack_size != 0 ? opts->stack_size :
	    l->stack_size;
	if ((st = coro_stack_get(size + sizeof(*t))) == NULL) {
		int err = errno == EINVAL ? -EINVAL : -ENOMEM;

		snprintf(spawn_err, sizeof(spawn_err), "cannot spawn task %s: %s",
		    name != NULL ? name : "", coro_stack_error());
		return err;
	}

	/* The task struct takes the top of the stack, aligned down. */
	t = (struct rt_task *)(void *)(((uintptr_t)st->lo + st->size -
	    sizeof(*t)) & ~(uintptr_t)63);
	rt__task_zero(t);
	t->item.kind = RT__ITEM_TASK;
	t->fn = fn;
	t->arg = arg;
	t->refs = tp != NULL;
	t->id = l->next_id++;
	/* Not snprintf: it was 59% of a spawn's instructions (bench/coro). */
	if (name != NULL) {
		size_t len = strnlen(name, sizeof(t->name) - 1);

		memcpy(t->name, name, len);
		t->name[len] = '\0';
	} else
		snprintf(t->name, sizeof(t->name), "task-%llu",
		    (unsigned long long)t->id);
	st->name = t->name;
	coro_ctx_make(&t->ctx, st, (size_t)(st->lo + st->size - (char *)t),
	    rt__task_main, t);

	t->all_next = l->all_head;
	if (l->all_head != NULL)
		l->all_head->all_prev = t;
	l->all_head = t;
	l->ntasks++;

	rt__ready_push(t);
	if (tp != NULL)
		*tp = t;
	return 0;
}

int
rt_task_spawn(struct rt_task **tp, const char *name, rt_task_fn fn, void *arg)
{
	return rt_task_spawn_opts(tp, name, fn, arg, NULL);
}

void
rt_task_release(struct rt_task *t)
{
	if (t == NULL)
		return;
	/* A done callback may drop the last reference while the finishing
	 * task still runs on its stack: rt__task_main frees it after the switch. */
	if (--t->refs == 0 && t->state == RT_TASK_DONE &&
	    t != rt__loop->current)
		rt__task_free(t);
}

struct rt_task *
rt_task_current(void)
{
	return rt__loop->current;
}

int
rt_task_cancel(struct rt_task *t)
{
	if (t->state == RT_TASK_DONE)
		return -EALREADY;
	t->cancelling = 1;
	if (t->state == RT_TASK_WAITING && !t->shielded)
		(void)rt__wake(t, -ECANCELED);
	else if (t->state != RT_TASK_READY || t->wake_status != -ECANCELED)
		t->cancel_pending = 1;
	/* Else an earlier cancel already woke t with -ECANCELED and it has
	 * not run yet: that delivery answers this request too (asyncio's
	 * cancel() likewise raises once), or t's cleanup wait would fail. */
	return 0;
}

int
rt_task_cancelling(const struct rt_task *t)
{
	return t->cancelling && t->state != RT_TASK_DONE;
}

int
rt__task_join(struct rt_task *t, void **result, double timeout,
    unsigned flags)
{
	struct rt_task *self = rt__loop->current;
	int err;

	if (t == self)
		return -EDEADLK;
	if (t->state != RT_TASK_DONE &&
	    (err = rt__wait_cbs(&t->done_cbs, "join", timeout, flags)) != 0)
		return err;
	if (result != NULL)
		*result = rt_task_result(t);
	return t->status;
}

int
rt_task_join(struct rt_task *t, void **result, double timeout)
{
	return rt__task_join(t, result, timeout, 0);
}

void
rt_task_set_result(void *result)
{
	struct rt_task *t = rt__loop->current;

	t->result = result;
	t->has_result = 1;
}

int
rt_task_status(const struct rt_task *t)
{
	return t->status;
}

void *
rt_task_result(const struct rt_task *t)
{
	return t->has_result ? t->result : NULL;
}

enum rt_task_state
rt_task_state(const struct rt_task *t)
{
	return t->state;
}

const char *
rt_task_name(const struct rt_task *t)
{
	return t->has_label ? t->label : t->name;
}

void
rt_task_set_name(struct rt_task *t, const char *name)
{
	size_t len = strnlen(name, sizeof(t->name) - 1);

	memcpy(t->name, name, len);
	t->name[len] = '\0';
}

void
rt_task_set_label(struct rt_task *t, const char *label)
{
	t->label = label;
	t->has_label = label != NULL;
	/* The overflow and fault reports read the stack's name. */
	coro_ctx_stack(&t->ctx)->name = label != NULL ? label : t->name;
}

void
rt_shield_enter(void)
{
	struct rt_task *t = rt__loop->current;

	/* Deeper than the field holds is a runaway recursion: stay
	 * shielded rather than wrap to unshielded. */
	if (t != NULL && t->shield_depth < 0xffff)
		t->shield_depth++;
}

void
rt_shield_exit(void)
{
	struct rt_task *t = rt__loop->current;

	if (t != NULL && t->shield_depth > 0)
		t->shield_depth--;
}

void
rt_fault_hook(void (*fn)(int signo, const char *task))
{
	coro_fault_hook(fn);
}

uint64_t
rt_task_id(const struct rt_task *t)
{
	return t->id;
}

int
rt_task_done(const struct rt_task *t)
{
	return t->state == RT_TASK_DONE;
}

void
rt_task_add_done_cb(struct rt_task *t, struct rt_cb *cb)
{
	rt__cb_add_or_run(&t->done_cbs, t->state == RT_TASK_DONE, cb, t);
}

int
rt_task_defer(void (*fn)(void *), void *arg)
{
	struct rt__loop *l = rt__loop;
	struct rt_task *t = l->current;
	struct rt__defer *d;

	if (t == NULL)
		return -EPERM;
	if ((d = l->defer_free) != NULL)
		l->defer_free = d->next;
	else if ((d = malloc(sizeof(*d))) == NULL)
		return -ENOMEM;
	d->fn = fn;
	d->arg = arg;
	d->next = t->defers;
	t->defers = d;
	return 0;
}

/* ---- introspection -------------------------------------------------------- */

const char *
rt_task_state_name(enum rt_task_state s)
{
	switch (s) {
	case RT_TASK_READY:	return "ready";
	case RT_TASK_RUNNING:	return "running";
	case RT_TASK_WAITING:	return "waiting";
	case RT_TASK_DONE:	return "done";
	}
	return "?";
}

const char *
rt_task_waiting_on(const struct rt_task *t)
{
	return t->state == RT_TASK_WAITING ? t->waiting_on : "";
}

double
rt_task_waiting_since(const struct rt_task *t)
{
	return t->state == RT_TASK_WAITING ? t->wait_since : 0;
}

void
rt_task_foreach(void (*fn)(struct rt_task *t, void *arg), void *arg)
{
	struct rt_task *t, *next;

	for (t = rt__loop->all_head; t != NULL; t = next) {
		next = t->all_next;	/* fn may release t */
		if (t->state != RT_TASK_DONE)
			fn(t, arg);
	}
}

size_t
rt_task_count(void)
{
	return rt__loop->ntasks;
}

static void
rt__dump_one(struct rt_task *t, void *arg)
{
	FILE *fp = arg;

	double since = rt_task_waiting_since(t), now = rt_loop_wall();

	fprintf(fp, "%8llu  %-8s  %-32s  %8.3f  %s%s\n",
	    (unsigned long long)t->id, rt_task_state_name(t->state),
	    rt_task_name(t), since > 0 && now > since ? now - since : 0.,
	    rt_task_waiting_on(t), t->cancelling ? " (cancelling)" : "");
}

void
rt_task_dump(FILE *fp)
{
	fprintf(fp, "%8s  %-8s  %-32s  %8s  %s\n", "id", "state", "name",
	    "waited", "waiting on");
	rt_task_foreach(rt__dump_one, fp);
}
