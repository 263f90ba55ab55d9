/*
 * loop.c - the loop: a FIFO ready queue in front of libev.
 *
 * rt_loop_run() alternates two phases on the thread's own stack:
 *
 *   1. Drain the ready queue: resume each task (or run each call_soon
 *      callback) in FIFO order.  A task that suspends hands the CPU straight
 *      to the next ready task (task.c), so a run of yields costs one context
 *      switch each and no system call.  After RT__BUDGET tasks, libev is
 *      polled without blocking so that I/O and timers are never starved.
 *   2. When the queue is empty, block in libev until a watcher fires; its
 *      callback wakes tasks (rt__wake) and we go back to 1.
 *
 * The loop stops on rt_loop_stop(), or when the queue is empty and libev has
 * no active watcher left: nothing could ever make progress again.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt-int.h"

struct rt__loop *rt__loop;

/*
 * libev's allocator.  libev cannot fail softly: when its allocator returns
 * NULL it prints "cannot allocate N bytes, aborting" and aborts, with every
 * connection of the process.  So before giving up, give back what the
 * runtime keeps only for speed (the pooled task stacks: under RLIMIT_AS
 * their address space is what ran out) and try again.  A failure after that
 * is a real one, and libev's abort stands.
 */
static void *
rt__ev_realloc_cb(void *ptr, long size)
{
	void *p;

	if (size == 0) {
		free(ptr);
		return NULL;
	}
	if ((p = realloc(ptr, (size_t)size)) != NULL)
		return p;
	rt_loop_release_memory();
	return realloc(ptr, (size_t)size);
}

void
rt_loop_release_memory(void)
{
	coro_stack_pool_drain();
}

static void
rt__stack_trim_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)w;
	(void)revents;
	coro_stack_pool_trim();
}

int
rt_loop_init(const struct rt_loop_opts *opts)
{
	struct rt__loop *l;
	enum coro_stack_mode mode = CORO_STACK_GUARD;
	size_t pool_min = 1024;
	double trim = RT_STACK_TRIM_PERIOD;
	int err;

	if (rt__loop != NULL)
		return -EEXIST;
	if (opts != NULL) {
		if (opts->stack_canary)
			mode = CORO_STACK_CANARY;
		if (opts->stack_pool_min != 0)
			pool_min = opts->stack_pool_min;
		if (opts->stack_trim_period > 0)
			trim = opts->stack_trim_period;
	}
	/* -EBUSY means stacks were already handed out under a mode chosen by
	 * an earlier loop of this process: keep it unless it differs. */
	err = coro_stack_configure(mode, pool_min);
	if (err == -EBUSY && coro_stack_mode() == mode)
		err = 0;
	if (err != 0)
		return err;
	if ((err = coro_overflow_handler_install()) != 0)
		return err;
	/* A peer that closes early must cost an -EPIPE, never the process. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -ENOMEM;
	ev_set_allocator(rt__ev_realloc_cb);
	/* The default loop: the only one libev lets handle signals. */
	l->ev = ev_default_loop(EVFLAG_AUTO);
	if (l->ev == NULL) {
		free(l);
		return -ENOMEM;
	}
	coro_ctx_init_main(&l->main_ctx);
	rt__timer_init(l);
	/* Unreferenced: the trim alone must not keep rt_loop_run going. */
	ev_timer_init(&l->stack_trim, rt__stack_trim_cb, trim, trim);
	ev_timer_start(l->ev, &l->stack_trim);
	ev_unref(l->ev);
	l->next_id = 1;
	l->stack_size = opts != NULL && opts->stack_size != 0 ?
	    opts->stack_size : CORO_STACK_DEFAULT;
#if defined(CORO_ASAN)
	/* ASan's redzones make every frame several times larger. */
	if (opts == NULL || opts->stack_size == 0)
		l->stack_size *= 4;
#endif
	rt__loop = l;
	return 0;
}

struct ev_loop *
rt_loop_ev(void)
{
	return rt__loop->ev;
}

/* libev's backends by bit (ev.h), those this libev knows. */
static const struct {
	unsigned	 bit;
	const char	*name;
} loop_backends[] = {
	{ EVBACKEND_SELECT, "select" },
	{ EVBACKEND_POLL, "poll" },
	{ EVBACKEND_EPOLL, "epoll" },
	{ EVBACKEND_KQUEUE, "kqueue" },
	{ EVBACKEND_DEVPOLL, "devpoll" },
	{ EVBACKEND_PORT, "port" },
#ifdef EVBACKEND_LINUXAIO
	{ EVBACKEND_LINUXAIO, "linuxaio" },
#endif
#ifdef EVBACKEND_IOURING
	{ EVBACKEND_IOURING, "io_uring" },
#endif
};

