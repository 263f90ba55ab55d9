/*
 * router.c - routes: patterns checked once when added, then matched against
 * raw request paths with no allocation.
 *
 * A pattern is "/" (the root) or '/' followed by non-empty segments joined
 * by '/', with no trailing '/'.  A segment is a literal (the DECODED text it
 * must equal: no '%', no braces), a whole {name}, or, as the last segment
 * only, {name...}, which takes one or more path segments, the '/' between
 * them included.  Names are [A-Za-z_][A-Za-z0-9_]* and unique in a pattern.
 * Two routes have the same shape when they have the same kinds of segment
 * with the same literals at the same places, whatever the parameters are
 * called; two routes of the same shape and the same method (or both any
 * method) are duplicates: the second is refused.
 *
 * http_router_match(path) works in three steps:
 *  1. One pass over the raw path: every '%' must begin %XX with two hex
 *     digits, XX is not 00, there is no raw NUL, and no segment decodes to
 *     HTTP_SEGMENT_MAX bytes or more.  Any failure is 400 before a route is
 *     looked at, so the verdict on a malformed path does not depend on the
 *     routes (400 beats 404 beats 405).  A segment is split on raw '/' only:
 *     a decoded "%2F" is a '/' inside the segment's text, and decoding
 *     happens once ("%252F" is the text "%2F").  "." and ".." are text like
 *     any other: there is no normalisation.
 *  2. Each route walks its pattern against the path, comparing a literal
 *     with the segment decoded on the fly (so "/%68ello/x" matches
 *     "/hello/{name}").  A walk stops at the first difference.
 *  3. Of the routes that match the path, those for the request's method
 *     (GET's also answer HEAD; an explicit HEAD route beats them) or for
 *     any method compete: the most specific wins, comparing kinds segment
 *     by segment (literal > {name} > {name...}), and at equal shape a route
 *     for the method beats one for any method.  If routes match the path
 *     but none the method, the answer is 405 and Allow lists their methods.
 * Cost: O(routes * path length), bytes only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parser.h"
#include "router.h"

static int	http__router_fail(char *err, size_t errlen, int rc,
		    const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

static int
http__router_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
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
http__router_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte %XX at raw[0..2] stands for; raw was checked. */
static unsigned char
http__router_unescape(const char *raw)
{
	return (unsigned char)(http__router_hex((unsigned char)raw[1]) << 4 |
	    http__router_hex((unsigned char)raw[2]));
}

/* RFC 3986 pchar without pct-encoded, plus bytes >= 0x80 so that a UTF-8
 * literal ("/café") matches its escaped form ("/caf%C3%A9"). */
static int
http__router_literal_byte(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return 1;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@", c) != NULL;
}

static int
http__router_name_byte(unsigned char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    (!first && c >= '0' && c <= '9');
}

/* tchar of RFC 9110 §5.6.2: ALPHA, DIGIT and !#$%&'*+-.^_`|~. */
const unsigned char http_tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1,
	['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

int
http_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!http_tchar[(unsigned char)s[i]])
			return 0;
	return 1;
}

/* The parser's id for a method name, HTTP_M_OTHER for the rest. */
static int
http__router_method_id(const char *m)
{
	static const struct {
		const char *name;
		int id;
	} ids[] = {
		{ "GET", HTTP_M_GET }, { "HEAD", HTTP_M_HEAD },
		{ "POST", HTTP_M_POST }, { "PUT", HTTP_M_PUT },
		{ "DELETE", HTTP_M_DELETE }, { "OPTIONS", HTTP_M_OPTIONS },
		{ "CONNECT", HTTP_M_CONNECT }, { "TRACE", HTTP_M_TRACE },
		{ "PATCH", HTTP_M_PATCH },
	};
	size_t i;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (strcmp(m, ids[i].name) == 0)
			return ids[i].id;
	return HTTP_M_OTHER;
}

/*
 * Checks pattern (see the top of the file) and fills e's segments.
 * 0 or -EINVAL with the reason.
 */
