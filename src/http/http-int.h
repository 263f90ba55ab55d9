/*
 * http-int.h - what the server's files share (server.c, conn.c,
 * request.c, response.c, app.c, access.c), and nothing else may include.
 *
 * Memory per connection, by state:
 *   active  a task (pooled stack) + a struct http_conn on that stack (with
 *           the request and response, HTTP_RESP_HEAD_MAX of fields) + one
 *           pooled input buffer (the head and body bytes) + one pooled
 *           output buffer (HTTP__OUT_CAP) + while a handler runs, one
 *           pooled arena (a copy of the head, and what accessors decode);
 *   idle    (between keep-alive requests) only a struct http_idle: no task,
 *           no stack, no buffer.  Its fd is watched by a callback; the next
 *           request's first bytes resume it in a new task.
 * So 10,000 idle keep-alive connections cost 10,000 small records, not
 * 10,000 stacks and buffers, and a GET costs no malloc: every buffer comes
 * from a pool.
 */
/*
 * Names in this layer (STYLE.md §2): http_noun_verb for what
 * <asyncd/http.h> and the layer's headers for the daemon (server.h,
 * parser.h, router.h, logfmt.h, proxy.h) export, http__noun_verb for every
 * other function, shared between files or static to one (http__conn_proxy,
 * http__idle_ready_cb), so that a backtrace, a perf report or a grep tells
 * the layer, and whether a function is API, at a glance.  Functions return
 * 0 or a negative errno.
 */
#ifndef ASYNCD_HTTP_INT_H
#define ASYNCD_HTTP_INT_H

#include <sys/socket.h>

#include <asyncd/http.h>

#include "logfmt.h"
#include "parser.h"
#include "proxy.h"
#include "router.h"
#include "server.h"

#define HTTP__OUT_CAP		(32 * 1024)	/* a batch of pipelined responses */
#define HTTP__ALOG_CAP		(64 * 1024)	/* access log buffer */
#define HTTP__ALOG_GRAB		4096	/* a request's logged client bytes */
#define HTTP__DATE_LEN		29		/* "Fri, 27 Nov 2026 05:40:00 GMT" */
#define HTTP__BODY_ROOM		4096		/* input room past a whole head */

/* ---- apps and routes (app.c) --------------------------------------------- */

/* A route of an app.  Owned by its app. */
struct http__route {
	struct http_app		*app;
	char			*method;	/* NULL: any */
	char			*full;		/* the app's prefix + pattern */
	http_handler_fn		 fn;
	void			*arg;
	struct http_route_opts	 opts;		/* as given */
	struct http_route_opts	 eff;		/* opts with the app's and the
						   server's defaults filled in,
						   by http_server_new */
	const char		*file;		/* where it was added */
	int			 line;
	char			 name[48];	/* "GET /hello/{name}": the task's
						   name while it runs */
	/* Its handler's errors are logged at most once a second, each
	 * route on its own: a route failing at full load cannot flood the
	 * log, nor hide another route's first error. */
	struct rt_ratelimit	 errlim;
};

struct http__mw {
	http_middleware_fn	 fn;
	void			*arg;
};

/* An app: owned by its creator (http_app_new). */
struct http_app {
	char			*name;
	char			*prefix;	/* "" for "/" */
	void			*data;
	struct http_route_opts	 defaults;
	struct http__route	**routes;
	size_t			 nroutes;
	struct http_router	 router;	/* its own: duplicates are found
						   as they are added */
	struct http__mw		*mw;
	size_t			 nmw;
	struct rt_task		**tasks;	/* http_app_spawn's, with refs */
	size_t			 ntasks;
	char			 err[512];
};

/* ---- a request and its response (request.c, response.c) --------------- */

struct http_conn;

