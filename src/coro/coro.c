/*
 * coro.c - making contexts and transferring control between them.
 *
 * The raw switch lives in switch-<cpu>.S (or switch-ucontext.c); this file
 * adds what every switch needs around it: the bookkeeping of which stack is
 * running (for the overflow reporter), the canary check of the stack being
 * left, and the AddressSanitizer fiber annotations.  ASan keeps a "fake
 * stack" per stack for use-after-return detection and tracks the current
 * stack's bounds; unless told of every switch it reports false positives
 * (and warns "ASan is ignoring requested __asan_handle_no_return").
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#if defined(CORO_VALGRIND)
#include <valgrind/memcheck.h>
#endif
#if defined(CORO_ASAN)
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#endif

#include "coro.h"
#include "coro-int.h"

struct coro_stack *coro__current_stack;

/* A dead context's stack, to be pooled once we have switched off it. */
struct coro_stack *coro__pending_release;

static inline void
coro__release_now(void)
{
	struct coro_stack *st = coro__pending_release;

	if (st != NULL) {
		coro__pending_release = NULL;
		coro_stack_put(st);
	}
}

#if !defined(CORO_ASAN) && !defined(CORO_UCONTEXT)
/* For the inline coro_transfer in coro.h. */
void
coro__release_pending(void)
{
	coro__release_now();
}
#endif

#if defined(CORO_ASAN)
static const void	*main_bottom;
static size_t		 main_size;

static void
coro__asan_bounds(const struct coro_ctx *ctx, const void **bottom, size_t *size)
{
	if (ctx->stack != NULL) {
		*bottom = ctx->stack->lo;
		*size = ctx->stack->size;
	} else {
		*bottom = main_bottom;
		*size = main_size;
	}
}
#endif

void
coro_ctx_init_main(struct coro_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
#if defined(CORO_ASAN)
	/* ASan needs the bounds of the thread's own stack when we switch back
	 * to it; pthread knows them. */
	pthread_attr_t attr;
	void *addr;
	size_t size;

	if (main_bottom == NULL && pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
			main_bottom = addr;
			main_size = size;
		}
		(void)pthread_attr_destroy(&attr);	/* cannot fail on glibc */
	}
#endif
}

void
coro_ctx_make(struct coro_ctx *ctx, struct coro_stack *st, size_t reserve,
    void (*fn)(void *), void *arg)
{
	/* Not memset: on a spawn's path, and sp is set below. */
	ctx->stack = st;
	ctx->canary = coro__stack_canary(st);
#if defined(CORO_ASAN)
	ctx->asan_fake = NULL;
	ctx->asan_bottom = NULL;
	ctx->asan_size = 0;
#endif
	reserve = (reserve + 15) & ~(size_t)15;
#if defined(CORO_VALGRIND)
	/* A pooled stack's old frames are dead: tell memcheck the memory is
	 * usable again, or the new frame's writes look like stack misuse.  The
	 * canary bytes stay defined: they are read on every switch. */
	VALGRIND_MAKE_MEM_UNDEFINED(st->lo + CORO__CANARY_LEN,
	    st->size - reserve - CORO__CANARY_LEN);
#endif
	coro__raw_make(ctx, st->lo, st->size - reserve, fn, arg);
}

void
coro_entered(struct coro_ctx *self)
{
	(void)self;
#if defined(CORO_ASAN)
	/* A fresh stack has no fake stack to restore. */
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
	coro__release_now();
}

#if defined(CORO_ASAN) || defined(CORO_UCONTEXT)
/* The out-of-line transfers; the asm builds inline theirs (coro.h). */
int
coro_handoff(struct coro_ctx *from, struct coro_ctx *to, int val)
{
	coro__leave_check(from);
	coro__current_stack = to->stack;
#if defined(CORO_ASAN)
	const void *bottom;
	size_t size;

	coro__asan_bounds(to, &bottom, &size);
	__sanitizer_start_switch_fiber(&from->asan_fake, bottom, size);
	val = coro__raw_swap(from, to, val);
	__sanitizer_finish_switch_fiber(from->asan_fake, NULL, NULL);
#else
	val = coro__raw_swap(from, to, val);
#endif
	return val;
}

void
coro_transfer(struct coro_ctx *from, struct coro_ctx *to)
{
	(void)coro_handoff(from, to, 0);
	coro__release_now();
}
#endif

void
coro_transfer_exit(struct coro_ctx *from, struct coro_ctx *to,
    struct coro_stack *release)
{
	coro__leave_check(from);
	/* One left by an exit into a coro_handoff (see coro.h): we are off
	 * that stack for good, so it can go now. */
	coro__release_now();
	coro__pending_release = release;
	coro__current_stack = to->stack;
#if defined(CORO_ASAN)
	const void *bottom;
	size_t size;

	coro__asan_bounds(to, &bottom, &size);
	/* NULL: this stack dies, ASan may free its fake stack now. */
	__sanitizer_start_switch_fiber(NULL, bottom, size);
#endif
#if defined(CORO_UCONTEXT)
	(void)coro__raw_swap(from, to, CORO_EXITED);
#else
	/* Restore-only: nothing of a dying context needs saving (not even
	 * its MXCSR, whose stmxcsr alone is 5 ns on this machine's EPYC). */
	coro__jump(to->sp, CORO_EXITED);
#endif
	__builtin_unreachable();
}

#if !defined(CORO_UCONTEXT)
/*
 * Builds, at the top of [lo, lo + size), the frame coro__switch pops: the
 * callee-saved registers with fn and arg where coro__entry looks for them,
 * default FP control state, and coro__entry as the return address.
 */
void
coro__raw_make(struct coro_ctx *ctx, char *lo, size_t size,
    void (*fn)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
	uint64_t *f;

#if defined(__x86_64__)
	/*
	 * 8 slots: [MXCSR|x87 CW] r15 r14 r13 r12 rbx rbp ret.  After the 8
	 * pops rsp = f + 8 slots = top, 16-byte aligned, so coro__entry's call
	 * pushes to the rsp % 16 == 8 a function expects.  Nothing reads
	 * above it: coro__entry passes fn's one argument in a register.  When
	 * top is 64-aligned (the runtime's task struct sits right above it),
	 * the frame is one cache line: the first switch reads no other line
	 * of the new stack.
	 */
	f = (uint64_t *)(top - 8 * 8);
	f[0] = 0x1f80 | ((uint64_t)0x037f << 32);  /* MXCSR and x87 CW at reset */
	f[1] = 0;				/* r15 */
	f[2] = 0;				/* r14 */
	f[3] = (uintptr_t)arg;			/* r13: coro__entry's argument */
	f[4] = (uintptr_t)fn;			/* r12: coro__entry calls it */
	f[5] = 0;				/* rbx */
	f[6] = 0;				/* rbp = 0 ends frame-pointer walks */
	f[7] = (uintptr_t)coro__entry;		/* popped and jumped to */
#elif defined(__aarch64__)
	/* 22 slots (176 bytes) as laid out in switch-aarch64.S. */
	f = (uint64_t *)(top - 176);
	memset(f, 0, 176);
	f[0] = (uintptr_t)fn;			/* x19 */
	f[1] = (uintptr_t)arg;			/* x20 */
	f[11] = (uintptr_t)coro__entry;		/* x30: br target */
	f[20] = 0;				/* FPCR: round to nearest */
#else
#error "no context switch for this CPU: configure --with-context=ucontext"
#endif
	ctx->sp = f;
}
#endif
