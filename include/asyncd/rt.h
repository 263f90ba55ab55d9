/*
 * asyncd/rt.h - the asyncd runtime: Python asyncio's programming model in C.
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
#include <sys/socket.h>

#include <asyncd/version.h>

ASYNCD_BEGIN_DECLS

struct addrinfo;	/* <netdb.h>: rt_resolve's result */
struct ev_loop;		/* <ev.h>: only for rt_loop_ev() */

/*
 * Room for one libev watcher inside the runtime's public structs, so that
 * an owner embeds a watcher by value (no allocation per watcher) without
 * <ev.h> becoming part of this API.  Each mirrors the layout of the libev
 * watcher it holds (libev's EV_WATCHER, EV_WATCHER_LIST, EV_WATCHER_TIME
 * with its default EV_COMMON): the runtime checks at build time that the
 * watcher fits, so the sizes below are the ABI's, not libev's.  Private.
 */
struct rt__ev_io	{ int i[3]; void *p[3]; int fd, events; };
struct rt__ev_timer	{ int i[3]; void *p[2]; double at, repeat; };
struct rt__ev_signal	{ int i[3]; void *p[3]; int signum; };
struct rt__ev_child	{ int i[3]; void *p[3]; int flags, pid, rpid, rstatus; };

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

ASYNCD_API void	rt_cb_remove(struct rt_cb *cb);	/* no-op when not linked */

/* ---- the loop ------------------------------------------------------ */

/* How often the loop trims the stack pool to recent demand (coro.h). */
#define RT_STACK_TRIM_PERIOD	10.0

struct rt_loop_opts {
	size_t		stack_size;	/* default task stack; 0 = 64 KiB */
	int		stack_canary;	/* 1: unguarded, canary-checked stacks */
	size_t		stack_pool_min;	/* free stacks kept per size when idle
					   (more after bursts); 0 = 1024 */
	double		stack_trim_period; /* seconds between trims of the
					   pool; 0 = RT_STACK_TRIM_PERIOD */
};

/*
 * Creates the process's loop over libev's default loop (the only libev loop
 * that handles signals).  Returns 0, -EEXIST if a loop exists, -ENOMEM, or
 * the stack configuration's error.  opts may be NULL.
 *
 * What it does to the process, for good (rt_loop_close undoes none of it):
 *   - SIGPIPE is ignored (SIG_IGN): a peer that closes early costs a write
 *     -EPIPE, never the process.  Restore it yourself before exec'ing a
 *     program that expects the default.
 *   - SIGSEGV and SIGBUS get a handler, on an alternate signal stack of
 *     64 KiB (sigaltstack) that it installs: a fault in a task's guard
 *     page is reported as "stack overflow in task NAME" before the process
 *     aborts; any other fault is passed on to the handler that was there
 *     before (the default, or a sanitizer's), after rt_fault_hook's.
 *   - libev's allocator is set (ev_set_allocator) and its default loop
 *     created: libev's child and signal watchers belong to this loop.
 *   - Task stacks are mmap'd with a guard page each (two mappings per
 *     stack: mind vm.max_map_count with many thousands of tasks).
 */
ASYNCD_API int	rt_loop_init(const struct rt_loop_opts *opts);

/* Runs until rt_loop_stop() or until nothing is left to do (no ready task
 * and no active watcher).  Returns 0. */
ASYNCD_API int	rt_loop_run(void);

/* Runs until task t is done (or the loop is stopped); 0 if t is done,
 * -EAGAIN if the loop stopped first or nothing could make t progress. */
ASYNCD_API int	rt_loop_run_until(struct rt_task *t);

/* Makes rt_loop_run() return once the current step ends.  From a callback
 * or a task. */
ASYNCD_API void	rt_loop_stop(void);

/* Frees the loop.  Tasks still alive are abandoned (their stacks freed, no
 * code of theirs runs): cancel and join them first. */
ASYNCD_API void	rt_loop_close(void);

/*
 * The libev loop, for a program that wants a libev watcher the runtime
 * does not offer (include <ev.h> yourself).  The runtime's own callback
 * watchers (rt_watch, rt_timer, rt_signal, rt_child) need no libev.
 */
ASYNCD_API struct ev_loop *rt_loop_ev(void);

/*
 * What the loop runs on, for a program's version or build report: the
 * libev linked and the one built against, the backend a loop gets on this
 * machine ("epoll"; "" if no loop could be made: a bad $LIBEV_FLAGS), and
 * every backend this libev supports here, space-separated ("select poll
 * epoll").  Asks the process's loop if
 * there is one, else makes libev's default loop as rt_loop_init would and
 * destroys it at once (so not while another user of libev's default loop
 * runs).  Does not suspend.
 */
struct rt_loop_info {
	int		 version_major, version_minor;	/* libev's, linked */
	int		 built_major, built_minor;	/* its ev.h's */
	char		 backend[16];
	char		 supported[96];
};
ASYNCD_API void	rt_loop_info(struct rt_loop_info *info);

/* The monotonic clock in seconds (CLOCK_MONOTONIC, read at each call, as
 * asyncio's loop.time()): the base of every deadline and timeout.  Not the
 * wall clock. */