/* The request a handler serves.  Lives in its struct http_conn. */
struct http_req {
	struct http_conn	*hc;
	struct http__route	*route;
	struct http_router_match m;
	size_t			 mw_next;	/* http_next: the next middleware */
	/* The head, copied into the arena when the handler starts: the input
	 * buffer moves while a body is read, this copy does not.  Parser
	 * slices minus head_base index it; method, path and query are
	 * NUL-terminated in place. */
	char			*head;
	uint32_t		 head_base;
	const char		*method, *path, *query;
	char			*target;	/* copied when asked */
	const char		*param[HTTP_PARAMS_MAX];	/* decoded */
	/* The query, parsed on first use. */
	int			 qstate;	/* 0 not yet, 1 parsed, < 0 error */
	size_t			 nq;
	const char		**qkey, **qval;
	/* The arena: a pooled block, bump-allocated, reset per request. */
	char			*arena;
	size_t			 arena_len;
	/* The body. */
	uint64_t		 body_max;
	uint64_t		 body_read;
	int			 body_state;	/* 0 more to come, 1 done, < 0 the
						   error that ended it */
	int			 continue_due;	/* 100 Continue not yet sent */
	uint32_t		 pend_off, pend_len;	/* parsed body bytes not
						   yet handed out */
	char			*body;		/* http_req_body's: in the arena
						   or malloc'd (body_arena) */
	size_t			 body_len;
	int			 body_whole;
	int			 body_arena;	/* body is in the arena */
	int			 fields_done;	/* header fields NUL-terminated */
};

/* Its response.  Lives in its struct http_conn. */
struct http_resp {
	struct http_conn	*hc;
	int			 status;
	char			 reason[64];	/* "" for the standard one */
	int			 started;
	int			 finished;
	int			 chunked;	/* the body goes in chunks */
	int			 until_close;	/* HTTP/1.0 without a length */
	int			 head_only;	/* HEAD: no body bytes at all */
	int64_t			 length;	/* declared, or -1 */
	uint64_t		 sent;		/* body bytes given to write */
	size_t			 hdr_len;
	char			 hdr[HTTP_RESP_HEAD_MAX];	/* "Name: v\r\n"... */
};

/* ---- a connection (conn.c) --------------------------------------------- */

/* Lives on the connection task's stack. */
struct http_conn {
	struct http_server	*s;
	int			 fd;
	/* The peer: the socket's, or the client's address a PROXY header
	 * gave (conn.c), from then on. */
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	/* The client of the request being served: &peer, or &xff when a
	 * trusted proxy's X-Forwarded-For said (conn_realip).  What the
	 * access log and http_req_peer show. */
	const struct sockaddr_storage *client;
	socklen_t		 clientlen;
	struct sockaddr_storage	 xff;
	struct http_parser	 p;
	struct http_header	*headers;
	char			*in;		/* s->in_cap bytes */
	size_t			 in_len;
	char			*out;		/* HTTP__OUT_CAP bytes */
	size_t			 out_len;
	size_t			 req_begin;	/* where the next request's bytes
						   begin: p.pos after init/next (the
						   parser's pos also moves line by line
						   inside a head) */
	unsigned		 served;	/* requests answered */
	int			 keep;		/* the last response kept the
						   connection (conn_keep) */
	int			 linger;	/* closing with request bytes
						   still unread: conn_linger */
	int			 broken;	/* a write failed: the client is
						   gone, close */
	double			 t0;		/* the request's first byte came
						   (wall clock, as of the loop) */
	uint64_t		 tx;		/* bytes sent on the socket */
	uint64_t		 tx0;		/* tx + out_len as the request
						   began: its response is the rest */
	struct http_req		 rq;
	struct http_resp	 rs;
};

/*
 * A parked keep-alive (or fresh) connection.  Owned by the server.  One
 * per idle connection, so every byte counts ten thousand times: the
 * server is the watcher's arg (a record never changes server), the
 * record is the watcher's address (io comes first), and queue and state
 * share what would be padding before peerlen.  224 bytes on x86-64, as
 * when io was libev's own io watcher.
 */
