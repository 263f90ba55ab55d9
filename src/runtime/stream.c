/*
 * stream.c - buffered reads and writes over a non-blocking fd (asyncio's
 * StreamReader and StreamWriter).
 *
 * Both buffers are allocated once, at rt_stream_init, with fixed sizes: a
 * peer can make us wait, never make us allocate.  The read buffer holds
 * rbuf[rpos, rpos + rlen); it is compacted (memmove to the front) only when
 * its tail is full, so a line is never copied twice.  A separator search
 * resumes where the previous scan stopped, so bytes trickling in one at a
 * time cost linear, not quadratic, work.
 *
 * Each call's timeout bounds the whole call, not each read: the call runs in
 * a deadline scope (wait.c), so a peer sending a byte just before every
 * per-read timeout cannot hold a task forever.
 *
 * Writes go straight to the kernel when nothing is queued (no copy on the
 * common path); what the kernel does not take is queued in the bounded
 * write buffer, and a write that does not fit waits for the kernel to take
 * bytes: that wait is the backpressure a slow reader exerts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt-int.h"

int
rt_stream_init(struct rt_stream *s, int fd, size_t rcap, size_t wcap)
{
	int flags, type;
	socklen_t len = sizeof(type);

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -errno;
	if (!(flags & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -errno;
	s->is_socket = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
	s->rcap = rcap != 0 ? rcap : RT_STREAM_RBUF;
	s->wcap = wcap != 0 ? wcap : RT_STREAM_WBUF;
	s->rbuf = malloc(s->rcap);
	s->wbuf = malloc(s->wcap);
	if (s->rbuf == NULL || s->wbuf == NULL) {
		free(s->rbuf);
		free(s->wbuf);
		s->rbuf = s->wbuf = NULL;
		return -ENOMEM;
	}
	s->fd = fd;
	return 0;
}

void
rt_stream_close(struct rt_stream *s)
{
	free(s->rbuf);
	free(s->wbuf);
	s->rbuf = s->wbuf = NULL;
	s->rlen = s->wlen = 0;
	if (s->fd >= 0) {
		/* Linux releases the fd even when close reports an error
		 * (EINTR included): there is nothing to retry. */
		(void)close(s->fd);
		s->fd = -1;
	}
}

/*
 * Reads once more into the free tail of the read buffer, waiting for the fd
 * if needed.  Returns the bytes added, 0 at EOF, or an error (sticky).
 */
static ssize_t
rt__fill(struct rt_stream *s)
{
	ssize_t n;
	int err;

	if (s->rerr != 0)
		return s->rerr;
	if (s->eof)
		return 0;
	if (s->rlen == 0)
		s->rpos = 0;
	else if (s->rpos + s->rlen == s->rcap) {
		memmove(s->rbuf, s->rbuf + s->rpos, s->rlen);
		s->rpos = 0;
	}
	if (s->rpos + s->rlen == s->rcap)
		return -ENOBUFS;
	for (;;) {
		n = read(s->fd, s->rbuf + s->rpos + s->rlen,
		    s->rcap - s->rpos - s->rlen);
		if (n > 0) {
			s->rlen += (size_t)n;
			return n;
		}
		if (n == 0) {
			s->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if ((err = rt_fd_wait(s->fd, RT_READ, RT_FOREVER)) != 0)
				return err;	/* timeouts are not sticky */
			continue;
		}
		s->rerr = -errno;
		return s->rerr;
	}
}

static void
rt__consume(struct rt_stream *s, void *buf, size_t n)
{
	memcpy(buf, s->rbuf + s->rpos, n);
	s->rpos += n;
	s->rlen -= n;
}

ssize_t
rt_stream_read(struct rt_stream *s, void *buf, size_t n, double timeout)
{
	struct rt_scope sc;
	ssize_t r = 0;

	if (n == 0)
		return 0;
	if (s->rlen == 0) {
		rt_scope_enter(&sc, timeout);
		r = rt__fill(s);
		(void)rt_scope_exit(&sc);
		if (r <= 0)
			return r;
	}
	if (n > s->rlen)
		n = s->rlen;
	rt__consume(s, buf, n);
	return (ssize_t)n;
}

int
rt_stream_readexactly(struct rt_stream *s, void *buf, size_t n,
    double timeout)
{
	struct rt_scope sc;
	char *p = buf;
	size_t take;
	ssize_t r = 1;

	rt_scope_enter(&sc, timeout);
	if (n <= s->rcap) {
		/* Consume only once all n bytes are buffered, so that a
		 * timeout or a cancellation loses nothing and the caller can
		 * read again (asyncio's readexactly).  rt__fill() never runs out
		 * of room here: it compacts a full tail, and rlen < n. */
		while (s->rlen < n && (r = rt__fill(s)) > 0)
			;
		if (s->rlen >= n) {
			rt__consume(s, p, n);
			n = 0;
		}
	} else {
		/* Larger than the buffer: it has to pass through in pieces,
		 * so a failure leaves a prefix consumed. */
		while (n > 0) {
			if (s->rlen == 0 && (r = rt__fill(s)) <= 0)
				break;
			take = n < s->rlen ? n : s->rlen;
			rt__consume(s, p, take);
			p += take;
			n -= take;
		}
	}
	(void)rt_scope_exit(&sc);
	if (n == 0)
		return 0;
	return r == 0 ? -ENODATA : (int)r;
}

