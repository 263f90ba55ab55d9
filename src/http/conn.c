/*
 * conn.c - one HTTP/1.1 connection, its whole life: taken from the
 * runtime's accept, served by a task, parked between requests, resumed,
 * drained, closed.
 *
 *   accept() (rt_server)            at the cap, no memory, no fd:
 *        |                          http__busy answers 503 and closes,
 *        |                          in the accept callback itself
 *        v
 *   +-> NEW ------------------ bad or no PROXY header ---------------+
 *   |    | http__conn_open: the task takes the fd (c->fd = -1)       |
 *   |    v                                                           |
 *   |  READING a head <---------------+  framing error, header       |
 *   |    | a whole head               |  timeout: 4xx -> CLOSING     |
 *   |    v                            |                              |
 *   |  IN A HANDLER                   |  client gone -> CLOSED       |
 *   |    | its response queued        |  (nothing flushed)           |
 *   |    v                            |                              |
 *   |  WRITING ---- bytes of a next --+  flushed when the task is    |
 *   |    |          request buffered     about to wait; no           |
 *   |    |                               keep-alive -> CLOSING       |
 *   |    | nothing buffered (a fresh connection: no byte yet):       |
 *   |    | flush, http__idle_park                                    |
 *   |    v                                                           |
 *   |  PARKED ---- keep-alive or header timeout (the idle timer),    |
 *   |    |         accept failing (EMFILE: oldest keep-alive         |
 *   |    |         first), shutdown past its deadline -> CLOSED      |
 *   |    | readable: http__idle_ready_cb, rt_server_resume           |
 *   +----+ (a fresh task, listener -1)                               |
 *                                                                    v
 *   CLOSING: flush what is owed; lingering: half-close, read and drop
 *   for 1 s; then close(fd) -> CLOSED (the task ends).
 *
 *   DRAINING is not a place but a flag any state sees: after
 *   http_server_drain or at a stop (s->draining, s->stopping) every
 *   response says Connection: close and the connection goes on to
 *   CLOSING, lingering (http__conn_keep); at a stop (not a reload)
 *   PARKED keep-alive connections are resumed at once to serve what is
 *   in flight or close lingering, and past the deadline the parked are
 *   closed and the tasks cancelled (http__conn_shutdown).
 *
 * Who owns the fd:
 *   accept() to http__conn_open     the runtime (struct rt_conn)
 *   NEW to WRITING, CLOSING         the connection's task (hc.fd)
 *   PARKED                          its struct http_idle (s->byfd[fd],
 *                                   its watcher), the task gone
 * and all along the runtime counts the connection, for the cap and for
 * shutdown: a task's while one runs, a hold (rt_server_hold) while parked.
 * Once parked, a connection keeps its record until it closes, its watcher
 * started while a task serves it (see http__idle_park): http__conn_close
 * and http__idle_close release it before close().
 *
 * The task reads into a pooled input buffer, parses with the strict parser
 * (parser.c), finds the request's route (router.c) and runs its app's
 * middlewares and its handler right here, in the connection's task, where
 * they may wait on anything.  Responses go into a pooled output buffer,
 * written only when the task is about to wait (before reading more bytes,
 * before a handler's wait, before parking), so the responses to a batch of
 * pipelined requests that arrived together leave in one send(), in order.
 *
 * When no byte of a next request is buffered, the connection parks: the
 * task ends, its stack and buffers go back to their pools, and it becomes
 * a struct http_idle with an rt_watch on its fd, in one of two death
 * queues (fresh: no request yet; keep-alive); a queue's head past its
 * deadline is closed by the one idle timer.  Readable again, it is resumed
 * in a fresh task through rt_server_resume.
 *
 * Why not the runtime's rt_stream, which also buffers reads and writes:
 * a stream owns its two buffers for its whole life (16 + 64 KiB by
 * default, allocated by rt_stream_init), where a connection here holds
 * pooled ones (20 KiB in, 32 KiB out with the default limits) only while
 * its task runs and parks in a 224-byte struct http_idle: bench/http
 * holds an idle keep-alive connection to 2 KiB of resident memory, where
 * a stream per connection would keep 80 KiB of buffers.  And
 * rt_stream_write sends at once when nothing is queued, which would split
 * a pipelined batch's responses into a send() each; here they leave
 * together when the task is about to wait.  What the two share is the
 * runtime's rt_fd_wait.
 *
 * A handler's run, with its route's options: the task is named after the
 * route ("GET /hello/{name}", what a crash or overflow report and
 * rt_task_dump show); a timeout is a deadline scope around it; with
 * cancel_on_disconnect a watcher on the socket cancels it when the client
 * closes; with a stack_size it runs in a task of its own with that stack,
 * joined (shielded: its request lives on our stack) before we go on.  What
 * it returns becomes the response (response.c); what it left unread of the
 * body is discarded, within the body limit, so the connection can serve
 * the next request.
 *
 * Timeouts, all from the loop:
 *   header     from the first missing byte of a head to its blank line: a
 *              deadline scope around the reads (slowloris); 408 and close.
 *              Not while responses owed to earlier requests are flushed.
 *              A fresh connection waits parked for its first byte as long.
 *   body       each read of a request body; close.
 *   keepalive  parked between requests (a death queue, below); close.
 *   send       a write to the client, from the first time the socket is
 *              full until the write is done; close.
 * After a framing error the connection answers and closes: the parser keeps
 * its error, so no byte after it is ever parsed as a request.
 *
 * The client's address.  On a proxy_protocol listener a connection's first
 * bytes are a PROXY header (proxyproto.c), read by http__conn_proxy before
 * any request within the header timeout: its address becomes the connection's
 * peer, kept while it parks; without a valid header the connection closes
 * unanswered (it is not HTTP we could answer).  The bytes read with the
 * header are the first request's.  Then, per request, a peer among the
 * trusted proxies has its client taken from X-Forwarded-For (realip.c).
 * Neither costs more than a test when it is off.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-int.h"

/* The parking record of a connection (PARKED, below). */
static int	http__idle_park(struct http_server *s, int fd,
		    const struct sockaddr_storage *peer, socklen_t peerlen,
		    int queue);
