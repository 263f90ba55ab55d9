/*
 * http.h - the HTTP layer's public header (DESIGN.md §1: src/http/ builds on
 * the runtime, prefix http_).
 *
 * One header for the layer, split into sections by role.  Each section says
 * what it needs from below: the client section uses rt.h (it does I/O); a
 * section for the server-side parser, which must compile without libev, is
 * to be added beside it and must not depend on the client's types.
 *
 * The client section includes rt.h (and so ev.h); code that must build
 * without the runtime, like the parser and its fuzzer, defines
 * HTTP_NO_CLIENT before including this header.
 *
 * Conventions are the runtime's: functions return 0 or a negative errno (or
 * RT_EAI(code) from name resolution), readable with rt_strerror(); "suspends"
 * means the call may switch to other tasks and may only be made from a task.
 */
#ifndef ASYNCD_HTTP_H
#define ASYNCD_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* ==== client ============================================================= */
#ifndef HTTP_NO_CLIENT
/*
 * A small HTTP/1.1 client (aiohttp's ClientSession, one connection): GET of
 * http:// URLs over one keep-alive connection, reused for consecutive
 * requests to the same host:port and replaced when the host changes or the
 * server closed it.  Fixed memory: the response head lives in the response
 * struct, the body in a bounded buffer; nothing grows with what a server
 * sends.
 *
 * Errors of http_client_get, besides the runtime's (-ECONNREFUSED,
 * -ETIMEDOUT, -ECANCELED, RT_EAI(...), -ECONNRESET, -EPIPE):
 *   -EINVAL           malformed URL (no host, bad port, spaces or control
 *                     bytes, user info)
 *   -EPROTONOSUPPORT  a scheme other than http://
 *   -EBADMSG          malformed response: status line, header field, chunk
 *                     size or chunk terminator, bad or conflicting framing
 *   -EMSGSIZE         the status line and header fields (or the trailers) do
 *                     not fit HTTP_CLIENT_HEAD_MAX bytes or
 *                     HTTP_CLIENT_MAX_FIELDS fields; a chunk-size line
 *                     longer than HTTP_CLIENT_LINE_MAX
 *   -EFBIG            the body is larger than the limit (checked against
 *                     Content-Length before reading the body)
 *   -ENODATA          the server closed the connection before the response
 *                     was complete
 * After any error the connection is closed; the next request reconnects.
 */
#include "rt.h"

/*
 * Limits.  HEAD_MAX bounds the status line and every field together (aiohttp
 * caps a line at 8190 bytes); LINE_MAX bounds a chunk-size line with its
 * extensions; HOST_MAX is a DNS name's length cap.
 */
#define HTTP_CLIENT_HEAD_MAX	8192
#define HTTP_CLIENT_MAX_FIELDS	64		/* headers + trailers */
#define HTTP_CLIENT_LINE_MAX	1024
#define HTTP_CLIENT_HOST_MAX	255
#define HTTP_CLIENT_URL_MAX	4096
/* Defaults of struct http_client_opts. */
#define HTTP_CLIENT_MAX_BODY	(1024 * 1024)
#define HTTP_CLIENT_TIMEOUT	30.0		/* per request */
#define HTTP_CLIENT_READ_TIMEOUT 10.0		/* per wait */

/* A URL split by http_client_parse_url().  Strings are NUL-terminated
 * copies; host has no brackets (an IPv6 literal is bare). */
struct http_client_url {
	char		 host[HTTP_CLIENT_HOST_MAX + 1];
	char		 port[6];	/* decimal, "80" by default */
	const char	*target;	/* path and query, in the caller's
					   URL; "" means "/" */
	size_t		 target_len;	/* fragment excluded */
	int		 ipv6;		/* host was [bracketed] */
};

/*
 * Splits "http://host[:port][/path][?query][#fragment]" (the scheme
 * case-insensitive, host possibly an [IPv6] literal).  Returns 0,
 * -EPROTONOSUPPORT for another scheme, -EINVAL for a malformed URL.
 * u->target points into url.
 */
