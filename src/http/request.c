/*
 * request.c - what a handler sees of its request: the head's parts, path
 * parameters, the query, header fields, the peer and the body.
 *
 * Every string an accessor returns stays valid until the handler returns.
 * A request without a body keeps its head where the parser found it, in
 * the input buffer, which nothing reads into while the handler runs; one
 * with a body has its head copied into an arena first (a pooled block of
 * the server's, bump-allocated and given back when the handler returns),
 * since reading the body moves the input buffer (conn.c compacts it).
 * Either way the method, the path and the query end in NUL in place (the
 * byte after each is a space or '?'), and so, on first use, do each
 * field's name (':') and value (the byte after a trimmed value is
 * whitespace or CR): no string is copied again.  What must be decoded
 * (parameters, the query, a field sent twice) is decoded once, on first
 * use, into the arena.
 *
 * The body is read from the connection through the parser, only when the
 * handler asks: a request with "Expect: 100-continue" gets its 100 at the
 * first read.  What the parser hands out beyond the caller's buffer waits
 * in pend_off/pend_len for the next read.  Whatever the handler did not
 * read is discarded afterwards (http__req_discard), within the limit, so
 * keep-alive and pipelining go on.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http-int.h"

void
http__route_opts(const struct http_server *s, const struct http__route *r,
    struct http_route_opts *o)
{
	const struct http_route_opts *d = &r->app->defaults;

	*o = r->opts;
	if (o->stack_size == 0)
		o->stack_size = d->stack_size;
	if (o->body_max == 0)
		o->body_max = d->body_max != 0 ? d->body_max :
		    s->conf->limits.max_body;
	if (o->timeout == 0)
		o->timeout = d->timeout;
	if (!o->cancel_on_disconnect)
		o->cancel_on_disconnect = d->cancel_on_disconnect;
}

/* n bytes from the arena, 8-aligned; NULL when it is full. */
static void *
http__arena_alloc(struct http_req *rq, size_t n)
{
	struct http_server *s = rq->hc->s;
	size_t off = (rq->arena_len + 7) & ~(size_t)7;

	if (off > s->arena_cap || n > s->arena_cap - off)
		return NULL;
	rq->arena_len = off + n;
	return rq->arena + off;
}

