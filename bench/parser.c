/*
 * bench/parser.c - what the request parser costs per request, so a change
 * to src/http/parser.c (the response mode shares its code) can be checked
 * against the server's hot path.  Run by hand:
 *
 *	make bench/parser && ./bench/parser [iterations]
 *	valgrind --tool=callgrind ./bench/parser 20000
 *
 * Each iteration parses three pipelined requests from one buffer: a
 * browser-like GET of 9 field lines, a POST with Content-Length and a
 * chunked POST with a trailer.  Prints "parser_ns: N" per request; under
 * callgrind compare the instruction counts of two builds (the per-byte
 * functions, http__field_line and memchr, should not move).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "parser.h"

static const char reqs[] =
    "GET /static/app.js?v=123 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101"
    " Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;"
    "q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=abcdef0123456789; theme=dark\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "\r\n"
    "POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n0\r\nT: v\r\n\r\n";

int
main(int argc, char **argv)
{
	static struct http_header h[HTTP_DEFAULT_MAX_HEADERS];
	struct http_parser p;
	struct http_slice d;
	struct timespec t0, t1;
	long i, n = argc > 1 ? atol(argv[1]) : 1000000;
	size_t len = sizeof(reqs) - 1, nreq = 0;
	double ns;
	int r;

	if (n <= 0 || clock_gettime(CLOCK_MONOTONIC, &t0) != 0)
		return 1;
	for (i = 0; i < n; i++) {
		http_parser_init(&p, NULL, h);
		while (p.pos < len) {
			if (http_parser_feed(&p, reqs, len) != HTTP_DONE)
				return 1;
			do
				r = http_parser_body(&p, reqs, len, &d);
			while (r == HTTP_AGAIN && d.len > 0);
			if (r != HTTP_DONE || http_parser_next(&p) != 0)
				return 1;
			nreq++;
		}
	}
	if (clock_gettime(CLOCK_MONOTONIC, &t1) != 0)
		return 1;
	ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec);
	printf("parser_ns: %.1f\n", ns / (double)nreq);
	return 0;
}
