/*
 * parser.c - strict, incremental HTTP/1.1 parser (RFC 9112): requests for
 * the server, responses for the client (see parser.h for why one parser).
 *
 * The two modes share everything past the start line: the line scanner, the
 * field-line rules, Content-Length, Transfer-Encoding and Connection, the
 * chunked decoder and the limits.  Mode tests sit only where the RFC makes
 * requests and responses differ, once per message or per Host/Expect line,
 * never in a loop over bytes: request parsing costs what it did before
 * responses shared the code.
 *
 * The head is parsed a line at a time.  p->pos is the start of the first line
 * not yet parsed and p->scan how far memchr() has already looked for its LF,
 * so every byte is searched once and a line is validated once, when its LF
 * has arrived.  A verdict therefore depends only on the bytes, never on how
 * they were split across calls: the size limits are checked with measures
 * that only grow as bytes arrive (an incomplete line that is already too long
 * gets the same status the complete line would get), and they are checked
 * before a line's contents, so an early 414/431 matches the late one.
 *
 * States:  START (skip up to HTTP_MAX_EMPTY_LINES CRLFs; none before a
 * response) -> REQLINE (the start line: request or status line) ->
 * HEADERS -> one of BODY_CL, BODY_EOF (a response read until close),
 * CHUNK_SIZE <-> CHUNK_DATA -> CHUNK_CRLF ... -> TRAILER, then BODY_DONE;
 * http_parser_next() goes back to START.
 * ERROR is absorbing: every call returns p->status.
 *
 * Byte classes come from one 256-entry table built at compile time from the
 * RFC 9110/9112/3986 grammars below.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "parser.h"

enum {
	S_START = 0,
	S_REQLINE,
	S_HEADERS,
	S_BODY_CL,	/* >= S_BODY_CL: the head is done */
	S_BODY_EOF,
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_CRLF,
	S_TRAILER,
	S_BODY_DONE,
	S_ERROR
};

/* Transfer-Encoding summary over all its field lines. */
#define TE_SEEN		0x01
#define TE_CHUNKED	0x02	/* chunked seen once */
#define TE_TWICE	0x04	/* chunked seen again */
#define TE_OTHER	0x08	/* a coding we do not implement */
#define TE_LAST		0x10	/* the last coding so far is chunked */
#define TE_BAD		0x20	/* empty element, bad token, chunked;param */

#define CONN_CLOSE	0x01
#define CONN_KEEP	0x02

/* ---- byte classes ------------------------------------------------------ */

#define C_TCHAR		0x01	/* RFC 9110 §5.6.2 token */
#define C_FIELD		0x02	/* field-vchar / SP / HTAB (§5.5), obs-text */
#define C_TARGET	0x04	/* request-target bytes: VCHAR but '#' */
#define C_HOST		0x08	/* RFC 3986 reg-name: unreserved sub-delims % */
#define C_HEX		0x10
#define C_DIGIT		0x20
#define C_QDTEXT	0x40	/* RFC 9110 §5.6.4 qdtext */

#define IS_ALPHA(c)	(((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c)	((c) >= '0' && (c) <= '9')
#define IS_TCHAR(c)	(IS_ALPHA(c) || IS_DIGIT(c) || (c) == '!' || \
	(c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' || \
	(c) == '*' || (c) == '+' || (c) == '-' || (c) == '.' || (c) == '^' || \
	(c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define IS_FIELD(c)	((c) == '\t' || ((c) >= ' ' && (c) != 0x7f))
#define IS_TARGET(c)	((c) > ' ' && (c) < 0x7f && (c) != '#')
#define IS_HOST(c)	(IS_ALPHA(c) || IS_DIGIT(c) || (c) == '-' || \
	(c) == '.' || (c) == '_' || (c) == '~' || (c) == '%' || (c) == '!' || \
	(c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || (c) == ')' || \
	(c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' || (c) == '=')
#define IS_HEX(c)	(IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || \
	((c) >= 'A' && (c) <= 'F'))
#define IS_QDTEXT(c)	((c) == '\t' || (c) == ' ' || (c) == 0x21 || \
	((c) >= 0x23 && (c) <= 0x5b) || ((c) >= 0x5d && (c) <= 0x7e) || (c) >= 0x80)

#define CLS(c)	((IS_TCHAR(c) ? C_TCHAR : 0) | (IS_FIELD(c) ? C_FIELD : 0) | \
	(IS_TARGET(c) ? C_TARGET : 0) | (IS_HOST(c) ? C_HOST : 0) | \
	(IS_HEX(c) ? C_HEX : 0) | (IS_DIGIT(c) ? C_DIGIT : 0) | \
	(IS_QDTEXT(c) ? C_QDTEXT : 0))