/* The names of the backends in set, space-separated, into buf; "none". */
static void
rt__loop_backend_names(unsigned set, char *buf, size_t len)
{
	size_t i, used = 0;
	int n;

	buf[0] = '\0';
	for (i = 0; i < sizeof(loop_backends) / sizeof(loop_backends[0]); i++) {
		if (!(set & loop_backends[i].bit) || used >= len)
			continue;
		n = snprintf(buf + used, len - used, "%s%s",
		    used > 0 ? " " : "", loop_backends[i].name);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0';	/* a whole name or none */
			break;
		}
		used += (size_t)n;
	}
	if (used == 0)
		(void)snprintf(buf, len, "none");
}

void
rt_loop_info(struct rt_loop_info *info)
{
	struct ev_loop *ev;

	memset(info, 0, sizeof(*info));
	info->version_major = ev_version_major();
	info->version_minor = ev_version_minor();
	info->built_major = EV_VERSION_MAJOR;
	info->built_minor = EV_VERSION_MINOR;
	rt__loop_backend_names(ev_supported_backends(), info->supported,
	    sizeof(info->supported));
	/* The backend is the one rt_loop_init's loop gets: asked of that
	 * loop if there is one, else of a default loop made as it makes it
	 * and destroyed at once. */
	if (rt__loop != NULL)
		rt__loop_backend_names(ev_backend(rt__loop->ev), info->backend,
		    sizeof(info->backend));
	else if ((ev = ev_default_loop(EVFLAG_AUTO)) != NULL) {
		rt__loop_backend_names(ev_backend(ev), info->backend,
		    sizeof(info->backend));
		ev_loop_destroy(ev);
	}	/* else none could be made (bad $LIBEV_FLAGS?): "" */
}

double
rt_loop_time(void)
{
	return rt__now();
}

double
rt_loop_wall(void)
{
	return ev_now(rt__loop->ev);
}

void
rt_loop_stop(void)
{
	rt__loop->stop = 1;
}

int
rt_loop_call_soon(void (*fn)(void *), void *arg)
{
	struct rt__loop *l = rt__loop;
	struct rt__soon *s;

	if ((s = l->soon_free) != NULL)
		l->soon_free = (struct rt__soon *)(void *)s->item.next;
	else if ((s = malloc(sizeof(*s))) == NULL)
		return -ENOMEM;
	s->item.kind = RT__ITEM_SOON;
	s->fn = fn;
	s->arg = arg;
	rt__ready_append(&s->item);
	return 0;
}

/*
 * Phase 1: runs ready items until the queue is empty, the budget is spent
 * or someone stopped the loop.  Tasks chain to each other directly (task.c),
 * so control comes back here only when the next item is not a task, the
 * queue is empty, the budget is spent or the loop was stopped.
 */
static void
rt__run_ready(void)
{
	struct rt__loop *l = rt__loop;
	struct rt__item *it;
	struct rt__soon *s;
	struct rt_task *t;

	l->budget = RT__BUDGET;
	while (!l->stop && l->budget > 0 && (it = l->ready_head) != NULL) {
		if ((l->ready_head = it->next) == NULL)
			l->ready_tail = NULL;
		/* Callbacks count too: one that calls rt_loop_call_soon on
		 * itself (a polling idiom) would otherwise keep the queue
		 * non-empty forever and starve I/O and timers. */
		l->budget--;
		if (it->kind == RT__ITEM_SOON) {
			s = (struct rt__soon *)(void *)it;
			s->fn(s->arg);
			/* Not &l->soon_free->item: that is a member access
			 * through NULL when the free list is empty (UBSan). */
			s->item.next = (struct rt__item *)(void *)l->soon_free;
			l->soon_free = s;
			continue;
		}
		t = (struct rt_task *)(void *)it;
		t->state = RT_TASK_RUNNING;
		l->current = t;
		coro_transfer(&l->main_ctx, &t->ctx);
		l->current = NULL;
	}
}

