/*
 * asyncd/http.h - HTTP/1.1 on the asyncd runtime: the handler API that
 * server apps are written against, and a small client.
 *
 * ---- Writing handlers ---------------------------------------------------
 *
 * An app (struct http_app) is a set of routes and middlewares, mounted at a
 * path prefix by the daemon (asyncd/app.h) or by whatever server hosts it.
 * A handler is a plain C function that runs as part of the connection's
 * task, so it may call anything that suspends: rt_sleep(), rt_tcp_connect()
 * and streams, the client below, rt_gather(), queues, locks, deadline
 * scopes.  While it waits, the worker serves other connections.
 *
 *	static int
 *	hello(struct http_req *rq, struct http_resp *rs, void *arg)
 *	{
 *		char body[256];
 *		int n;
 *
 *		(void)arg;
 *		if (rt_sleep(0.5) != 0)		// asyncio.sleep(0.5)
 *			return -ECANCELED;
 *		n = snprintf(body, sizeof(body), "hello, %s\n",
 *		    http_req_param(rq, "name"));
 *		http_resp_header(rs, "Content-Type", "text/plain");
 *		return http_resp_send(rs, body, (size_t)n);
 *	}
 *	...
 *	http_app_route(app, "GET", "/hello/{name}", hello, NULL, NULL);
 *
 * What a handler returns decides what the client gets:
 *   0         the response is done; if nothing was sent yet, the status
 *             and headers set so far go out with an empty body;
 *   200..599  nothing was sent yet: the server answers that status with its
 *             own short page (return 404 for a missing item); any other
 *             positive value is a bug, answered 500 and logged;
 *   < 0       an error (-errno): if nothing was sent yet, 413 for -EFBIG
 *             (the body is over the route's limit), 400 for -EBADMSG (a
 *             malformed body), 408 for -ETIMEDOUT from reading the body,
 *             else 500, and the error log names the route and the error;
 *             after the head was sent the connection is closed, since the
 *             client cannot otherwise learn that the body is incomplete.
 *
 * Ownership: the request and the response belong to the server and live
 * until the handler returns.  Every string an accessor returns lives as long
 * (in the request's buffer or its arena): copy what must outlive it.  A
 * handler may not keep either pointer in a task of its own that outlives it.
 *
 * The client going away: reads and writes on the connection return an error
 * (-EPIPE, -ECONNRESET), and the handler's other waits run on, so a write to
 * a database is not cut in half (aiohttp cancelled handlers at every await
 * until 3.7, and users lost half-done writes).  A route (or app) with
 * cancel_on_disconnect instead has its handler cancelled when the client
 * closes: its current or next wait returns -ECANCELED.  rt_shield_enter()
 * and rt_shield_exit() protect a critical section from that cancellation.
 *
 * Errors are the runtime's: 0 or a negative errno; "suspends" means the
 * call may switch to other tasks and may only be made from a task.
 */
#ifndef ASYNCD_HTTP_H
#define ASYNCD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <asyncd/version.h>
#include <asyncd/rt.h>

ASYNCD_BEGIN_DECLS

/* ==== handlers ============================================================ */

struct http_req;	/* opaque: the request being served */
struct http_resp;	/* opaque: its response */
struct http_app;	/* opaque: routes, middlewares, an app's state */

/* A handler; arg is what the route was registered with. */
typedef int (*http_handler_fn)(struct http_req *rq, struct http_resp *rs,
    void *arg);

/*
 * A middleware, as aiohttp's: it runs around every handler of its app,
 * calls http_next() to run the rest of the chain (the next middleware, then
 * the handler) and returns what it returns, or answers by itself without
 * calling it.  Returns what a handler returns.
 */
typedef int (*http_middleware_fn)(struct http_req *rq, struct http_resp *rs,
    void *arg);

/* Runs the rest of the chain from a middleware; its result.  Suspends. */
ASYNCD_API int	http_next(struct http_req *rq, struct http_resp *rs);

/* ---- the request -------------------------------------------------------- */

/* The method as sent ("GET", "PROPFIND"...). */
ASYNCD_API const char *http_req_method(const struct http_req *rq);
/* The request-target as sent, query included ("/a%20b?x=1"). */
ASYNCD_API const char *http_req_target(const struct http_req *rq);
/* The path, still percent-encoded, without the query ("/a%20b"). */
ASYNCD_API const char *http_req_path(const struct http_req *rq);
/* The raw query after '?' ("x=1&y"), "" if there is none. */
ASYNCD_API const char *http_req_query_string(const struct http_req *rq);
/* 10 for HTTP/1.0, 11 for HTTP/1.1. */
ASYNCD_API int	http_req_version(const struct http_req *rq);
/* The client's address: the peer's, or the one a PROXY protocol header
 * gave (a listener's proxy_protocol), or the one X-Forwarded-For gave
 * when the peer is a trusted proxy (trusted_proxies).  Its port is 0 when
 * it came from X-Forwarded-For. */
