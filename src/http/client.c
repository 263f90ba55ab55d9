/*
 * client.c - a small HTTP/1.1 client over the runtime's streams (aiohttp's
 * ClientSession.get and .head, one connection at a time).
 *
 * A request is: parse the URL, (re)use the connection, send one buffer
 * ("GET target HTTP/1.1" with Host), then read the response through the
 * server's own parser in response mode (parser.c): the same rules for what
 * a field line, a Content-Length, a Transfer-Encoding and a chunk are, so
 * the client never frames a response differently from how the server would
 * (and a duplicate Content-Length, equal or not, is an error here as there).
 * The parser picks the body's framing as RFC 9112 §6.3 says: none (1xx,
 * 204, 304, a response to HEAD), chunked, Content-Length, or until the
 * server closes.
 *
 * Memory is fixed: the response's head[] is the read buffer.  The head is
 * read into it and parsed in place; its fields are NUL-terminated where
 * they lie.  The rest of head[] is then the window the body's bytes pass
 * through: data is copied out to the body buffer, trailer fields stay (the
 * window starts after them), and what the parser has not consumed yet (a
 * partial chunk-size line) moves to the window's start.  Bounds: the head
 * and trailers by head[] (HTTP_CLIENT_HEAD_MAX) and HTTP_CLIENT_MAX_FIELDS,
 * a chunk-size line by HTTP_CLIENT_LINE_MAX, the body by min(max_body, the
 * caller's buffer), checked against Content-Length or each chunk size
 * before a byte of it is read.
 *
 * Timeouts: the whole request runs in one deadline scope (opts.timeout);
 * each connect, write and read also gets opts.read_timeout, so a server
 * that stalls is noticed early and one that trickles bytes is still cut off
 * by the total.
 *
 * Keep-alive: after a response whose framing ended it, that did not ask to
 * close and that nothing followed, the connection stays open for the next
 * request to the same host:port.  Before reuse it is peeked (recv
 * MSG_PEEK|MSG_DONTWAIT): EOF, an error or stray bytes mean the server gave
 * up on it.  The server may still close it while the request is in flight;
 * then, as long as no byte of a response came back, the request is sent
 * once more on a new connection (safe because GET and HEAD are idempotent,
 * RFC 9110 §9.2.2).  Any other error closes the connection: its state
 * mid-response is unknown.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asyncd/http.h>

#include "parser.h"

/* Request bytes: the target plus what http__build_request() puts around it. */
#define REQUEST_MAX	(HTTP_CLIENT_URL_MAX + HTTP_CLIENT_HOST_MAX + 128)
/* The requests are small: a whole RT_STREAM_WBUF per connection is waste. */
#define CLIENT_WBUF	(REQUEST_MAX + 64)

/* ---- URLs --------------------------------------------------------------- */

static int
http__is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int
http__is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* RFC 3986 reg-name without percent-encoding and sub-delims: what DNS
 * names and IPv4 literals use. */
static int
http__is_host_char(int ch)
{
	return http__is_alpha(ch) || http__is_digit(ch) || ch == '-' || ch == '.' ||
	    ch == '_' || ch == '~';
}

