/*
 * test-http-router.c - src/http/router.c: patterns, matching, decoding.
 *
 * match_vectors[] is the router's contract for the shapes the seed's app
 * used, one row per rule: { method, raw path, status, route class,
 * decoded first parameter, reason }, all matched against one router built
 * from routes[].  more_vectors[] covers what apps added: several
 * parameters, a {rest...} tail, any method and 405's Allow, HEAD and GET.
 * Each path is given with its exact length in a heap copy of just those
 * bytes, so a read past the end is an ASan/valgrind report, not a silent
 * pass.  add_vectors[] lists the patterns http_router_add() must refuse,
 * each with a keyword its message must contain.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parser.h"
#include "router.h"

/* Route classes: what the rows check a match against. */
enum { R_IDX = 1, R_HEL, R_HLZ };

static const struct {
	const char	*method, *pattern;
	intptr_t	 cls;
} routes[] = {
	{ "GET", "/", R_IDX },
	{ "GET", "/hello/{name}", R_HEL },
	{ "GET", "/healthz", R_HLZ },
	{ "GET", "/hello/world", R_HLZ },	/* a literal beside a {param} */
	{ "GET", "/{any}/x", R_IDX },	/* {param} first: loses to /hello/{name} */
	{ "GET", "/a/{mid}/c", R_HEL },	/* {param} in the middle */
	{ "GET", "/caf\xC3\xA9", R_IDX },	/* a UTF-8 literal */
	{ "GET", "/a.b", R_HLZ },
};

struct mvec {
	const char	*method;
	const char	*path;
	size_t		 len;
	int		 status;
	intptr_t	 cls;		/* status 0 */
	const char	*param;		/* status 0: the first decoded param */
	size_t		 param_len;
	const char	*rule;
};

#define M(meth, p, st, h, prm, why) { .method = (meth), .path = (p), \
	.len = sizeof(p) - 1, .status = (st), .cls = (h), .param = (prm), \
	.param_len = sizeof(prm) - 1, .rule = (why) }
#define OK(meth, p, h, prm, why)	M(meth, p, 0, h, prm, why)
#define ERR(meth, p, st, why)		M(meth, p, st, R_IDX, "", why)

