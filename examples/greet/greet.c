/*
 * greet.c - a complete asyncd app, built outside asyncd's tree against the
 * installed library (see README.md, "Writing an app", and the Makefile
 * here).  GET /greet/{name} answers "hello, NAME" after awaiting a
 * simulated non-blocking I/O of `delay` seconds (a setting).
 */
#include <stdio.h>

#include <asyncd/asyncd.h>

static double	delay;		/* the same for every mount: one setting */

static int
greet(struct http_req *rq, struct http_resp *rs, void *arg)
{
	char body[256];
	int n, err;

	(void)arg;
	if ((err = rt_sleep(delay)) != 0)	/* await asyncio.sleep(delay) */
		return err;			/* cancelled: a fast stop */
	n = snprintf(body, sizeof(body), "hello, %s\n",
	    http_req_param(rq, "name"));
	if (n < 0 || (size_t)n >= sizeof(body))
		return 414;			/* a name too long for us */
	(void)http_resp_header(rs, "Content-Type", "text/plain");
	return http_resp_send(rs, body, (size_t)n);
}

static int
configure(struct http_app *app, const struct asyncd_settings *s)
{
	if (asyncd_settings_number(s, "delay", 0.1, 0, 10, &delay) != 0)
		return -1;
	return http_app_route(app, "GET", "/greet/{name}", greet, NULL, NULL);
}

ASYNCD_MODULE = {
	.abi = ASYNCD_ABI_VERSION,
	.size = sizeof(struct asyncd_module),
	.name = "greet",
	.configure = configure,
};
