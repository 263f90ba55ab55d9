/*
 * stats.c - the stats (JSON) and metrics (Prometheus text format) bodies.
 *
 * The numbers come from the master: the worker serving the page asks it
 * (worker.c), and it answers with its own counters and, for each worker
 * number, the counters of every process that had it (those that exited
 * included: the master keeps them) and the gauges of those alive.  So a
 * counter never goes back, across reloads and respawns, and one series
 * per worker number (label worker="N", never a pid: a pid changes at each
 * respawn and would start a new series) is what Prometheus expects.  A
 * family has either the per-worker series or one unlabelled series, never
 * both: a total beside its parts would be counted twice by sum().
 *
 * The metrics page follows Prometheus' naming rules (promtool check
 * metrics lints it in tests/integration/metrics.sh): base units (seconds,
 * bytes), counters ending in _total, HELP and TYPE for every family.
 * These pages are for monitoring, not the hot path: the body is formatted
 * into a buffer allocated for the request (stats_body_max).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

/* Bytes a page may take: the master's part, then per worker number at
 * most 40 request series, the histogram and 20 more series, 80 bytes a
 * line (5.6 KiB), rounded up. */
#define STATS_FIXED_MAX		(8 * 1024)
#define STATS_WORKER_MAX	(8 * 1024)

static const char *const restart_names[CHAN_RESTART_COUNT] = {
	[CHAN_RESTART_EXIT] = "exit",
	[CHAN_RESTART_SIGNAL] = "signal",
	[CHAN_RESTART_HEARTBEAT] = "heartbeat",
	[CHAN_RESTART_STARTUP] = "startup"
};

void
page_put(struct page_out *o, const char *fmt, ...)
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

size_t
stats_body_max(const struct stats_cluster *cs)
{
	return STATS_FIXED_MAX + cs->n * STATS_WORKER_MAX;
}

static unsigned long long
stats_ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* ---- JSON ------------------------------------------------------------------ */

static void
stats_json_counters(struct page_out *o, const struct http_stats *c)
{
	page_put(o, "\"connections\": %llu, \"active\": %llu, \"requests\": %llu, "
	    "\"errors\": %llu, \"accepted\": %llu, \"rejected\": %llu, "
	    "\"bytes_received\": %llu, \"bytes_sent\": %llu", stats_ull(c->open),
	    stats_ull(c->active), stats_ull(http_stats_requests(c)),
	    stats_ull(http_stats_errors(c)), stats_ull(c->accepted),
	    stats_ull(c->rejected),
	    stats_ull(c->bytes_received), stats_ull(c->bytes_sent));
}

static void
stats_json_body(struct page_out *o, const struct stats_cluster *cs)
{
	const struct chan_master_stats *m = &cs->m;
	struct http_stats total;
	uint64_t restarts = 0;
	size_t i;
	int k;

	memset(&total, 0, sizeof(total));
	for (i = 0; i < cs->n; i++) {
		http_stats_add(&total, &cs->w[i].c);
		total.open += cs->w[i].c.open;
		total.active += cs->w[i].c.active;
	}
	for (k = 0; k < CHAN_RESTART_COUNT; k++)
		restarts += m->restarts[k];
	page_put(o, "{\"workers\": %u, \"generation\": %u, \"reloads\": %llu, "
	    "\"reloads_failed\": %llu, \"restarts\": %llu, "
	    "\"config_loaded\": %.3f, ", m->workers, m->generation,
	    stats_ull(m->reloads), stats_ull(m->reloads_failed), stats_ull(restarts),
	    m->config_loaded);
	stats_json_counters(o, &total);
	page_put(o, ", \"per_worker\": [");
	for (i = 0; i < cs->n; i++) {
		page_put(o, "%s{\"worker\": %u, \"pid\": %ld, \"processes\": %u, ",
		    i > 0 ? ", " : "", cs->w[i].slot, cs->w[i].pid,
		    cs->w[i].procs);
		stats_json_counters(o, &cs->w[i].c);
		page_put(o, "}");
	}
	page_put(o, "]}\n");
}