static const struct mvec match_vectors[] = {
	/* ---- failures first: 400 beats 404 beats 405 ---- */
	ERR("GET", "/hello/%G1", 400, "escape with a non-hex first digit"),
	ERR("GET", "/hello/%1G", 400, "escape with a non-hex second digit"),
	ERR("GET", "/hello/%4", 400, "escape cut short by the end"),
	ERR("GET", "/hello/%4/x", 400, "escape cut short by a '/'"),
	ERR("GET", "/hello/%", 400, "trailing '%'"),
	ERR("GET", "/hello/%%41", 400, "'%' followed by '%' is no escape"),
	ERR("GET", "/hello/%00", 400, "encoded NUL"),
	ERR("GET", "/hello/a%00b", 400, "encoded NUL inside a value"),
	ERR("GET", "/nope/%zz", 400, "a malformed escape is 400 even with no route"),
	ERR("POST", "/hello/%zz", 400, "a malformed escape is 400 before 405"),
	ERR("GET", "/%00", 400, "encoded NUL in a literal position"),
	ERR("GET", "hello/bob", 400, "a non-empty path must start with '/'"),
	ERR("GET", "/hello/bob/", 404, "trailing '/' is one more (empty) segment"),
	ERR("GET", "/hello", 404, "a {param} needs a segment"),
	ERR("GET", "/hello/", 404, "a {param} never matches an empty segment"),
	ERR("GET", "//hello/bob", 404, "an empty first segment matches nothing"),
	ERR("GET", "/hello//bob", 404, "empty segments are not collapsed"),
	ERR("GET", "//", 404, "\"//\" is not the root"),
	ERR("GET", "/healthz/", 404, "trailing '/' on a literal route"),
	ERR("GET", "/HEALTHZ", 404, "literals are case-sensitive"),
	ERR("GET", "/healthzz", 404, "a literal is matched whole, not as a prefix"),
	ERR("GET", "/health", 404, "a prefix of a literal does not match"),
	ERR("GET", "/nope", 404, "no route"),
	ERR("GET", "/hello/bob/extra", 404, "more segments than the pattern"),
	ERR("GET", "/hello%2Fbob", 404, "%2F does not split: one segment \"hello/bob\""),
	ERR("GET", "/%2F", 404, "an encoded '/' is not the root"),
	ERR("GET", "/a/b/d", 404, "a literal after the {param} differs"),
	ERR("GET", "/a%2Fb/c", 404, "%2F does not create the segment a {param} needs"),
	ERR("GET", "/caf%C3%A9%20", 404, "a decoded literal must match to its end"),
	ERR("POST", "/nope", 404, "404 beats 405"),
	ERR("POST", "/hello/bob", 405, "POST on a route"),
	ERR("PUT", "/", 405, "PUT on the root"),
	ERR("DELETE", "/healthz", 405, "DELETE on a literal route"),
	ERR("OPTIONS", "/hello/x", 405, "OPTIONS on a route"),
	ERR("PATCH", "/hello/world", 405, "PATCH on a route"),
	ERR("PROPFIND", "/", 405, "an unknown method (\"get\", \"PROPFIND\")"),
	ERR("TRACE", "/a/b/c", 405, "TRACE on a route"),

	/* ---- matches ---- */
	OK("GET", "/", R_IDX, "", "the root"),
	OK("HEAD", "/", R_IDX, "", "HEAD is allowed wherever GET is"),
	OK("GET", "", R_IDX, "", "an empty path (absolute-form \"http://h\") is \"/\""),
	OK("GET", "/hello/bob", R_HEL, "bob", "the {param} takes the segment"),
	OK("HEAD", "/hello/bob", R_HEL, "bob", "HEAD on a {param} route"),
	OK("GET", "/healthz", R_HLZ, "", "a literal route"),
	OK("GET", "/%68ello/joe", R_HEL, "joe", "literals compare with the decoded segment"),
	OK("GET", "/h%65%6c%6C%6F/joe", R_HEL, "joe", "hex digits in either case"),
	OK("GET", "/%68%65%61%6c%74%68%7a", R_HLZ, "", "a literal spelled wholly in escapes"),
	OK("GET", "/hello/%2F", R_HEL, "/", "a decoded %2F stays inside the value"),
	OK("GET", "/hello/a%2fb", R_HEL, "a/b", "lower-case %2f does not split either"),
	OK("GET", "/hello/%252F", R_HEL, "%2F", "decoded exactly once"),
	OK("GET", "/hello/%25", R_HEL, "%", "an encoded '%'"),
	OK("GET", "/hello/%3Cscript%3E", R_HEL, "<script>", "the value is raw text: escaping is the app's"),
	OK("GET", "/hello/%C3%A9", R_HEL, "\xC3\xA9", "bytes >= 0x80 pass through"),
	OK("GET", "/hello/%FF", R_HEL, "\xFF", "not checked as UTF-8"),
	OK("GET", "/hello/%0A", R_HEL, "\n", "only NUL among control bytes is refused"),
	OK("GET", "/hello/..", R_HEL, "..", "dot segments are text, not normalised"),
	OK("GET", "/hello/.", R_HEL, ".", "a single dot is text"),
	OK("GET", "/hello/%2E%2E", R_HEL, "..", "encoded dots are text"),
	OK("GET", "/hello/%2e%2e%2f", R_HEL, "../", "encoded \"../\" is one value"),
	OK("GET", "/hello/a%20b", R_HEL, "a b", "%20 is a space"),
	OK("GET", "/hello/a+b", R_HEL, "a+b", "'+' is not a space in a path"),
	OK("GET", "/hello/{name}", R_HEL, "{name}", "braces in a request are text"),
	OK("GET", "/hello/world", R_HLZ, "", "a literal beats a {param} in the same place"),
	OK("GET", "/hello/%77orld", R_HLZ, "", "... also when the literal arrives escaped"),
	OK("GET", "/hello/worlds", R_HEL, "worlds", "the {param} route still takes the rest"),
	OK("GET", "/hello/x", R_HEL, "x", "a later {param} beats an earlier one"),
	OK("GET", "/zzz/x", R_IDX, "zzz", "a {param} in the first segment"),
	OK("GET", "/%2F/x", R_IDX, "/", "an encoded '/' as a whole value"),
	OK("GET", "/a/b/c", R_HEL, "b", "a {param} in the middle"),
	OK("GET", "/a/%2F%2F/c", R_HEL, "//", "the middle value keeps its decoded '/'s"),
	OK("GET", "/caf%C3%A9", R_IDX, "", "a UTF-8 literal against its escapes"),
	OK("GET", "/caf%c3%a9", R_IDX, "", "... lower-case hex"),
	OK("GET", "/a.b", R_HLZ, "", "a '.' inside a literal"),
	OK("GET", "/a%2Eb", R_HLZ, "", "... and escaped"),
};

