/*
 * app.c - apps: a name, a mount prefix, routes, middlewares, the app's data
 * and the tasks that live with it.
 *
 * An app checks its own routes as they are added (its own router, with
 * the caller's file and line, so a duplicate is reported where it was
 * written); the server then puts every app's routes, under their
 * prefixes, into one router (server.c), where routes of two apps that
 * match the same paths are refused too.  Nothing here runs per request.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http-int.h"

static int __attribute__((format(printf, 3, 4)))
http__app_fail(struct http_app *app, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(app->err, sizeof(app->err), fmt, ap);
	va_end(ap);
	return rc;
}

struct http_app *
http_app_new(const char *name, const char *prefix)
{
	struct http_app *app;
	size_t n;

	if (prefix == NULL || prefix[0] != '/')
		return NULL;
	n = strlen(prefix);
	if (n > 1 && prefix[n - 1] == '/')
		return NULL;
	if (n >= HTTP_PATTERN_MAX / 2)
		return NULL;
	if ((app = calloc(1, sizeof(*app))) == NULL)
		return NULL;
	app->name = strdup(name != NULL ? name : "app");
	/* "/" mounts at the root: patterns are used as they are. */
	app->prefix = strdup(n == 1 ? "" : prefix);
	if (app->name == NULL || app->prefix == NULL) {
		http_app_free(app);
		return NULL;
	}
	http_router_init(&app->router);
	return app;
}

void
http_app_free(struct http_app *app)
{
	size_t i;

	if (app == NULL)
		return;
	for (i = 0; i < app->nroutes; i++) {
		free(app->routes[i]->method);
		free(app->routes[i]->full);
		free(app->routes[i]);
	}
	free(app->routes);
	http_router_free(&app->router);
	free(app->mw);
	for (i = 0; i < app->ntasks; i++)
		rt_task_release(app->tasks[i]);
	free(app->tasks);
	free(app->name);
	free(app->prefix);
	free(app);
}

const char *
http_app_name(const struct http_app *app)
{
	return app->name;
}

const char *
http_app_prefix(const struct http_app *app)
{
	return app->prefix[0] != '\0' ? app->prefix : "/";
}

void
http_app_set_data(struct http_app *app, void *data)
{
	app->data = data;
}

void *
http_app_data(const struct http_app *app)
{
	return app->data;
}

void
http_app_defaults(struct http_app *app, const struct http_route_opts *opts)
{
	app->defaults = *opts;
}

const char *
http_app_error(const struct http_app *app)
{
	return app->err;
}

int
http_app_route_at(struct http_app *app, const char *method,
    const char *pattern, http_handler_fn fn, void *arg,
    const struct http_route_opts *opts, const char *file, int line)
{
	struct http__route *r, **nr;
	size_t plen, flen;
	int rc;

	app->err[0] = '\0';
	if (fn == NULL)
		return http__app_fail(app, -EINVAL, "%s:%d: route %s: no handler",
		    file != NULL ? file : "?", line, pattern != NULL ?
		    pattern : "");
	if (pattern == NULL || pattern[0] != '/')
		return http__app_fail(app, -EINVAL, "%s:%d: pattern \"%.64s\" must "
		    "start with '/'", file != NULL ? file : "?", line,
		    pattern != NULL ? pattern : "");
	if (opts != NULL && (!(opts->timeout >= 0) ||
	    (opts->stack_size != 0 && opts->stack_size < 16384)))
		return http__app_fail(app, -EINVAL, "%s:%d: route %s: bad options "
		    "(a negative timeout, or a stack under 16 KiB)",
		    file != NULL ? file : "?", line, pattern);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return http__app_fail(app, -ENOMEM, "out of memory");
	plen = strlen(pattern);
	flen = strlen(app->prefix);
	/* "/" under a prefix is the prefix itself. */
	if (flen > 0 && plen == 1)
		plen = 0;
	if ((r->full = malloc(flen + plen + 1)) == NULL) {
		free(r);
		return http__app_fail(app, -ENOMEM, "out of memory");
	}
	memcpy(r->full, app->prefix, flen);
	memcpy(r->full + flen, pattern, plen);
	r->full[flen + plen] = '\0';
	if (method != NULL && strcmp(method, "*") != 0 &&
	    (r->method = strdup(method)) == NULL) {
		free(r->full);
		free(r);
		return http__app_fail(app, -ENOMEM, "out of memory");
	}
	r->app = app;
	r->fn = fn;
	r->arg = arg;
	if (opts != NULL)
		r->opts = *opts;
	r->file = file;
	r->line = line;
	r->errlim.period = 1.0;
	(void)snprintf(r->name, sizeof(r->name), "%s %s", r->method != NULL ?
	    r->method : "*", r->full);

	rc = http_router_add(&app->router, r->method, r->full, r, file, line,
	    app->err, sizeof(app->err));
	if (rc == 0 && (nr = realloc(app->routes, (app->nroutes + 1) *
	    sizeof(*nr))) == NULL)
		rc = http__app_fail(app, -ENOMEM, "out of memory");
	if (rc != 0) {
		char why[sizeof(app->err)];

		/* Say where the refused route was written, too. */
		if (rc != -ENOMEM && file != NULL && line > 0) {
			int n;

			memcpy(why, app->err, sizeof(why));
			n = snprintf(app->err, sizeof(app->err), "%s:%d: ", file,
			    line);
			if (n > 0 && (size_t)n < sizeof(app->err))
				(void)snprintf(app->err + n, sizeof(app->err) -
				    (size_t)n, "%.*s", (int)(sizeof(app->err) -
				    (size_t)n - 1), why);
		}
		free(r->method);
		free(r->full);
		free(r);
		return rc;
	}
	app->routes = nr;
	app->routes[app->nroutes++] = r;
	return 0;
}

