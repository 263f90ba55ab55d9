/*
 * coro-regs.S - for test-coro-switch.c: calls a switch with every
 * callee-saved register holding a known value, and records what they hold
 * when the switch returns.
 *
 * void coro_test_regs_call(const uint64_t *pat, uint64_t *seen,
 *     void *fn, void *a0, void *a1, long a2)
 *
 * Loads pat[] into the callee-saved registers, calls fn(a0, a1, a2) (the raw
 * coro__switch, or the out-of-line coro_handoff of the ASan and ucontext
 * builds), stores the registers into seen[] and returns with the caller's
 * own restored.  In assembly because a C caller leaves it to the compiler
 * which values sit in callee-saved registers across the call: none at -O0,
 * so a switch that lost one went unnoticed there.
 *
 *   x86-64   rbx rbp r12 r13 r14 r15                     6 words
 *   aarch64  x19-x28, x29 (fp), then d8-d15              19 words
 */
#if defined(__x86_64__)
	.text
	.globl	coro_test_regs_call
	.type	coro_test_regs_call, @function
	.p2align 4
coro_test_regs_call:			/* rdi pat, rsi seen, rdx fn, rcx a0,
					   r8 a1, r9 a2 */
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rsi			/* seen; 7 pushes: rsp % 16 == 0 */
	movq	%rdi, %r10
	movq	%rdx, %rax
	movq	%rcx, %rdi
	movq	%r8, %rsi
	movq	%r9, %rdx
	movq	0(%r10), %rbx
	movq	8(%r10), %rbp
	movq	16(%r10), %r12
	movq	24(%r10), %r13
	movq	32(%r10), %r14
	movq	40(%r10), %r15
	callq	*%rax
	movq	(%rsp), %r10
	movq	%rbx, 0(%r10)
	movq	%rbp, 8(%r10)
	movq	%r12, 16(%r10)
	movq	%r13, 24(%r10)
	movq	%r14, 32(%r10)
	movq	%r15, 40(%r10)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	coro_test_regs_call, .-coro_test_regs_call
	.section .note.GNU-stack, "", @progbits

#elif defined(__aarch64__)
	.text
	.globl	coro_test_regs_call
	.type	coro_test_regs_call, %function
	.p2align 4
coro_test_regs_call:			/* x0 pat, x1 seen, x2 fn, x3 a0,
					   x4 a1, x5 a2 */
	stp	x29, x30, [sp, #-176]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	str	x1, [sp, #160]		/* seen */
	mov	x9, x0
	mov	x10, x2
	mov	x0, x3
	mov	x1, x4
	mov	x2, x5
	ldp	x19, x20, [x9, #0]
	ldp	x21, x22, [x9, #16]
	ldp	x23, x24, [x9, #32]
	ldp	x25, x26, [x9, #48]
	ldp	x27, x28, [x9, #64]
	ldr	x29, [x9, #80]
	ldp	d8, d9, [x9, #88]
	ldp	d10, d11, [x9, #104]
	ldp	d12, d13, [x9, #120]
	ldp	d14, d15, [x9, #136]
	blr	x10
	ldr	x9, [sp, #160]
	stp	x19, x20, [x9, #0]
	stp	x21, x22, [x9, #16]
	stp	x23, x24, [x9, #32]
	stp	x25, x26, [x9, #48]
	stp	x27, x28, [x9, #64]
	str	x29, [x9, #80]
	stp	d8, d9, [x9, #88]
	stp	d10, d11, [x9, #104]
	stp	d12, d13, [x9, #120]
	stp	d14, d15, [x9, #136]
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	ldp	x29, x30, [sp], #176
	ret
	.size	coro_test_regs_call, .-coro_test_regs_call
	.section .note.GNU-stack, "", %progbits
#endif
