/*
 * test-http-router.c - src/http/router.c and src/http/app.c.
 *
 * match_vectors[] is the router's contract, one row per rule:
 * { method, raw path, status, handler, decoded param, reason }, all matched
 * against one router built from routes[] (below).  Each path is given with
 * its exact length in a heap copy of just those bytes, so a read past the
 * end is an ASan/valgrind report, not a silent pass.  add_vectors[] lists
 * the patterns http_router_add() must refuse, each with a keyword its
 * message must contain.  The app's bodies are checked byte for byte,
 * escaping included, with -ENOSPC at every boundary.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

#define GET	HTTP_M_GET
#define HEAD	HTTP_M_HEAD
#define POST	HTTP_M_POST

#define IDX	HTTP_HANDLER_INDEX
#define HEL	HTTP_HANDLER_HELLO
#define HLZ	HTTP_HANDLER_HEALTHZ

#define HTML	"text/html; charset=utf-8"
#define TEXT	"text/plain; charset=utf-8"

/* The router every match vector runs against. */
static const struct {
	const char	*pattern, *handler;
} routes[] = {
	{ "/", "index" },
	{ "/hello/{name}", "hello" },
	{ "/healthz", "healthz" },
	{ "/hello/world", "healthz" },	/* a literal beside a {param} */
	{ "/{any}/x", "index" },	/* {param} first: loses to /hello/{name} */
	{ "/a/{mid}/c", "hello" },	/* {param} in the middle */
	{ "/caf\xC3\xA9", "index" },	/* a UTF-8 literal */
	{ "/a.b", "healthz" },
};

struct mvec {
	int		method;
	const char	*path;
	size_t		len;
	int		status;
	enum http_handler handler;	/* status 0 */
	const char	*param;		/* status 0: the decoded param */
	size_t		param_len;
	const char	*rule;
};

#define M(meth, p, st, h, prm, why) { .method = (meth), .path = (p), \
	.len = sizeof(p) - 1, .status = (st), .handler = (h), .param = (prm), \
	.param_len = sizeof(prm) - 1, .rule = (why) }
#define OK(meth, p, h, prm, why)	M(meth, p, 0, h, prm, why)
#define ERR(meth, p, st, why)		M(meth, p, st, IDX, "", why)