void *
http_req_alloc(struct http_req *rq, size_t n)
{
	void *p = http__arena_alloc(rq, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

int
http__req_begin(struct http_conn *hc, struct http__route *route)
{
	struct http_req *rq = &hc->rq;
	const struct http_request *r = &hc->p.req;
	char *h;

	rq->hc = hc;
	rq->route = route;
	rq->mw_next = 0;
	rq->target = NULL;
	memset(rq->param, 0, sizeof(rq->param));
	rq->qstate = 0;
	rq->body = NULL;
	rq->body_arena = 0;
	rq->body_len = 0;
	rq->body_whole = 0;
	rq->body_read = 0;
	rq->body_state = 0;
	rq->pend_off = rq->pend_len = 0;
	rq->continue_due = r->expect_continue && (r->has_content_length ?
	    r->content_length > 0 : r->chunked);
	rq->body_max = route->eff.body_max;
	if ((rq->arena = http__buf_get(hc->s, HTTP__BUF_ARENA)) == NULL)
		return -ENOMEM;
	rq->arena_len = 0;
	/*
	 * The accessors' strings are the head's bytes, NUL-terminated in
	 * place.  Reading a body moves the input buffer (compaction), so a
	 * request with a body gets its head copied into the arena first;
	 * one without keeps it where it is, in the input buffer, which
	 * nothing reads into until the handler is done.  The head is
	 * consumed either way: the next request starts after it.
	 */
	if (r->has_content_length ? r->content_length > 0 : r->chunked) {
		if ((h = http__arena_alloc(rq, r->head_len + 1)) == NULL)
			return -ENOMEM;
		memcpy(h, hc->in + r->start, r->head_len);
		h[r->head_len] = '\0';
	} else
		h = hc->in + r->start;
	rq->head = h;
	rq->head_base = r->start;
#define AT(off)	(h + (off) - r->start)
	h[r->method.off + r->method.len - r->start] = '\0';
	rq->method = AT(r->method.off);
	if (r->path.len > 0) {
		h[r->path.off + r->path.len - r->start] = '\0';
		rq->path = AT(r->path.off);
	} else
		rq->path = "/";
	if (r->has_query) {
		h[r->query.off + r->query.len - r->start] = '\0';
		rq->query = AT(r->query.off);
	} else
		rq->query = "";
	rq->fields_done = 0;	/* when a handler first asks for them */
#undef AT
	return 0;
}

/* NUL-terminates the header fields' names and values in the head, once:
 * most handlers never read a field, and this is a pass over all of them. */
static void
http__req_fields(struct http_req *rq)
{
	const struct http_request *r = &rq->hc->p.req;
	uint32_t i, end;

	if (rq->fields_done)
		return;
	for (i = 0; i < r->nheaders; i++) {
		end = r->headers[i].name.off + r->headers[i].name.len;
		rq->head[end - rq->head_base] = '\0';
		end = r->headers[i].value.off + r->headers[i].value.len;
		rq->head[end - rq->head_base] = '\0';
	}
	rq->fields_done = 1;
}

void
http__req_end(struct http_conn *hc)
{
	struct http_req *rq = &hc->rq;

	http__buf_put(hc->s, rq->arena, HTTP__BUF_ARENA);
	rq->arena = NULL;
	if (!rq->body_arena)
		free(rq->body);
	rq->body = NULL;
	rq->body_arena = 0;
	rq->route = NULL;
}

/* ---- the head ------------------------------------------------------------ */

const char *
http_req_method(const struct http_req *rq)
{
	return rq->method;
}

const char *
http_req_target(const struct http_req *rq)
{
	struct http_req *w = (struct http_req *)(uintptr_t)rq;
	const struct http_request *r = &rq->hc->p.req;
	char *t;

	if (rq->target != NULL)
		return rq->target;
	/* The head's copy has the path and the query cut apart by a NUL in
	 * place of the '?': join a copy of the two. */
	if ((t = http__arena_alloc(w, r->target.len + 1)) == NULL)
		return NULL;
	memcpy(t, rq->head + (r->target.off - rq->head_base), r->target.len);
	if (r->has_query)
		t[r->query.off - 1 - r->target.off] = '?';
	t[r->target.len] = '\0';
	w->target = t;
	return t;
}

const char *
http_req_path(const struct http_req *rq)
{
	return rq->path;
}

const char *
http_req_query_string(const struct http_req *rq)
{
	return rq->query;
}

int
http_req_version(const struct http_req *rq)
{
	return rq->hc->p.req.version;
}

const struct sockaddr *
http_req_peer(const struct http_req *rq, socklen_t *len)
{
	if (len != NULL)
		*len = rq->hc->clientlen;
	return (const struct sockaddr *)rq->hc->client;
}

const char *
http_req_route(const struct http_req *rq)
{
	return rq->route->full;
}

struct http_app *
http_req_app(const struct http_req *rq)
{
	return rq->route->app;
}

void *
http_req_app_data(const struct http_req *rq)
{
	return rq->route->app->data;
}

/* ---- parameters ------------------------------------------------------------ */

const char *
http_req_param(struct http_req *rq, const char *name)
{
	const struct http_router_entry *e = rq->m.entry;
	const struct http_seg *seg;
	size_t i, n = strlen(name), raw;
	const char *src;
	ssize_t len;
	char *dst;

	for (i = 0; i < e->nparam; i++) {
		seg = &e->segs[e->param_seg[i]];
		if (seg->len == n && memcmp(e->pattern + seg->off, name, n) ==
		    0)
			break;
	}
	if (i == e->nparam)
		return NULL;
	if (rq->param[i] != NULL)
		return rq->param[i];
	/* The match sliced the raw path (the parser's offsets within it);
	 * decode from the head's copy. */
	raw = rq->m.param_len[i];
	src = rq->path + rq->m.param_off[i];
	if ((dst = http__arena_alloc(rq, raw + 1)) == NULL)
		return NULL;
	if (memchr(src, '%', raw) == NULL) {
		memcpy(dst, src, raw);		/* nothing to decode */
		dst[raw] = '\0';
	} else if ((len = http_router_decode(dst, raw + 1, src, raw, 0)) < 0)
		return NULL;	/* cannot happen: the match checked it */
	else
		rq->arena_len -= raw - (size_t)len;	/* give back the rest */
	rq->param[i] = dst;
	return dst;
}

/* ---- the query ------------------------------------------------------------ */

static int
http__query_parse(struct http_req *rq)
{
	size_t n, size;
	ssize_t got;
	char *dst;

	size = http_query_size(rq->query, &n);
	if (n > HTTP_QUERY_MAX * 4)
		return -E2BIG;	/* before allocating for them */
	if (n > HTTP_QUERY_MAX)
		n = HTTP_QUERY_MAX;
	if ((rq->qkey = http__arena_alloc(rq, (n + 1) * sizeof(char *))) == NULL ||
	    (rq->qval = http__arena_alloc(rq, (n + 1) * sizeof(char *))) == NULL ||
	    (dst = http__arena_alloc(rq, size)) == NULL)
		return -ENOMEM;
	got = http_query_decode(rq->query, dst, size, rq->qkey, rq->qval, n);
	if (got < 0)
		return got == -ENOSPC ? -ENOMEM : (int)got;
	rq->nq = (size_t)got;
	rq->qkey[rq->nq] = rq->qval[rq->nq] = NULL;
	return 1;
}

int
http_req_query_at(struct http_req *rq, size_t i, const char **key,
    const char **value)
{
	if (rq->qstate == 0)
		rq->qstate = http__query_parse(rq);
	if (rq->qstate < 0)
		return rq->qstate;
	if (i >= rq->nq)
		return -ENOENT;
	if (key != NULL)
		*key = rq->qkey[i];
	if (value != NULL)
		*value = rq->qval[i];
	return 0;
}

const char *
http_req_query(struct http_req *rq, const char *key)
{
	const char *k, *v;
	size_t i;

	for (i = 0; http_req_query_at(rq, i, &k, &v) == 0; i++)
		if (strcmp(k, key) == 0)
			return v;
	return NULL;
}

/* ---- header fields -------------------------------------------------------- */

int
http_req_header_at(struct http_req *rq, size_t i, const char **name,
    const char **value)
{
	const struct http_request *r = &rq->hc->p.req;

	if (i >= r->nheaders)
		return -ENOENT;
	http__req_fields(rq);
	if (name != NULL)
		*name = rq->head + (r->headers[i].name.off - rq->head_base);
	if (value != NULL)
		*value = rq->head + (r->headers[i].value.off - rq->head_base);
	return 0;
}

const char *
http_req_header(struct http_req *rq, const char *name)
{
	const struct http_request *r = &rq->hc->p.req;
	size_t i, n = 0, len = 0, o, vl;
	const char *first = NULL, *v;
	char *joined;

	http__req_fields(rq);
	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(rq->head + (r->headers[i].name.off -
		    rq->head_base), name) != 0)
			continue;
		v = rq->head + (r->headers[i].value.off - rq->head_base);
		if (n++ == 0)
			first = v;
		len += r->headers[i].value.len + 2;
	}
	if (n <= 1)
		return first;
	/* Sent more than once: one value, joined with ", " (RFC 9110 §5.3). */
	if ((joined = http__arena_alloc(rq, len)) == NULL)
		return NULL;
	for (i = 0, o = 0; i < r->nheaders; i++) {
		if (strcasecmp(rq->head + (r->headers[i].name.off -
		    rq->head_base), name) != 0)
			continue;
		vl = r->headers[i].value.len;
		if (o > 0) {
			memcpy(joined + o, ", ", 2);
			o += 2;
		}
		memcpy(joined + o, rq->head + (r->headers[i].value.off -
		    rq->head_base), vl);
		o += vl;
	}
	joined[o] = '\0';
	return joined;
}

