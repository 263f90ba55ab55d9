/*
 * testapp.c - an app module for the integration tests: one route per
 * corner of the handler API (tests/integration/test-http.c drives them
 * over the wire), the app lifecycle (init, a background task, cleanup),
 * and a crash and an overflow on demand (test-daemon.c).  Built twice,
 * with TESTAPP_VERSION 1 and 2, so that a reload can be shown to run the
 * module file that replaced the old one.
 *
 * Settings: init_fail (bool): init fails; cleanup_file (string): cleanup
 * appends "cleanup\n" to it, after a wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <asyncd/asyncd.h>

#ifndef TESTAPP_VERSION
#define TESTAPP_VERSION	1
#endif

static struct {
	int		 init_fail;
	const char	*cleanup_file;
	unsigned long	 ticks;		/* the background task's */
	unsigned long	 requests;	/* the middleware's count */
	char		 last[64];	/* what the disconnect routes saw */
	struct rt_event	 release;	/* /flush waits, /release sets */
} st;

/* ---- middleware --------------------------------------------------------- */

static int
mw_request_id(struct http_req *rq, struct http_resp *rs, void *arg)
{
	char id[32];
	double t0 = rt_loop_time();
	int ret;

	(void)arg;
	if (http_req_header(rq, "X-Block") != NULL)
		return 403;		/* answered early */
	(void)snprintf(id, sizeof(id), "%lu", ++st.requests);
	(void)http_resp_header(rs, "X-Request-Id", id);
	(void)snprintf(id, sizeof(id), "app;dur=%.3f",
	    (rt_loop_time() - t0) * 1000);
	(void)http_resp_header(rs, "Server-Timing", id);
	ret = http_next(rq, rs);
	return ret;
}

/* ---- the request ------------------------------------------------------- */

static int
send_text(struct http_resp *rs, const char *text)
{
	(void)http_resp_header(rs, "Content-Type", "text/plain");
	return http_resp_send(rs, text, strlen(text));
}

static int
h_params(struct http_req *rq, struct http_resp *rs, void *arg)
{
	char out[8192];

	(void)arg;
	(void)snprintf(out, sizeof(out), "a=%s|b=%s|rest=%s|none=%s",
	    http_req_param(rq, "a"), http_req_param(rq, "b"),
	    http_req_param(rq, "rest"), http_req_param(rq, "none") == NULL ?
	    "NULL" : "?");
	return send_text(rs, out);
}

static int
h_query(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const char *k, *v, *x;
	char out[8192];
	size_t o = 0, i;
	int rc;

	(void)arg;
	for (i = 0; (rc = http_req_query_at(rq, i, &k, &v)) == 0 &&
	    o < sizeof(out) - 256; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "[%s]=[%s]\n",
		    k, v);
	x = http_req_query(rq, "x");
	(void)snprintf(out + o, sizeof(out) - o, "end=%d x=%s raw=%s\n", rc,
	    x != NULL ? x : "NULL", http_req_query_string(rq));
	return send_text(rs, out);
}

static int
h_head(struct http_req *rq, struct http_resp *rs, void *arg)
{
	char out[8192], fam[16];
	const char *m = http_req_header(rq, "X-Multi"), *n, *v;
	socklen_t len;
	const struct sockaddr *sa = http_req_peer(rq, &len);
	size_t i;

	(void)arg;
	(void)snprintf(fam, sizeof(fam), "%s", sa->sa_family == AF_INET ?
	    "inet" : sa->sa_family == AF_INET6 ? "inet6" : "?");
	for (i = 0; http_req_header_at(rq, i, &n, &v) == 0; i++)
		;
	(void)snprintf(out, sizeof(out), "method=%s target=%s path=%s "
	    "version=%d peer=%s multi=[%s] fields=%zu route=%s last=%s:%s\n",
	    http_req_method(rq), http_req_target(rq), http_req_path(rq),
	    http_req_version(rq), fam, m != NULL ? m : "NULL", i,
	    http_req_route(rq), i > 0 ? n : "", i > 0 ? v : "");
	return send_text(rs, out);
}

/* ---- the response ------------------------------------------------------- */

static int
h_status(struct http_req *rq, struct http_resp *rs, void *arg)
{
	int code = atoi(http_req_param(rq, "code"));

	(void)arg;
	if (http_resp_status(rs, code, "Custom Reason") != 0)
		return 400;
	(void)http_resp_header(rs, "X-One", "1");
	(void)http_resp_header(rs, "X-Two", "a");
	(void)http_resp_header(rs, "X-Two", "b");
	(void)http_resp_header_set(rs, "X-One", "replaced");
	return send_text(rs, "status");
}

static int
h_return(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)rs;
	(void)arg;
	return atoi(http_req_param(rq, "code"));
}

static int
h_error(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)rq;
	(void)rs;
	(void)arg;
	return -EIO;
}

static int
h_error_after(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)rq;
	(void)arg;
	if (http_resp_start(rs, -1) != 0 || http_resp_write(rs, "part", 4) != 0)
		return -EPIPE;
	return -EIO;
}

