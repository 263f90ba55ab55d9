/*
 * coro.h - execution contexts and their stacks: the bottom layer of asyncd.
 *
 * A context is a saved stack pointer (asm backends) or a ucontext_t (the
 * portable fallback chosen with ./configure --with-context=ucontext).  The
 * layer knows nothing about tasks, scheduling or libev: it can make a context
 * that will run fn(arg) on a stack, and transfer control from one context to
 * another.  Everything above (the runtime's tasks and generators) is built on
 * coro_ctx_make() and coro_transfer().
 *
 * Stacks are mmap()ed, lazily touched, and recycled through a per-process
 * pool so that steady-state task creation makes no system call.  Two modes:
 *
 *   CORO_STACK_GUARD   a PROT_NONE page below every stack; an overflow faults
 *                      and the SIGSEGV handler (on an alternate signal stack)
 *                      prints "stack overflow in task NAME" and aborts.  Each
 *                      guarded stack costs two kernel mappings, so Linux's
 *                      vm.max_map_count (65530 by default) caps a process at
 *                      about 32,700 of them.
 *   CORO_STACK_CANARY  no guard page: neighbouring unguarded mappings merge
 *                      into one kernel mapping, so the cap does not apply.  A
 *                      canary word at the low end of each stack is checked
 *                      whenever its task is switched away from and when the
 *                      stack is released.  Use it for more tasks than the
 *                      mapping cap allows.
 *
 * Sanitizers: with --enable-asan every transfer is announced to ASan with
 * __sanitizer_start_switch_fiber/__sanitizer_finish_switch_fiber; with
 * --enable-valgrind every stack is registered with VALGRIND_STACK_REGISTER.
 *
 * Nothing here is thread-safe: one thread per process is asyncd's model.
 */
#ifndef ASYNCD_CORO_H
#define ASYNCD_CORO_H

#include <stddef.h>
#include <stdint.h>

#if defined(CORO_UCONTEXT)
#include <ucontext.h>
#endif

struct coro_stack;

/*
 * A saved execution context.  Owned by whoever embeds it (a task, a
 * generator, the loop's main context).  The fields are private to coro/.
 */
struct coro_ctx {
#if defined(CORO_UCONTEXT)
	ucontext_t		 uc;
#else
	void			*sp;		/* saved stack pointer; the callee-saved
						   registers sit on the stack above it */
#endif
	struct coro_stack	*stack;		/* NULL for the thread's own stack */
	/* The canary of an unguarded stack (its lowest bytes, coro-int.h),
	 * checked at every switch away from it; NULL: nothing to check.  A
	 * copy of the descriptor's, so that a switch does not read the
	 * descriptor's cache line. */
	const uint64_t		*canary;
#if defined(CORO_ASAN)
	void			*asan_fake;	/* ASan's fake stack while suspended */
	const void		*asan_bottom;	/* learnt for the thread's stack */
	size_t			 asan_size;
#endif
};

/* What a stack is for; read by the overflow reporters. */
struct coro_stack {
	struct coro_stack	*next;		/* pool free list */
	void			*map;		/* start of the mapping, guard included */
	size_t			 map_len;
	char			*lo;		/* lowest usable byte */
	size_t			 size;		/* usable bytes from lo upward */
	const char		*name;		/* owner's name, for overflow reports */
	unsigned		 valgrind_id;
	unsigned char		 guarded;
	unsigned char		 pool_class;	/* its pool size class + 1; 0:
						   not pooled (stack.c) */
};

enum coro_stack_mode {
	CORO_STACK_GUARD = 0,
	CORO_STACK_CANARY = 1
};

#define CORO_STACK_DEFAULT	(64 * 1024)
#define CORO_STACK_MIN		(16 * 1024)
#define CORO_STACK_MAX		(64 * 1024 * 1024)

/*
 * Sets the stack mode and how many free stacks of each size the pool keeps
 * even when idle (it keeps more while recent demand needs them: see
 * coro_stack_pool_trim).  Call before the first coro_stack_get(); returns
 * -EBUSY afterwards, -EINVAL for a bad mode.
 */
int	coro_stack_configure(enum coro_stack_mode mode, size_t pool_min);
enum coro_stack_mode coro_stack_mode(void);

