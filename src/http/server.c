/*
 * server.c - the HTTP server object: listeners, the connection cap, parked
 * idle connections, pooled buffers, graceful shutdown.
 *
 * Accepting and the task per active connection come from the runtime's TCP
 * server (rt_server).  What this file adds is parking: a connection waiting
 * for its next request (or for the first bytes of its first) gives back its
 * task, stack and buffers and becomes a struct http_idle with an rt_watch on
 * its fd, in one of two death queues.  Readable again, it is resumed in a
 * fresh task through rt_server_resume, which keeps it counted for the cap
 * and for shutdown all along (rt_server_hold).  A queue's head past its
 * deadline is closed by the one idle timer.
 *
 * Over max_connections a new connection gets 503 from the accept callback
 * itself: the response is formatted into a stack buffer with the cached
 * Date and sent without waiting, then the socket is closed.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http-int.h"

/* ---- the error log -------------------------------------------------------- */

void
http__log_limited(struct http_server *s, struct rt_ratelimit *rl, int level,
    const char *fmt, ...)
{
	unsigned long held;
	char msg[512];
	va_list ap;

	if (s->conf->log == NULL || !rt_ratelimit(rl, &held))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* cut: still one line */
	va_end(ap);
	if (held > 0)
		s->conf->log(level, "%s (and %lu more like it in the last "
		    "%g s)", msg, held, rl->period > 0 ? rl->period :
		    RT_RATELIMIT_PERIOD);
	else
		s->conf->log(level, "%s", msg);
}

/* ---- buffers ------------------------------------------------------------- */

/* realloc, and once more after the runtime gave back what it keeps for
 * speed: under an address-space limit, pooled stacks are what ran out. */
static void *
http__server_realloc(void *p, size_t size)
{
	void *np;

	if ((np = realloc(p, size)) == NULL) {
		rt_loop_release_memory();
		np = realloc(p, size);
	}
	return np;
}

/* Bytes of a pooled buffer of kind. */
static size_t
http__buf_size(const struct http_server *s, int kind)
{
	switch (kind) {
	case HTTP__BUF_IN:
		/* An input block carries the parser's header array before
		 * the bytes. */
		return s->in_cap +
		    s->limits.max_headers * sizeof(struct http_header);
	case HTTP__BUF_OUT:
		return HTTP__OUT_CAP;
	default:
		return s->arena_cap;
	}
}

void *
http__buf_get(struct http_server *s, int kind)
{
	struct http__buf *b;

	if ((b = s->free[kind]) != NULL) {
		s->free[kind] = b->next;
		return b;
	}
	return http__server_realloc(NULL, http__buf_size(s, kind));
}

void
http__buf_put(struct http_server *s, void *p, int kind)
{
	struct http__buf *b = p;

	if (b == NULL)
		return;
	b->next = s->free[kind];
	s->free[kind] = b;
}

/* ---- parked connections ----------------------------------------------------- */

static double
http__queue_timeout(const struct http_server *s, int q)
{
	return q == HTTP__Q_FRESH ? s->conf->timeouts.header :
	    s->conf->timeouts.keepalive;
}

static void
http__idle_rearm(struct http_server *s)
{
	double next = HUGE_VAL, after;
	int q;

	for (q = 0; q < HTTP__Q_COUNT; q++)
		if (s->q[q].head != NULL && s->q[q].head->deadline < next)
			next = s->q[q].head->deadline;
	if (next == HUGE_VAL) {
		rt_timer_stop(&s->idle_timer);
		return;
	}
	after = next - rt_loop_time();
	rt_timer_start(&s->idle_timer, after > 0 ? after : 0, 0.);
}

static void
http__idle_unlink(struct http_server *s, struct http_idle *id)
{
	struct http__queue *q = &s->q[id->queue];

	if (id->prev != NULL)
		id->prev->next = id->next;
	else
		q->head = id->next;
	if (id->next != NULL)
		id->next->prev = id->prev;
	else
		q->tail = id->prev;
	id->state = HTTP__IDLE_RESUMING;
	s->nidle--;
	/* The record stays the fd's (s->byfd) until the connection closes,
	 * its watcher started (see http__idle_park). */
}

