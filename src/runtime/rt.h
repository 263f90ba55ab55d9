/*
 * rt.h - the asyncd runtime: Python asyncio's programming model in C.
 *
 * One loop per process wraps a libev loop.  A task is a C function running on
 * its own stack; it runs until it waits, and every waiting call suspends only
 * the calling task.  Woken tasks go through a FIFO ready queue that the loop
 * drains before libev polls, so ordering is deterministic and a yield costs
 * no system call.
 *
 * Conventions (libuv's):
 *   - Functions return 0 or a negative errno.  Waits return -ETIMEDOUT when
 *     their timeout or an enclosing deadline scope expires, -ECANCELED when
 *     the task is cancelled.  Byte counts are ssize_t.
 *   - Timeouts are in seconds as a double; RT_FOREVER (a negative value)
 *     means no timeout.  A timeout of 0 still yields once.
 *   - "Suspends" in a comment means the call may switch to other tasks
 *     before it returns; such calls may only be made from a task.
 *   - Every struct says who owns it.  Objects declared by the caller (locks,
 *     queues, futures, groups) are initialised in place and must outlive
 *     every task waiting on them.
 *
 * Cancellation is cooperative and edge-triggered like asyncio's: after
 * rt_task_cancel(t), t's current wait (or its next one, if it is running or
 * ready) returns -ECANCELED once; t decides how to clean up and finish.
 */
#ifndef ASYNCD_RT_H
#define ASYNCD_RT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <ev.h>

#define RT_FOREVER	(-1.0)

struct rt_task;

/* ---- callbacks: intrusive nodes owned by whoever embeds them ---------- */

/*
 * A done-callback node.  The caller owns the storage and fills fn; the
 * object it is added to (a task, a future) links it until the callback has
 * run or rt_cb_remove() takes it back.  fn runs inside the completing call,
 * must not suspend, and may remove or free its own node.
 */
struct rt_cb {
	struct rt_cb	*next, **pprev;	/* private: the list link */
	void		(*fn)(struct rt_cb *cb, void *source);
	void		*arg;
};

void	rt_cb_remove(struct rt_cb *cb);	/* no-op when not linked */

/* ---- the loop ------------------------------------------------------ */

struct rt_loop_opts {
	size_t		stack_size;	/* default task stack; 0 = 64 KiB */
	int		stack_canary;	/* 1: unguarded, canary-checked stacks */
	size_t		stack_pool_max;	/* free stacks kept per size; 0 = 1024 */
};

/*
 * Creates the process's loop over libev's default loop (the only libev loop
 * that handles signals) and installs the stack-overflow reporter.  Returns 0,
 * -EEXIST if a loop exists, -ENOMEM, or the stack configuration's error.
 * opts may be NULL.
 */
int	rt_loop_init(const struct rt_loop_opts *opts);

/* Runs until rt_loop_stop() or until nothing is left to do (no ready task
 * and no active watcher).  Returns 0. */
int	rt_loop_run(void);

/* Runs until task t is done (or the loop is stopped); 0 if t is done,
 * -EAGAIN if the loop stopped first or nothing could make t progress. */
int	rt_loop_run_until(struct rt_task *t);

/* Makes rt_loop_run() return once the current step ends.  From a callback
 * or a task. */
void	rt_loop_stop(void);

/* Frees the loop.  Tasks still alive are abandoned (their stacks freed, no
 * code of theirs runs): cancel and join them first. */
void	rt_loop_close(void);

/* The libev loop, to attach watchers of one's own. */
struct ev_loop *rt_loop_ev(void);

/* The loop's monotonic clock in seconds (libev's ev_now, refreshed at least
 * once per loop iteration). */
double	rt_loop_time(void);

/* Runs fn(arg) from the loop soon, in FIFO order with ready tasks
 * (asyncio's call_soon).  Returns 0 or -ENOMEM. */
int	rt_loop_call_soon(void (*fn)(void *), void *arg);

/* ---- tasks ----------------------------------------------------------- */

/* A task body returns 0 or a negative errno: its result status. */
typedef int (*rt_task_fn)(void *arg);

enum rt_task_state {
	RT_TASK_READY,		/* in the ready queue */
	RT_TASK_RUNNING,	/* the one executing */
	RT_TASK_WAITING,	/* suspended in a wait */
	RT_TASK_DONE		/* finished; status and result are final */
};

