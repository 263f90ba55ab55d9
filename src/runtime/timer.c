/*
 * timer.c - the deadlines of waiting tasks: one binary heap, one ev_timer.
 *
 * Every wait with a limit puts its task in a min-heap ordered by (deadline,
 * sequence number); a single libev timer is armed for the heap's top.  Why
 * not one ev_timer per task: libev's heap does not keep the order of equal
 * deadlines, and equal deadlines are the rule, not the exception, because
 * ev_now is cached for a whole loop iteration: three tasks that call
 * rt_sleep(1) in one iteration get the same deadline and libev wakes them
 * A, C, B.  asyncio wakes them A, B, C (it reads the clock at each call), and
 * our ready queue promises FIFO order, so ties break by arming order here.
 *
 * The heap array grows by doubling and never shrinks: no allocation in a
 * steady state.  Each task records its 1-based heap index, so removal (a
 * wait ended by its primitive or by cancellation) is O(log n).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "rt-int.h"

/* libev's clocks and ours may differ by rounding: a task whose deadline is
 * this close is due (asyncio's clock_resolution). */
#define DUE_SLACK	1e-6

static int
earlier(const struct rt_task *a, const struct rt_task *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->deadline_seq < b->deadline_seq;
}

static void
heap_set(struct rt__loop *l, size_t i, struct rt_task *t)
{
	l->heap[i] = t;
	t->heap_idx = i + 1;
}

static void
sift_up(struct rt__loop *l, size_t i)
{
	struct rt_task *t = l->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!earlier(t, l->heap[parent]))
			break;
		heap_set(l, i, l->heap[parent]);
		i = parent;
	}
	heap_set(l, i, t);
}

static void
sift_down(struct rt__loop *l, size_t i)
{
	struct rt_task *t = l->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= l->heap_len)
			break;
		if (child + 1 < l->heap_len &&
		    earlier(l->heap[child + 1], l->heap[child]))
			child++;
		if (!earlier(l->heap[child], t))
			break;
		heap_set(l, i, l->heap[child]);
		i = child;
	}
	heap_set(l, i, t);
}

/* Arms (or stops) the loop's one timer for the heap's top. */
static void
rearm(struct rt__loop *l)
{
	double after;

	if (l->heap_len == 0) {
		if (ev_is_active(&l->timer))
			ev_timer_stop(l->ev, &l->timer);
		l->timer_at = 0;
		return;
	}
	if (ev_is_active(&l->timer) && l->timer_at == l->heap[0]->deadline)
		return;		/* already set for this top: no libev work */
	after = l->heap[0]->deadline - ev_now(l->ev);
	if (after < 0)
		after = 0;
	ev_timer_stop(l->ev, &l->timer);
	ev_timer_set(&l->timer, after, 0.);
	ev_timer_start(l->ev, &l->timer);
	l->timer_at = l->heap[0]->deadline;
}

static void
timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct rt__loop *l = rt__loop;
	struct rt_task *t;
	double now = ev_now(ev);

	(void)w;
	(void)revents;
	l->timer_at = 0;
	/* Pops in (deadline, arming order): the wake-ups queue in that order. */
	while (l->heap_len > 0 && (t = l->heap[0])->deadline <= now + DUE_SLACK)
		(void)rt__wake(t, -ETIMEDOUT);	/* removes t from the heap */
	rearm(l);
}

void
rt__timer_init(struct rt__loop *l)
{
	ev_timer_init(&l->timer, timer_cb, 0., 0.);
}

int
rt__timer_add(struct rt_task *t, double deadline)
{
	struct rt__loop *l = rt__loop;
	struct rt_task **heap;
	size_t cap;

	if (l->heap_len == l->heap_cap) {
		cap = l->heap_cap != 0 ? 2 * l->heap_cap : 64;
		if ((heap = realloc(l->heap, cap * sizeof(*heap))) == NULL)
			return -ENOMEM;
		l->heap = heap;
		l->heap_cap = cap;
	}
	t->deadline = deadline;
	t->deadline_seq = l->timer_seq++;
	heap_set(l, l->heap_len++, t);
	sift_up(l, l->heap_len - 1);
	if (l->heap[0] == t)
		rearm(l);
	return 0;
}

void
rt__timer_del(struct rt_task *t)
{
	struct rt__loop *l = rt__loop;
	size_t i = t->heap_idx - 1;
	struct rt_task *last;

	if (t->heap_idx == 0)
		return;
	t->heap_idx = 0;
	last = l->heap[--l->heap_len];
	if (i < l->heap_len) {
		heap_set(l, i, last);
		if (i > 0 && earlier(last, l->heap[(i - 1) / 2]))
			sift_up(l, i);
		else
			sift_down(l, i);
	}
	/* A removed top leaves the timer early at worst: rearm lazily, when
	 * it fires, unless the heap emptied. */
	if (l->heap_len == 0)
		rearm(l);
}

void
rt__timer_close(struct rt__loop *l)
{
	size_t i;

	for (i = 0; i < l->heap_len; i++)
		l->heap[i]->heap_idx = 0;
	l->heap_len = 0;
	if (ev_is_active(&l->timer))
		ev_timer_stop(l->ev, &l->timer);
	free(l->heap);
	l->heap = NULL;
	l->heap_cap = 0;
}