void
http__idle_release(struct http_server *s, int fd)
{
	struct http_idle *id;

	if (fd < 0 || (size_t)fd >= s->nbyfd || (id = s->byfd[fd]) == NULL)
		return;
	rt_watch_stop(&id->io);		/* before the fd is closed */
	s->byfd[fd] = NULL;
	id->next = s->idle_free;
	s->idle_free = id;
}

void
http__idle_serving(struct http_server *s, int fd)
{
	if (fd >= 0 && (size_t)fd < s->nbyfd && s->byfd[fd] != NULL)
		s->byfd[fd]->state = HTTP__IDLE_SERVING;
}

/* Closes a parked connection: timeout, shutdown, or a resume that failed. */
static void
http__idle_close(struct http_server *s, struct http_idle *id)
{
	int fd = rt_watch_fd(&id->io);

	http__idle_unlink(s, id);
	http__idle_release(s, fd);
	/* Idle means no request is pending: nothing to flush or to lose. */
	(void)close(fd);
	rt_server_unhold(&s->tcp);
}

static void
http__idle_timer_cb(struct rt_timer *w)
{
	struct http_server *s = w->arg;
	double now = rt_loop_time();
	int q;

	for (q = 0; q < HTTP__Q_COUNT; q++)
		while (s->q[q].head != NULL && s->q[q].head->deadline <= now) {
			s->st.timeouts[q == HTTP__Q_FRESH ? HTTP_TMO_HEADER :
			    HTTP_TMO_KEEPALIVE]++;
			http__idle_close(s, s->q[q].head);
		}
	http__idle_rearm(s);
}

/* Moves a parked connection back into a task. */
static void
http__idle_resume(struct http_server *s, struct http_idle *id)
{
	struct sockaddr_storage peer = id->peer;
	socklen_t len = id->peerlen;
	int fd = rt_watch_fd(&id->io), was_head = id->prev == NULL;

	http__idle_unlink(s, id);
	/* On failure the runtime closed the fd and dropped the hold. */
	if (rt_server_resume(&s->tcp, fd, (struct sockaddr *)&peer, len) != 0)
		http__idle_release(s, fd);
	if (was_head)
		http__idle_rearm(s);
}

/*
 * Readable (the next request, or EOF): resume the connection in a task.
 * Readable again before that task has run (a poll between two runs of the
 * ready queue): nothing to do, it reads them soon.  Readable while the task
 * serves the connection (a pipelined request during a handler's sleep,
 * EOF): the task will see them when it reads, and the watcher stops, since
 * epoll is level-triggered and would report them at every poll until then.
 */
_Static_assert(offsetof(struct http_idle, io) == 0,
    "http__idle_ready_cb finds the record at its watcher's address");

static void
http__idle_ready_cb(struct rt_watch *w, int revents)
{
	struct http_idle *id = (struct http_idle *)(void *)w;	/* io first */

	(void)revents;
	if (id->state == HTTP__IDLE_PARKED)
		http__idle_resume(w->arg, id);
	else if (id->state == HTTP__IDLE_SERVING)
		rt_watch_stop(w);
}

