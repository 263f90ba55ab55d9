/*
 * test-http-parser.c - src/http/parser.c against RFC 9112, one row per rule.
 *
 * Each row of vectors[] is { bytes, verdict, rule } plus, for accepted
 * requests, the fields the head must yield and the body it must decode to.
 * The verdict is that of the whole message: the head's status if the head
 * fails, else the body's (HTTP_DONE, HTTP_AGAIN for a truncated one, or a
 * status).  Every row runs three ways that must agree byte for byte:
 *   - whole;
 *   - one byte more per call (1, 2, ..., n), which is how a slow client
 *     arrives and what a rescan-from-start parser would make quadratic;
 *   - split in two at every position k.
 * Each call gets a fresh buffer of exactly the bytes revealed so far, so a
 * read past them is an ASan report, not a silent pass.
 *
 * Rows marked SMALL run with tiny limits (SMALL_LIMITS) so the 413/414/431
 * boundaries fit in a literal; the default-limit boundaries are separate
 * tests below, as are pipelining, the error state and the body API.
 * Responses (response mode: the status line, the same field and framing
 * rules, RFC 9112 §6.3's bodies) have their own rows, run the same ways.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parser.h"

#define SMALL_LIMITS { .max_line = 32, .max_head = 128, .max_headers = 4, \
	.max_trailer = 32, .max_chunk_line = 16, .max_body = 16 }

struct vec {
	const char	*in;
	size_t		len;
	int		status;		/* verdict of head + body */
	const char	*rule;
	int		small;		/* SMALL_LIMITS instead of the defaults */
	/* checked when set (HTTP_DONE head only) */
	const char	*method, *path, *query, *host, *body, *hval;
	int		version;	/* 10 or 11 */
	char		ka, te, expect;	/* 'y' or 'n' */
	long long	cl;		/* Content-Length + 1 */
	int		form;		/* enum http_target_form + 1 */
	unsigned	start;		/* request start + 1 */
};

#define V(s, st, why, ...) \
	{ .in = (s), .len = sizeof(s) - 1, .status = (st), .rule = (why), __VA_ARGS__ }
#define DONE	HTTP_DONE
#define AGAIN	HTTP_AGAIN
#define SMALL	.small = 1
#define CLEN(n)	.cl = (n) + 1LL
#define FORM(f)	.form = (f) + 1

