/*
 * logfmt.h - the access log's line, formatted (the combined log format):
 *
 *   127.0.0.1 - - [27/Nov/2026:05:40:00 +0000] "GET / HTTP/1.1" 200 14 "-" "curl/8"
 *
 * Pure, like the parser: no I/O, no runtime, no allocation, so it is unit
 * tested and fuzzed alone (fuzz/fuzz-logfmt.c).  Every byte a client chose
 * (request line, Referer, User-Agent) is escaped: bytes outside printable
 * ASCII, '"' and '\' become \xHH, so a request cannot forge log lines or
 * terminal escapes.  A field longer than HTTP_LOGFMT_FIELD_MAX escaped
 * bytes is cut and ends in "..." (the three dots counted in the maximum).
 *
 * The formatter never writes past the capacity it is given and never
 * leaves half a line: a line that does not fit is not written at all.
 */
#ifndef ASYNCD_HTTP_LOGFMT_H
#define ASYNCD_HTTP_LOGFMT_H

#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

/* The longest escaped field, "..." included. */
#define HTTP_LOGFMT_FIELD_MAX	1024

/*
 * The longest line: three escaped fields, and the rest: address (45),
 * " - - [", the time (26), "] \"", 3 quotes, status (11), bytes (20),
 * spaces, the newline.  128 covers it with room to spare.
 */
#define HTTP_LOGFMT_LINE_MAX	(3 * HTTP_LOGFMT_FIELD_MAX + 128)

/* One response, as the access log records it.  Strings are the client's
 * bytes, not NUL-terminated; NULL or empty ones are logged as "-". */
struct http_logfmt_rec {
	const struct sockaddr_storage *peer;	/* AF_INET, AF_INET6, or "-" */
	time_t		 when;			/* wall clock, seconds */
	const char	*reqline;		/* the request line, CRLF excluded */
	size_t		 reqlen;
	int		 status;
	size_t		 bytes;
	const char	*referer;
	size_t		 reflen;
	const char	*agent;
	size_t		 agentlen;
};

/*
 * Writes r's line, newline included, into dst (cap bytes; no NUL is
 * added).  Returns its length, or 0 if it does not fit in cap (nothing
 * useful is in dst then).  Any cap >= HTTP_LOGFMT_LINE_MAX fits every line.
 * Does not suspend.
 */
size_t	http_logfmt_combined(char *dst, size_t cap,
	    const struct http_logfmt_rec *r);

#endif /* ASYNCD_HTTP_LOGFMT_H */