int
http_client_parse_url(const char *url, struct http_client_url *u)
{
	const char *p, *sep, *auth_end, *host, *host_end, *after, *q;
	size_t host_len, port_len, i;
	unsigned long port = 80;

	u->host[0] = '\0';
	(void)snprintf(u->port, sizeof(u->port), "80");
	u->target = "";
	u->target_len = 0;
	u->ipv6 = 0;

	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if ((sep = strstr(url, "://")) == NULL || sep == url ||
	    !http__is_alpha((unsigned char)url[0]))
		return -EINVAL;
	for (p = url; p < sep; p++)
		if (!http__is_alpha((unsigned char)*p) &&
		    !http__is_digit((unsigned char)*p) &&
		    *p != '+' && *p != '-' && *p != '.')
			return -EINVAL;
	if (sep - url != 4 || strncasecmp(url, "http", 4) != 0)
		return -EPROTONOSUPPORT;

	/* No byte may end or split the request line or a header. */
	for (q = url; *q != '\0'; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return -EINVAL;
	if ((size_t)(q - url) > HTTP_CLIENT_URL_MAX)
		return -EINVAL;

	p = sep + 3;
	auth_end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(auth_end - p)) != NULL)
		return -EINVAL;		/* user info: not supported */
	if (*p == '[') {
		host = p + 1;
		if ((host_end = memchr(host, ']', (size_t)(auth_end - host))) ==
		    NULL)
			return -EINVAL;
		for (q = host; q < host_end; q++)
			if (!http__is_digit((unsigned char)*q) && *q != ':' &&
			    *q != '.' && !((*q >= 'a' && *q <= 'f') ||
			    (*q >= 'A' && *q <= 'F')))
				return -EINVAL;
		after = host_end + 1;
		u->ipv6 = 1;
	} else {
		host = p;
		host_end = memchr(p, ':', (size_t)(auth_end - p));
		if (host_end == NULL)
			host_end = auth_end;
		for (q = host; q < host_end; q++)
			if (!http__is_host_char((unsigned char)*q))
				return -EINVAL;
		after = host_end;
	}
	host_len = (size_t)(host_end - host);
	if (host_len == 0 || host_len > HTTP_CLIENT_HOST_MAX)
		return -EINVAL;
	if (after < auth_end) {
		if (*after != ':')
			return -EINVAL;
		after++;
		port_len = (size_t)(auth_end - after);
		/* RFC 3986 §3.2.3: an empty port means the default. */
		if (port_len > 5)
			return -EINVAL;
		if (port_len > 0) {
			port = 0;
			for (i = 0; i < port_len; i++) {
				if (!http__is_digit((unsigned char)after[i]))
					return -EINVAL;
				port = port * 10 +
				    (unsigned long)(after[i] - '0');
			}
			if (port == 0 || port > 65535)
				return -EINVAL;
		}
	}
	memcpy(u->host, host, host_len);
	u->host[host_len] = '\0';
	(void)snprintf(u->port, sizeof(u->port), "%lu", port);
	u->target = auth_end;
	u->target_len = strcspn(auth_end, "#");
	return 0;
}

/* The request for u in buf; its length, or -EINVAL if it does not fit. */
static ssize_t
http__build_request(const char *method, const struct http_client_url *u,
    char *buf, size_t cap)
{
	int n;
	int slash = u->target_len == 0 || u->target[0] != '/';

	/* Host: the port only when not the default (RFC 9110 §7.2). */
	n = snprintf(buf, cap,
	    "%s %s%.*s HTTP/1.1\r\n"
	    "Host: %s%s%s%s%s\r\n"
	    "User-Agent: asyncd\r\n"
	    "Accept: */*\r\n"
	    "\r\n",
	    method, slash ? "/" : "", (int)u->target_len, u->target,
	    u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "",
	    strcmp(u->port, "80") != 0 ? ":" : "",
	    strcmp(u->port, "80") != 0 ? u->port : "");
	if (n < 0 || (size_t)n >= cap)
		return -EINVAL;
	return n;
}

/* ---- responses ---------------------------------------------------------- */

void
http_client_response_init(struct http_client_response *resp, char *buf,
    size_t cap)
{
	resp->buf = buf;
	resp->buf_cap = buf != NULL ? cap : 0;
	resp->status = 0;
	resp->minor = 0;
	resp->reason = "";
	resp->nheaders = resp->ntrailers = 0;
	resp->body = NULL;
	resp->body_len = 0;
	resp->chunked = 0;
	resp->keep_alive = 0;
	resp->head_len = 0;
}

static void
http__response_reset(struct http_client_response *resp)
{
	http_client_response_init(resp, resp->buf, resp->buf_cap);
}

static const char *
http__field_find(const struct http_client_field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(f[i].name, name) == 0)
			return f[i].value;
	return NULL;
}

const char *
http_client_response_header(const struct http_client_response *resp,
    const char *name)
{
	return http__field_find(resp->fields, resp->nheaders, name);
}

const char *
http_client_response_trailer(const struct http_client_response *resp,
    const char *name)
{
	return http__field_find(resp->fields + resp->nheaders, resp->ntrailers, name);
}

