/*
 * conn.c - one HTTP/1.1 connection, served by one task.
 *
 * The task reads into a pooled input buffer, parses with the strict parser
 * (parser.c), answers each request into a pooled output buffer, and writes
 * that buffer only when it is about to wait: before reading more bytes,
 * before a handler's simulated I/O, before parking.  So the responses to a
 * batch of pipelined requests that arrived together leave in one send(),
 * in order.
 *
 * When no byte of a next request is buffered, the connection parks
 * (server.c): the task ends, its stack and both buffers go back to their
 * pools, and an ev_io waits for the next request in a few hundred bytes.
 *
 * Timeouts, all from the loop:
 *   header     from the first missing byte of a head to its blank line: a
 *              deadline scope around the reads (slowloris); 408 and close.
 *              Not while responses owed to earlier requests are flushed.
 *              A fresh connection waits parked for its first byte as long.
 *   body       each read of a request body; close.
 *   keepalive  parked between requests (server.c's death queue); close.
 *   send       a flush of the output buffer, from the first time the
 *              socket is full until the flush is done; close.
 * After a framing error the connection answers and closes: the parser keeps
 * its error, so no byte after it is ever parsed as a request.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-int.h"

/* A response body: the longest is hello's, its parameter HTML-escaped
 * (6 bytes per byte at worst). */
#define BODY_MAX	(HTTP_PARAM_MAX * 6 + 64)
/* What the access log keeps of a request until its line is written: one
 * byte more than a field can show, so that logfmt.c sees a longer field
 * is longer and marks the cut. */
#define LOGFIELD_MAX	(HTTP_LOGFMT_FIELD_MAX + 1)

/* Lives on the connection task's stack. */
struct http_conn {
	struct http_server	*s;
	int			 fd;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct http_parser	 p;
	struct http_header	*headers;
	char			*in;		/* s->in_cap bytes */
	size_t			 in_len;
	char			*out;		/* HTTP__OUT_CAP bytes */
	size_t			 out_len;
	size_t			 req_begin;	/* where the next request's bytes
						   begin: p.pos after init/next (the
						   parser's pos also moves line by line
						   inside a head) */
	unsigned		 served;	/* requests answered */
	int			 keep;		/* the last response kept the
						   connection (conn_keep) */
	int			 linger;	/* closing with request bytes
						   still unread: conn_linger */
};

/*
 * Whether the response now being written keeps the connection open.
 * Decided as its head is written, not when its request arrived: a handler
 * may wait (a sleep, the stats of every worker) through the start of a
 * graceful stop or a reload, and then the response must say Connection:
 * close, since the connection will not stay.  A client told so may
 * already have pipelined its next request: the close lingers over it.
 */
static int
conn_keep(struct http_conn *hc)
{
	hc->keep = hc->p.req.keep_alive && !hc->s->stopping;
	if (!hc->keep && hc->s->stopping)
		hc->linger = 1;
	return hc->keep;
}