/* ---- Prometheus text ------------------------------------------------------- */

static void
stats_family(struct page_out *o, const char *name, const char *type,
    const char *help)
{
	page_put(o, "# HELP asyncd_%s %s\n# TYPE asyncd_%s %s\n", name, help, name,
	    type);
}

/* One series per worker number of the uint64_t at off in struct
 * http_stats. */
static void
stats_per_worker(struct page_out *o, const struct stats_cluster *cs,
    const char *name, const char *type, const char *help, size_t off)
{
	size_t i;

	stats_family(o, name, type, help);
	for (i = 0; i < cs->n; i++)
		page_put(o, "asyncd_%s{worker=\"%u\"} %llu\n", name, cs->w[i].slot,
		    stats_ull(*(const uint64_t *)(const void *)((const char *)
		    &cs->w[i].c + off)));
}

static void
stats_metrics_master(struct page_out *o, const struct stats_cluster *cs)
{
	const struct chan_master_stats *m = &cs->m;
	size_t i;
	int k;

	stats_family(o, "build_info", "gauge", "The asyncd version serving, as a "
	    "label; always 1.");
	page_put(o, "asyncd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	stats_family(o, "config_load_timestamp_seconds", "gauge", "When the "
	    "configuration in force was loaded, in seconds since the epoch.");
	page_put(o, "asyncd_config_load_timestamp_seconds %.3f\n",
	    m->config_loaded);
	stats_family(o, "reloads_total", "counter", "Reloads (SIGHUP), by result: "
	    "ok when the new workers took over, failed when the previous "
	    "configuration kept serving.");
	page_put(o, "asyncd_reloads_total{result=\"ok\"} %llu\n"
	    "asyncd_reloads_total{result=\"failed\"} %llu\n", stats_ull(m->reloads),
	    stats_ull(m->reloads_failed));
	stats_family(o, "worker_restarts_total", "counter", "Workers the master "
	    "replaced after they died unasked, by cause.");
	for (k = 0; k < CHAN_RESTART_COUNT; k++)
		page_put(o, "asyncd_worker_restarts_total{cause=\"%s\"} %llu\n",
		    restart_names[k], stats_ull(m->restarts[k]));
	stats_family(o, "generation", "gauge", "The generation of workers serving: "
	    "1 at the start, one more for each reload tried.");
	page_put(o, "asyncd_generation %u\n", m->generation);
	stats_family(o, "workers", "gauge", "Worker processes alive.");
	page_put(o, "asyncd_workers %u\n", m->workers);
	stats_family(o, "worker_processes", "gauge", "Processes alive with the "
	    "worker number: 2 while a reload drains the old one, 0 while a "
	    "respawn waits.");
	for (i = 0; i < cs->n; i++)
		page_put(o, "asyncd_worker_processes{worker=\"%u\"} %u\n",
		    cs->w[i].slot, cs->w[i].procs);
}

static void
stats_metrics_requests(struct page_out *o, const struct stats_cluster *cs)
{
	const struct http_stats *c;
	uint64_t cum;
	size_t i;
	int mth, k;

	stats_family(o, "http_requests_total", "counter", "Responses, by method "
	    "(OTHER: any other, or none parsed) and status class; only the "
	    "pairs seen.");
	for (i = 0; i < cs->n; i++)
		for (mth = 0; mth < HTTP_SM_COUNT; mth++)
			for (k = 0; k < HTTP_STATS_CLASSES; k++)
				if (cs->w[i].c.requests[mth][k] != 0)
					page_put(o, "asyncd_http_requests_total{"
					    "worker=\"%u\",method=\"%s\","
					    "code=\"%dxx\"} %llu\n",
					    cs->w[i].slot,
					    http_stats_method_names[mth], k + 1,
					    stats_ull(cs->w[i].c.requests[mth][k]));
	stats_family(o, "http_request_duration_seconds", "histogram", "Time from a "
	    "request's whole head to its response written or queued.");
	for (i = 0; i < cs->n; i++) {
		c = &cs->w[i].c;
		cum = 0;
		for (k = 0; k < HTTP_STATS_BUCKETS; k++) {
			cum += c->duration[k];
			if (k < HTTP_STATS_BOUNDS)
				page_put(o, "asyncd_http_request_duration_seconds_"
				    "bucket{worker=\"%u\",le=\"%g\"} %llu\n",
				    cs->w[i].slot, http_stats_bounds[k],
				    stats_ull(cum));
			else
				page_put(o, "asyncd_http_request_duration_seconds_"
				    "bucket{worker=\"%u\",le=\"+Inf\"} %llu\n",
				    cs->w[i].slot, stats_ull(cum));
		}
		page_put(o, "asyncd_http_request_duration_seconds_sum{worker="
		    "\"%u\"} %llu.%06llu\n", cs->w[i].slot,
		    stats_ull(c->duration_us / 1000000),
		    stats_ull(c->duration_us % 1000000));
		page_put(o, "asyncd_http_request_duration_seconds_count{worker="
		    "\"%u\"} %llu\n", cs->w[i].slot, stats_ull(cum));
	}
}