/* ---- reading ------------------------------------------------------------ */

/*
 * The parser's verdicts as the client's errors (see <asyncd/http.h>):
 * 413 is a body over the limit, 414 and 431 a head that does not fit, and
 * every other status a malformed response.
 */
static int
http__client_err(int st)
{
	switch (st) {
	case 413:
		return -EFBIG;
	case 414:
	case 431:
		return -EMSGSIZE;
	default:
		return st > 0 ? -EBADMSG : st;
	}
}

/*
 * Reads more of the response into head[base + *have .. sizeof(head)).
 * Returns the byte count, 0 at EOF, -EMSGSIZE when head[] is full (what is
 * in it does not let the parser finish a line), or a stream error.
 */
static ssize_t
http__client_fill(struct http_client *c, struct http_client_response *resp,
    size_t base, size_t *have)
{
	size_t room = sizeof(resp->head) - base - *have;
	ssize_t n;

	if (room == 0)
		return -EMSGSIZE;
	n = rt_stream_read(&c->stream, resp->head + base + *have, room,
	    c->opts.read_timeout);
	if (n > 0)
		*have += (size_t)n;
	return n;
}

/* A field the parser accepted, NUL-terminated in place: the parser is done
 * with its line, and the bytes after name and value are ':' and OWS or CR. */
static void
http__client_field(char *buf, const struct http_header *h,
    struct http_client_field *f)
{
	buf[h->name.off + h->name.len] = '\0';
	buf[h->value.off + h->value.len] = '\0';
	f->name = buf + h->name.off;
	f->value = buf + h->value.off;
}

/*
 * Reads the head of the final response into resp->head, skipping 1xx
 * interim ones, and fills resp's head fields.  head[0 .. *have) holds the
 * bytes read, which may run past the head into the body.
 */
static int
http__read_head(struct http_client *c, struct http_client_response *resp,
    struct http_parser *p, size_t *have, int *got_reply)
{
	const struct http_request *r = &p->req;
	char *head = resp->head;
	ssize_t n;
	size_t i;
	int st;

	for (;;) {
		st = http_parser_feed(p, head, *have);
		if (st == HTTP_AGAIN) {
			if ((n = http__client_fill(c, resp, 0, have)) < 0)
				return (int)n;
			if (n == 0)
				return -ENODATA;
			*got_reply = 1;
			continue;
		}
		if (st != HTTP_DONE)
			return http__client_err(st);
		/* 101 would switch protocols we never offered. */
		if (p->resp.status == 101)
			return -EBADMSG;
		if (p->resp.status >= 200)
			break;
		/* An interim response: drop it, keep what follows. */
		if ((st = http_parser_next(p)) != 0)
			return http__client_err(st);
		memmove(head, head + p->pos, *have - p->pos);
		*have -= p->pos;
		(void)http_parser_shift(p, p->pos);	/* pos <= pos: 0 */
	}

	resp->status = p->resp.status;
	resp->minor = head[r->start + 7] - '0';	/* "HTTP/1.x": checked */
	head[p->resp.reason.off + p->resp.reason.len] = '\0';
	resp->reason = head + p->resp.reason.off;
	for (i = 0; i < r->nheaders; i++)
		http__client_field(head, &r->headers[i], &resp->fields[i]);
	resp->nheaders = r->nheaders;
	resp->chunked = r->chunked;
	resp->keep_alive = r->keep_alive;
	resp->head_len = p->pos;
	return 0;
}

/*
 * Reads the body, as the parser frames it, through head[] after the head:
 * the window head[base .. base + have) holds bytes read and not consumed,
 * decoded data is copied out to resp->body, and trailer fields stay in
 * head[] (base moves past them).  Bytes read past the end of the response
 * mean the server sent what nobody asked for: the connection is not kept.
 */
static int
http__read_body(struct http_client *c, struct http_client_response *resp,
    struct http_parser *p, size_t have)
{
	const struct http_request *r = &p->req;
	struct http_slice d;
	char *win;
	size_t base = resp->head_len, n;
	ssize_t got;
	int st;