static void	http__idle_release(struct http_server *s, int fd);
static void	http__idle_serving(struct http_server *s, int fd);
/* Answers 503 and closes fd (no allocation, no wait); why is 0 at the
 * connection cap, or the error that stopped us serving it. */
static void	http__busy(struct http_server *s, int fd, int why);


/*
 * Whether the response now being written keeps the connection open.
 * Decided as its head is written, not when its request arrived: a handler
 * may wait (a sleep, the stats of every worker) through the start of a
 * graceful stop, a drain or a reload, and then the response must say
 * Connection: close, since the connection will not stay.  A client told so may
 * already have pipelined its next request: the close lingers over it.
 */
int
http__conn_keep(struct http_conn *hc)
{
	/* A body the client waits for our word to send, and that no one
	 * asked for: we cannot tell where the next request starts. */
	hc->keep = hc->p.req.keep_alive && !hc->s->stopping &&
	    !hc->s->draining && !hc->rq.continue_due;
	if (!hc->keep && (hc->s->stopping || hc->s->draining))
		hc->linger = 1;
	return hc->keep;
}

int
http__conn_send(struct http_conn *hc, const void *p, size_t len)
{
	const char *b = p;
	struct rt_scope sc;
	size_t off = 0;
	ssize_t n;
	int err = 0, in_scope = 0;

	if (hc->broken)
		return -EPIPE;
	while (off < len) {
		n = send(hc->fd, b + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			hc->tx += (uint64_t)n;
			hc->s->st.bytes_sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/*
			 * The send deadline runs from the first time the
			 * socket is full, not from the write's start: the
			 * sends before it did not wait, and a write that never
			 * waits (nearly all) reads no clock at all.
			 */
			if (!in_scope) {
				rt_scope_enter(&sc, hc->s->conf->timeouts.send);
				in_scope = 1;
			}
			if ((err = rt_fd_wait(hc->fd, RT_WRITE, RT_FOREVER)) != 0)
				break;
			continue;
		}
		err = n < 0 ? -errno : -EPIPE;
		break;
	}
	if (in_scope && rt_scope_exit(&sc) && err == -ETIMEDOUT)
		hc->s->st.timeouts[HTTP_TMO_SEND]++;
	if (err != 0)
		hc->broken = 1;
	return err;
}

int
http__conn_flush(struct http_conn *hc)
{
	int err;

	if (hc->out_len == 0)
		return 0;
	err = http__conn_send(hc, hc->out, hc->out_len);
	hc->out_len = 0;
	return err;
}

int
http__conn_write(struct http_conn *hc, const void *p, size_t n)
{
	int err;

	if (HTTP__OUT_CAP - hc->out_len < n) {
		if (p == NULL && n > HTTP__OUT_CAP)
			return -ENOSPC;
		if ((err = http__conn_flush(hc)) != 0)
			return err;
		/* Large writes go out from the caller's memory. */
		if (n > HTTP__OUT_CAP / 2 && p != NULL)
			return http__conn_send(hc, p, n);
	}
	if (p != NULL) {
		memcpy(hc->out + hc->out_len, p, n);
		hc->out_len += n;
	}
	return 0;
}

/*
 * Reads once more into the input buffer, waiting at most timeout per wait
 * (0: not at all, -EAGAIN if nothing is there).  Returns the bytes read, 0
 * at EOF, or an error.
 */