ASYNCD_API double	rt_loop_time(void);

/* The wall clock in seconds since the epoch, as of the loop's last poll
 * (libev's ev_now): cached, no system call, for Date headers and log
 * stamps.  Not for deadlines: it jumps when the clock is set. */
ASYNCD_API double	rt_loop_wall(void);

/*
 * Gives back the memory the runtime keeps only for speed (the pooled task
 * stacks), for a caller whose allocation just failed to try again: under
 * an address-space limit it is their mappings that ran out.  Does not
 * suspend.
 */
ASYNCD_API void	rt_loop_release_memory(void);

/* Runs fn(arg) from the loop soon, in FIFO order with ready tasks
 * (asyncio's call_soon).  Returns 0 or -ENOMEM. */
ASYNCD_API int	rt_loop_call_soon(void (*fn)(void *), void *arg);

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
 * ready (asyncio's create_task).  name is copied (truncated to 39 bytes).
 * With tp != NULL the caller receives a reference it must give back with
 * rt_task_release(); with tp == NULL the task is detached.  The task's
 * memory lives at the top of its stack: no malloc.  Returns 0, -ENOMEM
 * (rt_task_spawn_error() then says why, e.g. the mapping cap), or -EINVAL.
 * Callable from anywhere, does not suspend.
 */
ASYNCD_API int	rt_task_spawn(struct rt_task **tp, const char *name, rt_task_fn fn,
	    void *arg);
ASYNCD_API int	rt_task_spawn_opts(struct rt_task **tp, const char *name, rt_task_fn fn,
	    void *arg, const struct rt_task_opts *opts);
ASYNCD_API const char *rt_task_spawn_error(void);

/* Drops a reference; the task's stack is recycled once it is done and
 * unreferenced. */
ASYNCD_API void	rt_task_release(struct rt_task *t);

/* The running task, or NULL when called from a callback. */
ASYNCD_API struct rt_task *rt_task_current(void);

/*
 * Suspends until t is done (or the timeout / cancellation); on success
 * returns t's own status (0 or its negative errno) and stores its result
 * pointer (rt_task_set_result) in *result when result is not NULL.
 * Returns -ETIMEDOUT or -ECANCELED for the waiter's own wait; t keeps
 * running then.  -EDEADLK when t is the caller.
 */
ASYNCD_API int	rt_task_join(struct rt_task *t, void **result, double timeout);

/* Requests cancellation (see the top of this file).  Returns 0, or
 * -EALREADY when t is done.  Never suspends. */
ASYNCD_API int	rt_task_cancel(struct rt_task *t);

/* 1 if a cancellation of t is pending or was delivered and t has not
 * finished (asyncio's cancelling()). */
ASYNCD_API int	rt_task_cancelling(const struct rt_task *t);

ASYNCD_API void	rt_task_set_result(void *result);	/* of the running task */
ASYNCD_API int	rt_task_status(const struct rt_task *t);	/* valid once done */
ASYNCD_API void	*rt_task_result(const struct rt_task *t);
ASYNCD_API enum rt_task_state rt_task_state(const struct rt_task *t);
ASYNCD_API const char *rt_task_name(const struct rt_task *t);
/* Renames t (copied, cut at 39 bytes): what rt_task_dump and a stack
 * overflow or crash report show. */
ASYNCD_API void	rt_task_set_name(struct rt_task *t, const char *name);
/*
 * Shows label instead of t's name (rt_task_name, rt_task_dump, crash and
 * overflow reports) until rt_task_set_label(t, NULL): what the task does
 * for a while, for two stores (the HTTP server labels a connection's task
 * with the route whose handler it runs).  Not copied: label must outlive
 * its use.
 */
ASYNCD_API void	rt_task_set_label(struct rt_task *t, const char *label);
ASYNCD_API uint64_t rt_task_id(const struct rt_task *t);
ASYNCD_API int	rt_task_done(const struct rt_task *t);

/* Adds a done callback: fn(cb, t) runs when t finishes, or at once if it
 * already has.  cb stays owned by the caller. */
ASYNCD_API void	rt_task_add_done_cb(struct rt_task *t, struct rt_cb *cb);

/*
 * Registers fn(arg) to run when the running task ends, last in first out
 * (lwan's coro_defer): the place to free what a task acquired, so that
 * cancellation cannot leak it.  Returns 0 or -ENOMEM.
 */
ASYNCD_API int	rt_task_defer(void (*fn)(void *), void *arg);

/* Introspection (asyncio's all_tasks / print_stack / "asyncio ps"). */
ASYNCD_API const char *rt_task_waiting_on(const struct rt_task *t);  /* "" if not */
/* When t's current wait began, on the loop's wall clock (rt_loop_wall):
 * now minus this is how long it has waited.  0 if t is not waiting. */
ASYNCD_API double	rt_task_waiting_since(const struct rt_task *t);
ASYNCD_API void	rt_task_foreach(void (*fn)(struct rt_task *t, void *arg), void *arg);
ASYNCD_API size_t	rt_task_count(void);
/* One line per live task: id, state, name, what it waits on. */
ASYNCD_API void	rt_task_dump(FILE *fp);
ASYNCD_API const char *rt_task_state_name(enum rt_task_state s);

/* ---- sleeping, yielding, deadlines ------------------------------------ */

/* Suspends for at least seconds; rt_sleep(0) lets every other ready task
 * run once first.  0, -ECANCELED or -ETIMEDOUT (from a deadline scope). */
ASYNCD_API int	rt_sleep(double seconds);

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

ASYNCD_API void	rt_scope_enter(struct rt_scope *s, double timeout);
ASYNCD_API int	rt_scope_exit(struct rt_scope *s);

/* ---- gather, wait, wait_for --------------------------------------------- */

/*
 * Suspends until every task in tasks[0..n) is done.  Returns 0 if all
 * succeeded, else the first failure status in array order; each task's
 * status is rt_task_status().  If the waiter is cancelled or times out, the
 * unfinished tasks are cancelled too (asyncio's gather) and -ECANCELED or
 * -ETIMEDOUT is returned once they have finished.
 */
ASYNCD_API int	rt_gather(struct rt_task **tasks, size_t n, double timeout);

enum rt_wait_mode {
	RT_ALL_COMPLETED,
	RT_FIRST_COMPLETED
};

/*
 * Suspends until all (or the first) of tasks[0..n) are done or the timeout
 * passes, then reorders the array: the done tasks first, the pending ones
 * after, each group in its original order.  Returns the number done (the
 * "done set"), or -ECANCELED, -ENOMEM, or -ETIMEDOUT when an enclosing
 * deadline scope expires.  The timeout argument's expiry is not an error
 * here (asyncio's wait): it returns with a smaller done set.  Pending tasks
 * keep running.
 */
ASYNCD_API ssize_t	rt_wait(struct rt_task **tasks, size_t n, enum rt_wait_mode mode,
	    double timeout);

/*
 * asyncio's wait_for: joins t with a timeout; on timeout cancels t, waits
 * for it to finish and returns -ETIMEDOUT.  Otherwise returns what
 * rt_task_join would.
 */
ASYNCD_API int	rt_wait_for(struct rt_task *t, void **result, double timeout);

/* ---- task groups (asyncio's TaskGroup) ----------------------------------- */

/*
 * Owned by the creating task, on its stack or in its struct.  The first
 * child that fails (status < 0, other than -ECANCELED) cancels its siblings;
 * rt_group_wait returns once every child is done.
 */
struct rt_group {
	struct rt_task	*owner;		/* the task in rt_group_wait, or NULL */
	size_t		 live;		/* children not yet done */
	int		 error;		/* first failure, 0 if none */
	int		 cancelled;	/* siblings were cancelled */
	struct rt_task	*children;	/* linked through the child tasks */
};

ASYNCD_API void	rt_group_init(struct rt_group *g);
/* Spawns a child in g; 0, -ENOMEM, or -ECANCELED if g already failed. */
ASYNCD_API int	rt_group_spawn(struct rt_group *g, const char *name, rt_task_fn fn,
	    void *arg);
/* Suspends until all children are done.  Returns 0, the first child's
 * failure, or -ECANCELED if the owner was cancelled (children cancelled and
 * awaited first).  Releases every child. */
ASYNCD_API int	rt_group_wait(struct rt_group *g);
/* Cancels every child (asyncio's TaskGroup.cancel()). */
ASYNCD_API void	rt_group_cancel(struct rt_group *g);

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

ASYNCD_API void	rt_future_init(struct rt_future *f);
/* 0, or -EINVAL if already done. */
ASYNCD_API int	rt_future_set_result(struct rt_future *f, void *result);
ASYNCD_API int	rt_future_set_error(struct rt_future *f, int error);
/* Suspends until f is done; returns f's error (0 on a result, stored in
 * *result), -ETIMEDOUT or -ECANCELED. */
ASYNCD_API int	rt_future_await(struct rt_future *f, void **result, double timeout);
ASYNCD_API void	rt_future_add_done_cb(struct rt_future *f, struct rt_cb *cb);
ASYNCD_API int	rt_future_done(const struct rt_future *f);

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
ASYNCD_API struct rt_gen *rt_gen_new(rt_gen_fn fn, void *arg, size_t stack_size);

/*
 * Resumes g with value (the first send's value is ignored, as Python
 * requires it be None) and returns when g yields (0, *out = yielded value) or
 * returns (1, *out = its return value: Python's StopIteration).  -EINVAL if g
 * has finished or is running.
 */
ASYNCD_API int	rt_gen_send(struct rt_gen *g, void *value, void **out);

/*
 * Inside a generator: hands value to the sender and suspends until the next
 * send.  Returns 0 with the sent value in *sent, or -ECANCELED when the
 * generator is being closed: the body should clean up and return.
 */
ASYNCD_API int	rt_gen_yield(void *value, void **sent);

/* Closes g (Python's close): a suspended generator is resumed with
 * -ECANCELED from its yield and must return; 0, or -EINVAL if it yielded
 * again instead (it is abandoned then). */
ASYNCD_API int	rt_gen_close(struct rt_gen *g);
ASYNCD_API void	rt_gen_free(struct rt_gen *g);	/* closes first if needed */
ASYNCD_API int	rt_gen_finished(const struct rt_gen *g);

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
ASYNCD_API void	rt_lock_init(struct rt_lock *l);
ASYNCD_API int	rt_lock_acquire(struct rt_lock *l, double timeout);   /* suspends */
ASYNCD_API int	rt_lock_try(struct rt_lock *l);		/* 0 or -EBUSY */
/* 0, or -EPERM if the caller does not hold it. */
ASYNCD_API int	rt_lock_release(struct rt_lock *l);
ASYNCD_API int	rt_lock_locked(const struct rt_lock *l);

struct rt_sem {
	unsigned	 value;
	struct rt_wq	 waiters;
};
ASYNCD_API void	rt_sem_init(struct rt_sem *s, unsigned value);
ASYNCD_API int	rt_sem_acquire(struct rt_sem *s, double timeout);     /* suspends */
ASYNCD_API int	rt_sem_try(struct rt_sem *s);		/* 0 or -EAGAIN */
ASYNCD_API void	rt_sem_release(struct rt_sem *s);
ASYNCD_API unsigned rt_sem_value(const struct rt_sem *s);

struct rt_event {
	int		 set;
	struct rt_wq	 waiters;
};
ASYNCD_API void	rt_event_init(struct rt_event *e);
ASYNCD_API void	rt_event_set(struct rt_event *e);	/* wakes every waiter */
ASYNCD_API void	rt_event_clear(struct rt_event *e);
ASYNCD_API int	rt_event_is_set(const struct rt_event *e);
ASYNCD_API int	rt_event_wait(struct rt_event *e, double timeout);    /* suspends */

/* Condition over a caller-owned lock (asyncio.Condition(lock)). */
struct rt_cond {
	struct rt_lock	*lock;
	struct rt_wq	 waiters;
};
ASYNCD_API void	rt_cond_init(struct rt_cond *c, struct rt_lock *lock);
/*
 * With c->lock held: releases it, suspends until notified, re-acquires it
 * (always, even when the wait itself failed: the caller holds the lock when
 * this returns, as in asyncio).  0, -ETIMEDOUT or -ECANCELED.
 */
ASYNCD_API int	rt_cond_wait(struct rt_cond *c, double timeout);
ASYNCD_API void	rt_cond_notify(struct rt_cond *c, size_t n);
ASYNCD_API void	rt_cond_notify_all(struct rt_cond *c);

/*
 * Bounded FIFO queue of pointers.  rt_queue_init allocates the ring (the
 * only allocation); the queue owns it until rt_queue_destroy.
 */
struct rt_queue {
	void		**ring;
	size_t		 cap, head, len;
	struct rt_wq	 getters, putters;
};
ASYNCD_API int	rt_queue_init(struct rt_queue *q, size_t capacity);	/* 0/-ENOMEM/-EINVAL */
ASYNCD_API void	rt_queue_destroy(struct rt_queue *q);
ASYNCD_API int	rt_queue_put(struct rt_queue *q, void *item, double timeout); /* suspends */
ASYNCD_API int	rt_queue_get(struct rt_queue *q, void **item, double timeout); /* suspends */
ASYNCD_API int	rt_queue_put_nowait(struct rt_queue *q, void *item);	/* -EAGAIN if full */
ASYNCD_API int	rt_queue_get_nowait(struct rt_queue *q, void **item);	/* -EAGAIN if empty */
ASYNCD_API size_t	rt_queue_len(const struct rt_queue *q);

/* ---- errors -------------------------------------------------------------- */

/*
 * Name resolution errors travel as RT_EAI(code): getaddrinfo's EAI_* codes
 * moved below every errno so one int carries both.  rt_strerror() reads
 * either kind.
 */
#define RT_EAI_BASE		10000
#define RT_EAI(code)		((code) - RT_EAI_BASE)
#define RT_IS_EAI(err)		((err) <= -RT_EAI_BASE)
ASYNCD_API const char *rt_strerror(int err);

/* ---- shielding from cancellation ------------------------------------------ */

/*
 * Between rt_shield_enter() and rt_shield_exit() the running task cannot be
 * cancelled: rt_task_cancel() is held back, and the first wait after the
 * last exit returns -ECANCELED instead (asyncio.shield for a critical
 * section, such as a write that must not be cut in half).  Deadline scopes
 * still apply.  Pairs nest, up to 65,535 deep.  From a task; neither call
 * suspends.
 */
ASYNCD_API void	rt_shield_enter(void);
ASYNCD_API void	rt_shield_exit(void);

/* ---- crash reports ---------------------------------------------------------- */

/*
 * fn is called when the process is about to die of a fault (SIGSEGV,
 * SIGBUS) or a task's stack overflow, with the signal and the name of the
 * task that was running (NULL: none), before the process dies as it would
 * have.  It runs in a signal handler on the alternate stack: it may only
 * do async-signal-safe work (write(2) a message, for a supervisor to log).
 * NULL removes it.
 */
ASYNCD_API void	rt_fault_hook(void (*fn)(int signo, const char *task));

/* ---- rate-limited messages ----------------------------------------------- */

#define RT_RATELIMIT_PERIOD	10.0	/* seconds, when period is 0 */

/*
 * One message that may repeat (a write to a full disk, an accept at the
 * descriptor limit): said the first time, then at most once per period
 * with the count of those held back.  Embedded by its owner, zeroed (or
 * RT_RATELIMIT_INIT) before first use.
 */
struct rt_ratelimit {
	double		period;		/* seconds; 0: RT_RATELIMIT_PERIOD */
	double		next;		/* private: rt_loop_time() when due */
	unsigned long	suppressed;	/* private: held back since */
};

#define RT_RATELIMIT_INIT(period)	{ (period), 0, 0 }

/*
 * Whether to say the message now: 1, with *suppressed set to how many
 * were held back since the last one said; 0 to hold this one back (it is
 * counted).  Reads the monotonic clock; does not suspend.
 */
ASYNCD_API int	rt_ratelimit(struct rt_ratelimit *rl, unsigned long *suppressed);

/* ---- fd readiness ------------------------------------------------------- */

/*
 * Suspends until fd is readable (RT_READ) or writable (RT_WRITE) (asyncio's
 * add_reader/add_writer, as a wait).  Returns 0, -ETIMEDOUT or -ECANCELED.
 * The fd stays owned by the caller.
 */
#define RT_READ		0x01	/* libev's EV_READ */
#define RT_WRITE	0x02	/* libev's EV_WRITE */
ASYNCD_API int	rt_fd_wait(int fd, int events, double timeout);

/* ---- callback watchers --------------------------------------------------- */

/*
 * Callback watchers (watcher.c), for code that reacts rather than waits:
 * a master process with no tasks, a server parking idle connections.  Each
 * is embedded by its owner, which keeps it alive while started.  Callbacks
 * run from the loop, never in signal context; they must not suspend, and
 * may stop or restart their own watcher.  A watcher is started only when
 * it is stopped or was never started (its storage may be uninitialised
 * then); stopping a stopped watcher is harmless.  rt_timer is the
 * exception: rt_timer_init once, then rt_timer_start at any time.
 */

/* An fd's readiness (asyncio's add_reader/add_writer with a callback):
 * cb(w, revents) with revents RT_READ and/or RT_WRITE. */
struct rt_watch {
	struct rt__ev_io io;		/* private */
	void		(*cb)(struct rt_watch *w, int revents);
	void		*arg;
};
ASYNCD_API void	rt_watch_start(struct rt_watch *w, int fd, int events,
	    void (*cb)(struct rt_watch *w, int revents), void *arg);
ASYNCD_API void	rt_watch_stop(struct rt_watch *w);
/*
 * rt_watch_start in two steps, for a watcher stopped and started again
 * and again on one fd (a parked keep-alive connection): rt_watch_init
 * prepares it, stopped; rt_watch_resume starts it as prepared (a no-op if
 * started).  Cheaper than rt_watch_start each time: libev registers an fd
 * with epoll again whenever a watcher is given it anew, and not when a
 * prepared watcher resumes.
 */
ASYNCD_API void	rt_watch_init(struct rt_watch *w, int fd, int events,
	    void (*cb)(struct rt_watch *w, int revents), void *arg);
ASYNCD_API void	rt_watch_resume(struct rt_watch *w);
ASYNCD_API int	rt_watch_active(const struct rt_watch *w);
/* The fd being watched (the last one started). */
ASYNCD_API int	rt_watch_fd(const struct rt_watch *w);

/*
 * A timer (asyncio's call_later, and a watchdog's kick): cb(t) runs
 * `after` seconds from the call, then every `repeat` seconds if repeat > 0,
 * on the monotonic clock (rt_loop_time's).  rt_timer_init prepares it once
 * (a never-started timer is inactive); rt_timer_start (re)arms it.
 */
struct rt_timer {
	struct rt__ev_timer ev;		/* private */
	void		(*cb)(struct rt_timer *t);
	void		*arg;
};
ASYNCD_API void	rt_timer_init(struct rt_timer *t, void (*cb)(struct rt_timer *t),
	    void *arg);
ASYNCD_API void	rt_timer_start(struct rt_timer *t, double after, double repeat);
/* Re-arms a repeating timer to fire `repeat` seconds from now whether or
 * not it is running (libev's ev_timer_again); repeat 0 stops it. */
ASYNCD_API void	rt_timer_again(struct rt_timer *t, double repeat);
ASYNCD_API void	rt_timer_stop(struct rt_timer *t);
ASYNCD_API int	rt_timer_active(const struct rt_timer *t);
/* Seconds until it fires (0 if due); meaningless when inactive. */
ASYNCD_API double	rt_timer_remaining(const struct rt_timer *t);

/*
 * A signal handler that runs in the loop like any callback (libev signal
 * watchers; asyncio's add_signal_handler).  Only the process's loop
 * handles signals.  After fork, a child that keeps the parent's loop must
 * stop the parent's signal watchers before starting its own for the same
 * signals (libev keeps one watcher list per signal, process-wide).
 */
struct rt_signal {
	struct rt__ev_signal sig;	/* private */
	void		(*cb)(struct rt_signal *s, int signum);
	void		*arg;
};
ASYNCD_API void	rt_signal_start(struct rt_signal *s, int signum,
	    void (*cb)(struct rt_signal *s, int signum), void *arg);
ASYNCD_API void	rt_signal_stop(struct rt_signal *s);

/*
 * A child process's end (asyncio's child watchers; libev's ev_child, which
 * reaps with waitpid from its SIGCHLD handler): cb(c, pid, status) with
 * waitpid's status once the child pid, or any child for pid 0, has
 * exited or been killed.  The watcher stays started: stop it when done.
 */
struct rt_child {
	struct rt__ev_child ev;		/* private */
	void		(*cb)(struct rt_child *c, pid_t pid, int status);
	void		*arg;
};
ASYNCD_API void	rt_child_start(struct rt_child *c, pid_t pid,
	    void (*cb)(struct rt_child *c, pid_t pid, int status), void *arg);
ASYNCD_API void	rt_child_stop(struct rt_child *c);

/* ---- streams ------------------------------------------------------------- */

/*
 * A buffered reader/writer over a non-blocking fd (asyncio's StreamReader
 * and StreamWriter in one).  Owned by whoever initialised it; it owns its two
 * buffers (allocated once by rt_stream_init, fixed size: memory per stream
 * is bounded) and, until rt_stream_close, the fd.
 *
 * Status conventions of the read calls: EOF before anything was read is a
 * return of 0 (read) or -ENODATA (readexactly, readline, readuntil when the
 * stream ended before the separator or the count: asyncio's
 * IncompleteReadError); a reset is -ECONNRESET; a timeout -ETIMEDOUT; a line
 * or separator search longer than the limit -EMSGSIZE (nothing consumed:
 * asyncio's LimitOverrunError).  Write errors are -EPIPE or -ECONNRESET and
 * stick: every later write fails the same way.
 */
struct rt_stream {
	int		 fd;
	char		*rbuf;
	size_t		 rcap, rpos, rlen;	/* unread bytes: rbuf[rpos, rpos+rlen) */
	char		*wbuf;
	size_t		 wcap, wpos, wlen;	/* unsent bytes: wbuf[wpos, wpos+wlen) */
	int		 eof;		/* the peer closed its side */
	int		 rerr, werr;	/* sticky read and write errors */
	int		 is_socket;	/* send(MSG_NOSIGNAL) rather than write */
};

#define RT_STREAM_RBUF	(16 * 1024)
#define RT_STREAM_WBUF	(64 * 1024)

/* Takes ownership of fd (made non-blocking) on success only: on failure
 * the caller still owns it and closes it.  rbuf/wbuf sizes 0 = defaults.
 * 0, -ENOMEM or -errno. */
ASYNCD_API int	rt_stream_init(struct rt_stream *s, int fd, size_t rbuf, size_t wbuf);
/* Up to n bytes, at least 1 unless EOF (0).  Suspends. */
ASYNCD_API ssize_t	rt_stream_read(struct rt_stream *s, void *buf, size_t n, double timeout);
/* Exactly n bytes into buf; 0 or an error.  Suspends. */
ASYNCD_API int	rt_stream_readexactly(struct rt_stream *s, void *buf, size_t n,
	    double timeout);
/*
 * Up to and including the separator, copied into buf (at most max bytes,
 * max <= the read buffer size); returns the length.  At EOF with a partial
 * line: readline returns it (asyncio's readline); readuntil returns -ENODATA.
 */
ASYNCD_API ssize_t	rt_stream_readline(struct rt_stream *s, char *buf, size_t max,
	    double timeout);
ASYNCD_API ssize_t	rt_stream_readuntil(struct rt_stream *s, const char *sep, size_t seplen,
	    char *buf, size_t max, double timeout);
/*
 * Queues n bytes for sending: sends at once what the kernel takes when
 * nothing is queued, buffers the rest, and suspends only while the bounded
 * buffer is too full to take the remainder (backpressure).  0 or an error.
 */
ASYNCD_API int	rt_stream_write(struct rt_stream *s, const void *buf, size_t n,
	    double timeout);
/* Suspends until every queued byte has been taken by the kernel. */
ASYNCD_API int	rt_stream_drain(struct rt_stream *s, double timeout);
/* Drains, then half-closes (shutdown SHUT_WR). */
ASYNCD_API int	rt_stream_write_eof(struct rt_stream *s, double timeout);
/* Unsent bytes queued. */
ASYNCD_API size_t	rt_stream_pending(const struct rt_stream *s);
/* Frees the buffers and closes the fd (queued bytes are dropped: drain
 * first).  Safe to call twice. */
ASYNCD_API void	rt_stream_close(struct rt_stream *s);

/* ---- listen addresses ----------------------------------------------------- */

/*
 * A numeric address to listen on (addr.c), parsed from the text an
 * operator writes, the one parser of it for every layer.  Owned by the
 * caller, filled by rt_addr_parse or rt_addr_set.
 */
#define RT_ADDR_HOSTLEN	48			/* "[" IPv6 text (45) "]" NUL */
#define RT_ADDR_STRLEN	(RT_ADDR_HOSTLEN + 6)	/* ":" and 5 digits */

struct rt_addr {
	struct sockaddr_storage	 ss;	/* to bind: AF_INET or AF_INET6 */
	socklen_t		 len;	/* of ss's address */
	unsigned		 port;	/* 0: an ephemeral one */
	/* Canonical (inet_ntop's) text, so that two spellings of one
	 * address compare equal: "*", "127.0.0.1" or "[::1]"; and
	 * host ":" port. */
	char			 host[RT_ADDR_HOSTLEN];
	char			 str[RT_ADDR_STRLEN];
};

/*
 * Parses str, one of
 *	ADDR:PORT	a dotted IPv4 address ("127.0.0.1:8080")
 *	[IPv6]:PORT	("[::1]:8080"; "[::]" is every IPv6 address)
 *	*:PORT		every IPv4 address (0.0.0.0)
 *	PORT		the same as *:PORT
 * with PORT decimal, 0..65535 (0: ephemeral).  Numeric only: no names,
 * no service names, no IPv6 zone.  Returns 0, or -EINVAL with a reason
 * for a message ("PORT must be a number between 0 and 65535") in why
 * (NUL-terminated, cut to whylen; why may be NULL).  Does not suspend.
 */
ASYNCD_API int	rt_addr_parse(struct rt_addr *a, const char *str, char *why,
	    size_t whylen);
/*
 * The same from a host and a port apart: host NULL, "" or "*" for every
 * IPv4 address, a dotted IPv4 address, or an IPv6 address bare ("::1")
 * or in brackets.  0 or -EINVAL, as rt_addr_parse.
 */
ASYNCD_API int	rt_addr_set(struct rt_addr *a, const char *host, const char *port,
	    char *why, size_t whylen);

#define RT_LISTEN_REUSEPORT	0x01	/* SO_REUSEPORT: one socket per
					   process on the same address */

/*
 * A listening TCP socket on a: non-blocking, close-on-exec, SO_REUSEADDR
 * (a restart binds at once, past the old connections' TIME_WAIT),
 * IPV6_V6ONLY for IPv6 ("[::]" leaves IPv4 to "*"), SO_REUSEPORT with
 * RT_LISTEN_REUSEPORT; bound, then listen(2) with backlog (0 or less:
 * SOMAXCONN).  Returns the fd, owned by the caller, or -errno
 * (-EADDRINUSE, -EACCES...).  Blocking but quick: for startup.
 */
ASYNCD_API int	rt_listen_socket(const struct rt_addr *a, int backlog,
	    unsigned flags);

/* ---- TCP ----------------------------------------------------------------- */

/*
 * One accepted connection, handed to the server's handler.  Owned by the
 * server; valid until the handler returns.  The handler owns fd: the server
 * closes it after the handler returns unless the handler set it to -1.
 */
struct rt_conn {
	int			 fd;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct rt_server	*server;
	struct rt_task		*task;		/* private: the handler's task */
	struct rt_conn		*next, **pprev;	/* private */
	/* Which listening socket accepted it: its index in the order of
	 * rt_server_listen/rt_server_adopt; -1 for a resumed connection
	 * (rt_server_resume), whose owner knows it already. */
	int			 listener;
};

typedef int (*rt_conn_fn)(struct rt_conn *c, void *arg);

#define RT_SERVER_MAX_LISTEN	16

struct rt_server_opts {
	size_t		max_conns;	/* 0 = no limit */
	int		backlog;	/* 0 = SOMAXCONN */
	size_t		stack_size;	/* of connection tasks; 0 = default */
	double		emfile_pause;	/* 0 = 0.1 s: accept pause on EMFILE */
	/*
	 * A connection that cannot be served: over max_conns (why 0), or no
	 * memory for its task (why -ENOMEM), or accepted on the reserve
	 * descriptor when the process ran out (why -EMFILE or -ENFILE, see
	 * accept_error).  With overload set, it is given to overload(fd,
	 * why, arg), which must not suspend and owns the fd: any protocol's
	 * "busy, try later" (an HTTP 503, an SMTP 421) written without
	 * waiting, then closed.  Without it, accepting pauses at max_conns
	 * until a connection ends, and a connection without memory is
	 * closed.  arg is rt_server_start's.
	 */
	void		(*overload)(int fd, int why, void *arg);
	/*
	 * accept() failed for want of a resource (-EMFILE, -ENFILE, -ENOBUFS,
	 * -ENOMEM): accept_error(err, arg) may say so and free some (close
	 * idle connections of its own).  It returns 1 if it freed some, and
	 * accept is tried again at once (once per wake-up).  Otherwise, out
	 * of descriptors and with an overload hook, the server spends a
	 * descriptor it keeps in reserve to accept each waiting connection
	 * and hand it to overload(fd, err, arg) (libuv's EMFILE trick, but
	 * answered instead of closed); then accepting pauses for
	 * emfile_pause.  Must not suspend.
	 */
	int		(*accept_error)(int err, void *arg);
};

/*
 * A TCP server: listening sockets, an accept watcher each, and one task per
 * connection.  Owned by its creator; must outlive its connection tasks
 * (rt_server_close waits for them).
 */
struct rt_server {
	int		 fds[RT_SERVER_MAX_LISTEN];
	struct rt_watch	 w[RT_SERVER_MAX_LISTEN];
	size_t		 nfds;
	int		 accepting;	/* watchers started */
	int		 paused;	/* EMFILE backoff or at the cap */
	int		 closing;
	int		 reserve_fd;	/* spent to answer at EMFILE; -1 */
	struct rt__ev_timer pause_timer; /* private: libev's bare timer (an
					   rt_timer's cb and arg would change
					   this struct's layout) */
	rt_conn_fn	 handler;
	void		*arg;
	struct rt_server_opts opts;
	size_t		 nconns;	/* live connection tasks */
	uint64_t	 accepted, overloaded, emfile_pauses;
	struct rt_conn	*free_conns;	/* recycled records: no malloc per
					   connection in steady state */
	struct rt_conn	*live_conns;
	struct rt_wq	 idle_waiters;	/* rt_server_wait_idle */
};

ASYNCD_API void	rt_server_init(struct rt_server *s, const struct rt_server_opts *opts);
/*
 * Binds and listens on host:port (rt_addr_set's: numeric IPv4 or IPv6, or
 * NULL/"*" for all IPv4 addresses, "::" for all IPv6) with
 * rt_listen_socket and the server's backlog.  Port "0" picks an ephemeral
 * port (rt_server_port tells which).  Blocking: call at startup.  0,
 * -errno, or RT_EAI(EAI_NONAME) for a host or port that is not numeric.
 * A socket made otherwise (rt_listen_socket with other flags, systemd's)
 * goes in with rt_server_adopt.
 */
ASYNCD_API int	rt_server_listen(struct rt_server *s, const char *host, const char *port);
/* Adopts an already listening socket (a daemon's or systemd's). */
ASYNCD_API int	rt_server_adopt(struct rt_server *s, int fd);
/* The local port of listener i. */
ASYNCD_API int	rt_server_port(const struct rt_server *s, size_t i);
/* Starts accepting: each connection runs handler(conn, arg) in a task. */
ASYNCD_API int	rt_server_start(struct rt_server *s, rt_conn_fn handler, void *arg);
/* Stops accepting; listeners stay open (graceful shutdown, then close). */
ASYNCD_API void	rt_server_stop_accepting(struct rt_server *s);
ASYNCD_API size_t	rt_server_connections(const struct rt_server *s);
/* Suspends until no connection task is left. */
ASYNCD_API int	rt_server_wait_idle(struct rt_server *s, double timeout);
/*
 * Connections held outside a task, for any server on the runtime whose
 * connections sit idle for long (keep-alive HTTP, a chat or push protocol
 * between messages): a task and its stack per idle connection would cost
 * far more than the connection's socket.  A handler that keeps its
 * connection open after returning calls rt_server_hold() and sets c->fd
 * to -1, then watches the fd itself (an rt_watch for RT_READ, a timer
 * for its idle timeout).  The connection stays counted: against
 * max_conns, in rt_server_connections and by rt_server_wait_idle, so a
 * graceful stop waits for held ones too (close them, or resume them to
 * finish).  Later its owner either resumes it in a new connection task
 * running the server's handler, which takes over the hold
 * (rt_server_resume: c->listener is -1 there; on failure the fd is closed
 * and the hold dropped), or drops it (rt_server_unhold, after closing the
 * fd itself).  None of the three suspends; each may be called from a
 * callback.  Every hold must end in exactly one resume or unhold.
 */
ASYNCD_API void	rt_server_hold(struct rt_server *s);
ASYNCD_API void	rt_server_unhold(struct rt_server *s);
ASYNCD_API int	rt_server_resume(struct rt_server *s, int fd,
	    const struct sockaddr *peer, socklen_t len);
/* Cancels every connection task (fast stop). */
ASYNCD_API void	rt_server_cancel_all(struct rt_server *s);
/* Stops accepting, closes the listeners, frees recycled records.  Live
 * connection tasks must have ended (wait_idle) first. */
ASYNCD_API void	rt_server_close(struct rt_server *s);

/*
 * Resolves host:port without blocking the loop: getaddrinfo runs on a small
 * pool of threads and the answer comes back through an ev_async.  Suspends.
 * *res is freed with freeaddrinfo.  0, RT_EAI(code), -ETIMEDOUT,
 * -ECANCELED, -ENOMEM.
 */
ASYNCD_API int	rt_resolve(const char *host, const char *port, int socktype,
	    struct addrinfo **res, double timeout);

/*
 * asyncio's open_connection: resolves, then tries each address in turn with
 * a non-blocking connect, all within timeout.  Returns a connected,
 * non-blocking fd with TCP_NODELAY, or the last error (-ECONNREFUSED,
 * -ETIMEDOUT, RT_EAI(...), -ECANCELED).  Suspends.
 */
ASYNCD_API int	rt_tcp_connect(const char *host, const char *port, double timeout);

ASYNCD_END_DECLS

#endif /* ASYNCD_RT_H */