	have -= base;
	(void)http_parser_shift(p, base);	/* offset 0 is head[base] */
	for (;;) {
		win = resp->head + base;
		st = http_parser_body(p, win, have, &d);
		memcpy(resp->body + resp->body_len, win + d.off, d.len);
		resp->body_len += d.len;
		if (resp->ntrailers < r->ntrailers) {
			for (; resp->ntrailers < r->ntrailers; resp->ntrailers++)
				http__client_field(win,
				    &r->headers[r->nheaders + resp->ntrailers],
				    &resp->fields[r->nheaders + resp->ntrailers]);
			base += p->pos;
			have -= p->pos;
			(void)http_parser_shift(p, p->pos);
			win = resp->head + base;
		}
		if (st == HTTP_DONE)
			break;
		if (st != HTTP_AGAIN)
			return http__client_err(st);
		if (d.len > 0)
			continue;
		/* The parser wants more: keep only what it has not consumed. */
		n = p->pos;
		memmove(win, win + n, have - n);
		have -= n;
		(void)http_parser_shift(p, n);
		if ((got = http__client_fill(c, resp, base, &have)) < 0)
			return (int)got;
		if (got == 0) {
			if ((st = http_parser_eof(p, have)) == HTTP_DONE)
				break;
			return st == -ENODATA ? st : http__client_err(st);
		}
	}
	if (have > p->pos)
		resp->keep_alive = 0;
	return 0;
}

/*
 * Sends the request and reads one whole response.  *got_reply is set once
 * any byte of a response has arrived: before that, a closed connection may
 * just have been a stale keep-alive one.
 */
static int
http__exchange(struct http_client *c, const char *req, size_t reqlen,
    int method, struct http_client_response *resp, size_t limit,
    int *got_reply)
{
	struct http_header hdrs[HTTP_CLIENT_MAX_FIELDS];
	struct http_limits lim = {
		.max_line = HTTP_CLIENT_HEAD_MAX - 4,
		.max_head = HTTP_CLIENT_HEAD_MAX,
		.max_headers = HTTP_CLIENT_MAX_FIELDS,
		.max_trailer = HTTP_CLIENT_HEAD_MAX,	/* and head[]'s room */
		.max_chunk_line = HTTP_CLIENT_LINE_MAX,
		.max_body = limit,
	};
	struct http_parser p;
	size_t have = 0;
	int err;

	*got_reply = 0;
	if ((err = rt_stream_write(&c->stream, req, reqlen,
	    c->opts.read_timeout)) != 0)
		return err;
	if ((err = rt_stream_drain(&c->stream, c->opts.read_timeout)) != 0)
		return err;
	http_parser_init_response(&p, &lim, hdrs);
	(void)http_parser_set_method(&p, method);	/* before any byte: 0 */
	if ((err = http__read_head(c, resp, &p, &have, got_reply)) != 0)
		return err;
	return http__read_body(c, resp, &p, have);
}

/* ---- connections -------------------------------------------------------- */

static void
http__conn_close(struct http_client *c)
{
	if (c->connected) {
		rt_stream_close(&c->stream);
		c->connected = 0;
	}
	c->conn_requests = 0;
}