ASYNCD_API const struct sockaddr *http_req_peer(const struct http_req *rq,
	    socklen_t *len);
/* The route's pattern as registered, mount prefix included
 * ("/api/users/{id}"), for logs and metrics. */
ASYNCD_API const char *http_req_route(const struct http_req *rq);

/*
 * The path parameter called name: {name} or the last {name...} of the
 * route's pattern, percent-decoded ("%2F" is a '/' in the value, and a
 * {name...} keeps the '/' between its segments), NUL-terminated.  NULL if
 * the pattern has no such parameter, or if the request's arena is full.
 */
ASYNCD_API const char *http_req_param(struct http_req *rq, const char *name);

/*
 * The query, parsed as application/x-www-form-urlencoded: pairs split on
 * '&', key and value on the first '=', '+' is a space, %XX decoded; a key
 * without '=' has the value "".  The first pass parses it all, into the
 * request's arena.  http_req_query returns the value of the first pair
 * whose key is key, or NULL.  http_req_query_at gives pair i (from 0):
 * 0, -ENOENT past the last, or, for every i, -EBADMSG if the query is
 * malformed (a bad %XX escape, %00), -E2BIG past HTTP_QUERY_MAX pairs,
 * -ENOMEM if the arena is full.
 */
#define HTTP_QUERY_MAX	256
ASYNCD_API const char *http_req_query(struct http_req *rq, const char *key);
ASYNCD_API int	http_req_query_at(struct http_req *rq, size_t i,
	    const char **key, const char **value);

/*
 * The header field called name (case-insensitive), NUL-terminated, outer
 * whitespace removed.  A field sent several times comes back as one value,
 * the values joined with ", " in order (RFC 9110 §5.3).  NULL if absent.
 * http_req_header_at gives field line i (from 0) as received, with its
 * name: 0 or -ENOENT.
 */
ASYNCD_API const char *http_req_header(struct http_req *rq, const char *name);
ASYNCD_API int	http_req_header_at(struct http_req *rq, size_t i,
	    const char **name, const char **value);

/*
 * The body.  Its length if it came with Content-Length, else -1 (chunked,
 * or none: 0).
 */
ASYNCD_API int64_t http_req_content_length(const struct http_req *rq);

/*
 * Reads the next piece of the body into buf (at most cap bytes): the bytes
 * read, 0 at its end, or an error: -EFBIG past the route's body limit,
 * -EBADMSG for malformed chunked framing, -ETIMEDOUT past the body timeout,
 * -EPIPE or -ECONNRESET when the client went away.  The first read of a
 * request that asked for "Expect: 100-continue" sends "100 Continue" first:
 * a client that is never read from never sends its body.  Suspends.
 */
ASYNCD_API ssize_t http_req_read(struct http_req *rq, void *buf, size_t cap);

/*
 * The whole body, read into memory owned by the request (freed when the
 * handler returns) and NUL-terminated after its *len bytes; a second call
 * returns the same.  Errors as http_req_read's; -EFBIG is also decided
 * before reading from Content-Length.  Suspends.
 */
ASYNCD_API int	http_req_body(struct http_req *rq, const char **body,
	    size_t *len);

/* The app whose route this is, and its data (http_app_set_data). */
ASYNCD_API struct http_app *http_req_app(const struct http_req *rq);
ASYNCD_API void	*http_req_app_data(const struct http_req *rq);

/*
 * Per-request storage for middlewares and handlers: n bytes from the
 * request's arena, zeroed, freed with the request; NULL if it is full.
 */
ASYNCD_API void	*http_req_alloc(struct http_req *rq, size_t n);

/* ---- the response ------------------------------------------------------- */

/*
 * The status (default 200) and its reason phrase (NULL: the standard one).
 * 0; -EINVAL for a status outside 100..599 or 1xx (interim responses are
 * the server's), or a reason with a control byte; -EALREADY once the head
 * was sent.
 */
ASYNCD_API int	http_resp_status(struct http_resp *rs, int status,
	    const char *reason);