/*
 * Returns a stack with at least size usable bytes (0 = CORO_STACK_DEFAULT),
 * rounded up to whole pages, from the pool or a fresh mapping.  NULL on
 * failure with errno set: ENOMEM, EINVAL for a size out of range.  When the
 * kernel's mapping cap is the cause, coro_stack_error() says so and names
 * vm.max_map_count.  The caller owns the stack until coro_stack_put().
 */
struct coro_stack *coro_stack_get(size_t size);

/* Takes ownership of st back into the pool (or unmaps it when the pool
 * already holds what recent demand needs: coro_stack_pool_trim).  Aborts
 * with a report if the stack's canary was overwritten. */
void	coro_stack_put(struct coro_stack *st);

/* The reason for the last coro_stack_get() failure, for a log line. */
const char *coro_stack_error(void);

/* Unmaps every pooled stack (at loop close, and before exit for valgrind). */
void	coro_stack_pool_drain(void);

/*
 * Ends a period of the pool's demand tracking: keeps, per size, as many
 * free stacks as the period's peak would need on top of those handed out
 * now (at least pool_min) and unmaps the rest.  Call it every few seconds:
 * a burst that recurs within two periods finds its stacks pooled, and two
 * quiet periods bring the pool back to pool_min.
 */
void	coro_stack_pool_trim(void);

/* Number of stacks handed out and not yet returned, and the pooled ones. */
size_t	coro_stack_in_use(void);
size_t	coro_stack_pooled(void);

/*
 * Aborts with "stack overflow in task NAME" if st's canary is damaged.
 * Cheap enough to call on every switch (one load and compare).
 */
void	coro_stack_check(const struct coro_stack *st);

/*
 * Installs, once per process, the SIGSEGV/SIGBUS handler that turns a fault
 * in a guard page into "stack overflow in task NAME" on stderr and abort().
 * It runs on an alternate signal stack, since the faulting stack is full.
 * Returns 0 or -errno.
 */
int	coro_overflow_handler_install(void);

/*
 * fn(signo, task) is called by that handler, and by a failed canary check,
 * before the process dies: signo is SIGSEGV or SIGBUS (SIGABRT for an
 * overflow), task the running task's name or NULL.  Async-signal-safe code
 * only.  NULL removes it.
 */
void	coro_fault_hook(void (*fn)(int signo, const char *task));

/* The stack now executing, for the overflow handler; set by coro_transfer. */
extern struct coro_stack *coro__current_stack;

/*
 * Prepares ctx so that the first coro_transfer() into it calls fn(arg) on
 * stack st, below the top reserved bytes (which the caller may use for its
 * own bookkeeping; reserve is rounded up to 16).  fn must never return: it
 * ends with coro_transfer_exit().
 */
void	coro_ctx_make(struct coro_ctx *ctx, struct coro_stack *st,
	    size_t reserve, void (*fn)(void *), void *arg);

/* Initialises the context of the thread's own stack (no stack of ours). */
void	coro_ctx_init_main(struct coro_ctx *ctx);

/*
 * Saves the running context in from and resumes to.  Returns when some
 * other context transfers back into from.  Inline in the asm builds (below):
 * an out-of-line call per switch was a third of a task switch's
 * instructions, and its return mispredicts (see coro_handoff).
 */
#if defined(CORO_ASAN) || defined(CORO_UCONTEXT)
void	coro_transfer(struct coro_ctx *from, struct coro_ctx *to);
#endif

/*
 * Like coro_transfer, handing val to the resumed side, for a caller with
 * nothing left to do after the switch (generators): returns, once from is
 * resumed, the val that its resumer passed to coro_handoff, or CORO_EXITED
 * if it was a coro_transfer_exit (0 if a coro_transfer).  An int, not a
 * pointer: the caller can then return it as its own int result, and only a
 * result returned unconverted lets the compiler make the call a tail jump.
 *
 * Why it exists: "return coro_handoff(...)" compiles to a tail jump into
 * coro__switch, so a round trip executes no ret at all.  After a switch the
 * CPU's return-stack buffer holds the other stack's return addresses, so the
 * first ret on the resumed side mispredicts; the runtime's send/yield
 * ping-pong (bench/coro switch_ns) lost 2 such rets per switch before.
 *
 * The price: nothing runs on the resumed side after the switch, so from
 * must never be resumed by a coro_transfer_exit that releases a stack (the
 * stack would be pooled only at the next such exit).
 */
