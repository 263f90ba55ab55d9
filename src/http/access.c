/*
 * access.c - the access log: what a request's line shows is gathered as
 * its head is parsed (http__access_begin), and the line is formatted by
 * logfmt.c, when the response is done, straight into one buffer per
 * server (http__access_end): no system call and no allocation per request.
 *
 * When lines reach the file: when the buffer (64 KiB) has no room for the
 * format's longest line, every conf->access_flush seconds (1 by default:
 * a timer in server.c), at once for every line while the server stops (a
 * graceful stop or a reload: a draining worker may be killed at its
 * deadline, and the lines of the responses it already sent must not die
 * with it), before the logs are reopened (SIGUSR1), and at exit.  Each
 * flush is whole lines, written with O_APPEND: workers sharing a file
 * never interleave inside a line.
 *
 * Every response gets a line, those made before any route was chosen
 * included (400, 408, 413, 414, 431, and 503 at the connection cap), and
 * so does one that was due but could not be sent (the client went away:
 * the status it would have had, and the bytes that did go).
 *
 * A write that fails (a full disk) drops the buffered lines, never a
 * request: the error log says so once when writes start failing and once
 * when they work again, with the bytes lost, not once per line.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http-int.h"

_Static_assert(HTTP__ALOG_CAP >= 2 * HTTP_LOGFMT_LINE_MAX,
    "the access log buffer must hold at least two whole lines");

int
http__access_on(const struct http_server *s)
{
	return s->conf->access_fd != NULL && *s->conf->access_fd >= 0;
}

void
http__access_flush(struct http_server *s)
{
	const int *fdp = s->conf->access_fd;
	size_t off = 0;
	ssize_t n;

	if (fdp == NULL || *fdp < 0) {
		s->alog_len = 0;
		return;
	}
	while (off < s->alog_len) {
		n = write(*fdp, s->alog + off, s->alog_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->alog_dropped += s->alog_len - off;
			if (!s->alog_failing && s->conf->log != NULL)
				s->conf->log(0, "access log: write failed (%s): "
				    "its lines are dropped until a write "
				    "works again", n < 0 ? strerror(errno) :
				    "nothing written");
			s->alog_failing = 1;
			s->alog_len = 0;
			return;
		}
		off += (size_t)n;
	}
	if (s->alog_failing && s->conf->log != NULL)
		s->conf->log(1, "access log: writing again; %llu bytes of "
		    "lines were lost", (unsigned long long)s->alog_dropped);
	s->alog_failing = 0;
	s->alog_dropped = 0;
	s->alog_len = 0;
}

/* Appends r's line to the buffer, flushing first when the format's
 * longest line might not fit: whole lines only. */
static void
http__access_append(struct http_server *s, const struct http_logfmt_rec *r)
{
	size_t n;

	if (HTTP__ALOG_CAP - s->alog_len < s->alog_fmt.line_max)
		http__access_flush(s);
	n = http_logfmt_line(s->alog + s->alog_len,
	    HTTP__ALOG_CAP - s->alog_len, &s->alog_fmt, r);
	s->alog_len += n;	/* 0 cannot happen: the room was made */
	if (s->stopping || s->conf->access_flush <= 0)
		http__access_flush(s);
}

/* Copies n bytes at p into a's buffer for dst, as many as the field can
 * show and the buffer still holds; dst is marked cut if that is less. */
static void
http__grab(struct http__alog_req *a, struct http_logfmt_str *dst, const char *p,
    size_t n)
{
	size_t k = n;

	if (k > HTTP_LOGFMT_FIELD_MAX)
		k = HTTP_LOGFMT_FIELD_MAX;
	if (k > sizeof(a->buf) - a->used)
		k = sizeof(a->buf) - a->used;
	memcpy(a->buf + a->used, p, k);
	dst->p = a->buf + a->used;
	dst->len = k;
	dst->cut = k < n;
	a->used += k;
}

void
http__access_begin(struct http_conn *hc, struct http__alog_req *a,
    int parsed)
{
	const struct http_server *s = hc->s;
	const struct http_logfmt *f = &s->alog_fmt;
	const struct http_request *rq = &hc->p.req;
	const struct http_header *h;
	const char *start, *name;
	size_t lim, n, i, j, len;

	if (!(a->on = http__access_on(s)))
		return;
	a->used = 0;
	a->r.request.p = NULL;
	a->r.request.len = 0;
	for (j = 0; j < f->nhdrs; j++)
		a->r.hdr[j].p = NULL;
	if (parsed) {
		start = hc->in + rq->start;
		lim = rq->head_len;
	} else {
		/* A head that failed or never ended: its first line, as far as
		 * it was received. */
		start = hc->in + hc->req_begin;
		lim = hc->in_len - hc->req_begin;
	}
	if (f->uses & HTTP_LOGFMT_USES_REQUEST) {
		for (n = 0; n < lim && start[n] != '\r' && start[n] != '\n';
		    n++)
			;
		http__grab(a, &a->r.request, start, n);
	}
	if (!parsed || f->nhdrs == 0)
		return;
	for (i = 0; i < rq->nheaders; i++) {
		h = &rq->headers[i];
		for (j = 0; j < f->nhdrs; j++) {
			name = http_logfmt_hdr(f, j, &len);
			if (a->r.hdr[j].p == NULL && h->name.len == len &&
			    strncasecmp(hc->in + h->name.off, name, len) == 0) {
				/* The first of a repeated header, as nginx. */
				http__grab(a, &a->r.hdr[j], hc->in + h->value.off,
				    h->value.len);
			}
		}
	}
}

void
http__access_end(struct http_conn *hc, struct http__alog_req *a, int status,
    uint64_t body)
{
	struct http_server *s = hc->s;
	double now;

	if (!a->on || !http__access_on(s))
		return;
	now = rt_loop_wall();
	a->r.peer = hc->client;
	a->r.when = (time_t)now;
	a->r.status = status;
	a->r.body_bytes = body;
	a->r.bytes = hc->tx + hc->out_len - hc->tx0;
	a->r.request_time = now - hc->t0;
	a->r.worker = s->conf->worker;
	if (s->alog_fmt.uses & HTTP_LOGFMT_USES_REQUEST_ID) {
		a->r.id[0] = s->alog_id[0];
		a->r.id[1] = ++s->alog_id[1];
	}
	http__access_append(s, &a->r);
}

void
http__access_busy(struct http_server *s, int fd, size_t bytes, size_t body)
{
	struct http_logfmt_rec r;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!http__access_on(s))
		return;
	memset(&r, 0, sizeof(r));
	/* A syscall, but only for a connection turned away: the accept
	 * path keeps no address for those. */
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		r.peer = &ss;
	r.when = (time_t)rt_loop_wall();
	r.status = 503;
	r.body_bytes = body;
	r.bytes = bytes;
	r.worker = s->conf->worker;
	if (s->alog_fmt.uses & HTTP_LOGFMT_USES_REQUEST_ID) {
		r.id[0] = s->alog_id[0];
		r.id[1] = ++s->alog_id[1];
	}
	http__access_append(s, &r);
}
