/*
 * rt-int.h - the runtime's internals, shared by the files of src/runtime/
 * and nothing else (libuv's internal.h).
 *
 * The whole scheduler state is one struct rt__loop per process.  Tasks,
 * call_soon callbacks and nothing else go through its ready queue, a FIFO of
 * struct rt__item; a task is runnable iff it is in that queue.
 */
/*
 * Names in this layer (STYLE.md §2): rt_noun_verb for what <asyncd/rt.h>
 * exports, rt__noun_verb for every other function, shared between files or
 * static to one (rt__timer_add, rt__accept_cb), so that a backtrace, a perf
 * report or a grep tells the layer, and whether a function is API, at a
 * glance.  Functions return 0 or a negative errno.
 */
#ifndef ASYNCD_RT_INT_H
#define ASYNCD_RT_INT_H

#include <ev.h>
#include <time.h>

#include "coro.h"
#include <asyncd/rt.h>

/*
 * How many ready items (tasks and call_soon callbacks) may run before libev
 * is polled (without blocking) for I/O and timers.  Two tasks ping-ponging
 * with rt_sleep(0) would otherwise starve the network; a poll costs one
 * system call (~1 us here), so 1024 keeps it under 1 ns per yield.
 */
#define RT__BUDGET	1024

enum rt__item_kind {
	RT__ITEM_TASK,
	RT__ITEM_SOON
};

/* A ready-queue entry; first member of struct rt_task and struct rt__soon. */
struct rt__item {
	struct rt__item		*next;
	enum rt__item_kind	 kind;
};

struct rt__soon {
	struct rt__item		 item;
	void			(*fn)(void *);
	void			*arg;
};

struct rt__defer {
	struct rt__defer	*next;
	void			(*fn)(void *);
	void			*arg;
};

/* Flags for rt__wait. */
#define RT__WAIT_SHIELD	0x1	/* neither cancellation nor deadline scopes
				   interrupt it (cleanup waits) */

/*
 * A task.  Lives at the top of its own stack (stack.c puts the stack's
 * descriptor above it), owned by the loop while not DONE and by the
 * references (refs) after; freed when both are gone.
 *
 * Field order is for the cache (the struct is 64-byte aligned, lines
 * marked).  With thousands of tasks, each one's lines are cold when it is
 * spawned, woken or finished, so what matters is how many distinct lines
 * those touch:
 *
 *   spawn    writes lines 0-2 (0 and 1 zeroed whole)
 *   switch   line 0
 *   wake     lines 0 and 1 (plus wq_next/wq_prev if it was on a queue)
 *   exit     lines 0 and 1
 *
 * Fields that need a value at spawn but are rarely used sit behind a flag
 * of line 1 instead of being set at spawn: result (has_result), label
 * (has_label), the fd watcher (io_active), group (only read for tasks a
 * group spawned), and
 * waiting_on (only read while WAITING).  Everything after line 2 is set
 * before its first read by whoever uses it.  bench/coro spawn_ns went from
 * 76 to 55 ns when a spawn stopped clearing all 344 bytes with "rep stosq";
 * this layout, with the one-line first frame (coro.c), took it from 13 to
 * 10 cache misses per spawn (cachegrind, 512 KiB last level).
 */
struct rt_task {
	/* Line 0: scheduling. */
	struct rt__item		 item;		/* must be first */
	struct coro_ctx		 ctx;		/* on our own stack */
	rt_task_fn		 fn;
	void			*arg;
	enum rt_task_state	 state;
	int			 wake_status;	/* what the current wait returns */

	/* Line 1: waiting, cancellation and the end of the task. */
	struct rt_scope		*scope;		/* innermost deadline scope */
	struct rt_wq		*wq;		/* the queue we are linked on */
	struct rt__defer	*defers;
	struct rt_cb		*done_cbs;
	struct rt_task		*all_next;	/* the loop's list of all */
	struct rt_task		*all_prev;	/*   live tasks */
	uint32_t		 timer_slot;	/* 1-based; 0: no deadline */
	int			 status;	/* return value, once DONE */
	int			 refs;		/* handles held by callers */
	unsigned		 shielded:1;		/* the current wait has
							   RT__WAIT_SHIELD */
	unsigned		 cancel_pending:1;	/* deliver at next wait */
	unsigned		 cancelling:1;		/* cancel() was called */
	unsigned		 has_result:1;		/* result is set */
	unsigned		 io_active:1;		/* io is started */
	unsigned		 has_label:1;		/* label is set */
	unsigned		 shield_depth:16;	/* rt_shield_enter nesting:
							   cancellation held */