/*
 * Adds a header field (http_resp_header), or replaces every earlier one of
 * that name (http_resp_header_set).  The name must be a token and the value
 * must hold no CR, LF, NUL or other control byte but tab: anything else is
 * -EINVAL and nothing is sent, so a value taken from a request cannot split
 * the response.  Server, Date, Content-Length, Transfer-Encoding and
 * Connection are the server's: -EPERM.  -ENOSPC past HTTP_RESP_HEAD_MAX
 * bytes of fields; -EALREADY once the head was sent.
 */
#define HTTP_RESP_HEAD_MAX	4096
ASYNCD_API int	http_resp_header(struct http_resp *rs, const char *name,
	    const char *value);
ASYNCD_API int	http_resp_header_set(struct http_resp *rs, const char *name,
	    const char *value);

/*
 * Sends the whole response: the head with Content-Length: len, then the
 * body (not for HEAD).  0, -EALREADY if the head was already sent, or a
 * write error.  Suspends only while the client is slow to read.
 */
ASYNCD_API int	http_resp_send(struct http_resp *rs, const void *body,
	    size_t len);

/*
 * Streams the response: http_resp_start sends the head, with
 * Content-Length: length if length >= 0, else chunked (HTTP/1.1) or until
 * the connection closes (HTTP/1.0); http_resp_write then sends each piece
 * (starting the response if need be), waiting while the client's socket
 * is full (backpressure, within the send timeout: -ETIMEDOUT after it),
 * and http_resp_finish ends the body (the last chunk).  Writing more than
 * a declared length is -EMSGSIZE; a handler that returns before writing
 * all of it has its connection closed.  For HEAD nothing after the head is
 * sent.  0 or -errno (-EPIPE, -ECONNRESET: the client went away).
 * Suspend.
 *
 * Small pieces are gathered in the connection's 32 KiB output buffer and
 * go out when it fills, when the handler waits for more of the request
 * body (an echo is interactive), when it returns, and at
 * http_resp_flush(), which waits until everything written so far is sent
 * (for events a client must see now: server-sent events, progress).
 */
ASYNCD_API int	http_resp_start(struct http_resp *rs, int64_t length);
ASYNCD_API int	http_resp_write(struct http_resp *rs, const void *p,
	    size_t n);
ASYNCD_API int	http_resp_flush(struct http_resp *rs);
ASYNCD_API int	http_resp_finish(struct http_resp *rs);

/* Whether the head was sent. */
ASYNCD_API int	http_resp_started(const struct http_resp *rs);
/* The status set so far. */
ASYNCD_API int	http_resp_get_status(const struct http_resp *rs);

/* ---- apps and routes ------------------------------------------------------ */

/*
 * Options of a route, or defaults of a whole app (http_app_defaults); zero
 * means "the app's", then "the server's".
 */
struct http_route_opts {
	size_t		 stack_size;	/* bytes: the handler runs in a task
					   of its own with this stack */
	uint64_t	 body_max;	/* request body limit, bytes (413) */
	double		 timeout;	/* seconds for the whole handler, as a
					   deadline scope (504 if it passes
					   before anything was sent) */
	int		 cancel_on_disconnect;	/* 1: cancel the handler
					   when the client closes */
	void		*reserved[4];	/* 0 */
};

/*
 * Creates an app mounted at prefix ("/", or "/api": no trailing '/').
 * Owned by the caller (the daemon, for the apps it loads); free it with
 * http_app_free once no server uses it.  NULL on ENOMEM or a bad prefix.
 */
ASYNCD_API struct http_app *http_app_new(const char *name, const char *prefix);
ASYNCD_API void	http_app_free(struct http_app *app);
ASYNCD_API const char *http_app_name(const struct http_app *app);
ASYNCD_API const char *http_app_prefix(const struct http_app *app);

/* The app's data: set by its owner (an app's init), read by its handlers
 * (http_req_app_data).  Not freed by the app. */
ASYNCD_API void	http_app_set_data(struct http_app *app, void *data);
ASYNCD_API void	*http_app_data(const struct http_app *app);

/* Defaults for every route of the app (copied). */
ASYNCD_API void	http_app_defaults(struct http_app *app,
	    const struct http_route_opts *opts);