int
rt_loop_run(void)
{
	struct rt__loop *l = rt__loop;

	l->stop = 0;
	/* Time passed outside the loop (setup, an earlier run) must not
	 * shorten watchers' timers armed from libev's cached clocks. */
	ev_now_update(l->ev);
	while (!l->stop) {
		if (l->ready_head != NULL) {
			rt__run_ready();
			if (l->stop)
				break;
			if (l->ready_head != NULL) {
				/* Still busy: let I/O and timers in, without
				 * blocking. */
				ev_run(l->ev, EVRUN_NOWAIT);
				continue;
			}
		}
		/* Nothing ready: block until a watcher fires.  ev_run returns
		 * 0 when no watcher is active, so nothing can wake a task. */
		if (!ev_run(l->ev, EVRUN_ONCE) && l->ready_head == NULL)
			break;
	}
	l->stop = 0;
	return 0;
}

static void
rt__until_done_cb(struct rt_cb *cb, void *source)
{
	(void)cb;
	(void)source;
	rt_loop_stop();
}

int
rt_loop_run_until(struct rt_task *t)
{
	struct rt_cb cb = { .fn = rt__until_done_cb };

	if (rt_task_done(t))
		return 0;
	rt_task_add_done_cb(t, &cb);
	(void)rt_loop_run();
	rt_cb_remove(&cb);
	return rt_task_done(t) ? 0 : -EAGAIN;
}

void
rt_loop_close(void)
{
	struct rt__loop *l = rt__loop;
	struct rt__soon *s;
	struct rt__defer *d;
	struct rt_task *t;

	if (l == NULL)
		return;
	/* First the queue, which links through task structs.  Pending
	 * call_soon entries are dropped with the loop. */
	while (l->ready_head != NULL) {
		struct rt__item *it = l->ready_head;

		l->ready_head = it->next;
		if (it->kind == RT__ITEM_SOON)
			free(it);
	}
	/* The deadline heap before the tasks: rt__timer_close writes to the
	 * task structs it holds, which live on the stacks freed below (an
	 * unpooled stack is unmapped at once). */
	rt__timer_close(l);
	/* Abandoned tasks: no code of theirs runs, their stacks go back. */
	while ((t = l->all_head) != NULL) {
		l->all_head = t->all_next;
		rt__task_io_stop(t, l->ev);
		coro_stack_put(coro_ctx_stack(&t->ctx));
	}
	while ((s = l->soon_free) != NULL) {
		l->soon_free = (struct rt__soon *)(void *)s->item.next;
		free(s);
	}
	while ((d = l->defer_free) != NULL) {
		l->defer_free = d->next;
		free(d);
	}
	rt__resolve_close();
	ev_ref(l->ev);		/* libev: re-ref before stopping it */
	ev_timer_stop(l->ev, &l->stack_trim);
	ev_loop_destroy(l->ev);
	free(l);
	rt__loop = NULL;
	coro_stack_pool_drain();
}

/* ---- callback lists ------------------------------------------------------ */

/*
 * Callback lists are kept newest first, so adding is O(1) (10,000 tasks
 * awaiting one future cost 0.3 s when each add walked to the tail), and
 * rt__cb_run_all reverses the list once to run them in registration order.
 */
void
rt__cb_add(struct rt_cb **head, struct rt_cb *cb)
{
	cb->next = *head;
	if (cb->next != NULL)
		cb->next->pprev = &cb->next;
	cb->pprev = head;
	*head = cb;
}

void
rt_cb_remove(struct rt_cb *cb)
{
	if (cb->pprev == NULL)
		return;
	*cb->pprev = cb->next;
	if (cb->next != NULL)
		cb->next->pprev = cb->pprev;
	cb->next = NULL;
	cb->pprev = NULL;
}

void
rt__cb_run_all(struct rt_cb **head, void *source)
{
	struct rt_cb *cb, *next, *oldest = NULL, **pp;

	/* Oldest first: reverse the list, then relink the back pointers. */
	for (cb = *head; cb != NULL; cb = next) {
		next = cb->next;
		cb->next = oldest;
		oldest = cb;
	}
	*head = oldest;
	for (pp = head; *pp != NULL; pp = &(*pp)->next)
		(*pp)->pprev = pp;
	/* Unlink before calling: fn may free its node or add new ones. */
	while ((cb = *head) != NULL) {
		rt_cb_remove(cb);
		cb->fn(cb, source);
	}
}