static int
http__router_compile(struct http_router_entry *e, char *err, size_t errlen)
{
	const char *pattern = e->pattern, *s, *p, *end;
	struct http_seg *seg;
	size_t n, i, k;
	int tail;

	if (pattern[0] != '/')
		return http__router_fail(err, errlen, -EINVAL,
		    "pattern \"%.64s\" must start with '/'", pattern);
	for (p = pattern; p[0] == '/' && p[1] != '\0'; p = end) {
		s = p + 1;
		for (end = s; *end != '/' && *end != '\0'; end++)
			;
		n = (size_t)(end - s);
		if (n == 0 && *end == '\0')
			return http__router_fail(err, errlen, -EINVAL,
			    "pattern \"%s\": trailing '/' (only the root "
			    "\"/\" ends with '/')", pattern);
		if (n == 0)
			return http__router_fail(err, errlen, -EINVAL,
			    "pattern \"%s\": empty segment (\"//\")", pattern);
		if (e->nseg > 0 && e->segs[e->nseg - 1].kind == HTTP_SEG_TAIL)
			return http__router_fail(err, errlen, -EINVAL,
			    "pattern \"%s\": {name...} must be the last "
			    "segment", pattern);
		seg = &e->segs[e->nseg++];
		if (s[0] == '{') {
			if (s[n - 1] != '}' || memchr(s + 1, '{', n - 1) !=
			    NULL || memchr(s, '}', n - 1) != NULL)
				return http__router_fail(err, errlen, -EINVAL,
				    "pattern \"%s\": segment \"%.*s\": a "
				    "{name} must be a whole segment", pattern,
				    (int)n, s);
			tail = n > 5 && memcmp(s + n - 4, "...}", 4) == 0;
			seg->kind = tail ? HTTP_SEG_TAIL : HTTP_SEG_PARAM;
			seg->off = (uint16_t)(s + 1 - pattern);
			seg->len = (uint16_t)(n - 2 - (tail ? 3 : 0));
			if (seg->len == 0)
				return http__router_fail(err, errlen, -EINVAL,
				    "pattern \"%s\": empty parameter name",
				    pattern);
			for (i = 0; i < seg->len; i++)
				if (!http__router_name_byte((unsigned char)
				    pattern[seg->off + i], i == 0))
					return http__router_fail(err, errlen, -EINVAL,
					    "pattern \"%s\": bad parameter name "
					    "\"%.*s\": want [A-Za-z_][A-Za-z0-9_]*",
					    pattern, (int)seg->len,
					    pattern + seg->off);
			if (e->nparam == HTTP_PARAMS_MAX)
				return http__router_fail(err, errlen, -EINVAL,
				    "pattern \"%s\": more than %d parameters",
				    pattern, HTTP_PARAMS_MAX);
			for (k = 0; k < e->nparam; k++) {
				const struct http_seg *o =
				    &e->segs[e->param_seg[k]];

				if (o->len == seg->len && memcmp(pattern +
				    o->off, pattern + seg->off, o->len) == 0)
					return http__router_fail(err, errlen, -EINVAL,
					    "pattern \"%s\": parameter \"%.*s\" "
					    "twice", pattern, (int)seg->len,
					    pattern + seg->off);
			}
			e->param_seg[e->nparam++] = (uint16_t)(e->nseg - 1);
			continue;
		}
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '{' || c == '}')
				return http__router_fail(err, errlen, -EINVAL,
				    "pattern \"%s\": '%c' inside segment "
				    "\"%.*s\": a {name} must be a whole "
				    "segment", pattern, c, (int)n, s);
			if (c == '%')
				return http__router_fail(err, errlen, -EINVAL,
				    "pattern \"%s\": a percent-escape: write "
				    "literal segments decoded", pattern);
			if (!http__router_literal_byte(c))
				return http__router_fail(err, errlen, -EINVAL,
				    "pattern \"%s\": byte 0x%02x not allowed "
				    "in a literal segment", pattern, c);
		}
		seg->kind = HTTP_SEG_LITERAL;
		seg->off = (uint16_t)(s - pattern);
		seg->len = (uint16_t)n;
	}
	if (p != pattern && p[0] == '/')
		return http__router_fail(err, errlen, -EINVAL, "pattern \"%s\": "
		    "trailing '/' (only the root \"/\" ends with '/')",
		    pattern);
	return 0;
}

/* Whether two entries match the same paths. */
static int
http__router_same_shape(const struct http_router_entry *a,
    const struct http_router_entry *b)
{
	size_t i;

	if (a->nseg != b->nseg)
		return 0;
	for (i = 0; i < a->nseg; i++) {
		if (a->segs[i].kind != b->segs[i].kind)
			return 0;
		if (a->segs[i].kind == HTTP_SEG_LITERAL &&
		    (a->segs[i].len != b->segs[i].len ||
		    memcmp(a->pattern + a->segs[i].off, b->pattern +
		    b->segs[i].off, a->segs[i].len) != 0))
			return 0;
	}
	return 1;
}

