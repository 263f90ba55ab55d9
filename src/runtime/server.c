/*
 * server.c - TCP servers (asyncio's start_server): listening sockets, an
 * accept watcher each, one task per connection.
 *
 * Each listening socket has a callback watcher (not a task: accept needs
 * no stack).  On readiness it accepts in a bounded batch with accept4
 * (non-blocking and close-on-exec in the same call), sets TCP_NODELAY, and
 * spawns one task per connection.  The per-connection record comes from a
 * free list, so a connection costs a pooled stack and nothing else.
 *
 * Running out of descriptors (EMFILE/ENFILE) would make a level-triggered
 * listener spin: the pending connection stays in the backlog and the fd
 * stays readable.  So the owner's accept_error hook hears of it first (to
 * log it, and to free descriptors by closing idle connections, as nginx
 * drains its reusable ones); if it freed some, accept is tried once more.
 * Otherwise the descriptor kept in reserve (/dev/null, opened at start) is
 * closed to accept one waiting connection after another and hand each to
 * the overload hook (an HTTP server answers 503), so that clients learn
 * at once instead of waiting in the backlog until they time out; then
 * accepting pauses for emfile_pause seconds (a timer, not a busy loop).
 * At max_conns accepting pauses until a connection ends, or, with an
 * overload hook, the connection is handed to it (an HTTP server answers
 * 503 without waiting and closes); so is one whose task finds no memory.
 *
 * A connection may also leave its task and stay counted (held): a server
 * that parks idle connections under a callback (an HTTP keep-alive
 * connection between requests) keeps them in max_conns and wait_idle
 * without a stack each, and resumes one in a new task when it speaks.
 *
 * The listening sockets themselves are made by addr.c (rt_listen_socket).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt-int.h"

#define ACCEPT_BATCH	64

static void	rt__pause_cb(struct ev_loop *ev, ev_timer *et, int revents);

/*
 * The accept pause's timer is libev's own in rt__ev_timer storage, not an
 * rt_timer: struct rt_server keeps the layout it had when it embedded an
 * ev_timer (the ABI), and the callback finds its server by offset.
 * watcher.c's rt__ev_timer_* drive it, as they drive rt_timer.
 */
void
rt_server_init(struct rt_server *s, const struct rt_server_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->reserve_fd = -1;
	rt__ev_timer_init(&s->pause_timer, rt__pause_cb);
	if (opts != NULL)
		s->opts = *opts;
	/* rt_listen_socket's default, kept visible in opts. */
	if (s->opts.backlog == 0)
		s->opts.backlog = SOMAXCONN;
	if (s->opts.emfile_pause <= 0)
		s->opts.emfile_pause = 0.1;
}