#define R4(b)	CLS(b), CLS((b) + 1), CLS((b) + 2), CLS((b) + 3)
#define R16(b)	R4(b), R4((b) + 4), R4((b) + 8), R4((b) + 12)
#define R64(b)	R16(b), R16((b) + 16), R16((b) + 32), R16((b) + 48)

static const uint8_t http_cls[256] = { R64(0), R64(64), R64(128), R64(192) };

#define CL(c, k)	(http_cls[(unsigned char)(c)] & (k))

/* ---- helpers ----------------------------------------------------------- */

static struct http_slice
http__sl(size_t off, size_t len)
{
	struct http_slice s = { (uint32_t)off, (uint32_t)len };

	return s;
}

/*
 * Case-insensitive compare with a lower-case literal.  OR-ing 0x20 folds
 * only letters here: callers pass tchar or field-vchar bytes, and the bytes
 * that would fold onto '-' or a digit (CR, 0x10-0x19) are controls.
 */
static int
http__ieq(const char *s, size_t n, const char *lit, size_t litlen)
{
	size_t i;

	if (n != litlen)
		return 0;
	for (i = 0; i < n; i++)
		if ((s[i] | 0x20) != lit[i])
			return 0;
	return 1;
}

#define IEQ(s, n, lit)	http__ieq((s), (n), (lit), sizeof(lit) - 1)

static int
http__fail(struct http_parser *p, int status)
{
	p->state = S_ERROR;
	p->status = (uint16_t)status;
	return status;
}

static int
http__is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2).  No userinfo, no
 * empty host (§4.2.1: an http URI with an empty host is invalid).  Sets
 * *has_port when a ':' with at least one digit follows the host.
 */
static int
http__host_valid(const char *s, size_t n, int *has_port)
{
	size_t i = 0, d;

	*has_port = 0;
	if (n == 0)
		return 0;
	if (s[0] == '[') {
		for (i = 1; i < n && (CL(s[i], C_HOST) || s[i] == ':'); i++)
			;
		if (i == 1 || i == n || s[i] != ']')
			return 0;
		i++;
	} else {
		while (i < n && CL(s[i], C_HOST))
			i++;
		if (i == 0)
			return 0;
	}
	if (i == n)
		return 1;
	if (s[i] != ':')
		return 0;
	for (d = ++i; i < n && CL(s[i], C_DIGIT); i++)
		;
	if (i != n || i - d > 5)
		return 0;
	*has_port = i > d;
	return 1;
}

static enum http_method
http__method_id(const char *m, size_t n)
{
	static const struct {
		const char	*name;
		uint8_t		len;
		uint8_t		id;
	} tab[] = {
		{ "GET", 3, HTTP_M_GET },	{ "HEAD", 4, HTTP_M_HEAD },
		{ "POST", 4, HTTP_M_POST },	{ "PUT", 3, HTTP_M_PUT },
		{ "DELETE", 6, HTTP_M_DELETE },	{ "OPTIONS", 7, HTTP_M_OPTIONS },
		{ "CONNECT", 7, HTTP_M_CONNECT }, { "TRACE", 5, HTTP_M_TRACE },
		{ "PATCH", 5, HTTP_M_PATCH },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].len == n && memcmp(tab[i].name, m, n) == 0)
			return (enum http_method)tab[i].id;
	return HTTP_M_OTHER;	/* methods are case-sensitive: "get" too */
}

/* ---- request line (RFC 9112 §3) ---------------------------------------- */

/* origin-form path and query from target bytes [t, e), t at '/'. */
static void
http__split_query(struct http_request *r, const char *buf, size_t t, size_t e)
{
	const char *q = memchr(buf + t, '?', e - t);

	if (q == NULL) {
		r->path = http__sl(t, e - t);
		return;
	}
	r->path = http__sl(t, (size_t)(q - buf) - t);
	r->query = http__sl((size_t)(q - buf) + 1, e - (size_t)(q - buf) - 1);
	r->has_query = 1;
}

/*
 * HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), in the 8 bytes at
 * v, for both start lines.
 */
static inline int
http__version(struct http_request *r, const char *v)
{
	if (memcmp(v, "HTTP/", 5) != 0 ||
	    !CL(v[5], C_DIGIT) || v[6] != '.' || !CL(v[7], C_DIGIT))
		return 400;
	if (v[5] != '1')
		return 505;
	r->version = v[7] == '0' ? 10 : 11;	/* RFC 9110 §6.2: 1.x is 1.1 */
	return 0;
}