struct rt_task_opts {
	size_t		stack_size;	/* 0: the loop's default */
};

/*
 * Spawns a task that will run fn(arg), scheduled after the tasks already
 * ready (asyncio's create_task).  name is copied (truncated to 47 bytes).
 * With tp != NULL the caller receives a reference it must give back with
 * rt_task_release(); with tp == NULL the task is detached.  The task's
 * memory lives at the top of its stack: no malloc.  Returns 0, -ENOMEM
 * (rt_task_spawn_error() then says why, e.g. the mapping cap), or -EINVAL.
 * Callable from anywhere, does not suspend.
 */
int	rt_task_spawn(struct rt_task **tp, const char *name, rt_task_fn fn,
	    void *arg);
int	rt_task_spawn_opts(struct rt_task **tp, const char *name, rt_task_fn fn,
	    void *arg, const struct rt_task_opts *opts);
const char *rt_task_spawn_error(void);

/* Drops a reference; the task's stack is recycled once it is done and
 * unreferenced. */
void	rt_task_release(struct rt_task *t);

/* The running task, or NULL when called from a callback. */
struct rt_task *rt_task_current(void);

/*
 * Suspends until t is done (or the timeout / cancellation); on success
 * returns t's own status (0 or its negative errno) and stores its result
 * pointer (rt_task_set_result) in *result when result is not NULL.
 * Returns -ETIMEDOUT or -ECANCELED for the waiter's own wait; t keeps
 * running then.  -EDEADLK when t is the caller.
 */
int	rt_task_join(struct rt_task *t, void **result, double timeout);

/* Requests cancellation (see the top of this file).  Returns 0, or
 * -EALREADY when t is done.  Never suspends. */
int	rt_task_cancel(struct rt_task *t);

/* 1 if a cancellation of t is pending or was delivered and t has not
 * finished (asyncio's cancelling()). */
int	rt_task_cancelling(const struct rt_task *t);

void	rt_task_set_result(void *result);	/* of the running task */
int	rt_task_status(const struct rt_task *t);	/* valid once done */
void	*rt_task_result(const struct rt_task *t);
enum rt_task_state rt_task_state(const struct rt_task *t);
const char *rt_task_name(const struct rt_task *t);
uint64_t rt_task_id(const struct rt_task *t);
int	rt_task_done(const struct rt_task *t);

/* Adds a done callback: fn(cb, t) runs when t finishes, or at once if it
 * already has.  cb stays owned by the caller. */
void	rt_task_add_done_cb(struct rt_task *t, struct rt_cb *cb);

/*
 * Registers fn(arg) to run when the running task ends, last in first out
 * (lwan's coro_defer): the place to free what a task acquired, so that
 * cancellation cannot leak it.  Returns 0 or -ENOMEM.
 */
int	rt_task_defer(void (*fn)(void *), void *arg);

/* Introspection (asyncio's all_tasks / print_stack / "asyncio ps"). */
const char *rt_task_waiting_on(const struct rt_task *t);  /* "" if not */
void	rt_task_foreach(void (*fn)(struct rt_task *t, void *arg), void *arg);
size_t	rt_task_count(void);
/* One line per live task: id, state, name, what it waits on. */
void	rt_task_dump(FILE *fp);
const char *rt_task_state_name(enum rt_task_state s);

/* ---- sleeping, yielding, deadlines ------------------------------------ */

/* Suspends for at least seconds; rt_sleep(0) lets every other ready task
 * run once first.  0, -ECANCELED or -ETIMEDOUT (from a deadline scope). */
int	rt_sleep(double seconds);

/*
 * A deadline scope (aiohttp's Timeout, asyncio's timeout()): between enter
 * and exit, every wait of the task returns -ETIMEDOUT once the deadline has
 * passed (level-triggered: each later wait fails too).  Scopes nest; the
 * earliest deadline wins.  The struct lives on the task's stack and must be
 * exited in LIFO order.  rt_scope_exit returns 1 if the deadline expired.
 */
struct rt_scope {
	struct rt_scope	*outer;
	double		 deadline;	/* absolute, rt_loop_time() base */
};

void	rt_scope_enter(struct rt_scope *s, double timeout);
int	rt_scope_exit(struct rt_scope *s);