int
rt_server_adopt(struct rt_server *s, int fd)
{
	int flags;

	if (s->nfds == RT_SERVER_MAX_LISTEN)
		return -ENOSPC;
	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -errno;
	if (!(flags & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -errno;
	s->fds[s->nfds++] = fd;
	return 0;
}

int
rt_server_listen(struct rt_server *s, const char *host, const char *port)
{
	struct rt_addr a;
	int fd;

	if (s->nfds == RT_SERVER_MAX_LISTEN)
		return -ENOSPC;
	/* What getaddrinfo said of a name under AI_NUMERICHOST before
	 * addr.c parsed it: callers test for it. */
	if (rt_addr_set(&a, host, port, NULL, 0) != 0)
		return RT_EAI(EAI_NONAME);
	if ((fd = rt_listen_socket(&a, s->opts.backlog, 0)) < 0)
		return fd;
	s->fds[s->nfds++] = fd;
	return 0;
}

int
rt_server_port(const struct rt_server *s, size_t i)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (i >= s->nfds)
		return -EINVAL;
	if (getsockname(s->fds[i], (struct sockaddr *)&ss, &len) == -1)
		return -errno;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -EAFNOSUPPORT;
}

static void
rt__watchers_start(struct rt_server *s)
{
	size_t i;

	if (s->accepting || s->closing)
		return;
	for (i = 0; i < s->nfds; i++)
		rt_watch_resume(&s->w[i]);
	s->accepting = 1;
}

static void
rt__watchers_stop(struct rt_server *s)
{
	size_t i;

	if (!s->accepting)
		return;
	for (i = 0; i < s->nfds; i++)
		rt_watch_stop(&s->w[i]);
	s->accepting = 0;
}

static void
rt__pause_cb(struct ev_loop *ev, ev_timer *et, int revents)
{
	struct rt_server *s = (struct rt_server *)(void *)((char *)et -
	    offsetof(struct rt_server, pause_timer));

	(void)ev;
	(void)revents;
	s->paused = 0;
	if (s->opts.max_conns == 0 || s->nconns < s->opts.max_conns)
		rt__watchers_start(s);
}

/* A connection left (its task ended, or a held one was dropped). */
static void
rt__conn_gone(struct rt_server *s)
{
	s->nconns--;
	/* A held connection's task ends with the hold still counted: room
	 * only when below the cap (else the next accept would be over it). */
	if (s->paused && !rt__ev_timer_active(&s->pause_timer) && !s->closing &&
	    (s->opts.max_conns == 0 || s->nconns < s->opts.max_conns)) {
		/* We were at the cap: there is room again. */
		s->paused = 0;
		rt__watchers_start(s);
	}
	if (s->nconns == 0)
		(void)rt__wq_wake_all(&s->idle_waiters, 0);
}

static int
rt__conn_main(void *arg)
{
	struct rt_conn *c = arg;
	struct rt_server *s = c->server;
	int status;

	status = s->handler(c, s->arg);
	if (c->fd >= 0) {
		(void)close(c->fd);	/* fd released even on error */
		c->fd = -1;
	}
	/* Unlink from the live list, recycle the record. */
	*c->pprev = c->next;
	if (c->next != NULL)
		c->next->pprev = c->pprev;
	c->next = s->free_conns;
	s->free_conns = c;
	rt__conn_gone(s);
	return status;
}

/* "conn fd N", for rt_task_dump. */
static void
rt__conn_name(char name[48], int fd)
{
	static const char prefix[] = "conn fd ";
	char digits[12], *d = digits + sizeof(digits);
	unsigned v = (unsigned)fd;
	size_t n;

	do
		*--d = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	n = (size_t)(digits + sizeof(digits) - d);
	memcpy(name, prefix, sizeof(prefix) - 1);
	memcpy(name + sizeof(prefix) - 1, d, n);
	name[sizeof(prefix) - 1 + n] = '\0';
}

/* Starts a connection task for fd; the caller has counted it in nconns. */
static int
rt__conn_spawn(struct rt_server *s, int fd, const struct sockaddr *peer,
    socklen_t len, int listener)
{
	struct rt_conn *c;
	char name[48];
	int err;

	if ((c = s->free_conns) != NULL)
		s->free_conns = c->next;
	else if ((c = malloc(sizeof(*c))) == NULL)
		return -ENOMEM;
	c->fd = fd;
	if (len > sizeof(c->peer))
		len = sizeof(c->peer);
	memcpy(&c->peer, peer, len);
	c->peerlen = len;
	c->server = s;
	c->listener = listener;
	/* Not snprintf: this runs for every resumed keep-alive request. */
	rt__conn_name(name, fd);
	err = rt_task_spawn_opts(&c->task, name, rt__conn_main, c,
	    &(struct rt_task_opts){ .stack_size = s->opts.stack_size });
	if (err != 0) {
		c->next = s->free_conns;
		s->free_conns = c;
		return err;
	}
	/* The pointer stays valid while c is live (the task unlinks c before
	 * it ends): no reference needed. */
	rt_task_release(c->task);
	c->next = s->live_conns;
	if (c->next != NULL)
		c->next->pprev = &c->next;
	c->pprev = &s->live_conns;
	s->live_conns = c;
	return 0;
}

/*
 * Out of descriptors: spends the reserve to accept one waiting connection
 * and hand it to the overload hook with err, then takes the reserve back.
 * 0 if one was handed over (the caller tries for the next), -1 if there
 * was none, or no reserve or hook.
 */
static int
rt__accept_spare(struct rt_server *s, int lfd, int err)
{
	int fd;

	if (s->reserve_fd < 0 || s->opts.overload == NULL)
		return -1;
	(void)close(s->reserve_fd);	/* /dev/null: nothing to lose */
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		s->accepted++;
		s->overloaded++;
		s->opts.overload(fd, err, s->arg);	/* closes fd */
	}
	/* The descriptor just freed is the lowest: open gets it back. */
	s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return fd >= 0 ? 0 : -1;
}

