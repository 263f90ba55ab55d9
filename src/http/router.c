/*
 * router.c - the app's routes: patterns checked once when the configuration
 * is read, then matched against raw request paths with no allocation.
 *
 * A pattern is "/" (the root) or '/' followed by non-empty segments joined
 * by '/', with no trailing '/'.  A segment is a literal (the DECODED text it
 * must equal: no '%', no braces) or one whole {name}; a pattern has at most
 * one {name}.  Two patterns of the same shape (same literals, {param} at the
 * same place, whatever its name) are duplicates: the second is rejected.
 *
 * http_router_match(path) works in three steps:
 *  1. One pass over the raw path: every '%' must begin %XX with two hex
 *     digits, XX is not 00, there is no raw NUL, and no segment decodes to
 *     HTTP_PARAM_MAX bytes or more.  Any failure is 400 before a route is
 *     looked at, so the verdict on a malformed path does not depend on the
 *     routes (400 beats 404 beats 405).  The pass records where each segment
 *     starts; a path with more segments than any pattern can hold matches
 *     nothing.  A segment is split on raw '/' only: a decoded "%2F" is a '/'
 *     inside the segment's text, and decoding happens once ("%252F" is the
 *     text "%2F").  "." and ".." are text like any other: there is no
 *     normalisation (the parser has no business resolving them either).
 *  2. Each route walks its pattern against the segments, comparing a literal
 *     with the segment decoded on the fly (so "/%68ello/x" matches
 *     "/hello/{name}").  A walk stops at the first difference, so a route
 *     costs at most its pattern's length plus its segment count.
 *  3. The most specific match wins: a route without {param}, else the one
 *     whose {param} comes latest (a literal beats a parameter at the first
 *     segment where two routes differ).  Two matches with the parameter at
 *     the same place would have equal literals, that is the same shape, and
 *     http_router_add refused the second: the winner never depends on the
 *     order the routes were added in.  Its parameter segment is decoded into
 *     m->param.
 * Total cost: O(len + HTTP_ROUTES_MAX * HTTP_PATTERN_MAX), bytes only.
 *
 * Choices the header leaves open:
 *  - A decoded segment over HTTP_PARAM_MAX - 1 bytes is 400, not 414: the
 *    request line already passed the parser's 414 limit; this is the app
 *    refusing a value, and any segment counts, not only one that would be
 *    the parameter, so the status does not depend on the routes.
 *  - An empty path (the parser's absolute-form "http://host") is "/"; a
 *    non-empty path that does not start with '/' is 400.  The caller
 *    answers asterisk- and authority-form requests before routing.
 *  - Decoded bytes other than NUL pass through, including bytes >= 0x80
 *    (not checked as UTF-8: the body escapes only what HTML needs) and
 *    control bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

/* The most segments a pattern can hold: "/a/b/..." in HTTP_PATTERN_MAX - 1
 * bytes is 63 of them. */
#define ROUTER_SEGS_MAX		(HTTP_PATTERN_MAX / 2)
/* route_match(): the route has no {param}; outranks every position. */
#define ROUTER_NO_PARAM		ROUTER_SEGS_MAX
#define ROUTER_DELAY_MAX	3600.0

static const char *const http_handler_names[HTTP_HANDLER__COUNT] = {
	[HTTP_HANDLER_INDEX] = "index",
	[HTTP_HANDLER_HELLO] = "hello",
	[HTTP_HANDLER_HEALTHZ] = "healthz",
};

static int	router_fail(char *err, size_t errlen, int rc,
		    const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

static int
router_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);	/* truncation is fine */
		va_end(ap);
	}
	return rc;
}

static int
router_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte %XX at raw[0..2] stands for; raw was checked by step 1. */
static unsigned char
router_unescape(const char *raw)
{
	return (unsigned char)(router_hex((unsigned char)raw[1]) << 4 |
	    router_hex((unsigned char)raw[2]));
}

/* RFC 3986 pchar without pct-encoded, plus bytes >= 0x80 so that a UTF-8
 * literal ("/café") matches its escaped form ("/caf%C3%A9"). */
static int
router_literal_byte(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return 1;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@", c) != NULL;
}

