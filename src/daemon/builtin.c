/*
 * builtin.c - the daemon's own app, "asyncd", mounted at "/" in every
 * worker after the configured apps: the health check and the counters,
 * written against the same handler API as any app (no special case in
 * the connection code).
 *
 *   GET healthz   "ok" (200), or "draining" (503) once the worker stops or
 *                 drains, so a load balancer takes it out of rotation
 *   GET stats     every worker's counters, JSON
 *   GET metrics   the same, Prometheus text
 *   GET tasks     every worker's live tasks (tasks.c), JSON or text: only
 *                 on a stats listener at a private address
 *
 * With a stats listener (stats.listen) the worker runs a second server on
 * it whose only app is a second instance of this one, with all three
 * pages; the public listeners' instance then has only healthz, which load
 * balancers probe on the public port.
 *
 * The counters come from the master, which has every worker's as of its
 * last heartbeat: the worker asks over its channel (worker.c), and the
 * page waits for the answer.  These pages are for monitoring, not the hot
 * path: their bodies are formatted into memory allocated per request,
 * sized for the number of workers (stats_body_max).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "tasks.h"

#define BUILTIN_STATS_WAIT	1.0		/* seconds for the master */

static struct builtin_hooks	 builtin;
static struct rt_ratelimit	 builtin_errlim = RT_RATELIMIT_INIT(0);

static int
builtin_healthz(struct http_req *rq, struct http_resp *rs, void *arg)
{
	int draining = builtin.draining != NULL && builtin.draining();

	(void)rq;
	(void)arg;
	(void)http_resp_header(rs, "Content-Type", "text/plain; charset=utf-8");
	(void)http_resp_header(rs, "Cache-Control", "no-store");
	if (draining) {
		(void)http_resp_status(rs, 503, NULL);
		return http_resp_send(rs, "draining", 8);
	}
	return http_resp_send(rs, "ok", 2);
}

/* GET of the stats page (arg NULL) or the metrics page (arg non-NULL). */
static int
builtin_stats(struct http_req *rq, struct http_resp *rs, void *arg)
{
	struct stats_cluster *cs;
	unsigned long held;
	ssize_t blen = -ENOMEM;
	char *body = NULL;
	size_t cap;
	int err;

	(void)rq;
	if (builtin.stats == NULL)
		return 503;
	if ((cs = malloc(sizeof(*cs))) != NULL) {
		/* Earlier responses leave before we wait for the master. */
		err = builtin.stats(cs, BUILTIN_STATS_WAIT);
		if (err != 0)
			blen = err;
		else if ((body = malloc(cap = stats_body_max(cs))) != NULL)
			blen = stats_body(cs, arg != NULL, body, cap);
	}
	free(cs);
	if (blen < 0) {
		free(body);
		if (rt_ratelimit(&builtin_errlim, &held))
			log_warn("stats unavailable: %s%s", rt_strerror(
			    (int)blen), held > 0 ? " (and more like it)" : "");
		return 503;
	}
	(void)http_resp_header(rs, "Content-Type", arg != NULL ?
	    "text/plain; version=0.0.4; charset=utf-8" : "application/json");
	(void)http_resp_header(rs, "Cache-Control", "no-store");
	err = http_resp_send(rs, body, (size_t)blen);
	free(body);
	return err;
}

/*
 * GET of the task list: every worker's live tasks (tasks.c), JSON, or
 * text with ?format=text.  Only on a private stats listener: task names
 * are routes and what the apps chose, not for the world.
 */
static int
builtin_tasks_page(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const char *f = http_req_query(rq, "format");
	int format = f != NULL && strcmp(f, "text") == 0 ? TASKS_TEXT :
	    TASKS_JSON;
	char *body = NULL;
	size_t len = 0;
	int err;

	(void)arg;
	if (f != NULL && format == TASKS_JSON && strcmp(f, "json") != 0)
		return 400;
	if (builtin.tasks == NULL)
		return 503;
	if ((err = builtin.tasks(format, &body, &len,
	    BUILTIN_STATS_WAIT)) != 0) {
		log_warn("task list unavailable: %s", rt_strerror(err));
		return 503;
	}
	(void)http_resp_header(rs, "Content-Type", format == TASKS_JSON ?
	    "application/json" : "text/plain; charset=utf-8");
	(void)http_resp_header(rs, "Cache-Control", "no-store");
	err = http_resp_send(rs, body, len);
	free(body);
	return err;
}

struct http_app *
builtin_app_new(const struct asyncd_conf *conf,
    const struct builtin_hooks *hooks, int stats_only, char *err,
    size_t errlen)
{
	struct http_app *app;
	/* The public listeners' instance leaves the counters to the stats
	 * listener's, when there is one. */
	int rc = 0, pages = stats_only || !conf->has_stats_listen;

	if (hooks != NULL)
		builtin = *hooks;
	if ((app = http_app_new("asyncd", "/")) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (conf->healthz_path != NULL)
		rc = http_app_route_at(app, "GET", conf->healthz_path,
		    builtin_healthz, NULL, NULL, "stats.healthz", 0);
	if (rc == 0 && pages && conf->stats_path != NULL)
		rc = http_app_route_at(app, "GET", conf->stats_path, builtin_stats,
		    NULL, NULL, "stats.path", 0);
	if (rc == 0 && pages && conf->metrics_path != NULL)
		rc = http_app_route_at(app, "GET", conf->metrics_path, builtin_stats,
		    (void *)1, NULL, "stats.metrics", 0);
	if (rc == 0 && stats_only && conf->tasks_path != NULL &&
	    conf_listen_private(&conf->stats_listen))
		rc = http_app_route_at(app, "GET", conf->tasks_path,
		    builtin_tasks_page, NULL, NULL, "stats.tasks", 0);
	if (rc != 0) {
		(void)snprintf(err, errlen, "%s: stats: %s", conf->path,
		    http_app_error(app));
		http_app_free(app);
		return NULL;
	}
	return app;
}
