/*
 * access.c - the access log, in the combined log format:
 *
 *   127.0.0.1 - - [27/Nov/2026:05:40:00 +0000] "GET / HTTP/1.1" 200 14 "-" "curl/8"
 *
 * Lines gather in one buffer per server and reach the file when the buffer
 * is nearly full and once a second: no system call per request.  Every byte
 * a client chose (request line, Referer, User-Agent) is escaped: bytes
 * outside printable ASCII, '"' and '\' become \xHH, so a request cannot
 * forge log lines or terminal escapes.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http-int.h"

/* The longest escaped field we log; longer ones are cut, marked "...". */
#define FIELD_MAX	1024

static size_t
escape(char *dst, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;
	unsigned char ch;

	if (src == NULL || len == 0) {
		dst[0] = '-';
		return 1;
	}
	for (i = 0; i < len && n + 4 < FIELD_MAX; i++) {
		ch = (unsigned char)src[i];
		if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[ch >> 4];
			dst[n++] = hex[ch & 15];
		} else
			dst[n++] = (char)ch;
	}
	if (i < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	return n;
}

void
http__access_flush(struct http_server *s)
{
	const int *fdp = s->conf->access_fd;
	size_t off = 0;
	ssize_t n;

	if (fdp == NULL || *fdp < 0) {
		s->alog_len = 0;
		return;
	}
	while (off < s->alog_len) {
		n = write(*fdp, s->alog + off, s->alog_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* A full disk must not stop the server: drop the
			 * buffered lines and say so once per flush. */
			if (s->conf->log != NULL)
				s->conf->log(0, "access log write failed, %zu "
				    "bytes dropped: %s", s->alog_len - off,
				    n < 0 ? strerror(errno) : "short write");
			break;
		}
		off += (size_t)n;
	}
	s->alog_len = 0;
}

void
http__access_log(struct http_server *s, const struct sockaddr_storage *peer,
    const char *reqline, size_t reqlen, int status, size_t bytes,
    const char *referer, size_t reflen, const char *agent, size_t agentlen)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static char stamp[32];
	static time_t stamp_sec = -1;
	char addr[INET6_ADDRSTRLEN] = "-";
	char req[FIELD_MAX], ref[FIELD_MAX], ua[FIELD_MAX];
	size_t rl, fl, ul;
	time_t now;
	struct tm tm;
	int n;

	if (s->conf->access_fd == NULL || *s->conf->access_fd < 0)
		return;
	now = (time_t)ev_now(rt_loop_ev());	/* wall clock, cached */
	if (now != stamp_sec && gmtime_r(&now, &tm) != NULL) {
		snprintf(stamp, sizeof(stamp), "%02d/%s/%04d:%02d:%02d:%02d +0000",
		    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
		stamp_sec = now;
	}
	if (peer->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr,
		    addr, sizeof(addr));
	else if (peer->ss_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)peer)->sin6_addr, addr,
		    sizeof(addr));
	rl = escape(req, reqline, reqlen);
	fl = escape(ref, referer, reflen);
	ul = escape(ua, agent, agentlen);

	if (s->alog_len + 3 * FIELD_MAX + 128 > HTTP__ALOG_CAP)
		http__access_flush(s);
	n = snprintf(s->alog + s->alog_len, HTTP__ALOG_CAP - s->alog_len,
	    "%s - - [%s] \"%.*s\" %d %zu \"%.*s\" \"%.*s\"\n", addr, stamp,
	    (int)rl, req, status, bytes, (int)fl, ref, (int)ul, ua);
	if (n > 0 && (size_t)n < HTTP__ALOG_CAP - s->alog_len)
		s->alog_len += (size_t)n;
}