static void
http__router_entry_free(struct http_router_entry *e)
{
	if (e == NULL)
		return;
	free(e->method);
	free(e->pattern);
	free(e->segs);
	free(e);
}

void
http_router_init(struct http_router *r)
{
	memset(r, 0, sizeof(*r));
}

void
http_router_free(struct http_router *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		http__router_entry_free(r->e[i]);
	free(r->e);
	memset(r, 0, sizeof(*r));
}

int
http_router_add(struct http_router *r, const char *method,
    const char *pattern, void *data, const char *file, int line, char *err,
    size_t errlen)
{
	struct http_router_entry *e, **ne, *o;
	size_t i, plen;
	int rc;

	if (pattern == NULL || (plen = strnlen(pattern, HTTP_PATTERN_MAX)) ==
	    0)
		return http__router_fail(err, errlen, -EINVAL, "empty pattern");
	if (plen >= HTTP_PATTERN_MAX)
		return http__router_fail(err, errlen, -EINVAL, "pattern too long "
		    "(over %d bytes)", HTTP_PATTERN_MAX - 1);
	if (method != NULL && strcmp(method, "*") == 0)
		method = NULL;
	if (method != NULL && !http_token(method, strlen(method)))
		return http__router_fail(err, errlen, -EINVAL,
		    "method \"%.32s\" is not a token", method);
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->pattern = strdup(pattern)) == NULL ||
	    (method != NULL && (e->method = strdup(method)) == NULL) ||
	    (e->segs = calloc(plen / 2 + 1, sizeof(*e->segs))) == NULL) {
		http__router_entry_free(e);
		return http__router_fail(err, errlen, -ENOMEM, "out of memory");
	}
	e->method_id = method != NULL ? http__router_method_id(method) :
	    HTTP_M_OTHER;
	e->data = data;
	e->file = file;
	e->line = line;
	if ((rc = http__router_compile(e, err, errlen)) != 0) {
		http__router_entry_free(e);
		return rc;
	}
	if (e->nseg > 0 && e->segs[0].kind == HTTP_SEG_LITERAL)
		e->first = (unsigned char)e->pattern[e->segs[0].off];
	for (i = 0; i < r->n; i++) {
		o = r->e[i];
		if (!http__router_same_shape(o, e) || (o->method == NULL) !=
		    (e->method == NULL) || (o->method != NULL &&
		    strcmp(o->method, e->method) != 0))
			continue;
		if (o->file != NULL && o->line > 0)
			(void)http__router_fail(err, errlen, -EEXIST, "route %s %s "
			    "matches the same paths as %s %s (added at "
			    "%s:%d)", method != NULL ? method : "*", pattern,
			    o->method != NULL ? o->method : "*", o->pattern,
			    o->file, o->line);
		else if (o->file != NULL)
			(void)http__router_fail(err, errlen, -EEXIST, "route %s %s "
			    "matches the same paths as %s %s (%s)",
			    method != NULL ? method : "*", pattern,
			    o->method != NULL ? o->method : "*", o->pattern,
			    o->file);
		else
			(void)http__router_fail(err, errlen, -EEXIST, "route %s %s "
			    "matches the same paths as %s %s",
			    method != NULL ? method : "*", pattern,
			    o->method != NULL ? o->method : "*", o->pattern);
		http__router_entry_free(e);
		return -EEXIST;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap != 0 ? r->cap * 2 : 16;

		if ((ne = realloc(r->e, cap * sizeof(*ne))) == NULL) {
			http__router_entry_free(e);
			return http__router_fail(err, errlen, -ENOMEM,
			    "out of memory");
		}
		r->e = ne;
		r->cap = cap;
	}
	r->e[r->n++] = e;
	return 0;
}

