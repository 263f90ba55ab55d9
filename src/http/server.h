/*
 * server.h - the HTTP/1.1 server, as the daemon drives it: a worker builds
 * one from its configuration and its apps, starts it on the listening
 * sockets it inherited, reads its counters for the master, and shuts it
 * down gracefully.  Internal to libasyncd: apps see only <asyncd/http.h>.
 *
 * One task per active connection on the runtime; the apps' routes are one
 * router (each app's patterns under its mount prefix), and a request runs
 * its app's middlewares and its route's handler in its connection's task
 * (conn.c).  The server knows no master (DESIGN.md §1): what it needs from
 * the daemon comes in its conf.
 */
#ifndef ASYNCD_HTTP_SERVER_H
#define ASYNCD_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <asyncd/http.h>

#include "logfmt.h"
#include "parser.h"
#include "proxy.h"

struct http_timeouts {
	double		header;		/* first byte of a request to its blank line */
	double		body;		/* idle time while reading a body */
	double		keepalive;	/* idle time between requests */
	double		send;		/* a response's write, from the first
					   time the socket is full */
};

struct http_server_conf {
	struct http_limits	 limits;	/* request line, head, count, body:
						   body is the default route body
						   limit */
	struct http_timeouts	 timeouts;
	size_t			 max_conns;	/* per process; over it: 503 */
	struct http_app		**apps;		/* mounted, in order; borrowed */
	size_t			 napps;
	const char		*server_name;	/* Server: header */
	/* Access log: written to *access_fd (a pointer: the daemon swaps the
	 * fd when it reopens logs); NULL or -1: off.  Lines as access_fmt
	 * says (NULL: the combined format), buffered for access_flush
	 * seconds at most (0: written at once). */
	const int		*access_fd;
	const struct http_logfmt *access_fmt;
	double			 access_flush;
	unsigned		 worker;	/* $worker: the daemon's slot */
	/* trusted_proxies: a request from a peer in one of them has its
	 * client taken from X-Forwarded-For (realip.c); n 0: never. */
	const struct http_cidr	*trusted;
	size_t			 ntrusted;
	/* Error log: level (0 error .. 3 debug) and the message. */
	void			(*log)(int level, const char *fmt, ...)
				    __attribute__((format(printf, 2, 3)));
};

/*
 * What a server counts (metrics.c), for the daemon's stats pages.  Only
 * uint64_t, no padding: the worker hands the struct to the master as it
 * is (chan.h's struct chan_counters), and the master adds up the counters
 * of the workers that exited (http_stats_add).  Counting is a plain
 * increment in the connection's task: no lock, no system call.
 */
enum http_stats_method {		/* requests[] rows: the methods named */
	HTTP_SM_GET,
	HTTP_SM_HEAD,
	HTTP_SM_POST,
	HTTP_SM_PUT,
	HTTP_SM_DELETE,
	HTTP_SM_OPTIONS,
	HTTP_SM_PATCH,
	HTTP_SM_OTHER,			/* any other, or none parsed */
	HTTP_SM_COUNT
};
#define HTTP_STATS_CLASSES	5	/* requests[] columns: 1xx .. 5xx */
/* The request duration histogram's upper bounds, seconds: those of the
 * Prometheus client libraries (http_stats_bounds[]), then +Inf. */
#define HTTP_STATS_BOUNDS	11
#define HTTP_STATS_BUCKETS	(HTTP_STATS_BOUNDS + 1)

enum http_stats_perr {			/* parse errors, by the status sent */
	HTTP_PERR_MALFORMED,		/* 400 */
	HTTP_PERR_BODY_TOO_LARGE,	/* 413 */
	HTTP_PERR_URI_TOO_LONG,		/* 414 */
	HTTP_PERR_EXPECTATION,		/* 417 */
	HTTP_PERR_HEADER_TOO_LARGE,	/* 431 */
	HTTP_PERR_NOT_IMPLEMENTED,	/* 501 */
	HTTP_PERR_VERSION,		/* 505 */
	HTTP_PERR_PROXY,		/* no valid PROXY header: closed,
					   no response */
	HTTP_PERR_COUNT
};

