/*
 * gen.c - generators: Python's generator.send()/yield on a stack of its own.
 *
 * A generator is not a task: the loop never schedules it.  rt_gen_send()
 * transfers from whoever calls it (a task or the main stack) into the
 * generator, and rt_gen_yield() transfers straight back, so a send/yield
 * round trip is two context switches and nothing else.  Generators nest (a
 * generator may drive another); the loop keeps the innermost running one in
 * gen_current, which is how rt_gen_yield finds its generator and how rt__wait
 * refuses to suspend inside one (the loop could not resume it).
 *
 * Each side does the other's bookkeeping before it switches, so that neither
 * has anything left to do once resumed: send stores the value into the
 * yielder's *sent, yield stores its value into the sender's *out and pops
 * gen_current, and the switch itself (coro_handoff) carries the return
 * value.  "return coro_handoff(...)" is then a tail jump into the switch,
 * and a round trip runs no ret, whose prediction a switch always defeats
 * (coro.h).  bench/coro switch_ns, this machine (Zen 3 VM): 25-29 ns
 * before, 8-10 ns after, against a floor_ns of 6.5-7.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "rt-int.h"

_Static_assert(CORO_EXITED == 1, "rt_gen_send returns 1 when finished");

enum gen_state {
	GEN_NEW,
	GEN_SUSPENDED,
	GEN_RUNNING,
	GEN_DONE
};

/* Owned by its creator (rt_gen_new .. rt_gen_free). */
struct rt_gen {
	struct coro_ctx		 ctx;		/* the generator's side */
	struct coro_ctx		 back;		/* whoever sent */
	struct coro_stack	*stack;
	rt_gen_fn		 fn;
	void			*arg;
	void			**out;		/* the suspended sender's out */
	void			**sent;		/* the suspended yielder's sent */
	enum gen_state		 state;
	int			 closing;
	struct rt_gen		*outer;		/* gen_current before us */
};

/* Ends the send that resumed g last: pops it off gen_current. */
static inline void
rt__gen_leave(struct rt__loop *l, struct rt_gen *g, void *value)
{
	if (g->out != NULL)
		*g->out = value;
	l->gen_current = g->outer;
}

static void
rt__gen_main(void *p)
{
	struct rt_gen *g = p;
	void *ret;

	coro_entered(&g->ctx);
	ret = g->fn(g, g->arg);
	g->state = GEN_DONE;
	rt__gen_leave(rt__loop, g, ret);
	/* rt_gen_send returns CORO_EXITED: 1, "finished", as rt.h says. */
	coro_transfer_exit(&g->ctx, &g->back, NULL);
}

struct rt_gen *
rt_gen_new(rt_gen_fn fn, void *arg, size_t stack_size)
{
	struct rt_gen *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->stack = coro_stack_get(stack_size != 0 ? stack_size :
	    rt__loop->stack_size);
	if (g->stack == NULL) {
		free(g);
		return NULL;
	}
	g->stack->name = "generator";
	g->fn = fn;
	g->arg = arg;
	coro_ctx_make(&g->ctx, g->stack, 0, rt__gen_main, g);
	return g;
}

int
rt_gen_send(struct rt_gen *g, void *value, void **out)
{
	struct rt__loop *l = rt__loop;

	if (g->state == GEN_DONE || g->state == GEN_RUNNING)
		return -EINVAL;
	/* A new generator has no yield to receive value (Python's send
	 * requires None first); a closing one's yield returns -ECANCELED and
	 * leaves its *sent alone. */
	if (g->sent != NULL && !g->closing)
		*g->sent = value;
	g->out = out;
	g->state = GEN_RUNNING;
	/* Our own stack, for the overflow reporter, the canary check of the
	 * switch below and ASan's bounds. */
	coro_ctx_on_current_stack(&g->back);
	g->outer = l->gen_current;
	l->gen_current = g;
	/* Returns 0 from rt_gen_yield, CORO_EXITED (1) from rt__gen_main. */
	return coro_handoff(&g->back, &g->ctx, g->closing ? -ECANCELED : 0);
}

int
rt_gen_yield(void *value, void **sent)
{
	struct rt__loop *l = rt__loop;
	struct rt_gen *g = l->gen_current;

	if (g == NULL)
		return -EPERM;
	g->sent = sent;
	g->state = GEN_SUSPENDED;
	rt__gen_leave(l, g, value);
	/* rt_gen_send hands 0, or -ECANCELED when closing us. */
	return coro_handoff(&g->ctx, &g->back, 0);
}

int
rt_gen_close(struct rt_gen *g)
{
	switch (g->state) {
	case GEN_NEW:
		g->state = GEN_DONE;
		return 0;
	case GEN_DONE:
		return 0;
	case GEN_RUNNING:
		return -EINVAL;
	case GEN_SUSPENDED:
		break;
	}
	g->closing = 1;
	(void)rt_gen_send(g, NULL, NULL);
	if (g->state != GEN_DONE) {
		/* Python raises "generator ignored GeneratorExit"; we abandon
		 * it: its stack is reclaimed by rt_gen_free. */
		g->state = GEN_DONE;
		return -EINVAL;
	}
	return 0;
}

int
rt_gen_finished(const struct rt_gen *g)
{
	return g->state == GEN_DONE;
}

void
rt_gen_free(struct rt_gen *g)
{
	if (g == NULL)
		return;
	if (g->state == GEN_SUSPENDED)
		(void)rt_gen_close(g);
	coro_stack_put(g->stack);
	free(g);
}
