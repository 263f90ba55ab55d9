/*
 * watcher.c - callback watchers: fd readiness, timers, signals, children.
 *
 * Tasks wait (fdwait.c, timer.c); the code here reacts: a callback runs
 * from the loop when an fd is ready, a timer fires, a signal arrives or a
 * child ends.  The master process, which runs no tasks, and the HTTP
 * server's parked connections are built on these, so that no layer above
 * the runtime speaks libev.
 *
 * Each public struct holds its libev watcher in storage of the same shape
 * (rt.h's struct rt__ev_*), which keeps <ev.h> out of the installed
 * headers and every size what it was when the structs embedded libev's
 * types.  The storage is only ever used through the libev type (W_IO()
 * and friends), never through its own fields, and the asserts below fail
 * the build if a libev built with other options no longer fits.
 *
 * Signals: libev's ev_signal turns the signal into a callback run from the
 * loop (its handler only writes to an eventfd or pipe), so the callbacks
 * may do anything a callback may.  Children: libev reaps in its own SIGCHLD
 * watcher, on the default loop, which is the runtime's (loop.c).
 */
#include "config.h"

#include <stdalign.h>
#include <stddef.h>
#include <string.h>

#include "rt-int.h"

#define FITS(pub, ev)							\
	_Static_assert(sizeof(pub) >= sizeof(ev) &&			\
	    alignof(pub) >= alignof(ev), #ev " does not fit in " #pub)

FITS(struct rt__ev_io, ev_io);
FITS(struct rt__ev_timer, ev_timer);
FITS(struct rt__ev_signal, ev_signal);
FITS(struct rt__ev_child, ev_child);
_Static_assert(RT_READ == EV_READ && RT_WRITE == EV_WRITE,
    "RT_READ/RT_WRITE are libev's event bits");

/*
 * The storage's declared type is ours and its use libev's.  C's
 * effective-type rule forbids this file to read or write it through
 * libev's types (libev's own code, in its library, may), so watchers are
 * set up in a local of the libev type and copied in, and the few fields
 * read here are copied out: a few dozen bytes, once per start.
 */
#define W_IO(w)		((ev_io *)(void *)&(w)->io)
#define W_TIMER(t)	((ev_timer *)(void *)&(t)->ev)
#define W_SIGNAL(s)	((ev_signal *)(void *)&(s)->sig)
#define W_CHILD(c)	((ev_child *)(void *)&(c)->ev)

/* Every libev watcher begins with EV_WATCHER's `int active`. */
static int
rt__ev_storage_active(const void *storage)
{
	int active;

	memcpy(&active, storage, sizeof(active));
	return active != 0;
}

/* libev passes its watcher, which sits at offset 0 of ours. */
static void
rt__watch_cb(struct ev_loop *ev, ev_io *io, int revents)
{
	struct rt_watch *w = (struct rt_watch *)(void *)io;

	(void)ev;
	w->cb(w, revents & (EV_READ | EV_WRITE));
}

void
rt_watch_init(struct rt_watch *w, int fd, int events,
    void (*cb)(struct rt_watch *w, int revents), void *arg)
{
	ev_io io;

	w->cb = cb;
	w->arg = arg;
	ev_io_init(&io, rt__watch_cb, fd, events);
	memcpy(&w->io, &io, sizeof(io));
}

void
rt_watch_start(struct rt_watch *w, int fd, int events,
    void (*cb)(struct rt_watch *w, int revents), void *arg)
{
	rt_watch_init(w, fd, events, cb, arg);
	ev_io_start(rt__loop->ev, W_IO(w));
}

void
rt_watch_resume(struct rt_watch *w)
{
	ev_io_start(rt__loop->ev, W_IO(w));
}

void
rt_watch_stop(struct rt_watch *w)
{
	ev_io_stop(rt__loop->ev, W_IO(w));
}

int
rt_watch_active(const struct rt_watch *w)
{
	return rt__ev_storage_active(&w->io);
}

int
rt_watch_fd(const struct rt_watch *w)
{
	int fd;

	memcpy(&fd, (const char *)&w->io + offsetof(ev_io, fd), sizeof(fd));
	return fd;
}

static void
rt__timer_cb(struct ev_loop *ev, ev_timer *et, int revents)
{
	struct rt_timer *t = (struct rt_timer *)(void *)et;

	(void)ev;
	(void)revents;
	t->cb(t);
}

/*
 * A bare timer in rt__ev_timer storage: what rt_timer is built on, and what
 * struct rt_server's pause timer uses directly (no room for rt_timer's
 * callback and argument there without changing that public struct's size).
 */
void
rt__ev_timer_init(struct rt__ev_timer *st,
    void (*cb)(struct ev_loop *, ev_timer *, int))
{
	ev_timer et;

	ev_timer_init(&et, cb, 0., 0.);
	memcpy(st, &et, sizeof(et));
}

void
rt__ev_timer_start(struct rt__ev_timer *st, double after, double repeat)
{
	double at = after > 0 ? after : 0., r = repeat > 0 ? repeat : 0.;

	ev_timer_stop(rt__loop->ev, (ev_timer *)(void *)st);
	/* libev counts from the time of its last poll, which may be long ago
	 * (a callback that blocked, a start from outside the loop): `after`
	 * is from now, as rt_loop_time() is.  One clock read. */
	ev_now_update(rt__loop->ev);
	/* Stopped, the watcher is its init state plus the callback: what
	 * ev_timer_set writes is the two times (copied in: see above). */
	memcpy((char *)st + offsetof(ev_timer, at), &at, sizeof(at));
	memcpy((char *)st + offsetof(ev_timer, repeat), &r, sizeof(r));
	ev_timer_start(rt__loop->ev, (ev_timer *)(void *)st);
}

void
rt__ev_timer_stop(struct rt__ev_timer *st)
{
	ev_timer_stop(rt__loop->ev, (ev_timer *)(void *)st);
}

int
rt__ev_timer_active(const struct rt__ev_timer *st)
{
	return rt__ev_storage_active(st);
}

void
rt_timer_init(struct rt_timer *t, void (*cb)(struct rt_timer *t), void *arg)
{
	t->cb = cb;
	t->arg = arg;
	rt__ev_timer_init(&t->ev, rt__timer_cb);
}

void
rt_timer_start(struct rt_timer *t, double after, double repeat)
{
	rt__ev_timer_start(&t->ev, after, repeat);
}

void
rt_timer_again(struct rt_timer *t, double repeat)
{
	double r = repeat > 0 ? repeat : 0.;

	/* libev reads repeat when it re-arms; the rest of the watcher is
	 * live and stays untouched. */
	memcpy((char *)&t->ev + offsetof(ev_timer, repeat), &r, sizeof(r));
	ev_now_update(rt__loop->ev);
	ev_timer_again(rt__loop->ev, W_TIMER(t));
}

void
rt_timer_stop(struct rt_timer *t)
{
	rt__ev_timer_stop(&t->ev);
}

int
rt_timer_active(const struct rt_timer *t)
{
	return rt__ev_timer_active(&t->ev);
}

double
rt_timer_remaining(const struct rt_timer *t)
{
	double r = ev_timer_remaining(rt__loop->ev, W_TIMER(t));

	return r > 0 ? r : 0.;
}

static void
rt__signal_cb(struct ev_loop *ev, ev_signal *sig, int revents)
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
	ev_signal es;

	s->cb = cb;
	s->arg = arg;
	ev_signal_init(&es, rt__signal_cb, signum);
	memcpy(&s->sig, &es, sizeof(es));
	ev_signal_start(rt__loop->ev, W_SIGNAL(s));
}

void
rt_signal_stop(struct rt_signal *s)
{
	ev_signal_stop(rt__loop->ev, W_SIGNAL(s));
}

static void
rt__child_cb(struct ev_loop *ev, ev_child *ec, int revents)
{
	struct rt_child *c = (struct rt_child *)(void *)ec;

	(void)ev;
	(void)revents;
	c->cb(c, ec->rpid, ec->rstatus);
}

void
rt_child_start(struct rt_child *c, pid_t pid,
    void (*cb)(struct rt_child *c, pid_t pid, int status), void *arg)
{
	ev_child ec;

	c->cb = cb;
	c->arg = arg;
	ev_child_init(&ec, rt__child_cb, pid, 0);
	memcpy(&c->ev, &ec, sizeof(ec));
	ev_child_start(rt__loop->ev, W_CHILD(c));
}

void
rt_child_stop(struct rt_child *c)
{
	ev_child_stop(rt__loop->ev, W_CHILD(c));
}