static ssize_t
rt__read_until(struct rt_stream *s, const char *sep, size_t seplen, char *buf,
    size_t max, double timeout, int partial_ok)
{
	struct rt_scope sc;
	size_t scanned = 0, from, n;
	const char *hit;
	ssize_t r;

	if (seplen == 0 || max == 0)
		return -EINVAL;
	if (max > s->rcap)
		max = s->rcap;
	rt_scope_enter(&sc, timeout);
	for (;;) {
		/* Resume the search where the last one ended, less the
		 * separator's length in case it straddles the boundary. */
		from = scanned >= seplen ? scanned - seplen + 1 : 0;
		hit = s->rlen > from ? memmem(s->rbuf + s->rpos + from,
		    s->rlen - from, sep, seplen) : NULL;
		if (hit != NULL) {
			n = (size_t)(hit - (s->rbuf + s->rpos)) + seplen;
			if (n > max) {
				r = -EMSGSIZE;
				break;
			}
			rt__consume(s, buf, n);
			r = (ssize_t)n;
			break;
		}
		if (s->rlen >= max) {
			r = -EMSGSIZE;
			break;
		}
		scanned = s->rlen;
		if ((r = rt__fill(s)) > 0)
			continue;
		if (r == 0) {	/* EOF before the separator */
			/* readline returns a last unterminated line, but an
			 * empty one is the end of the stream: -ENODATA, as
			 * rt.h promises, never a 0 that reads like a line. */
			if (partial_ok && s->rlen > 0) {
				n = s->rlen;
				rt__consume(s, buf, n);
				r = (ssize_t)n;
			} else
				r = -ENODATA;
		}
		break;
	}
	(void)rt_scope_exit(&sc);
	return r;
}

ssize_t
rt_stream_readline(struct rt_stream *s, char *buf, size_t max, double timeout)
{
	return rt__read_until(s, "\n", 1, buf, max, timeout, 1);
}

ssize_t
rt_stream_readuntil(struct rt_stream *s, const char *sep, size_t seplen,
    char *buf, size_t max, double timeout)
{
	return rt__read_until(s, sep, seplen, buf, max, timeout, 0);
}

/* One non-blocking send; returns bytes, 0 for "try later", or an error. */
static ssize_t
rt__send_some(struct rt_stream *s, const char *p, size_t n)
{
	ssize_t r;

	for (;;) {
		if (s->is_socket)
			r = send(s->fd, p, n, MSG_NOSIGNAL);
		else
			r = write(s->fd, p, n);
		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		s->werr = errno == ECONNRESET ? -ECONNRESET : -EPIPE;
		if (errno != EPIPE && errno != ECONNRESET)
			s->werr = -errno;
		return s->werr;
	}
}

/* Sends queued bytes until at most keep are left, waiting as needed. */
static int
rt__flush_to(struct rt_stream *s, size_t keep)
{
	ssize_t r;
	int err;

	while (s->wlen > keep) {
		r = rt__send_some(s, s->wbuf + s->wpos, s->wlen);
		if (r < 0)
			return (int)r;
		if (r == 0) {
			if ((err = rt_fd_wait(s->fd, RT_WRITE, RT_FOREVER)) != 0)
				return err;
			continue;
		}
		s->wpos += (size_t)r;
		s->wlen -= (size_t)r;
	}
	if (s->wlen == 0)
		s->wpos = 0;
	return 0;
}

int
rt_stream_write(struct rt_stream *s, const void *buf, size_t n,
    double timeout)
{
	struct rt_scope sc;
	const char *p = buf;
	size_t take;
	ssize_t r;
	int err = 0;

	if (s->werr != 0)
		return s->werr;
	if (s->wlen == 0 && n > 0) {
		/* Nothing queued: the kernel may take it all, uncopied. */
		if ((r = rt__send_some(s, p, n)) < 0)
			return (int)r;
		p += r;
		n -= (size_t)r;
	}
	if (n == 0)
		return 0;
	rt_scope_enter(&sc, timeout);
	while (n > 0) {
		if (s->wpos + s->wlen == s->wcap && s->wpos > 0) {
			memmove(s->wbuf, s->wbuf + s->wpos, s->wlen);
			s->wpos = 0;
		}
		take = s->wcap - s->wpos - s->wlen;
		if (take > n)
			take = n;
		memcpy(s->wbuf + s->wpos + s->wlen, p, take);
		s->wlen += take;
		p += take;
		n -= take;
		/* Backpressure: make room for the rest before queueing it. */
		if (n > 0 && (err = rt__flush_to(s, s->wcap - (n < s->wcap ? n :
		    s->wcap))) != 0)
			break;
	}
	(void)rt_scope_exit(&sc);
	return err;
}

int
rt_stream_drain(struct rt_stream *s, double timeout)
{
	struct rt_scope sc;
	int err;

	if (s->werr != 0)
		return s->werr;
	if (s->wlen == 0)
		return 0;
	rt_scope_enter(&sc, timeout);
	err = rt__flush_to(s, 0);
	(void)rt_scope_exit(&sc);
	return err;
}

int
rt_stream_write_eof(struct rt_stream *s, double timeout)
{
	int err;

	if ((err = rt_stream_drain(s, timeout)) != 0)
		return err;
	if (shutdown(s->fd, SHUT_WR) == -1)
		return -errno;
	return 0;
}

size_t
rt_stream_pending(const struct rt_stream *s)
{
	return s->wlen;
}
