/*
 * parser.h - a strict, incremental HTTP/1.1 message parser (RFC 9112), for
 * requests (the server) and responses (the client).
 *
 * One parser for both directions because what bytes mean must not depend on
 * which side reads them: a tchar, a field line, obs-fold, a bare CR or LF, a
 * Content-Length, a Transfer-Encoding list and a chunk are judged by the same
 * code, so a response the client accepts is one the server's rules would
 * frame the same way, and a smuggling fix lands once.  The modes differ only
 * where RFC 9112 makes the message kinds differ: the start line (request
 * line, §3, or status line, §4), Host and Expect (requests only), empty
 * lines before the start line (requests only, §2.2) and how the body's
 * length is found (§6.3: a request without Content-Length or chunked has no
 * body; a response may be read until the server closes, and a response to
 * HEAD, a 1xx, a 204 and a 304 never have one).
 *
 * Pure C: no I/O, no allocation, no runtime.  The caller owns one buffer per
 * connection holding the bytes read so far; the parser owns nothing but its
 * struct.  Each call passes the buffer and how many bytes it holds, and the
 * parser scans only the bytes it has not scanned before: a head arriving one
 * byte at a time costs O(n), not O(n^2).
 *
 * Everything the parser reports is an offset into that buffer (struct
 * http_slice), never a pointer, and it keeps no pointer between calls: the
 * caller may move the buffer (realloc, copy) between calls as long as the
 * bytes already given stay the same and at the same offsets.
 *
 * One request goes through:
 *
 *   http_parser_feed()  until HTTP_DONE: the head is parsed into p->req;
 *   http_parser_body()  until HTTP_DONE: the body, as slices of data
 *                       (Content-Length or decoded chunked);
 *   http_parser_next()  then the next pipelined request, from p->pos.
 *
 * Any other return value is the HTTP status to answer with (400, 413, 414,
 * 417, 431, 501, 505), after which the connection must be closed: the parser
 * stays in that error state and every later call returns the same status, so
 * the bytes after a framing error are never parsed as a request.
 *
 * A response goes the same way after http_parser_init_response() (and
 * http_parser_set_method() when it answers HEAD or CONNECT): feed parses
 * the status line into p->resp and the rest of the head into p->req, whose
 * request-line fields stay empty; body, next and shift work as for
 * requests.  A body read until the server closes (p->resp.until_close) ends
 * with http_parser_eof().  The error statuses say the same of a response
 * (400 malformed, 413 body over max_body, 414 status line over max_line,
 * 431 head or fields over their limits, 501 a transfer coding other than
 * chunked, 505 not HTTP/1.x); a client maps them to its own errors.
 *
 * None of these functions can suspend the caller.
 */
#ifndef ASYNCD_HTTP_PARSER_H
#define ASYNCD_HTTP_PARSER_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_DONE	0		/* a head, or a whole body, is complete */
#define HTTP_AGAIN	(-EAGAIN)	/* need more bytes */

/* Defaults used when http_parser_init() gets NULL limits. */
#define HTTP_DEFAULT_MAX_LINE		8000	/* RFC 9112 §3: at least 8000 */
#define HTTP_DEFAULT_MAX_HEAD		16384
#define HTTP_DEFAULT_MAX_HEADERS	100
#define HTTP_DEFAULT_MAX_BODY		(1024 * 1024)
#define HTTP_DEFAULT_MAX_TRAILER	4096
#define HTTP_DEFAULT_MAX_CHUNK_LINE	1024

/* Leading empty lines ignored before a request line (RFC 9112 §2.2 asks for
 * at least one); one more is a 400. */
#define HTTP_MAX_EMPTY_LINES		4

/* Limits, copied by http_parser_init(). */
struct http_limits {
	uint32_t	max_line;	/* start line, CRLF excluded -> 414 */
	uint32_t	max_head;	/* start line through the blank line -> 431 */
	uint32_t	max_headers;	/* field lines, trailers included -> 431 */
	uint32_t	max_trailer;	/* trailer section of a chunked body -> 431 */
	uint32_t	max_chunk_line;	/* chunk-size line with extensions -> 400 */
	uint64_t	max_body;	/* body bytes (decoded if chunked) -> 413 */
};