enum http_stats_timeout {
	HTTP_TMO_HEADER,		/* a head too slow, or no first byte */
	HTTP_TMO_BODY,			/* a body read */
	HTTP_TMO_KEEPALIVE,		/* idle between requests */
	HTTP_TMO_SEND,			/* a write to the client */
	HTTP_TMO_HANDLER,		/* a route's own timeout: 504 */
	HTTP_TMO_COUNT
};

struct http_stats {
	/* Counters, never decreasing for the life of the server. */
	uint64_t	requests[HTTP_SM_COUNT][HTTP_STATS_CLASSES];	/* answered:
					   by method and status class */
	uint64_t	duration[HTTP_STATS_BUCKETS];	/* requests with a whole
					   head, head to response: [i] counts
					   those over bound i-1 and up to
					   bound i (not cumulative) */
	uint64_t	duration_us;	/* their sum, microseconds */
	uint64_t	bytes_received;	/* read from clients */
	uint64_t	bytes_sent;	/* written to clients */
	uint64_t	accepted;	/* connections */
	uint64_t	rejected;	/* answered 503 unserved: at the cap,
					   or no memory or descriptor */
	uint64_t	reused;		/* requests after a connection's first */
	uint64_t	parse_errors[HTTP_PERR_COUNT];
	uint64_t	timeouts[HTTP_TMO_COUNT];
	/* Gauges. */
	uint64_t	open;		/* connections open now (active + idle) */
	uint64_t	active;		/* of which inside a request */
};

/* Labels for the stats pages: "GET".."OTHER", "malformed".., "header".. */
extern const char *const http_stats_method_names[HTTP_SM_COUNT];
extern const char *const http_stats_perr_names[HTTP_PERR_COUNT];
extern const char *const http_stats_timeout_names[HTTP_TMO_COUNT];
extern const double http_stats_bounds[HTTP_STATS_BOUNDS];

/* Adds src's counters (not its gauges) to dst. */
void	http_stats_add(struct http_stats *dst, const struct http_stats *src);
/* Requests answered in all, and with a 4xx or 5xx status. */
uint64_t http_stats_requests(const struct http_stats *st);
uint64_t http_stats_errors(const struct http_stats *st);

struct http_server;

/*
 * Allocates a server over conf's apps: their routes become one router.
 * NULL with the reason in err: ENOMEM, or two apps' routes that match the
 * same paths.  conf and the apps must outlive the server.
 */
struct http_server *http_server_new(const struct http_server_conf *conf,
	    char *err, size_t errlen);
/* Adopts an already listening socket; flags: HTTP_LISTEN_*.  At most
 * RT_SERVER_MAX_LISTEN. */
#define HTTP_LISTEN_PROXY	0x1	/* every connection begins with a
					   PROXY protocol header */
int	http_server_adopt(struct http_server *s, int fd, unsigned flags);
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
/*
 * Drain, before a graceful stop (timeouts.drain): the server keeps
 * accepting and serving, but every response from now on says
 * Connection: close, and its connection closes after it (lingering, as at
 * a stop), so that clients and load balancers move away while nothing is
 * refused.  Idle keep-alive connections stay parked: their next request
 * is served, with Connection: close.  There is no way back but a new
 * process.
 */
void	http_server_drain(struct http_server *s);
/* Whether the server is stopping or draining: for health checks. */
int	http_server_stopping(const struct http_server *s);
void	http_server_stats(const struct http_server *s, struct http_stats *st);
/* Writes the buffered access log lines now (before a log reopen or an
 * exit). */
void	http_server_flush_access(struct http_server *s);

/* The apps' side, for their owner (the daemon). */

/* Whether routes of different apps (under their prefixes) match the same
 * paths: 0, or -1 with which and where in err. */
int	http_apps_check(struct http_app *const *apps, size_t n, char *err,
	    size_t errlen);

/* Cancels and joins the tasks started with http_app_spawn.  Suspends. */
void	http_app_stop_tasks(struct http_app *app);

#endif /* ASYNCD_HTTP_SERVER_H */
