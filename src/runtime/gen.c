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
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "rt-int.h"

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
	void			*xfer;		/* value crossing a switch */
	enum gen_state		 state;
	int			 closing;
	struct rt_gen		*outer;		/* gen_current before us */
};

static void
gen_main(void *p)
{
	struct rt_gen *g = p;

	coro_entered(&g->ctx);
	g->xfer = g->fn(g, g->arg);
	g->state = GEN_DONE;
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
	coro_ctx_make(&g->ctx, g->stack, 0, gen_main, g);
	return g;
}

int
rt_gen_send(struct rt_gen *g, void *value, void **out)
{
	struct rt__loop *l = rt__loop;

	if (g->state == GEN_DONE || g->state == GEN_RUNNING)
		return -EINVAL;
	g->xfer = g->state == GEN_NEW ? NULL : value;
	g->state = GEN_RUNNING;
	/* Our own stack, for the overflow reporter and ASan's bounds. */
	g->back.stack = coro__current_stack;
	g->outer = l->gen_current;
	l->gen_current = g;
	l->gen_depth++;
	coro_transfer(&g->back, &g->ctx);
	l->gen_depth--;
	l->gen_current = g->outer;
	if (out != NULL)
		*out = g->xfer;
	return g->state == GEN_DONE ? 1 : 0;
}

int
rt_gen_yield(void *value, void **sent)
{
	struct rt_gen *g = rt__loop->gen_current;

	if (g == NULL)
		return -EPERM;
	g->xfer = value;
	g->state = GEN_SUSPENDED;
	coro_transfer(&g->ctx, &g->back);
	/* Resumed by rt_gen_send (state RUNNING again). */
	if (g->closing)
		return -ECANCELED;
	if (sent != NULL)
		*sent = g->xfer;
	return 0;
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
