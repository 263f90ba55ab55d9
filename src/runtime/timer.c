/*
 * timer.c - the deadlines of waiting tasks: one binary heap, one ev_timer.
 *
 * Every wait with a limit puts its task in a min-heap ordered by (deadline,
 * sequence number); a single libev timer is armed for the heap's top.  Why
 * not one ev_timer per task: libev's heap does not keep the order of equal
 * deadlines (three tasks that called rt_sleep(1) in one iteration, back
 * when deadlines came from libev's cached ev_now, woke A, C, B), and equal
 * deadlines still happen within the clock's resolution.  asyncio wakes them
 * A, B, C, and our ready queue promises FIFO order, so ties break by arming
 * order here.  Deadlines are on rt__now()'s monotonic clock.
 *
 * The heap array grows by doubling and never shrinks: no allocation in a
 * steady state.  Each task records its slot, and the slot the task's heap
 * position, so removal (a wait ended by its primitive or by cancellation)
 * is O(log n).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "rt-int.h"

/* libev's clock and ours are read at different instants: a task whose
 * deadline is this close is due (asyncio's clock_resolution). */
#define DUE_SLACK	1e-6

/*
 * A 4-ary heap whose nodes carry their own key, and whose positions are
 * kept in a dense slot table rather than in the tasks.  Every task struct
 * sits on its own stack page, so a heap that compared deadlines through
 * task pointers, or recorded each moved node's position in its task, paid
 * a cache and TLB miss per level: with 10,000 connections sleeping in the
 * 0.5 s app, rt__timer_del was 7% of a worker's CPU (bench/http
 * delay10000, perf), then 5% with keys in the nodes but positions in the
 * tasks.  Four children per node halve the depth and sit in adjacent cache
 * lines (libev's 4-heap does the same).
 */
#define ARITY	4

static int
rt__earlier(const struct rt__heap_node *a, const struct rt__heap_node *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	return a->seq < b->seq;
}

static void
rt__heap_set(struct rt__loop *l, size_t i, const struct rt__heap_node *n)
{
	l->heap[i] = *n;
	l->slots[n->slot].idx = i;
}

static void
rt__sift_up(struct rt__loop *l, size_t i)
{
	struct rt__heap_node n = l->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / ARITY;
		if (!rt__earlier(&n, &l->heap[parent]))
			break;
		rt__heap_set(l, i, &l->heap[parent]);
		i = parent;
	}
	rt__heap_set(l, i, &n);
}

static void
rt__sift_down(struct rt__loop *l, size_t i)
{
	struct rt__heap_node n = l->heap[i];
	size_t c, end, best;

	for (;;) {
		c = ARITY * i + 1;
		if (c >= l->heap_len)
			break;
		end = c + ARITY < l->heap_len ? c + ARITY : l->heap_len;
		for (best = c++; c < end; c++)
			if (rt__earlier(&l->heap[c], &l->heap[best]))
				best = c;
		if (!rt__earlier(&l->heap[best], &n))
			break;
		rt__heap_set(l, i, &l->heap[best]);
		i = best;
	}
	rt__heap_set(l, i, &n);
}

/* Arms (or stops) the loop's one timer for the heap's top. */
static void
rt__rearm(struct rt__loop *l)
{
	double after;

	if (l->heap_len == 0) {
		if (ev_is_active(&l->timer))
			ev_timer_stop(l->ev, &l->timer);
		l->timer_at = 0;
		return;
	}
	if (ev_is_active(&l->timer) && l->timer_at == l->heap[0].at)
		return;		/* already set for this top: no libev work */
	after = l->heap[0].at - rt__now();
	if (after < 0)
		after = 0;
	/* libev adds after to its own monotonic time, cached since the loop
	 * iteration began: refreshed, the timer does not fire early. */
	ev_now_update(l->ev);
	ev_timer_stop(l->ev, &l->timer);
	ev_timer_set(&l->timer, after, 0.);
	ev_timer_start(l->ev, &l->timer);
	l->timer_at = l->heap[0].at;
}

