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

/*
 * Allocates a server over conf's apps: their routes become one router.
 * NULL with the reason in err: ENOMEM, or two apps' routes that match the
 * same paths.  conf and the apps must outlive the server.
 */
struct http_server *http_server_new(const struct http_server_conf *conf,
	    char *err, size_t errlen);
/* Adopts an already listening socket. */
int	http_server_adopt(struct http_server *s, int fd);
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
/* Whether the server is stopping (or draining): for health checks. */
int	http_server_stopping(const struct http_server *s);
void	http_server_stats(const struct http_server *s, struct http_stats *st);
/* Writes the buffered access log lines now (before a log reopen or an
 * exit). */
void	http_server_flush_access(struct http_server *s);
/* Closes the listeners and frees the server (after shutdown). */
void	http_server_free(struct http_server *s);

/* The apps' side, for their owner (the daemon). */

/* Whether routes of different apps (under their prefixes) match the same
 * paths: 0, or -1 with which and where in err. */
int	http_apps_check(struct http_app *const *apps, size_t n, char *err,
	    size_t errlen);

/* Cancels and joins the tasks started with http_app_spawn.  Suspends. */
void	http_app_stop_tasks(struct http_app *app);

#endif /* ASYNCD_HTTP_SERVER_H */