/* Bytes buf[off .. off + len) of the caller's buffer. */
struct http_slice {
	uint32_t	off;
	uint32_t	len;
};

/* One field line: name as sent (compare it case-insensitively), value with
 * the surrounding OWS trimmed. */
struct http_header {
	struct http_slice	name;
	struct http_slice	value;
};

enum http_method {
	HTTP_M_OTHER = 0,	/* any other token, e.g. "PROPFIND" or "get" */
	HTTP_M_GET,
	HTTP_M_HEAD,
	HTTP_M_POST,
	HTTP_M_PUT,
	HTTP_M_DELETE,
	HTTP_M_OPTIONS,
	HTTP_M_CONNECT,
	HTTP_M_TRACE,
	HTTP_M_PATCH
};

enum http_target_form {
	HTTP_FORM_ORIGIN = 0,	/* /path?query */
	HTTP_FORM_ABSOLUTE,	/* http://host/path?query */
	HTTP_FORM_AUTHORITY,	/* host:port, CONNECT only */
	HTTP_FORM_ASTERISK	/* *, OPTIONS only */
};

/*
 * One parsed request head, owned by the parser (p->req) and valid from
 * http_parser_feed() returning HTTP_DONE until http_parser_next().  All
 * slices index the caller's buffer; http_parser_shift() does not move them.
 * In response mode it holds a response's head but for its status line
 * (struct http_response): the request-line fields stay empty.
 */
struct http_request {
	struct http_slice	method;
	struct http_slice	target;	/* the request-target as sent */
	struct http_slice	path;	/* before '?'; empty for authority and
					 * asterisk forms and for
					 * "http://host" (meaning "/") */
	struct http_slice	query;	/* after '?', without it */
	struct http_slice	host;	/* Host, or the absolute-form authority */
	uint64_t		content_length;	/* valid if has_content_length */
	struct http_header	*headers;	/* the array given to init */
	uint32_t		nheaders;
	uint32_t		ntrailers;	/* chunked trailer fields, in
						 * headers[nheaders ..], as the
						 * body reaches them */
	uint32_t		start;		/* offset of the request line */
	uint32_t		head_len;	/* start .. end of the blank line */
	uint8_t			method_id;	/* enum http_method */
	uint8_t			target_form;	/* enum http_target_form */
	uint8_t			version;	/* 10 or 11 (1.x, x > 1, is 11) */
	unsigned		has_query:1;	/* a '?' was present */
	unsigned		has_content_length:1;
	unsigned		chunked:1;	/* a chunked body follows */
	unsigned		keep_alive:1;	/* version default + Connection */
	unsigned		expect_continue:1; /* Expect: 100-continue, 1.1 */
};

enum http_parser_mode {
	HTTP_PARSE_REQUEST = 0,
	HTTP_PARSE_RESPONSE
};

/*
 * What a response's status line says, and how its body ends, valid as
 * p->req is.  In response mode p->req holds the rest of the head: version,
 * headers, nheaders, ntrailers, start, head_len, content_length (as sent,
 * also when no body follows), chunked (a chunked body follows) and
 * keep_alive.
 */
struct http_response {
	struct http_slice	reason;	/* may be empty */
	uint16_t		status;	/* 100 .. 599 */
	unsigned		no_body:1;	/* 1xx, 204, 304, HEAD, CONNECT 2xx */
	unsigned		until_close:1;	/* body ends when the server
						 * closes: see http_parser_eof */
};

/*
 * The parser: small, fixed, no pointer into the buffer.  Fields other than
 * req, resp and pos are private.
 */
struct http_parser {
	struct http_request	req;	/* ro */
	struct http_response	resp;	/* ro, response mode */
	struct http_limits	lim;
	uint64_t		remaining;	/* body: bytes left in CL body or chunk */
	uint64_t		body_total;	/* body: chunked bytes so far */
	uint32_t		pos;	/* ro: bytes of the buffer consumed */
	uint32_t		scan;	/* bytes before this have no LF we need */
	uint32_t		trailer;	/* trailer bytes so far */
	uint16_t		status;	/* error status once in HTTP_S_ERROR */
	uint8_t			state;
	uint8_t			empty_lines;
	uint8_t			nhost;
	uint8_t			te_flags;
	uint8_t			expect;	/* 0 none, 1 100-continue, 2 other */
	uint8_t			conn;	/* Connection: bit 0 close, bit 1 keep-alive */
	uint8_t			mode;	/* enum http_parser_mode */
	uint8_t			method;	/* response mode: the request's */
};