/* 1 if the idle kept-alive connection can carry another request. */
static int
http__conn_usable(struct http_client *c)
{
	char b;
	ssize_t n;

	if (c->stream.rlen != 0 || c->stream.eof || c->stream.rerr != 0 ||
	    c->stream.werr != 0)
		return 0;
	n = recv(c->stream.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	/* EOF (0), stray bytes (1) or an error all end it. */
	return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Opens a connection to u, or keeps the current one.  Returns 1 if an
 * existing connection is reused, 0 if a new one was opened, or an error. */
static int
http__conn_open(struct http_client *c, const struct http_client_url *u)
{
	int fd, err;

	if (c->connected && strcmp(c->host, u->host) == 0 &&
	    strcmp(c->port, u->port) == 0) {
		if (http__conn_usable(c))
			return 1;
		c->reconnects++;
	}
	http__conn_close(c);
	if ((fd = rt_tcp_connect(u->host, u->port, c->opts.read_timeout)) < 0)
		return fd;
	if ((err = rt_stream_init(&c->stream, fd, 0, CLIENT_WBUF)) != 0) {
		(void)close(fd);	/* rt_stream_init failed: still ours */
		return err;
	}
	c->connected = 1;
	c->connects++;
	memcpy(c->host, u->host, sizeof(c->host));
	memcpy(c->port, u->port, sizeof(c->port));
	return 0;
}

/* ---- the client --------------------------------------------------------- */

/* Any negative timeout means none (the runtime's RT_FOREVER); NaN is
 * nothing at all. */
static int
http__timeout_ok(double t)
{
	return !isnan(t);
}

int
http_client_init(struct http_client *c, const struct http_client_opts *opts)
{
	memset(c, 0, sizeof(*c));
	c->stream.fd = -1;
	if (opts != NULL) {
		if (!http__timeout_ok(opts->timeout) ||
		    !http__timeout_ok(opts->read_timeout))
			return -EINVAL;
		c->opts = *opts;
	}
	if (c->opts.timeout == 0)
		c->opts.timeout = HTTP_CLIENT_TIMEOUT;
	if (c->opts.read_timeout == 0)
		c->opts.read_timeout = HTTP_CLIENT_READ_TIMEOUT;
	if (c->opts.max_body == 0)
		c->opts.max_body = HTTP_CLIENT_MAX_BODY;
	return 0;
}

void
http_client_close(struct http_client *c)
{
	http__conn_close(c);
	free(c->body_buf);
	c->body_buf = NULL;
}

/* One request of method (GET or HEAD: both idempotent, so both may be
 * retried on a new connection) and its response. */
static int
http__client_request(struct http_client *c, const char *method, int method_id,
    const char *url, struct http_client_response *resp)
{
	struct http_client_url u;
	struct rt_scope sc;
	char req[REQUEST_MAX];
	ssize_t reqlen;
	size_t limit;
	int err, reused, attempt, got_reply;

	if (c->busy)
		return -EBUSY;
	if ((err = http_client_parse_url(url, &u)) != 0)
		return err;
	if ((reqlen = http__build_request(method, &u, req, sizeof(req))) < 0)
		return (int)reqlen;
	http__response_reset(resp);
	if (resp->buf != NULL) {
		resp->body = resp->buf;
		limit = resp->buf_cap < c->opts.max_body ? resp->buf_cap :
		    c->opts.max_body;
	} else {
		/* Once per client, bounded by max_body. */
		if (c->body_buf == NULL &&
		    (c->body_buf = malloc(c->opts.max_body)) == NULL)
			return -ENOMEM;
		resp->body = c->body_buf;
		limit = c->opts.max_body;
	}

	c->busy = 1;
	rt_scope_enter(&sc, c->opts.timeout);
	for (attempt = 0;; attempt++) {
		if ((reused = http__conn_open(c, &u)) < 0) {
			err = reused;
			break;
		}
		err = http__exchange(c, req, (size_t)reqlen, method_id, resp, limit,
		    &got_reply);
		if (err == 0)
			break;
		http__conn_close(c);
		/* The server closed the kept-alive connection as our request
		 * went out: try once on a new one. */
		if (reused && !got_reply && attempt == 0 && (err == -ENODATA ||
		    err == -ECONNRESET || err == -EPIPE)) {
			c->reconnects++;
			http__response_reset(resp);
			resp->body = resp->buf != NULL ? resp->buf :
			    c->body_buf;
			continue;
		}
		break;
	}
	(void)rt_scope_exit(&sc);
	c->busy = 0;
	if (err != 0)
		return err;
	c->requests++;
	if (resp->keep_alive)
		c->conn_requests++;
	else
		http__conn_close(c);
	return 0;
}

int
http_client_get(struct http_client *c, const char *url,
    struct http_client_response *resp)
{
	return http__client_request(c, "GET", HTTP_M_GET, url, resp);
}

int
http_client_head(struct http_client *c, const char *url,
    struct http_client_response *resp)
{
	return http__client_request(c, "HEAD", HTTP_M_HEAD, url, resp);
}