int
http__idle_park(struct http_server *s, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen, int queue)
{
	struct http__queue *q = &s->q[queue];
	struct http_idle *id, **tab;
	size_t n;

	/*
	 * A connection keeps its record from its first park to its close, and
	 * the record's watcher stays set for its fd and started while a task
	 * serves the connection.  Why: libev keeps a stopped fd registered
	 * with epoll but, when a watcher starts on it in a later loop
	 * iteration, registers it again: an EPOLL_CTL_ADD failing with EEXIST
	 * (a watcher given its fd by rt_watch_start does so even within one
	 * iteration).  With the 0.5 s app every request spanned iterations:
	 * 1.8 epoll_ctl calls per request (strace), none now.
	 */
	id = (size_t)fd < s->nbyfd ? s->byfd[fd] : NULL;
	if (id == NULL) {
		if ((size_t)fd >= s->nbyfd) {
			n = s->nbyfd != 0 ? s->nbyfd : 1024;
			while (n <= (size_t)fd)
				n *= 2;
			if ((tab = http__server_realloc(s->byfd, n * sizeof(*tab)))
			    == NULL)
				return -ENOMEM;
			memset(tab + s->nbyfd, 0, (n - s->nbyfd) * sizeof(*tab));
			s->byfd = tab;
			s->nbyfd = n;
		}
		if ((id = s->idle_free) != NULL)
			s->idle_free = id->next;
		else if ((id = http__server_realloc(NULL, sizeof(*id))) == NULL)
			return -ENOMEM;
		rt_watch_init(&id->io, fd, RT_READ, http__idle_ready_cb, s);
		s->byfd[fd] = id;
	}
	id->queue = (unsigned char)queue;
	id->deadline = rt_loop_time() + http__queue_timeout(s, queue);
	id->peer = *peer;
	id->peerlen = peerlen;
	id->state = HTTP__IDLE_PARKED;
	rt_watch_resume(&id->io);
	id->next = NULL;
	id->prev = q->tail;
	if (q->tail != NULL)
		q->tail->next = id;
	else
		q->head = id;
	q->tail = id;
	if (q->head == id)
		http__idle_rearm(s);
	s->nidle++;
	rt_server_hold(&s->tcp);
	return 0;
}

/* ---- accepting ------------------------------------------------------------- */

static int
http__conn_handler(struct rt_conn *c, void *arg)
{
	return http__conn_serve(arg, c);
}

/*
 * A connection we cannot serve gets a 503 with Connection: close, sent
 * without waiting (a new socket's send buffer is empty, so it fits), and is
 * closed.  The response is formatted on the stack: this runs when the
 * worker is at its connection cap, out of memory for a task (why
 * -ENOMEM) or out of descriptors (why -EMFILE, through the runtime's
 * reserve), when nothing may be allocated.
 */
void
http__busy(struct http_server *s, int fd, int why)
{
	char buf[512];
	ssize_t n;

	s->st.rejected++;
	http__stats_request(s, HTTP_M_OTHER, 503);
	if (why != 0)
		http__log_limited(s, &s->busy_errlim, 0, "cannot serve a "
		    "connection: %s: answered 503", rt_strerror(why));
	n = http__error_response(s, buf, sizeof(buf), 503, 1, 0, 0);
	if (n > 0 && (n = send(fd, buf, (size_t)n, MSG_DONTWAIT |
	    MSG_NOSIGNAL)) > 0)
		s->st.bytes_sent += (uint64_t)n;
	http__access_busy(s, fd, n > 0 ? (size_t)n : 0, n > 0 ?
	    http__error_body_len(503) : 0);
	/* Closing with unread bytes would send a reset that may destroy the
	 * 503 in flight: drop what the request already sent (a few reads,
	 * never waiting).  Best effort: bytes arriving later still reset. */
	(void)shutdown(fd, SHUT_WR);
	for (int i = 0; i < 4 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0;
	    i++)
		;
	(void)close(fd);
}

static void
http__overload_cb(int fd, int why, void *arg)
{
	http__busy(arg, fd, why);
}

/* How many idle keep-alive connections one accept failure may close. */
#define DRAIN_IDLE	32

/*
 * accept() failed for want of descriptors or memory.  Said once per
 * period, with nginx's wording; then, as nginx drains its reusable
 * connections, the oldest idle keep-alive connections are closed to make
 * room (their clients reconnect, as they do after the keep-alive timeout):
 * a new client is worth more than one that sent nothing for a while.
 * Fresh connections, whose first request may be on its way, are kept.
 */