int
http_app_use(struct http_app *app, http_middleware_fn fn, void *arg)
{
	struct http__mw *nm;

	if (fn == NULL)
		return http__app_fail(app, -EINVAL, "no middleware function");
	if ((nm = realloc(app->mw, (app->nmw + 1) * sizeof(*nm))) == NULL)
		return http__app_fail(app, -ENOMEM, "out of memory");
	app->mw = nm;
	app->mw[app->nmw].fn = fn;
	app->mw[app->nmw].arg = arg;
	app->nmw++;
	return 0;
}

int
http_app_spawn(struct http_app *app, const char *name, rt_task_fn fn,
    void *arg)
{
	struct rt_task **nt, *t;
	size_t i, live = 0;
	int err;

	/* Forget the tasks that ended: a long-lived app that spawns often
	 * must not grow this list forever. */
	for (i = 0; i < app->ntasks; i++) {
		if (rt_task_done(app->tasks[i]))
			rt_task_release(app->tasks[i]);
		else
			app->tasks[live++] = app->tasks[i];
	}
	app->ntasks = live;
	if ((nt = realloc(app->tasks, (app->ntasks + 1) * sizeof(*nt))) ==
	    NULL)
		return -ENOMEM;
	app->tasks = nt;
	if ((err = rt_task_spawn(&t, name, fn, arg)) != 0)
		return err;
	app->tasks[app->ntasks++] = t;
	return 0;
}

void
http_app_stop_tasks(struct http_app *app)
{
	size_t i;

	for (i = 0; i < app->ntasks; i++)
		(void)rt_task_cancel(app->tasks[i]);
	for (i = 0; i < app->ntasks; i++) {
		/* A task that ignores cancellation is waited for: its
		 * owner's deadline (the worker's shutdown) bounds this. */
		(void)rt_task_join(app->tasks[i], NULL, RT_FOREVER);
		rt_task_release(app->tasks[i]);
	}
	app->ntasks = 0;
}

int
http_apps_check(struct http_app *const *apps, size_t n, char *err,
    size_t errlen)
{
	struct http_router all;
	const struct http__route *r;
	char why[512];
	size_t a, i;
	int rc = 0;

	http_router_init(&all);
	for (a = 0; a < n && rc == 0; a++)
		for (i = 0; i < apps[a]->nroutes && rc == 0; i++) {
			r = apps[a]->routes[i];
			if (http_router_add(&all, r->method, r->full, NULL,
			    r->file, r->line, why, sizeof(why)) != 0) {
				(void)snprintf(err, errlen, "app %s: %s",
				    apps[a]->name, why);
				rc = -1;
			}
		}
	http_router_free(&all);
	return rc;
}