/* What a match must give: status, pattern (0), params, Allow (405). */
struct xvec {
	const char	*method;
	const char	*path;
	int		 status;
	const char	*pattern;	/* the winner, status 0 */
	const char	*params;	/* "a=1&b=x/y": decoded, in order */
	const char	*allow;		/* status 405 */
	const char	*rule;
};

static const struct {
	const char	*method, *pattern;
} more_routes[] = {
	{ "GET", "/" },
	{ "GET", "/items/{id}" },
	{ "POST", "/items" },
	{ "DELETE", "/items/{id}" },
	{ "GET", "/items/new" },
	{ "GET", "/users/{user}/posts/{post}" },
	{ "GET", "/static/{path...}" },
	{ "GET", "/static/special" },
	{ "GET", "/static/{dir}/{file}" },
	{ "*", "/any" },
	{ "PROPFIND", "/any" },
	{ "GET", "/h" },
	{ "HEAD", "/h" },
	{ "GET", "/files/{rest...}" },
	{ "*", "/files/{rest...}" },
};

static const struct xvec more_vectors[] = {
	{ "GET", "/items/42", 0, "/items/{id}", "id=42", NULL,
	  "a parameter" },
	{ "GET", "/items/new", 0, "/items/new", "", NULL,
	  "a literal beats a parameter" },
	{ "DELETE", "/items/new", 0, "/items/{id}", "id=new", NULL,
	  "a less specific route of the right method beats 405" },
	{ "POST", "/items/42", 405, NULL, NULL, "GET, HEAD, DELETE",
	  "405 lists every method of the routes the path matches" },
	{ "PUT", "/items", 405, NULL, NULL, "POST",
	  "POST has no HEAD" },
	{ "GET", "/users/ann/posts/7", 0, "/users/{user}/posts/{post}",
	  "user=ann&post=7", NULL, "two parameters" },
	{ "GET", "/users/a%2Fb/posts/%41", 0, "/users/{user}/posts/{post}",
	  "user=a/b&post=A", NULL, "each decoded" },
	{ "GET", "/static/css/site.css", 0, "/static/{dir}/{file}",
	  "dir=css&file=site.css", NULL,
	  "two parameters beat a tail at the same depth" },
	{ "GET", "/static/a/b/c.js", 0, "/static/{path...}", "path=a/b/c.js",
	  NULL, "a tail takes the rest, '/' included" },
	{ "GET", "/static/x%2Fy/z/w", 0, "/static/{path...}",
	  "path=x/y/z/w", NULL, "a tail decodes %2F too" },
	{ "GET", "/static/one", 0, "/static/{path...}", "path=one", NULL,
	  "a tail of one segment" },
	{ "GET", "/static/special", 0, "/static/special", "", NULL,
	  "a literal beats a tail" },
	{ "GET", "/static", 404, NULL, NULL, NULL,
	  "a tail needs at least one segment" },
	{ "GET", "/static/", 404, NULL, NULL, NULL,
	  "... and a non-empty one" },
	{ "DELETE", "/any", 0, "/any", "", NULL, "any method" },
	{ "PROPFIND", "/any", 0, "/any", "", NULL,
	  "a method's own route beats any method (checked by method)" },
	{ "HEAD", "/h", 0, "/h", "", NULL, "an explicit HEAD route" },
	{ "GET", "/h", 0, "/h", "", NULL, "... and its GET" },
	{ "HEAD", "/items/9", 0, "/items/{id}", "id=9", NULL,
	  "HEAD answered by GET's route" },
	{ "GET", "/files/a/b", 0, "/files/{rest...}", "rest=a/b", NULL,
	  "GET's route at the same shape as any method's" },
	{ "get", "/items/1", 405, NULL, NULL, "GET, HEAD, DELETE",
	  "methods are case-sensitive" },
	{ "GET", "", 0, "/", "", NULL, "an empty path is the root" },
};