static int
http__accept_error_cb(int err, void *arg)
{
	struct http_server *s = arg;
	int n = 0;

	while (n < DRAIN_IDLE && s->q[HTTP__Q_KEEPALIVE].head != NULL) {
		http__idle_close(s, s->q[HTTP__Q_KEEPALIVE].head);
		n++;
	}
	if (n > 0)
		http__idle_rearm(s);
	http__log_limited(s, &s->accept_errlim, 0, "accept() failed (%d: %s)"
	    "%s", -err, rt_strerror(err), n > 0 ? "; closed idle keep-alive "
	    "connections to make room" : "; new connections get 503");
	return n > 0;
}

static void
http__alog_timer_cb(struct rt_timer *w)
{
	struct http_server *s = w->arg;

	if (s->alog_len > 0)
		http__access_flush(s);
}

/*
 * Puts every app's routes, under their prefixes, into the server's router;
 * notes the largest body any route takes (the parser's limit: each route
 * checks its own).  0, or -1 with the reason in err.
 */
static int
http__server_routes(struct http_server *s, char *err, size_t errlen)
{
	const struct http_server_conf *conf = s->conf;
	struct http__route *r;
	size_t a, i;
	char why[512];

	http_router_init(&s->router);
	for (a = 0; a < conf->napps; a++) {
		for (i = 0; i < conf->apps[a]->nroutes; i++) {
			r = conf->apps[a]->routes[i];
			if (http_router_add(&s->router, r->method, r->full,
			    (void *)(uintptr_t)r, r->file, r->line, why,
			    sizeof(why)) != 0) {
				(void)snprintf(err, errlen, "app %s: %s",
				    conf->apps[a]->name, why);
				return -1;
			}
			http__route_opts(s, r, &r->eff);
			if (r->eff.body_max > s->limits.max_body)
				s->limits.max_body = r->eff.body_max;
		}
	}
	return 0;
}

struct http_server *
http_server_new(const struct http_server_conf *conf, char *err,
    size_t errlen)
{
	struct rt_server_opts opts;
	struct http_server *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->alog = malloc(HTTP__ALOG_CAP)) == NULL) {
		free(s);
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = conf;
	s->limits = conf->limits;
	s->name_len = strlen(conf->server_name);
	s->head200_sec = -2;	/* no head cached yet */
	if (conf->access_fmt != NULL)
		s->alog_fmt = *conf->access_fmt;
	else if (http_logfmt_compile(&s->alog_fmt, HTTP_LOGFMT_COMBINED,
	    HTTP_LOGFMT_ESC_DEFAULT, err, errlen) != 0) {
		free(s->alog);
		free(s);
		return NULL;
	}
	/* $request_id: unique across workers and restarts without any
	 * coordination, as nginx's (random), but one getrandom per process,
	 * not per request: a random prefix and a count. */
	if (getrandom(s->alog_id, sizeof(s->alog_id[0]), 0) !=
	    (ssize_t)sizeof(s->alog_id[0]))
		s->alog_id[0] = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	if (http__server_routes(s, err, errlen) != 0) {
		http_router_free(&s->router);
		free(s->alog);
		free(s);
		return NULL;
	}
	/* A broken proxy, or a client that found the port: once a second. */
	s->proxy_errlim.period = 1.0;
	memset(&opts, 0, sizeof(opts));
	opts.max_conns = conf->max_conns;
	opts.overload = http__overload_cb;
	opts.accept_error = http__accept_error_cb;
	rt_server_init(&s->tcp, &opts);
	/* The input buffer holds one whole request head and a page more, so
	 * that a body streams through in useful pieces while the head stays
	 * where it is. */
	s->in_cap = (conf->limits.max_head > 4096 ? conf->limits.max_head :
	    4096) + HTTP__BODY_ROOM;
	/* The arena holds a copy of the head and what accessors decode of
	 * it (each at most as long as the head). */
	s->arena_cap = 2 * (size_t)conf->limits.max_head + 8192;
	rt_timer_init(&s->idle_timer, http__idle_timer_cb, s);
	rt_timer_init(&s->alog_timer, http__alog_timer_cb, s);
	return s;
}