/* Whether literal lit (n bytes) equals the raw segment decoded. */
static int
http__router_literal_eq(const char *lit, size_t n, const char *raw, size_t rlen)
{
	size_t j = 0, k = 0;
	unsigned char c;

	while (j < rlen) {
		if (raw[j] == '%') {
			c = http__router_unescape(raw + j);
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
 * Walks e's pattern along path (checked by step 1; pct: it holds a '%').
 * Returns 1 and fills the parameters' slices and the kinds (rank[i] per
 * segment) if it matches, else 0.  Without a '%' a literal is compared
 * with memcmp, not decoded byte by byte.
 */
static int
http__router_walk(const struct http_router_entry *e, const char *path,
    size_t len, int pct, uint32_t *off, uint32_t *plen, uint8_t *rank)
{
	size_t pos = 1, end, i, np = 0;
	const struct http_seg *s;
	const char *slash;

	/* "/" has no segment; "/x" has one starting at 1. */
	if (len == 1) {
		if (e->nseg != 0)
			return 0;
		return 1;
	}
	for (i = 0; i < e->nseg; i++) {
		s = &e->segs[i];
		if (pos > len)
			return 0;	/* the path ran out */
		if (s->kind == HTTP_SEG_TAIL) {
			if (pos == len)
				return 0;	/* nothing left for it */
			off[np] = (uint32_t)pos;
			plen[np++] = (uint32_t)(len - pos);
			rank[i] = HTTP_SEG_TAIL;
			return 1;
		}
		slash = memchr(path + pos, '/', len - pos);
		end = slash != NULL ? (size_t)(slash - path) : len;
		if (s->kind == HTTP_SEG_PARAM) {
			if (end == pos)
				return 0;	/* an empty segment */
			off[np] = (uint32_t)pos;
			plen[np++] = (uint32_t)(end - pos);
		} else if (pct ? !http__router_literal_eq(e->pattern + s->off, s->len,
		    path + pos, end - pos) : (end - pos != s->len ||
		    memcmp(e->pattern + s->off, path + pos, s->len) != 0))
			return 0;
		rank[i] = (uint8_t)s->kind;
		pos = end + 1;
	}
	return pos == len + 1;
}

/* Whether rank a (na segments) is more specific than b (nb). */
static int
http__router_more_specific(const uint8_t *a, size_t na, const uint8_t *b,
    size_t nb)
{
	size_t i;

	for (i = 0; i < na && i < nb; i++)
		if (a[i] != b[i])
			return a[i] > b[i];
	return na > nb;
}

/* How well e's method answers the request's: 3 exact, 2 GET for HEAD,
 * 1 any method, 0 not at all. */
static int
http__router_method_fit(const struct http_router_entry *e, const char *method,
    size_t mlen, int method_id)
{
	if (e->method == NULL)
		return 1;
	if (method_id != HTTP_M_OTHER ? e->method_id == method_id :
	    strlen(e->method) == mlen && memcmp(e->method, method, mlen) == 0)
		return 3;
	if (method_id == HTTP_M_HEAD && e->method_id == HTTP_M_GET)
		return 2;
	return 0;
}

/* Appends method to the Allow list (once); a list that would overflow is
 * cut at a method's boundary. */
static void
http__router_allow(char *allow, const char *method)
{
	size_t have = strlen(allow), n = strlen(method);
	const char *p = allow;

	while ((p = strstr(p, method)) != NULL) {
		if ((p == allow || p[-1] == ' ') && (p[n] == ',' ||
		    p[n] == '\0'))
			return;
		p += n;
	}
	if (have + n + 3 > HTTP_ALLOW_MAX)
		return;
	if (have > 0) {
		memcpy(allow + have, ", ", 2);
		have += 2;
	}
	memcpy(allow + have, method, n + 1);
}

int
http_router_match(const struct http_router *r, const char *method,
    size_t mlen, int method_id, const char *path, size_t len,
    struct http_router_match *m)
{
	uint32_t off[HTTP_PARAMS_MAX], plen[HTTP_PARAMS_MAX];
	uint8_t rank[HTTP_PATTERN_MAX / 2 + 1];
	uint8_t best_rank[HTTP_PATTERN_MAX / 2 + 1];
	const struct http_router_entry *e, *best = NULL;
	size_t i, dlen = 0, best_n = 0;
	int fit, best_fit = 0, any_path = 0, better, pct = 0;
	unsigned char c;

	m->entry = NULL;
	m->allow[0] = '\0';
	if (len == 0) {
		path = "/";
		len = 1;
	}
	if (path[0] != '/')
		return 400;

	/* Step 1: check escapes and segment sizes.  A path with no '%' and
	 * no NUL, shorter than a segment may be (nearly every one), needs no
	 * look at each byte. */
	if (len < HTTP_SEGMENT_MAX && memchr(path, '%', len) == NULL &&
	    memchr(path, '\0', len) == NULL)
		i = len;
	else
		i = 1;
	for (; i < len; i++) {
		c = (unsigned char)path[i];
		if (c == '/') {
			dlen = 0;
			continue;
		}
		if (c == '\0')
			return 400;
		if (c == '%') {
			pct = 1;
			if (len - i < 3 ||
			    http__router_hex((unsigned char)path[i + 1]) < 0 ||
			    http__router_hex((unsigned char)path[i + 2]) < 0)
				return 400;
			if (http__router_unescape(path + i) == '\0')
				return 400;
			i += 2;
		}
		if (++dlen >= HTTP_SEGMENT_MAX)
			return 400;
	}

	/* Steps 2 and 3. */
	for (i = 0; i < r->n; i++) {
		e = r->e[i];
		/* Without escapes, a route whose first segment is a literal
		 * needs the path's first byte to be the literal's: most
		 * routes are out after that one compare. */
		if (!pct && e->first != 0 && (len < 2 || (unsigned char)path[1] !=
		    e->first))
			continue;
		if (!http__router_walk(e, path, len, pct, off, plen, rank))
			continue;
		any_path = 1;
		if ((fit = http__router_method_fit(e, method, mlen, method_id)) == 0) {
			http__router_allow(m->allow, e->method);
			if (e->method_id == HTTP_M_GET)
				http__router_allow(m->allow, "HEAD");
			continue;
		}
		if (best == NULL)
			better = 1;
		else if (http__router_same_shape(e, best))
			better = fit > best_fit;
		else
			better = http__router_more_specific(rank, e->nseg, best_rank,
			    best_n);
		if (!better)
			continue;
		best = e;
		best_fit = fit;
		best_n = e->nseg;
		memcpy(best_rank, rank, e->nseg);
		memcpy(m->param_off, off, e->nparam * sizeof(off[0]));
		memcpy(m->param_len, plen, e->nparam * sizeof(plen[0]));
	}
	if (best != NULL) {
		m->entry = best;
		m->allow[0] = '\0';
		return 0;
	}
	return any_path ? 405 : 404;
}

ssize_t
http_router_decode(char *dst, size_t cap, const char *raw, size_t len,
    int plus)
{
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)raw[i];
		if (c == '%') {
			if (len - i < 3 ||
			    http__router_hex((unsigned char)raw[i + 1]) < 0 ||
			    http__router_hex((unsigned char)raw[i + 2]) < 0)
				return -EBADMSG;
			c = http__router_unescape(raw + i);
			if (c == '\0')
				return -EBADMSG;
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		else if (c == '\0')
			return -EBADMSG;
		if (o + 1 >= cap)
			return -ENOSPC;
		dst[o++] = (char)c;
	}
	if (o >= cap)
		return -ENOSPC;
	dst[o] = '\0';
	return (ssize_t)o;
}

/* ---- queries ------------------------------------------------------------ */

size_t
http_query_size(const char *q, size_t *npairs)
{
	size_t n = 1, len = 0;

	for (; q[len] != '\0'; len++)
		if (q[len] == '&')
			n++;
	if (npairs != NULL)
		*npairs = len == 0 ? 0 : n;
	/* Each pair's bytes decode to no more, plus two NULs; a pair without
	 * '=' has one byte fewer than it writes, but its '&' makes up. */
	return len + 2 * n + 1;
}

ssize_t
http_query_decode(const char *q, char *dst, size_t cap, const char **keys,
    const char **vals, size_t max)
{
	const char *p, *amp, *eq;
	size_t n = 0, o = 0, klen, vlen;
	ssize_t len;

	for (p = q; *p != '\0'; p = *amp != '\0' ? amp + 1 : amp) {
		amp = strchr(p, '&');
		if (amp == NULL)
			amp = p + strlen(p);
		if (amp == p)
			continue;		/* "a&&b": no pair */
		if (n == max)
			return -E2BIG;
		eq = memchr(p, '=', (size_t)(amp - p));
		klen = (size_t)((eq != NULL ? eq : amp) - p);
		vlen = eq != NULL ? (size_t)(amp - eq - 1) : 0;
		if (o > cap)
			return -ENOSPC;
		if ((len = http_router_decode(dst + o, cap - o, p, klen, 1)) < 0)
			return len;
		keys[n] = dst + o;
		o += (size_t)len + 1;
		if (o > cap)
			return -ENOSPC;
		if ((len = http_router_decode(dst + o, cap - o, eq != NULL ?
		    eq + 1 : "", vlen, 1)) < 0)
			return len;
		vals[n] = dst + o;
		o += (size_t)len + 1;
		n++;
	}
	return (ssize_t)n;
}