static void
rt__accept_cb(struct rt_watch *w, int revents)
{
	struct rt_server *s = w->arg;
	struct sockaddr_storage peer;
	socklen_t len;
	int fd, one = 1, i, err, retried = 0;

	(void)revents;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		len = sizeof(peer);
		fd = accept4(rt_watch_fd(w), (struct sockaddr *)&peer, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				err = -errno;
				if (!retried && s->opts.accept_error != NULL &&
				    s->opts.accept_error(err, s->arg)) {
					retried = 1;
					continue;
				}
				if ((err == -EMFILE || err == -ENFILE) &&
				    rt__accept_spare(s, rt_watch_fd(w), err) == 0)
					continue;
				/* Out of descriptors or memory: back off. */
				s->emfile_pauses++;
				s->paused = 1;
				rt__watchers_stop(s);
				rt__ev_timer_start(&s->pause_timer, s->opts.emfile_pause, 0.);
			}
			return;		/* EAGAIN: the backlog is empty */
		}
		s->accepted++;
		if (s->opts.max_conns != 0 && s->nconns >= s->opts.max_conns) {
			if (s->opts.overload != NULL) {
				s->overloaded++;
				s->opts.overload(fd, 0, s->arg);
				continue;
			}
			/* Cannot happen with the watchers stopped at the cap,
			 * but never leak it. */
			(void)close(fd);
			continue;
		}
		/* Latency over batching: responses are written whole. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));	/* only fails on non-TCP fds */

		if ((err = rt__conn_spawn(s, fd, (struct sockaddr *)&peer, len,
		    (int)(w - s->w))) != 0) {
			/* No stack or record: shed load, saying why if the
			 * owner can. */
			if (s->opts.overload != NULL)
				s->opts.overload(fd, err, s->arg);
			else
				(void)close(fd);
			continue;
		}
		s->nconns++;
		if (s->opts.max_conns != 0 && s->nconns >= s->opts.max_conns &&
		    s->opts.overload == NULL) {
			s->paused = 1;
			rt__watchers_stop(s);
			return;
		}
	}
}

void
rt_server_hold(struct rt_server *s)
{
	s->nconns++;
}

void
rt_server_unhold(struct rt_server *s)
{
	rt__conn_gone(s);
}

int
rt_server_resume(struct rt_server *s, int fd, const struct sockaddr *peer,
    socklen_t len)
{
	int err;

	/* The hold becomes the task: nconns is unchanged on success. */
	if ((err = rt__conn_spawn(s, fd, peer, len, -1)) != 0) {
		(void)close(fd);	/* the connection is lost either way */
		rt__conn_gone(s);
	}
	return err;
}

int
rt_server_start(struct rt_server *s, rt_conn_fn handler, void *arg)
{
	size_t i;

	if (s->nfds == 0)
		return -EINVAL;
	s->handler = handler;
	s->arg = arg;
	/* Spent when descriptors run out (rt__accept_spare); best effort. */
	if (s->reserve_fd < 0)
		s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < s->nfds; i++) {
		rt_watch_init(&s->w[i], s->fds[i], RT_READ, rt__accept_cb, s);
	}
	rt__watchers_start(s);
	return 0;
}

void
rt_server_stop_accepting(struct rt_server *s)
{
	s->closing = 1;
	rt__watchers_stop(s);
	rt__ev_timer_stop(&s->pause_timer);
}

size_t
rt_server_connections(const struct rt_server *s)
{
	return s->nconns;
}

int
rt_server_wait_idle(struct rt_server *s, double timeout)
{
	int err = 0;

	while (s->nconns > 0 && err == 0)
		err = rt__wait(&s->idle_waiters, "server idle", timeout, 0);
	return err;
}

void
rt_server_cancel_all(struct rt_server *s)
{
	struct rt_conn *c;

	for (c = s->live_conns; c != NULL; c = c->next)
		(void)rt_task_cancel(c->task);
}

void
rt_server_close(struct rt_server *s)
{
	struct rt_conn *c;
	size_t i;

	rt_server_stop_accepting(s);
	for (i = 0; i < s->nfds; i++) {
		if (s->fds[i] >= 0)
			(void)close(s->fds[i]);	/* listener: nothing to flush */
		s->fds[i] = -1;
	}
	s->nfds = 0;
	if (s->reserve_fd >= 0)
		(void)close(s->reserve_fd);	/* /dev/null */
	s->reserve_fd = -1;
	while ((c = s->free_conns) != NULL) {
		s->free_conns = c->next;
		free(c);
	}
}