	/* Line 2: set by spawn, and by each wait. */
	_Alignas(64) char	 name[40];
	uint64_t		 id;
	const char		*waiting_on;	/* static string; set by rt__wait,
						   meaningful while WAITING */
	double			 wait_since;	/* the loop's wall clock as the
						   wait began: the same */

	/* Set before use. */
	void			*result;	/* if has_result */
	const char		*label;		/* if has_label */
	struct rt_group		*group;		/* if a group spawned it */
	ev_io			 io;		/* rt_fd_wait's watcher, if
						   io_active */
	struct rt_task		*wq_next, *wq_prev;
	void			*wait_data;	/* per-primitive scratch */
	struct rt_task		*group_next;
	struct rt_cb		 group_cb;
};

/* A deadline in the timer heap (timer.c): ties break in arming order. */
struct rt__heap_node {
	double			 at;
	uint64_t		 seq;
	uint32_t		 slot;		/* its entry in the slot table */
};

/* A waiting task's deadline: where its node is in the heap (timer.c). */
struct rt__timer_slot {
	struct rt_task		*task;
	size_t			 idx;		/* heap position; free: next free
						   slot, 1-based (0: none) */
};

struct rt__loop {
	struct ev_loop		*ev;
	struct coro_ctx		 main_ctx;	/* the thread's own stack */
	struct rt_task		*current;	/* NULL on the main context */
	struct rt__item		*ready_head, *ready_tail;
	unsigned		 budget;	/* tasks left before a poll */
	int			 stop;
	struct rt_gen		*gen_current;	/* the innermost generator
						   running; non-NULL: no wait */

	struct rt_task		*all_head;
	size_t			 ntasks;
	uint64_t		 next_id;

	/* Deadlines of waiting tasks (timer.c). */
	struct rt__heap_node	*heap;
	struct rt__timer_slot	*slots;		/* heap_cap of them */
	size_t			 heap_len, heap_cap;
	size_t			 slot_free;	/* 1-based; 0: none */
	uint64_t		 timer_seq;
	ev_timer		 timer;		/* armed for heap[0] */
	double			 timer_at;	/* the deadline it is armed for */

	struct rt__soon		*soon_free;	/* recycled call_soon entries */
	struct rt__defer	*defer_free;
	size_t			 stack_size;
	ev_timer		 stack_trim;	/* coro_stack_pool_trim, every
						   RT_STACK_TRIM_PERIOD s */
};

extern struct rt__loop	*rt__loop;

/*
 * The runtime's clock: CLOCK_MONOTONIC in seconds, read at each call (32 ns
 * here, through the vDSO), as asyncio's loop.time() is.  Not libev's
 * ev_now: that is the wall clock, which steps, and it is cached for a whole
 * loop iteration, so a deadline armed late in a busy iteration (a burst of
 * 10,000 requests takes tens of ms) came out early: rt_sleep(0.5) returned
 * after as little as 417 ms (bench/http delay10000, traced).
 */