#define RL	"GET / HTTP/1.1\r\n"
#define H	"Host: a\r\n"
#define REQ(hdrs)	RL H hdrs "\r\n"
#define POST	"POST / HTTP/1.1\r\nHost: a\r\n"
#define TE	"Transfer-Encoding: chunked\r\n"
#define CHUNKED(body)	POST TE "\r\n" body
#define A10	"aaaaaaaaaa"
#define B32	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const struct vec vectors[] = {
	/* ---- valid requests: what the head must yield ---- */
	V(REQ(""), DONE, "RFC 9112 §3: minimal HTTP/1.1 request",
	    .method = "GET", .path = "/", .host = "a", .version = 11, .ka = 'y',
	    .te = 'n', .expect = 'n', FORM(HTTP_FORM_ORIGIN), .start = 1),
	V("GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\n\r\n", DONE,
	    "RFC 9112 §3.2.1: origin-form splits path and query",
	    .path = "/a/b", .query = "x=1&y=2", .host = "example.com"),
	V("GET /? HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9112 §3.2.1: empty query", .path = "/", .query = ""),
	V("GET /a?b?c HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 3986 §3.4: '?' may appear inside the query",
	    .path = "/a", .query = "b?c"),
	V("GET /%41%20b;p=1 HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 3986 §2.1: percent-encoding passes through undecoded",
	    .path = "/%41%20b;p=1"),
	V("GET / HTTP/1.0\r\n\r\n", DONE,
	    "RFC 9112 §3.2: Host not required in HTTP/1.0; §9.3 close by default",
	    .version = 10, .ka = 'n'),
	V("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", DONE,
	    "RFC 9112 §9.3: HTTP/1.0 keep-alive by Connection", .ka = 'y'),
	V("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", DONE,
	    "RFC 9110 §7.6.1: connection options are case-insensitive", .ka = 'y'),
	V("GET / HTTP/1.0\r\nConnection: ,, keep-alive ,\r\n\r\n", DONE,
	    "RFC 9110 §5.6.1: empty list elements are ignored", .ka = 'y'),
	V("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
	    DONE, "RFC 9112 §9.6: close wins over keep-alive", .ka = 'n'),
	V(REQ("Connection: close\r\n"), DONE,
	    "RFC 9112 §9.6: close ends persistence", .ka = 'n'),
	V(REQ("Connection: CLOSE\r\n"), DONE,
	    "RFC 9110 §7.6.1: close, any case", .ka = 'n'),
	V(REQ("Connection: keep-alive, close\r\n"), DONE,
	    "RFC 9112 §9.6: close in a list", .ka = 'n'),
	V(REQ("Connection: Upgrade\r\n"), DONE,
	    "RFC 9112 §9.3: HTTP/1.1 persists by default", .ka = 'y'),
	V(REQ("Connection: clo se\r\n"), 400,
	    "RFC 9110 §7.6.1: Connection is a list of tokens"),
	V("GET / HTTP/1.2\r\n" H "\r\n", DONE,
	    "RFC 9110 §6.2: HTTP/1.x (x > 1) is handled as 1.1", .version = 11),
	V("GET / HTTP/1.9\r\n" H "\r\n", DONE,
	    "RFC 9110 §6.2: HTTP/1.9 is 1.1", .version = 11, .ka = 'y'),
	V("get / HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9110 §9.1: methods are case-sensitive tokens: kept as sent",
	    .method = "get"),
	V("PROPFIND /d HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9110 §9.1: any token is a method", .method = "PROPFIND"),
	V("M-SEARCH!#$%&'+.^_`|~ / HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9110 §5.6.2: every tchar in a method"),
	V("OPTIONS * HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9112 §3.2.4: asterisk-form for OPTIONS",
	    FORM(HTTP_FORM_ASTERISK), .method = "OPTIONS"),
	V("OPTIONS /x HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9112 §3.2.1: OPTIONS with origin-form", .path = "/x"),
	V("GET http://example.com/p?q HTTP/1.1\r\nHost: other\r\n\r\n", DONE,
	    "RFC 9112 §3.2.2: absolute-form; its authority overrides Host",
	    FORM(HTTP_FORM_ABSOLUTE), .host = "example.com", .path = "/p",
	    .query = "q"),
	V("GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n", DONE,
	    "RFC 9112 §3.2.2: absolute-form with an empty path",
	    .host = "example.com", .path = ""),
	V("GET HTTP://EXAMPLE.com:80/ HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 3986 §3.1: the scheme is case-insensitive",
	    .host = "EXAMPLE.com:80", .path = "/"),
	V("GET https://a:443/x HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9112 §3.2.2: https absolute-form", .host = "a:443"),
	V("GET http://[::1]:8080/ HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 3986 §3.2.2: IP-literal authority", .host = "[::1]:8080"),
	V("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
	    DONE, "RFC 9112 §3.2.3: authority-form for CONNECT",
	    FORM(HTTP_FORM_AUTHORITY), .host = "example.com:443"),
	V("CONNECT [::1]:443 HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9112 §3.2.3: CONNECT to an IP-literal", .host = "[::1]:443"),
	V("\r\nGET / HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9112 §2.2: one empty line before the request is ignored",
	    .start = 3),
	V("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9112 §2.2: up to HTTP_MAX_EMPTY_LINES (4) ignored", .start = 9),
	V(REQ("X: \x80\xff\r\n"), DONE,
	    "RFC 9110 §5.5: obs-text allowed in values", .hval = "\x80\xff"),
	V(REQ("X: a\tb\r\n"), DONE, "RFC 9110 §5.5: HTAB inside a value",
	    .hval = "a\tb"),
	V(REQ("X:   a b  \t\r\n"), DONE, "RFC 9112 §5: OWS around a value trimmed",
	    .hval = "a b"),
	V(REQ("X:a\r\n"), DONE, "RFC 9112 §5: OWS is optional", .hval = "a"),
	V(REQ("X:\r\n"), DONE, "RFC 9110 §5.5: empty value", .hval = ""),
	V(REQ("X: \t \r\n"), DONE, "RFC 9112 §5: all-OWS value is empty",
	    .hval = ""),
	V(REQ("X-!#$%&'*+.^_`|~09: v\r\n"), DONE,
	    "RFC 9110 §5.1: every tchar in a field name", .hval = "v"),
	V(RL "host: a\r\n\r\n", DONE, "RFC 9110 §5.1: field names case-insensitive",
	    .host = "a"),
	V(RL "HOST: a\r\n\r\n", DONE, "RFC 9110 §5.1: HOST", .host = "a"),
	V(RL "Host: \ta:80\t\r\n\r\n", DONE, "RFC 9110 §7.2: Host with port",
	    .host = "a:80"),
	V(RL "Host: a:\r\n\r\n", DONE, "RFC 3986 §3.2.3: port may be empty",
	    .host = "a:"),
	V(RL "Host: [::1]\r\n\r\n", DONE, "RFC 3986 §3.2.2: IP-literal Host",
	    .host = "[::1]"),
	V(RL "Host: xn--bcher-kva.example\r\n\r\n", DONE,
	    "RFC 3986 §3.2.2: reg-name", .host = "xn--bcher-kva.example"),
	V(REQ("Expect: 100-continue\r\nContent-Length: 2\r\n") "hi", DONE,
	    "RFC 9110 §10.1.1: Expect: 100-continue", .expect = 'y', .body = "hi"),
	V(REQ("Expect: 100-Continue\r\nContent-Length: 0\r\n"), DONE,
	    "RFC 9110 §10.1.1: the expectation is case-insensitive", .expect = 'y'),
	V("GET / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", DONE,
	    "RFC 9110 §10.1.1: ignored in HTTP/1.0", .expect = 'n'),
	V(REQ("Transfer_Encoding: chunked\r\n") "5\r\nhello\r\n0\r\n\r\n", DONE,
	    "RFC 9112 §6.3: an unknown field does not frame the body",
	    .te = 'n', .body = ""),

	/* ---- request line (RFC 9112 §3) ---- */
	V("GET / HTTP/2.0\r\n" H "\r\n", 505, "RFC 9110 §15.6.6: major version 2"),
	V("GET / HTTP/3.0\r\n" H "\r\n", 505, "RFC 9110 §15.6.6: major version 3"),
	V("GET / HTTP/0.9\r\n" H "\r\n", 505, "RFC 9110 §15.6.6: major version 0"),
	V("GET / HTTP/9.9\r\n" H "\r\n", 505, "RFC 9110 §15.6.6: major version 9"),
	V("GET / HTTP/1.11\r\n" H "\r\n", 400, "RFC 9112 §2.3: one minor digit"),
	V("GET / HTTP/10.0\r\n" H "\r\n", 400, "RFC 9112 §2.3: one major digit"),
	V("GET / HTTP/1\r\n" H "\r\n", 400, "RFC 9112 §2.3: minor missing"),
	V("GET / HTTP/1.\r\n" H "\r\n", 400, "RFC 9112 §2.3: minor digit missing"),
	V("GET / HTTP/1,1\r\n" H "\r\n", 400, "RFC 9112 §2.3: '.' required"),
	V("GET / HTTP/a.1\r\n" H "\r\n", 400, "RFC 9112 §2.3: DIGIT required"),
	V("GET / http/1.1\r\n" H "\r\n", 400, "RFC 9112 §2.3: HTTP-name is case-sensitive"),
	V("GET / HTTPS/1.1\r\n" H "\r\n", 400, "RFC 9112 §2.3: HTTP-name"),
	V("GET / HTTP/1.1 \r\n" H "\r\n", 400, "RFC 9112 §3: nothing after the version"),
	V("GET / HTTP/1.1 x\r\n" H "\r\n", 400, "RFC 9112 §3: three parts only"),
	V("GET /\r\n" H "\r\n", 400, "RFC 9112 §3: HTTP/0.9 simple request"),
	V("GET\r\n\r\n", 400, "RFC 9112 §3: method alone"),
	V("G@T / HTTP/1.1\r\n" H "\r\n", 400, "RFC 9110 §9.1: '@' is not a tchar"),
	V("GE(T / HTTP/1.1\r\n" H "\r\n", 400, "RFC 9110 §5.6.2: '(' is a delimiter"),
	V("GET\t/ HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3: HTAB is not the SP separator"),
	V("GET /\tHTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3: HTAB before the version"),
	V("GET  / HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3: exactly one SP after the method"),
	V("GET /  HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3: exactly one SP before the version"),
	V(" GET / HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3: no leading whitespace"),
	V("GET / HTTP/1.1\t\r\n" H "\r\n", 400, "RFC 9112 §3: no trailing whitespace"),
	V("\x00GET / HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3: NUL before the method"),
	V("GET /a b HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2: SP inside the target"),
	V("GET /a\tb HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2: HTAB inside the target"),
	V("GET /a\x01" "b HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2: CTL inside the target"),
	V("GET /a\x7f" "b HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2: DEL inside the target"),
	V("GET /a\x00" "b HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2: NUL inside the target"),
	V("GET /caf\xc3\xa9 HTTP/1.1\r\n" H "\r\n", 400, "RFC 3986 §2: raw non-ASCII must be percent-encoded"),
	V("GET /a#frag HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.1: no fragment in a request-target"),
	V("GET /a\rb HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §2.2: bare CR in the request line"),
	V("GET a HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2: not one of the four forms"),
	V("GET * HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.4: asterisk-form is for OPTIONS only"),
	V("OPTIONS *x HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.4: asterisk-form is '*' alone"),
	V("GET http://u@a/ HTTP/1.1\r\n" H "\r\n", 400, "RFC 9110 §4.2.4: userinfo in an http URI"),
	V("GET http:///x HTTP/1.1\r\n" H "\r\n", 400, "RFC 9110 §4.2.1: empty host in an http URI"),
	V("GET http:// HTTP/1.1\r\n" H "\r\n", 400, "RFC 9110 §4.2.1: http URI without a host"),
	V("GET ftp://a/ HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.2: only http and https here"),
	V("GET http:/a HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.2: absolute-form needs '//'"),
	V("CONNECT example.com HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.3: authority-form needs a port"),
	V("CONNECT /x HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.3: CONNECT takes authority-form only"),
	V("CONNECT a:443/x HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.3: no path in authority-form"),
	V("CONNECT u@a:443 HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.3: no userinfo in authority-form"),
	V("GET example.com:443 HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §3.2.3: authority-form only for CONNECT"),
	V("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §2.2: too many leading empty lines"),
	V("\nGET / HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §2.2: a bare LF is not an empty line"),
	V("\r\rGET / HTTP/1.1\r\n" H "\r\n", 400, "RFC 9112 §2.2: bare CR before the request"),
	V("GET / HTTP/1.1\n" H "\r\n", 400, "RFC 9112 §2.2: bare LF ends the request line"),

	/* ---- field lines (RFC 9112 §5) ---- */
	V(RL "Host : a\r\n\r\n", 400, "RFC 9112 §5.1: SP between name and colon"),
	V(RL "Host\t: a\r\n\r\n", 400, "RFC 9112 §5.1: HTAB between name and colon"),
	V(REQ("X Y: a\r\n"), 400, "RFC 9110 §5.1: SP inside a field name"),
	V(REQ(": a\r\n"), 400, "RFC 9110 §5.1: empty field name"),
	V(REQ("X\r\n"), 400, "RFC 9112 §5: field line without a colon"),
	V(REQ("X(: a\r\n"), 400, "RFC 9110 §5.1: '(' in a field name"),
	V(REQ("X@: a\r\n"), 400, "RFC 9110 §5.1: '@' in a field name"),
	V(REQ("X\xc3\xa9: a\r\n"), 400, "RFC 9110 §5.1: non-ASCII in a field name"),
	V(REQ("X\x00: a\r\n"), 400, "RFC 9110 §5.1: NUL in a field name"),
	V(REQ("X: a\r\n b\r\n"), 400, "RFC 9112 §5.2: obs-fold with SP"),
	V(REQ("X: a\r\n\tb\r\n"), 400, "RFC 9112 §5.2: obs-fold with HTAB"),
	V(RL " Host: a\r\n\r\n", 400, "RFC 9112 §2.2: whitespace before the first field line"),
	V(REQ("X: a\rb\r\n"), 400, "RFC 9112 §2.2: bare CR in a value"),
	V(REQ("X: a\r\r\n"), 400, "RFC 9112 §2.2: CR CR LF"),
	V(RL H "X: a\nTransfer-Encoding: chunked\r\n\r\n", 400, "RFC 9112 §2.2: bare LF ends a field line"),
	V(RL H "\n", 400, "RFC 9112 §2.2: bare LF as the blank line"),
	V(RL H "\r\r\n", 400, "RFC 9112 §2.2: CR CR LF as the blank line"),
	V(REQ("X: a\x00" "b\r\n"), 400, "RFC 9110 §5.5: NUL in a value"),
	V(REQ("X: a\x01" "b\r\n"), 400, "RFC 9110 §5.5: CTL 0x01 in a value"),
	V(REQ("X: a\x1f\r\n"), 400, "RFC 9110 §5.5: CTL 0x1f in a value"),
	V(REQ("X: a\x7f\r\n"), 400, "RFC 9110 §5.5: DEL in a value"),
	V(REQ("X: \x0b" "a\r\n"), 400, "RFC 9110 §5.5: VT is not OWS"),
	V(REQ("X: \x0c" "a\r\n"), 400, "RFC 9110 §5.5: FF is not OWS"),

	/* ---- Host (RFC 9112 §3.2) ---- */
	V(RL "\r\n", 400, "RFC 9112 §3.2: Host missing in HTTP/1.1"),
	V(RL H "Host: a\r\n\r\n", 400, "RFC 9112 §3.2: Host twice, same value"),
	V(RL H "Host: b\r\n\r\n", 400, "RFC 9112 §3.2: Host twice"),
	V("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400, "RFC 9112 §3.2: Host twice in HTTP/1.0"),
	V("GET http://a/ HTTP/1.1\r\n\r\n", 400, "RFC 9112 §3.2: Host required with absolute-form too"),
	V(RL "Host:\r\n\r\n", 400, "RFC 9110 §4.2.1: empty host for an http target"),
	V(RL "Host: a b\r\n\r\n", 400, "RFC 9110 §7.2: SP inside Host"),
	V(RL "Host: u@a\r\n\r\n", 400, "RFC 9110 §4.2.4: userinfo in Host"),
	V(RL "Host: :80\r\n\r\n", 400, "RFC 3986 §3.2.2: port without a host"),
	V(RL "Host: a:8x\r\n\r\n", 400, "RFC 3986 §3.2.3: port is digits"),
	V(RL "Host: a:123456\r\n\r\n", 400, "RFC 3986 §3.2.3: port too long"),
	V(RL "Host: [::1\r\n\r\n", 400, "RFC 3986 §3.2.2: unclosed IP-literal"),
	V(RL "Host: a/b\r\n\r\n", 400, "RFC 9110 §7.2: path in Host"),
	V(RL "Host: a,b\r\n\r\n", DONE, "RFC 3986 §3.2.2: ',' is a sub-delim", .host = "a,b"),

	/* ---- Content-Length (RFC 9110 §8.6, RFC 9112 §6.3) ---- */
	V(REQ("Content-Length: 5\r\n") "hello", DONE, "RFC 9112 §6.2: Content-Length body",
	    CLEN(5), .body = "hello", .te = 'n'),
	V(REQ("Content-Length: 0\r\n"), DONE, "RFC 9112 §6.2: zero length", CLEN(0), .body = ""),
	V(REQ("Content-Length: 005\r\n") "hello", DONE, "RFC 9110 §8.6: 1*DIGIT allows leading zeros",
	    CLEN(5), .body = "hello"),
	V(REQ("Content-Length:  5 \r\n") "hello", DONE, "RFC 9112 §5: OWS around the value",
	    CLEN(5), .body = "hello"),
	V(REQ("Content-Length: 5\r\n") "hel", AGAIN, "RFC 9112 §6.2: body incomplete", CLEN(5)),
	V(REQ("Content-Length: 3\r\n") "abcGET", DONE, "RFC 9112 §6.2: body ends at the count",
	    .body = "abc"),
	V(REQ("Content-Length: 5\r\nContent-Length: 5\r\n") "hello", 400,
	    "RFC 9112 §6.3: duplicate Content-Length, even equal"),
	V(REQ("Content-Length: 5\r\nContent-Length: 6\r\n") "hello!", 400,
	    "RFC 9112 §6.3: differing Content-Length"),
	V(REQ("Content-Length: 5, 5\r\n") "hello", 400, "RFC 9112 §6.3: Content-Length list"),
	V(REQ("Content-Length: 5,5\r\n") "hello", 400, "RFC 9112 §6.3: Content-Length list, no OWS"),
	V(REQ("Content-Length: +5\r\n") "hello", 400, "RFC 9110 §8.6: no sign"),
	V(REQ("Content-Length: -1\r\n"), 400, "RFC 9110 §8.6: negative length"),
	V(REQ("Content-Length: 5 5\r\n") "hello", 400, "RFC 9110 §8.6: SP inside the digits"),
	V(REQ("Content-Length: 0x5\r\n") "hello", 400, "RFC 9110 §8.6: no hex"),
	V(REQ("Content-Length: 5a\r\n") "hello", 400, "RFC 9110 §8.6: trailing junk"),
	V(REQ("Content-Length: 5.0\r\n") "hello", 400, "RFC 9110 §8.6: no decimals"),
	V(REQ("Content-Length:\r\n"), 400, "RFC 9110 §8.6: empty Content-Length"),
	V(REQ("Content-Length: 9223372036854775808\r\n"), 400,
	    "RFC 9112 §6.3: length past 2^63 - 1 is invalid"),
	V(REQ("Content-Length: 99999999999999999999999\r\n"), 400,
	    "RFC 9112 §6.3: overflowing length"),
	V(REQ("Content-Length: 9223372036854775807\r\n"), 413,
	    "RFC 9110 §15.5.14: length over the body limit, before reading"),
	V(REQ("Content-Length: 1048577\r\n"), 413,
	    "RFC 9110 §15.5.14: default limit 1 MiB + 1"),
	V(REQ("Content-Length: 1048576\r\n"), AGAIN,
	    "RFC 9110 §15.5.14: exactly the limit is allowed", CLEN(1048576)),
	V(REQ("Content-Length: 16\r\n") "0123456789abcdef", DONE,
	    "RFC 9110 §15.5.14: SMALL body limit 16", SMALL, .body = "0123456789abcdef"),
	V(REQ("Content-Length: 17\r\n"), 413, "RFC 9110 §15.5.14: SMALL limit + 1", SMALL),

	/* ---- Transfer-Encoding and smuggling (RFC 9112 §6.1, §6.3) ---- */
	V(CHUNKED("5\r\nhello\r\n0\r\n\r\n"), DONE, "RFC 9112 §7.1: chunked body",
	    .te = 'y', .body = "hello"),
	V(POST "Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", DONE,
	    "RFC 9112 §7: coding names are case-insensitive", .te = 'y'),
	V(POST "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", DONE,
	    "RFC 9112 §5: HTAB is OWS", .te = 'y'),
	V(POST "Transfer-Encoding: chunked \t\r\n\r\n0\r\n\r\n", DONE,
	    "RFC 9112 §5: trailing OWS", .te = 'y'),
	V(POST "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §5.1: TE.TE obfuscation with SP before colon"),
	V(POST "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.3: final coding is not chunked"),
	V(POST "Transfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.3: final coding is not chunked (suffix)"),
	V(POST "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.3: chunked must be the final coding"),
	V(POST "Transfer-Encoding: identity\r\n\r\n", 400,
	    "RFC 9112 §6.3: identity alone is not chunked"),
	V(POST "Transfer-Encoding: gzip\r\n\r\n", 400,
	    "RFC 9112 §6.3: a request whose final coding is not chunked"),
	V(POST "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
	    "RFC 9112 §6.1: unimplemented coding before chunked"),
	V(POST "Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n", 501,
	    "RFC 9112 §6.1: identity is not a registered coding"),
	V(POST "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501,
	    "RFC 9110 §5.3: field lines combine into one list"),
	V(POST "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.1: chunked applied twice"),
	V(POST TE TE "\r\n0\r\n\r\n", 400, "RFC 9112 §6.1: chunked twice over two lines"),
	V(POST TE "Transfer-Encoding: gzip\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.3: a later line makes the final coding gzip"),
	V(POST "Transfer-Encoding:\r\n\r\n", 400, "RFC 9112 §6.1: empty Transfer-Encoding"),
	V(POST "Transfer-Encoding: ,chunked\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.1: empty coding element"),
	V(POST "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §7.1: chunked has no parameters"),
	V(POST "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9110 §10.1.4: a coding is a token, not a quoted string"),
	V(POST "Transfer-Encoding: chunked\x0b\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9110 §5.5: VT after chunked"),
	V(POST "Transfer-Encoding\r\n : chunked\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §5.2: TE split by obs-fold"),
	V(POST "Content-Length: 6\r\n" TE "\r\n0\r\n\r\nG", 400,
	    "RFC 9112 §6.3: CL.TE smuggling: both framings"),
	V(POST TE "Content-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.3: TE.CL smuggling: both framings"),
	V(POST TE "Content-Length: 0\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.3: TE with CL 0"),
	V("POST / HTTP/1.0\r\n" TE "\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request"),
	V(POST "X: a\r\n Transfer-Encoding: chunked\r\n\r\n", 400,
	    "RFC 9112 §5.2: TE hidden in obs-fold"),
	V(POST "X: a\rTransfer-Encoding: chunked\r\n\r\n", 400,
	    "RFC 9112 §2.2: TE after a bare CR (CVE-2023-30589)"),
	V(POST "X: a\nTransfer-Encoding: chunked\r\n\r\n", 400,
	    "RFC 9112 §2.2: TE after a bare LF (CVE-2022-32214)"),

	/* ---- chunked framing (RFC 9112 §7.1) ---- */
	V(CHUNKED("2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n"), DONE, "RFC 9112 §7.1: two chunks",
	    .body = "hello"),
	V(CHUNKED("A\r\n0123456789\r\n0\r\n\r\n"), DONE, "RFC 9112 §7.1: upper-case HEXDIG",
	    .body = "0123456789"),
	V(CHUNKED("a\r\n0123456789\r\n0\r\n\r\n"), DONE, "RFC 9112 §7.1: lower-case HEXDIG",
	    .body = "0123456789"),
	V(CHUNKED("0005\r\nhello\r\n0\r\n\r\n"), DONE, "RFC 9112 §7.1: leading zeros",
	    .body = "hello"),
	V(CHUNKED("00000000000000000001\r\nx\r\n0\r\n\r\n"), DONE,
	    "RFC 9112 §7.1: 20 digits, small value", .body = "x"),
	V(CHUNKED("000\r\n\r\n"), DONE, "RFC 9112 §7.1: last-chunk 000", .body = ""),
	V(CHUNKED("5;a=b\r\nhello\r\n0\r\n\r\n"), DONE, "RFC 9112 §7.1.1: chunk extension",
	    .body = "hello"),
	V(CHUNKED("5 ; a = b\r\nhello\r\n0\r\n\r\n"), DONE, "RFC 9112 §7.1.1: BWS in extensions",
	    .body = "hello"),
	V(CHUNKED("5;a=\"q \\\" v\"\r\nhello\r\n0\r\n\r\n"), DONE,
	    "RFC 9112 §7.1.1: quoted-string extension value", .body = "hello"),
	V(CHUNKED("5;a;b=c\r\nhello\r\n0;z\r\n\r\n"), DONE,
	    "RFC 9112 §7.1.1: extensions without values", .body = "hello"),
	V(CHUNKED("0\r\nX: y\r\nZ: w\r\n\r\n"), DONE, "RFC 9112 §7.1.2: trailer section",
	    .body = ""),
	V(CHUNKED("5\r\nhel"), AGAIN, "RFC 9112 §7.1: chunk incomplete"),
	V(CHUNKED("5\r\nhello\r\n0\r\n"), AGAIN, "RFC 9112 §7.1: final CRLF missing"),
	V(CHUNKED("0x5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: '0x' prefix"),
	V(CHUNKED(" 5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: leading SP in chunk-size"),
	V(CHUNKED("5 \r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: trailing SP without extension"),
	V(CHUNKED("+5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: sign in chunk-size"),
	V(CHUNKED("-5\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: negative chunk-size"),
	V(CHUNKED("\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: empty chunk-size"),
	V(CHUNKED("g\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: non-hex chunk-size"),
	V(CHUNKED("5g\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: junk after chunk-size"),
	V(CHUNKED("5\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: bare LF after chunk-size"),
	V(CHUNKED("5\rXhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: bare CR after chunk-size"),
	V(CHUNKED("5;a=b\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1: chunk-ext ended by bare LF"),
	V(CHUNKED("5;a\rb\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1: bare CR in chunk-ext"),
	V(CHUNKED("5;\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1: ';' without a name"),
	V(CHUNKED("5;=b\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1: empty ext-name"),
	V(CHUNKED("5;a=\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1: empty ext-val"),
	V(CHUNKED("5;a=\"x\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1: unterminated quoted ext-val"),
	V(CHUNKED("5;a=b c\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1: SP inside ext-val"),
	V(CHUNKED("5;a=\x01\r\nhello\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1.1: CTL in chunk-ext"),
	V(CHUNKED("5\r\nhelloX\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: no CRLF after chunk-data"),
	V(CHUNKED("5\r\nhello\n0\r\n\r\n"), 400, "RFC 9112 §7.1: bare LF after chunk-data"),
	V(CHUNKED("5\r\nhello\r0\r\n\r\n"), 400, "RFC 9112 §7.1: bare CR after chunk-data"),
	V(CHUNKED("5\r\nhello\rX0\r\n\r\n"), 400, "RFC 9112 §7.1: CR then junk after chunk-data"),
	V(CHUNKED("5\r\nhello\r\n0\r\n\n"), 400, "RFC 9112 §7.1: bare LF as the final line"),
	V(CHUNKED("8000000000000000\r\n"), 400, "RFC 9112 §7.1: chunk-size of 2^63"),
	V(CHUNKED("10000000000000000\r\nx\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: chunk-size of 2^64 (wraps to 0)"),
	V(CHUNKED("ffffffffffffffffff\r\n"), 400, "RFC 9112 §7.1: chunk-size overflow"),
	V(CHUNKED("7fffffffffffffff\r\n"), 413, "RFC 9110 §15.5.14: chunk over the body limit"),
	V(CHUNKED("100001\r\n"), 413, "RFC 9110 §15.5.14: 1 MiB + 1 in one chunk"),
	V(CHUNKED("10\r\n0123456789abcdef\r\n0\r\n\r\n"), DONE,
	    "RFC 9110 §15.5.14: SMALL: exactly the limit", SMALL, .body = "0123456789abcdef"),
	V(CHUNKED("11\r\n"), 413, "RFC 9110 §15.5.14: SMALL: chunk over the limit", SMALL),
	V(CHUNKED("8\r\n01234567\r\n9\r\n"), 413,
	    "RFC 9110 §15.5.14: SMALL: the sum of chunks over the limit", SMALL),
	V(CHUNKED("0\r\nX : y\r\n\r\n"), 400, "RFC 9112 §7.1.2: trailer field with SP before colon"),
	V(CHUNKED("0\r\nX: y\n\r\n"), 400, "RFC 9112 §7.1.2: trailer ended by bare LF"),
	V(CHUNKED("0\r\nX: y\r\n z\r\n\r\n"), 400, "RFC 9112 §7.1.2: obs-fold in trailers"),
	V(CHUNKED("0\r\nX: \x00\r\n\r\n"), 400, "RFC 9112 §7.1.2: NUL in a trailer"),
	V(CHUNKED("0\r\nX: ccccccccccccccccccccccccccc\r\n\r\n"), DONE,
	    "RFC 9112 §7.1.2: SMALL: trailer of exactly 32 bytes", SMALL, .body = ""),
	V(CHUNKED("0\r\nX: cccccccccccccccccccccccccccc\r\n\r\n"), 431,
	    "RFC 9112 §7.1.2: SMALL: trailer over 32 bytes", SMALL),
	V(CHUNKED("5;aaaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n"), DONE,
	    "RFC 9112 §7.1.1: SMALL: chunk line of exactly 16", SMALL, .body = "hello"),
	V(CHUNKED("5;aaaaaaaaaaaaaaa\r\nhello\r\n0\r\n\r\n"), 400,
	    "RFC 9112 §7.1.1: SMALL: chunk-ext over the line limit", SMALL),

	/* ---- Expect (RFC 9110 §10.1.1) ---- */
	V(REQ("Expect: foo\r\n"), 417, "RFC 9110 §10.1.1: unknown expectation"),
	V(REQ("Expect: 100-continue, foo\r\n"), 417, "RFC 9110 §10.1.1: extra expectation"),
	V(REQ("Expect: 100-continue\r\nExpect: 200-ok\r\n"), 417,
	    "RFC 9110 §10.1.1: a second, unknown expectation"),

	/* ---- limits: SMALL (line 32, head 128, 4 headers) ---- */
	V("GET /aaaaaaaaaaaaaaaaaa HTTP/1.1\r\n" H "\r\n", DONE,
	    "RFC 9112 §3: SMALL: request line of exactly 32", SMALL),
	V("GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n" H "\r\n", 414,
	    "RFC 9112 §3: SMALL: request line of 33 -> 414", SMALL),
	V("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 414,
	    "RFC 9112 §3: SMALL: 414 before the line ends", SMALL),
	V("GET /aaaaaaaaaaaaaaaaaaa HTTP/1.1\n", 414,
	    "RFC 9112 §3: SMALL: length is judged before the bare LF", SMALL),
	V("GET /aaaaaaaaaaaaaaaaaa HTTP/1.1\n", 400,
	    "RFC 9112 §2.2: SMALL: 32 octets then a bare LF is a 400", SMALL),
	V(RL H "X: " B32 B32 B32 "\r\n\r\n", DONE,
	    "RFC 6585 §5: SMALL: head of exactly 128", SMALL),
	V(RL H "X: " B32 B32 B32 "b\r\n\r\n", 431,
	    "RFC 6585 §5: SMALL: head of 129 -> 431", SMALL),
	V(RL H "X: " B32 B32 B32 B32 B32, 431,
	    "RFC 6585 §5: SMALL: 431 before the head ends", SMALL),
	V(REQ("A: 1\r\nB: 2\r\nC: 3\r\n"), DONE, "RFC 6585 §5: SMALL: 4 field lines", SMALL),
	V(REQ("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), 431,
	    "RFC 6585 §5: SMALL: 5 field lines -> 431", SMALL),

	/* ---- incomplete heads ---- */
	V("", AGAIN, "RFC 9112 §2.1: nothing yet"),
	V("\r", AGAIN, "RFC 9112 §2.2: a CR that may become an empty line"),
	V("GET / HTTP/1.1\r\nHost: a\r\n", AGAIN, "RFC 9112 §2.1: blank line missing"),
	V("GET / HTTP/1.1\r\nHost: a\r\n\r", AGAIN, "RFC 9112 §2.1: blank line half there"),
};

#define NVEC	(sizeof(vectors) / sizeof(vectors[0]))

/* ---- the runner --------------------------------------------------------- */

struct result {
	int			status;
	int			head_done;
	struct http_request	req;
	struct http_header	hdr[HTTP_DEFAULT_MAX_HEADERS];
	char			body[64];
	size_t			body_len;
};

static const struct http_limits small_limits = SMALL_LIMITS;

/* Reveals v->in at the lengths cuts[0] < ... < cuts[n - 1] == v->len. */
static void
run(const struct vec *v, const size_t *cuts, size_t n, struct result *res)
{
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	size_t i, len;
	char *buf;
	int r = HTTP_AGAIN;

	memset(res, 0, sizeof(*res));
	http_parser_init(&p, v->small ? &small_limits : NULL, hdrs);
	for (i = 0; i < n; i++) {
		len = cuts[i];
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, v->in, len);
		if (!res->head_done) {
			r = http_parser_feed(&p, buf, len);
			if (r == HTTP_DONE) {
				res->head_done = 1;
				res->req = p.req;
				memcpy(res->hdr, hdrs, sizeof(hdrs[0]) * p.req.nheaders);
			}
		}
		while (res->head_done) {
			r = http_parser_body(&p, buf, len, &d);
			assert_true(d.len <= sizeof(res->body) - res->body_len);
			memcpy(res->body + res->body_len, buf + d.off, d.len);
			res->body_len += d.len;
			if (r != HTTP_AGAIN || d.len == 0)
				break;
		}
		free(buf);
		if (r != HTTP_AGAIN)
			break;
	}
	res->status = r;
}

static int
slice_eq(const struct vec *v, struct http_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(v->in + s.off, want, s.len) == 0;
}

static void
check_expectations(const struct vec *v, const struct result *r)
{
	const struct http_request *q = &r->req;
	int need_head = v->method || v->path || v->query || v->host ||
	    v->body || v->hval || v->version || v->ka || v->te || v->expect ||
	    v->cl || v->form || v->start;

	if (!need_head)
		return;
	if (!r->head_done)
		fail_msg("head not parsed: %s", v->rule);
	if (v->method && !slice_eq(v, q->method, v->method))
		fail_msg("method: %s", v->rule);
	if (v->path && !slice_eq(v, q->path, v->path))
		fail_msg("path: %s", v->rule);
	if (v->query && (!q->has_query || !slice_eq(v, q->query, v->query)))
		fail_msg("query: %s", v->rule);
	if (!v->query && q->has_query)
		fail_msg("unexpected query: %s", v->rule);
	if (v->host && !slice_eq(v, q->host, v->host))
		fail_msg("host: %s", v->rule);
	if (v->hval && (q->nheaders == 0 ||
	    !slice_eq(v, r->hdr[q->nheaders - 1].value, v->hval)))
		fail_msg("last header value: %s", v->rule);
	if (v->version && q->version != v->version)
		fail_msg("version %d: %s", q->version, v->rule);
	if (v->ka && q->keep_alive != (v->ka == 'y'))
		fail_msg("keep-alive: %s", v->rule);
	if (v->te && q->chunked != (v->te == 'y'))
		fail_msg("chunked: %s", v->rule);
	if (v->expect && q->expect_continue != (v->expect == 'y'))
		fail_msg("expect: %s", v->rule);
	if (v->cl && (!q->has_content_length ||
	    (long long)q->content_length != v->cl - 1))
		fail_msg("content-length: %s", v->rule);
	if (v->form && q->target_form != v->form - 1)
		fail_msg("form: %s", v->rule);
	if (v->start && q->start != v->start - 1)
		fail_msg("start: %s", v->rule);
	if (v->body && (r->body_len != strlen(v->body) ||
	    memcmp(r->body, v->body, r->body_len) != 0))
		fail_msg("body: %s", v->rule);
}

static void
check_same(const struct vec *v, const struct result *a, const struct result *b,
    const char *how, size_t k)
{
	if (a->status != b->status || a->head_done != b->head_done)
		fail_msg("%s at %zu: %d vs %d: %s", how, k, b->status, a->status,
		    v->rule);
	if (a->head_done && (memcmp(&a->req, &b->req,
	    offsetof(struct http_request, headers)) != 0 ||
	    a->req.nheaders != b->req.nheaders ||
	    a->req.head_len != b->req.head_len ||
	    a->req.keep_alive != b->req.keep_alive ||
	    a->req.chunked != b->req.chunked ||
	    memcmp(a->hdr, b->hdr, sizeof(a->hdr[0]) * a->req.nheaders) != 0))
		fail_msg("%s at %zu: head differs: %s", how, k, v->rule);
	if (a->body_len != b->body_len ||
	    memcmp(a->body, b->body, a->body_len) != 0)
		fail_msg("%s at %zu: body differs: %s", how, k, v->rule);
}

static void
test_vectors_whole(void **state)
{
	struct result r;
	size_t i, bad = 0;

	(void)state;
	for (i = 0; i < NVEC; i++) {
		run(&vectors[i], &vectors[i].len, 1, &r);
		if (r.status != vectors[i].status) {
			print_error("row %zu: got %d, want %d: %s\n", i,
			    r.status, vectors[i].status, vectors[i].rule);
			bad++;
			continue;
		}
		check_expectations(&vectors[i], &r);
	}
	assert_int_equal(bad, 0);
}

static void
test_vectors_byte_at_a_time(void **state)
{
	struct result whole, r;
	size_t i, k, cuts[512];

	(void)state;
	for (i = 0; i < NVEC; i++) {
		assert_true(vectors[i].len < 512);
		for (k = 0; k < vectors[i].len; k++)
			cuts[k] = k + 1;
		run(&vectors[i], &vectors[i].len, 1, &whole);
		if (vectors[i].len == 0)
			continue;
		run(&vectors[i], cuts, vectors[i].len, &r);
		check_same(&vectors[i], &whole, &r, "bytewise", i);
	}
}

static void
test_vectors_split_everywhere(void **state)
{
	struct result whole, r;
	size_t i, k, cuts[2];

	(void)state;
	for (i = 0; i < NVEC; i++) {
		run(&vectors[i], &vectors[i].len, 1, &whole);
		for (k = 0; k < vectors[i].len; k++) {
			cuts[0] = k;
			cuts[1] = vectors[i].len;
			run(&vectors[i], cuts, 2, &r);
			check_same(&vectors[i], &whole, &r, "split", k);
		}
	}
}

static void
test_vector_count(void **state)
{
	(void)state;
	assert_true(NVEC >= 150);
	print_message("[ INFO     ] %zu vectors\n", NVEC);
}

/* ---- response mode (RFC 9112 §4, §6.3) ---------------------------------- */

/*
 * Responses run the same three ways as requests.  EOF rows end with
 * http_parser_eof() after the last byte (the server closed); the others
 * report what feed and body said.  HEAD rows answer a HEAD request.
 */
struct rvec {
	const char	*in;
	size_t		len;
	int		status;		/* verdict, as for requests */
	const char	*rule;
	int		small;
	int		head;		/* answers HEAD */
	int		eof;		/* the server closes after the bytes */
	/* checked when set (HTTP_DONE head only) */
	int		code;		/* status code */
	const char	*reason, *body, *trailer;	/* last trailer value */
	int		version;
	char		ka, te, nobody, untilclose;	/* 'y' or 'n' */
	long long	cl;		/* Content-Length + 1 */
	unsigned	nhdr;		/* nheaders + 1 */
};

#define R(s, st, why, ...) \
	{ .in = (s), .len = sizeof(s) - 1, .status = (st), .rule = (why), __VA_ARGS__ }
#define SL	"HTTP/1.1 200 OK\r\n"
#define RCHUNKED(body)	SL TE "\r\n" body
#define EOFR	.eof = 1
#define HEADR	.head = 1

static const struct rvec rvectors[] = {
	/* ---- status line (RFC 9112 §4) ---- */
	R(SL "Content-Length: 2\r\n\r\nok", DONE, "RFC 9112 §4: a status line",
	    .code = 200, .reason = "OK", .version = 11, .ka = 'y', .te = 'n',
	    .nobody = 'n', .untilclose = 'n', CLEN(2), .body = "ok",
	    .nhdr = 2),
	R("HTTP/1.1 404 Not  Found \t\r\nContent-Length: 0\r\n\r\n", DONE,
	    "RFC 9112 §4: reason with SP and HTAB, kept as sent", .code = 404,
	    .reason = "Not  Found \t"),
	R("HTTP/1.1 200 \xe9t\xe9\r\nContent-Length: 0\r\n\r\n", DONE,
	    "RFC 9112 §4: obs-text in the reason", .reason = "\xe9t\xe9"),
	R("HTTP/1.1 204 \r\n\r\n", DONE, "RFC 9112 §4: empty reason after SP",
	    .code = 204, .reason = ""),
	R("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", DONE,
	    "RFC 9112 §4: no SP and no reason: accepted, cannot change framing",
	    .code = 404, .reason = ""),
	R("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", DONE,
	    "RFC 9112 §9.3: HTTP/1.0 closes by default", .version = 10,
	    .ka = 'n'),
	R("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
	    DONE, "RFC 9112 §9.3: HTTP/1.0 keep-alive", .ka = 'y'),
	R("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
	    DONE, "RFC 9112 §9.6: close", .ka = 'n'),
	R("HTTP/1.3 599 X\r\nContent-Length: 0\r\n\r\n", DONE,
	    "RFC 9110 §6.2, §15: 1.x is 1.1; 599 is a status", .version = 11,
	    .code = 599),
	R("HTTP/1.1 100 Continue\r\n\r\n", DONE, "RFC 9110 §15.2: 1xx",
	    .code = 100, .nobody = 'y'),
	R("HTTP/1.1 099 X\r\n\r\n", 400, "RFC 9110 §15: code below 100"),
	R("HTTP/1.1 600 X\r\n\r\n", 400, "RFC 9110 §15: code above 599"),
	R("HTTP/1.1 20 OK\r\n\r\n", 400, "RFC 9112 §4: two digits"),
	R("HTTP/1.1 2000 OK\r\n\r\n", 400, "RFC 9112 §4: four digits"),
	R("HTTP/1.1 2x0 OK\r\n\r\n", 400, "RFC 9112 §4: not a digit"),
	R("HTTP/1.1 200OK\r\n\r\n", 400, "RFC 9112 §4: no SP after the code"),
	R("HTTP/1.1  200 OK\r\n\r\n", 400, "RFC 9112 §4: two SP"),
	R("HTTP/1.1\t200 OK\r\n\r\n", 400, "RFC 9112 §4: HTAB for SP"),
	R("HTTP/1.1 200 O\rK\r\n\r\n", 400, "RFC 9112 §2.2: bare CR in the reason"),
	R("HTTP/1.1 200 O\x01K\r\n\r\n", 400, "RFC 9112 §4: CTL in the reason"),
	R("HTTP/1.1 200 OK\x7f\r\n\r\n", 400, "RFC 9112 §4: DEL in the reason"),
	R("HTTP/1.1 200 OK\n\r\n", 400, "RFC 9112 §2.2: status line ends in bare LF"),
	R("http/1.1 200 OK\r\n\r\n", 400, "RFC 9112 §2.3: HTTP-name is case-sensitive"),
	R("HTTP/1.1x200 OK\r\n\r\n", 400, "RFC 9112 §2.3: junk after the version"),
	R("HTTP/11 200 OK\r\n\r\n", 400, "RFC 9112 §2.3: no dot"),
	R("ICY 200 OK\r\n\r\n", 400, "RFC 9112 §4: not HTTP"),
	R("HTTP/2.0 200 OK\r\n\r\n", 505, "RFC 9110 §6.2: major version 2"),
	R("HTTP/0.9 200 OK\r\n\r\n", 505, "RFC 9110 §6.2: major version 0"),
	R("\r\n" SL "Content-Length: 0\r\n\r\n", 400,
	    "RFC 9112 §2.2: no empty line before a status line"),
	R(" " SL "\r\n", 400, "RFC 9112 §4: leading SP"),
	R("HTTP/1.1 200 OK aaaaaaaaaaaaaaaa\r\n\r\n", DONE,
	    "RFC 9112 §4: SMALL: status line of exactly 32", SMALL, HEADR),
	R("HTTP/1.1 200 OK aaaaaaaaaaaaaaaaa\r\n\r\n", 414,
	    "RFC 9112 §4: SMALL: status line of 33 -> 414", SMALL),
	R("HTTP/1.1 200 OK aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 414,
	    "RFC 9112 §4: SMALL: 414 before the line ends", SMALL),

	/* ---- field lines: the request rules (RFC 9112 §5) ---- */
	R(SL "X: a\r\n b\r\nContent-Length: 0\r\n\r\n", 400, "RFC 9112 §5.2: obs-fold"),
	R(SL "X: a\r\n\tb\r\nContent-Length: 0\r\n\r\n", 400,
	    "RFC 9112 §5.2: obs-fold with HTAB"),
	R(SL " X: a\r\nContent-Length: 0\r\n\r\n", 400,
	    "RFC 9112 §5.2: first field line folded"),
	R(SL "X : a\r\n\r\n", 400, "RFC 9112 §5.1: SP before the colon"),
	R(SL ": a\r\n\r\n", 400, "RFC 9112 §5.1: empty name"),
	R(SL "X@Y: a\r\n\r\n", 400, "RFC 9110 §5.6.2: '@' is not a tchar"),
	R(SL "X\x80: a\r\n\r\n", 400, "RFC 9110 §5.6.2: non-ASCII in a name"),
	R(SL "no colon\r\n\r\n", 400, "RFC 9112 §5: no colon"),
	R(SL "X: a\x00" "b\r\n\r\n", 400, "RFC 9110 §5.5: NUL in a value"),
	R(SL "X: a\rb\r\n\r\n", 400, "RFC 9112 §2.2: bare CR in a value"),
	R(SL "X: a\nContent-Length: 0\r\n\r\n", 400, "RFC 9112 §2.2: bare LF"),
	R(SL "!#$%&'*+-.^_`|~09azAZ: v\r\nContent-Length: 0\r\n\r\n", DONE,
	    "RFC 9110 §5.6.2: every tchar in a field name"),
	R(SL "Host: ???\r\nExpect: nonsense\r\nContent-Length: 0\r\n\r\n", DONE,
	    "RFC 9112 §3.2, RFC 9110 §10.1.1: Host and Expect are request fields",
	    .nhdr = 4),
	R(SL "A: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 0\r\n\r\n", DONE,
	    "RFC 6585 §5: SMALL: 4 field lines", SMALL),
	R(SL "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nContent-Length: 0\r\n\r\n", 431,
	    "RFC 6585 §5: SMALL: 5 field lines -> 431", SMALL),
	R(SL "X: " B32 B32 B32 "bbbbbbbb\r\n\r\n", DONE,
	    "RFC 6585 §5: SMALL: head of exactly 128", SMALL, HEADR),
	R(SL "X: " B32 B32 B32 "bbbbbbbbb\r\n\r\n", 431,
	    "RFC 6585 §5: SMALL: head of 129 -> 431", SMALL),

	/* ---- Content-Length and Transfer-Encoding: the request rules ---- */
	R(SL "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok", 400,
	    "RFC 9110 §8.6: duplicate equal Content-Length, as for requests"),
	R(SL "Content-Length: 2, 2\r\n\r\nok", 400,
	    "RFC 9110 §8.6: Content-Length list"),
	R(SL "Content-Length: 1\r\nContent-Length: 2\r\n\r\nok", 400,
	    "RFC 9110 §8.6: different Content-Lengths"),
	R(SL "Content-Length: +2\r\n\r\nok", 400, "RFC 9110 §8.6: sign"),
	R(SL "Content-Length: 0x2\r\n\r\nok", 400, "RFC 9110 §8.6: hex"),
	R(SL "Content-Length:\r\n\r\n", 400, "RFC 9110 §8.6: empty"),
	R(SL "Content-Length: 99999999999999999999\r\n\r\n", 400,
	    "RFC 9110 §8.6: overflow"),
	R(SL "Content-Length: 2\r\n" TE "\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.3: Content-Length with Transfer-Encoding"),
	R(SL TE "Content-Length: 2\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.3: Transfer-Encoding with Content-Length"),
	R("HTTP/1.0 200 OK\r\n" TE "\r\n0\r\n\r\n", 400,
	    "RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0"),
	R(SL "Transfer-Encoding: chunked, gzip\r\n\r\n", 400,
	    "RFC 9112 §6.3: chunked must be the last coding"),
	R(SL "Transfer-Encoding: gzip\r\n\r\n", 400,
	    "RFC 9112 §6.3: a final coding other than chunked"),
	R(SL "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
	    "RFC 9110 §10.1.4: a coding the client never accepted"),
	R(SL TE TE "\r\n0\r\n\r\n", 400, "RFC 9112 §6.1: chunked twice"),
	R(SL "Transfer-Encoding: chunked;a=b\r\n\r\n0\r\n\r\n", 400,
	    "RFC 9112 §7.1: chunked has no parameters"),
	R(SL "Content-Length: 17\r\n\r\n", 413,
	    "RFC 9110 §15.5.14: SMALL: Content-Length over max_body", SMALL),
	R(SL "Content-Length: 16\r\n\r\n0123456789abcdef", DONE,
	    "RFC 9110 §15.5.14: SMALL: Content-Length at max_body", SMALL,
	    .body = "0123456789abcdef"),

	/* ---- framing (RFC 9112 §6.3) ---- */
	R("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", DONE,
	    "RFC 9112 §6.3 rule 1: 204 has no body", .code = 204,
	    .nobody = 'y', CLEN(5), .body = "", .ka = 'y'),
	R("HTTP/1.1 304 Not Modified\r\n" TE "\r\n", DONE,
	    "RFC 9112 §6.3 rule 1: 304 has no body, chunked or not",
	    .nobody = 'y', .te = 'n', .body = ""),
	R("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", DONE,
	    "RFC 9112 §6.3 rule 1: 1xx has no body", .nobody = 'y'),
	R("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
	    400, "RFC 9110 §8.6: field rules hold without a body"),
	R(SL "Content-Length: 5000000\r\n\r\n", DONE,
	    "RFC 9112 §6.3 rule 1: HEAD: no body, Content-Length not a limit",
	    HEADR, .nobody = 'y', CLEN(5000000), .body = "", .ka = 'y'),
	R(SL TE "\r\n", DONE, "RFC 9112 §6.3 rule 1: HEAD: no chunked body",
	    HEADR, .nobody = 'y', .te = 'n'),
	R(SL "Content-Length: 3\r\n\r\nabc", DONE,
	    "RFC 9112 §6.3 rule 6: Content-Length", .body = "abc", .ka = 'y'),
	R(SL "Content-Length: 0\r\n\r\n", DONE,
	    "RFC 9112 §6.3 rule 6: Content-Length 0", .body = ""),
	R(SL "Content-Length: 5\r\n\r\nab", AGAIN,
	    "RFC 9112 §6.3 rule 6: incomplete"),
	R(SL "Content-Length: 5\r\n\r\nab", -ENODATA,
	    "RFC 9112 §8: closed before Content-Length bytes", EOFR),
	R(SL "\r\nuntil the end", DONE,
	    "RFC 9112 §6.3 rule 8: until close", EOFR, .untilclose = 'y',
	    .ka = 'n', .body = "until the end"),
	R(SL "Connection: keep-alive\r\n\r\nx", DONE,
	    "RFC 9112 §6.3 rule 8: until close ends keep-alive", EOFR,
	    .untilclose = 'y', .ka = 'n', .body = "x"),
	R(SL "\r\n", DONE, "RFC 9112 §6.3 rule 8: empty body until close", EOFR,
	    .body = ""),
	R(SL "\r\nabc", AGAIN, "RFC 9112 §6.3 rule 8: no EOF yet"),
	R(SL "\r\n0123456789abcdef", DONE,
	    "RFC 9110 §15.5.14: SMALL: until close, at max_body", SMALL, EOFR),
	R(SL "\r\n0123456789abcdefg", 413,
	    "RFC 9110 §15.5.14: SMALL: until close, over max_body", SMALL, EOFR),
	R(SL "Content-Le", -ENODATA, "RFC 9112 §8: closed in the head", EOFR),
	R("", DONE, "RFC 9112 §8: closed before any response", EOFR),
	R(RCHUNKED("3\r\nabc\r\n0\r\n\r\n"), DONE, "RFC 9112 §7.1: chunked",
	    .te = 'y', .body = "abc", .ka = 'y', .untilclose = 'n'),
	R(RCHUNKED("3;x=\"y\"\r\nabc\r\n2 ; z\r\nde\r\n0\r\nA: 1\r\nB:  2 \r\n\r\n"),
	    DONE, "RFC 9112 §7.1.2: chunked with extensions and trailers",
	    .body = "abcde", .trailer = "2"),
	R(RCHUNKED("3\r\nabc\r\n0\r\n"), -ENODATA,
	    "RFC 9112 §8: closed in the trailer section", EOFR),
	R(RCHUNKED("3\r\nabc\r\n5;x"), -ENODATA,
	    "RFC 9112 §8: closed in a chunk-size line", EOFR),
	R(RCHUNKED("3\r\nabc\r"), -ENODATA,
	    "RFC 9112 §8: closed in a chunk's CRLF", EOFR),
	R(RCHUNKED("3\r\nabcX\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: no CRLF after data"),
	R(RCHUNKED("0x3\r\nabc\r\n0\r\n\r\n"), 400, "RFC 9112 §7.1: 0x"),
	R(RCHUNKED("8000000000000000\r\n"), 400, "RFC 9112 §7.1: chunk-size 2^63"),
	R(RCHUNKED("11\r\n"), 413, "RFC 9110 §15.5.14: SMALL: chunk over max_body",
	    SMALL),
	R(RCHUNKED("0\r\nX : y\r\n\r\n"), 400, "RFC 9112 §7.1.2: bad trailer"),
	R(RCHUNKED("0\r\nX: y\r\n z\r\n\r\n"), 400, "RFC 9112 §7.1.2: obs-fold in a trailer"),
	R(SL "A: 1\r\nB: 2\r\n" TE "\r\n0\r\nT: 1\r\n\r\n", DONE,
	    "RFC 9112 §7.1.2: SMALL: 3 headers and 1 trailer", SMALL,
	    .trailer = "1"),
	R(SL "A: 1\r\nB: 2\r\n" TE "\r\n0\r\nT: 1\r\nU: 2\r\n\r\n", 431,
	    "RFC 9112 §7.1.2: SMALL: trailers count with the headers", SMALL),
};

#define NRVEC	(sizeof(rvectors) / sizeof(rvectors[0]))

struct rresult {
	int			status;
	int			head_done;
	struct http_request	req;
	struct http_response	resp;
	struct http_header	hdr[HTTP_DEFAULT_MAX_HEADERS];
	char			body[64];
	size_t			body_len;
};

static void
rrun(const struct rvec *v, const size_t *cuts, size_t n, struct rresult *res)
{
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	size_t i, len = 0;
	char *buf;
	int r = HTTP_AGAIN;

	memset(res, 0, sizeof(*res));
	http_parser_init_response(&p, v->small ? &small_limits : NULL, hdrs);
	if (v->head)
		assert_int_equal(http_parser_set_method(&p, HTTP_M_HEAD), 0);
	for (i = 0; i < n; i++) {
		len = cuts[i];
		buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, v->in, len);
		if (!res->head_done) {
			r = http_parser_feed(&p, buf, len);
			if (r == HTTP_DONE) {
				res->head_done = 1;
				res->resp = p.resp;
			}
		}
		while (res->head_done) {
			r = http_parser_body(&p, buf, len, &d);
			assert_true(d.len <= sizeof(res->body) - res->body_len);
			memcpy(res->body + res->body_len, buf + d.off, d.len);
			res->body_len += d.len;
			if (r != HTTP_AGAIN || d.len == 0)
				break;
		}
		free(buf);
		if (r != HTTP_AGAIN)
			break;
	}
	if (r == HTTP_AGAIN && v->eof)
		r = http_parser_eof(&p, len);
	if (res->head_done) {
		res->req = p.req;
		memcpy(res->hdr, hdrs, sizeof(hdrs[0]) *
		    (p.req.nheaders + p.req.ntrailers));
	}
	res->status = r;
}

static int
rslice_eq(const struct rvec *v, struct http_slice s, const char *want)
{
	return s.len == strlen(want) && memcmp(v->in + s.off, want, s.len) == 0;
}

static void
rcheck(const struct rvec *v, const struct rresult *r)
{
	const struct http_request *q = &r->req;

	if (!r->head_done)
		return;
	if (v->code && r->resp.status != v->code)
		fail_msg("code %u: %s", r->resp.status, v->rule);
	if (v->reason && !rslice_eq(v, r->resp.reason, v->reason))
		fail_msg("reason: %s", v->rule);
	if (v->version && q->version != v->version)
		fail_msg("version: %s", v->rule);
	if (v->ka && q->keep_alive != (v->ka == 'y'))
		fail_msg("keep-alive: %s", v->rule);
	if (v->te && q->chunked != (v->te == 'y'))
		fail_msg("chunked: %s", v->rule);
	if (v->nobody && r->resp.no_body != (v->nobody == 'y'))
		fail_msg("no_body: %s", v->rule);
	if (v->untilclose && r->resp.until_close != (v->untilclose == 'y'))
		fail_msg("until_close: %s", v->rule);
	if (v->cl && (!q->has_content_length ||
	    (long long)q->content_length != v->cl - 1))
		fail_msg("content-length: %s", v->rule);
	if (v->nhdr && q->nheaders != v->nhdr - 1)
		fail_msg("nheaders %u: %s", q->nheaders, v->rule);
	if (v->trailer && (q->ntrailers == 0 || !rslice_eq(v,
	    r->hdr[q->nheaders + q->ntrailers - 1].value, v->trailer)))
		fail_msg("last trailer: %s", v->rule);
	if (!v->trailer && q->ntrailers != 0 && v->status == DONE)
		fail_msg("unexpected trailers: %s", v->rule);
	if (v->body && (r->body_len != strlen(v->body) ||
	    memcmp(r->body, v->body, r->body_len) != 0))
		fail_msg("body: %s", v->rule);
}

static void
rcheck_same(const struct rvec *v, const struct rresult *a,
    const struct rresult *b, const char *how, size_t k)
{
	if (a->status != b->status || a->head_done != b->head_done)
		fail_msg("%s at %zu: %d vs %d: %s", how, k, b->status, a->status,
		    v->rule);
	if (a->head_done && (memcmp(&a->resp, &b->resp, sizeof(a->resp)) != 0 ||
	    a->req.nheaders != b->req.nheaders ||
	    a->req.ntrailers != b->req.ntrailers ||
	    a->req.head_len != b->req.head_len ||
	    a->req.version != b->req.version ||
	    a->req.keep_alive != b->req.keep_alive ||
	    a->req.chunked != b->req.chunked ||
	    memcmp(a->hdr, b->hdr, sizeof(a->hdr[0]) *
	    (a->req.nheaders + a->req.ntrailers)) != 0))
		fail_msg("%s at %zu: head differs: %s", how, k, v->rule);
	if (a->body_len != b->body_len ||
	    memcmp(a->body, b->body, a->body_len) != 0)
		fail_msg("%s at %zu: body differs: %s", how, k, v->rule);
}

static void
test_response_vectors(void **state)
{
	struct rresult whole, r;
	size_t i, k, cuts[512], bad = 0;

	(void)state;
	print_message("[ INFO     ] %zu response vectors\n", NRVEC);
	for (i = 0; i < NRVEC; i++) {
		const struct rvec *v = &rvectors[i];

		assert_true(v->len < 512);
		rrun(v, &v->len, 1, &whole);
		if (whole.status != v->status) {
			print_error("response row %zu: got %d, want %d: %s\n",
			    i, whole.status, v->status, v->rule);
			bad++;
			continue;
		}
		rcheck(v, &whole);
		/* a byte at a time */
		for (k = 0; k < v->len; k++)
			cuts[k] = k + 1;
		if (v->len > 0) {
			rrun(v, cuts, v->len, &r);
			rcheck_same(v, &whole, &r, "bytewise", i);
		}
		/* split in two everywhere */
		for (k = 0; k < v->len; k++) {
			cuts[0] = k;
			cuts[1] = v->len;
			rrun(v, cuts, 2, &r);
			rcheck_same(v, &whole, &r, "split", k);
		}
	}
	assert_int_equal(bad, 0);
}

/* 1xx interim responses, then the final one, then a pipelined next
 * response, in one buffer: the method given once holds for all. */
static void
test_response_sequence(void **state)
{
	static const char in[] =
	    "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
	    "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnot";
	static const int codes[] = { 100, 103, 200, 404 };
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	size_t i, len = sizeof(in) - 1;

	(void)state;
	http_parser_init_response(&p, NULL, hdrs);
	assert_int_equal(http_parser_set_method(&p, HTTP_M_HEAD), 0);
	for (i = 0; i < 4; i++) {
		if (i == 3)	/* the next request was a GET */
			assert_int_equal(http_parser_set_method(&p,
			    HTTP_M_GET), 0);
		assert_int_equal(http_parser_feed(&p, in, len), HTTP_DONE);
		assert_int_equal(p.resp.status, codes[i]);
		/* the 200 answers HEAD: its Content-Length is not a body */
		assert_int_equal(p.resp.no_body, i < 3);
		assert_int_equal(http_parser_body(&p, in, len, &d), HTTP_DONE);
		assert_int_equal(d.len, i == 3 ? 3 : 0);
		assert_int_equal(http_parser_next(&p), 0);
	}
	assert_int_equal(p.pos, len);
	assert_int_equal(http_parser_eof(&p, len), HTTP_DONE);
}

/* The API around response mode. */
static void
test_response_api(void **state)
{
	static const char in[] = "HTTP/1.1 200 OK\r\n\r\nabc";
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;

	(void)state;
	/* set_method: response mode only, and not mid-head */
	http_parser_init(&p, NULL, hdrs);
	assert_int_equal(http_parser_set_method(&p, HTTP_M_HEAD), -EINVAL);
	http_parser_init_response(&p, NULL, hdrs);
	assert_int_equal(http_parser_feed(&p, in, 5), HTTP_AGAIN);
	assert_int_equal(http_parser_set_method(&p, HTTP_M_HEAD), -EINVAL);
	assert_int_equal(http_parser_eof(&p, 5), -ENODATA);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1), HTTP_DONE);
	assert_true(p.resp.until_close);
	/* eof with body bytes not given to body() is misuse */
	assert_int_equal(http_parser_eof(&p, sizeof(in) - 1), -EINVAL);
	assert_int_equal(http_parser_body(&p, in, sizeof(in) - 1, &d),
	    HTTP_AGAIN);
	assert_int_equal(d.len, 3);
	assert_int_equal(http_parser_body(&p, in, sizeof(in) - 1, &d),
	    HTTP_AGAIN);
	assert_int_equal(d.len, 0);
	assert_int_equal(http_parser_next(&p), -EINVAL);	/* not done */
	assert_int_equal(http_parser_eof(&p, sizeof(in) - 1), HTTP_DONE);
	assert_int_equal(http_parser_body(&p, in, sizeof(in) - 1, &d),
	    HTTP_DONE);
	assert_int_equal(http_parser_eof(&p, sizeof(in) - 1), HTTP_DONE);
	assert_int_equal(http_parser_next(&p), 0);
	/* the error state answers eof too */
	http_parser_init_response(&p, NULL, hdrs);
	assert_int_equal(http_parser_feed(&p, "HTTP/1.1 99 X\r\n", 15), 400);
	assert_int_equal(http_parser_eof(&p, 15), 400);
	/* trailers in request mode land after the headers as well */
	http_parser_init(&p, NULL, hdrs);
	{
		static const char rq[] = "POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n0\r\nT: v\r\n\r\n";

		assert_int_equal(http_parser_feed(&p, rq, sizeof(rq) - 1),
		    HTTP_DONE);
		assert_int_equal(http_parser_body(&p, rq, sizeof(rq) - 1, &d),
		    HTTP_DONE);
		assert_int_equal(p.req.ntrailers, 1);
		assert_memory_equal(rq + hdrs[2].name.off, "T", 1);
		assert_memory_equal(rq + hdrs[2].value.off, "v", 1);
		assert_int_equal(http_parser_eof(&p, sizeof(rq) - 1), HTTP_DONE);
	}
}

/* ---- limits at their default values ------------------------------------ */

static int
parse_alone(const char *buf, size_t len, struct http_parser *p,
    struct http_header *hdrs)
{
	char *copy = malloc(len);
	int r;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	http_parser_init(p, NULL, hdrs);
	r = http_parser_feed(p, copy, len);
	free(copy);
	return r;
}

static void
test_default_request_line_limit(void **state)
{
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	static char buf[HTTP_DEFAULT_MAX_LINE + 64];
	size_t n, path = HTTP_DEFAULT_MAX_LINE - strlen("GET  HTTP/1.1");

	(void)state;
	/* RFC 9112 §3: a line of exactly 8000 octets is supported */
	n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'a', path - 1);
	n += path - 1;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse_alone(buf, n, &p, hdrs), HTTP_DONE);
	assert_int_equal(p.req.target.len, path);

	/* one more octet: 414, whether the line has ended or not */
	n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'a', path);
	n += path;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
	assert_int_equal(parse_alone(buf, n, &p, hdrs), 414);
	assert_int_equal(parse_alone(buf, HTTP_DEFAULT_MAX_LINE + 3, &p, hdrs), 414);
	assert_int_equal(parse_alone(buf, HTTP_DEFAULT_MAX_LINE, &p, hdrs), HTTP_AGAIN);
}

static void
test_default_head_and_count_limits(void **state)
{
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	static char buf[HTTP_DEFAULT_MAX_HEAD + 4096];
	size_t n, i;

	(void)state;
	/* 100 field lines (Host + 99) pass, 101 is 431 */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < 99; i++)
		n += (size_t)sprintf(buf + n, "X-%zu: v\r\n", i);
	assert_int_equal(parse_alone(buf, n + 2, &p, hdrs), HTTP_AGAIN);
	memcpy(buf + n, "\r\n", 2);
	assert_int_equal(parse_alone(buf, n + 2, &p, hdrs), HTTP_DONE);
	assert_int_equal(p.req.nheaders, 100);
	n += (size_t)sprintf(buf + n, "X-last: v\r\n\r\n");
	assert_int_equal(parse_alone(buf, n, &p, hdrs), 431);

	/* a head of exactly 16384 octets passes, one more is 431 */
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	i = HTTP_DEFAULT_MAX_HEAD - n - 4;
	memset(buf + n, 'v', i);
	memcpy(buf + n + i, "\r\n\r\n", 4);
	assert_int_equal(parse_alone(buf, n + i + 4, &p, hdrs), HTTP_DONE);
	assert_int_equal(p.req.head_len, HTTP_DEFAULT_MAX_HEAD);
	memset(buf + n, 'v', i + 1);
	memcpy(buf + n + i + 1, "\r\n\r\n", 4);
	assert_int_equal(parse_alone(buf, n + i + 5, &p, hdrs), 431);
	/* and a slow endless header is cut off at the limit, not later */
	assert_int_equal(parse_alone(buf, HTTP_DEFAULT_MAX_HEAD + 1, &p, hdrs), 431);
}

/* A slow client must not make the parser rescan: after each HTTP_AGAIN the
 * scan position (private, but the property under test) is at the end. */
static void
test_incremental_scan_never_rescans(void **state)
{
	static const char in[] = "GET /abc HTTP/1.1\r\nHost: a\r\nX: aaaaaaaa\r\n\r\n";
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	size_t len;

	(void)state;
	http_parser_init(&p, NULL, hdrs);
	for (len = 1; len < sizeof(in) - 1; len++) {
		assert_int_equal(http_parser_feed(&p, in, len), HTTP_AGAIN);
		assert_int_equal(p.scan, len);
	}
	assert_int_equal(http_parser_feed(&p, in, len), HTTP_DONE);
}

/* ---- pipelining, error state, API --------------------------------------- */

static void
test_pipelined_requests_one_buffer(void **state)
{
	static const char in[] =
	    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
	    "POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
	    "\r\n"	/* RFC 9112 §2.2: a stray CRLF after a body */
	    "POST /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nxy\r\n0\r\n\r\n"
	    "GET /4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	static const char *paths[] = { "/1", "/2", "/3", "/4" };
	static const char *bodies[] = { "", "abc", "xy", "" };
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	size_t i, len = sizeof(in) - 1;
	char body[8];
	size_t blen;
	int r;

	(void)state;
	http_parser_init(&p, NULL, hdrs);
	for (i = 0; i < 4; i++) {
		assert_int_equal(http_parser_feed(&p, in, len), HTTP_DONE);
		assert_int_equal(p.req.path.len, strlen(paths[i]));
		assert_memory_equal(in + p.req.path.off, paths[i], p.req.path.len);
		assert_int_equal(p.req.keep_alive, i < 3);
		blen = 0;
		do {
			r = http_parser_body(&p, in, len, &d);
			memcpy(body + blen, in + d.off, d.len);
			blen += d.len;
		} while (r == HTTP_AGAIN && d.len > 0);
		assert_int_equal(r, HTTP_DONE);
		assert_int_equal(blen, strlen(bodies[i]));
		assert_memory_equal(body, bodies[i], blen);
		assert_int_equal(http_parser_next(&p), 0);
	}
	assert_int_equal(p.pos, len);
	assert_int_equal(http_parser_feed(&p, in, len), HTTP_AGAIN);
}

static void
test_error_state_never_parses_the_rest(void **state)
{
	/* RFC 9112 §6.3 / HTTP Garden: after a framing error, close */
	static const char in[] =
	    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	    "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;

	(void)state;
	http_parser_init(&p, NULL, hdrs);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1), 400);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1), 400);
	assert_int_equal(http_parser_body(&p, in, sizeof(in) - 1, &d), 400);
	assert_int_equal(d.len, 0);
	assert_int_equal(http_parser_next(&p), 400);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1), 400);
}

static void
test_body_error_is_absorbing(void **state)
{
	static const char in[] =
	    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "3\r\nabcX\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	int r;

	(void)state;
	http_parser_init(&p, NULL, hdrs);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1), HTTP_DONE);
	do
		r = http_parser_body(&p, in, sizeof(in) - 1, &d);
	while (r == HTTP_AGAIN && d.len > 0);
	assert_int_equal(r, 400);
	assert_int_equal(http_parser_next(&p), 400);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1), 400);
}

static void
test_api_misuse(void **state)
{
	static const char in[] = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nab";
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;

	(void)state;
	http_parser_init(&p, NULL, hdrs);
	assert_int_equal(http_parser_body(&p, in, 10, &d), -EINVAL);
	assert_int_equal(http_parser_next(&p), -EINVAL);
	assert_int_equal(http_parser_feed(&p, in, sizeof(in) - 1), HTTP_DONE);
	assert_int_equal(http_parser_feed(&p, in, 3), HTTP_DONE);	/* idempotent */
	assert_int_equal(http_parser_next(&p), -EINVAL);	/* body pending */
	assert_int_equal(http_parser_body(&p, in, 10, &d), -EINVAL);	/* len < pos */
	assert_int_equal(http_parser_body(&p, in, sizeof(in) - 1, &d), HTTP_DONE);
	assert_int_equal(d.len, 2);
	assert_int_equal(http_parser_shift(&p, p.pos + 1), -EINVAL);
}

static void
test_shift_keeps_slices_and_body(void **state)
{
	/* The caller drops a finished request, then a body prefix. */
	static const char in[] =
	    "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
	    "POST /two HTTP/1.1\r\nHost: b\r\nContent-Length: 6\r\n\r\nabcdef";
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	const char *buf = in;
	size_t len = sizeof(in) - 1, first;

	(void)state;
	http_parser_init(&p, NULL, hdrs);
	assert_int_equal(http_parser_feed(&p, buf, len), HTTP_DONE);
	assert_int_equal(http_parser_body(&p, buf, len, &d), HTTP_DONE);
	assert_int_equal(http_parser_next(&p), 0);
	first = p.pos;
	assert_int_equal(http_parser_shift(&p, first), 0);
	buf += first;
	len -= first;
	assert_int_equal(p.pos, 0);
	/* half the head now, the rest after a shift that must be refused */
	assert_int_equal(http_parser_feed(&p, buf, 20), HTTP_AGAIN);
	assert_int_equal(http_parser_shift(&p, 1), -EINVAL);
	assert_int_equal(http_parser_feed(&p, buf, len - 3), HTTP_DONE);
	assert_int_equal(p.req.path.len, 4);
	assert_memory_equal(buf + p.req.path.off, "/two", 4);
	assert_int_equal(http_parser_body(&p, buf, len - 3, &d), HTTP_AGAIN);
	assert_int_equal(d.len, 3);
	assert_memory_equal(buf + d.off, "abc", 3);
	/* drop the head and "abc": offsets move down by p.pos */
	first = p.pos;
	assert_int_equal(http_parser_shift(&p, first), 0);
	buf += first;
	len -= first;
	assert_int_equal(http_parser_body(&p, buf, len, &d), HTTP_DONE);
	assert_int_equal(d.off, 0);
	assert_int_equal(d.len, 3);
	assert_memory_equal(buf, "def", 3);
}

/* RFC 9112 §7.1: a chunked body streamed through a 64-byte window that the
 * caller compacts with http_parser_shift(), as a fixed connection buffer. */
static void
test_chunked_body_streams_through_shift(void **state)
{
	static char msg[8192], want[1024], got[1024];
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	char win[64];
	size_t n, in, have = 0, ngot = 0, nwant = 0, i, k;
	int r;

	(void)state;
	n = (size_t)sprintf(msg, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	for (i = 1; i <= 40; i++) {
		n += (size_t)sprintf(msg + n, "%zx;i=%zu\r\n", i, i);
		for (k = 0; k < i; k++)
			want[nwant++] = msg[n++] = (char)('a' + (i + k) % 26);
		n += (size_t)sprintf(msg + n, "\r\n");
	}
	n += (size_t)sprintf(msg + n, "0\r\nT: v\r\n\r\n");

	http_parser_init(&p, NULL, hdrs);
	for (in = 1; (r = http_parser_feed(&p, msg, in)) == HTTP_AGAIN; in++)
		;
	assert_int_equal(r, HTTP_DONE);
	assert_true(p.req.chunked);
	in = p.pos;
	assert_int_equal(http_parser_shift(&p, p.pos), 0);
	for (;;) {
		k = sizeof(win) - have < 5 ? sizeof(win) - have : 5;
		if (k > n - in)
			k = n - in;
		memcpy(win + have, msg + in, k);
		in += k;
		have += k;
		do {
			r = http_parser_body(&p, win, have, &d);
			assert_true(ngot + d.len <= sizeof(got));
			memcpy(got + ngot, win + d.off, d.len);
			ngot += d.len;
		} while (r == HTTP_AGAIN && d.len > 0);
		if (r != HTTP_AGAIN)
			break;
		assert_true(k > 0);	/* no progress would loop forever */
		memmove(win, win + p.pos, have - p.pos);
		have -= p.pos;
		assert_int_equal(http_parser_shift(&p, p.pos), 0);
	}
	assert_int_equal(r, HTTP_DONE);
	assert_int_equal(ngot, 40 * 41 / 2);
	assert_memory_equal(got, want, ngot);
	assert_int_equal(in, n);
	assert_int_equal(have, p.pos);
}

/* RFC 9112 §6.3: a 1 MiB default limit reached across many chunks. */
static void
test_chunked_limit_across_chunks_default(void **state)
{
	static char msg[1 << 16];
	struct http_header hdrs[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	size_t n, i, total = 0;
	int r;

	(void)state;
	n = (size_t)sprintf(msg, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	http_parser_init(&p, NULL, hdrs);
	assert_int_equal(http_parser_feed(&p, msg, n), HTTP_DONE);
	/* 16 chunks of 64 KiB = 1 MiB exactly, each handed over through a
	 * shift so the buffer never holds more than one chunk */
	for (i = 0; i < 16; i++) {
		size_t base = p.pos, m;

		m = (size_t)sprintf(msg + base, "10000\r\n");
		r = http_parser_body(&p, msg, base + m, &d);
		assert_int_equal(r, HTTP_AGAIN);
		assert_int_equal(d.len, 0);
		/* hand over 64 KiB of data through shifts */
		assert_int_equal(http_parser_shift(&p, p.pos), 0);
		memset(msg, 'z', 0x10000);
		r = http_parser_body(&p, msg, 0x10000, &d);
		assert_int_equal(r, HTTP_AGAIN);
		total += d.len;
		assert_int_equal(d.len, 0x10000);
		assert_int_equal(http_parser_shift(&p, p.pos), 0);
		memcpy(msg, "\r\n", 2);
		r = http_parser_body(&p, msg, 2, &d);
		assert_int_equal(r, HTTP_AGAIN);
		assert_int_equal(http_parser_shift(&p, p.pos), 0);
	}
	assert_int_equal(total, HTTP_DEFAULT_MAX_BODY);
	/* one more byte is over the limit: 413 before the data is read */
	r = http_parser_body(&p, "1\r\n", 3, &d);
	assert_int_equal(r, 413);
	assert_int_equal(http_parser_body(&p, "1\r\n", 3, &d), 413);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_count),
		cmocka_unit_test(test_vectors_whole),
		cmocka_unit_test(test_vectors_byte_at_a_time),
		cmocka_unit_test(test_vectors_split_everywhere),
		cmocka_unit_test(test_default_request_line_limit),
		cmocka_unit_test(test_default_head_and_count_limits),
		cmocka_unit_test(test_incremental_scan_never_rescans),
		cmocka_unit_test(test_pipelined_requests_one_buffer),
		cmocka_unit_test(test_error_state_never_parses_the_rest),
		cmocka_unit_test(test_body_error_is_absorbing),
		cmocka_unit_test(test_api_misuse),
		cmocka_unit_test(test_shift_keeps_slices_and_body),
		cmocka_unit_test(test_chunked_body_streams_through_shift),
		cmocka_unit_test(test_chunked_limit_across_chunks_default),
		cmocka_unit_test(test_response_vectors),
		cmocka_unit_test(test_response_sequence),
		cmocka_unit_test(test_response_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
