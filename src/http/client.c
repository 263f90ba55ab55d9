/*
 * client.c - a small HTTP/1.1 client over the runtime's streams (aiohttp's
 * ClientSession.get, one connection at a time).
 *
 * A request is: parse the URL, (re)use the connection, send one buffer
 * ("GET target HTTP/1.1" with Host), read the status line and the header
 * fields into the response's fixed head[] (each line NUL-terminated in
 * place, fields pointing into it), then read the body by the framing
 * RFC 9112 §6.3 picks: none (1xx, 204, 304), chunked, Content-Length, or
 * until the server closes.  Memory is bounded everywhere: lines by head[]
 * or HTTP_CLIENT_LINE_MAX, fields by HTTP_CLIENT_MAX_FIELDS, the body by
 * min(max_body, the caller's buffer) and checked against Content-Length or
 * each chunk size before a byte of it is read.
 *
 * Timeouts: the whole request runs in one deadline scope (opts.timeout);
 * each connect, write and read also gets opts.read_timeout, so a server
 * that stalls is noticed early and one that trickles bytes is still cut off
 * by the total.
 *
 * Keep-alive: after a response whose framing ended it and that did not ask
 * to close, the connection stays open for the next request to the same
 * host:port.  Before reuse it is peeked (recv MSG_PEEK|MSG_DONTWAIT): EOF,
 * an error or stray bytes mean the server gave up on it.  The server may
 * still close it while the request is in flight; then, as long as no byte
 * of a response came back, the request is sent once more on a new
 * connection (safe because GET is idempotent, RFC 9110 §9.2.2).  Any other
 * error closes the connection: its state mid-response is unknown.
 *
 * Strictness follows DESIGN.md §4 where it costs nothing: CRLF only, no
 * obs-fold, no space before the colon, no control bytes, one numeric
 * Content-Length, no Content-Length with Transfer-Encoding, only "chunked"
 * as a transfer coding.  A server that breaks framing could desynchronise
 * a kept-alive connection, so it gets an error, not a guess.
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

/* Request bytes: the target plus what build_request() puts around it. */
#define REQUEST_MAX	(HTTP_CLIENT_URL_MAX + HTTP_CLIENT_HOST_MAX + 128)
/* The requests are small: a whole RT_STREAM_WBUF per connection is waste. */
#define CLIENT_WBUF	(REQUEST_MAX + 64)

/* ---- URLs --------------------------------------------------------------- */

static int
is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int
is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* RFC 3986 reg-name without percent-encoding and sub-delims: what DNS
 * names and IPv4 literals use. */