static int
http__request_line(struct http_parser *p, const char *buf, size_t ls, size_t ce)
{
	struct http_request *r = &p->req;
	size_t i = ls, t, te, a, ae;
	int has_port, st;

	/* method = token, then exactly one SP (§3) */
	while (i < ce && CL(buf[i], C_TCHAR))
		i++;
	if (i == ls || i == ce || buf[i] != ' ')
		return 400;
	r->method = http__sl(ls, i - ls);
	r->method_id = (uint8_t)http__method_id(buf + ls, i - ls);

	/* request-target: no SP, CTL, DEL, '#' or non-ASCII (§3.2) */
	t = ++i;
	while (i < ce && CL(buf[i], C_TARGET))
		i++;
	if (i == t || i == ce || buf[i] != ' ')
		return 400;
	te = i++;
	r->target = http__sl(t, te - t);

	/* HTTP-version, then the line ends */
	if (ce - i != 8)
		return 400;
	if ((st = http__version(r, buf + i)) != 0)
		return st;

	/* the four forms (§3.2.1-§3.2.4) */
	if (r->method_id == HTTP_M_CONNECT) {
		if (!http__host_valid(buf + t, te - t, &has_port) || !has_port)
			return 400;
		r->target_form = HTTP_FORM_AUTHORITY;
		r->host = r->target;
		return 0;
	}
	if (buf[t] == '/') {
		r->target_form = HTTP_FORM_ORIGIN;
		http__split_query(r, buf, t, te);
		return 0;
	}
	if (buf[t] == '*') {
		if (te - t != 1 || r->method_id != HTTP_M_OPTIONS)
			return 400;
		r->target_form = HTTP_FORM_ASTERISK;
		return 0;
	}
	if (te - t > 7 && IEQ(buf + t, 7, "http://"))
		a = t + 7;
	else if (te - t > 8 && IEQ(buf + t, 8, "https://"))
		a = t + 8;
	else
		return 400;
	for (ae = a; ae < te && buf[ae] != '/' && buf[ae] != '?'; ae++)
		;
	if (!http__host_valid(buf + a, ae - a, &has_port))
		return 400;
	r->target_form = HTTP_FORM_ABSOLUTE;
	r->host = http__sl(a, ae - a);	/* §3.2.2: it overrides Host */
	if (ae < te && buf[ae] == '/') {
		http__split_query(r, buf, ae, te);
	} else {
		r->path = http__sl(ae, 0);
		if (ae < te) {
			r->query = http__sl(ae + 1, te - ae - 1);
			r->has_query = 1;
		}
	}
	return 0;
}

/* ---- status line (RFC 9112 §4) ------------------------------------------ */

/*
 * status-line = HTTP-version SP status-code SP [ reason-phrase ], in
 * [ls, ce).  status-code is 3DIGIT, 100 to 599 (RFC 9110 §15); the
 * reason-phrase is HTAB / SP / VCHAR / obs-text, the bytes of a field value.
 * "HTTP/1.1 404" without the second SP passes as an empty reason: servers
 * send it, and it cannot change where the message ends.
 */
static int
http__status_line(struct http_parser *p, const char *buf, size_t ls, size_t ce)
{
	const char *v = buf + ls;
	size_t n = ce - ls, i;
	int st;

	if (n < 12 || v[8] != ' ')
		return 400;
	if ((st = http__version(&p->req, v)) != 0)
		return st;
	if (v[9] < '1' || v[9] > '5' || !CL(v[10], C_DIGIT) ||
	    !CL(v[11], C_DIGIT))
		return 400;
	p->resp.status = (uint16_t)((v[9] - '0') * 100 + (v[10] - '0') * 10 +
	    (v[11] - '0'));
	if (n == 12) {
		p->resp.reason = http__sl(ce, 0);
		return 0;
	}
	if (v[12] != ' ')
		return 400;
	for (i = 13; i < n; i++)
		if (!CL(v[i], C_FIELD))
			return 400;	/* CTL, DEL, bare CR (§2.2) */
	p->resp.reason = http__sl(ls + 13, n - 13);
	return 0;
}

/* ---- field lines (RFC 9112 §5) ------------------------------------------ */

/*
 * field-line = field-name ":" OWS field-value OWS, in [ls, ce) (CRLF gone).
 * Returns 0 with the name and trimmed value, or 400.
 */
