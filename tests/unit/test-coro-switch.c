/*
 * test-coro-switch.c - coro.c and the switch backends: making a context,
 * transferring into it and back, what a switch must preserve (callee-saved
 * registers, the FP control state of each side), the reserved top of a
 * stack, and coro_transfer_exit handing the dying stack back to the pool.
 *
 * No runtime here: the contexts are driven by hand from the test's own
 * stack, as the runtime's loop does.
 */
#include "config.h"

#include <fenv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coro.h"

static struct coro_ctx	 main_ctx, co_ctx;
static intptr_t		 xfer;		/* the value crossing each switch */

/* ---- ping-pong ------------------------------------------------------- */

static intptr_t pp_arg;
static int pp_rounds;
static struct coro_stack *pp_current;

static void
pingpong_fn(void *arg)
{
	coro_entered(&co_ctx);
	pp_arg = (intptr_t)arg;
	pp_current = coro__current_stack;
	for (;;) {
		if (xfer < 0)
			break;
		xfer = xfer * 3 + 1;	/* the reply depends on the request */
		pp_rounds++;
		coro_transfer(&co_ctx, &main_ctx);
	}
	coro_transfer_exit(&co_ctx, &main_ctx, NULL);
}

static void
test_switch_ping_pong_passes_values(void **state)
{
	struct coro_stack *st;
	intptr_t i;

	(void)state;
	assert_non_null(st = coro_stack_get(0));
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, 0, pingpong_fn, (void *)(intptr_t)0x5eed);
	pp_rounds = 0;
	for (i = 0; i < 1000; i++) {
		xfer = i;
		coro_transfer(&main_ctx, &co_ctx);
		assert_int_equal(xfer, i * 3 + 1);
	}
	assert_int_equal(pp_arg, 0x5eed);
	assert_int_equal(pp_rounds, 1000);
	xfer = -1;
	coro_transfer(&main_ctx, &co_ctx);	/* lets it exit */
	assert_int_equal(pp_rounds, 1000);
	coro_stack_put(st);
}

/* ---- callee-saved registers ------------------------------------------ */

/*
 * Twelve values kept live across every switch: more than any ABI has
 * caller-saved spare registers for, so an optimising compiler keeps most of
 * them in callee-saved ones (rbx rbp r12-r15, x19-x28).  The other side runs
 * the same kind of computation with different seeds, so it clobbers the same
 * registers; a switch that failed to restore one changes the final hash.
 * Only a whole-program check, and at -O0 (every local on the stack) none:
 * test_switch_keeps_each_callee_saved_register below is the exact one.
 */
static uint64_t __attribute__((noinline))
mix(uint64_t seed, int rounds, int do_switch, struct coro_ctx *self,
    struct coro_ctx *other)
{
	uint64_t a = seed, b = seed ^ 0x9e3779b97f4a7c15ULL, c = seed * 3,
	    d = seed + 7, e = ~seed, f = seed << 3, g = seed >> 5,
	    h = seed * 0x2545f4914f6cdd1dULL, i = seed ^ 0xdeadbeef,
	    j = seed + 0x1234567, k = seed * 11, m = seed ^ (seed >> 17);
	int r;

	for (r = 0; r < rounds; r++) {
		a += b ^ (c << 1); b += c ^ (d >> 3); c += d ^ (e << 5);
		d += e ^ (f >> 7); e += f ^ (g << 11); f += g ^ (h >> 13);
		g += h ^ (i << 17); h += i ^ (j >> 19); i += j ^ (k << 23);
		j += k ^ (m >> 29); k += m ^ (a << 31); m += a ^ (b >> 37);
		if (do_switch)
			coro_transfer(self, other);
	}
	return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ i ^ j ^ k ^ m;
}

static uint64_t co_hash;