static int
h_inject(struct http_req *rq, struct http_resp *rs, void *arg)
{
	char out[256];

	(void)rq;
	(void)arg;
	(void)snprintf(out, sizeof(out), "crlf=%d lf=%d del=%d late-cr=%d "
	    "nul-name=%d space-name=%d reserved=%d ok=%d long-tab=%d "
	    "status=%d reason=%d",
	    http_resp_header(rs, "X-Bad", "a\r\nSet-Cookie: evil=1"),
	    http_resp_header(rs, "X-Bad", "a\nb"),
	    http_resp_header(rs, "X-Bad", "abcdefghij\x7fk"),
	    http_resp_header(rs, "X-Bad", "abcdefghijklmnopqrstuvw\r"),
	    http_resp_header(rs, "", "x"),
	    http_resp_header(rs, "X Bad", "x"),
	    http_resp_header(rs, "Content-Length", "5"),
	    http_resp_header(rs, "X-Good", "tab\tok"),
	    http_resp_header(rs, "X-Long", "abcdefgh\tijklmnop\xc3\xa9"),
	    http_resp_status(rs, 99, NULL),
	    http_resp_status(rs, 200, "bad\r\nreason"));
	return send_text(rs, out);
}

static int
h_chunked(struct http_req *rq, struct http_resp *rs, void *arg)
{
	int err;

	(void)rq;
	(void)arg;
	(void)http_resp_header(rs, "Content-Type", "text/plain");
	if ((err = http_resp_write(rs, "one,", 4)) != 0 ||
	    (err = http_resp_write(rs, "two,", 4)) != 0 ||
	    (err = rt_sleep(0.01)) != 0 ||
	    (err = http_resp_write(rs, "three", 5)) != 0)
		return err;
	return 0;		/* the server ends the chunks */
}

static int
h_short(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)rq;
	(void)arg;
	if (http_resp_start(rs, 10) != 0)
		return -EIO;
	return http_resp_write(rs, "12345", 5);	/* 5 of 10: closed */
}

/* Sends "first" and waits for GET /release: only a flush gets "first" to
 * the client meanwhile. */
static int
h_flush(struct http_req *rq, struct http_resp *rs, void *arg)
{
	int err;

	(void)rq;
	(void)arg;
	rt_event_clear(&st.release);
	(void)http_resp_header(rs, "Content-Type", "text/plain");
	if ((err = http_resp_write(rs, "first,", 6)) != 0 ||
	    (err = http_resp_flush(rs)) != 0 ||
	    (err = rt_event_wait(&st.release, 10.0)) != 0)
		return err;
	return http_resp_write(rs, "second", 6);
}

static int
h_release(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)rq;
	(void)arg;
	rt_event_set(&st.release);
	return send_text(rs, "released");
}

static int
h_any(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)arg;
	return send_text(rs, http_req_method(rq));
}

static int
h_big(struct http_req *rq, struct http_resp *rs, void *arg)
{
	static char big[200 * 1024];
	size_t i;

	(void)rq;
	(void)arg;
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	return http_resp_send(rs, big, sizeof(big));
}

/* ---- waits, timeouts, stacks -------------------------------------------- */

static int
h_sleep(struct http_req *rq, struct http_resp *rs, void *arg)
{
	int err;

	(void)rq;
	(void)arg;
	if ((err = rt_sleep(1.0)) != 0)
		return err;
	return send_text(rs, "slept");
}

/* Sleeps, then records how it ended; a shielded variant too. */
static int
h_disconnect(struct http_req *rq, struct http_resp *rs, void *arg)
{
	int shielded = arg != NULL, err;

	(void)rq;
	if (shielded)
		rt_shield_enter();
	err = rt_sleep(0.3);
	if (shielded)
		rt_shield_exit();
	(void)snprintf(st.last, sizeof(st.last), "%s %s", shielded ?
	    "shielded" : "plain", err == 0 ? "completed" : rt_strerror(err));
	if (err != 0)
		return err;
	return send_text(rs, "done");
}

static int
h_last(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)rq;
	(void)arg;
	return send_text(rs, st.last);
}

/* 512 KiB on the stack: needs the route's stack_size. */
static int
h_bigstack(struct http_req *rq, struct http_resp *rs, void *arg)
{
	volatile char frame[512 * 1024];
	char out[64];
	size_t i;

	(void)rq;
	(void)arg;
	for (i = 0; i < sizeof(frame); i += 4096)
		frame[i] = (char)i;
	(void)snprintf(out, sizeof(out), "deep %d", frame[4096]);
	return send_text(rs, out);
}

/* A write through a null pointer, as a buggy handler would; ?how=raise
 * sends itself SIGSEGV instead, which is no fault but kills as surely.
 * UBSan's null check is off here: the test wants the real fault, not
 * the sanitizer's report of it. */
static int *volatile	nowhere;