int
http_server_adopt(struct http_server *s, int fd, unsigned flags)
{
	int err;

	if ((err = rt_server_adopt(&s->tcp, fd)) != 0)
		return err;
	/* The runtime tells each connection its listener's index. */
	if (flags & HTTP_LISTEN_PROXY)
		s->proxy_listeners |= 1u << (s->tcp.nfds - 1);
	return 0;
}

void
http_server_drain(struct http_server *s)
{
	s->draining = 1;
}

int
http_server_stopping(const struct http_server *s)
{
	return s->stopping || s->draining;
}

int
http_server_start(struct http_server *s)
{
	if (s->conf->access_fd != NULL && s->conf->access_flush > 0)
		rt_timer_start(&s->alog_timer, s->conf->access_flush,
		    s->conf->access_flush);
	return rt_server_start(&s->tcp, http__conn_handler, s);
}

int
http_server_shutdown(struct http_server *s, double timeout, int serve_idle)
{
	int q, cancelled = 0;

	s->stopping = 1;
	rt_server_stop_accepting(&s->tcp);
	/*
	 * At a stop, idle keep-alive connections go back into tasks, which
	 * see stopping: a request already in the socket is served (with
	 * Connection: close), otherwise the connection closes lingering.  A
	 * plain close() here would reset connections whose next request is
	 * in flight.  At a reload they stay parked like fresh connections,
	 * accepted but with no request yet: the request is served when it
	 * comes, within the deadline, so a busy client never sees its
	 * connection closed under it (bench/http-workers: wrk counted ~31
	 * read errors per reload before).
	 */
	if (!serve_idle)
		while (s->q[HTTP__Q_KEEPALIVE].head != NULL)
			http__idle_resume(s, s->q[HTTP__Q_KEEPALIVE].head);
	/* Active ones finish their request and close (conn.c sees stopping). */
	if (rt_server_wait_idle(&s->tcp, timeout) != 0) {
		for (q = 0; q < HTTP__Q_COUNT; q++)
			while (s->q[q].head != NULL)
				http__idle_close(s, s->q[q].head);
		cancelled = (int)rt_server_connections(&s->tcp);
		rt_server_cancel_all(&s->tcp);
		(void)rt_server_wait_idle(&s->tcp, RT_FOREVER);
	}
	rt_timer_stop(&s->idle_timer);
	rt_timer_stop(&s->alog_timer);
	http__access_flush(s);
	return cancelled;
}

void
http_server_stats(const struct http_server *s, struct http_stats *st)
{
	*st = s->st;
	st->accepted = s->tcp.accepted;
	/* Held (parked) connections count in the runtime's figure too. */
	st->open = rt_server_connections(&s->tcp);
	st->active = st->open - s->nidle;
}

void
http_server_flush_access(struct http_server *s)
{
	if (s != NULL && s->alog_len > 0)
		http__access_flush(s);
}

void
http_server_free(struct http_server *s)
{
	struct http_idle *id;
	struct http__buf *b;
	int k;

	if (s == NULL)
		return;
	rt_server_close(&s->tcp);
	rt_timer_stop(&s->alog_timer);
	rt_timer_stop(&s->idle_timer);
	while ((id = s->idle_free) != NULL) {
		s->idle_free = id->next;
		free(id);
	}
	for (size_t i = 0; i < s->nbyfd; i++)
		free(s->byfd[i]);
	free(s->byfd);
	for (k = 0; k < HTTP__BUF_KINDS; k++)
		while ((b = s->free[k]) != NULL) {
			s->free[k] = b->next;
			free(b);
		}
	http_router_free(&s->router);
	free(s->alog);
	free(s);
}