static struct http_router router, more;

static int
setup_routers(void **state)
{
	char err[256];
	size_t i;

	(void)state;
	http_router_init(&router);
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (http_router_add(&router, routes[i].method,
		    routes[i].pattern, (void *)routes[i].cls, NULL, 0, err,
		    sizeof(err)) != 0) {
			print_error("route %s: %s\n", routes[i].pattern, err);
			return -1;
		}
	http_router_init(&more);
	for (i = 0; i < sizeof(more_routes) / sizeof(more_routes[0]); i++)
		if (http_router_add(&more, more_routes[i].method,
		    more_routes[i].pattern, (void *)more_routes[i].pattern,
		    NULL, 0, err, sizeof(err)) != 0) {
			print_error("route %s: %s\n", more_routes[i].pattern,
			    err);
			return -1;
		}
	return 0;
}

static int
teardown_routers(void **state)
{
	(void)state;
	http_router_free(&router);
	http_router_free(&more);
	return 0;
}

static int
method_id(const char *m)
{
	static const char *const names[] = { "", "GET", "HEAD", "POST", "PUT",
	    "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH" };
	size_t i;

	for (i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(m, names[i]) == 0)
			return (int)i;
	return HTTP_M_OTHER;
}

/* Matches exactly len bytes, in a heap copy with nothing after them; the
 * path stays alive in *copy for the slices (free it). */
static int
match_exact(const struct http_router *r, const char *method,
    const char *path, size_t len, struct http_router_match *m, char **copy)
{
	*copy = malloc(len ? len : 1);
	assert_non_null(*copy);
	memcpy(*copy, path, len);
	return http_router_match(r, method, strlen(method), method_id(method),
	    *copy, len, m);
}

/* Parameter i of m, decoded, into buf. */
static const char *
param(const struct http_router_match *m, const char *path, size_t i,
    char *buf, size_t cap)
{
	ssize_t n = http_router_decode(buf, cap, path + m->param_off[i],
	    m->param_len[i], 0);

	assert_true(n >= 0);
	return buf;
}

static void
test_router_match_vectors(void **state)
{
	const size_t n = sizeof(match_vectors) / sizeof(match_vectors[0]);
	struct http_router_match m;
	char *copy, buf[4096];
	size_t i, failed = 0;
	int rc;

	(void)state;
	assert_true(n >= 40);
	for (i = 0; i < n; i++) {
		const struct mvec *v = &match_vectors[i];

		memset(&m, 0xA5, sizeof(m));
		rc = match_exact(&router, v->method, v->path, v->len, &m,
		    &copy);
		if (rc != v->status) {
			print_error("row %zu (%s): status %d, want %d\n", i,
			    v->rule, rc, v->status);
			failed++;
		} else if (rc == 0 && (intptr_t)m.entry->data != v->cls) {
			print_error("row %zu (%s): route %s\n", i, v->rule,
			    m.entry->pattern);
			failed++;
		} else if (rc == 0 && m.entry->nparam > 0 &&
		    (strlen(param(&m, v->len ? copy : "/", 0, buf,
		    sizeof(buf))) != v->param_len ||
		    memcmp(buf, v->param, v->param_len) != 0)) {
			print_error("row %zu (%s): param \"%s\"\n", i, v->rule,
			    buf);
			failed++;
		} else if (rc == 0 && m.entry->nparam == 0 &&
		    v->param_len != 0) {
			print_error("row %zu (%s): no param\n", i, v->rule);
			failed++;
		}
		free(copy);
	}
	assert_int_equal(failed, 0);
}

