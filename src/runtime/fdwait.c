/*
 * fdwait.c - fd readiness for tasks.
 *
 * rt_fd_wait arms the waiting task's own ev_io (one per task: a task waits
 * on one thing at a time) and suspends; rt__wake stops it, whichever of
 * readiness, timeout or cancellation ends the wait.  libev applies watcher
 * changes lazily at its next poll and compares the fd's event mask, so a
 * task that waits on the same fd again and again costs no epoll_ctl.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>

#include "rt-int.h"

static void
rt__fd_ready_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct rt_task *t = (struct rt_task *)(void *)((char *)w -
	    offsetof(struct rt_task, io));

	(void)ev;
	(void)revents;
	(void)rt__wake(t, 0);
}

/*
 * A zero timeout asks "is it ready now?".  Through libev the answer would
 * always be no: its timer and the fd's readiness come due in the same
 * iteration, and libev runs pending callbacks last-queued first, timers
 * after I/O, so the timer would always win.  Ask the kernel instead, then
 * yield once as every zero-timeout wait does.
 */
static int
rt__fd_poll_now(int fd, int events)
{
	struct pollfd pfd = { .fd = fd, .events = 0 };
	int n, err;

	if (events & EV_READ)
		pfd.events |= POLLIN;
	if (events & EV_WRITE)
		pfd.events |= POLLOUT;
	while ((n = poll(&pfd, 1, 0)) == -1 && errno == EINTR)
		;
	if (n == -1)
		return -errno;
	if (pfd.revents & POLLNVAL)
		return -EBADF;
	if ((err = rt_sleep(0)) != 0)
		return err;
	/* POLLERR and POLLHUP count as ready, as for epoll: the next read or
	 * write reports what happened. */
	return n == 1 ? 0 : -ETIMEDOUT;
}

int
rt_fd_wait(int fd, int events, double timeout)
{
	struct rt__loop *l = rt__loop;
	struct rt_task *t = l->current;
	int err;

	if (t == NULL || l->gen_current != NULL)
		return -EPERM;
	if (fd < 0 || (events & ~(EV_READ | EV_WRITE)) != 0 || events == 0)
		return -EINVAL;
	if (timeout == 0)
		return rt__fd_poll_now(fd, events);
	ev_io_init(&t->io, rt__fd_ready_cb, fd, events);
	ev_io_start(l->ev, &t->io);
	t->io_active = 1;
	err = rt__wait(NULL, events & EV_READ ? "fd readable" : "fd writable",
	    timeout, 0);
	/* rt__wait may return before suspending (cancel pending, scope
	 * expired): then nothing stopped the watcher yet. */
	rt__task_io_stop(t, l->ev);
	return err;
}