static void
clobber_fn(void *arg)
{
	coro_entered(&co_ctx);
	(void)arg;
	/* One switch back per round of main's mix(), plus one to finish. */
	co_hash = mix(0xfeedface, 200, 1, &co_ctx, &main_ctx);
	coro_transfer_exit(&co_ctx, &main_ctx, NULL);
}

static void
test_switch_preserves_callee_saved_registers(void **state)
{
	struct coro_stack *st;
	uint64_t want_main, want_co, got;

	(void)state;
	want_main = mix(0x12345, 200, 0, NULL, NULL);
	want_co = mix(0xfeedface, 200, 0, NULL, NULL);
	assert_non_null(st = coro_stack_get(0));
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, 0, clobber_fn, NULL);
	co_hash = 0;
	/* 200 switches into co; its 200th switch back ends our loop, and one
	 * more transfer lets it finish. */
	got = mix(0x12345, 200, 1, &main_ctx, &co_ctx);
	coro_transfer(&main_ctx, &co_ctx);
	assert_int_equal(got, want_main);
	assert_int_equal(co_hash, want_co);
	coro_stack_put(st);
}

/*
 * The same, register by register and at any optimisation level: each side
 * switches through coro_test_regs_call (coro-regs.S), which fills every
 * callee-saved register with its side's pattern just before the switch and
 * records them when the switch returns.  The two sides' patterns differ, so
 * a register the switch fails to save or restore comes back holding the
 * other side's value (or the switch's own scratch).  The asm builds call the
 * raw coro__switch, so nothing in C can restore a register it lost; the
 * ASan and ucontext builds call their out-of-line coro_handoff, whose own
 * prologue may hide a loss in a register it saves itself.
 */
#if defined(__x86_64__) || defined(__aarch64__)
#if defined(__x86_64__)
#define NREGS	6
static const char *const reg_names[NREGS] = {
	"rbx", "rbp", "r12", "r13", "r14", "r15"
};
#else
#define NREGS	19
static const char *const reg_names[NREGS] = {
	"x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
	"x29", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15"
};
#endif

void	coro_test_regs_call(const uint64_t *pat, uint64_t *seen,
	    void (*fn)(void), void *a0, void *a1, long a2);

static uint64_t	 main_pat[NREGS], co_pat[NREGS], co_seen[NREGS];
static int	 co_bad_reg, co_regs_rounds;

/* from -> to with every callee-saved register set to pat; seen[] gets
 * them as they are when from is resumed. */
static void
regs_switch(const uint64_t *pat, uint64_t *seen, struct coro_ctx *from,
    struct coro_ctx *to)
{
#if defined(CORO_ASAN) || defined(CORO_UCONTEXT)
	coro_test_regs_call(pat, seen, (void (*)(void))coro_handoff, from, to,
	    0);
#else
	/* What the inline coro_transfer does around the raw switch. */
	coro__leave_check(from);
	coro__current_stack = to->stack;
	coro_test_regs_call(pat, seen, (void (*)(void))coro__switch,
	    &from->sp, to->sp, 0);
#endif
}

static void
regs_fn(void *arg)
{
	int r, i;

	coro_entered(&co_ctx);
	(void)arg;
	for (r = 0; r < 3; r++) {
		regs_switch(co_pat, co_seen, &co_ctx, &main_ctx);
		for (i = 0; i < NREGS; i++)
			if (co_seen[i] != co_pat[i] && co_bad_reg < 0)
				co_bad_reg = i;
		co_regs_rounds++;
	}
	coro_transfer_exit(&co_ctx, &main_ctx, NULL);
}