static void
test_router_more_vectors(void **state)
{
	const size_t n = sizeof(more_vectors) / sizeof(more_vectors[0]);
	struct http_router_match m;
	char *copy, buf[4096], got[512];
	size_t i, k, o, failed = 0;
	int rc;

	(void)state;
	for (i = 0; i < n; i++) {
		const struct xvec *v = &more_vectors[i];

		rc = match_exact(&more, v->method, v->path, strlen(v->path), &m,
		    &copy);
		if (rc != v->status) {
			print_error("more %zu (%s): status %d, want %d\n", i,
			    v->rule, rc, v->status);
			failed++;
		} else if (rc == 405 && strcmp(m.allow, v->allow) != 0) {
			print_error("more %zu (%s): Allow \"%s\"\n", i, v->rule,
			    m.allow);
			failed++;
		} else if (rc == 0) {
			if (strcmp(m.entry->pattern, v->pattern) != 0) {
				print_error("more %zu (%s): route %s\n", i,
				    v->rule, m.entry->pattern);
				failed++;
			}
			if (v->method[0] == 'P' && strcmp(m.entry->method != NULL ?
			    m.entry->method : "*", "PROPFIND") != 0) {
				print_error("more %zu (%s): method %s\n", i,
				    v->rule, m.entry->method);
				failed++;
			}
			for (k = 0, o = 0, got[0] = '\0'; k < m.entry->nparam;
			    k++) {
				const struct http_seg *sg =
				    &m.entry->segs[m.entry->param_seg[k]];

				o += (size_t)snprintf(got + o, sizeof(got) - o,
				    "%s%.*s=%s", k ? "&" : "", (int)sg->len,
				    m.entry->pattern + sg->off, param(&m,
				    strlen(v->path) ? copy : "/", k, buf,
				    sizeof(buf)));
			}
			if (strcmp(got, v->params) != 0) {
				print_error("more %zu (%s): params \"%s\"\n", i,
				    v->rule, got);
				failed++;
			}
		}
		free(copy);
	}
	assert_int_equal(failed, 0);
}

/* A segment decoding to HTTP_SEGMENT_MAX bytes or more is 400. */
static void
test_router_segment_limit(void **state)
{
	struct http_router_match m;
	char *path, *copy;
	size_t n;

	(void)state;
	path = malloc(8 + 3 * HTTP_SEGMENT_MAX);
	assert_non_null(path);
	memcpy(path, "/hello/", 7);
	for (n = 0; n < HTTP_SEGMENT_MAX - 1; n++)
		memcpy(path + 7 + 3 * n, "%41", 3);
	assert_int_equal(match_exact(&router, "GET", path, 7 + 3 * n, &m,
	    &copy), 0);
	free(copy);
	memcpy(path + 7 + 3 * n, "%41", 3);
	assert_int_equal(match_exact(&router, "GET", path, 7 + 3 * (n + 1),
	    &m, &copy), 400);
	free(copy);
	free(path);
}

/* Adding routes in any order gives the same winners. */
static void
test_router_precedence_ignores_order(void **state)
{
	struct http_router r;
	struct http_router_match m;
	char err[256], *copy;
	size_t i, k, n = sizeof(more_routes) / sizeof(more_routes[0]);

	(void)state;
	http_router_init(&r);
	for (k = n; k-- > 0; )
		assert_int_equal(http_router_add(&r, more_routes[k].method,
		    more_routes[k].pattern, (void *)more_routes[k].pattern,
		    NULL, 0, err, sizeof(err)), 0);
	for (i = 0; i < sizeof(more_vectors) / sizeof(more_vectors[0]); i++) {
		const struct xvec *v = &more_vectors[i];
		int rc = match_exact(&r, v->method, v->path, strlen(v->path),
		    &m, &copy);

		assert_int_equal(rc, v->status);
		if (rc == 0)
			assert_string_equal(m.entry->pattern, v->pattern);
		free(copy);
	}
	http_router_free(&r);
}

struct avec {
	const char	*method, *pattern, *keyword, *rule;
	int		 rc;
};

