/*
 * response.c - what every response needs: the Date header, reason phrases,
 * error responses.
 *
 * The Date value is formatted at most once per second (nginx's cached
 * time): its second comes from libev's wall clock (ev_now), which libev
 * refreshes once per iteration, so a response costs neither a clock read
 * nor a strftime.  Deadlines use the runtime's monotonic clock instead.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
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
	snprintf(date_buf, sizeof(date_buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	date_sec = now;
	return date_buf;
}

const char *
http__reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

ssize_t
http__error_response(const struct http_server *s, char *buf, size_t cap,
    int status, int close, unsigned allow, int head_only)
{
	char body[64], allow_hdr[64] = "";
	int blen, n;

	blen = snprintf(body, sizeof(body), "%d %s\n", status,
	    http__reason(status));
	if (allow != 0)
		snprintf(allow_hdr, sizeof(allow_hdr), "Allow: %s%s%s\r\n",
		    allow & (1u << HTTP_M_GET) ? "GET" : "",
		    (allow & (1u << HTTP_M_GET)) && (allow & (1u << HTTP_M_HEAD)) ?
		    ", " : "", allow & (1u << HTTP_M_HEAD) ? "HEAD" : "");
	n = snprintf(buf, cap,
	    "HTTP/1.1 %d %s\r\n"
	    "Server: %s\r\n"
	    "Date: %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\n"
	    "%s%s"
	    "\r\n"
	    "%s",
	    status, http__reason(status), s->conf->server_name, http__date(),
	    blen, allow_hdr, close ? "Connection: close\r\n" : "",
	    head_only ? "" : body);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}