/*
 * Initialises p for the first request at offset 0.  lim may be NULL for the
 * defaults; headers is the caller's array of lim->max_headers entries (or
 * HTTP_DEFAULT_MAX_HEADERS), which must outlive p.  Limits of 0 are raised to
 * a minimum that still lets "GET / HTTP/1.1" through.
 */
void	http_parser_init(struct http_parser *p, const struct http_limits *lim,
	    struct http_header *headers);

/*
 * As http_parser_init(), for the responses read by a client.  The method of
 * the request answered is HTTP_M_OTHER (a body may follow) until
 * http_parser_set_method().
 */
void	http_parser_init_response(struct http_parser *p,
	    const struct http_limits *lim, struct http_header *headers);

/*
 * Response mode: the responses from now on answer a request of method m
 * (enum http_method).  HEAD: no body, whatever the fields say (RFC 9112
 * §6.3); CONNECT: a 2xx has no body (the connection becomes a tunnel).
 * It stays set across http_parser_next(), so interim 1xx responses and the
 * final one share it.  Returns 0, or -EINVAL in request mode or while a
 * head is being parsed.
 */
int	http_parser_set_method(struct http_parser *p, int m);

/*
 * Parses the head in buf[p->pos .. len), scanning only bytes not
 * scanned by an earlier call.  Returns HTTP_DONE with p->req (and p->resp in
 * response mode) filled and p->pos at the first body byte, HTTP_AGAIN if
 * the head is incomplete, or an error status (and stays in it).  After
 * HTTP_DONE it returns HTTP_DONE again until http_parser_next().  -EINVAL
 * if len is below p->pos or at least 4 GiB.
 */
int	http_parser_feed(struct http_parser *p, const char *buf, size_t len);

/*
 * Consumes body bytes from buf[p->pos .. len) after HTTP_DONE from feed.
 * Sets *data to the next piece of body (maybe empty) and advances p->pos past
 * it.  Returns HTTP_DONE when the body is complete (data may hold its last
 * piece), HTTP_AGAIN when more bytes are needed (call again at once if
 * data->len > 0: more may be buffered), or an error status: 400 for bad
 * chunked framing, 413 when the chunked body outgrows max_body, 431 for too
 * large a trailer section or too many trailer fields.  A message without a
 * body is HTTP_DONE at once.  Each trailer field, once its line is parsed,
 * is p->req.headers[p->req.nheaders + i] for i < p->req.ntrailers.  A body
 * read until close (p->resp.until_close) is never HTTP_DONE here, and 413
 * once it outgrows max_body.
 */
int	http_parser_body(struct http_parser *p, const char *buf, size_t len,
	    struct http_slice *data);

/*
 * Starts the next pipelined request (or response) at p->pos, after its
 * body is done.
 * Returns 0, or the error status if p is in the error state (which it keeps),
 * or -EINVAL if the body is not finished.
 */
int	http_parser_next(struct http_parser *p);

/*
 * Tells p that the caller dropped the first n bytes of its buffer and moved
 * the rest down, so that offset n is now 0.  n may be at most p->pos, and at
 * most p->req.start while a head is being parsed.  When n <= p->req.start the
 * slices in p->req move with the bytes; otherwise they are stale (the caller
 * dropped that head).  Returns 0 or -EINVAL.
 */
int	http_parser_shift(struct http_parser *p, size_t n);

/*
 * The stream ended after buf[0 .. len), all of which the caller has given
 * to feed or body.  Returns HTTP_DONE if no message was in progress or it
 * is complete (a body read until close is now complete), -ENODATA if it was
 * cut short (a partial line left unconsumed included), the error status in
 * the error state, or -EINVAL if len is below p->pos or, for a body read
 * until close, bytes before len have not been given to http_parser_body().
 */
int	http_parser_eof(struct http_parser *p, size_t len);

/* The decoded value of a slice, for callers and tests. */
static inline const char *
http_slice_ptr(const char *buf, struct http_slice s)
{
	return buf + s.off;
}

#endif /* ASYNCD_HTTP_PARSER_H */
