/*
 * gather.c - an example app module: the seed's ClientSession lesson inside
 * a server.  GET / fetches every configured upstream URL at once, one task
 * and one HTTP client each, and gathers them under a deadline (asyncio's
 * gather inside wait_for):
 *
 *	async def handler(request):
 *	    async with ClientSession() as session:
 *	        tasks = [fetch(session, url) for url in upstreams]
 *	        try:
 *	            results = await asyncio.wait_for(asyncio.gather(*tasks),
 *	                                             deadline)
 *	        except asyncio.TimeoutError:
 *	            raise web.HTTPGatewayTimeout()
 *	        return web.json_response(results)
 *
 * The answer is a JSON array, in the configured order, of each upstream's
 * status and body size; 502 if one could not be fetched (its error named
 * in the array), 504 once the deadline passed (the fetches still running
 * are cancelled, and their connections closed).
 *
 *	apps = ( { module = "gather"; mount = "/gather";
 *	           settings = { deadline = 1.0;
 *	               upstreams = ( { url = "http://127.0.0.1:8081/"; },
 *	                             { url = "http://127.0.0.1:8082/x"; } );
 *	           }; } );
 *
 * A request may shorten the deadline with ?deadline=SECONDS (never
 * lengthen it).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asyncd/asyncd.h>

#define GATHER_MAX	16		/* upstreams */
#define GATHER_BODY	(64 * 1024)	/* each response's body, at most */
#define GATHER_MOUNTS	8		/* apps of this module */

/*
 * An app's settings.  The module may be mounted more than once, with
 * settings of each its own, and a module's globals are shared by all its
 * apps: each app takes a slot here and finds it as its app data.  (Static,
 * not malloc'd in configure: nothing would free it in the processes that
 * only check the configuration.)
 */
struct gather_cfg {
	const char	*url[GATHER_MAX];
	int		 n;
	double		 deadline;
};

static struct gather_cfg	cfgs[GATHER_MOUNTS];
static int			ncfgs;

/* One fetch: its own client and response (about 10 KiB). */
struct job {
	const char			*url;
	struct http_client		 client;
	struct http_client_response	 resp;
	char				 body[GATHER_BODY];
};

static int
fetch(void *arg)
{
	struct job *j = arg;
	int err;

	http_client_response_init(&j->resp, j->body, sizeof(j->body));
	err = http_client_get(&j->client, j->url, &j->resp);
	http_client_close(&j->client);	/* cancelled too: closes at once */
	return err;
}

/* Appends to out (cap bytes) at *o, printf-style; *o stops at cap. */
static void	put(char *out, size_t cap, size_t *o, const char *fmt, ...)
		    ASYNCD_PRINTF(4, 5);

static void
put(char *out, size_t cap, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(out + *o, cap - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o = *o + (size_t)n < cap ? *o + (size_t)n : cap;
}

static int
gather(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const struct gather_cfg *cfg = http_req_app_data(rq);
	struct rt_task *tasks[GATHER_MAX];
	struct job *jobs;
	const char *q = http_req_query(rq, "deadline");
	double deadline = cfg->deadline, t;
	char out[4096];
	size_t o = 0;
	int i, n, err, status = 200;

	(void)arg;
	if (q != NULL) {
		t = strtod(q, NULL);
		if (!(t > 0) || t > 3600)
			return 400;
		if (t < deadline)
			deadline = t;
	}
	if ((jobs = calloc((size_t)cfg->n, sizeof(*jobs))) == NULL)
		return -ENOMEM;
	for (n = 0; n < cfg->n; n++) {
		jobs[n].url = cfg->url[n];
		if ((err = http_client_init(&jobs[n].client, NULL)) != 0 ||
		    (err = rt_task_spawn(&tasks[n], "gather fetch", fetch,
		    &jobs[n])) != 0)
			break;
	}
	/* On a timeout (or our own cancellation) gather cancels the fetches
	 * still running and waits for them: jobs can then be freed. */
	if (n == cfg->n)
		err = rt_gather(tasks, (size_t)n, deadline);
	else {
		for (i = 0; i < n; i++)
			(void)rt_task_cancel(tasks[i]);
		(void)rt_gather(tasks, (size_t)n, RT_FOREVER);
	}
	if (err == -ETIMEDOUT || err == -ECANCELED || n < cfg->n) {
		for (i = 0; i < n; i++)
			rt_task_release(tasks[i]);
		free(jobs);
		return err == -ETIMEDOUT ? 504 : err != 0 ? err : -ENOMEM;
	}
	put(out, sizeof(out), &o, "[");
	for (i = 0; i < n; i++) {
		err = rt_task_status(tasks[i]);
		rt_task_release(tasks[i]);
		put(out, sizeof(out), &o, "%s{\"url\": \"", i > 0 ? ",\n " : "");
		/* URLs come from the configuration: no quote to escape
		 * (gather_configure checks). */
		put(out, sizeof(out), &o, "%s\", ", jobs[i].url);
		if (err == 0) {
			put(out, sizeof(out), &o, "\"status\": %d, \"bytes\": %zu}",
			    jobs[i].resp.status, jobs[i].resp.body_len);
		} else {
			put(out, sizeof(out), &o, "\"error\": \"%s\"}",
			    rt_strerror(err));
			status = 502;
		}
	}
	put(out, sizeof(out), &o, "]\n");
	free(jobs);
	if (o >= sizeof(out))
		return 500;		/* cannot happen with GATHER_MAX */
	if ((err = http_resp_status(rs, status, NULL)) != 0 ||
	    (err = http_resp_header(rs, "Content-Type", "application/json")) !=
	    0)
		return err;
	return http_resp_send(rs, out, o);
}

static int
gather_configure(struct http_app *app, const struct asyncd_settings *s)
{
	const struct asyncd_settings *e;
	struct gather_cfg *cfg;
	struct http_client_url u;
	int i;

	if (ncfgs == GATHER_MOUNTS)
		return asyncd_settings_fail(s, NULL, "the gather module is "
		    "mounted more than %d times", GATHER_MOUNTS);
	cfg = &cfgs[ncfgs++];
	http_app_set_data(app, cfg);
	if (asyncd_settings_number(s, "deadline", 1.0, 0.001, 3600,
	    &cfg->deadline) != 0 ||
	    (cfg->n = asyncd_settings_count(s, "upstreams")) < 0)
		return -1;
	if (cfg->n == 0 || cfg->n > GATHER_MAX)
		return asyncd_settings_fail(s, "upstreams", "must list 1 to %d "
		    "groups like { url = \"http://host:port/path\"; }",
		    GATHER_MAX);
	for (i = 0; i < cfg->n; i++) {
		e = asyncd_settings_elem(s, "upstreams", i);
		if (asyncd_settings_string(e, "url", NULL, &cfg->url[i]) != 0)
			return -1;
		if (cfg->url[i] == NULL || strchr(cfg->url[i], '"') != NULL ||
		    strchr(cfg->url[i], '\\') != NULL ||
		    http_client_parse_url(cfg->url[i], &u) != 0)
			return asyncd_settings_fail(e, "url", "must be an "
			    "http:// URL");
	}
	return http_app_route(app, "GET", "/", gather, NULL, NULL);
}

ASYNCD_MODULE = {
	.abi = ASYNCD_ABI_VERSION,
	.size = sizeof(struct asyncd_module),
	.name = "gather",
	.version = ASYNCD_VERSION_STRING,
	.configure = gather_configure,
};
