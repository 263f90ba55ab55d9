/*
 * stats.c - the stats (JSON) and metrics (Prometheus text format) bodies.
 *
 * Both show the daemon's workers together and one by one.  The numbers
 * come from the master: the worker serving the request asks it
 * (worker.c), and it answers with every worker's counters as of its last
 * heartbeat.  These pages are for monitoring, not the hot path:
 * the body is formatted into a buffer allocated for the request.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"

struct out {
	char	*buf;
	size_t	 cap, len;
	int	 full;
};

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

static void
json_counters(struct out *o, const struct stats_worker *w)
{
	put(o, "\"connections\": %llu, \"active\": %llu, \"requests\": %llu, "
	    "\"errors\": %llu", (unsigned long long)w->open,
	    (unsigned long long)w->active, (unsigned long long)w->requests,
	    (unsigned long long)w->errors);
}

static void
metric(struct out *o, const struct stats_cluster *cs, const char *name,
    const char *type, const char *help, size_t off)
{
	size_t i;

	put(o, "# HELP asyncd_%s %s\n# TYPE asyncd_%s %s\n", name, help, name,
	    type);
	put(o, "asyncd_%s %llu\n", name, (unsigned long long)
	    *(const uint64_t *)(const void *)((const char *)&cs->total + off));
	for (i = 0; i < cs->n; i++)
		put(o, "asyncd_%s{worker=\"%u\",pid=\"%ld\"} %llu\n", name,
		    cs->w[i].slot, cs->w[i].pid, (unsigned long long)
		    *(const uint64_t *)(const void *)((const char *)&cs->w[i] +
		    off));
}

ssize_t
stats_body(const struct stats_cluster *cs, int metrics, char *buf,
    size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	size_t i;

	if (metrics) {
		metric(&o, cs, "connections", "gauge", "Open connections.",
		    offsetof(struct stats_worker, open));
		metric(&o, cs, "connections_active", "gauge",
		    "Connections inside a request.",
		    offsetof(struct stats_worker, active));
		metric(&o, cs, "requests_total", "counter",
		    "Requests answered.",
		    offsetof(struct stats_worker, requests));
		metric(&o, cs, "errors_total", "counter",
		    "Requests answered with a 4xx or 5xx status.",
		    offsetof(struct stats_worker, errors));
		put(&o, "# HELP asyncd_workers Worker processes.\n"
		    "# TYPE asyncd_workers gauge\nasyncd_workers %zu\n", cs->n);
	} else {
		put(&o, "{\"workers\": %zu, ", cs->n);
		json_counters(&o, &cs->total);
		put(&o, ", \"per_worker\": [");
		for (i = 0; i < cs->n; i++) {
			put(&o, "%s{\"worker\": %u, \"pid\": %ld, ",
			    i > 0 ? ", " : "", cs->w[i].slot, cs->w[i].pid);
			json_counters(&o, &cs->w[i]);
			put(&o, "}");
		}
		put(&o, "]}\n");
	}
	return o.full ? -ENOSPC : (ssize_t)o.len;
}