int	http_client_parse_url(const char *url, struct http_client_url *u);

struct http_client_opts {
	/* The whole request (connect, send, head, body); 0: the default,
	 * RT_FOREVER: none. */
	double		timeout;
	/* Each connect, write and read wait; 0: the default. */
	double		read_timeout;
	/* The body limit in bytes; 0: the default. */
	size_t		max_body;
};

/* One header or trailer field; both strings in the response's head[]. */
struct http_client_field {
	const char	*name;
	const char	*value;		/* outer whitespace removed */
};

/*
 * A response.  Owned by the caller (about 9 KiB: fine on a task's stack).
 * Everything http_client_get() stores in it stays valid until the response
 * is reused; body points into the caller's buffer (given to
 * http_client_response_init) or, without one, into the client's, which the
 * next request on that client overwrites.
 */
struct http_client_response {
	/* In: set by http_client_response_init. */
	char		*buf;		/* caller's, or NULL */
	size_t		 buf_cap;
	/* Out. */
	int		 status;	/* 200 */
	int		 minor;		/* HTTP/1.minor */
	const char	*reason;	/* may be "" */
	struct http_client_field fields[HTTP_CLIENT_MAX_FIELDS];
	size_t		 nheaders;	/* fields[0, nheaders) */
	size_t		 ntrailers;	/* then the trailers */
	char		*body;
	size_t		 body_len;	/* not NUL-terminated */
	int		 chunked;	/* the body came chunked */
	int		 keep_alive;	/* the connection stays open */
	size_t		 head_len;	/* private: head[] used */
	char		 head[HTTP_CLIENT_HEAD_MAX];	/* private */
};

/* Prepares resp; buf (cap bytes) receives bodies, or NULL for the client's
 * buffer.  The body limit is then min(cap, the client's max_body). */
void	http_client_response_init(struct http_client_response *resp,
	    char *buf, size_t cap);

/* The value of the first header (or trailer) field called name, compared
 * case-insensitively; NULL if there is none. */
const char *http_client_response_header(
	    const struct http_client_response *resp, const char *name);
const char *http_client_response_trailer(
	    const struct http_client_response *resp, const char *name);

/*
 * One client: at most one open connection (owned, with its rt_stream) and
 * a lazily allocated body buffer of opts.max_body bytes.  Owned by its
 * creator, used by one task at a time; http_client_close frees it.
 */
struct http_client {
	struct http_client_opts opts;
	struct rt_stream stream;	/* open iff connected */
	int		 connected;
	/* The connection's peer. */
	char		 host[HTTP_CLIENT_HOST_MAX + 1];
	char		 port[6];
	char		*body_buf;	/* opts.max_body bytes, or NULL */
	unsigned	 conn_requests;	/* answered on this connection */
	int		 busy;		/* a request is in progress */
	/* ro: statistics. */
	uint64_t	 connects;	/* connections opened */
	uint64_t	 reconnects;	/* kept ones found closed */
	uint64_t	 requests;	/* responses received whole */
};

/* Initialises c (no connection yet, nothing allocated).  opts may be NULL.
 * 0, or -EINVAL for a NaN timeout. */
int	http_client_init(struct http_client *c,
	    const struct http_client_opts *opts);

/*
 * GETs url into resp (initialised with http_client_response_init): connects or
 * reuses the connection, sends the request, reads the status line, header
 * fields and body (Content-Length, chunked with trailers, or until close;
 * 1xx interim responses are skipped).  Retries once on a fresh connection
 * when a reused one turns out to be closed before any response byte came
 * (GET is idempotent).  Returns 0 for any complete response, whatever its
 * status, or an error (see the top of this section).  Suspends.
 */
int	http_client_get(struct http_client *c, const char *url,
	    struct http_client_response *resp);

/* Closes the connection, if any, and frees the body buffer.  The client
 * may be used again (it reconnects).  Safe to call twice. */
void	http_client_close(struct http_client *c);

#endif /* !HTTP_NO_CLIENT */
/* ==== end of client ====================================================== */

#endif /* ASYNCD_HTTP_H */