static int
http__field_line(const char *buf, size_t ls, size_t ce, struct http_header *h)
{
	size_t i = ls, vs, ve;

	if (http__is_ows(buf[ls]))
		return 400;		/* obs-fold (§5.2) */
	while (i < ce && CL(buf[i], C_TCHAR))
		i++;
	if (i == ls || i == ce || buf[i] != ':')
		return 400;		/* empty name, or SP before ':' (§5.1) */
	h->name = http__sl(ls, i - ls);
	for (i++; i < ce && http__is_ows(buf[i]); i++)
		;
	vs = i;
	for (; i < ce; i++)
		if (!CL(buf[i], C_FIELD))
			return 400;	/* CTL, NUL, DEL, bare CR (§5.5, §2.2) */
	for (ve = ce; ve > vs && http__is_ows(buf[ve - 1]); ve--)
		;
	h->value = http__sl(vs, ve - vs);
	return 0;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6), at most 2^63 - 1. */
static int
http__content_length(struct http_parser *p, const char *s, size_t n)
{
	uint64_t v = 0, d;
	size_t i;

	if (p->req.has_content_length || n == 0)
		return 400;	/* duplicates are 400 even when equal */
	for (i = 0; i < n; i++) {
		if (!CL(s[i], C_DIGIT))
			return 400;	/* "+1", "-1", "1, 1", "1 1", "0x1" */
		d = (uint64_t)(s[i] - '0');
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return 400;
		v = v * 10 + d;
	}
	p->req.content_length = v;
	p->req.has_content_length = 1;
	return 0;
}

/*
 * Walks a comma list (RFC 9110 §5.6.1) in s[0..n), calling back with each
 * element trimmed of OWS.  Returns the first non-zero callback result.
 */
typedef int (*http_elem_cb)(struct http_parser *, const char *, size_t);

static int
http__list(struct http_parser *p, const char *s, size_t n, http_elem_cb cb)
{
	size_t i = 0, b, e;
	int r;

	for (;;) {
		for (b = i; i < n && s[i] != ','; i++)
			;
		for (e = i; b < e && http__is_ows(s[b]); b++)
			;
		while (e > b && http__is_ows(s[e - 1]))
			e--;
		if ((r = cb(p, s + b, e - b)) != 0)
			return r;
		if (i == n)
			return 0;
		i++;
	}
}

static int
http__te_elem(struct http_parser *p, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && CL(s[i], C_TCHAR))
		i++;
	if (i == 0 || (i < n && !http__is_ows(s[i]) && s[i] != ';')) {
		p->te_flags |= TE_BAD;
		return 0;
	}
	if (IEQ(s, i, "chunked")) {
		if (i != n)
			p->te_flags |= TE_BAD;	/* chunked takes no parameters */
		p->te_flags |= (p->te_flags & TE_CHUNKED) ? TE_TWICE : TE_CHUNKED;
		p->te_flags |= TE_LAST;
	} else {
		p->te_flags |= TE_OTHER;
		p->te_flags &= (uint8_t)~TE_LAST;
	}
	return 0;
}

static int
http__conn_elem(struct http_parser *p, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!CL(s[i], C_TCHAR))
			return 400;
	if (IEQ(s, n, "close"))
		p->conn |= CONN_CLOSE;
	else if (IEQ(s, n, "keep-alive"))
		p->conn |= CONN_KEEP;
	return 0;
}

/* Acts on the fields that frame or route the request. */
static int
http__known_field(struct http_parser *p, const char *buf,
    const struct http_header *h)
{
	const char *n = buf + h->name.off, *v = buf + h->value.off;
	size_t nl = h->name.len, vl = h->value.len;
	int has_port;

	switch (nl) {
	case 4:
		if (!IEQ(n, nl, "host") || p->mode == HTTP_PARSE_RESPONSE)
			return 0;
		if (++p->nhost > 1 || !http__host_valid(v, vl, &has_port))
			return 400;	/* RFC 9112 §3.2 */
		if (p->req.target_form != HTTP_FORM_ABSOLUTE &&
		    p->req.target_form != HTTP_FORM_AUTHORITY)
			p->req.host = h->value;
		return 0;
	case 6:
		if (!IEQ(n, nl, "expect") || p->mode == HTTP_PARSE_RESPONSE)
			return 0;
		if (IEQ(v, vl, "100-continue"))
			p->expect |= 1;
		else
			p->expect |= 2;
		return 0;
	case 10:
		if (!IEQ(n, nl, "connection"))
			return 0;
		return http__list(p, v, vl, http__conn_elem);
	case 14:
		if (!IEQ(n, nl, "content-length"))
			return 0;
		return http__content_length(p, v, vl);
	case 17:
		if (!IEQ(n, nl, "transfer-encoding"))
			return 0;
		p->te_flags |= TE_SEEN;
		return http__list(p, v, vl, http__te_elem);
	default:
		return 0;
	}
}

