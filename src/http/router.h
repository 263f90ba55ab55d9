/*
 * router.h - route patterns and their matching: pure (no I/O, no runtime),
 * like the parser, so it is unit tested and fuzzed alone.
 *
 * A router is a list of entries, each a method (or any) and a compiled
 * pattern, carrying an opaque pointer for its owner (the server's route).
 * Patterns are checked when added; matching takes the raw, still
 * percent-encoded path of a request and allocates nothing: parameters come
 * back as slices of that path, decoded later by http_router_decode() into
 * the caller's memory.  See router.c for the rules.
 */
#ifndef ASYNCD_HTTP_ROUTER_H
#define ASYNCD_HTTP_ROUTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTP_PATTERN_MAX	512	/* bytes of a pattern, prefix included */
#define HTTP_PARAMS_MAX		16	/* parameters of one pattern */
#define HTTP_SEGMENT_MAX	4096	/* decoded bytes of one path segment:
					   past it the path is 400 */
#define HTTP_ALLOW_MAX		256	/* the Allow header's value for 405 */

/* A segment of a compiled pattern. */
enum http_seg_kind {
	HTTP_SEG_TAIL = 0,	/* {name...}: the rest of the path */
	HTTP_SEG_PARAM = 1,	/* {name}: one whole segment */
	HTTP_SEG_LITERAL = 2	/* text, decoded */
};

struct http_seg {
	uint16_t	 off, len;	/* in the pattern text: the literal, or
					   the name inside the braces */
	uint8_t		 kind;		/* enum http_seg_kind */
};

/* One route.  Owned by its router; ro for others. */
struct http_router_entry {
	char		*method;	/* NULL: any method */
	int		 method_id;	/* parser.h's HTTP_M_*, HTTP_M_OTHER */
	char		*pattern;	/* as added, NUL-terminated */
	struct http_seg	*segs;
	uint16_t	 nseg;
	uint16_t	 nparam;	/* {name} and {name...} */
	uint16_t	 param_seg[HTTP_PARAMS_MAX];	/* segment of each */
	unsigned char	 first;		/* the first segment's first byte, if
					   it is a literal; else 0 */
	void		*data;		/* the owner's */
	const char	*file;		/* where it was added, for messages */
	int		 line;
};

/* Owned by its creator; http_router_free() frees what it holds. */
struct http_router {
	struct http_router_entry **e;
	size_t		 n, cap;
};

/* The result of a match. */
struct http_router_match {
	const struct http_router_entry *entry;	/* set when 0 */
	/* Raw slices of the path, one per parameter of entry, in the order
	 * of the pattern. */
	uint32_t	 param_off[HTTP_PARAMS_MAX];
	uint32_t	 param_len[HTTP_PARAMS_MAX];
	char		 allow[HTTP_ALLOW_MAX];	/* 405: "GET, HEAD, POST" */
};

void	http_router_init(struct http_router *r);
void	http_router_free(struct http_router *r);

/*
 * Adds a route.  method is a token or NULL for any (copied); pattern is
 * checked and copied; data is the caller's.  Returns 0, -EINVAL (a bad
 * method or pattern), -EEXIST (another route of the same method matches
 * the same paths) or -ENOMEM, with the reason in err (the clashing route's
 * pattern and, when known, where it was added).
 */
int	http_router_add(struct http_router *r, const char *method,
	    const char *pattern, void *data, const char *file, int line,
	    char *err, size_t errlen);

/*
 * Matches a request: method (len bytes) and method_id (HTTP_M_*), the raw
 * path (len bytes: percent-encoded, no query; empty means "/").  Returns 0
 * (m->entry set, parameters sliced), 404, 405 (m->allow listing the
 * methods that would match), or 400 for a malformed path: not starting
 * with '/', a bad %XX escape, an encoded NUL, a segment decoding to
 * HTTP_SEGMENT_MAX bytes or more.  Allocates nothing.
 */
int	http_router_match(const struct http_router *r, const char *method,
	    size_t mlen, int method_id, const char *path, size_t len,
	    struct http_router_match *m);

/*
 * Percent-decodes raw (len bytes, already checked by a match) into dst,
 * cap bytes with room for a NUL: the decoded length, or -ENOSPC.  With
 * plus set, '+' becomes a space (for queries).  A bad escape or %00 is
 * -EBADMSG (for queries, which no match has checked).
 */
ssize_t	http_router_decode(char *dst, size_t cap, const char *raw, size_t len,
	    int plus);

/*
 * A query string (q, NUL-terminated, without its '?'): pairs separated by
 * '&' (empty ones skipped: "a&&b"), key and value split at the first '='
 * (no '=': an empty value), each with '+' and %XX decoded.  Writes every
 * key and value, NUL-terminated, into dst (cap bytes: http_query_size(q)
 * is always enough) and their addresses into keys[i] and vals[i], in
 * order, for at most max pairs.  Returns the number of pairs, -E2BIG past
 * max, -EBADMSG for a bad escape or %00, or -ENOSPC.
 */
ssize_t	http_query_decode(const char *q, char *dst, size_t cap,
	    const char **keys, const char **vals, size_t max);
/* Bytes http_query_decode may write for q; its pairs at most in *npairs. */
size_t	http_query_size(const char *q, size_t *npairs);

/* Whether s (n bytes) is an HTTP token (RFC 9110 §5.6.2); http_tchar[c]
 * is 1 for the bytes a token may hold. */
int	http_token(const char *s, size_t n);
extern const unsigned char http_tchar[256];

#endif /* ASYNCD_HTTP_ROUTER_H */