static void
test_switch_keeps_each_callee_saved_register(void **state)
{
	struct coro_stack *st;
	uint64_t seen[NREGS];
	int r, i;

	(void)state;
	for (i = 0; i < NREGS; i++) {
		main_pat[i] = 0x0101010101010101ULL * (uint64_t)(i + 1) ^
		    0xa500000000000000ULL;
		co_pat[i] = ~main_pat[i];
	}
	co_bad_reg = -1;
	co_regs_rounds = 0;
	assert_non_null(st = coro_stack_get(0));
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, 0, regs_fn, NULL);
	/* Three round trips; the fourth switch lets co finish, and its
	 * coro_transfer_exit must restore ours as well. */
	for (r = 0; r < 4; r++) {
		memset(seen, 0, sizeof(seen));
		regs_switch(main_pat, seen, &main_ctx, &co_ctx);
		for (i = 0; i < NREGS; i++)
			if (seen[i] != main_pat[i])
				fail_msg("main, switch %d: %s is %#llx, not "
				    "%#llx", r, reg_names[i],
				    (unsigned long long)seen[i],
				    (unsigned long long)main_pat[i]);
	}
	assert_int_equal(co_regs_rounds, 3);
	if (co_bad_reg >= 0)
		fail_msg("coroutine: %s lost across a switch",
		    reg_names[co_bad_reg]);
	coro_stack_put(st);
}
#endif /* __x86_64__ || __aarch64__ */

/* ---- FP control state ------------------------------------------------ */

static int co_round_seen[2];
static double co_third;

/* 1/3 is inexact, so the rounding mode changes its last bit. */
static double
third(void)
{
	volatile double one = 1.0, three = 3.0;

	return one / three;
}

static void
fp_fn(void *arg)
{
	coro_entered(&co_ctx);
	(void)arg;
	co_round_seen[0] = fegetround();	/* what a fresh context gets */
	(void)fesetround(FE_UPWARD);
	coro_transfer(&co_ctx, &main_ctx);
	/* Main set FE_DOWNWARD meanwhile: we must have ours back. */
	co_round_seen[1] = fegetround();
	co_third = third();
	coro_transfer_exit(&co_ctx, &main_ctx, NULL);
}

static void
test_switch_keeps_rounding_mode_per_context(void **state)
{
	struct coro_stack *st;
	double up, down, near;
	int main_round, arith;

	(void)state;
	near = third();
	(void)fesetround(FE_UPWARD);
	up = third();
	(void)fesetround(FE_DOWNWARD);
	down = third();
	(void)fesetround(FE_TONEAREST);
	/* Valgrind keeps the control words but computes SSE arithmetic in
	 * round-to-nearest whatever they say: then only fegetround() can
	 * tell the modes apart. */
	arith = up > down;
	if (!arith)
		print_message("rounding mode has no effect on arithmetic here "
		    "(valgrind?): checking the control words only\n");

	assert_non_null(st = coro_stack_get(0));
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, 0, fp_fn, NULL);
	coro_transfer(&main_ctx, &co_ctx);
	/* co set FE_UPWARD and switched away: ours is untouched. */
	main_round = fegetround();
	if (arith)
		assert_true(third() == near);
	(void)fesetround(FE_DOWNWARD);
	coro_transfer(&main_ctx, &co_ctx);
	/* And main gets FE_DOWNWARD back after co ran with FE_UPWARD. */
	assert_int_equal(fegetround(), FE_DOWNWARD);
	if (arith)
		assert_true(third() == down);
	(void)fesetround(FE_TONEAREST);
	coro_stack_put(st);

	assert_int_equal(co_round_seen[0], FE_TONEAREST);
	assert_int_equal(main_round, FE_TONEAREST);
	assert_int_equal(co_round_seen[1], FE_UPWARD);
	if (arith)
		assert_true(co_third == up);
}

/* ---- reserve --------------------------------------------------------- */

static void
deep_fn(void *arg)
{
	volatile char buf[8192];

	coro_entered(&co_ctx);
	(void)arg;
	memset((char *)buf, 0x55, sizeof(buf));
	coro_transfer_exit(&co_ctx, &main_ctx, NULL);
}