static const struct avec add_vectors[] = {
	{ "GET", NULL, "empty", "no pattern", -EINVAL },
	{ "GET", "", "empty", "empty pattern", -EINVAL },
	{ "GET", "hello", "start with '/'", "relative pattern", -EINVAL },
	{ "GET", "{x}", "start with '/'", "a bare {param}", -EINVAL },
	{ "GET", "//", "empty segment", "the root doubled", -EINVAL },
	{ "GET", "/a//b", "empty segment", "an empty segment inside", -EINVAL },
	{ "GET", "/a/", "trailing '/'", "a trailing '/'", -EINVAL },
	{ "GET", "/{}", "empty parameter name", "\"{}\"", -EINVAL },
	{ "GET", "/{...}", "parameter name", "\"{...}\"", -EINVAL },
	{ "GET", "/{1a}", "parameter name", "a name starting with a digit",
	  -EINVAL },
	{ "GET", "/{a-b}", "parameter name", "'-' in a name", -EINVAL },
	{ "GET", "/{a b}", "parameter name", "a space in a name", -EINVAL },
	{ "GET", "/{a{b}", "whole segment", "'{' in a name", -EINVAL },
	{ "GET", "/{a", "whole segment", "no closing brace", -EINVAL },
	{ "GET", "/{a/b}", "whole segment", "'/' inside braces", -EINVAL },
	{ "GET", "/{a}b", "whole segment", "text after a {param}", -EINVAL },
	{ "GET", "/a{b}", "whole segment", "text before a {param}", -EINVAL },
	{ "GET", "/a}", "whole segment", "a stray '}'", -EINVAL },
	{ "GET", "/{a}/{a}", "twice", "a name twice", -EINVAL },
	{ "GET", "/{a...}/b", "last segment", "a tail not last", -EINVAL },
	{ "GET", "/a%20b", "percent", "escapes in a literal", -EINVAL },
	{ "GET", "/a b", "not allowed", "a space in a literal", -EINVAL },
	{ "GET", "/a?b", "not allowed", "a query in a pattern", -EINVAL },
	{ "GET", "/a#b", "not allowed", "a fragment in a pattern", -EINVAL },
	{ "GET", "/a\tb", "not allowed", "a control byte", -EINVAL },
	{ "GET", "/a\\b", "not allowed", "a backslash", -EINVAL },
	{ "GE T", "/x", "token", "a method with a space", -EINVAL },
	{ "", "/x", "token", "an empty method", -EINVAL },
	{ "GET", "/hello/{name}", "same paths", "the same pattern twice",
	  -EEXIST },
	{ "GET", "/hello/{who}", "same paths", "the same shape, another name",
	  -EEXIST },
	{ "GET", "/", "same paths", "the root twice", -EEXIST },
	{ "GET", "/healthz", "same paths", "a literal twice", -EEXIST },
};