/* ---- the body ------------------------------------------------------------ */

int64_t
http_req_content_length(const struct http_req *rq)
{
	const struct http_request *r = &rq->hc->p.req;

	if (r->has_content_length)
		return (int64_t)r->content_length;
	return r->chunked ? -1 : 0;
}

/* Maps a parser status for the body to the handler's error. */
static int
http__body_error(int status)
{
	switch (status) {
	case 413:
		return -EFBIG;
	case 431:
		return -EMSGSIZE;
	default:
		return -EBADMSG;
	}
}

ssize_t
http_req_read(struct http_req *rq, void *buf, size_t cap)
{
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct http_conn *hc = rq->hc;
	const struct http_request *r = &hc->p.req;
	struct http_slice data;
	size_t n;
	ssize_t got;
	int st, err;

	if (rq->body_state < 0)
		return rq->body_state;
	if (rq->pend_len == 0 && rq->body_state == 1)
		return 0;
	if (r->has_content_length && r->content_length > rq->body_max)
		return rq->body_state = -EFBIG;
	if (rq->continue_due) {
		/* RFC 9110 §10.1.1: the client waits for this before the
		 * body; earlier responses go first. */
		rq->continue_due = 0;
		if ((err = http__conn_write(hc, cont, sizeof(cont) - 1)) != 0 ||
		    (err = http__conn_flush(hc)) != 0)
			return rq->body_state = err;
	}
	while (rq->pend_len == 0 && rq->body_state == 0) {
		st = http_parser_body(&hc->p, hc->in, hc->in_len, &data);
		if (st != HTTP_DONE && st != HTTP_AGAIN) {
			http__stats_parse_error(hc->s, st);
			return rq->body_state = http__body_error(st);
		}
		if (data.len > 0) {
			rq->pend_off = data.off;
			rq->pend_len = data.len;
		}
		if (st == HTTP_DONE) {
			rq->body_state = 1;
			break;
		}
		if (data.len > 0)
			break;
		/* All buffered body bytes are consumed: make room.  What the
		 * handler wrote meanwhile goes out before we wait: a client
		 * may wait for it before sending more (an echo). */
		http__conn_compact(hc, hc->p.pos);
		if (hc->out_len > 0 && (got = http__conn_read(hc, 0)) ==
		    -EAGAIN) {
			if ((err = http__conn_flush(hc)) != 0)
				return rq->body_state = err;
			got = http__conn_read(hc, hc->s->conf->timeouts.body);
		} else if (hc->out_len == 0)
			got = http__conn_read(hc, hc->s->conf->timeouts.body);
		if (got == 0)
			return rq->body_state = -ECONNRESET;
		if (got == -ETIMEDOUT)
			hc->s->st.timeouts[HTTP_TMO_BODY]++;
		if (got < 0)
			return rq->body_state = (int)got;
	}
	if (rq->pend_len == 0)
		return 0;
	n = rq->pend_len < cap ? rq->pend_len : cap;
	if (rq->body_read + n > rq->body_max) {
		http__stats_parse_error(hc->s, 413);
		return rq->body_state = -EFBIG;
	}
	memcpy(buf, hc->in + rq->pend_off, n);
	rq->pend_off += (uint32_t)n;
	rq->pend_len -= (uint32_t)n;
	rq->body_read += n;
	return (ssize_t)n;
}

