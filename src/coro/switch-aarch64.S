/*
 * switch-aarch64.S - the context switch for aarch64 (AAPCS64).
 *
 * int coro__switch(void **from_sp, void *to_sp, int val)
 *
 * Same design as switch-x86_64.S: the old context's callee-saved state is
 * stored on its own stack, the stack pointer goes to *from_sp, and the new
 * context's state is loaded from to_sp.  AAPCS64 makes these callee-saved:
 *
 *   x19-x28        general registers (AAPCS64 6.1.1)
 *   x29 (fp)       frame pointer
 *   x30 (lr)       our return address: where the resumed side continues
 *   d8-d15         the low 64 bits of v8-v15 (AAPCS64 6.1.2; the upper
 *                  halves and v0-v7, v16-v31 are caller-saved)
 *   FPCR           rounding mode and flush-to-zero: callee-saved state
 *   sp             stored in *from_sp
 *
 * val (w2; all of x2 is copied, the upper half is don't-care) is handed
 * over in x0: on the resumed side, the coro__switch call
 * that suspended it returns val (a fresh context ignores it).
 *
 * Not saved: x0-x18 (caller-saved or platform register), FPSR (status
 * flags, not preserved across calls), the signal mask.
 *
 * The resumed side is entered with "br x30", not "ret": ret pops the
 * return-address predictor, which holds the caller from the *old* stack, so
 * it would mispredict on every switch, exactly as on x86-64.  FPCR is written
 * only when it differs: an msr to FPCR is serialising on several cores, and
 * tasks almost never change it.
 *
 * Frame layout at a saved sp (176 bytes, a multiple of 16 as sp requires):
 *   0 x19 x20 | 16 x21 x22 | 32 x23 x24 | 48 x25 x26 | 64 x27 x28
 *   80 x29 x30 | 96 d8 d9 | 112 d10 d11 | 128 d12 d13 | 144 d14 d15
 *   160 FPCR | 168 padding
 */

	.text
	.globl	coro__switch
	.hidden	coro__switch		/* libasyncd exports only its public API */
	.type	coro__switch, %function
	.p2align 4
coro__switch:
	.cfi_startproc
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mrs	x9, fpcr
	str	x9, [sp, #160]

	mov	x10, sp
	str	x10, [x0]		/* *from_sp = sp: the old side is saved */
	mov	sp, x1			/* from here on we are on the new stack */

.Lrestore:				/* coro__jump joins here, x9 = FPCR */
	ldr	x10, [sp, #160]
	cmp	x9, x10			/* x9 still holds the current FPCR */
	b.eq	1f
	msr	fpcr, x10
1:	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #176
	mov	x0, x2			/* val: the resumed side's return value */
	br	x30			/* not ret: see the top of the file */
	.cfi_endproc
	.size	coro__switch, .-coro__switch

/*
 * void coro__jump(void *to_sp, int val)
 *
 * The second half of coro__switch alone, for a context that dies
 * (coro_transfer_exit): nothing of it is worth saving.
 */
	.globl	coro__jump
	.hidden	coro__jump		/* libasyncd exports only its public API */
	.type	coro__jump, %function
	.p2align 4
coro__jump:
	.cfi_startproc
	mov	sp, x0			/* the dead stack is left for good */
	/* For unwinders: sp is now at the target's saved frame. */
	.cfi_def_cfa_offset 176
	.cfi_offset x29, -96
	.cfi_offset x30, -88
	mov	x2, x1			/* val where .Lrestore hands it over */
	mrs	x9, fpcr		/* compared by .Lrestore */
	b	.Lrestore
	.cfi_endproc
	.size	coro__jump, .-coro__jump

/*
 * The first switch into a fresh context lands here (x30 = coro__entry), with
 * x19 = fn and x20 = arg placed by coro_ctx_make().  fn never returns; brk
 * traps if it does.  ".cfi_undefined x30" marks the end of the call chain for
 * debuggers' backtraces.
 */
	.globl	coro__entry
	.hidden	coro__entry		/* libasyncd exports only its public API */
	.type	coro__entry, %function
	.p2align 4
coro__entry:
	.cfi_startproc
	.cfi_undefined x30
	mov	x0, x20
	blr	x19
	brk	#0
	.cfi_endproc
	.size	coro__entry, .-coro__entry

	.section .note.GNU-stack, "", %progbits