static void
stats_metrics_kinds(struct page_out *o, const struct stats_cluster *cs,
    const char *name, const char *help, const char *const *kinds, int n,
    size_t off)
{
	const uint64_t *v;
	size_t i;
	int k;

	stats_family(o, name, "counter", help);
	for (i = 0; i < cs->n; i++) {
		v = (const uint64_t *)(const void *)((const char *)&cs->w[i].c +
		    off);
		for (k = 0; k < n; k++)
			page_put(o, "asyncd_%s{worker=\"%u\",kind=\"%s\"} %llu\n",
			    name, cs->w[i].slot, kinds[k], stats_ull(v[k]));
	}
}

static void
stats_metrics_body(struct page_out *o, const struct stats_cluster *cs)
{
	stats_metrics_master(o, cs);
	stats_metrics_requests(o, cs);
	stats_per_worker(o, cs, "http_received_bytes_total", "counter",
	    "Bytes read from clients.",
	    offsetof(struct http_stats, bytes_received));
	stats_per_worker(o, cs, "http_sent_bytes_total", "counter",
	    "Bytes written to clients.",
	    offsetof(struct http_stats, bytes_sent));
	stats_per_worker(o, cs, "http_connections_accepted_total", "counter",
	    "Connections accepted.", offsetof(struct http_stats, accepted));
	stats_per_worker(o, cs, "http_connections_rejected_total", "counter",
	    "Connections answered 503 and closed unserved: at "
	    "max_connections, or short of memory or descriptors.",
	    offsetof(struct http_stats, rejected));
	stats_per_worker(o, cs, "http_connections_open", "gauge",
	    "Connections open, idle keep-alive ones included.",
	    offsetof(struct http_stats, open));
	stats_per_worker(o, cs, "http_connections_active", "gauge",
	    "Connections inside a request.",
	    offsetof(struct http_stats, active));
	stats_per_worker(o, cs, "http_keepalive_requests_total", "counter",
	    "Requests on a connection that had served one before.",
	    offsetof(struct http_stats, reused));
	stats_metrics_kinds(o, cs, "http_parse_errors_total", "Requests refused "
	    "for their framing or size, by kind (the status sent; proxy: "
	    "no valid PROXY protocol header, closed unanswered).",
	    http_stats_perr_names, HTTP_PERR_COUNT,
	    offsetof(struct http_stats, parse_errors));
	stats_metrics_kinds(o, cs, "http_timeouts_total", "Timeouts, by kind: "
	    "the timeouts.* setting that ran out, or handler for a route's "
	    "own.", http_stats_timeout_names, HTTP_TMO_COUNT,
	    offsetof(struct http_stats, timeouts));
}

ssize_t
stats_body(const struct stats_cluster *cs, int metrics, char *buf,
    size_t cap)
{
	struct page_out o = { .buf = buf, .cap = cap };

	if (metrics)
		stats_metrics_body(&o, cs);
	else
		stats_json_body(&o, cs);
	return o.full ? -ENOSPC : (ssize_t)o.len;
}
