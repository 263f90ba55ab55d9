/*
 * switch-x86_64.S - the context switch for x86-64 (System V ABI).
 *
 * int coro__switch(void **from_sp, void *to_sp, int val)
 *
 * A context is just a stack pointer: everything worth keeping is pushed on
 * the stack being left, and popped from the stack being entered.  What has
 * to be kept is exactly what the ABI makes callee-saved, because the caller
 * of coro__switch already assumes every other register is clobbered by the
 * call:
 *
 *   rbx rbp r12 r13 r14 r15   callee-saved general registers (psABI 3.2.1)
 *   MXCSR control bits        "callee-saved" per psABI 3.2.3: rounding
 *                             mode, flush-to-zero, exception masks
 *   x87 control word          likewise callee-saved (precision, rounding)
 *   rsp                       stored in *from_sp
 *
 * val (edx; all of rdx is copied, the upper half is don't-care) is handed
 * over in rax: on the resumed side, the coro__switch
 * call that suspended it returns val (a fresh context ignores it).
 *
 * Not saved: rax rcx rdx rsi rdi r8-r11 (caller-saved), xmm0-15 (all
 * caller-saved on System V), the x87 and MXCSR status flags (not preserved
 * across calls), and the signal mask (shared by every task of the process;
 * saving it is what makes swapcontext() cost a system call per switch).
 *
 * The return goes through "pop; jmp *reg" and not "ret": the CPU predicts a
 * ret from its return stack buffer, which holds the caller of *this* stack,
 * so a ret into another stack mispredicts on every single switch.  Measured
 * on this machine's Zen 5: 9.7 ns per switch with jmp, 17.3 ns with ret
 * (../shared/research/coroutine-runtime.md, table 1a).
 *
 * Frame layout at a saved rsp, lowest address first (8 bytes each):
 *   [MXCSR | x87 CW] r15 r14 r13 r12 rbx rbp return-address
 * coro_ctx_make() in coro.c builds the same frame for a fresh stack.
 */

	.text
	.globl	coro__switch
	.hidden	coro__switch		/* libasyncd exports only its public API */
	.type	coro__switch, @function
	.p2align 4
coro__switch:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	pushq	%r14
	.cfi_adjust_cfa_offset 8
	pushq	%r15
	.cfi_adjust_cfa_offset 8
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	stmxcsr	(%rsp)			/* 32-bit MXCSR in the low half */
	fnstcw	4(%rsp)			/* 16-bit x87 control word above it */

	movq	%rsp, (%rdi)		/* *from_sp = rsp: the old side is saved */
	movq	%rsi, %rsp		/* from here on we are on the new stack */

	/*
	 * Loaded unconditionally: comparing first costs more than it saves
	 * (8.0 vs 6.3 ns here), since the compare needs the stored slot read
	 * back whole right after two narrower stores, which defeats store
	 * forwarding.
	 */
.Lrestore:				/* coro__jump joins here */
	ldmxcsr	(%rsp)
	fldcw	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	movq	%rdx, %rax		/* val: the resumed side's return value */
	popq	%rcx			/* return address; rcx is caller-saved
					   and carries no return value */
	jmpq	*%rcx			/* not ret: see the top of the file */
	.cfi_endproc
	.size	coro__switch, .-coro__switch

/*
 * void coro__jump(void *to_sp, int val)
 *
 * The second half of coro__switch alone, for a context that dies
 * (coro_transfer_exit): nothing of it is worth saving, neither its
 * registers nor its FP control state.  That skips the stmxcsr, 5 ns on this
 * machine's EPYC (microcoded), of every task's last switch.
 */
	.globl	coro__jump
	.hidden	coro__jump		/* libasyncd exports only its public API */
	.type	coro__jump, @function
	.p2align 4
coro__jump:
	.cfi_startproc
	movq	%rdi, %rsp		/* the dead stack is left for good */
	/* For unwinders: rsp is now at the target's saved frame, whose
	 * return address is its last slot (rsp + 56). */
	.cfi_def_cfa_offset 64
	.cfi_offset rbp, -16
	.cfi_offset rbx, -24
	.cfi_offset r12, -32
	.cfi_offset r13, -40
	.cfi_offset r14, -48
	.cfi_offset r15, -56
	movl	%esi, %edx		/* val where .Lrestore hands it over */
	jmp	.Lrestore
	.cfi_endproc
	.size	coro__jump, .-coro__jump

/*
 * The first "return" into a fresh context lands here, with r12 = fn and
 * r13 = arg placed by coro_ctx_make().  rsp is 16-byte aligned at this point
 * (coro_ctx_make arranges it), so the call below gives fn the rsp % 16 == 8
 * that every function expects on entry.  fn never returns; ud2 traps if it
 * does.  ".cfi_undefined rip" tells gdb and libunwind that there is no
 * caller: backtraces of a task end here instead of wandering into garbage.
 */
	.globl	coro__entry
	.hidden	coro__entry		/* libasyncd exports only its public API */
	.type	coro__entry, @function
	.p2align 4
coro__entry:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r13, %rdi
	callq	*%r12
	ud2
	.cfi_endproc
	.size	coro__entry, .-coro__entry

	.section .note.GNU-stack, "", @progbits