/*
 * A response's body (RFC 9112 §6.3), once its fields passed the checks
 * every message gets: none (rules 1 and 2), chunked (4), Content-Length (6)
 * or until the server closes (8).
 */
static int
http__response_done(struct http_parser *p)
{
	struct http_request *r = &p->req;
	struct http_response *s = &p->resp;

	if (s->status < 200 || s->status == 204 || s->status == 304 ||
	    p->method == HTTP_M_HEAD ||
	    (p->method == HTTP_M_CONNECT && s->status < 300)) {
		s->no_body = 1;
		r->chunked = 0;
		p->state = S_BODY_DONE;
	} else if (r->chunked) {
		p->state = S_CHUNK_SIZE;
	} else if (r->has_content_length) {
		if (r->content_length > p->lim.max_body)
			return 413;
		p->remaining = r->content_length;
		p->state = p->remaining > 0 ? S_BODY_CL : S_BODY_DONE;
	} else {
		s->until_close = 1;
		r->keep_alive = 0;
		p->state = S_BODY_EOF;
	}
	p->scan = p->pos;
	return HTTP_DONE;
}

/* The blank line arrived: decide framing (RFC 9112 §6) and keep-alive. */
static int
http__head_done(struct http_parser *p)
{
	struct http_request *r = &p->req;

	if (r->version == 11 && p->nhost == 0 &&
	    p->mode == HTTP_PARSE_REQUEST)
		return 400;
	if (p->te_flags & TE_SEEN) {
		if (r->version == 10 || r->has_content_length)
			return 400;	/* §6.1, §6.3 rule 3 */
		if ((p->te_flags & (TE_BAD | TE_TWICE)) ||
		    !(p->te_flags & TE_LAST))
			return 400;	/* §6.3 rule 4: final coding not chunked */
		if (p->te_flags & TE_OTHER)
			return 501;	/* RFC 9110 §6.1... we only do chunked */
		r->chunked = 1;
	}
	if (r->version == 11)
		r->keep_alive = !(p->conn & CONN_CLOSE);
	else
		r->keep_alive = (p->conn & CONN_KEEP) && !(p->conn & CONN_CLOSE);
	if (p->mode == HTTP_PARSE_RESPONSE)
		return http__response_done(p);

	if (r->has_content_length && r->content_length > p->lim.max_body)
		return 413;
	if (p->expect & 2)
		return 417;		/* RFC 9110 §10.1.1 */
	r->expect_continue = (p->expect & 1) && r->version == 11;

	if (r->chunked) {
		p->state = S_CHUNK_SIZE;
	} else if (r->has_content_length && r->content_length > 0) {
		p->state = S_BODY_CL;
		p->remaining = r->content_length;
	} else {
		p->state = S_BODY_DONE;
	}
	p->scan = p->pos;
	return HTTP_DONE;
}

/* ---- API --------------------------------------------------------------- */

static void
http__request_reset(struct http_parser *p)
{
	struct http_header *h = p->req.headers;

	memset(&p->req, 0, sizeof(p->req));
	memset(&p->resp, 0, sizeof(p->resp));
	p->req.headers = h;
	p->req.start = p->pos;
	p->remaining = 0;
	p->body_total = 0;
	p->trailer = 0;
	p->empty_lines = 0;
	p->nhost = 0;
	p->te_flags = 0;
	p->expect = 0;
	p->conn = 0;
	p->scan = p->pos;
	p->state = S_START;
}

void
http_parser_init(struct http_parser *p, const struct http_limits *lim,
    struct http_header *headers)
{
	static const struct http_limits def = {
		HTTP_DEFAULT_MAX_LINE, HTTP_DEFAULT_MAX_HEAD,
		HTTP_DEFAULT_MAX_HEADERS, HTTP_DEFAULT_MAX_TRAILER,
		HTTP_DEFAULT_MAX_CHUNK_LINE, HTTP_DEFAULT_MAX_BODY
	};