/* ---- gather, wait, wait_for --------------------------------------------- */

/*
 * Suspends until every task in tasks[0..n) is done.  Returns 0 if all
 * succeeded, else the first failure status in array order; each task's
 * status is rt_task_status().  If the waiter is cancelled or times out, the
 * unfinished tasks are cancelled too (asyncio's gather) and -ECANCELED or
 * -ETIMEDOUT is returned once they have finished.
 */
int	rt_gather(struct rt_task **tasks, size_t n, double timeout);

enum rt_wait_mode {
	RT_ALL_COMPLETED,
	RT_FIRST_COMPLETED
};

/*
 * Suspends until all (or the first) of tasks[0..n) are done or the timeout
 * passes, then reorders the array: the done tasks first, the pending ones
 * after, each group in its original order.  Returns the number done (the
 * "done set"), or -ECANCELED.  A timeout is not an error here (asyncio's
 * wait): it returns with a smaller done set.  Pending tasks keep running.
 */
ssize_t	rt_wait(struct rt_task **tasks, size_t n, enum rt_wait_mode mode,
	    double timeout);

/*
 * asyncio's wait_for: joins t with a timeout; on timeout cancels t, waits
 * for it to finish and returns -ETIMEDOUT.  Otherwise returns what
 * rt_task_join would.
 */
int	rt_wait_for(struct rt_task *t, void **result, double timeout);

/* ---- task groups (asyncio's TaskGroup) ----------------------------------- */

/*
 * Owned by the creating task, on its stack or in its struct.  The first
 * child that fails (status < 0, other than -ECANCELED) cancels its siblings;
 * rt_group_wait returns once every child is done.
 */
struct rt_group {
	struct rt_task	*owner;
	size_t		 live;		/* children not yet done */
	int		 error;		/* first failure, 0 if none */
	int		 cancelled;	/* siblings were cancelled */
	struct rt_task	*children;	/* linked through the child tasks */
};

void	rt_group_init(struct rt_group *g);
/* Spawns a child in g; 0, -ENOMEM, or -ECANCELED if g already failed. */
int	rt_group_spawn(struct rt_group *g, const char *name, rt_task_fn fn,
	    void *arg);
/* Suspends until all children are done.  Returns 0, the first child's
 * failure, or -ECANCELED if the owner was cancelled (children cancelled and
 * awaited first).  Releases every child. */
int	rt_group_wait(struct rt_group *g);
/* Cancels every child (asyncio's TaskGroup.cancel()). */
void	rt_group_cancel(struct rt_group *g);

/* ---- futures ------------------------------------------------------------- */

/*
 * A future owned by whoever declared it; set once (result or error) from a
 * callback or a task; awaited by any number of tasks; done callbacks run when
 * it is set (inside the setting call).
 */
struct rt_future {
	int		 done;
	int		 error;		/* 0, or the negative errno set */
	void		*result;
	struct rt_cb	*cbs;		/* done callbacks and waiting tasks */
};

void	rt_future_init(struct rt_future *f);
/* 0, or -EINVAL if already done. */
int	rt_future_set_result(struct rt_future *f, void *result);
int	rt_future_set_error(struct rt_future *f, int error);
/* Suspends until f is done; returns f's error (0 on a result, stored in
 * *result), -ETIMEDOUT or -ECANCELED. */
int	rt_future_await(struct rt_future *f, void **result, double timeout);
void	rt_future_add_done_cb(struct rt_future *f, struct rt_cb *cb);
int	rt_future_done(const struct rt_future *f);

/* ---- generators -------------------------------------------------------- */

/*
 * A generator is a function on its own stack that the caller drives with
 * send() (Python's generator.send): not scheduled by the loop, never runs
 * concurrently with its caller, and may not wait on anything (waits inside a
 * generator return -EPERM).  Owned by its creator: rt_gen_free().
 */
struct rt_gen;

typedef void *(*rt_gen_fn)(struct rt_gen *g, void *arg);

/* Creates a generator that will run fn(g, arg) at the first send.  NULL on
 * ENOMEM.  stack_size 0 = the loop's default. */
struct rt_gen *rt_gen_new(rt_gen_fn fn, void *arg, size_t stack_size);