#define CORO_EXITED	1
#if defined(CORO_ASAN) || defined(CORO_UCONTEXT)
int	coro_handoff(struct coro_ctx *from, struct coro_ctx *to, int val);
#endif

/*
 * Like coro_transfer for a context that will never be resumed.  release, if
 * not NULL, is the dying context's own stack: it goes back to the pool only
 * after the switch has left it, by whichever context runs next (the switch
 * itself still writes to it, and unmapping a stack one runs on is fatal).
 * A coro_handoff that suspended to returns CORO_EXITED.  Does not return.
 */
void	coro_transfer_exit(struct coro_ctx *from, struct coro_ctx *to,
	    struct coro_stack *release) __attribute__((noreturn));

/* Must be the first call of every fn given to coro_ctx_make (ASan needs to
 * hear that the switch into the new stack finished). */
void	coro_entered(struct coro_ctx *self);

/*
 * The raw switch, in switch-x86_64.S / switch-aarch64.S: pushes the
 * callee-saved registers and FP control state, stores the stack pointer in
 * *from_sp, loads to_sp, pops and jumps.  The coro__switch call that
 * suspended the resumed side returns val there.  Exposed for the inline
 * transfers below and bench/coro's floor.  coro__jump is its second half
 * alone (load to_sp, pop, jump), for a context that dies.
 */
int	coro__switch(void **from_sp, void *to_sp, int val);
void	coro__jump(void *to_sp, int val) __attribute__((noreturn));
void	coro__entry(void);

/* The stack a context runs on (NULL for the thread's own). */
static inline struct coro_stack *
coro_ctx_stack(const struct coro_ctx *ctx)
{
	return ctx->stack;
}

/* The canary words of st (see coro-int.h); NULL for a guarded stack or
 * the thread's own (st NULL), which have none. */
static inline const uint64_t *
coro__stack_canary(const struct coro_stack *st)
{
	return st != NULL && !st->guarded ?
	    (const uint64_t *)(const void *)st->lo : NULL;
}

void	coro__canary_fail(const struct coro_stack *st) __attribute__((noreturn));

/* Aborts with the overflow report if st's canary words w were written. */
static inline void
coro__canary_check(const struct coro_stack *st, const uint64_t *w)
{
	if (w != NULL && (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] |
	    w[7]) != 0)
		coro__canary_fail(st);
}

/*
 * Makes ctx describe the stack running now (coro__current_stack): for a
 * context that will save the caller, such as a generator's way back, when
 * the caller may be a task or the thread's own stack.  Sets the stack and
 * its canary together: the switch away checks the canary, not the stack.
 */
static inline void
coro_ctx_on_current_stack(struct coro_ctx *ctx)
{
	ctx->stack = coro__current_stack;
	ctx->canary = coro__stack_canary(ctx->stack);
}

/* The canary of an unguarded stack being left: from ctx's own copy, so
 * that a switch does not read the stack's descriptor. */
static inline void
coro__leave_check(const struct coro_ctx *from)
{
	coro__canary_check(from->stack, from->canary);
}

#if !defined(CORO_ASAN) && !defined(CORO_UCONTEXT)
/* What the inline transfers need from coro.c and stack.c. */
extern struct coro_stack *coro__pending_release;
void	coro__release_pending(void);

static inline void
coro_transfer(struct coro_ctx *from, struct coro_ctx *to)
{
	coro__leave_check(from);
	coro__current_stack = to->stack;
	(void)coro__switch(&from->sp, to->sp, 0);
	/* Rare (a task ended and switched to us): out of line. */
	if (__builtin_expect(coro__pending_release != NULL, 0))
		coro__release_pending();
}

static inline int
coro_handoff(struct coro_ctx *from, struct coro_ctx *to, int val)
{
	coro__leave_check(from);
	coro__current_stack = to->stack;
	return coro__switch(&from->sp, to->sp, val);
}
#endif

#endif /* ASYNCD_CORO_H */