	memset(p, 0, sizeof(*p));
	p->lim = lim != NULL ? *lim : def;
	/* The request line must leave room for the final CRLFs in the head,
	 * so a long request line is always a 414 and never a 431. */
	if (p->lim.max_head < 32)
		p->lim.max_head = 32;
	if (p->lim.max_head > UINT32_MAX / 2)
		p->lim.max_head = UINT32_MAX / 2;
	if (p->lim.max_line > p->lim.max_head - 4)
		p->lim.max_line = p->lim.max_head - 4;
	if (p->lim.max_line < 16)
		p->lim.max_line = 16;
	if (p->lim.max_chunk_line < 1)
		p->lim.max_chunk_line = 1;
	p->req.headers = headers;
	http__request_reset(p);
}

void
http_parser_init_response(struct http_parser *p,
    const struct http_limits *lim, struct http_header *headers)
{
	http_parser_init(p, lim, headers);
	p->mode = HTTP_PARSE_RESPONSE;
	p->method = HTTP_M_OTHER;
}

int
http_parser_set_method(struct http_parser *p, int m)
{
	if (p->mode != HTTP_PARSE_RESPONSE ||
	    p->state == S_REQLINE || p->state == S_HEADERS)
		return -EINVAL;
	p->method = (uint8_t)m;
	return 0;
}

/*
 * Looks for the LF that ends the line being scanned, from p->scan up to end
 * (capped at len; a line that ends further is over a limit anyway).  Not
 * found: p->scan moves up to where it looked, so the next call, with more
 * bytes, does not scan them again.
 */
static const char *
http__scan_lf(struct http_parser *p, const char *buf, size_t end, size_t len)
{
	const char *lf;

	if (end > len)
		end = len;
	if (end <= p->scan)
		return NULL;
	if ((lf = memchr(buf + p->scan, '\n', end - p->scan)) == NULL)
		p->scan = (uint32_t)end;
	return lf;
}

/* Content bytes of an incomplete line so far: a final CR may yet be CRLF. */
static size_t
http__pending(const char *buf, size_t from, size_t len)
{
	return len - from - (len > from && buf[len - 1] == '\r');
}

int
http_parser_feed(struct http_parser *p, const char *buf, size_t len)
{
	struct http_request *r = &p->req;
	const char *lf;
	size_t le, ce, end;
	int st;

	if (p->state == S_ERROR)
		return p->status;
	if (p->state > S_HEADERS)
		return HTTP_DONE;
	if (len < p->pos || len > UINT32_MAX)
		return -EINVAL;

	while (p->state == S_START) {
		if (len - p->pos < 2) {
			if (len > p->pos && buf[p->pos] != '\r')
				break;		/* a request line begins */
			return HTTP_AGAIN;
		}
		if (buf[p->pos] != '\r')
			break;
		/* §2.2: before a request line only */
		if (buf[p->pos + 1] != '\n' || p->mode == HTTP_PARSE_RESPONSE ||
		    ++p->empty_lines > HTTP_MAX_EMPTY_LINES)
			return http__fail(p, 400);
		p->pos += 2;
	}
	if (p->state == S_START) {
		p->state = S_REQLINE;
		r->start = p->pos;
		p->scan = p->pos;
	}

	for (;;) {
		/* A head line ending past this is over a limit anyway. */
		if (p->state == S_REQLINE)
			end = (size_t)p->pos + p->lim.max_line + 2;
		else
			end = (size_t)r->start + p->lim.max_head;
		if ((lf = http__scan_lf(p, buf, end, len)) == NULL) {
			if (p->state == S_REQLINE) {
				if (http__pending(buf, p->pos, len) > p->lim.max_line)
					return http__fail(p, 414);
			} else if (len - r->start > p->lim.max_head) {
				return http__fail(p, 431);
			}
			return HTTP_AGAIN;
		}
		le = (size_t)(lf - buf);
		ce = le > p->pos && buf[le - 1] == '\r' ? le - 1 : le;

		if (p->state == S_REQLINE) {
			if (ce - p->pos > p->lim.max_line)
				return http__fail(p, 414);
			if (ce == le)
				return http__fail(p, 400);	/* bare LF */
			st = p->mode == HTTP_PARSE_REQUEST ?
			    http__request_line(p, buf, p->pos, ce) :
			    http__status_line(p, buf, p->pos, ce);
			if (st != 0)
				return http__fail(p, st);
			p->state = S_HEADERS;
		} else {
			/* le < start + max_head by the memchr bound */
			if (ce == le)
				return http__fail(p, 400);	/* bare LF */
			if (ce == p->pos) {
				p->pos = (uint32_t)le + 1;
				r->head_len = p->pos - r->start;
				if ((st = http__head_done(p)) != HTTP_DONE)
					return http__fail(p, st);
				return HTTP_DONE;
			}
			if (r->nheaders >= p->lim.max_headers)
				return http__fail(p, 431);
			if ((st = http__field_line(buf, p->pos, ce,
			    &r->headers[r->nheaders])) != 0 ||
			    (st = http__known_field(p, buf,
			    &r->headers[r->nheaders])) != 0)
				return http__fail(p, st);
			r->nheaders++;
		}
		p->pos = (uint32_t)le + 1;
		p->scan = p->pos;
	}
}