/*
 * Resumes g with value (the first send's value is ignored, as Python
 * requires it be None) and returns when g yields (0, *out = yielded value) or
 * returns (1, *out = its return value: Python's StopIteration).  -EINVAL if g
 * has finished or is running.
 */
int	rt_gen_send(struct rt_gen *g, void *value, void **out);

/*
 * Inside a generator: hands value to the sender and suspends until the next
 * send.  Returns 0 with the sent value in *sent, or -ECANCELED when the
 * generator is being closed: the body should clean up and return.
 */
int	rt_gen_yield(void *value, void **sent);

/* Closes g (Python's close): a suspended generator is resumed with
 * -ECANCELED from its yield and must return; 0, or -EINVAL if it yielded
 * again instead (it is abandoned then). */
int	rt_gen_close(struct rt_gen *g);
void	rt_gen_free(struct rt_gen *g);	/* closes first if needed */
int	rt_gen_finished(const struct rt_gen *g);

/* ---- synchronisation primitives ------------------------------------------ */

/*
 * Wait queue: the FIFO list of tasks suspended on one object.  Embedded in
 * locks, queues and the like.  Public so that those structs can be declared
 * by callers; its fields are private.
 */
struct rt_wq {
	struct rt_task	*head, *tail;
};

/* FIFO-fair lock: unlock hands the lock to the longest waiter. */
struct rt_lock {
	struct rt_task	*owner;
	struct rt_wq	 waiters;
};
void	rt_lock_init(struct rt_lock *l);
int	rt_lock_acquire(struct rt_lock *l, double timeout);   /* suspends */
int	rt_lock_try(struct rt_lock *l);		/* 0 or -EBUSY */
/* 0, or -EPERM if the caller does not hold it. */
int	rt_lock_release(struct rt_lock *l);
int	rt_lock_locked(const struct rt_lock *l);

struct rt_sem {
	unsigned	 value;
	struct rt_wq	 waiters;
};
void	rt_sem_init(struct rt_sem *s, unsigned value);
int	rt_sem_acquire(struct rt_sem *s, double timeout);     /* suspends */
int	rt_sem_try(struct rt_sem *s);		/* 0 or -EAGAIN */
void	rt_sem_release(struct rt_sem *s);
unsigned rt_sem_value(const struct rt_sem *s);

struct rt_event {
	int		 set;
	struct rt_wq	 waiters;
};
void	rt_event_init(struct rt_event *e);
void	rt_event_set(struct rt_event *e);	/* wakes every waiter */
void	rt_event_clear(struct rt_event *e);
int	rt_event_is_set(const struct rt_event *e);
int	rt_event_wait(struct rt_event *e, double timeout);    /* suspends */

/* Condition over a caller-owned lock (asyncio.Condition(lock)). */
struct rt_cond {
	struct rt_lock	*lock;
	struct rt_wq	 waiters;
};
void	rt_cond_init(struct rt_cond *c, struct rt_lock *lock);
/*
 * With c->lock held: releases it, suspends until notified, re-acquires it
 * (always, even when the wait itself failed: the caller holds the lock when
 * this returns, as in asyncio).  0, -ETIMEDOUT or -ECANCELED.
 */
int	rt_cond_wait(struct rt_cond *c, double timeout);
void	rt_cond_notify(struct rt_cond *c, size_t n);
void	rt_cond_notify_all(struct rt_cond *c);

/*
 * Bounded FIFO queue of pointers.  rt_queue_init allocates the ring (the
 * only allocation); the queue owns it until rt_queue_destroy.
 */
struct rt_queue {
	void		**ring;
	size_t		 cap, head, len;
	struct rt_wq	 getters, putters;
};
int	rt_queue_init(struct rt_queue *q, size_t capacity);	/* 0/-ENOMEM/-EINVAL */
void	rt_queue_destroy(struct rt_queue *q);
int	rt_queue_put(struct rt_queue *q, void *item, double timeout); /* suspends */
int	rt_queue_get(struct rt_queue *q, void **item, double timeout); /* suspends */
int	rt_queue_put_nowait(struct rt_queue *q, void *item);	/* -EAGAIN if full */
int	rt_queue_get_nowait(struct rt_queue *q, void **item);	/* -EAGAIN if empty */
size_t	rt_queue_len(const struct rt_queue *q);

#endif /* ASYNCD_RT_H */