static void
test_router_add_refuses(void **state)
{
	const size_t n = sizeof(add_vectors) / sizeof(add_vectors[0]);
	char err[256];
	size_t i, failed = 0, before = router.n;
	int rc;

	(void)state;
	for (i = 0; i < n; i++) {
		const struct avec *v = &add_vectors[i];

		err[0] = '\0';
		rc = http_router_add(&router, v->method, v->pattern, NULL,
		    "app.c", 12, err, sizeof(err));
		if (rc != v->rc || strstr(err, v->keyword) == NULL) {
			print_error("add %zu (%s): %d \"%s\"\n", i, v->rule, rc,
			    err);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
	assert_int_equal(router.n, before);
	/* Another method, or any method, at the same shape is fine. */
	assert_int_equal(http_router_add(&router, "POST", "/hello/{x}", NULL,
	    NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(http_router_add(&router, "*", "/hello/{x}", NULL,
	    NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(http_router_add(&router, NULL, "/hello/{y}", NULL,
	    NULL, 0, err, sizeof(err)), -EEXIST);
}

/* A duplicate's message says where the first one was added. */
static void
test_router_duplicate_names_its_place(void **state)
{
	struct http_router r;
	char err[256];

	(void)state;
	http_router_init(&r);
	assert_int_equal(http_router_add(&r, "GET", "/x/{a}", NULL, "app.c",
	    37, err, sizeof(err)), 0);
	assert_int_equal(http_router_add(&r, "GET", "/x/{b}", NULL, "app.c",
	    42, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "GET /x/{b}"));
	assert_non_null(strstr(err, "GET /x/{a} (added at app.c:37)"));
	http_router_free(&r);
}

static void
test_router_decode(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(http_router_decode(buf, sizeof(buf), "a%20b+c", 7, 0),
	    5);
	assert_string_equal(buf, "a b+c");
	assert_int_equal(http_router_decode(buf, sizeof(buf), "a%20b+c", 7, 1),
	    5);
	assert_string_equal(buf, "a b c");
	assert_int_equal(http_router_decode(buf, sizeof(buf), "%zz", 3, 1),
	    -EBADMSG);
	assert_int_equal(http_router_decode(buf, sizeof(buf), "%4", 2, 1),
	    -EBADMSG);
	assert_int_equal(http_router_decode(buf, sizeof(buf), "a%00", 4, 1),
	    -EBADMSG);
	/* Exactly full, then one too many. */
	assert_int_equal(http_router_decode(buf, 4, "abc", 3, 0), 3);
	assert_int_equal(http_router_decode(buf, 3, "abc", 3, 0), -ENOSPC);
	assert_int_equal(http_token("GET", 3), 1);
	assert_int_equal(http_token("G ET", 4), 0);
	assert_int_equal(http_token("", 0), 0);
}

/* Decodes q with max pairs; the pairs as "k=v;" in out, or the error. */
static ssize_t
query(const char *q, size_t max, char *out, size_t outcap)
{
	const char *keys[8], *vals[8];
	size_t cap = http_query_size(q, NULL), o = 0, i;
	char *dst = malloc(cap);
	ssize_t n;

	assert_non_null(dst);
	assert_true(max <= 8);
	n = http_query_decode(q, dst, cap, keys, vals, max);
	out[0] = '\0';
	for (i = 0; n > 0 && i < (size_t)n; i++)
		o += (size_t)snprintf(out + o, outcap - o, "%s=%s;", keys[i],
		    vals[i]);
	free(dst);
	return n;
}

static void
test_query_decode(void **state)
{
	char out[256];
	size_t pairs;

	(void)state;
	assert_int_equal(query("a=1&b=x+y&&c=%41%3D&d&=e&a=2", 8, out,
	    sizeof(out)), 6);
	assert_string_equal(out, "a=1;b=x y;c=A=;d=;=e;a=2;");
	assert_int_equal(query("", 8, out, sizeof(out)), 0);
	assert_int_equal(query("&&&", 8, out, sizeof(out)), 0);
	/* The first '=' splits; '+' is a space in both parts. */
	assert_int_equal(query("k+1=v=w+", 8, out, sizeof(out)), 1);
	assert_string_equal(out, "k 1=v=w ;");
	assert_int_equal(query("a=%zz", 8, out, sizeof(out)), -EBADMSG);
	assert_int_equal(query("a=%00", 8, out, sizeof(out)), -EBADMSG);
	assert_int_equal(query("%4", 8, out, sizeof(out)), -EBADMSG);
	assert_int_equal(query("a&b&c", 2, out, sizeof(out)), -E2BIG);
	assert_int_equal(query("a&b", 2, out, sizeof(out)), 2);
	/* The size covers the worst case: keys without values. */
	assert_int_equal(http_query_size("a&b&c", &pairs), 5 + 2 * 3 + 1);
	assert_int_equal(pairs, 3);
	assert_int_equal(query("a&b&c", 3, out, sizeof(out)), 3);
	assert_string_equal(out, "a=;b=;c=;");
	(void)http_query_size("", &pairs);
	assert_int_equal(pairs, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_router_match_vectors),
		cmocka_unit_test(test_router_more_vectors),
		cmocka_unit_test(test_router_segment_limit),
		cmocka_unit_test(test_router_precedence_ignores_order),
		cmocka_unit_test(test_router_add_refuses),
		cmocka_unit_test(test_router_duplicate_names_its_place),
		cmocka_unit_test(test_router_decode),
		cmocka_unit_test(test_query_decode),
	};

	return cmocka_run_group_tests(tests, setup_routers, teardown_routers);
}
