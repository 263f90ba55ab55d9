/*
 * logfmt.h - the access log's line: a format compiled once from an
 * nginx-style template, then applied to each response.
 *
 *   combined (the default):
 *   127.0.0.1 - - [27/Nov/2026:05:40:00 +0000] "GET / HTTP/1.1" 200 14 "-" "curl/8"
 *
 *   json (one object per line):
 *   {"time":"2026-11-27T05:40:00+00:00","remote_addr":"127.0.0.1",...}
 *
 * A template is literal text with variables ($name or ${name}); see
 * HTTP_LOGFMT_VARS in logfmt.c and asyncd.conf(5) for the list.  Literal
 * text is the operator's and copied as is; variables' values are escaped:
 *   - default: bytes outside printable ASCII, '"' and '\' become \xHH
 *     (nginx's default), so a request cannot forge a line or a field, nor
 *     send escapes to a terminal;
 *   - json: '"' and '\' become \" and \\, and every byte outside printable
 *     ASCII \u00HH, so the line is valid JSON (and ASCII) whatever the
 *     client sent, invalid UTF-8 included.
 * An escaped value longer than HTTP_LOGFMT_FIELD_MAX bytes is cut and ends
 * in "..." (the three dots counted in the maximum).
 *
 * Pure, like the parser: no I/O, no runtime, no allocation, so it is unit
 * tested and fuzzed alone (fuzz/fuzz-logfmt.c).  The formatter never writes
 * past the capacity it is given and never leaves half a line: a line that
 * does not fit is not written at all.
 */
#ifndef ASYNCD_HTTP_LOGFMT_H
#define ASYNCD_HTTP_LOGFMT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* The longest escaped value, "..." included. */
#define HTTP_LOGFMT_FIELD_MAX	1024
/* Headers one format may show ($http_<name>), and their names' bytes. */
#define HTTP_LOGFMT_HDRS_MAX	8
#define HTTP_LOGFMT_HDRNAME_MAX	64
/* Variables and literal runs in one format, and the literal bytes. */
#define HTTP_LOGFMT_OPS_MAX	64
#define HTTP_LOGFMT_TEXT_MAX	1024
/* The longest line any format may make: a format whose worst case is
 * longer is refused when it is compiled.  Half the server's buffer (see
 * HTTP__ALOG_CAP), so a buffer always takes two whole lines. */
#define HTTP_LOGFMT_LINE_MAX	(32 * 1024)

enum http_logfmt_escape {
	HTTP_LOGFMT_ESC_DEFAULT,
	HTTP_LOGFMT_ESC_JSON,
};

/* The presets' templates. */
#define HTTP_LOGFMT_COMBINED \
	"$remote_addr - - [$time_local] \"$request\" $status " \
	"$body_bytes_sent \"$http_referer\" \"$http_user_agent\""
#define HTTP_LOGFMT_JSON \
	"{\"time\":\"$time_iso8601\",\"remote_addr\":\"$remote_addr\"," \
	"\"request\":\"$request\",\"status\":$status," \
	"\"body_bytes_sent\":$body_bytes_sent,\"bytes_sent\":$bytes_sent," \
	"\"request_time\":$request_time,\"referer\":\"$http_referer\"," \
	"\"user_agent\":\"$http_user_agent\",\"worker\":$worker," \
	"\"request_id\":\"$request_id\"}"

/* A compiled format.  Plain data: copy it, keep it in a struct. */
struct http_logfmt {
	int		 escape;		/* enum http_logfmt_escape */
	size_t		 nops;
	struct {
		uint8_t	 var;		/* 0: literal text[off, off + len) */
		uint8_t	 hdr;		/* $http_: index into hdrs */
		uint16_t off, len;
	}		 ops[HTTP_LOGFMT_OPS_MAX];
	size_t		 nhdrs;
	struct {
		uint16_t off, len;	/* the name, in text */
	}		 hdrs[HTTP_LOGFMT_HDRS_MAX];
	size_t		 ntext;
	char		 text[HTTP_LOGFMT_TEXT_MAX];
	size_t		 line_max;		/* the longest line it makes */
	unsigned	 uses;			/* HTTP_LOGFMT_USES_* */
};

/* What a format reads, so that the server gathers only that. */
#define HTTP_LOGFMT_USES_REQUEST	0x1
#define HTTP_LOGFMT_USES_REQUEST_ID	0x2

/* One captured client string: its bytes (not NUL-terminated; NULL or
 * empty: logged as "-"), and whether more was sent than captured. */
struct http_logfmt_str {
	const char	*p;
	size_t		 len;
	int		 cut;
};

/* One response, as the access log records it. */
struct http_logfmt_rec {
	const struct sockaddr_storage *peer;	/* AF_INET, AF_INET6, or "-" */
	time_t		 when;			/* wall clock, seconds */
	struct http_logfmt_str request;		/* the request line, no CRLF */
	int		 status;
	uint64_t	 body_bytes;		/* the body's bytes */
	uint64_t	 bytes;			/* head and body */
	double		 request_time;		/* seconds, first byte to log */
	unsigned	 worker;
	uint64_t	 id[2];			/* $request_id: 32 hex digits */
	struct http_logfmt_str hdr[HTTP_LOGFMT_HDRS_MAX];  /* fmt's hdrs */
};

/*
 * Compiles template with the given escaping into f.  0, or -1 with what
 * is wrong in err (an unknown variable, too many, a line that could be
 * longer than HTTP_LOGFMT_LINE_MAX).  Does not suspend.
 */
int	http_logfmt_compile(struct http_logfmt *f, const char *template,
	    int escape, char *err, size_t errlen);

/* The name of f's header i, and its length. */
const char *http_logfmt_hdr(const struct http_logfmt *f, size_t i,
	    size_t *len);

/*
 * Writes r's line as f says, newline included, into dst (cap bytes; no
 * NUL is added).  Returns its length, or 0 if it does not fit in cap
 * (nothing useful is in dst then).  Any cap >= f->line_max fits every
 * line.  Does not suspend.
 */
size_t	http_logfmt_line(char *dst, size_t cap, const struct http_logfmt *f,
	    const struct http_logfmt_rec *r);

#endif /* ASYNCD_HTTP_LOGFMT_H */