ssize_t
http__conn_read(struct http_conn *hc, double timeout)
{
	size_t cap = hc->s->in_cap;
	ssize_t n;
	int err;

	if (hc->in_len == cap)
		return -ENOBUFS;
	for (;;) {
		/* recv, not read: a socket's read() goes through the VFS
		 * layer first (vfs_read, sock_read_iter: 2% of a keep-alive
		 * worker's CPU in perf), recv() straight to the socket. */
		n = recv(hc->fd, hc->in + hc->in_len, cap - hc->in_len, 0);
		if (n > 0) {
			hc->in_len += (size_t)n;
			hc->s->st.bytes_received += (uint64_t)n;
			return n;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		if (timeout == 0)
			return -EAGAIN;		/* only looking */
		if ((err = rt_fd_wait(hc->fd, RT_READ, timeout)) != 0)
			return err;
	}
}

/* Drops the consumed bytes in front of the buffer (n <= what the parser
 * allows: see http_parser_shift). */
void
http__conn_compact(struct http_conn *hc, size_t n)
{
	if (n == 0 || http_parser_shift(&hc->p, n) != 0)
		return;
	memmove(hc->in, hc->in + n, hc->in_len - n);
	hc->in_len -= n;
}

static void
http__count(struct http_conn *hc, int status)
{
	http__stats_request(hc->s, hc->p.req.method_id, status);
	if (hc->served > 0)
		hc->s->st.reused++;
	hc->served++;
}

/* Queues an error response, closing the connection after it if close is
 * set or http__conn_keep says so; its body's length, or -errno. */
static ssize_t
http__conn_error(struct http_conn *hc, int status, int close, const char *allow,
    int head_only)
{
	ssize_t n;
	int err;

	if ((err = http__conn_write(hc, NULL, 1024)) != 0)
		return err;
	if (close)
		hc->keep = 0;
	else
		close = !http__conn_keep(hc);
	n = http__error_response(hc->s, hc->out + hc->out_len,
	    HTTP__OUT_CAP - hc->out_len, status, close, allow, head_only);
	if (n < 0)
		return n;
	hc->out_len += (size_t)n;
	http__count(hc, status);
	return head_only ? 0 : (ssize_t)http__error_body_len(status);
}

/* Answers a request whose head failed or never ended (a framing error,
 * the header timeout) with status, closing after it, and logs it. */
static void
http__conn_reject(struct http_conn *hc, int status)
{
	struct http__alog_req alog;
	ssize_t body;

	hc->client = &hc->peer;		/* no header was read to say else */
	hc->clientlen = hc->peerlen;
	http__access_begin(hc, &alog, 0);
	body = http__conn_error(hc, status, 1, NULL, 0);
	http__access_end(hc, &alog, status, body > 0 ? (uint64_t)body : 0);
}

/*
 * Ends a connection after an error response: half-close, then read and
 * drop what the client still sends for a moment, so that our response is
 * not destroyed by a reset for unread data (nginx's lingering close).
 */
static void
http__conn_linger(struct http_conn *hc)
{
	struct rt_scope sc;
	char sink[1024];
	ssize_t n;

	if (shutdown(hc->fd, SHUT_WR) == -1)
		return;
	rt_scope_enter(&sc, 1.0);
	for (;;) {
		n = read(hc->fd, sink, sizeof(sink));
		if (n > 0 || (n < 0 && errno == EINTR))
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    rt_fd_wait(hc->fd, RT_READ, RT_FOREVER) == 0)
			continue;
		break;
	}
	(void)rt_scope_exit(&sc);
}

/* ---- the client's address ------------------------------------------------ */

