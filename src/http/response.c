/*
 * response.c - responses: the head (status line, the server's fields, the
 * handler's fields, the framing), whole bodies and streamed ones, error
 * pages, the Date header and reason phrases.
 *
 * A handler's fields gather in the response's own buffer (rs->hdr, on the
 * connection task's stack), each checked as it is set: a name must be a
 * token and a value must hold no control byte but tab, so nothing taken
 * from a request can split the response.  The head is assembled with
 * memcpy into the connection's output buffer when the body starts, never
 * with snprintf (it was the largest cost of a small response).  The
 * framing is the server's: Content-Length for a whole body or a declared
 * length, chunked for a streamed one on HTTP/1.1, the connection's end on
 * HTTP/1.0; Connection: close whenever the connection will not stay
 * (conn.c decides, as the head is written).  For HEAD every body byte is
 * dropped and the head is what GET's would be.
 *
 * The Date value is formatted at most once per second (nginx's cached
 * time): its second comes from the loop's cached wall clock, refreshed
 * once per iteration, so a response costs neither a clock read nor a
 * strftime.  Deadlines use the runtime's monotonic clock instead.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http-int.h"

static char	date_buf[64];	/* 29 bytes used; room for any int year */
static time_t	date_sec = -1;

const char *
http__date(void)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = (time_t)rt_loop_wall();
	struct tm tm;

	if (now == date_sec)
		return date_buf;
	if (gmtime_r(&now, &tm) == NULL)
		return date_buf;	/* keep the last good one */
	(void)snprintf(date_buf, sizeof(date_buf),
	    "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	date_sec = now;
	return date_buf;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

ssize_t
http__error_response(const struct http_server *s, char *buf, size_t cap,
    int status, int close, const char *allow, int head_only)
{
	char body[64];
	int blen, n;

	blen = snprintf(body, sizeof(body), "%d %s\n", status,
	    http_reason(status));
	n = snprintf(buf, cap,
	    "HTTP/1.1 %d %s\r\n"
	    "Server: %s\r\n"
	    "Date: %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\n"
	    "%s%s%s%s"
	    "\r\n"
	    "%s",
	    status, http_reason(status), s->conf->server_name, http__date(),
	    blen, allow != NULL ? "Allow: " : "", allow != NULL ? allow : "",
	    allow != NULL ? "\r\n" : "", close ? "Connection: close\r\n" : "",
	    head_only ? "" : body);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

size_t
http__error_body_len(int status)
{
	return strlen(http_reason(status)) + 5;	/* "404 " ... "\n" */
}

ssize_t
http_html_escape(char *dst, size_t cap, const char *s, size_t n)
{
	static const char *const entity[256] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
		['"'] = "&quot;", ['\''] = "&#39;",
	};
	/* Each byte's escaped length less one: 0 for all but five. */
	static const unsigned char extra[256] = {
		['&'] = 4, ['<'] = 3, ['>'] = 3, ['"'] = 5, ['\''] = 4,
	};
	size_t i, len = n, el;
	const char *e;

	for (i = 0; i < n; i++)
		len += extra[(unsigned char)s[i]];
	if (len > cap)
		return -ENOSPC;
	if (len == n) {
		memcpy(dst, s, n);	/* the usual case: nothing to escape */
		return (ssize_t)n;
	}
	for (i = 0; i < n; i++) {
		if ((e = entity[(unsigned char)s[i]]) == NULL) {
			*dst++ = s[i];
			continue;
		}
		el = (size_t)extra[(unsigned char)s[i]] + 1;
		memcpy(dst, e, el);
		dst += el;
	}
	return (ssize_t)len;
}

/* ---- the response ---------------------------------------------------------- */

void
http__resp_init(struct http_conn *hc, int head_only)
{
	struct http_resp *rs = &hc->rs;

	rs->hc = hc;
	rs->status = 200;
	rs->reason[0] = '\0';
	rs->started = rs->finished = rs->chunked = rs->until_close = 0;
	rs->head_only = head_only;
	rs->length = -1;
	rs->sent = 0;
	rs->hdr_len = 0;
}

int
http_resp_started(const struct http_resp *rs)
{
	return rs->started;
}

int
http_resp_get_status(const struct http_resp *rs)
{
	return rs->status;
}

/* The bytes a field value or a reason may hold: all but the controls
 * (CR, LF, NUL...) other than tab, and DEL. */
static const unsigned char resp_text_ok[256] = {
	['\t'] = 1,
	[0x20 ... 0x7e] = 1,
	[0x80 ... 0xff] = 1,
};

/*
 * Whether all n bytes of s may be in a field value, eight at a time: a
 * word with a byte below 0x20 or equal to 0x7f (SWAR: bytes of 0x80 and
 * up never match) is looked at byte by byte, since a tab is fine.
 */
static int
http__resp_text_fine(const char *s, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = ones << 7;
	uint64_t x, y;
	size_t i = 0, k;

	for (; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		y = x ^ (ones * 0x7f);
		if ((((x - ones * 0x20) & ~x) | ((y - ones) & ~y)) & highs)
			for (k = i; k < i + 8; k++)
				if (!resp_text_ok[(unsigned char)s[k]])
					return 0;
	}
	for (; i < n; i++)
		if (!resp_text_ok[(unsigned char)s[i]])
			return 0;
	return 1;
}

/* Whether s holds a byte a field value or reason may not; else its length
 * in *len. */
static int
http__resp_bad_text(const char *s, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s;

	while (resp_text_ok[*p])
		p++;
	if (*p != '\0')
		return 1;
	*len = (size_t)((const char *)p - s);
	return 0;
}

int
http_resp_status(struct http_resp *rs, int status, const char *reason)
{
	size_t n = 0;

	if (rs->started)
		return -EALREADY;
	if (status < 200 || status > 599)
		return -EINVAL;
	if (reason != NULL && (http__resp_bad_text(reason, &n) ||
	    n >= sizeof(rs->reason)))
		return -EINVAL;
	rs->status = status;
	if (reason != NULL)
		memcpy(rs->reason, reason, n + 1);
	else
		rs->reason[0] = '\0';
	return 0;
}

/* The fields only the server writes (by length first: this runs for every
 * field a handler sets). */
static int
http__resp_reserved(const char *name, size_t n)
{
	const char *r;

	switch (n) {
	case 4:		r = "Date"; break;
	case 6:		r = "Server"; break;
	case 10:	r = "Connection"; break;
	case 14:	r = "Content-Length"; break;
	case 17:	r = "Transfer-Encoding"; break;
	default:	return 0;
	}
	return strncasecmp(r, name, n) == 0;
}

/* Removes every field called name (n bytes) from rs->hdr. */
static void
http__resp_remove(struct http_resp *rs, const char *name, size_t n)
{
	size_t i = 0, end;
	char *eol;

	while (i < rs->hdr_len) {
		eol = memchr(rs->hdr + i, '\n', rs->hdr_len - i);
		end = (size_t)(eol - rs->hdr) + 1;
		if (end - i > n && rs->hdr[i + n] == ':' &&
		    strncasecmp(rs->hdr + i, name, n) == 0) {
			memmove(rs->hdr + i, rs->hdr + end, rs->hdr_len - end);
			rs->hdr_len -= end - i;
			continue;
		}
		i = end;
	}
}

/*
 * Appends "name: value\r\n" to the fields.  Runs for every field of every
 * response: each string is measured and checked in one table-driven pass,
 * then copied whole.
 */
static int
http__resp_field(struct http_resp *rs, const char *name, const char *value,
    int replace)
{
	const unsigned char *p;
	size_t n, vlen;

	if (rs->started)
		return -EALREADY;
	if (name == NULL || value == NULL)
		return -EINVAL;
	for (p = (const unsigned char *)name; http_tchar[*p]; p++)
		;
	n = (size_t)((const char *)p - name);
	if (n == 0 || *p != '\0')
		return -EINVAL;
	vlen = strlen(value);
	if (!http__resp_text_fine(value, vlen))
		return -EINVAL;
	if (http__resp_reserved(name, n))
		return -EPERM;
	/* Checked before a replaced field is removed: an error changes
	 * nothing (at the cost of refusing what removing would make fit). */
	if (rs->hdr_len + n + vlen + 4 > sizeof(rs->hdr))
		return -ENOSPC;
	if (replace)
		http__resp_remove(rs, name, n);
	memcpy(rs->hdr + rs->hdr_len, name, n);
	rs->hdr_len += n;
	rs->hdr[rs->hdr_len++] = ':';
	rs->hdr[rs->hdr_len++] = ' ';
	memcpy(rs->hdr + rs->hdr_len, value, vlen);
	rs->hdr_len += vlen;
	rs->hdr[rs->hdr_len++] = '\r';
	rs->hdr[rs->hdr_len++] = '\n';
	return 0;
}

int
http_resp_header(struct http_resp *rs, const char *name, const char *value)
{
	return http__resp_field(rs, name, value, 0);
}

int
http_resp_header_set(struct http_resp *rs, const char *name,
    const char *value)
{
	return http__resp_field(rs, name, value, 1);
}

static char *
http__put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/* The server's cached start of a 200 response with its standard reason,
 * up to and with the Date line; its length in *len, 0 if it does not fit
 * (a long server name: the caller builds the head piece by piece). */
static const char *
http__resp_head200(struct http_server *s, size_t *len)
{
	const char *date = http__date();
	int n;

	if (s->head200_sec != date_sec) {
		n = snprintf(s->head200, sizeof(s->head200), "HTTP/1.1 200 OK"
		    "\r\nServer: %s\r\nDate: %s\r\n", s->conf->server_name,
		    date);
		s->head200_len = n > 0 && (size_t)n < sizeof(s->head200) ?
		    (size_t)n : 0;
		s->head200_sec = date_sec;
	}
	*len = s->head200_len;
	return s->head200;
}

/* Queues the head, with Content-Length: length if length >= 0, else the
 * framing of a streamed body.  0 or -errno. */
static int
http__resp_head(struct http_resp *rs, int64_t length)
{
	static const char close[] = "Connection: close\r\n";
	static const char ka[] = "Connection: keep-alive\r\n";
	static const char te[] = "Transfer-Encoding: chunked\r\n";
	struct http_conn *hc = rs->hc;
	const char *name = hc->s->conf->server_name, *reason, *start;
	size_t nlen = hc->s->name_len, rlen, slen;
	char digits[24], *d = digits + sizeof(digits), *p;
	uint64_t v;
	int err, keep, status = rs->status;

	if (length >= 0) {
		v = (uint64_t)length;
		do
			*--d = (char)('0' + v % 10);
		while ((v /= 10) != 0);
	} else if (hc->p.req.version == 11)
		rs->chunked = 1;
	else
		rs->until_close = 1;	/* HTTP/1.0: the end is the close */
	/* Room for the whole head in the output buffer (HTTP_RESP_HEAD_MAX
	 * of fields fits in HTTP__OUT_CAP with the rest). */
	if ((err = http__conn_write(hc, NULL, 128 + nlen + sizeof(rs->reason) +
	    HTTP__DATE_LEN + rs->hdr_len + sizeof(digits) + sizeof(te) +
	    sizeof(ka))) != 0)
		return err;
	keep = http__conn_keep(hc) && !rs->until_close;
	if (!keep)
		hc->keep = 0;
	p = hc->out + hc->out_len;
	if (status == 200 && rs->reason[0] == '\0' &&
	    (start = http__resp_head200(hc->s, &slen)) != NULL && slen > 0)
		p = http__put(p, start, slen);
	else {
		/* Any reason is shorter than rs->reason: http_reason's are,
		 * and http_resp_status checks a custom one. */
		reason = rs->reason[0] != '\0' ? rs->reason :
		    http_reason(status);
		rlen = strlen(reason);
		p = http__put(p, "HTTP/1.1 ", 9);
		*p++ = (char)('0' + status / 100);
		*p++ = (char)('0' + status / 10 % 10);
		*p++ = (char)('0' + status % 10);
		*p++ = ' ';
		p = http__put(p, reason, rlen);
		p = http__put(p, "\r\nServer: ", 10);
		p = http__put(p, name, nlen);
		p = http__put(p, "\r\nDate: ", 8);
		p = http__put(p, http__date(), HTTP__DATE_LEN);
		p = http__put(p, "\r\n", 2);
	}
	p = http__put(p, rs->hdr, rs->hdr_len);
	if (length >= 0) {
		p = http__put(p, "Content-Length: ", 16);
		p = http__put(p, d, (size_t)(digits + sizeof(digits) - d));
		p = http__put(p, "\r\n", 2);
	} else if (rs->chunked)
		p = http__put(p, te, sizeof(te) - 1);
	if (!keep)
		p = http__put(p, close, sizeof(close) - 1);
	else if (hc->p.req.version == 10)
		p = http__put(p, ka, sizeof(ka) - 1);
	p = http__put(p, "\r\n", 2);
	hc->out_len = (size_t)(p - hc->out);
	rs->started = 1;
	rs->length = length;
	return 0;
}

int
http_resp_send(struct http_resp *rs, const void *body, size_t len)
{
	struct http_conn *hc = rs->hc;
	int err;

	if (rs->started)
		return -EALREADY;
	/* Head and a small body together, so they never straddle a flush. */
	if (!rs->head_only && len <= HTTP__OUT_CAP / 2 &&
	    (err = http__conn_write(hc, NULL, 1024 + rs->hdr_len + len)) != 0)
		return err;
	if ((err = http__resp_head(rs, (int64_t)len)) != 0)
		return err;
	rs->finished = 1;
	if (rs->head_only || len == 0)
		return 0;
	rs->sent = len;
	return http__conn_write(hc, body, len);
}

int
http_resp_start(struct http_resp *rs, int64_t length)
{
	if (rs->started)
		return -EALREADY;
	return http__resp_head(rs, length < 0 ? -1 : length);
}

int
http_resp_write(struct http_resp *rs, const void *p, size_t n)
{
	struct http_conn *hc = rs->hc;
	char line[24], *d = line + sizeof(line);
	size_t v = n;
	int err;

	if (!rs->started && (err = http_resp_start(rs, -1)) != 0)
		return err;
	if (rs->finished)
		return -EALREADY;
	if (rs->length >= 0 && rs->sent + n > (uint64_t)rs->length)
		return -EMSGSIZE;
	rs->sent += n;
	if (rs->head_only || n == 0)
		return 0;
	if (!rs->chunked)
		return http__conn_write(hc, p, n);
	/* A chunk: its size in hex, CRLF, the bytes, CRLF. */
	*--d = '\n';
	*--d = '\r';
	do
		*--d = "0123456789abcdef"[v & 15];
	while ((v >>= 4) != 0);
	if ((err = http__conn_write(hc, d, (size_t)(line + sizeof(line) -
	    d))) != 0 || (err = http__conn_write(hc, p, n)) != 0)
		return err;
	return http__conn_write(hc, "\r\n", 2);
}

int
http_resp_flush(struct http_resp *rs)
{
	int err;

	if (!rs->started && (err = http_resp_start(rs, -1)) != 0)
		return err;
	return http__conn_flush(rs->hc);
}

int
http_resp_finish(struct http_resp *rs)
{
	struct http_conn *hc = rs->hc;
	int err;

	if (!rs->started && (err = http_resp_start(rs, 0)) != 0)
		return err;
	if (rs->finished)
		return 0;
	if (rs->length >= 0 && rs->sent != (uint64_t)rs->length)
		return -EMSGSIZE;
	rs->finished = 1;
	if (rs->chunked && !rs->head_only)
		return http__conn_write(hc, "0\r\n\r\n", 5);
	return 0;
}

int
http__resp_end(struct http_conn *hc, int ret)
{
	struct http_resp *rs = &hc->rs;

	if (!rs->started) {
		if (ret > 0) {
			/* "return 404": the server's page for it. */
			ssize_t n;

			if (http__conn_write(hc, NULL, 1024) != 0)
				return -1;
			n = http__error_response(hc->s, hc->out + hc->out_len,
			    HTTP__OUT_CAP - hc->out_len, ret,
			    !http__conn_keep(hc), NULL, rs->head_only);
			if (n < 0)
				return -1;
			hc->out_len += (size_t)n;
			rs->status = ret;
			rs->started = rs->finished = 1;
			/* The page's body, for the access log: "404 Not
			 * Found\n". */
			rs->sent = rs->head_only ? 0 :
			    http__error_body_len(ret);
			return 0;
		}
		/* Done with nothing sent: what was set, and no body. */
		return http_resp_send(rs, NULL, 0) == 0 ? 0 : -1;
	}
	if (rs->finished)
		return 0;
	if (rs->until_close)
		return -1;	/* the body ends with the connection */
	if (ret == 0 && http_resp_finish(rs) == 0)
		return 0;
	return -1;		/* the client cannot know the body is cut */
}
