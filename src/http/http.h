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
#include <sys/types.h>

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
#include <asyncd/rt.h>

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

/* ==== router and the app (pure: no I/O, no runtime) ======================= */
#include "parser.h"

/*
 * The routes of the seed's app.  A route is a path pattern of literal
 * segments and {param} segments ("/hello/{name}": at most one parameter,
 * matching one whole non-empty segment), a handler, and the simulated
 * non-blocking I/O the handler awaits first (asyncio.sleep(0.5) in the seed).
 * Routes answer GET and HEAD; another method on a known path is 405 with
 * Allow.
 */
enum http_handler {
	HTTP_HANDLER_INDEX,	/* <h1>Index</h1> */
	HTTP_HANDLER_HELLO,	/* <h1>hello, NAME!</h1>, NAME HTML-escaped */
	HTTP_HANDLER_HEALTHZ,	/* ok, for load balancers */
	HTTP_HANDLER__COUNT
};

#define HTTP_ROUTES_MAX		32
#define HTTP_PATTERN_MAX	128
#define HTTP_PARAM_MAX		1024	/* a decoded {param} */

struct http_route {
	char		 pattern[HTTP_PATTERN_MAX];
	enum http_handler handler;
	double		 delay;		/* seconds awaited before answering */
};

/* Owned by the configuration that built it; read-only while serving. */
struct http_router {
	struct http_route routes[HTTP_ROUTES_MAX];
	size_t		 n;
};

void	http_router_init(struct http_router *r);
/*
 * Adds a route; handler is the name "index", "hello" or "healthz".  Returns 0
 * or -EINVAL with a reason in err (bad pattern: not starting with '/', empty
 * or duplicate segment names, more than one {param}, a hello route without a
 * {param}; unknown handler) or -ENOSPC (too many routes).
 */
int	http_router_add(struct http_router *r, const char *pattern,
	    const char *handler, double delay, char *err, size_t errlen);
/* The handler's name, for -T and logs. */
const char *http_handler_name(enum http_handler h);

struct http_match {
	const struct http_route *route;
	char		 param[HTTP_PARAM_MAX];	/* decoded, NUL-terminated */
	size_t		 param_len;
	unsigned	 allow;		/* for 405: bitmask of HTTP_M_* allowed */
};

/*
 * Matches the raw (still percent-encoded, query already split off) path of
 * a request with method (HTTP_M_*).  Percent-decodes each segment once.
 * Returns 0 (m->route set), 404, 405 (m->allow set), or 400 for a malformed
 * escape, an encoded NUL (%00), or a decoded segment over HTTP_PARAM_MAX.
 */
int	http_router_match(const struct http_router *r, int method,
	    const char *path, size_t len, struct http_match *m);

/*
 * Writes the handler's body for m into buf (at most cap bytes; HTML-escapes
 * the parameter).  Returns the length, or -ENOSPC.  *ctype gets the
 * Content-Type.
 */
ssize_t	http_app_body(const struct http_match *m, char *buf, size_t cap,
	    const char **ctype);

/* ==== server ============================================================== */
#ifndef HTTP_NO_CLIENT
/*
 * The HTTP/1.1 server: one task per active connection on the runtime.
 * Configured by the daemon (which owns the config and the logs); knows no
 * master (DESIGN.md §1).
 */
struct http_timeouts {
	double		header;		/* first byte of a request to its blank line */
	double		body;		/* idle time while reading a body */
	double		keepalive;	/* idle time between requests */
	double		send;		/* a response's write, whole */
};

/*
 * The counters of every worker of the daemon, for GET of the stats and
 * metrics paths.  The HTTP layer knows no master: the daemon hands it a
 * function that fills this (a worker asks its master over its channel).
 */
#define HTTP_STATS_WORKERS_MAX	256

struct http_worker_stats {
	long		pid;
	unsigned	slot;		/* worker number, 1-based; 0 for a total */
	uint64_t	open, active, requests, errors;
};

struct http_cluster_stats {
	struct http_worker_stats total;
	size_t		 n;
	struct http_worker_stats w[HTTP_STATS_WORKERS_MAX];
};

struct http_server_conf {
	struct http_limits	 limits;	/* request line, head, count, body */
	struct http_timeouts	 timeouts;
	size_t			 max_conns;	/* per process; over it: 503 */
	const struct http_router *router;
	const char		*server_name;	/* Server: header */
	/* Access log in the combined format: written to *access_fd (a pointer:
	 * the daemon swaps the fd when it reopens logs); NULL or -1: off. */
	const int		*access_fd;
	/*
	 * GET stats_path answers JSON, GET metrics_path Prometheus text, with
	 * what stats(stats_arg, out, timeout) fills in; it may suspend, and
	 * returns 0 or an error (then 503).  NULL paths or function: off.
	 */
	const char		*stats_path;
	const char		*metrics_path;
	int			(*stats)(void *arg, struct http_cluster_stats *out,
				    double timeout);
	void			*stats_arg;
	/* Error log: level (0 error .. 3 debug) and the message. */
	void			(*log)(int level, const char *fmt, ...)
				    __attribute__((format(printf, 2, 3)));
};

struct http_stats {
	uint64_t	requests;	/* answered, errors included */
	uint64_t	errors;		/* 4xx and 5xx answered */
	uint64_t	accepted;
	uint64_t	overloaded;	/* answered 503 at the connection cap */
	size_t		open;		/* connections open now (active + idle) */
	size_t		active;		/* of which inside a request */
};

struct http_server;

/* Allocates a server; NULL on ENOMEM.  conf must outlive it. */
struct http_server *http_server_new(const struct http_server_conf *conf);
/* Binds "ADDR:PORT" ("127.0.0.1:8000", "[::1]:8000", "*:8000"); 0, -errno
 * or RT_EAI(code).  Blocking: call at startup. */
int	http_server_listen(struct http_server *s, const char *addr);
/* Adopts an already listening socket. */
int	http_server_adopt(struct http_server *s, int fd);
/* The local port of listener i (for port 0). */
int	http_server_port(const struct http_server *s, size_t i);
int	http_server_start(struct http_server *s);
/*
 * Graceful stop: stops accepting; requests in flight finish and their
 * connections close after the response; accepted connections still waiting
 * for their first request are served when it comes.  Idle keep-alive
 * connections: with serve_idle (a reload: a new generation accepts now),
 * each is served one more request, with Connection: close, since a client
 * may be sending it already; without (a stop), each serves a request
 * already received, else closes lingering (an orderly EOF, never a reset).
 * What is left after timeout is closed or cancelled.  Suspends until every
 * connection is gone.  Returns the number of connections that had to be
 * cancelled.
 */
int	http_server_shutdown(struct http_server *s, double timeout,
	    int serve_idle);
void	http_server_stats(const struct http_server *s, struct http_stats *st);
/* Writes the buffered access log lines now (before a log reopen or an
 * exit). */
void	http_server_flush_access(struct http_server *s);
/* Closes the listeners and frees the server (after shutdown). */
void	http_server_free(struct http_server *s);
#endif /* !HTTP_NO_CLIENT */
/* ==== end of server ======================================================= */

#endif /* ASYNCD_HTTP_H */
