/*
 * switch-ucontext.c - the portable fallback backend (--with-context=ucontext).
 *
 * swapcontext() saves and restores the signal mask with a system call on
 * every switch (about 1 us on this machine, 100 times the asm switch), so it
 * is only for CPUs without a switch-<cpu>.S.  makecontext() passes int
 * arguments only, so the 64-bit pointers travel split in two halves.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>

#include "coro.h"
#include "coro-int.h"

#if defined(CORO_UCONTEXT)

static void
coro__uc_trampoline(unsigned fn_hi, unsigned fn_lo, unsigned arg_hi,
    unsigned arg_lo)
{
	void (*fn)(void *);
	void *arg;

	fn = (void (*)(void *))(((uintptr_t)fn_hi << 32) | fn_lo);
	arg = (void *)(((uintptr_t)arg_hi << 32) | arg_lo);
	fn(arg);
	abort();	/* fn must end with coro_transfer_exit() */
}

void
coro__raw_make(struct coro_ctx *ctx, char *lo, size_t size,
    void (*fn)(void *), void *arg)
{
	uintptr_t f = (uintptr_t)fn, a = (uintptr_t)arg;

	/* getcontext only copies registers and the signal mask: it cannot
	 * fail on Linux. */
	(void)getcontext(&ctx->uc);
	ctx->uc.uc_stack.ss_sp = lo;
	ctx->uc.uc_stack.ss_size = size;
	ctx->uc.uc_link = NULL;
	makecontext(&ctx->uc, (void (*)(void))coro__uc_trampoline, 4,
	    (unsigned)(f >> 32), (unsigned)f, (unsigned)(a >> 32), (unsigned)a);
}

int
coro__raw_swap(struct coro_ctx *from, struct coro_ctx *to, int val)
{
	/* swapcontext carries no value: it crosses in a static, which is
	 * safe with one thread, since nothing runs between its store here
	 * and its load on the resumed side. */
	static int xfer;

	xfer = val;
	/* swapcontext fails only for a bad pointer. */
	if (swapcontext(&from->uc, &to->uc) == -1)
		abort();
	return xfer;
}

#endif /* CORO_UCONTEXT */