/*
 * chunk-size [ chunk-ext ] in [ls, ce) (RFC 9112 §7.1):
 *   chunk-size = 1*HEXDIG
 *   chunk-ext  = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
 *   ext-val    = token / quoted-string
 * No "0x", no sign, no leading or trailing whitespace, at most 2^63 - 1.
 */
static int
http__chunk_line(const char *buf, size_t ls, size_t ce, uint64_t *size)
{
	uint64_t v = 0;
	size_t i = ls, j;
	int h;

	for (; i < ce && CL(buf[i], C_HEX); i++) {
		h = CL(buf[i], C_DIGIT) ? buf[i] - '0' : (buf[i] | 0x20) - 'a' + 10;
		if (v > ((uint64_t)INT64_MAX >> 4))
			return 400;
		v = v << 4 | (uint64_t)h;
	}
	if (i == ls)
		return 400;
	*size = v;
	for (;;) {
		for (j = i; i < ce && http__is_ows(buf[i]); i++)
			;
		if (i == ce)
			return i == j ? 0 : 400;	/* no trailing BWS */
		if (buf[i++] != ';')
			return 400;
		while (i < ce && http__is_ows(buf[i]))
			i++;
		for (j = i; i < ce && CL(buf[i], C_TCHAR); i++)
			;
		if (i == j)
			return 400;
		for (j = i; i < ce && http__is_ows(buf[i]); i++)
			;
		if (i == ce || buf[i] != '=') {
			i = j;
			continue;
		}
		for (i++; i < ce && http__is_ows(buf[i]); i++)
			;
		if (i < ce && buf[i] == '"') {
			for (i++; i < ce && buf[i] != '"'; i++) {
				if (buf[i] == '\\' && i + 1 < ce &&
				    CL(buf[i + 1], C_FIELD))
					i++;
				else if (!CL(buf[i], C_QDTEXT))
					return 400;
			}
			if (i == ce)
				return 400;
			i++;
		} else {
			for (j = i; i < ce && CL(buf[i], C_TCHAR); i++)
				;
			if (i == j)
				return 400;
		}
	}
}

int
http_parser_body(struct http_parser *p, const char *buf, size_t len,
    struct http_slice *data)
{
	struct http_request *r = &p->req;
	const char *lf;
	size_t le, ce, end, n;
	uint64_t size;

	data->off = p->pos;
	data->len = 0;
	if (p->state == S_ERROR)
		return p->status;
	if (p->state < S_BODY_CL)
		return -EINVAL;
	if (len < p->pos || len > UINT32_MAX)
		return -EINVAL;