static const struct mvec match_vectors[] = {
	/* ---- failures first: 400 beats 404 beats 405 ---- */
	ERR(GET, "/hello/%G1", 400, "escape with a non-hex first digit"),
	ERR(GET, "/hello/%1G", 400, "escape with a non-hex second digit"),
	ERR(GET, "/hello/%4", 400, "escape cut short by the end"),
	ERR(GET, "/hello/%4/x", 400, "escape cut short by a '/'"),
	ERR(GET, "/hello/%", 400, "trailing '%'"),
	ERR(GET, "/hello/%%41", 400, "'%' followed by '%' is no escape"),
	ERR(GET, "/hello/%00", 400, "encoded NUL"),
	ERR(GET, "/hello/a%00b", 400, "encoded NUL inside a value"),
	ERR(GET, "/nope/%zz", 400, "a malformed escape is 400 even with no route"),
	ERR(POST, "/hello/%zz", 400, "a malformed escape is 400 before 405"),
	ERR(GET, "/%00", 400, "encoded NUL in a literal position"),
	ERR(GET, "hello/bob", 400, "a non-empty path must start with '/'"),
	ERR(GET, "/hello/bob/", 404, "trailing '/' is one more (empty) segment"),
	ERR(GET, "/hello", 404, "a {param} needs a segment"),
	ERR(GET, "/hello/", 404, "a {param} never matches an empty segment"),
	ERR(GET, "//hello/bob", 404, "an empty first segment matches nothing"),
	ERR(GET, "/hello//bob", 404, "empty segments are not collapsed"),
	ERR(GET, "//", 404, "\"//\" is not the root"),
	ERR(GET, "/healthz/", 404, "trailing '/' on a literal route"),
	ERR(GET, "/HEALTHZ", 404, "literals are case-sensitive"),
	ERR(GET, "/healthzz", 404, "a literal is matched whole, not as a prefix"),
	ERR(GET, "/health", 404, "a prefix of a literal does not match"),
	ERR(GET, "/nope", 404, "no route"),
	ERR(GET, "/hello/bob/extra", 404, "more segments than the pattern"),
	ERR(GET, "/hello%2Fbob", 404, "%2F does not split: one segment \"hello/bob\""),
	ERR(GET, "/%2F", 404, "an encoded '/' is not the root"),
	ERR(GET, "/a/b/d", 404, "a literal after the {param} differs"),
	ERR(GET, "/a%2Fb/c", 404, "%2F does not create the segment a {param} needs"),
	ERR(GET, "/caf%C3%A9%20", 404, "a decoded literal must match to its end"),
	ERR(POST, "/nope", 404, "404 beats 405"),
	ERR(POST, "/hello/bob", 405, "POST on a route"),
	ERR(HTTP_M_PUT, "/", 405, "PUT on the root"),
	ERR(HTTP_M_DELETE, "/healthz", 405, "DELETE on a literal route"),
	ERR(HTTP_M_OPTIONS, "/hello/x", 405, "OPTIONS on a route"),
	ERR(HTTP_M_PATCH, "/hello/world", 405, "PATCH on a route"),
	ERR(HTTP_M_OTHER, "/", 405, "an unknown method (\"get\", \"PROPFIND\")"),
	ERR(HTTP_M_TRACE, "/a/b/c", 405, "TRACE on a route"),

	/* ---- matches ---- */
	OK(GET, "/", IDX, "", "the root"),
	OK(HEAD, "/", IDX, "", "HEAD is allowed wherever GET is"),
	OK(GET, "", IDX, "", "an empty path (absolute-form \"http://h\") is \"/\""),
	OK(GET, "/hello/bob", HEL, "bob", "the {param} takes the segment"),
	OK(HEAD, "/hello/bob", HEL, "bob", "HEAD on a {param} route"),
	OK(GET, "/healthz", HLZ, "", "a literal route"),
	OK(GET, "/%68ello/joe", HEL, "joe", "literals compare with the decoded segment"),
	OK(GET, "/h%65%6c%6C%6F/joe", HEL, "joe", "hex digits in either case"),
	OK(GET, "/%68%65%61%6c%74%68%7a", HLZ, "", "a literal spelled wholly in escapes"),
	OK(GET, "/hello/%2F", HEL, "/", "a decoded %2F stays inside the value"),
	OK(GET, "/hello/a%2fb", HEL, "a/b", "lower-case %2f does not split either"),
	OK(GET, "/hello/%252F", HEL, "%2F", "decoded exactly once"),
	OK(GET, "/hello/%25", HEL, "%", "an encoded '%'"),
	OK(GET, "/hello/%3Cscript%3E", HEL, "<script>", "the value is raw text: escaping is the app's"),
	OK(GET, "/hello/%C3%A9", HEL, "\xC3\xA9", "bytes >= 0x80 pass through"),
	OK(GET, "/hello/%FF", HEL, "\xFF", "not checked as UTF-8"),
	OK(GET, "/hello/%0A", HEL, "\n", "only NUL among control bytes is refused"),
	OK(GET, "/hello/..", HEL, "..", "dot segments are text, not normalised"),
	OK(GET, "/hello/.", HEL, ".", "a single dot is text"),
	OK(GET, "/hello/%2E%2E", HEL, "..", "encoded dots are text"),
	OK(GET, "/hello/%2e%2e%2f", HEL, "../", "encoded \"../\" is one value"),
	OK(GET, "/hello/a%20b", HEL, "a b", "%20 is a space"),
	OK(GET, "/hello/a+b", HEL, "a+b", "'+' is not a space in a path"),
	OK(GET, "/hello/{name}", HEL, "{name}", "braces in a request are text"),
	OK(GET, "/hello/world", HLZ, "", "a literal beats a {param} in the same place"),
	OK(GET, "/hello/%77orld", HLZ, "", "... also when the literal arrives escaped"),
	OK(GET, "/hello/worlds", HEL, "worlds", "the {param} route still takes the rest"),
	OK(GET, "/hello/x", HEL, "x", "a later {param} beats an earlier one"),
	OK(GET, "/zzz/x", IDX, "zzz", "a {param} in the first segment"),
	OK(GET, "/%2F/x", IDX, "/", "an encoded '/' as a whole value"),
	OK(GET, "/a/b/c", HEL, "b", "a {param} in the middle"),
	OK(GET, "/a/%2F%2F/c", HEL, "//", "the middle value keeps its decoded '/'s"),
	OK(GET, "/caf%C3%A9", IDX, "", "a UTF-8 literal against its escapes"),
	OK(GET, "/caf%c3%a9", IDX, "", "... lower-case hex"),
	OK(GET, "/a.b", HLZ, "", "a '.' inside a literal"),
	OK(GET, "/a%2Eb", HLZ, "", "... and escaped"),
};