__attribute__((no_sanitize("null")))
static int
h_crash(struct http_req *rq, struct http_resp *rs, void *arg)
{
	const char *how = http_req_query(rq, "how");

	(void)rs;
	(void)arg;
	if (how != NULL && strcmp(how, "raise") == 0)
		(void)raise(SIGSEGV);
	else
		*nowhere = 1;
	return 0;
}

/* Recurses until the stack's guard page stops it (the bound is never
 * reached: it only keeps the compiler from calling this an endless loop). */
static volatile int	overflow_bound = 1 << 30;

static int
overflow(int depth)
{
	volatile char frame[4096];

	frame[0] = (char)depth;
	if (depth >= overflow_bound)
		return 0;
	return overflow(depth + 1) + frame[0];
}

static int
h_overflow(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)rq;
	(void)rs;
	(void)arg;
	return overflow(0);
}

/* ---- state and lifecycle ------------------------------------------------ */

static int
h_state(struct http_req *rq, struct http_resp *rs, void *arg)
{
	char out[128];

	(void)arg;
	(void)snprintf(out, sizeof(out), "version=%d data=%s ticks=%s",
	    TESTAPP_VERSION, (const char *)http_req_app_data(rq),
	    st.ticks > 0 ? "some" : "none");
	return send_text(rs, out);
}

static int
ticker(void *arg)
{
	(void)arg;
	for (;;) {
		if (rt_sleep(0.01) != 0)
			return 0;	/* cancelled: the app stops */
		st.ticks++;
	}
}

static int
testapp_init(struct http_app *app)
{
	if (st.init_fail)
		return -EIO;
	rt_event_init(&st.release);
	http_app_set_data(app, "initialised");
	return http_app_spawn(app, "ticker", ticker, NULL);
}

static void
testapp_cleanup(struct http_app *app)
{
	int fd;

	(void)app;
	if (st.cleanup_file == NULL)
		return;
	(void)rt_sleep(0.05);		/* cleanups may wait */
	if ((fd = open(st.cleanup_file, O_WRONLY | O_APPEND | O_CREAT, 0644))
	    >= 0) {
		(void)!write(fd, "cleanup\n", 8);
		(void)close(fd);
	}
}

static int
testapp_configure(struct http_app *app, const struct asyncd_settings *s)
{
	static const struct http_route_opts cancel = {
		.cancel_on_disconnect = 1 };
	static const struct http_route_opts deadline = { .timeout = 0.2 };
	static const struct http_route_opts stack = {
		.stack_size = 1024 * 1024 };
	static const struct {
		const char *method, *pattern;
		http_handler_fn fn;
		void *arg;
		const struct http_route_opts *opts;
	} routes[] = {
		{ "GET", "/params/{a}/{b}/{rest...}", h_params, NULL, NULL },
		{ "GET", "/query", h_query, NULL, NULL },
		{ "GET", "/head", h_head, NULL, NULL },
		{ "GET", "/status/{code}", h_status, NULL, NULL },
		{ "GET", "/return/{code}", h_return, NULL, NULL },
		{ "GET", "/error", h_error, NULL, NULL },
		{ "GET", "/error-after", h_error_after, NULL, NULL },
		{ "GET", "/inject", h_inject, NULL, NULL },
		{ "GET", "/chunked", h_chunked, NULL, NULL },
		{ "GET", "/flush", h_flush, NULL, NULL },
		{ "GET", "/release", h_release, NULL, NULL },
		{ "GET", "/short", h_short, NULL, NULL },
		{ "GET", "/big", h_big, NULL, NULL },
		{ "*", "/any", h_any, NULL, NULL },
		{ "PROPFIND", "/any", h_any, NULL, NULL },
		{ "GET", "/sleep", h_sleep, NULL, NULL },
		{ "GET", "/timeout", h_sleep, NULL, &deadline },
		{ "GET", "/disconnect", h_disconnect, NULL, NULL },
		{ "GET", "/disconnect-cancel", h_disconnect, NULL, &cancel },
		{ "GET", "/disconnect-shield", h_disconnect, (void *)1,
		  &cancel },
		{ "GET", "/last", h_last, NULL, NULL },
		{ "GET", "/bigstack", h_bigstack, NULL, &stack },
		{ "GET", "/crash", h_crash, NULL, NULL },
		{ "GET", "/overflow", h_overflow, NULL, NULL },
		{ "GET", "/state", h_state, NULL, NULL },
	};
	size_t i;

	if (asyncd_settings_bool(s, "init_fail", 0, &st.init_fail) != 0 ||
	    asyncd_settings_string(s, "cleanup_file", NULL,
	    &st.cleanup_file) != 0)
		return -1;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (http_app_route(app, routes[i].method, routes[i].pattern,
		    routes[i].fn, routes[i].arg, routes[i].opts) != 0)
			return -1;
	return http_app_use(app, mw_request_id, NULL);
}

ASYNCD_MODULE = {
	.abi = ASYNCD_ABI_VERSION,
	.size = sizeof(struct asyncd_module),
	.name = "testapp",
	.configure = testapp_configure,
	.init = testapp_init,
	.cleanup = testapp_cleanup,
};