int
http_req_body(struct http_req *rq, const char **body, size_t *len)
{
	const struct http_request *r = &rq->hc->p.req;
	size_t cap, want;
	ssize_t n;
	char *b;

	if (rq->body_whole) {
		*body = rq->body != NULL ? rq->body : "";
		*len = rq->body_len;
		return 0;
	}
	if (r->has_content_length && r->content_length > rq->body_max)
		return rq->body_state = -EFBIG;
	/*
	 * A body of known length gets exactly its size, from the arena when
	 * it takes at most half of what is left there (no malloc per request
	 * for the usual small POST, and room left for the query and the
	 * parameters); a chunked one grows by doubling, up to the limit, on
	 * the heap.
	 */
	if (r->has_content_length) {
		cap = (size_t)r->content_length + 1;
		if (cap <= (rq->hc->s->arena_cap - rq->arena_len) / 2 &&
		    (rq->body = http__arena_alloc(rq, cap)) != NULL)
			rq->body_arena = 1;
	} else
		cap = 4096;
	for (;;) {
		if (rq->body == NULL || (rq->body_len + 1 >= cap &&
		    !r->has_content_length && cap <= rq->body_max)) {
			if (rq->body != NULL)
				cap *= 2;
			if (cap > rq->body_max + 1)
				cap = (size_t)rq->body_max + 1;
			if ((b = realloc(rq->body, cap)) == NULL)
				return -ENOMEM;
			rq->body = b;
		}
		want = cap - 1 - rq->body_len;
		if (want == 0) {
			/* Full: the body must end here, else it is too
			 * large. */
			char probe;

			if ((n = http_req_read(rq, &probe, 1)) != 0)
				return n < 0 ? (int)n : -EFBIG;
			break;
		}
		if ((n = http_req_read(rq, rq->body + rq->body_len, want)) < 0)
			return (int)n;
		if (n == 0)
			break;
		rq->body_len += (size_t)n;
	}
	rq->body[rq->body_len] = '\0';
	rq->body_whole = 1;
	*body = rq->body;
	*len = rq->body_len;
	return 0;
}

int
http__req_discard(struct http_conn *hc, uint64_t limit)
{
	struct http_req *rq = &hc->rq;
	struct http_slice data;
	uint64_t dropped = 0;
	ssize_t n;
	int r;

	rq->pend_len = 0;
	if (rq->body_state < 0)
		return rq->body_state;
	if (rq->body_state == 1)
		return 0;
	for (;;) {
		r = http_parser_body(&hc->p, hc->in, hc->in_len, &data);
		if (r == HTTP_DONE)
			return 0;
		if (r != HTTP_AGAIN) {
			http__stats_parse_error(hc->s, r);
			return r;
		}
		if (data.len > 0) {
			if ((dropped += data.len) > limit) {
				http__stats_parse_error(hc->s, 413);
				return 413;
			}
			continue;
		}
		http__conn_compact(hc, hc->p.pos);
		n = http__conn_read(hc, hc->s->conf->timeouts.body);
		if (n == 0)
			return -ENODATA;
		if (n == -ETIMEDOUT)
			hc->s->st.timeouts[HTTP_TMO_BODY]++;
		if (n < 0)
			return (int)n;
	}
}