/*
 * Adds a route: method (a token such as "GET" or "PROPFIND", or "*" for
 * any method; a GET route also answers HEAD, with no body) and a pattern
 * under the app's prefix: "/" or '/'-separated segments, each a literal
 * (written decoded: "/café", not "/caf%C3%A9"), a whole-segment {name}, or,
 * last, {name...} for the rest of the path (one or more segments).  opts may
 * be NULL.  At a request the most specific route wins: at the first segment
 * where two differ, a literal beats {name}, which beats {name...}; a route
 * for the method beats "*".  A path that matches only routes of other
 * methods is 405 with their Allow.  0, -EINVAL for a bad method or
 * pattern, -EEXIST if a route of the same method matches the same paths
 * (the error says which, and where each was added: http_app_error).
 * Called through the macro, which records the caller's file and line.
 */
ASYNCD_API int	http_app_route_at(struct http_app *app, const char *method,
	    const char *pattern, http_handler_fn fn, void *arg,
	    const struct http_route_opts *opts, const char *file, int line);
#define http_app_route(app, method, pattern, fn, arg, opts)		\
	http_app_route_at(app, method, pattern, fn, arg, opts, __FILE__,	\
	    __LINE__)

/* Adds a middleware around every handler of the app; the first added is
 * the outermost.  0 or -ENOMEM. */
ASYNCD_API int	http_app_use(struct http_app *app, http_middleware_fn fn,
	    void *arg);

/* The message of the last failed http_app_* call, "" if none. */
ASYNCD_API const char *http_app_error(const struct http_app *app);

/*
 * Starts a task that lives with the app in each worker (a cache refresher,
 * a queue consumer): like rt_task_spawn, and the app's owner cancels and
 * joins it when the app stops (see asyncd/app.h: before the app's cleanup).
 * 0 or -ENOMEM.
 */
ASYNCD_API int	http_app_spawn(struct http_app *app, const char *name,
	    rt_task_fn fn, void *arg);

/* ---- helpers ------------------------------------------------------------- */

/* The standard reason phrase of status ("Not Found"), or "Unknown". */
ASYNCD_API const char *http_reason(int status);

/*
 * Writes s (n bytes) escaped for HTML text and attribute values (& < > " '
 * become entities) into dst of cap bytes: the escaped length, or -ENOSPC
 * (dst untouched) if it does not fit.  No NUL is added.
 */
ASYNCD_API ssize_t http_html_escape(char *dst, size_t cap, const char *s,
	    size_t n);

/* ==== client ============================================================== */

/*
 * A small HTTP/1.1 client (aiohttp's ClientSession, one connection): GET and
 * HEAD of http:// URLs over one keep-alive connection, reused for consecutive
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
 *                     (a Content-Length sent twice, even with one value;
 *                     Content-Length with Transfer-Encoding; a coding
 *                     other than chunked), a chunk-size line longer than
 *                     HTTP_CLIENT_LINE_MAX; the rules are the server's
 *                     (its request parser, in response mode)
 *   -EMSGSIZE         the status line and header fields (or the trailers) do
 *                     not fit HTTP_CLIENT_HEAD_MAX bytes or
 *                     HTTP_CLIENT_MAX_FIELDS fields
 *   -EFBIG            the body is larger than the limit (checked against
 *                     Content-Length before reading the body)
 *   -ENODATA          the server closed the connection before the response
 *                     was complete
 * After any error the connection is closed; the next request reconnects.
 */
/*
 * Limits.  HEAD_MAX bounds the status line and every field together (aiohttp
 * caps a line at 8190 bytes), and what is left of it after the head is where
 * the body's framing passes; LINE_MAX bounds a chunk-size line with its
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
ASYNCD_API int	http_client_parse_url(const char *url, struct http_client_url *u);

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
ASYNCD_API void	http_client_response_init(struct http_client_response *resp,
	    char *buf, size_t cap);

/* The value of the first header (or trailer) field called name, compared
 * case-insensitively; NULL if there is none. */
ASYNCD_API const char *http_client_response_header(
	    const struct http_client_response *resp, const char *name);
ASYNCD_API const char *http_client_response_trailer(
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
ASYNCD_API int	http_client_init(struct http_client *c,
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
ASYNCD_API int	http_client_get(struct http_client *c, const char *url,
	    struct http_client_response *resp);

/*
 * As http_client_get, with HEAD: the response has no body whatever its
 * fields say (RFC 9112 §6.3); its Content-Length, if any, is in the headers.
 * Suspends.
 */
ASYNCD_API int	http_client_head(struct http_client *c, const char *url,
	    struct http_client_response *resp);

/* Closes the connection, if any, and frees the body buffer.  The client
 * may be used again (it reconnects).  Safe to call twice. */
ASYNCD_API void	http_client_close(struct http_client *c);


ASYNCD_END_DECLS

#endif /* ASYNCD_HTTP_H */
