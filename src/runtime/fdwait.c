/*
 * fdwait.c - fd readiness for tasks and callbacks, and signal handlers.
 *
 * rt_fd_wait arms the waiting task's own ev_io (one per task: a task waits
 * on one thing at a time) and suspends; rt__wake stops it, whichever of
 * readiness, timeout or cancellation ends the wait.  libev applies watcher
 * changes lazily at its next poll and compares the fd's event mask, so a
 * task that waits on the same fd again and again costs no epoll_ctl.
 *
 * Signals: libev's ev_signal turns the signal into a callback run from the
 * loop (the handler only writes to a pipe/eventfd), so the callbacks may do
 * anything a callback may.  SIGPIPE is ignored at loop start (loop.c), and
 * sockets are written with MSG_NOSIGNAL besides.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>

#include "rt-int.h"

static void
fd_ready_cb(struct ev_loop *ev, ev_io *w, int revents)
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
fd_poll_now(int fd, int events)
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
		return fd_poll_now(fd, events);
	ev_io_init(&t->io, fd_ready_cb, fd, events);
	ev_io_start(l->ev, &t->io);
	t->io_active = 1;
	err = rt__wait(NULL, events & EV_READ ? "fd readable" : "fd writable",
	    timeout, 0);
	/* rt__wait may return before suspending (cancel pending, scope
	 * expired): then nothing stopped the watcher yet. */
	rt__task_io_stop(t, l->ev);
	return err;
}

static void
watch_cb(struct ev_loop *ev, ev_io *io, int revents)
{
	struct rt_watch *w = (struct rt_watch *)(void *)io;

	(void)ev;
	w->cb(w, revents);
}

void
rt__watch_init(struct rt_watch *w, int fd, int events,
    void (*cb)(struct rt_watch *w, int revents), void *arg)
{
	w->cb = cb;
	w->arg = arg;
	ev_io_init(&w->io, watch_cb, fd, events);
}

void
rt_watch_start(struct rt_watch *w, int fd, int events,
    void (*cb)(struct rt_watch *w, int revents), void *arg)
{
	rt__watch_init(w, fd, events, cb, arg);
	ev_io_start(rt__loop->ev, &w->io);
}

void
rt_watch_stop(struct rt_watch *w)
{
	ev_io_stop(rt__loop->ev, &w->io);
}

static void
signal_cb(struct ev_loop *ev, ev_signal *sig, int revents)
{
	struct rt_signal *s = (struct rt_signal *)(void *)sig;

	(void)ev;
	(void)revents;
	s->cb(s, sig->signum);
}

void
rt_signal_start(struct rt_signal *s, int signum,
    void (*cb)(struct rt_signal *s, int signum), void *arg)
{
	s->cb = cb;
	s->arg = arg;
	ev_signal_init(&s->sig, signal_cb, signum);
	ev_signal_start(rt__loop->ev, &s->sig);
}

void
rt_signal_stop(struct rt_signal *s)
{
	ev_signal_stop(rt__loop->ev, &s->sig);
}