static struct http_router router;

static int
setup_router(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	http_router_init(&router);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		int rc = http_router_add(&router, routes[i].pattern,
		    routes[i].handler, 0.5, err, sizeof(err));
		if (rc != 0) {
			print_error("route %s: %s\n", routes[i].pattern, err);
			return -1;
		}
	}
	return 0;
}

/* Matches exactly len bytes, in a heap copy with nothing after them. */
static int
match_exact(int method, const char *path, size_t len, struct http_match *m)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, path, len);
	rc = http_router_match(&router, method, copy, len, m);
	free(copy);
	return rc;
}

static void
test_router_match_vectors(void **state)
{
	const size_t n = sizeof(match_vectors) / sizeof(match_vectors[0]);
	struct http_match m;
	size_t i, failed = 0;
	int rc;

	(void)state;
	assert_true(n >= 40);
	for (i = 0; i < n; i++) {
		const struct mvec *v = &match_vectors[i];

		memset(&m, 0xA5, sizeof(m));
		rc = match_exact(v->method, v->path, v->len, &m);
		if (rc != v->status) {
			print_error("row %zu \"%s\": status %d, want %d (%s)\n",
			    i, v->path, rc, v->status, v->rule);
			failed++;
			continue;
		}
		if (rc == 405 && m.allow != (1u << HTTP_M_GET |
		    1u << HTTP_M_HEAD)) {
			print_error("row %zu \"%s\": allow %#x (%s)\n", i,
			    v->path, m.allow, v->rule);
			failed++;
		}
		if (rc != 0 && (m.route != NULL || m.param_len != 0 ||
		    m.param[0] != '\0')) {
			print_error("row %zu \"%s\": match not cleared (%s)\n",
			    i, v->path, v->rule);
			failed++;
		}
		if (rc != 405 && m.allow != 0) {
			print_error("row %zu: allow set on %d\n", i, rc);
			failed++;
		}
		if (rc != 0)
			continue;
		if (m.route == NULL || m.route->handler != v->handler ||
		    m.param_len != v->param_len ||
		    memcmp(m.param, v->param, v->param_len + 1) != 0) {
			print_error("row %zu \"%s\": handler %s param \"%.*s\" "
			    "(%zu), want %s \"%s\" (%s)\n", i, v->path,
			    m.route ? http_handler_name(m.route->handler) :
			    "-", (int)m.param_len, m.param, m.param_len,
			    http_handler_name(v->handler), v->param, v->rule);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Only len bytes are read: what follows is not part of the path. */
static void
test_router_match_reads_only_len_bytes(void **state)
{
	struct http_match m;

	(void)state;
	assert_int_equal(http_router_match(&router, GET, "/healthz/x", 8, &m), 0);
	assert_int_equal(m.route->handler, HLZ);
	assert_int_equal(http_router_match(&router, GET, "/hello/bob%zz", 10,
	    &m), 0);
	assert_string_equal(m.param, "bob");
	/* An escape cut by len is malformed, whatever the bytes after. */
	assert_int_equal(http_router_match(&router, GET, "/hello/%41", 9, &m),
	    400);
}

static void
test_router_match_raw_nul_is_400(void **state)
{
	static const char p[] = "/hello/a\0b";
	struct http_match m;

	(void)state;
	assert_int_equal(match_exact(GET, p, sizeof(p) - 1, &m), 400);
}

/* The decoded-segment limit: HTTP_PARAM_MAX - 1 bytes fit, one more is 400,
 * whether the bytes come raw or escaped, on a route or not. */
static void
test_router_match_param_limit(void **state)
{
	const size_t max = HTTP_PARAM_MAX - 1;
	size_t pre = strlen("/hello/"), i;
	char *p = malloc(pre + 3 * (max + 1) + 1);
	struct http_match m;

	(void)state;
	assert_non_null(p);
	memcpy(p, "/hello/", pre);
	memset(p + pre, 'x', max + 1);
	assert_int_equal(match_exact(GET, p, pre + max, &m), 0);
	assert_int_equal(m.param_len, max);
	assert_int_equal(strlen(m.param), max);
	assert_int_equal(match_exact(GET, p, pre + max + 1, &m), 400);

	for (i = 0; i <= max; i++)
		memcpy(p + pre + 3 * i, "%41", 3);
	assert_int_equal(match_exact(GET, p, pre + 3 * max, &m), 0);
	assert_int_equal(m.param_len, max);
	assert_int_equal(m.param[0], 'A');
	assert_int_equal(m.param[max - 1], 'A');
	assert_int_equal(m.param[max], '\0');
	assert_int_equal(match_exact(GET, p, pre + 3 * (max + 1), &m), 400);

	/* Any segment, not only a parameter: /nope/<1024 bytes> is 400. */
	memcpy(p, "/nope/", 6);
	memset(p + 6, 'y', max + 1);
	assert_int_equal(match_exact(GET, p, 6 + max + 1, &m), 400);
	assert_int_equal(match_exact(GET, p, 6 + max, &m), 404);
	free(p);
}

/* More segments than any pattern can hold: 404, no overflow of the
 * segment table; a malformed escape after them is still 400. */
static void
test_router_match_many_segments(void **state)
{
	size_t n = 5000, i;
	char *p = malloc(2 * n + 4);
	struct http_match m;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < n; i++)
		memcpy(p + 2 * i, "/a", 2);
	assert_int_equal(match_exact(GET, p, 2 * n, &m), 404);
	memcpy(p + 2 * n, "/%", 2);
	assert_int_equal(match_exact(GET, p, 2 * n + 2, &m), 400);
	free(p);
}

/* The deepest pattern that fits, matched by its path. */
static void
test_router_match_deepest_pattern(void **state)
{
	struct http_router r;
	struct http_match m;
	char pat[HTTP_PATTERN_MAX], err[128];
	size_t i, n = (HTTP_PATTERN_MAX - 1) / 2;

	(void)state;
	for (i = 0; i < n; i++)
		memcpy(pat + 2 * i, "/a", 2);
	pat[2 * n] = '\0';
	http_router_init(&r);
	assert_int_equal(http_router_add(&r, pat, "healthz", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(http_router_match(&r, GET, pat, 2 * n, &m), 0);
	assert_int_equal(http_router_match(&r, GET, pat, 2 * n - 2, &m), 404);
	/* n - 2 literals and a {param}: 124 bytes. */
	memcpy(pat + 2 * n - 4, "/{p}", 5);
	assert_int_equal(http_router_add(&r, pat, "hello", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(http_router_match(&r, GET, "/a/a", 4, &m), 404);
}

/*
 * The winner does not depend on the order routes were added in: every
 * rotation of the routes gives the same answers.  With the literal route
 * "/q/x/y" it wins; without it, the {param} that comes latest does.
 */
static const char *const prec_pats[] = { "/{a}/x/y", "/q/{b}/y", "/q/x/{c}",
    "/q/x/y" };

static const char *
prec_match(size_t nroutes, size_t rot, const char *path, const char *param)
{
	static struct http_router r;
	struct http_match m;
	char err[128];
	size_t i;

	http_router_init(&r);
	for (i = 0; i < nroutes; i++)
		assert_int_equal(http_router_add(&r,
		    prec_pats[(rot + i) % nroutes], "index", 0, err,
		    sizeof(err)), 0);
	assert_int_equal(http_router_match(&r, GET, path, strlen(path), &m), 0);
	assert_string_equal(m.param, param);
	return m.route->pattern;
}

static void
test_router_precedence_ignores_order(void **state)
{
	size_t rot;

	(void)state;
	for (rot = 0; rot < 4; rot++) {
		assert_string_equal(prec_match(4, rot, "/q/x/y", ""), "/q/x/y");
		assert_string_equal(prec_match(4, rot, "/q/x/z", "z"),
		    "/q/x/{c}");
		assert_string_equal(prec_match(4, rot, "/q/w/y", "w"),
		    "/q/{b}/y");
		assert_string_equal(prec_match(4, rot, "/p/x/y", "p"),
		    "/{a}/x/y");
	}
	for (rot = 0; rot < 3; rot++) {
		assert_string_equal(prec_match(3, rot, "/q/x/y", "y"),
		    "/q/x/{c}");
		assert_string_equal(prec_match(3, rot, "/q/w/y", "w"),
		    "/q/{b}/y");
		assert_string_equal(prec_match(3, rot, "/q/x/z", "z"),
		    "/q/x/{c}");
	}
}

/* ---- http_router_add ---------------------------------------------------- */

struct avec {
	const char	*pattern, *handler;
	double		delay;
	const char	*keyword;	/* in the message */
	const char	*rule;
};

static const struct avec add_vectors[] = {
	{ NULL, "index", 0, "empty", "no pattern" },
	{ "", "index", 0, "empty", "empty pattern" },
	{ "hello", "index", 0, "start with '/'", "relative pattern" },
	{ "{x}", "index", 0, "start with '/'", "a bare {param}" },
	{ "//", "index", 0, "empty segment", "the root doubled" },
	{ "/a//b", "index", 0, "empty segment", "an empty segment inside" },
	{ "/a/", "index", 0, "trailing '/'", "a trailing '/'" },
	{ "/{a}/{b}", "index", 0, "more than one", "two {param}s" },
	{ "/hello/{a}/{b}", "hello", 0, "more than one", "two {param}s for hello" },
	{ "/{}", "index", 0, "empty parameter name", "\"{}\"" },
	{ "/{1a}", "index", 0, "parameter name", "a name starting with a digit" },
	{ "/{a-b}", "index", 0, "parameter name", "'-' in a name" },
	{ "/{a b}", "index", 0, "parameter name", "a space in a name" },
	{ "/{a{b}", "index", 0, "parameter name", "'{' in a name" },
	{ "/{a", "index", 0, "unclosed", "no closing brace" },
	{ "/{a/b}", "index", 0, "unclosed", "'/' inside braces" },
	{ "/{a}b", "index", 0, "whole segment", "text after a {param}" },
	{ "/a{b}", "index", 0, "whole segment", "text before a {param}" },
	{ "/a}", "index", 0, "whole segment", "a stray '}'" },
	{ "/a%20b", "index", 0, "percent", "escapes in a literal" },
	{ "/a b", "index", 0, "not allowed", "a space in a literal" },
	{ "/a?b", "index", 0, "not allowed", "a query in a pattern" },
	{ "/a#b", "index", 0, "not allowed", "a fragment in a pattern" },
	{ "/a\tb", "index", 0, "not allowed", "a control byte" },
	{ "/a\\b", "index", 0, "not allowed", "a backslash" },
	{ "/healthz", "nope", 0, "unknown handler", "an unknown handler" },
	{ "/healthz", NULL, 0, "unknown handler", "no handler" },
	{ "/healthz", "", 0, "unknown handler", "an empty handler" },
	{ "/healthz", "Index", 0, "unknown handler", "handler names are case-sensitive" },
	{ "/hello", "hello", 0, "needs one {param}", "hello without a {param}" },
	{ "/x", "index", -1, "delay", "a negative delay" },
	{ "/x", "index", -0.001, "delay", "a slightly negative delay" },
	{ "/x", "index", 3600.001, "delay", "a delay over an hour" },
	{ "/x", "index", NAN, "delay", "a NaN delay" },
	{ "/x", "index", INFINITY, "delay", "an infinite delay" },
	{ "/hello/{name}", "hello", 0, "duplicate", "the same pattern twice" },
	{ "/hello/{who}", "hello", 0, "duplicate", "the same shape, another name" },
	{ "/", "healthz", 0, "duplicate", "the root twice" },
	{ "/healthz", "index", 0, "duplicate", "a literal twice, another handler" },
};

static void
test_router_add_rejects(void **state)
{
	const size_t n = sizeof(add_vectors) / sizeof(add_vectors[0]);
	struct http_router r;
	char err[256];
	size_t i, failed = 0;
	int rc;

	(void)state;
	for (i = 0; i < n; i++) {
		const struct avec *v = &add_vectors[i];

		http_router_init(&r);
		assert_int_equal(http_router_add(&r, "/", "index", 0, err,
		    sizeof(err)), 0);
		assert_int_equal(http_router_add(&r, "/hello/{name}", "hello",
		    0, err, sizeof(err)), 0);
		assert_int_equal(http_router_add(&r, "/healthz", "healthz", 0,
		    err, sizeof(err)), 0);
		strcpy(err, "untouched");
		rc = http_router_add(&r, v->pattern, v->handler, v->delay, err,
		    sizeof(err));
		if (rc != -EINVAL || strstr(err, v->keyword) == NULL ||
		    r.n != 3) {
			print_error("row %zu (%s): rc %d \"%s\", want -EINVAL "
			    "and \"%s\"\n", i, v->rule, rc, err, v->keyword);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void
test_router_add_accepts(void **state)
{
	struct http_router r;
	char err[128], pat[HTTP_PATTERN_MAX + 1];

	(void)state;
	http_router_init(&r);
	assert_int_equal(http_router_add(&r, "/", "index", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.routes[0].pattern, "/");
	assert_int_equal(r.routes[0].handler, HTTP_HANDLER_INDEX);
	assert_true(r.routes[0].delay == 0.0);
	assert_int_equal(http_router_add(&r, "/{page}", "index", 3600, err,
	    sizeof(err)), 0);
	assert_true(r.routes[1].delay == 3600.0);
	assert_int_equal(http_router_add(&r, "/x/{_A9z}", "healthz", 0.5, err,
	    sizeof(err)), 0);
	assert_int_equal(r.routes[2].handler, HTTP_HANDLER_HEALTHZ);
	assert_int_equal(http_router_add(&r, "/a-._~!$&'()*+,;=:@b", "index",
	    0, err, sizeof(err)), 0);
	assert_int_equal(http_router_add(&r, "/..", "index", 0, err,
	    sizeof(err)), 0);
	/* A literal and a {param} in the same place are not duplicates. */
	assert_int_equal(http_router_add(&r, "/x/y", "index", 0, err,
	    sizeof(err)), 0);

	/* HTTP_PATTERN_MAX - 1 bytes fit, one more does not. */
	pat[0] = '/';
	memset(pat + 1, 'p', HTTP_PATTERN_MAX - 1);
	pat[HTTP_PATTERN_MAX] = '\0';
	assert_int_equal(http_router_add(&r, pat, "index", 0, err,
	    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	pat[HTTP_PATTERN_MAX - 1] = '\0';
	assert_int_equal(http_router_add(&r, pat, "index", 0, err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(r.routes[r.n - 1].pattern),
	    HTTP_PATTERN_MAX - 1);
}

static void
test_router_add_full_is_enospc(void **state)
{
	struct http_router r;
	char err[128], pat[16];
	int i;

	(void)state;
	http_router_init(&r);
	for (i = 0; i < HTTP_ROUTES_MAX; i++) {
		snprintf(pat, sizeof(pat), "/r%d", i);
		assert_int_equal(http_router_add(&r, pat, "index", 0, err,
		    sizeof(err)), 0);
	}
	assert_int_equal(http_router_add(&r, "/one-more", "index", 0, err,
	    sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "too many routes"));
	assert_int_equal(r.n, HTTP_ROUTES_MAX);
	/* A bad pattern is still -EINVAL when full. */
	assert_int_equal(http_router_add(&r, "x", "index", 0, err,
	    sizeof(err)), -EINVAL);
}

/* err is optional, and a short one is truncated, NUL-terminated. */
static void
test_router_add_err_buffer(void **state)
{
	struct http_router r;
	char err[8];

	(void)state;
	http_router_init(&r);
	assert_int_equal(http_router_add(&r, "x", "index", 0, NULL, 0),
	    -EINVAL);
	assert_int_equal(http_router_add(&r, "x", "index", 0, err, 0),
	    -EINVAL);
	memset(err, 'Z', sizeof(err));
	assert_int_equal(http_router_add(&r, "x", "index", 0, err,
	    sizeof(err)), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(http_router_add(&r, "/", "index", 0, NULL, 0), 0);
}

static void
test_handler_name(void **state)
{
	(void)state;
	assert_string_equal(http_handler_name(HTTP_HANDLER_INDEX), "index");
	assert_string_equal(http_handler_name(HTTP_HANDLER_HELLO), "hello");
	assert_string_equal(http_handler_name(HTTP_HANDLER_HEALTHZ), "healthz");
	assert_string_equal(http_handler_name(HTTP_HANDLER__COUNT), "unknown");
	assert_string_equal(http_handler_name((enum http_handler)-1),
	    "unknown");
}

/* ---- http_app_body ------------------------------------------------------ */

/*
 * Runs the body for m with every cap from 0 to the body's length + 1, in a
 * buffer with a canary after cap: below the length it must be -ENOSPC and
 * leave the buffer alone, at and above it return want exactly.
 */
static void
check_body(const struct http_match *m, const char *want, size_t want_len,
    const char *want_type)
{
	char *buf = malloc(want_len + 2 + 16);
	const char *type;
	size_t cap;
	ssize_t n;

	assert_non_null(buf);
	for (cap = 0; cap <= want_len + 1; cap++) {
		memset(buf, 0x5A, want_len + 2 + 16);
		type = NULL;
		n = http_app_body(m, buf, cap, &type);
		if (cap < want_len) {
			assert_int_equal(n, -ENOSPC);
			assert_null(type);
			for (size_t i = 0; i < want_len + 2 + 16; i++)
				assert_int_equal((unsigned char)buf[i], 0x5A);
			continue;
		}
		assert_int_equal(n, (ssize_t)want_len);
		assert_memory_equal(buf, want, want_len);
		assert_string_equal(type, want_type);
		for (size_t i = want_len; i < want_len + 2 + 16; i++)
			assert_int_equal((unsigned char)buf[i], 0x5A);
	}
	free(buf);
}

static void
body_of(int method, const char *path, const char *want, const char *type)
{
	struct http_match m;

	assert_int_equal(http_router_match(&router, method, path, strlen(path),
	    &m), 0);
	check_body(&m, want, strlen(want), type);
}

static void
test_app_bodies(void **state)
{
	(void)state;
	body_of(GET, "/", "<h1>Index</h1>", HTML);
	body_of(HEAD, "/", "<h1>Index</h1>", HTML);
	body_of(GET, "/healthz", "ok", TEXT);
	body_of(GET, "/hello/bob", "<h1>hello, bob!</h1>", HTML);
	body_of(GET, "/zzz/x", "<h1>Index</h1>", HTML);	/* param unused */
}

/* Each special byte alone, all of them together, and the classic. */
static void
test_app_hello_escapes(void **state)
{
	static const struct {
		const char *path, *body;
	} rows[] = {
		{ "/hello/%26", "<h1>hello, &amp;!</h1>" },
		{ "/hello/%3C", "<h1>hello, &lt;!</h1>" },
		{ "/hello/%3E", "<h1>hello, &gt;!</h1>" },
		{ "/hello/%22", "<h1>hello, &quot;!</h1>" },
		{ "/hello/'", "<h1>hello, &#39;!</h1>" },
		{ "/hello/%27", "<h1>hello, &#39;!</h1>" },
		{ "/hello/&", "<h1>hello, &amp;!</h1>" },
		{ "/hello/a%26%3C%3E%22%27z",
		    "<h1>hello, a&amp;&lt;&gt;&quot;&#39;z!</h1>" },
		{ "/hello/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		    "<h1>hello, &lt;script&gt;alert(1)&lt;/script&gt;!</h1>" },
		{ "/hello/&amp;", "<h1>hello, &amp;amp;!</h1>" },
		{ "/hello/%C3%A9t%C3%A9", "<h1>hello, \xC3\xA9t\xC3\xA9!</h1>" },
		{ "/hello/%E2%82%AC%F0%9F%98%80",
		    "<h1>hello, \xE2\x82\xAC\xF0\x9F\x98\x80!</h1>" },
		{ "/hello/%0A%09", "<h1>hello, \n\t!</h1>" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		body_of(GET, rows[i].path, rows[i].body, HTML);
}

/* The longest parameter, every byte escaped to 6: 6 * 1023 + 17 bytes. */
static void
test_app_hello_longest_param(void **state)
{
	const size_t max = HTTP_PARAM_MAX - 1;
	struct http_match m;
	char *want = malloc(6 * max + 32), *p;
	size_t i;

	(void)state;
	assert_non_null(want);
	memset(&m, 0, sizeof(m));
	m.route = &router.routes[1];
	assert_int_equal(m.route->handler, HTTP_HANDLER_HELLO);
	memset(m.param, '"', max);
	m.param[max] = '\0';
	m.param_len = max;
	p = want + sprintf(want, "<h1>hello, ");
	for (i = 0; i < max; i++)
		p += sprintf(p, "&quot;");
	p += sprintf(p, "!</h1>");
	check_body(&m, want, (size_t)(p - want), HTML);
	free(want);
}

static void
test_app_body_einval(void **state)
{
	struct http_match m;
	struct http_route bad = { .pattern = "/", .handler = HTTP_HANDLER__COUNT };
	char buf[64];
	const char *type = NULL;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(http_app_body(NULL, buf, sizeof(buf), &type), -EINVAL);
	assert_int_equal(http_app_body(&m, buf, sizeof(buf), &type), -EINVAL);
	m.route = &bad;
	assert_int_equal(http_app_body(&m, buf, sizeof(buf), &type), -EINVAL);
	assert_null(type);
	/* ctype is optional. */
	m.route = &router.routes[2];
	assert_int_equal(http_app_body(&m, buf, sizeof(buf), NULL), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_match_vectors),
		cmocka_unit_test(test_router_match_reads_only_len_bytes),
		cmocka_unit_test(test_router_match_raw_nul_is_400),
		cmocka_unit_test(test_router_match_param_limit),
		cmocka_unit_test(test_router_match_many_segments),
		cmocka_unit_test(test_router_match_deepest_pattern),
		cmocka_unit_test(test_router_precedence_ignores_order),
		cmocka_unit_test(test_router_add_rejects),
		cmocka_unit_test(test_router_add_accepts),
		cmocka_unit_test(test_router_add_full_is_enospc),
		cmocka_unit_test(test_router_add_err_buffer),
		cmocka_unit_test(test_handler_name),
		cmocka_unit_test(test_app_bodies),
		cmocka_unit_test(test_app_hello_escapes),
		cmocka_unit_test(test_app_hello_longest_param),
		cmocka_unit_test(test_app_body_einval),
	};

	return cmocka_run_group_tests(tests, setup_router, NULL);
}