/* Writes the output buffer whole within the send timeout.  0 or error. */
static int
conn_flush(struct http_conn *hc)
{
	struct rt_scope sc;
	size_t off = 0;
	ssize_t n;
	int err = 0, in_scope = 0;

	if (hc->out_len == 0)
		return 0;
	while (off < hc->out_len) {
		n = send(hc->fd, hc->out + off, hc->out_len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/*
			 * The send deadline runs from the first time the
			 * socket is full, not from the flush's start: the
			 * sends before it did not wait, and a flush that never
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
	if (in_scope)
		(void)rt_scope_exit(&sc);
	hc->out_len = 0;
	return err;
}

/* Room for n more output bytes, flushing first if needed. */
static int
conn_reserve(struct http_conn *hc, size_t n)
{
	if (n > HTTP__OUT_CAP)
		return -ENOSPC;
	if (HTTP__OUT_CAP - hc->out_len < n)
		return conn_flush(hc);
	return 0;
}

/*
 * Reads once more into the input buffer, waiting at most timeout per wait
 * (0: not at all, -EAGAIN if nothing is there).  Returns the bytes read, 0
 * at EOF, or an error.
 */
static ssize_t
conn_read(struct http_conn *hc, double timeout)
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
static void
conn_compact(struct http_conn *hc, size_t n)
{
	if (n == 0 || http_parser_shift(&hc->p, n) != 0)
		return;
	memmove(hc->in, hc->in + n, hc->in_len - n);
	hc->in_len -= n;
}

static int
header_is(const struct http_conn *hc, const struct http_header *h,
    const char *name, size_t len)
{
	return h->name.len == len &&
	    strncasecmp(hc->in + h->name.off, name, len) == 0;
}

/* Copies header name's value (truncated) into dst for the access log. */
static size_t
log_header(const struct http_conn *hc, const char *name, char *dst)
{
	const struct http_request *rq = &hc->p.req;
	size_t i, n;

	for (i = 0; i < rq->nheaders; i++) {
		if (!header_is(hc, &rq->headers[i], name, strlen(name)))
			continue;
		n = rq->headers[i].value.len;
		if (n > LOGFIELD_MAX)
			n = LOGFIELD_MAX;
		memcpy(dst, hc->in + rq->headers[i].value.off, n);
		return n;
	}
	return 0;
}

static void
count(struct http_conn *hc, int status)
{
	hc->s->st.requests++;
	if (status >= 400)
		hc->s->st.errors++;
	hc->served++;
}

/* Queues an error response, closing the connection after it if close is
 * set or conn_keep says so; 0 or error. */
static int
conn_error(struct http_conn *hc, int status, int close, unsigned allow,
    int head_only)
{
	ssize_t n;
	int err;

	if ((err = conn_reserve(hc, 1024)) != 0)
		return err;
	if (close)
		hc->keep = 0;
	else
		close = !conn_keep(hc);
	n = http__error_response(hc->s, hc->out + hc->out_len,
	    HTTP__OUT_CAP - hc->out_len, status, close, allow, head_only);
	if (n < 0)
		return (int)n;
	hc->out_len += (size_t)n;
	count(hc, status);
	return 0;
}

/*
 * Ends a connection after an error response: half-close, then read and
 * drop what the client still sends for a moment, so that our response is
 * not destroyed by a reset for unread data (nginx's lingering close).
 */
static void
conn_linger(struct http_conn *hc)
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

/*
 * Reads and drops the request body (no route takes one), so the next
 * pipelined request starts where it should.  0, or an error status (400,
 * 413, 431), or a negative errno for I/O.
 */
static int
conn_discard_body(struct http_conn *hc)
{
	struct http_slice data;
	ssize_t n;
	int r;

	for (;;) {
		r = http_parser_body(&hc->p, hc->in, hc->in_len, &data);
		if (r == HTTP_DONE)
			return 0;
		if (r != HTTP_AGAIN)
			return r;
		if (data.len > 0)
			continue;
		/* All buffered body bytes are consumed: make room. */
		conn_compact(hc, hc->p.pos);
		n = conn_read(hc, hc->s->conf->timeouts.body);
		if (n == 0)
			return -ENODATA;
		if (n < 0)
			return (int)n;
	}
}

static char *
put_str(char *p, const char *str, size_t len)
{
	memcpy(p, str, len);
	return p + len;
}

/*
 * Queues the head of a 200 response with a body of blen bytes: assembled
 * with memcpy, not snprintf, which was the largest cost of a small
 * response.  extra: more header lines, each ending in CRLF, or "".
 * 0 or -ENOSPC.
 */
static int
conn_head_ok(struct http_conn *hc, const char *ctype, size_t blen,
    const char *extra)
{
	static const char l1[] = "HTTP/1.1 200 OK\r\nServer: ";
	static const char l2[] = "\r\nDate: ";
	static const char l3[] = "\r\nContent-Type: ";
	static const char l4[] = "\r\nContent-Length: ";
	static const char close[] = "Connection: close\r\n";
	static const char ka[] = "Connection: keep-alive\r\n";
	const char *name = hc->s->conf->server_name;
	size_t nlen = strlen(name), tlen = strlen(ctype), xlen = strlen(extra);
	char digits[24], *p, *d = digits + sizeof(digits);
	int err, keep;

	do
		*--d = (char)('0' + blen % 10);
	while ((blen /= 10) != 0);
	if ((err = conn_reserve(hc, sizeof(l1) + sizeof(l2) + sizeof(l3) +
	    sizeof(l4) + sizeof(ka) + nlen + HTTP__DATE_LEN + tlen + xlen +
	    sizeof(digits) + 4)) != 0)
		return err;
	keep = conn_keep(hc);
	p = hc->out + hc->out_len;
	p = put_str(p, l1, sizeof(l1) - 1);
	p = put_str(p, name, nlen);
	p = put_str(p, l2, sizeof(l2) - 1);
	p = put_str(p, http__date(), HTTP__DATE_LEN);
	p = put_str(p, l3, sizeof(l3) - 1);
	p = put_str(p, ctype, tlen);
	p = put_str(p, l4, sizeof(l4) - 1);
	p = put_str(p, d, (size_t)(digits + sizeof(digits) - d));
	p = put_str(p, "\r\n", 2);
	p = put_str(p, extra, xlen);
	if (!keep)
		p = put_str(p, close, sizeof(close) - 1);
	else if (hc->p.req.version == 10)
		p = put_str(p, ka, sizeof(ka) - 1);
	p = put_str(p, "\r\n", 2);
	hc->out_len = (size_t)(p - hc->out);
	count(hc, 200);
	return 0;
}

/* Which stats page path is: 0 JSON, 1 metrics, -1 neither. */
static int
conn_stats_kind(const struct http_conn *hc)
{
	const struct http_server_conf *conf = hc->s->conf;
	const struct http_request *rq = &hc->p.req;
	const char *path = hc->in + rq->path.off;
	size_t len = rq->path.len;

	if (conf->stats == NULL)
		return -1;
	if (conf->stats_path != NULL && strlen(conf->stats_path) == len &&
	    memcmp(conf->stats_path, path, len) == 0)
		return 0;
	if (conf->metrics_path != NULL && strlen(conf->metrics_path) == len &&
	    memcmp(conf->metrics_path, path, len) == 0)
		return 1;
	return -1;
}

/*
 * Answers GET of the stats or metrics page: asks the daemon for every
 * worker's counters (this may suspend), formats them into a buffer of its
 * own, sends the head from the output buffer and the body after it.
 * Returns the status sent and the body length in *bytes, or a negative
 * errno for I/O.
 */
static int
conn_stats(struct http_conn *hc, int metrics, int head_only, size_t *bytes)
{
	struct http_server *s = hc->s;
	struct http_cluster_stats *cs;
	char *body, *saved;
	size_t cap = 64 * 1024;
	ssize_t blen = -ENOMEM;
	int err = 0;

	*bytes = 0;
	cs = malloc(sizeof(*cs));
	body = malloc(cap);
	if (cs != NULL && body != NULL) {
		/* Earlier responses leave before we wait for the master. */
		if ((err = conn_flush(hc)) != 0) {
			free(cs);
			free(body);
			return err;
		}
		err = s->conf->stats(s->conf->stats_arg, cs, 1.0);
		blen = err != 0 ? err : http__stats_body(cs, metrics, body, cap);
	}
	free(cs);
	if (blen < 0) {
		free(body);
		http__log_limited(s, &s->stats_errlim, 1,
		    "stats unavailable: %s", rt_strerror((int)blen));
		return (err = conn_error(hc, 503, 0, 0, head_only)) != 0 ?
		    err : 503;
	}
	err = conn_head_ok(hc, metrics ?
	    "text/plain; version=0.0.4; charset=utf-8" : "application/json",
	    (size_t)blen, "Cache-Control: no-store\r\n");
	if (err == 0)
		err = conn_flush(hc);
	if (err == 0 && !head_only) {
		/* The body is larger than the output buffer may hold: send it
		 * from its own buffer. */
		saved = hc->out;
		hc->out = body;
		hc->out_len = (size_t)blen;
		err = conn_flush(hc);
		hc->out = saved;
		*bytes = (size_t)blen;
	}
	free(body);
	return err != 0 ? err : 200;
}

/*
 * Answers the request whose head the parser just completed.  Returns 1 to
 * keep the connection, 0 to close it (after flushing), or a negative errno
 * to drop it at once.
 */
static int
conn_request(struct http_conn *hc)
{
	struct http_server *s = hc->s;
	const struct http_request *rq = &hc->p.req;
	char body[BODY_MAX], reqline[LOGFIELD_MAX], ref[LOGFIELD_MAX],
	    ua[LOGFIELD_MAX];
	size_t reqlen = 0, reflen = 0, ualen = 0, before;
	const char *ctype, *eol;
	struct http_match m;
	int status, head_only, err, stats;
	ssize_t blen = 0;

	head_only = rq->method_id == HTTP_M_HEAD;
	status = http_router_match(s->conf->router, rq->method_id,
	    hc->in + rq->path.off, rq->path.len, &m);
	stats = status == 404 ? conn_stats_kind(hc) : -1;
	if (stats >= 0 && rq->method_id != HTTP_M_GET && !head_only) {
		status = 405;
		m.allow = (1u << HTTP_M_GET) | (1u << HTTP_M_HEAD);
		stats = -1;
	}

	/* What the access log needs, before the body may move the buffer. */
	if (s->conf->access_fd != NULL && *s->conf->access_fd >= 0) {
		eol = memchr(hc->in + rq->start, '\r', rq->head_len);
		reqlen = eol != NULL ? (size_t)(eol - (hc->in + rq->start)) : 0;
		if (reqlen > sizeof(reqline))
			reqlen = sizeof(reqline);
		memcpy(reqline, hc->in + rq->start, reqlen);
		reflen = log_header(hc, "Referer", ref);
		ualen = log_header(hc, "User-Agent", ua);
	}

	if (rq->has_content_length ? rq->content_length > 0 : rq->chunked) {
		if (rq->expect_continue && status != 0) {
			/* RFC 9110 §10.1.1: a final status instead of 100; the
			 * client then need not send the body, so we cannot
			 * read past it: close (lingering). */
			(void)conn_error(hc, status, 1, m.allow, head_only);
			hc->linger = 1;
			return 0;
		}
		if (rq->expect_continue) {
			/* RFC 9110 §10.1.1: earlier responses first. */
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			if ((err = conn_reserve(hc, sizeof(cont))) != 0)
				return err;
			memcpy(hc->out + hc->out_len, cont, sizeof(cont) - 1);
			hc->out_len += sizeof(cont) - 1;
			if ((err = conn_flush(hc)) != 0)
				return err;
		}
		err = conn_discard_body(hc);
		if (err > 0) {
			/* Bad chunked framing or too large: answer it and
			 * close, lingering over the body we did not read. */
			(void)conn_error(hc, err, 1, 0, 0);
			hc->linger = 1;
			return 0;
		}
		if (err < 0)
			return err;
	}

	before = hc->out_len;
	if (stats >= 0) {
		size_t bytes;

		if ((status = conn_stats(hc, stats, head_only, &bytes)) < 0)
			return status;
		if (reqlen > 0)
			http__access_log(s, &hc->peer, reqline, reqlen, status,
			    bytes, ref, reflen, ua, ualen);
		return hc->keep;
	}
	if (status == 0) {
		if (m.route->delay > 0) {
			/* Don't hold earlier responses while we wait. */
			if ((err = conn_flush(hc)) != 0)
				return err;
			before = 0;
			if ((err = rt_sleep(m.route->delay)) != 0)
				return err;
		}
		blen = http_app_body(&m, body, sizeof(body), &ctype);
		if (blen < 0)
			status = 500;
	}
	if (status != 0) {
		if ((err = conn_error(hc, status, 0, m.allow, head_only)) != 0)
			return err;
	} else {
		/* Head and body together, so they never straddle a flush. */
		if ((err = conn_reserve(hc, 1024 + (size_t)blen)) != 0)
			return err;
		before = hc->out_len;
		if ((err = conn_head_ok(hc, ctype, (size_t)blen, "")) != 0)
			return err;
		if (!head_only) {
			memcpy(hc->out + hc->out_len, body, (size_t)blen);
			hc->out_len += (size_t)blen;
		}
		status = 200;
	}
	if (reqlen > 0 || s->conf->access_fd != NULL)
		http__access_log(s, &hc->peer, reqline, reqlen, status,
		    hc->out_len >= before ? hc->out_len - before : 0, ref, reflen,
		    ua, ualen);
	return hc->keep;
}

int
http__conn_serve(struct http_server *s, struct rt_conn *c)
{
	struct http_conn hc;
	struct rt_scope sc;
	int r, in_scope = 0, keep = 1, linger = 0;
	ssize_t n;

	memset(&hc, 0, sizeof(hc));
	hc.s = s;
	hc.fd = c->fd;
	c->fd = -1;		/* ours now: closed or parked below */
	http__idle_serving(s, hc.fd);
	hc.peer = c->peer;
	hc.peerlen = c->peerlen;
	hc.headers = http__buf_get(s, 0);
	hc.out = http__buf_get(s, 1);
	if (hc.headers == NULL || hc.out == NULL) {
		/* No memory for this connection's buffers: say so, rather
		 * than close it without a word. */
		http__idle_release(s, hc.fd);
		http__busy(s, hc.fd, -ENOMEM);
		hc.fd = -1;
		goto done;
	}
	/* One pooled block: the header array, then the bytes. */
	hc.in = (char *)(hc.headers + s->conf->limits.max_headers);
	http_parser_init(&hc.p, &s->conf->limits, hc.headers);

	for (;;) {
		r = http_parser_feed(&hc.p, hc.in, hc.in_len);
		if (r == HTTP_AGAIN) {
			if (hc.in_len == hc.req_begin) {
				/* Between requests: nothing of the next one
				 * yet.  Send what we owe, then look once more
				 * without waiting, else park. */
				conn_compact(&hc, hc.req_begin);
				hc.req_begin = 0;
				if (conn_flush(&hc) != 0)
					goto close;
				/*
				 * A fresh connection's request has usually
				 * arrived with it: read before parking.  After
				 * a response the next request rarely has (one
				 * in flight per connection): park at once and
				 * let epoll say, rather than pay a read that
				 * fails with EAGAIN per request.
				 */
				if (hc.served == 0 || s->stopping) {
					n = conn_read(&hc, 0);
					if (n > 0)
						continue;	/* closed after it
								   if stopping */
					if (n != -EAGAIN)
						goto close;	/* EOF, error */
				}
				if (s->stopping) {
					/* A request may be on its way: close
					 * lingering, so it meets an orderly
					 * EOF (which clients retry on a reused
					 * connection), not a reset. */
					linger = 1;
					goto close;
				}
				if (http__idle_park(s, hc.fd, &hc.peer,
				    hc.peerlen, hc.served > 0 ?
				    HTTP__Q_KEEPALIVE : HTTP__Q_FRESH) == 0) {
					hc.fd = -1;
					goto done;
				}
				/* No memory for a parking record: wait here,
				 * on the stack and buffers we already have,
				 * as long as the record would have. */
				n = conn_read(&hc, hc.served > 0 ?
				    s->conf->timeouts.keepalive :
				    s->conf->timeouts.header);
				if (n > 0)
					continue;
				goto close;
			}
			/*
			 * A partial head.  Send what we owe first: the header
			 * deadline measures how slowly the client sends, not
			 * how slowly it reads, which the send timeout judges.
			 * (Inside the scope, a pipelining client that reads
			 * slowly was cut off by the header deadline, mid-flush
			 * and without a 408.)  Later rounds here flush nothing:
			 * no response is made while the head is partial.
			 */
			if (conn_flush(&hc) != 0)
				goto close;
			if (!in_scope) {
				rt_scope_enter(&sc, s->conf->timeouts.header);
				in_scope = 1;
			}
			if (hc.in_len == s->in_cap) {
				conn_compact(&hc, hc.req_begin);
				hc.req_begin = 0;
			}
			n = conn_read(&hc, RT_FOREVER);
			if (n > 0)
				continue;
			(void)rt_scope_exit(&sc);
			in_scope = 0;
			if (n == -ETIMEDOUT) {
				(void)conn_error(&hc, 408, 1, 0, 0);
				linger = 1;
			}
			goto close;	/* EOF mid-request, or an error */
		}
		if (in_scope) {
			(void)rt_scope_exit(&sc);
			in_scope = 0;
		}
		if (r > 0) {
			/* A framing error: answer, then close. */
			(void)conn_error(&hc, r, 1, 0, 0);
			linger = 1;
			goto close;
		}
		keep = conn_request(&hc);
		if (keep <= 0) {
			linger = hc.linger;
			goto close;
		}
		if (http_parser_next(&hc.p) != 0)
			goto close;
		hc.req_begin = hc.p.pos;
	}

close:
	if (in_scope)
		(void)rt_scope_exit(&sc);
	if (keep >= 0 && conn_flush(&hc) == 0 && linger)
		conn_linger(&hc);
	if (hc.fd >= 0) {
		http__idle_release(s, hc.fd);
		/* Linux releases the fd even when close reports an error. */
		(void)close(hc.fd);
		hc.fd = -1;
	}
done:
	http__buf_put(s, hc.headers, 0);
	http__buf_put(s, hc.out, 1);
	return 0;
}
