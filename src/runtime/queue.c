/*
 * queue.c - asyncio's Queue, bounded: a ring of void * between tasks.
 *
 * Items are handed over, not raced for, so FIFO order holds among waiters
 * and no newcomer barges past a woken one:
 *   - a put that finds a getter waiting gives the item straight to the
 *     longest-waiting getter (through its wait_data) and wakes it;
 *   - a get that frees a slot moves the longest-waiting putter's item
 *     (parked in its wait_data) into the ring and wakes it.
 * Hence the invariants: getters waiting => len == 0; putters waiting =>
 * len == cap.  A waiter's item was moved iff its rt__wait returned 0: one
 * that times out or is cancelled is unlinked by rt__wake first, so it keeps
 * (put) or never receives (get) its item.  A getter handed an item and
 * then cancelled before it runs still receives it (0; the cancellation
 * comes at its next wait), so no item is ever dropped.
 *
 * ring == NULL marks a destroyed queue: its calls return -EPIPE, and
 * rt_queue_destroy wakes any task still waiting with -EPIPE rather than let
 * it sleep on freed memory.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "rt-int.h"

int
rt_queue_init(struct rt_queue *q, size_t capacity)
{
	q->ring = NULL;
	q->cap = q->head = q->len = 0;
	rt__wq_init(&q->getters);
	rt__wq_init(&q->putters);
	if (capacity == 0)
		return -EINVAL;
	if ((q->ring = calloc(capacity, sizeof(*q->ring))) == NULL)
		return -ENOMEM;
	q->cap = capacity;
	return 0;
}

void
rt_queue_destroy(struct rt_queue *q)
{
	(void)rt__wq_wake_all(&q->getters, -EPIPE);
	(void)rt__wq_wake_all(&q->putters, -EPIPE);
	free(q->ring);
	q->ring = NULL;
	q->cap = q->head = q->len = 0;
}

int
rt_queue_put_nowait(struct rt_queue *q, void *item)
{
	struct rt_task *g;

	if (q->ring == NULL)
		return -EPIPE;
	if ((g = rt__wq_first(&q->getters)) != NULL) {
		*(void **)g->wait_data = item;
		(void)rt__wake(g, 0);
		return 0;
	}
	if (q->len == q->cap)
		return -EAGAIN;
	q->ring[(q->head + q->len) % q->cap] = item;
	q->len++;
	return 0;
}

int
rt_queue_get_nowait(struct rt_queue *q, void **item)
{
	struct rt_task *p;
	void *it;

	if (q->ring == NULL)
		return -EPIPE;
	if (q->len == 0)
		return -EAGAIN;
	it = q->ring[q->head];
	q->head = (q->head + 1) % q->cap;
	q->len--;
	if ((p = rt__wq_first(&q->putters)) != NULL) {
		q->ring[(q->head + q->len) % q->cap] = p->wait_data;
		q->len++;
		(void)rt__wake(p, 0);
	}
	if (item != NULL)
		*item = it;
	return 0;
}

int
rt_queue_put(struct rt_queue *q, void *item, double timeout)
{
	struct rt_task *self = rt__loop->current;
	int err;

	if (self == NULL || rt__loop->gen_current != NULL)
		return -EPERM;
	if ((err = rt_queue_put_nowait(q, item)) != -EAGAIN)
		return err;
	/* A get will move it into the ring, then wake us with 0. */
	self->wait_data = item;
	return rt__wait(&q->putters, "queue put", timeout, 0);
}

int
rt_queue_get(struct rt_queue *q, void **item, double timeout)
{
	struct rt_task *self = rt__loop->current;
	void *slot = NULL;
	int err;

	if (self == NULL || rt__loop->gen_current != NULL)
		return -EPERM;
	if ((err = rt_queue_get_nowait(q, item)) != -EAGAIN)
		return err;
	/* A put will store its item here, then wake us with 0.  slot lives
	 * on our stack, which outlives the wait. */
	self->wait_data = &slot;
	if ((err = rt__wait(&q->getters, "queue get", timeout, 0)) != 0)
		return err;
	if (item != NULL)
		*item = slot;
	return 0;
}

size_t
rt_queue_len(const struct rt_queue *q)
{
	return q->len;
}