	for (;;) {
		switch (p->state) {
		case S_BODY_DONE:
			return HTTP_DONE;

		case S_BODY_CL:
		case S_CHUNK_DATA:
			n = len - p->pos;
			if (n > p->remaining)
				n = (size_t)p->remaining;
			if (n == 0)
				return HTTP_AGAIN;
			*data = http__sl(p->pos, n);
			p->pos += (uint32_t)n;
			p->remaining -= n;
			if (p->remaining > 0)
				return HTTP_AGAIN;
			if (p->state == S_BODY_CL) {
				p->state = S_BODY_DONE;
				return HTTP_DONE;
			}
			p->state = S_CHUNK_CRLF;
			return HTTP_AGAIN;	/* data given: caller calls again */

		case S_BODY_EOF:
			/* everything until close, max_body of it: then 413 at
			 * the first byte over, however the bytes were split */
			n = len - p->pos;
			if (n == 0)
				return HTTP_AGAIN;
			if (p->body_total == p->lim.max_body)
				return http__fail(p, 413);
			if (n > p->lim.max_body - p->body_total)
				n = (size_t)(p->lim.max_body - p->body_total);
			*data = http__sl(p->pos, n);
			p->pos += (uint32_t)n;
			p->body_total += n;
			return HTTP_AGAIN;

		case S_CHUNK_CRLF:
			/* Checked byte by byte so "\rX" fails as soon as seen. */
			if (len - p->pos < 1)
				return HTTP_AGAIN;
			if (buf[p->pos] != '\r')
				return http__fail(p, 400);
			if (len - p->pos < 2)
				return HTTP_AGAIN;
			if (buf[p->pos + 1] != '\n')
				return http__fail(p, 400);
			p->pos += 2;
			p->scan = p->pos;
			p->state = S_CHUNK_SIZE;
			break;

		case S_CHUNK_SIZE:
		case S_TRAILER:
			if (p->state == S_CHUNK_SIZE)
				end = (size_t)p->pos + p->lim.max_chunk_line + 2;
			else
				end = (size_t)p->pos + p->lim.max_trailer -
				    p->trailer + 2;
			if ((lf = http__scan_lf(p, buf, end, len)) == NULL) {
				n = http__pending(buf, p->pos, len);
				if (p->state == S_CHUNK_SIZE &&
				    n > p->lim.max_chunk_line)
					return http__fail(p, 400);
				if (p->state == S_TRAILER &&
				    n > p->lim.max_trailer - p->trailer)
					return http__fail(p, 431);
				return HTTP_AGAIN;
			}
			le = (size_t)(lf - buf);
			ce = le > p->pos && buf[le - 1] == '\r' ? le - 1 : le;
			if (p->state == S_CHUNK_SIZE) {
				if (ce - p->pos > p->lim.max_chunk_line ||
				    ce == le ||
				    http__chunk_line(buf, p->pos, ce, &size) != 0)
					return http__fail(p, 400);
				p->pos = (uint32_t)le + 1;
				p->scan = p->pos;
				if (size == 0) {
					p->state = S_TRAILER;
					break;
				}
				if (size > p->lim.max_body - p->body_total)
					return http__fail(p, 413);
				p->body_total += size;
				p->remaining = size;
				p->state = S_CHUNK_DATA;
				break;
			}
			/* trailer-section, then CRLF (§7.1.2): each field
			 * checked as a header field and kept after them */
			if (ce == p->pos && ce != le) {
				p->pos = (uint32_t)le + 1;
				p->state = S_BODY_DONE;
				return HTTP_DONE;
			}
			if (le + 1 - p->pos > p->lim.max_trailer - p->trailer ||
			    r->nheaders + r->ntrailers >= p->lim.max_headers)
				return http__fail(p, 431);
			if (ce == le || http__field_line(buf, p->pos, ce,
			    &r->headers[r->nheaders + r->ntrailers]) != 0)
				return http__fail(p, 400);
			r->ntrailers++;
			p->trailer += (uint32_t)(le + 1 - p->pos);
			p->pos = (uint32_t)le + 1;
			p->scan = p->pos;
			break;

		default:
			return -EINVAL;
		}
	}
}

int
http_parser_next(struct http_parser *p)
{
	if (p->state == S_ERROR)
		return p->status;
	if (p->state != S_BODY_DONE)
		return -EINVAL;
	http__request_reset(p);
	return 0;
}

int
http_parser_eof(struct http_parser *p, size_t len)
{
	if (p->state == S_ERROR)
		return p->status;
	if (len < p->pos)
		return -EINVAL;
	switch (p->state) {
	case S_BODY_EOF:
		if (len > p->pos)
			return -EINVAL;	/* body() takes them all: call it */
		p->state = S_BODY_DONE;
		return HTTP_DONE;
	case S_BODY_DONE:
		return HTTP_DONE;
	case S_START:
		return len == p->pos ? HTTP_DONE : -ENODATA;
	default:
		return -ENODATA;
	}
}

static void
http__slice_shift(struct http_slice *s, uint32_t n)
{
	if (s->off >= n)
		s->off -= n;
}

int
http_parser_shift(struct http_parser *p, size_t n)
{
	struct http_request *r = &p->req;
	uint32_t i, k = (uint32_t)n;

	if (n > p->pos)
		return -EINVAL;
	if ((p->state == S_REQLINE || p->state == S_HEADERS) && n > r->start)
		return -EINVAL;
	p->pos -= k;
	p->scan = p->scan >= k ? p->scan - k : 0;
	if (k > r->start) {
		r->start = p->state == S_START ? p->pos : 0;
		return 0;
	}
	r->start -= k;
	http__slice_shift(&r->method, k);
	http__slice_shift(&r->target, k);
	http__slice_shift(&r->path, k);
	http__slice_shift(&r->query, k);
	http__slice_shift(&r->host, k);
	http__slice_shift(&p->resp.reason, k);
	for (i = 0; i < r->nheaders + r->ntrailers; i++) {
		http__slice_shift(&r->headers[i].name, k);
		http__slice_shift(&r->headers[i].value, k);
	}
	return 0;
}
