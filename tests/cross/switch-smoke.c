/*
 * switch-smoke.c - the coro layer alone, for a CPU we cannot run natively.
 *
 * tests/cross/aarch64.sh builds this with the aarch64 cross compiler and
 * runs it under qemu-user, so that switch-aarch64.S is exercised on every CI
 * run although the machine is x86-64.  It checks what a switch must keep:
 * values live across switches (callee-saved general and FP registers, which
 * the optimiser keeps in registers here) and the FP control state, which is
 * per context: the coroutine rounds upward, main to nearest, each keeps its
 * own across a thousand switches.
 */
#include "config.h"

#include <fenv.h>
#include <stdio.h>
#include <stdlib.h>

#include "coro.h"

static struct coro_ctx	 main_ctx, co_ctx;
static volatile long	 steps;

static void
body(void *arg)
{
	double acc = *(double *)arg;
	int i;

	coro_entered(&co_ctx);
	if (fesetround(FE_UPWARD) != 0)
		abort();
	for (i = 0; i < 1000; i++) {
		acc = acc * 1.000001 + 1.0;
		steps++;
		coro_transfer(&co_ctx, &main_ctx);
		if (fegetround() != FE_UPWARD) {
			printf("FAIL: the coroutine lost its rounding mode\n");
			exit(1);
		}
	}
	*(double *)arg = acc;
	coro_transfer_exit(&co_ctx, &main_ctx, NULL);
}

int
main(void)
{
	struct coro_stack *st;
	double x = 1.0, local = 3.0;
	long sum = 0;
	int i;

	if ((st = coro_stack_get(0)) == NULL) {
		printf("FAIL: %s\n", coro_stack_error());
		return 1;
	}
	coro_ctx_init_main(&main_ctx);
	coro_ctx_make(&co_ctx, st, 0, body, &x);
	for (i = 0; i <= 1000; i++) {
		local = local * 1.5 - 1.0;
		sum += i;
		coro_transfer(&main_ctx, &co_ctx);
		if (fegetround() != FE_TONEAREST) {
			printf("FAIL: main's rounding mode changed\n");
			return 1;
		}
	}
	coro_stack_put(st);
	/* x: 1000 steps of acc*1.000001+1 from 1.0; local and sum: live
	 * values of main that must have survived every switch. */
	if (steps != 1000 || sum != 500500 || x < 1001.5 || x > 1001.6 ||
	    local < 1.8e176 || local > 1.9e176) {
		printf("FAIL: steps=%ld sum=%ld x=%f local=%g\n", steps, sum,
		    x, local);
		return 1;
	}
	printf("ok: 2002 switches, registers and FP control state kept\n");
	return 0;
}