static int
is_host_char(int ch)
{
	return is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '.' ||
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
	    !is_alpha((unsigned char)url[0]))
		return -EINVAL;
	for (p = url; p < sep; p++)
		if (!is_alpha((unsigned char)*p) &&
		    !is_digit((unsigned char)*p) &&
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
			if (!is_digit((unsigned char)*q) && *q != ':' &&
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
			if (!is_host_char((unsigned char)*q))
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
				if (!is_digit((unsigned char)after[i]))
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
build_request(const struct http_client_url *u, char *buf, size_t cap)
{
	int n;
	int slash = u->target_len == 0 || u->target[0] != '/';

	/* Host: the port only when not the default (RFC 9110 §7.2). */
	n = snprintf(buf, cap,
	    "GET %s%.*s HTTP/1.1\r\n"
	    "Host: %s%s%s%s%s\r\n"
	    "User-Agent: asyncd\r\n"
	    "Accept: */*\r\n"
	    "\r\n",
	    slash ? "/" : "", (int)u->target_len, u->target,
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
response_reset(struct http_client_response *resp)
{
	http_client_response_init(resp, resp->buf, resp->buf_cap);
}

static const char *
field_find(const struct http_client_field *f, size_t n, const char *name)
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
	return field_find(resp->fields, resp->nheaders, name);
}

const char *
http_client_response_trailer(const struct http_client_response *resp,
    const char *name)
{
	return field_find(resp->fields + resp->nheaders, resp->ntrailers, name);
}

/* ---- reading ------------------------------------------------------------ */

/* RFC 9110 §5.6.2 tchar. */
static int
is_tchar(int ch)
{
	return is_alpha(ch) || is_digit(ch) || (ch != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/*
 * Checks a line read with its terminator (n bytes at p) and NUL-terminates
 * it in place of the CR.  Returns the content length, -ENODATA if the
 * stream ended mid-line, -EBADMSG for a bare LF or a control byte.
 */
static ssize_t
line_finish(char *p, size_t n)
{
	size_t i;

	if (n == 0 || p[n - 1] != '\n')
		return -ENODATA;
	if (n < 2 || p[n - 2] != '\r')
		return -EBADMSG;
	n -= 2;
	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f)
			return -EBADMSG;	/* CR, LF, NUL and friends */
	p[n] = '\0';
	return (ssize_t)n;
}

/* Reads one head line into resp->head; *line gets it, NUL-terminated. */
static ssize_t
head_line(struct http_client *c, struct http_client_response *resp, char **line)
{
	char *p = resp->head + resp->head_len;
	size_t room = sizeof(resp->head) - resp->head_len;
	ssize_t n;

	if (room < 3)
		return -EMSGSIZE;
	n = rt_stream_readline(&c->stream, p, room, c->opts.read_timeout);
	if (n < 0)
		return n;		/* -EMSGSIZE when it does not fit */
	if ((n = line_finish(p, (size_t)n)) < 0)
		return n;
	resp->head_len += (size_t)n + 1;
	*line = p;
	return n;
}

/* "HTTP/1.1 200 OK"; the reason phrase may be missing (RFC 9112 §4). */
static int
parse_status(struct http_client_response *resp, char *line, size_t n)
{
	if (n < 12 || memcmp(line, "HTTP/1.", 7) != 0 ||
	    !is_digit((unsigned char)line[7]) || line[8] != ' ' ||
	    !is_digit((unsigned char)line[9]) ||
	    !is_digit((unsigned char)line[10]) ||
	    !is_digit((unsigned char)line[11]) ||
	    (line[12] != '\0' && line[12] != ' '))
		return -EBADMSG;
	resp->minor = line[7] - '0';
	resp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	if (resp->status < 100 || resp->status > 599)
		return -EBADMSG;
	resp->reason = line[12] == ' ' ? line + 13 : "";
	return 0;
}

/* Reads fields up to the empty line, appending to resp->fields; *count
 * (nheaders or ntrailers) counts them. */
static int
read_fields(struct http_client *c, struct http_client_response *resp,
    size_t *count)
{
	struct http_client_field *f;
	char *line, *colon, *v, *end, *p;
	ssize_t n;

	for (;;) {
		if ((n = head_line(c, resp, &line)) < 0)
			return (int)n;
		if (n == 0)
			return 0;
		if (line[0] == ' ' || line[0] == '\t')
			return -EBADMSG;	/* obs-fold, RFC 9112 §5.2 */
		if ((colon = strchr(line, ':')) == NULL || colon == line)
			return -EBADMSG;
		for (p = line; p < colon; p++)
			if (!is_tchar((unsigned char)*p))
				return -EBADMSG;	/* "Name :" included */
		if (resp->nheaders + resp->ntrailers == HTTP_CLIENT_MAX_FIELDS)
			return -EMSGSIZE;
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (end = line + n; end > v && (end[-1] == ' ' ||
		    end[-1] == '\t'); end--)
			;
		*end = '\0';
		f = &resp->fields[resp->nheaders + resp->ntrailers];
		f->name = line;
		f->value = v;
		(*count)++;
	}
}

/* Reads exactly n body bytes, each wait bounded by the read timeout (not
 * readexactly: its timeout would bound the whole body). */
static int
body_read(struct http_client *c, char *dst, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = rt_stream_read(&c->stream, dst, n, c->opts.read_timeout);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -ENODATA;
		dst += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Until the server closes: at most limit bytes, -EFBIG for one more. */
static int
body_until_close(struct http_client *c, struct http_client_response *resp,
    size_t limit)
{
	char extra;
	ssize_t r;

	for (;;) {
		if (resp->body_len == limit) {
			r = rt_stream_read(&c->stream, &extra, 1,
			    c->opts.read_timeout);
			if (r < 0)
				return (int)r;
			return r == 0 ? 0 : -EFBIG;
		}
		r = rt_stream_read(&c->stream, resp->body + resp->body_len,
		    limit - resp->body_len, c->opts.read_timeout);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return 0;
		resp->body_len += (size_t)r;
	}
}

static int
hex_value(int ch)
{
	if (is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF,
 * ended by a zero size, trailer fields and an empty line.  Extensions are
 * checked for shape (BWS then ';') and otherwise ignored.
 */
static int
body_chunked(struct http_client *c, struct http_client_response *resp,
    size_t limit)
{
	char line[HTTP_CLIENT_LINE_MAX], crlf[2];
	uint64_t size;
	ssize_t n;
	size_t i, digits;
	int v, err;

	for (;;) {
		n = rt_stream_readline(&c->stream, line, sizeof(line),
		    c->opts.read_timeout);
		if (n < 0)
			return (int)n;
		if ((n = line_finish(line, (size_t)n)) < 0)
			return (int)n;
		size = 0;
		for (i = digits = 0;
		    (v = hex_value((unsigned char)line[i])) >= 0;
		    i++, digits++) {
			if (digits == 15)
				return -EBADMSG;	/* would pass 2^60 */
			size = size * 16 + (uint64_t)v;
		}
		if (digits == 0)
			return -EBADMSG;
		while (line[i] == ' ' || line[i] == '\t')
			i++;
		if (line[i] != '\0' && line[i] != ';')
			return -EBADMSG;
		if (size == 0)
			break;
		if (size > limit - resp->body_len)
			return -EFBIG;
		if ((err = body_read(c, resp->body + resp->body_len,
		    (size_t)size)) != 0)
			return err;
		resp->body_len += (size_t)size;
		if ((err = body_read(c, crlf, 2)) != 0)
			return err;
		if (crlf[0] != '\r' || crlf[1] != '\n')
			return -EBADMSG;
	}
	return read_fields(c, resp, &resp->ntrailers);
}

/* Content-Length: 1*DIGIT, every occurrence equal.  -1 when absent. */
static int
content_length(const struct http_client_response *resp, int64_t *len)
{
	const char *p;
	int64_t v;
	size_t i;

	*len = -1;
	for (i = 0; i < resp->nheaders; i++) {
		if (strcasecmp(resp->fields[i].name, "Content-Length") != 0)
			continue;
		p = resp->fields[i].value;
		if (*p == '\0')
			return -EBADMSG;
		for (v = 0; *p != '\0'; p++) {
			if (!is_digit((unsigned char)*p) ||
			    v > (INT64_MAX - 9) / 10)
				return -EBADMSG;
			v = v * 10 + (*p - '0');
		}
		if (*len >= 0 && *len != v)
			return -EBADMSG;
		*len = v;
	}
	return 0;
}

/* 1 if the comma-separated list value holds token (case-insensitive). */
static int
list_has(const char *value, const char *token)
{
	size_t tlen = strlen(token), n;
	const char *p = value;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, ", \t");
		if (n == tlen && strncasecmp(p, token, n) == 0)
			return 1;
		p += n;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return 0;
}

/* Picks the framing (RFC 9112 §6.3) and reads the body. */
static int
read_body(struct http_client *c, struct http_client_response *resp,
    size_t limit)
{
	const char *te = NULL;
	int64_t len;
	size_t i, nte = 0;
	int err, close_asked = 0, keep_asked = 0;

	for (i = 0; i < resp->nheaders; i++) {
		const struct http_client_field *f = &resp->fields[i];

		if (strcasecmp(f->name, "Transfer-Encoding") == 0) {
			te = f->value;
			nte++;
		} else if (strcasecmp(f->name, "Connection") == 0) {
			close_asked |= list_has(f->value, "close");
			keep_asked |= list_has(f->value, "keep-alive");
		}
	}
	if ((err = content_length(resp, &len)) != 0)
		return err;
	resp->keep_alive = !close_asked && (resp->minor >= 1 || keep_asked);

	if (resp->status == 204 || resp->status == 304)
		return 0;	/* never a body, whatever the fields say */
	if (te != NULL) {
		/* Only chunked, once, alone: anything else is either a coding
		 * we never asked for or a smuggling attempt (§6.1, §6.3). */
		if (nte != 1 || strcasecmp(te, "chunked") != 0 || len >= 0)
			return -EBADMSG;
		resp->chunked = 1;
		return body_chunked(c, resp, limit);
	}
	if (len >= 0) {
		if ((uint64_t)len > limit)
			return -EFBIG;
		if ((err = body_read(c, resp->body, (size_t)len)) != 0)
			return err;
		resp->body_len = (size_t)len;
		return 0;
	}
	resp->keep_alive = 0;
	return body_until_close(c, resp, limit);
}

/*
 * Sends the request and reads one whole response.  *got_reply is set once
 * any byte of a response has arrived: before that, a closed connection may
 * just have been a stale keep-alive one.
 */
static int
exchange(struct http_client *c, const char *req, size_t reqlen,
    struct http_client_response *resp, size_t limit, int *got_reply)
{
	char *line;
	ssize_t n;
	int err;

	*got_reply = 0;
	if ((err = rt_stream_write(&c->stream, req, reqlen,
	    c->opts.read_timeout)) != 0)
		return err;
	if ((err = rt_stream_drain(&c->stream, c->opts.read_timeout)) != 0)
		return err;
	do {
		/* 1xx interim responses precede the final one: skip them. */
		resp->head_len = resp->nheaders = 0;
		n = rt_stream_readline(&c->stream, resp->head,
		    sizeof(resp->head), c->opts.read_timeout);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return -ENODATA;
		*got_reply = 1;
		if ((n = line_finish(resp->head, (size_t)n)) < 0)
			return (int)n;
		line = resp->head;
		resp->head_len = (size_t)n + 1;
		if ((err = parse_status(resp, line, (size_t)n)) != 0)
			return err;
		if ((err = read_fields(c, resp, &resp->nheaders)) != 0)
			return err;
		/* 101 would switch protocols we never offered. */
		if (resp->status == 101)
			return -EBADMSG;
	} while (resp->status < 200);
	return read_body(c, resp, limit);
}

/* ---- connections -------------------------------------------------------- */

static void
conn_close(struct http_client *c)
{
	if (c->connected) {
		rt_stream_close(&c->stream);
		c->connected = 0;
	}
	c->conn_requests = 0;
}

/* 1 if the idle kept-alive connection can carry another request. */
static int
conn_usable(struct http_client *c)
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
conn_open(struct http_client *c, const struct http_client_url *u)
{
	int fd, err;

	if (c->connected && strcmp(c->host, u->host) == 0 &&
	    strcmp(c->port, u->port) == 0) {
		if (conn_usable(c))
			return 1;
		c->reconnects++;
	}
	conn_close(c);
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
timeout_ok(double t)
{
	return !isnan(t);
}

int
http_client_init(struct http_client *c, const struct http_client_opts *opts)
{
	memset(c, 0, sizeof(*c));
	c->stream.fd = -1;
	if (opts != NULL) {
		if (!timeout_ok(opts->timeout) ||
		    !timeout_ok(opts->read_timeout))
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
	conn_close(c);
	free(c->body_buf);
	c->body_buf = NULL;
}

int
http_client_get(struct http_client *c, const char *url,
    struct http_client_response *resp)
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
	if ((reqlen = build_request(&u, req, sizeof(req))) < 0)
		return (int)reqlen;
	response_reset(resp);
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
		if ((reused = conn_open(c, &u)) < 0) {
			err = reused;
			break;
		}
		err = exchange(c, req, (size_t)reqlen, resp, limit, &got_reply);
		if (err == 0)
			break;
		conn_close(c);
		/* The server closed the kept-alive connection as our request
		 * went out: try once on a new one. */
		if (reused && !got_reply && attempt == 0 && (err == -ENODATA ||
		    err == -ECONNRESET || err == -EPIPE)) {
			c->reconnects++;
			response_reset(resp);
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
		conn_close(c);
	return 0;
}