static int
router_name_byte(unsigned char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

/*
 * The next segment of a checked pattern: *pp points at its '/' (or at the
 * end).  Returns 0 at the end; the root "/" has no segment.
 */
static int
router_pattern_next(const char **pp, const char **seg, size_t *n)
{
	const char *p = *pp;

	if (p[0] != '/' || p[1] == '\0')
		return 0;
	*seg = ++p;
	while (*p != '/' && *p != '\0')
		p++;
	*n = (size_t)(p - *seg);
	*pp = p;
	return 1;
}

/* Checks pattern's syntax (see the top of the file); counts its {param}s. */
static int
router_pattern_check(const char *pattern, int *nparam, char *err,
    size_t errlen)
{
	const char *p, *s, *e, *close;
	size_t n, i;

	*nparam = 0;
	if (pattern == NULL || pattern[0] == '\0')
		return router_fail(err, errlen, -EINVAL, "empty pattern");
	if (strnlen(pattern, HTTP_PATTERN_MAX) >= HTTP_PATTERN_MAX)
		return router_fail(err, errlen, -EINVAL,
		    "pattern too long (over %d bytes)", HTTP_PATTERN_MAX - 1);
	if (pattern[0] != '/')
		return router_fail(err, errlen, -EINVAL,
		    "pattern must start with '/'");
	if (pattern[1] == '\0')
		return 0;			/* the root */
	for (p = pattern; *p != '\0'; p = e) {
		s = p + 1;
		for (e = s; *e != '/' && *e != '\0'; e++)
			;
		n = (size_t)(e - s);
		if (n == 0 && *e == '\0')
			return router_fail(err, errlen, -EINVAL,
			    "trailing '/' (only the root \"/\" ends with '/')");
		if (n == 0)
			return router_fail(err, errlen, -EINVAL,
			    "empty segment (\"//\") at byte %zu",
			    (size_t)(s - pattern));
		if (s[0] == '{') {
			close = memchr(s, '}', n);
			if (close == NULL)
				return router_fail(err, errlen, -EINVAL,
				    "unclosed '{' in segment \"%.*s\"",
				    (int)n, s);
			if (close != s + n - 1)
				return router_fail(err, errlen, -EINVAL,
				    "segment \"%.*s\": a {param} must be a "
				    "whole segment", (int)n, s);
			if (n == 2)
				return router_fail(err, errlen, -EINVAL,
				    "empty parameter name \"{}\"");
			for (i = 1; i < n - 1; i++)
				if (!router_name_byte((unsigned char)s[i],
				    i == 1))
					return router_fail(err, errlen,
					    -EINVAL, "bad parameter name "
					    "(byte 0x%02x at %zu): want "
					    "[A-Za-z_][A-Za-z0-9_]*",
					    (unsigned char)s[i],
					    (size_t)(s + i - pattern));
			if (++*nparam > 1)
				return router_fail(err, errlen, -EINVAL,
				    "more than one {param} (second at "
				    "byte %zu)", (size_t)(s - pattern));
			continue;
		}
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '{' || c == '}')
				return router_fail(err, errlen, -EINVAL,
				    "'%c' inside segment \"%.*s\": a {param} "
				    "must be a whole segment", c, (int)n, s);
			if (c == '%')
				return router_fail(err, errlen, -EINVAL,
				    "percent-escape at byte %zu: write "
				    "literal segments decoded",
				    (size_t)(s + i - pattern));
			if (!router_literal_byte(c))
				return router_fail(err, errlen, -EINVAL,
				    "byte 0x%02x not allowed in a literal "
				    "segment (at byte %zu)", c,
				    (size_t)(s + i - pattern));
		}
	}
	return 0;
}

/* Whether two checked patterns match the same paths. */
static int
router_same_shape(const char *a, const char *b)
{
	const char *sa, *sb;
	size_t na, nb;
	int more_a, more_b;

	for (;;) {
		more_a = router_pattern_next(&a, &sa, &na);
		more_b = router_pattern_next(&b, &sb, &nb);
		if (!more_a || !more_b)
			return more_a == more_b;
		if (sa[0] == '{' && sb[0] == '{')
			continue;
		if (sa[0] == '{' || sb[0] == '{' || na != nb ||
		    memcmp(sa, sb, na) != 0)
			return 0;
	}
}

void
http_router_init(struct http_router *r)
{
	memset(r, 0, sizeof(*r));
}

const char *
http_handler_name(enum http_handler h)
{
	if ((unsigned)h >= HTTP_HANDLER__COUNT)
		return "unknown";
	return http_handler_names[h];
}

int
http_router_add(struct http_router *r, const char *pattern,
    const char *handler, double delay, char *err, size_t errlen)
{
	struct http_route *rt;
	int nparam, h, rc;
	size_t i;

	if ((rc = router_pattern_check(pattern, &nparam, err, errlen)) != 0)
		return rc;
	for (h = 0; h < HTTP_HANDLER__COUNT; h++)
		if (handler != NULL &&
		    strcmp(handler, http_handler_names[h]) == 0)
			break;
	if (h == HTTP_HANDLER__COUNT)
		return router_fail(err, errlen, -EINVAL,
		    "unknown handler \"%.32s\" (want index, hello or healthz)",
		    handler != NULL ? handler : "");
	if (h == HTTP_HANDLER_HELLO && nparam != 1)
		return router_fail(err, errlen, -EINVAL,
		    "handler hello needs one {param} in its pattern");
	/* Written so that NaN fails too. */
	if (!(delay >= 0.0 && delay <= ROUTER_DELAY_MAX))
		return router_fail(err, errlen, -EINVAL,
		    "delay %g out of [0, %g] seconds", delay,
		    ROUTER_DELAY_MAX);
	for (i = 0; i < r->n; i++)
		if (router_same_shape(pattern, r->routes[i].pattern))
			return router_fail(err, errlen, -EINVAL,
			    "duplicate route: \"%s\" matches the same paths "
			    "as \"%s\"", pattern, r->routes[i].pattern);
	if (r->n == HTTP_ROUTES_MAX)
		return router_fail(err, errlen, -ENOSPC,
		    "too many routes (at most %d)", HTTP_ROUTES_MAX);
	rt = &r->routes[r->n++];
	memcpy(rt->pattern, pattern, strlen(pattern) + 1);
	rt->handler = (enum http_handler)h;
	rt->delay = delay;
	return 0;
}