struct http_idle {
	struct rt_watch		 io;		/* prepared once per connection;
						   arg: the http_server */
	struct http_idle	*next, *prev;	/* its death queue, oldest first */
	double			 deadline;
	unsigned char		 queue;		/* HTTP__Q_FRESH or HTTP__Q_KEEPALIVE */
	unsigned char		 state;		/* HTTP__IDLE_* */
	socklen_t		 peerlen;
	struct sockaddr_storage	 peer;
};

/* Where a connection with a parking record is (conn.c). */
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

enum {
	HTTP__BUF_IN,
	HTTP__BUF_OUT,
	HTTP__BUF_ARENA,
	HTTP__BUF_KINDS
};

struct http_server {
	const struct http_server_conf *conf;
	/* "HTTP/1.1 200 OK\r\nServer: NAME\r\nDate: DATE\r\n", for the
	 * usual head in one copy; rebuilt when the second changes. */
	size_t			 name_len;	/* of conf->server_name */
	char			 head200[160];
	size_t			 head200_len;
	time_t			 head200_sec;
	struct rt_server	 tcp;
	uint32_t		 proxy_listeners;	/* bit i: listener i
						   requires a PROXY header */
	struct http_stats	 st;
	int			 stopping;	/* graceful shutdown began */
	int			 draining;	/* http_server_drain: every
						   response closes its
						   connection */
	struct http_router	 router;	/* every app's routes; entries'
						   data: struct http__route */
	struct http_limits	 limits;	/* conf's, with max_body the
						   largest of any route's (routes
						   check their own) */

	struct http__queue	 q[HTTP__Q_COUNT];
	struct rt_timer		 idle_timer;	/* the queues' heads' deadlines */
	double			 idle_armed;	/* the one it is armed for */
	struct http_idle	*idle_free;
	struct http_idle	**byfd;		/* each connection's record, by fd */
	size_t			 nbyfd;
	size_t			 nidle;		/* parked now */

	size_t			 in_cap;	/* input buffer bytes */
	size_t			 arena_cap;	/* arena bytes */
	struct http__buf	*free[HTTP__BUF_KINDS];

	/* Access log: lines gather here, written when full and each second. */
	char			*alog;
	size_t			 alog_len;
	struct rt_timer		 alog_timer;
	uint64_t		 alog_dropped;	/* bytes lost to write errors */
	int			 alog_failing;	/* the last write failed */
	struct http_logfmt	 alog_fmt;	/* conf's, or combined */
	uint64_t		 alog_id[2];	/* $request_id: a random prefix
						   and a count */

	/* Repeated errors, said once per period (rt_ratelimit). */
	struct rt_ratelimit	 accept_errlim, busy_errlim, proxy_errlim;
};

/* conn.c: a connection's life. */
/* The runtime's connection handler (rt_conn_fn; arg: the server): the task
 * of a fresh or a resumed connection. */
int	http__conn_accept(struct rt_conn *c, void *arg);
/* Hands the runtime the accept callbacks (a 503 at the cap, making room
 * when accept fails) into opts, and prepares the idle timer. */
void	http__conn_setup(struct http_server *s, struct rt_server_opts *opts);
/* Stops accepting, wakes or keeps the parked (serve_idle: keep them, a
 * reload), waits timeout for the connections to end, then closes and
 * cancels the rest; how many were cancelled.  Suspends. */
int	http__conn_shutdown(struct http_server *s, double timeout,
	    int serve_idle);
/* Sends n bytes of p whole within the send timeout (the output buffer
 * first); 0 or -errno.  Suspends. */
int	http__conn_send(struct http_conn *hc, const void *p, size_t n);
/* Queues n bytes for the client, flushing first when they do not fit;
 * 0 or -errno.  Suspends. */