/* ss's address as text, for a log line. */
static const char *
http__conn_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET ?
	    (const void *)&((const struct sockaddr_in *)(const void *)ss)->
	    sin_addr : (const void *)&((const struct sockaddr_in6 *)
	    (const void *)ss)->sin6_addr;

	if ((ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		(void)snprintf(buf, len, "?");
	return buf;
}

/*
 * Reads the PROXY header a proxy_protocol listener requires, within the
 * header timeout (the one a fresh connection's first request has: the
 * header is the first thing it sends, in the same packet as a rule).
 * The header is taken out of the input buffer; what came after it stays,
 * the first request's.  0, or -1 to close the connection unanswered.
 */
static int
http__conn_proxy(struct http_conn *hc)
{
	struct http_server *s = hc->s;
	struct http_proxy_hdr h;
	struct rt_scope sc;
	char addr[INET6_ADDRSTRLEN];
	ssize_t n = 1;
	int r;

	rt_scope_enter(&sc, s->conf->timeouts.header);
	/* The parser answers AGAIN for at most HTTP_PROXY_MAX bytes, fewer
	 * than the buffer holds: the loop ends. */
	while ((r = http_proxy_parse(hc->in, hc->in_len, &h)) ==
	    HTTP_PROXY_AGAIN && (n = http__conn_read(hc, RT_FOREVER)) > 0)
		;
	(void)rt_scope_exit(&sc);
	if (r > 0) {
		hc->in_len -= (size_t)r;
		memmove(hc->in, hc->in + r, hc->in_len);
		if (h.has_addr) {
			hc->peer = h.src;
			hc->peerlen = h.srclen;
		}
		return 0;
	}
	if (r == HTTP_PROXY_INVALID) {
		s->st.parse_errors[HTTP_PERR_PROXY]++;
		http__log_limited(s, &s->proxy_errlim, 2, "no valid PROXY "
		    "protocol header from %s: closed", http__conn_addr(&hc->peer,
		    addr, sizeof(addr)));
	} else if (n == -ETIMEDOUT) {
		s->st.timeouts[HTTP_TMO_HEADER]++;
		http__log_limited(s, &s->proxy_errlim, 3, "no PROXY protocol "
		    "header from %s in %g s: closed", http__conn_addr(&hc->peer,
		    addr, sizeof(addr)), s->conf->timeouts.header);
	}
	/* EOF before any header: a proxy's TCP health check, say nothing. */
	return -1;
}

/*
 * The request's client, when its peer is a trusted proxy: the right-most
 * X-Forwarded-For address that is not a trusted proxy's (realip.c), the
 * field lines taken as one list in their order.
 */
static void
http__conn_realip(struct http_conn *hc)
{
	const struct http_server_conf *conf = hc->s->conf;
	const struct http_request *rq = &hc->p.req;
	const struct http_header *f;
	socklen_t len = hc->peerlen;
	uint32_t i;

	if (!http_cidr_match(conf->trusted, conf->ntrusted,
	    (const struct sockaddr *)&hc->peer))
		return;
	hc->xff = hc->peer;
	for (i = rq->nheaders; i-- > 0;) {
		f = &rq->headers[i];
		if (f->name.len == sizeof("X-Forwarded-For") - 1 &&
		    strncasecmp(hc->in + f->name.off, "X-Forwarded-For",
		    f->name.len) == 0 && !http_xff_walk(conf->trusted,
		    conf->ntrusted, hc->in + f->value.off, f->value.len,
		    &hc->xff, &len))
			break;
	}
	hc->client = &hc->xff;
	hc->clientlen = len;
}

/* ---- running a handler --------------------------------------------------- */

int
http_next(struct http_req *rq, struct http_resp *rs)
{
	const struct http_app *app = rq->route->app;
	size_t i = rq->mw_next;
	int ret;

	if (i == app->nmw)
		return rq->route->fn(rq, rs, rq->route->arg);
	/* A middleware may call us more than once (a retry): each call runs
	 * the rest of the chain from the same place. */
	rq->mw_next = i + 1;
	ret = app->mw[i].fn(rq, rs, app->mw[i].arg);
	rq->mw_next = i;
	return ret;
}

/* The socket watched while a cancel_on_disconnect handler runs. */
struct conn_watch {
	struct rt_watch		 w;
	struct rt_task		*task;		/* the handler's */
	int			 on;
};

/*
 * Readable while the handler runs: EOF or a reset means the client is
 * gone, and the handler is cancelled; bytes mean a pipelined request, and
 * watching stops (its EOF can no longer be told apart).
 */
static void
http__conn_gone_cb(struct rt_watch *w, int revents)
{
	struct conn_watch *cw = w->arg;
	char c;
	ssize_t n;

	(void)revents;
	n = recv(w->io.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	rt_watch_stop(w);
	cw->on = 0;
	if (n <= 0)
		(void)rt_task_cancel(cw->task);
}

/* The handler with its timeout and disconnect watch, in the calling task. */
static int
http__conn_run(void *arg)
{
	struct http_conn *hc = arg;
	const struct http_route_opts *o = &hc->rq.route->eff;
	struct conn_watch cw;
	struct rt_scope sc;
	int ret, expired = 0;

	cw.on = 0;
	if (o->cancel_on_disconnect) {
		cw.task = rt_task_current();
		cw.on = 1;
		rt_watch_start(&cw.w, hc->fd, RT_READ, http__conn_gone_cb, &cw);
	}
	if (o->timeout > 0)
		rt_scope_enter(&sc, o->timeout);
	ret = http_next(&hc->rq, &hc->rs);
	if (o->timeout > 0)
		expired = rt_scope_exit(&sc);
	if (cw.on)
		rt_watch_stop(&cw.w);
	/* The route's own deadline passed: the gateway's timeout. */
	if (expired && ret == -ETIMEDOUT) {
		hc->s->st.timeouts[HTTP_TMO_HANDLER]++;
		ret = 504;
	}
	return ret;
}

/*
 * Runs the request's middlewares and handler, with its route's options;
 * what the handler returned.
 */
static int
http__conn_handle(struct http_conn *hc)
{
	const struct http__route *r = hc->rq.route;
	struct rt_task *self = rt_task_current(), *t;
	const struct http_route_opts *o = &r->eff;
	int ret, err;

	/* Labelled with its route while the handler runs: a crash report
	 * says which. */
	rt_task_set_label(self, r->name);
	if (o->stack_size == 0) {
		ret = http__conn_run(hc);
		rt_task_set_label(self, NULL);
		return ret;
	}
	err = rt_task_spawn_opts(&t, r->name, http__conn_run, hc,
	    &(struct rt_task_opts){ .stack_size = o->stack_size });
	if (err != 0) {
		rt_task_set_label(self, NULL);
		return err;
	}
	ret = rt_task_join(t, NULL, RT_FOREVER);
	if (ret == -ECANCELED || ret == -ETIMEDOUT) {
		/* We are cancelled (a fast stop): so is the handler, and we
		 * wait for it, since its request lives on our stack. */
		(void)rt_task_cancel(t);
		rt_shield_enter();
		ret = rt_task_join(t, NULL, RT_FOREVER);
		rt_shield_exit();
	}
	rt_task_release(t);
	rt_task_set_label(self, NULL);
	return ret;
}

/* What a handler's error becomes when nothing was sent. */
static int
http__conn_error_status(int ret)
{
	switch (ret) {
	case -EFBIG:
		return 413;
	case -EBADMSG:
	case -EMSGSIZE:
		return 400;
	case -ETIMEDOUT:
		return 408;
	default:
		return 500;
	}
}
/*
 * A request no route took (404, 405): its answer, after what is left of
 * its body is read and dropped, since the connection may serve another.
 * The status logged, with *bytes its body's bytes; or -errno, logged, to
 * drop the connection.
 */
static int
http__conn_unrouted(struct http_conn *hc, struct http__alog_req *alog,
    int status, int has_body, int head_only, ssize_t *bytes)
{
	const struct http_router_match *m = &hc->rq.m;
	int st;

	if (has_body && hc->p.req.expect_continue) {
		/* RFC 9110 §10.1.1: a final status instead of 100; the
		 * client then need not send the body, so we cannot read past
		 * it: close (lingering). */
		*bytes = http__conn_error(hc, status, 1, m->allow, head_only);
		hc->linger = 1;
		return status;
	}
	if (has_body) {
		hc->rq.body_state = 0;
		hc->rq.pend_len = 0;
		st = http__req_discard(hc, hc->s->conf->limits.max_body);
		if (st > 0) {
			/* Bad framing or too large: answer that, and close
			 * lingering over what we did not read. */
			*bytes = http__conn_error(hc, st, 1, NULL, 0);
			hc->linger = 1;
			return st;
		}
		if (st < 0) {
			/* Gone mid-body: the answer was due. */
			http__access_end(hc, alog, status, 0);
			return st;
		}
	}
	*bytes = http__conn_error(hc, status, 0, status == 405 ? m->allow :
	    NULL, head_only);
	return status;
}

/*
 * Runs the route's middlewares and handler; what becomes the response: the
 * handler's final status, or one its error or a wrong value maps to (said
 * in the error log) when nothing was sent yet.
 */
static int
http__conn_call(struct http_conn *hc)
{
	struct http_server *s = hc->s;
	int ret;

	if (http__req_begin(hc, hc->rq.m.entry->data) != 0)
		return 503;	/* no arena: the server is out of memory */
	ret = http__conn_handle(hc);
	if (ret > 0 && (ret < 200 || ret > 599) && !hc->rs.started) {
		http__log_limited(s, &hc->rq.route->errlim, 0, "%s: returned "
		    "%d, not a final status", hc->rq.route->name, ret);
		ret = 500;
	} else if (ret < 0 && !hc->rs.started) {
		http__log_limited(s, &hc->rq.route->errlim, 0, "%s: %s",
		    hc->rq.route->name, rt_strerror(ret));
		ret = http__conn_error_status(ret);
	}
	return ret;
}

/*
 * A routed request: its handler's run, the end of its response, and what is
 * left of its body.  The status logged, with *bytes its body's bytes; or
 * -EPIPE, logged, when the client went away.
 */
static int
http__conn_routed(struct http_conn *hc, struct http__alog_req *alog,
    int has_body, int head_only, ssize_t *bytes)
{
	int ret;

	http__resp_init(hc, head_only);
	ret = http__conn_call(hc);
	if (hc->broken) {
		/* The client went away: the line says what was due, as far
		 * as it went (nginx's 499 when nothing was). */
		http__req_end(hc);
		http__access_end(hc, alog, hc->rs.started ? hc->rs.status :
		    499, hc->rs.sent);
		return -EPIPE;
	}
	if (http__resp_end(hc, ret) != 0)
		hc->keep = 0;
	*bytes = (ssize_t)hc->rs.sent;
	http__count(hc, hc->rs.status);
	if (hc->rq.continue_due && has_body) {
		/* It was never read, and the client waits for our word
		 * before sending it: we cannot read past it. */
		hc->keep = 0;
		hc->linger = 1;
	} else if (hc->keep && has_body &&
	    http__req_discard(hc, hc->rq.body_max) != 0) {
		hc->keep = 0;
		hc->linger = 1;
	}
	http__req_end(hc);
	return hc->rs.status;
}

/*
 * Answers the request whose head the parser just completed: finds its
 * route and its client, answers it (routed or not), counts and logs it.
 * Returns 1 to keep the connection, 0 to close it (after flushing), or a
 * negative errno to drop it at once.
 */
static int
http__conn_request(struct http_conn *hc)
{
	struct http_server *s = hc->s;
	const struct http_request *rq = &hc->p.req;
	struct http__alog_req alog;
	int status, head_only, has_body;
	ssize_t bytes = 0;
	double t0 = rt_loop_time();

	head_only = rq->method_id == HTTP_M_HEAD;
	has_body = rq->has_content_length ? rq->content_length > 0 :
	    rq->chunked;
	hc->rq.continue_due = 0;	/* until a handler's request sets it */
	status = http_router_match(&s->router, hc->in + rq->method.off,
	    rq->method.len, rq->method_id, hc->in + rq->path.off,
	    rq->path.len, &hc->rq.m);

	hc->client = &hc->peer;
	hc->clientlen = hc->peerlen;
	if (s->conf->ntrusted > 0)
		http__conn_realip(hc);
	/* What the access log needs, before the body may move the buffer. */
	http__access_begin(hc, &alog, 1);

	if (status != 0)
		status = http__conn_unrouted(hc, &alog, status, has_body,
		    head_only, &bytes);
	else
		status = http__conn_routed(hc, &alog, has_body, head_only,
		    &bytes);
	if (status < 0)
		return status;		/* logged */
	http__stats_duration(s, rt_loop_time() - t0);
	http__access_end(hc, &alog, status, bytes > 0 ? (uint64_t)bytes : 0);
	return hc->keep;
}

/* ---- the serve loop ------------------------------------------------------ */

/* What a step of the serve loop says comes next. */
enum {
	HTTP__CONN_PARSE,	/* bytes came: parse again */
	HTTP__CONN_PARKED,	/* the fd is parked: the task ends */
	HTTP__CONN_CLOSE,	/* flush what is owed, close */
	HTTP__CONN_LINGER,	/* flush, close lingering (http__conn_linger) */
	HTTP__CONN_DROP		/* nothing may be sent: close at once */
};

/*
 * NEW: takes the connection from the runtime (its fd is ours from here,
 * closed or parked by this task) with a pooled input and output buffer.
 * 0, or -1 when there is no memory for them: the client was answered 503
 * and the fd is closed.
 */
static int
http__conn_open(struct http_conn *hc, struct http_server *s,
    struct rt_conn *c)
{
	/* Not memset: the response's field buffer is 4 KiB, and this runs
	 * for every request of a keep-alive connection. */
	hc->in_len = hc->out_len = hc->req_begin = 0;
	hc->served = 0;
	hc->keep = 1;
	hc->linger = hc->broken = 0;
	hc->t0 = rt_loop_wall();
	hc->tx = hc->tx0 = 0;
	hc->rq.arena = NULL;
	hc->rq.body = NULL;
	hc->rq.continue_due = 0;
	hc->s = s;
	hc->fd = c->fd;
	c->fd = -1;		/* ours now: closed or parked by this task */
	http__idle_serving(s, hc->fd);
	hc->peer = c->peer;
	hc->peerlen = c->peerlen;
	hc->client = &hc->peer;
	hc->clientlen = hc->peerlen;
	hc->headers = http__buf_get(s, HTTP__BUF_IN);
	hc->out = http__buf_get(s, HTTP__BUF_OUT);
	if (hc->headers == NULL || hc->out == NULL) {
		/* No memory for this connection's buffers: say so, rather
		 * than close it without a word. */
		http__buf_put(s, hc->headers, HTTP__BUF_IN);
		http__buf_put(s, hc->out, HTTP__BUF_OUT);
		http__idle_release(s, hc->fd);
		http__busy(s, hc->fd, -ENOMEM);
		hc->fd = -1;
		return -1;
	}
	/* One pooled block: the header array, then the bytes. */
	hc->in = (char *)(hc->headers + s->conf->limits.max_headers);
	http_parser_init(&hc->p, &s->limits, hc->headers);
	return 0;
}

/*
 * Between requests (WRITING to PARKED): nothing of the next one is
 * buffered.  Sends what we owe, then looks once more without waiting, else
 * parks.  What comes next.
 */
static int
http__conn_between(struct http_conn *hc)
{
	struct http_server *s = hc->s;
	ssize_t n;

	http__conn_compact(hc, hc->req_begin);
	hc->req_begin = 0;
	if (http__conn_flush(hc) != 0)
		return HTTP__CONN_CLOSE;
	/*
	 * A fresh connection's request has usually arrived with it: read
	 * before parking.  After a response the next request rarely has (one
	 * in flight per connection): park at once and let epoll say, rather
	 * than pay a read that fails with EAGAIN per request.
	 */
	if (hc->served == 0 || s->stopping) {
		n = http__conn_read(hc, 0);
		if (n > 0)	/* closed after it if stopping */
			return HTTP__CONN_PARSE;
		if (n != -EAGAIN)
			return HTTP__CONN_CLOSE;	/* EOF, error */
	}
	if (s->stopping) {
		/* A request may be on its way: close lingering, so it meets
		 * an orderly EOF (which clients retry on a reused
		 * connection), not a reset. */
		return HTTP__CONN_LINGER;
	}
	if (http__idle_park(s, hc->fd, &hc->peer, hc->peerlen, hc->served > 0 ?
	    HTTP__Q_KEEPALIVE : HTTP__Q_FRESH) == 0) {
		hc->fd = -1;
		return HTTP__CONN_PARKED;
	}
	/* No memory for a parking record: wait here, on the stack and
	 * buffers we already have, as long as the record would have. */
	n = http__conn_read(hc, hc->served > 0 ? s->conf->timeouts.keepalive :
	    s->conf->timeouts.header);
	return n > 0 ? HTTP__CONN_PARSE : HTTP__CONN_CLOSE;
}

/*
 * READING a head that is partial: reads more within the header deadline, a
 * scope (sc) entered at the first wait and left by the caller once the
 * head is whole.  What comes next.
 */
static int
http__conn_more_head(struct http_conn *hc, struct rt_scope *sc,
    int *in_scope)
{
	struct http_server *s = hc->s;
	ssize_t n;

	/*
	 * Send what we owe first: the header deadline measures how slowly the
	 * client sends, not how slowly it reads, which the send timeout
	 * judges.  (Inside the scope, a pipelining client that reads slowly
	 * was cut off by the header deadline, mid-flush and without a 408.)
	 * Later rounds here flush nothing: no response is made while the head
	 * is partial.
	 */
	if (http__conn_flush(hc) != 0)
		return HTTP__CONN_CLOSE;
	if (!*in_scope) {
		rt_scope_enter(sc, s->conf->timeouts.header);
		*in_scope = 1;
	}
	if (hc->in_len == s->in_cap) {
		http__conn_compact(hc, hc->req_begin);
		hc->req_begin = 0;
	}
	n = http__conn_read(hc, RT_FOREVER);
	if (n > 0)
		return HTTP__CONN_PARSE;
	(void)rt_scope_exit(sc);
	*in_scope = 0;
	if (n == -ETIMEDOUT) {
		s->st.timeouts[HTTP_TMO_HEADER]++;
		http__conn_reject(hc, 408);
		return HTTP__CONN_LINGER;
	}
	return HTTP__CONN_CLOSE;	/* EOF mid-request, or an error */
}

/*
 * READING, IN A HANDLER, WRITING, round and round: parses what is buffered,
 * answers each whole head, reads more or parks when the buffer runs out.
 * How it ended: parked, or how to close.
 */
static int
http__conn_loop(struct http_conn *hc)
{
	struct rt_scope sc;
	int r, next, in_scope = 0;

	for (;;) {
		r = http_parser_feed(&hc->p, hc->in, hc->in_len);
		if (r == HTTP_AGAIN) {
			next = hc->in_len == hc->req_begin ?
			    http__conn_between(hc) :
			    http__conn_more_head(hc, &sc, &in_scope);
			if (next != HTTP__CONN_PARSE)
				break;
			continue;
		}
		if (in_scope) {
			(void)rt_scope_exit(&sc);
			in_scope = 0;
		}
		if (r > 0) {
			/* A framing error: answer, then close. */
			http__stats_parse_error(hc->s, r);
			http__conn_reject(hc, r);
			next = HTTP__CONN_LINGER;
			break;
		}
		if ((r = http__conn_request(hc)) <= 0) {
			next = r < 0 ? HTTP__CONN_DROP : hc->linger ?
			    HTTP__CONN_LINGER : HTTP__CONN_CLOSE;
			break;
		}
		if (http_parser_next(&hc->p) != 0) {
			next = HTTP__CONN_CLOSE;
			break;
		}
		hc->req_begin = hc->p.pos;
		/* The next request's clock and bytes start here: pipelined,
		 * it is already waiting. */
		hc->t0 = rt_loop_wall();
		hc->tx0 = hc->tx + hc->out_len;
	}
	if (in_scope)
		(void)rt_scope_exit(&sc);
	return next;
}

/* CLOSING: flushes what is owed unless how is HTTP__CONN_DROP, lingers
 * if it is HTTP__CONN_LINGER, and closes the fd. */
static void
http__conn_close(struct http_conn *hc, int how)
{
	if (how != HTTP__CONN_DROP && http__conn_flush(hc) == 0 &&
	    how == HTTP__CONN_LINGER)
		http__conn_linger(hc);
	if (hc->fd >= 0) {
		http__idle_release(hc->s, hc->fd);
		/* Linux releases the fd even when close reports an error. */
		(void)close(hc->fd);
		hc->fd = -1;
	}
}

/*
 * The connection's task, for a fresh connection (accepted) and a resumed
 * one (parked, then readable) alike: the whole of its time in a task.
 */
static int
http__conn_serve(struct http_server *s, struct rt_conn *c)
{
	struct http_conn hc;
	int how;

	if (http__conn_open(&hc, s, c) != 0)
		return 0;
	/* A fresh connection of a proxy_protocol listener (a resumed one,
	 * listener -1, read its header before it parked); nothing is owed
	 * without a header: close at once. */
	if (c->listener >= 0 && (s->proxy_listeners >> c->listener & 1) &&
	    http__conn_proxy(&hc) != 0)
		how = HTTP__CONN_DROP;
	else
		how = http__conn_loop(&hc);
	if (how != HTTP__CONN_PARKED)
		http__conn_close(&hc, how);
	http__buf_put(s, hc.headers, HTTP__BUF_IN);
	http__buf_put(s, hc.out, HTTP__BUF_OUT);
	return 0;
}

/* ---- PARKED: the record, the death queues, the idle timer ---------------- */

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
	/*
	 * Lazily: a timer armed for no later than the earliest deadline is
	 * left alone (none left: it fires once for nothing and stays
	 * stopped).  Early costs one callback that closes nothing and arms
	 * again; re-arming at every resume of a queue's head, which is every
	 * keep-alive request, cost a libev stop and start each time (about
	 * 190 instructions of ~4,600 per request under callgrind).
	 */
	if (next == HUGE_VAL ||
	    (rt_timer_active(&s->idle_timer) && s->idle_armed <= next))
		return;
	s->idle_armed = next;
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

/* Forgets fd's parking record: before a connection's fd is closed. */
static void
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

/* The connection's task has started: it reads what is there now. */
static void
http__idle_serving(struct http_server *s, int fd)
{
	if (fd >= 0 && (size_t)fd < s->nbyfd && s->byfd[fd] != NULL)
		s->byfd[fd]->state = HTTP__IDLE_SERVING;
}

/* PARKED to CLOSED: timeout, shutdown, or a resume that failed. */
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

/* PARKED to NEW: moves a parked connection back into a task (the runtime
 * spawns it; it runs http__conn_accept). */
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

/* WRITING to PARKED: takes the connection's fd into its record, in the
 * death queue queue; 0 or -ENOMEM. */
static int
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

/* ---- NEW: the accept hand-off -------------------------------------------- */

/* The runtime's connection handler (rt_conn_fn): a task per accepted or
 * resumed connection. */
int
http__conn_accept(struct rt_conn *c, void *arg)
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
static void
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

void
http__conn_setup(struct http_server *s, struct rt_server_opts *opts)
{
	opts->overload = http__overload_cb;
	opts->accept_error = http__accept_error_cb;
	rt_timer_init(&s->idle_timer, http__idle_timer_cb, s);
}

/* ---- DRAINING and the end ------------------------------------------------ */

int
http__conn_shutdown(struct http_server *s, double timeout, int serve_idle)
{
	int q, cancelled = 0;

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
	/* Active ones finish their request and close (http__conn_keep sees
	 * stopping). */
	if (rt_server_wait_idle(&s->tcp, timeout) != 0) {
		for (q = 0; q < HTTP__Q_COUNT; q++)
			while (s->q[q].head != NULL)
				http__idle_close(s, s->q[q].head);
		cancelled = (int)rt_server_connections(&s->tcp);
		rt_server_cancel_all(&s->tcp);
		(void)rt_server_wait_idle(&s->tcp, RT_FOREVER);
	}
	rt_timer_stop(&s->idle_timer);
	return cancelled;
}