/* Whether literal lit (n bytes) equals the raw segment decoded. */
static int
router_literal_eq(const char *lit, size_t n, const char *raw, size_t rlen)
{
	size_t j = 0, k = 0;
	unsigned char c;

	while (j < rlen) {
		if (raw[j] == '%') {
			c = router_unescape(raw + j);
			j += 3;
		} else
			c = (unsigned char)raw[j++];
		if (k == n || (unsigned char)lit[k] != c)
			return 0;
		k++;
	}
	return k == n;
}

/*
 * Walks pattern against the path's nseg segments (segment i is
 * path[starts[i] .. starts[i + 1] - 1)).  Returns -1 if it does not match,
 * else the index of its {param}, or ROUTER_NO_PARAM.
 */
static int
router_route_match(const char *pattern, const char *path,
    const size_t *starts, size_t nseg)
{
	const char *s;
	size_t n, i = 0, slen;
	int param = ROUTER_NO_PARAM;

	while (router_pattern_next(&pattern, &s, &n)) {
		if (i == nseg)
			return -1;
		slen = starts[i + 1] - 1 - starts[i];
		if (s[0] == '{') {
			if (slen == 0)
				return -1;
			param = (int)i;
		} else if (!router_literal_eq(s, n, path + starts[i], slen))
			return -1;
		i++;
	}
	return i == nseg ? param : -1;
}

int
http_router_match(const struct http_router *r, int method, const char *path,
    size_t len, struct http_match *m)
{
	size_t starts[ROUTER_SEGS_MAX + 1];
	size_t i, k, nseg = 0, dlen = 0, j, end;
	const struct http_route *best = NULL;
	int pos, best_pos = -1;
	unsigned char c;

	m->route = NULL;
	m->param[0] = '\0';
	m->param_len = 0;
	m->allow = 0;
	if (len == 0) {
		path = "/";
		len = 1;
	}
	if (path[0] != '/')
		return 400;

	/* Step 1: check escapes and sizes, find the segments. */
	if (len > 1)
		starts[nseg++] = 1;
	for (i = 1; i < len; i++) {
		c = (unsigned char)path[i];
		if (c == '/') {
			if (nseg < ROUTER_SEGS_MAX)
				starts[nseg] = i + 1;
			nseg++;
			dlen = 0;
			continue;
		}
		if (c == '\0')
			return 400;
		if (c == '%') {
			if (len - i < 3 ||
			    router_hex((unsigned char)path[i + 1]) < 0 ||
			    router_hex((unsigned char)path[i + 2]) < 0)
				return 400;
			if (router_unescape(path + i) == '\0')
				return 400;
			i += 2;
		}
		if (++dlen >= HTTP_PARAM_MAX)
			return 400;
	}
	if (nseg > ROUTER_SEGS_MAX)
		return 404;
	starts[nseg] = len + 1;		/* one past the last segment's end */

	/* Steps 2 and 3: the most specific route that matches. */
	for (k = 0; k < r->n && best_pos != ROUTER_NO_PARAM; k++) {
		pos = router_route_match(r->routes[k].pattern, path, starts,
		    nseg);
		if (pos > best_pos) {
			best_pos = pos;
			best = &r->routes[k];
		}
	}
	if (best == NULL)
		return 404;
	if (method != HTTP_M_GET && method != HTTP_M_HEAD) {
		m->allow = 1u << HTTP_M_GET | 1u << HTTP_M_HEAD;
		return 405;
	}
	m->route = best;
	if (best_pos == ROUTER_NO_PARAM)
		return 0;
	/* Step 1 bounded the decoded length below HTTP_PARAM_MAX. */
	end = starts[best_pos + 1] - 1;
	for (j = starts[best_pos], k = 0; j < end; k++) {
		if (path[j] == '%') {
			m->param[k] = (char)router_unescape(path + j);
			j += 3;
		} else
			m->param[k] = path[j++];
	}
	m->param[k] = '\0';
	m->param_len = k;
	return 0;
}