int	http__conn_write(struct http_conn *hc, const void *p, size_t n);
/* Writes the output buffer whole.  0 or -errno.  Suspends. */
int	http__conn_flush(struct http_conn *hc);
/* Reads once more into the input buffer (see conn.c).  Suspends. */
ssize_t	http__conn_read(struct http_conn *hc, double timeout);
/* Drops n consumed bytes in front of the input buffer. */
void	http__conn_compact(struct http_conn *hc, size_t n);
/* Whether the response now being written keeps the connection. */
int	http__conn_keep(struct http_conn *hc);

/* request.c */
/* Sets up rq for the route m matched: copies the head into an arena. */
int	http__req_begin(struct http_conn *hc, struct http__route *route);
/* After the handler: drops what the request holds (arena, body). */
void	http__req_end(struct http_conn *hc);
/* Reads and drops what is left of the body, at most limit bytes more:
 * 0, or an error status (400, 413, 431) or -errno. */
int	http__req_discard(struct http_conn *hc, uint64_t limit);
/* The effective options of a route (route's, else app's, else server's). */
void	http__route_opts(const struct http_server *s,
	    const struct http__route *r, struct http_route_opts *out);

/* response.c */
const char *http__date(void);		/* cached, refreshed once a second */
void	http__resp_init(struct http_conn *hc, int head_only);
/* Ends the response after the handler returned ret: 0, or -1 if the
 * connection must close (a body left incomplete). */
int	http__resp_end(struct http_conn *hc, int ret);
/* Appends a whole error response (status, text body, Connection: close
 * when close, Allow when allow is not NULL) to buf; returns the length or
 * -ENOSPC. */
ssize_t	http__error_response(const struct http_server *s, char *buf,
	    size_t cap, int status, int close, const char *allow,
	    int head_only);
/* The length of that page's body ("404 Not Found\n"). */
size_t	http__error_body_len(int status);

/* server.c */
void	*http__buf_get(struct http_server *s, int kind);
void	http__buf_put(struct http_server *s, void *b, int kind);
/* realloc, retried once after the runtime released what it keeps. */
void	*http__server_realloc(void *p, size_t size);
/* conf->log(level, ...) at most once per rl's period; the repeats held
 * back are counted in the next line said. */
void	http__log_limited(struct http_server *s, struct rt_ratelimit *rl,
	    int level, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* metrics.c: the counters (struct http_stats).  None waits. */
/* One response: its request's method (enum http_method; HTTP_M_OTHER when
 * none was parsed) and status. */
void	http__stats_request(struct http_server *s, int method_id, int status);
/* One request's time, from its whole head to its response. */
void	http__stats_duration(struct http_server *s, double seconds);
/* A request the parser refused with status (400, 413, 414, 417, 431, 501,
 * 505). */
void	http__stats_parse_error(struct http_server *s, int status);

/* access.c */

/*
 * What the access log keeps of a request until its line is written (on the
 * connection task's stack): the client's bytes it shows are copied as the
 * head is parsed, since reading the body may move the head, and a handler
 * may run long after.  The copies share buf: each field is cut to what is
 * left of it, and marked cut.
 */
struct http__alog_req {
	int			 on;		/* the log is on */
	struct http_logfmt_rec	 r;
	size_t			 used;
	char			 buf[HTTP__ALOG_GRAB];
};

/* Whether the access log is on (a file is open). */
int	http__access_on(const struct http_server *s);
/* Gathers what the log shows of hc's request: its request line and the
 * format's headers when parsed is set (a complete head), else the first
 * line of what was received, as far as it goes. */
void	http__access_begin(struct http_conn *hc, struct http__alog_req *a,
	    int parsed);
/* Writes the request's line: status, and body the body's bytes (the
 * whole response's are hc's bytes queued since the request began). */
void	http__access_end(struct http_conn *hc, struct http__alog_req *a,
	    int status, uint64_t body);
/* A line for a connection answered 503 without a task (conn.c's
 * http__busy). */
void	http__access_busy(struct http_server *s, int fd, size_t bytes,
	    size_t body);
void	http__access_flush(struct http_server *s);

#endif /* ASYNCD_HTTP_INT_H */