static inline double
rt__now(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Stops t's fd watcher if rt_fd_wait started it (io_active): at the wake,
 * after a wait that returned without suspending, and at loop close. */
static inline void
rt__task_io_stop(struct rt_task *t, struct ev_loop *ev)
{
	if (t->io_active) {
		ev_io_stop(ev, &t->io);
		t->io_active = 0;
	}
}

/* Appends it to the ready queue.  Inline: every wake and yield does it. */
static inline void
rt__ready_append(struct rt__item *it)
{
	struct rt__loop *l = rt__loop;

	it->next = NULL;
	if (l->ready_tail != NULL)
		l->ready_tail->next = it;
	else
		l->ready_head = it;
	l->ready_tail = it;
}

/* Appends t to the ready queue (state READY). */
static inline void
rt__ready_push(struct rt_task *t)
{
	t->state = RT_TASK_READY;
	rt__ready_append(&t->item);
}

/*
 * Who runs when the running task stops: the next ready task if the budget
 * allows (one switch per hand-over instead of two through the loop), else
 * the loop.  Makes it current (NULL for the loop) and returns its context.
 */
static inline struct coro_ctx *
rt__next_ctx(struct rt__loop *l)
{
	struct rt__item *it = l->ready_head;
	struct rt_task *next;

	if (it != NULL && it->kind == RT__ITEM_TASK && l->budget > 0 &&
	    !l->stop) {
		/* The task after this one has its line 0 read by the next
		 * hand-over: with a wave of woken tasks, each is cold. */
		if ((l->ready_head = it->next) == NULL)
			l->ready_tail = NULL;
		else
			__builtin_prefetch(it->next, 1);
		l->budget--;
		next = (struct rt_task *)(void *)it;
		next->state = RT_TASK_RUNNING;
		l->current = next;
		return &next->ctx;
	}
	l->current = NULL;
	return &l->main_ctx;
}

/*
 * Switches away from the running task self (to the next ready task or the
 * loop); returns when self is resumed, by whoever set l->current and our
 * state.  Its state is already set.  Inline: it is most of a yield.
 */
static inline void
rt__task_suspend(struct rt_task *self)
{
	struct coro_ctx *to = rt__next_ctx(rt__loop);

	if (to != &self->ctx)	/* sleep(0) alone: nothing to switch */
		coro_transfer(&self->ctx, to);
}

/*
 * Suspends the running task on wq (may be NULL: someone holds a pointer to
 * the task and will wake it), for at most timeout seconds (RT_FOREVER: no
 * limit) and the enclosing deadline scopes.  what is a static string shown
 * by rt_task_dump.  Returns the status given to rt__wake, -ETIMEDOUT, or
 * -ECANCELED; -EPERM outside a task or inside a generator.  A pending
 * cancellation or an expired scope returns at once without suspending.
 */
int	rt__wait(struct rt_wq *wq, const char *what, double timeout,
	    unsigned flags);

/* Wakes t if it is WAITING: unlinks it from its wait queue, stops its
 * timer, makes its wait return status.  Returns 1 if woken, else 0. */
int	rt__wake(struct rt_task *t, int status);

/* The head of wq without removing it, or NULL. */
static inline struct rt_task *
rt__wq_first(const struct rt_wq *wq)
{
	return wq->head;
}

/* Wakes the longest waiter of wq with status; returns it or NULL. */
struct rt_task *rt__wq_wake_one(struct rt_wq *wq, int status);
/* Wakes every waiter; returns how many. */
size_t	rt__wq_wake_all(struct rt_wq *wq, int status);
static inline int
rt__wq_empty(const struct rt_wq *wq)
{
	return wq->head == NULL;
}
static inline void
rt__wq_init(struct rt_wq *wq)
{
	wq->head = wq->tail = NULL;
}

/* rt_task_join with rt__wait flags (a shielded join for cleanup). */
int	rt__task_join(struct rt_task *t, void **result, double timeout,
	    unsigned flags);

/* The deadline heap (timer.c): add returns 0 or -ENOMEM; del is a no-op
 * for a task not in the heap. */
void	rt__timer_init(struct rt__loop *l);
int	rt__timer_add(struct rt_task *t, double deadline);
void	rt__timer_del(struct rt_task *t);
void	rt__timer_close(struct rt__loop *l);


/* A bare libev timer in the public structs' storage (watcher.c): start
 * counts from now and re-arms an active one. */
void	rt__ev_timer_init(struct rt__ev_timer *st,
	    void (*cb)(struct ev_loop *, ev_timer *, int));
void	rt__ev_timer_start(struct rt__ev_timer *st, double after,
	    double repeat);
void	rt__ev_timer_stop(struct rt__ev_timer *st);
int	rt__ev_timer_active(const struct rt__ev_timer *st);

/* Detaches the resolver threads from the loop being closed. */
void	rt__resolve_close(void);
/* Resolver jobs still out (queued or resolving); for tests. */
size_t	rt__resolve_out(void);

/*
 * Suspends the running task until the callback list *list runs (a future
 * set, a task done), or the timeout or a cancellation: rt__wait's statuses.
 * Its node lives on the waiter's stack and is unlinked before returning.
 */
int	rt__wait_cbs(struct rt_cb **list, const char *what, double timeout,
	    unsigned flags);
/* Adds cb to *list, or runs it at once with source if done already. */
void	rt__cb_add_or_run(struct rt_cb **list, int done, struct rt_cb *cb,
	    void *source);

/* Runs the list of callbacks *head, emptying it; source is passed on. */
void	rt__cb_run_all(struct rt_cb **head, void *source);
void	rt__cb_add(struct rt_cb **head, struct rt_cb *cb);

#endif /* ASYNCD_RT_INT_H */
