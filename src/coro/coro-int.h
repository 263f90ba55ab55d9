/*
 * coro-int.h - what coro.c, stack.c and the switch backends share, and
 * nothing else may include.
 */
/*
 * Names in this layer (STYLE.md §2): coro_noun_verb for what coro.h
 * exports to the runtime, coro__noun_verb for every other function, shared
 * between files or static to one (coro__switch, coro__stack_get_slow), so
 * that a backtrace or a grep tells the layer at a glance.  Functions
 * return 0 or a negative errno.
 */
#ifndef ASYNCD_CORO_INT_H
#define ASYNCD_CORO_INT_H

#include <stdint.h>

#include "coro.h"

/*
 * The canary of an unguarded stack is its lowest CORO__CANARY_LEN bytes,
 * which must still read zero.  Zero, not a random word: an untouched page
 * reads from the kernel's shared zero page and costs no resident memory,
 * whereas writing any other value would make every stack's lowest page
 * resident, doubling the memory of a parked task.  An overflow that writes
 * exactly 64 zero bytes there goes unnoticed; the guard mode has no such gap.
 */
#define CORO__CANARY_LEN	64

static inline void
coro__stack_check_inline(const struct coro_stack *st)
{
	coro__canary_check(st, coro__stack_canary(st));
}

/* Backend: prepare ctx to call fn(arg) on [lo, lo + size). */
void	coro__raw_make(struct coro_ctx *ctx, char *lo, size_t size,
	    void (*fn)(void *), void *arg);

/* Backend: the bare switch, handing val over as coro__switch does. */
#if defined(CORO_UCONTEXT)
int	coro__raw_swap(struct coro_ctx *from, struct coro_ctx *to, int val);
#else
static inline int
coro__raw_swap(struct coro_ctx *from, struct coro_ctx *to, int val)
{
	return coro__switch(&from->sp, to->sp, val);
}
#endif

#endif /* ASYNCD_CORO_INT_H */
