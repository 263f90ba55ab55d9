/*
 * server.c - the HTTP server object: its making (routes, limits, the
 * access log's format), its listeners, start, drain, shutdown, stats and
 * the pooled buffers its connections borrow.
 *
 * A connection's whole life, from the runtime's accept to its close
 * (serving, parking, resuming, draining), is conn.c's: the server hands
 * the runtime conn.c's callbacks (http__conn_setup, http__conn_accept) and
 * leaves the connections of a shutdown to http__conn_shutdown.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "http-int.h"

/* ---- the error log -------------------------------------------------------- */

void
http__log_limited(struct http_server *s, struct rt_ratelimit *rl, int level,
    const char *fmt, ...)
{
	unsigned long held;
	char msg[512];
	va_list ap;

	if (s->conf->log == NULL || !rt_ratelimit(rl, &held))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);	/* cut: still one line */
	va_end(ap);
	if (held > 0)
		s->conf->log(level, "%s (and %lu more like it in the last "
		    "%g s)", msg, held, rl->period > 0 ? rl->period :
		    RT_RATELIMIT_PERIOD);
	else
		s->conf->log(level, "%s", msg);
}

/* ---- buffers ------------------------------------------------------------- */

/* realloc, and once more after the runtime gave back what it keeps for
 * speed: under an address-space limit, pooled stacks are what ran out. */
void *
http__server_realloc(void *p, size_t size)
{
	void *np;

	if ((np = realloc(p, size)) == NULL) {
		rt_loop_release_memory();
		np = realloc(p, size);
	}
	return np;
}

/* Bytes of a pooled buffer of kind. */
static size_t
http__buf_size(const struct http_server *s, int kind)
{
	switch (kind) {
	case HTTP__BUF_IN:
		/* An input block carries the parser's header array before
		 * the bytes. */
		return s->in_cap +
		    s->limits.max_headers * sizeof(struct http_header);
	case HTTP__BUF_OUT:
		return HTTP__OUT_CAP;
	default:
		return s->arena_cap;
	}
}

void *
http__buf_get(struct http_server *s, int kind)
{
	struct http__buf *b;

	if ((b = s->free[kind]) != NULL) {
		s->free[kind] = b->next;
		return b;
	}
	return http__server_realloc(NULL, http__buf_size(s, kind));
}

void
http__buf_put(struct http_server *s, void *p, int kind)
{
	struct http__buf *b = p;

	if (b == NULL)
		return;
	b->next = s->free[kind];
	s->free[kind] = b;
}

/* ---- the server ---------------------------------------------------------- */

static void
http__alog_timer_cb(struct rt_timer *w)
{
	struct http_server *s = w->arg;

	if (s->alog_len > 0)
		http__access_flush(s);
}

/*
 * Puts every app's routes, under their prefixes, into the server's router;
 * notes the largest body any route takes (the parser's limit: each route
 * checks its own).  0, or -1 with the reason in err.
 */
static int
http__server_routes(struct http_server *s, char *err, size_t errlen)
{
	const struct http_server_conf *conf = s->conf;
	struct http__route *r;
	size_t a, i;
	char why[512];

	http_router_init(&s->router);
	for (a = 0; a < conf->napps; a++) {
		for (i = 0; i < conf->apps[a]->nroutes; i++) {
			r = conf->apps[a]->routes[i];
			if (http_router_add(&s->router, r->method, r->full,
			    (void *)(uintptr_t)r, r->file, r->line, why,
			    sizeof(why)) != 0) {
				(void)snprintf(err, errlen, "app %s: %s",
				    conf->apps[a]->name, why);
				return -1;
			}
			http__route_opts(s, r, &r->eff);
			if (r->eff.body_max > s->limits.max_body)
				s->limits.max_body = r->eff.body_max;
		}
	}
	return 0;
}

struct http_server *
http_server_new(const struct http_server_conf *conf, char *err,
    size_t errlen)
{
	struct rt_server_opts opts;
	struct http_server *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->alog = malloc(HTTP__ALOG_CAP)) == NULL) {
		free(s);
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = conf;
	s->limits = conf->limits;
	s->name_len = strlen(conf->server_name);
	s->head200_sec = -2;	/* no head cached yet */
	if (conf->access_fmt != NULL)
		s->alog_fmt = *conf->access_fmt;
	else if (http_logfmt_compile(&s->alog_fmt, HTTP_LOGFMT_COMBINED,
	    HTTP_LOGFMT_ESC_DEFAULT, err, errlen) != 0) {
		free(s->alog);
		free(s);
		return NULL;
	}
	/* $request_id: unique across workers and restarts without any
	 * coordination, as nginx's (random), but one getrandom per process,
	 * not per request: a random prefix and a count. */
	if (getrandom(s->alog_id, sizeof(s->alog_id[0]), 0) !=
	    (ssize_t)sizeof(s->alog_id[0]))
		s->alog_id[0] = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	if (http__server_routes(s, err, errlen) != 0) {
		http_router_free(&s->router);
		free(s->alog);
		free(s);
		return NULL;
	}
	/* A broken proxy, or a client that found the port: once a second. */
	s->proxy_errlim.period = 1.0;
	memset(&opts, 0, sizeof(opts));
	opts.max_conns = conf->max_conns;
	http__conn_setup(s, &opts);
	rt_server_init(&s->tcp, &opts);
	/* The input buffer holds one whole request head and a page more, so
	 * that a body streams through in useful pieces while the head stays
	 * where it is. */
	s->in_cap = (conf->limits.max_head > 4096 ? conf->limits.max_head :
	    4096) + HTTP__BODY_ROOM;
	/* The arena holds a copy of the head and what accessors decode of
	 * it (each at most as long as the head). */
	s->arena_cap = 2 * (size_t)conf->limits.max_head + 8192;
	rt_timer_init(&s->alog_timer, http__alog_timer_cb, s);
	return s;
}

int
http_server_adopt(struct http_server *s, int fd, unsigned flags)
{
	int err;

	if ((err = rt_server_adopt(&s->tcp, fd)) != 0)
		return err;
	/* The runtime tells each connection its listener's index. */
	if (flags & HTTP_LISTEN_PROXY)
		s->proxy_listeners |= 1u << (s->tcp.nfds - 1);
	return 0;
}

void
http_server_drain(struct http_server *s)
{
	s->draining = 1;
}

int
http_server_stopping(const struct http_server *s)
{
	return s->stopping || s->draining;
}

int
http_server_start(struct http_server *s)
{
	if (s->conf->access_fd != NULL && s->conf->access_flush > 0)
		rt_timer_start(&s->alog_timer, s->conf->access_flush,
		    s->conf->access_flush);
	return rt_server_start(&s->tcp, http__conn_accept, s);
}

int
http_server_shutdown(struct http_server *s, double timeout, int serve_idle)
{
	int cancelled;

	s->stopping = 1;
	cancelled = http__conn_shutdown(s, timeout, serve_idle);
	rt_timer_stop(&s->alog_timer);
	http__access_flush(s);
	return cancelled;
}

void
http_server_stats(const struct http_server *s, struct http_stats *st)
{
	*st = s->st;
	st->accepted = s->tcp.accepted;
	/* Held (parked) connections count in the runtime's figure too. */
	st->open = rt_server_connections(&s->tcp);
	st->active = st->open - s->nidle;
}

void
http_server_flush_access(struct http_server *s)
{
	if (s != NULL && s->alog_len > 0)
		http__access_flush(s);
}