static void
rt__deadline_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct rt__loop *l = rt__loop;
	struct rt_task *t;
	double now = rt__now();

	(void)ev;
	(void)w;
	(void)revents;
	l->timer_at = 0;
	/* Pops in (deadline, arming order): the wake-ups queue in that order. */
	while (l->heap_len > 0 && l->heap[0].at <= now + DUE_SLACK) {
		t = l->slots[l->heap[0].slot].task;
		(void)rt__wake(t, -ETIMEDOUT);	/* removes t from the heap */
	}
	rt__rearm(l);
}

void
rt__timer_init(struct rt__loop *l)
{
	ev_timer_init(&l->timer, rt__deadline_cb, 0., 0.);
}

/* Grows the heap and the slot table together; the new slots go free. */
static int
rt__heap_grow(struct rt__loop *l)
{
	struct rt__heap_node *heap;
	struct rt__timer_slot *slots;
	size_t cap = l->heap_cap != 0 ? 2 * l->heap_cap : 64, i;

	if (cap > UINT32_MAX)
		return -ENOMEM;
	if ((heap = realloc(l->heap, cap * sizeof(*heap))) == NULL)
		return -ENOMEM;
	l->heap = heap;
	if ((slots = realloc(l->slots, cap * sizeof(*slots))) == NULL)
		return -ENOMEM;		/* the bigger heap is kept, unused */
	l->slots = slots;
	for (i = cap; i > l->heap_cap; i--) {
		slots[i - 1].task = NULL;
		slots[i - 1].idx = l->slot_free;
		l->slot_free = i;
	}
	l->heap_cap = cap;
	return 0;
}

int
rt__timer_add(struct rt_task *t, double deadline)
{
	struct rt__loop *l = rt__loop;
	struct rt__heap_node n;
	uint32_t slot;

	if (l->heap_len == l->heap_cap && rt__heap_grow(l) != 0)
		return -ENOMEM;
	/* As many slots as heap places: one is free. */
	slot = (uint32_t)(l->slot_free - 1);
	l->slot_free = l->slots[slot].idx;
	l->slots[slot].task = t;
	t->timer_slot = slot + 1;
	n.at = deadline;
	n.seq = l->timer_seq++;
	n.slot = slot;
	rt__heap_set(l, l->heap_len++, &n);
	rt__sift_up(l, l->heap_len - 1);
	if (l->heap[0].slot == slot)
		rt__rearm(l);
	return 0;
}

void
rt__timer_del(struct rt_task *t)
{
	struct rt__loop *l = rt__loop;
	uint32_t slot;
	size_t i;

	if (t->timer_slot == 0)
		return;
	slot = t->timer_slot - 1;
	t->timer_slot = 0;
	i = l->slots[slot].idx;
	l->slots[slot].task = NULL;
	l->slots[slot].idx = l->slot_free;
	l->slot_free = (size_t)slot + 1;
	if (i < --l->heap_len) {
		rt__heap_set(l, i, &l->heap[l->heap_len]);	/* the last one */
		if (i > 0 && rt__earlier(&l->heap[i], &l->heap[(i - 1) / ARITY]))
			rt__sift_up(l, i);
		else
			rt__sift_down(l, i);
	}
	/* A removed top leaves the timer early at worst: rearm lazily, when
	 * it fires, unless the heap emptied. */
	if (l->heap_len == 0)
		rt__rearm(l);
}

void
rt__timer_close(struct rt__loop *l)
{
	size_t i;

	for (i = 0; i < l->heap_len; i++)
		l->slots[l->heap[i].slot].task->timer_slot = 0;
	l->heap_len = 0;
	if (ev_is_active(&l->timer))
		ev_timer_stop(l->ev, &l->timer);
	free(l->heap);
	free(l->slots);
	l->heap = NULL;
	l->slots = NULL;
	l->heap_cap = 0;
	l->slot_free = 0;
}