static void
test_switch_leaves_reserved_top_untouched(void **state)
{
	struct coro_stack *st;
	const size_t reserve = 200;	/* rounded up to 208 */
	unsigned char *top;
	size_t i;

	(void)state;
	/*
	 * A fresh mapping, not a pooled stack: memcheck marks what lay below
	 * a previous context's last stack pointer as inaccessible, and a
	 * frame made lower than before (a larger reserve) on a recycled
	 * stack then reads as an invalid write (coro_ctx_make does not tell
	 * valgrind the stack is fresh).
	 */
	coro_stack_pool_drain();
	assert_non_null(st = coro_stack_get(0));
	top = (unsigned char *)st->lo + st->size - 208;
	memset(top, 0xa5, 208);
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, reserve, deep_fn, NULL);
	coro_transfer(&main_ctx, &co_ctx);
	for (i = 0; i < 208; i++)
		if (top[i] != 0xa5)
			fail_msg("reserved byte %zu of 208 overwritten", i);
	coro_stack_put(st);
}

/* ---- transfer_exit ----------------------------------------------------- */

static size_t in_use_inside;

static void
exit_fn(void *arg)
{
	struct coro_stack *self = arg;

	coro_entered(&co_ctx);
	in_use_inside = coro_stack_in_use();
	coro_transfer_exit(&co_ctx, &main_ctx, self);
}

static void
test_transfer_exit_returns_stack_to_pool(void **state)
{
	struct coro_stack *st;
	size_t in_use0, pooled0;

	(void)state;
	in_use0 = coro_stack_in_use();
	pooled0 = coro_stack_pooled();
	assert_non_null(st = coro_stack_get(0));
	/* A fresh mapping or one from the pool: either way one more out. */
	assert_int_equal(coro_stack_in_use(), in_use0 + 1);
	pooled0 = coro_stack_pooled();
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, 0, exit_fn, st);
	coro_transfer(&main_ctx, &co_ctx);
	assert_int_equal(in_use_inside, in_use0 + 1);
	assert_int_equal(coro_stack_in_use(), in_use0);
	assert_int_equal(coro_stack_pooled(), pooled0 + 1);
	/* And it is the very stack the next get hands out. */
	assert_ptr_equal(coro_stack_get(0), st);
	coro_stack_put(st);
}

static void
test_transfer_exit_without_release_keeps_stack(void **state)
{
	struct coro_stack *st;
	size_t in_use0;

	(void)state;
	in_use0 = coro_stack_in_use();
	assert_non_null(st = coro_stack_get(0));
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, 0, deep_fn, NULL);
	coro_transfer(&main_ctx, &co_ctx);
	assert_int_equal(coro_stack_in_use(), in_use0 + 1);
	coro_stack_put(st);
	assert_int_equal(coro_stack_in_use(), in_use0);
}

static void
test_transfer_tracks_current_stack(void **state)
{
	struct coro_stack *st;

	(void)state;
	assert_non_null(st = coro_stack_get(0));
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, 0, pingpong_fn, NULL);
	xfer = 1;
	pp_current = NULL;
	coro_transfer(&main_ctx, &co_ctx);
	assert_ptr_equal(pp_current, st);
	/* Back on the thread's own stack. */
	assert_null(coro__current_stack);
	xfer = -1;
	coro_transfer(&main_ctx, &co_ctx);
	assert_null(coro__current_stack);
	coro_stack_put(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_ping_pong_passes_values),
		cmocka_unit_test(test_switch_preserves_callee_saved_registers),
#if defined(__x86_64__) || defined(__aarch64__)
		cmocka_unit_test(test_switch_keeps_each_callee_saved_register),
#endif
		cmocka_unit_test(test_switch_keeps_rounding_mode_per_context),
		cmocka_unit_test(test_switch_leaves_reserved_top_untouched),
		cmocka_unit_test(test_transfer_exit_returns_stack_to_pool),
		cmocka_unit_test(test_transfer_exit_without_release_keeps_stack),
		cmocka_unit_test(test_transfer_tracks_current_stack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
