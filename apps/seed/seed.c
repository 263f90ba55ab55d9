/*
 * seed.c - the seed's aiohttp app as an asyncd app module: GET / answers
 * "<h1>Index</h1>" and GET /hello/{name} "<h1>hello, NAME!</h1>", each
 * after awaiting a simulated non-blocking I/O (asyncio.sleep(0.5) in the
 * seed).  Built like any user's app: only the public headers, loaded by
 * the daemon from asyncd.conf.
 *
 *	apps = ( { module = "seed"; mount = "/";
 *	           settings = { routes = (
 *	               { path = "/"; handler = "index"; delay = 0.5; },
 *	               { path = "/hello/{name}"; handler = "hello"; delay = 0.5; }
 *	           ); }; } );
 *
 * Without routes, those two.  The name is HTML-escaped (& < > " ' become
 * entities), so "/hello/<script>" cannot open a tag.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <asyncd/asyncd.h>

#define SEED_ROUTES_MAX		128
#define SEED_DELAY_MAX		3600.0
#define SEED_HTML		"text/html; charset=utf-8"
#define SEED_INDEX		"<h1>Index</h1>"
#define SEED_HELLO_PRE		"<h1>hello, "
#define SEED_HELLO_POST		"!</h1>"
/* The longest name a path segment holds (the router's limit), escaped. */
#define SEED_BODY_MAX		(4096 * 6 + 64)

struct seed_route {
	double		 delay;
	char		 param[64];	/* hello: its parameter's name */
};

/* Configured once per process (a worker loads the module once). */
static struct seed_route	seed_routes[SEED_ROUTES_MAX];

static int
seed_index(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const struct seed_route *r = arg;
	int err;

	(void)rq;
	if (r->delay > 0 && (err = rt_sleep(r->delay)) != 0)
		return err;
	(void)http_resp_header(rs, "Content-Type", SEED_HTML);
	return http_resp_send(rs, SEED_INDEX, sizeof(SEED_INDEX) - 1);
}

static int
seed_hello(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const struct seed_route *r = arg;
	char body[SEED_BODY_MAX];
	const char *name;
	size_t pre = sizeof(SEED_HELLO_PRE) - 1, post =
	    sizeof(SEED_HELLO_POST) - 1;
	ssize_t n;
	int err;

	if (r->delay > 0 && (err = rt_sleep(r->delay)) != 0)
		return err;
	if ((name = http_req_param(rq, r->param)) == NULL)
		return 500;
	memcpy(body, SEED_HELLO_PRE, pre);
	n = http_html_escape(body + pre, sizeof(body) - pre - post, name,
	    strlen(name));
	if (n < 0)
		return 414;
	memcpy(body + pre + (size_t)n, SEED_HELLO_POST, post);
	(void)http_resp_header(rs, "Content-Type", SEED_HTML);
	return http_resp_send(rs, body, pre + (size_t)n + post);
}

/* The name of the one {param} of pattern into r->param; 0 or -1. */
static int
seed_param(const char *pattern, struct seed_route *r)
{
	const char *open = strchr(pattern, '{'), *close;

	if (open == NULL || (close = strchr(open, '}')) == NULL ||
	    strchr(close, '{') != NULL || (size_t)(close - open - 1) >=
	    sizeof(r->param) || close == open + 1)
		return -1;
	memcpy(r->param, open + 1, (size_t)(close - open - 1));
	r->param[close - open - 1] = '\0';
	return 0;
}

static int
seed_add(struct http_app *app, const struct asyncd_settings *s, int i,
    const char *path, const char *handler, double delay)
{
	struct seed_route *r = &seed_routes[i];
	http_handler_fn fn;

	memset(r, 0, sizeof(*r));
	r->delay = delay;
	if (strcmp(handler, "index") == 0)
		fn = seed_index;
	else if (strcmp(handler, "hello") == 0) {
		fn = seed_hello;
		if (seed_param(path, r) != 0)
			return asyncd_settings_fail(s, "path", "handler hello "
			    "needs one {param} in its path, not \"%s\"", path);
	} else
		return asyncd_settings_fail(s, "handler", "unknown handler "
		    "\"%s\" (want index or hello)", handler);
	if (http_app_route(app, "GET", path, fn, r, NULL) != 0)
		return asyncd_settings_fail(s, "path", "%s",
		    http_app_error(app));
	return 0;
}

static int
seed_configure(struct http_app *app, const struct asyncd_settings *s)
{
	const struct asyncd_settings *e;
	const char *path, *handler;
	double delay;
	int i, n;

	if ((n = asyncd_settings_count(s, "routes")) < 0)
		return -1;
	if (n == 0)
		return seed_add(app, s, 0, "/", "index", 0.5) != 0 ||
		    seed_add(app, s, 1, "/hello/{name}", "hello", 0.5) != 0 ?
		    -1 : 0;
	if (n > SEED_ROUTES_MAX)
		return asyncd_settings_fail(s, "routes", "more than %d routes",
		    SEED_ROUTES_MAX);
	for (i = 0; i < n; i++) {
		e = asyncd_settings_elem(s, "routes", i);
		if (e == NULL)
			return asyncd_settings_fail(s, "routes", "out of "
			    "memory");
		if (asyncd_settings_string(e, "path", NULL, &path) != 0 ||
		    asyncd_settings_string(e, "handler", NULL, &handler) !=
		    0 || asyncd_settings_number(e, "delay", 0.0, 0.0,
		    SEED_DELAY_MAX, &delay) != 0)
			return -1;
		if (path == NULL)
			return asyncd_settings_fail(e, NULL, "missing path");
		if (handler == NULL)
			return asyncd_settings_fail(e, NULL, "missing handler");
		if (seed_add(app, e, i, path, handler, delay) != 0)
			return -1;
	}
	return 0;
}

ASYNCD_MODULE = {
	.abi = ASYNCD_ABI_VERSION,
	.size = sizeof(struct asyncd_module),
	.name = "seed",
	.version = ASYNCD_VERSION_STRING,
	.configure = seed_configure,
};
