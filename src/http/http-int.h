/*
 * http-int.h - what the server's files share (server.c, conn.c,
 * response.c, access.c), and nothing else may include.
 *
 * Memory per connection, by state:
 *   active  a task (pooled stack) + a struct http_conn on that stack + one
 *           pooled input buffer (limits.max_head bytes) + one pooled output
 *           buffer (HTTP__OUT_CAP);
 *   idle    (between keep-alive requests) only a struct http_idle: no task,
 *           no stack, no buffer.  Its fd is watched by a callback; the next
 *           request's first bytes resume it in a new task.
 * So 10,000 idle keep-alive connections cost 10,000 small records, not
 * 10,000 stacks and buffers.
 */
#ifndef ASYNCD_HTTP_INT_H
#define ASYNCD_HTTP_INT_H

#include <sys/socket.h>

#include "http.h"
#include "logfmt.h"

#define HTTP__OUT_CAP		(32 * 1024)	/* a batch of pipelined responses */
#define HTTP__ALOG_CAP		(64 * 1024)	/* access log buffer */
#define HTTP__DATE_LEN		29		/* "Fri, 27 Nov 2026 05:40:00 GMT" */

/* A parked keep-alive (or fresh) connection.  Owned by the server. */
struct http_idle {
	ev_io			 io;		/* first: the callback's watcher */
	struct http_server	*server;
	struct http_idle	*next, *prev;	/* its death queue, oldest first */
	double			 deadline;
	int			 queue;		/* HTTP__Q_FRESH or HTTP__Q_KEEPALIVE */
	int			 state;		/* HTTP__IDLE_* */
	socklen_t		 peerlen;
	struct sockaddr_storage	 peer;
};

/* Where a connection with a parking record is (server.c). */
enum {
	HTTP__IDLE_PARKED,	/* in a death queue, its watcher waiting */
	HTTP__IDLE_RESUMING,	/* a task is spawned but has not run yet */
	HTTP__IDLE_SERVING	/* its task is serving it */
};

enum {
	HTTP__Q_FRESH,		/* accepted, no byte yet: header timeout */
	HTTP__Q_KEEPALIVE,	/* between requests: keep-alive timeout */
	HTTP__Q_COUNT
};

/*
 * Death queues (lwan's name): every connection in one queue has the same
 * timeout, so appending keeps each queue sorted by deadline and one timer
 * for the earliest head serves them all.
 */
struct http__queue {
	struct http_idle	*head, *tail;
};

/* A pooled buffer, threaded through its own first bytes while free. */
struct http__buf {
	struct http__buf	*next;
};

struct http_server {
	const struct http_server_conf *conf;
	struct rt_server	 tcp;
	struct http_stats	 st;
	int			 stopping;	/* graceful shutdown began */

	struct http__queue	 q[HTTP__Q_COUNT];
	ev_timer		 idle_timer;
	struct http_idle	*idle_free;
	struct http_idle	**byfd;		/* each connection's record, by fd */
	size_t			 nbyfd;
	size_t			 nidle;		/* parked now */

	size_t			 in_cap;	/* input buffer bytes */
	struct http__buf	*in_free, *out_free;

	/* Access log: lines gather here, written when full and each second. */
	char			*alog;
	size_t			 alog_len;
	ev_timer		 alog_timer;
	uint64_t		 alog_dropped;	/* bytes lost to write errors */

	/* Repeated errors, said once per period (rt_ratelimit). */
	struct rt_ratelimit	 alog_errlim, stats_errlim, accept_errlim,
				 busy_errlim;
};

/* conn.c: the connection task's body, for fresh and resumed connections. */
int	http__conn_serve(struct http_server *s, struct rt_conn *c);

/* server.c: park a connection (takes its fd); 0 or -ENOMEM. */
int	http__idle_park(struct http_server *s, int fd,
	    const struct sockaddr_storage *peer, socklen_t peerlen, int queue);
/* Forgets fd's parking record: call before closing a connection's fd. */
void	http__idle_release(struct http_server *s, int fd);
/* The connection's task has started: it reads what is there now. */
void	http__idle_serving(struct http_server *s, int fd);
void	*http__buf_get(struct http_server *s, int out);
void	http__buf_put(struct http_server *s, void *b, int out);

/* response.c */
const char *http__date(void);		/* cached, refreshed once a second */
const char *http__reason(int status);
/* Appends a whole error response (status, text body, Connection: close
 * when close) to buf; returns the length or -ENOSPC. */
ssize_t	http__error_response(const struct http_server *s, char *buf,
	    size_t cap, int status, int close, unsigned allow, int head_only);

/* stats.c: the body of GET stats_path (JSON) or metrics_path. */
ssize_t	http__stats_body(const struct http_cluster_stats *cs, int metrics,
	    char *buf, size_t cap);

/* server.c: answers 503 and closes fd (no allocation, no wait); why is 0
 * at the connection cap, or the error that stopped us serving it. */
void	http__busy(struct http_server *s, int fd, int why);
/* server.c: conf->log(level, ...) at most once per rl's period; the repeats
 * held back are counted in the next line said. */
void	http__log_limited(struct http_server *s, struct rt_ratelimit *rl,
	    int level, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* access.c */
void	http__access_log(struct http_server *s,
	    const struct sockaddr_storage *peer, const char *reqline,
	    size_t reqlen, int status, size_t bytes, const char *referer,
	    size_t reflen, const char *agent, size_t agentlen);
void	http__access_flush(struct http_server *s);

#endif /* ASYNCD_HTTP_INT_H */
