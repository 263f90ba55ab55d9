/*
 * access.c - the access log's buffer: lines are formatted by logfmt.c
 * straight into one buffer per server, which reaches the file when it is
 * nearly full and once a second: no system call per request.
 *
 * While the server stops (a graceful stop or a reload), every line is
 * written at once: a draining worker may be killed at its deadline, and
 * the lines of the responses it already sent must not die with it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "http-int.h"

_Static_assert(HTTP__ALOG_CAP >= 2 * HTTP_LOGFMT_LINE_MAX,
    "the access log buffer must hold at least two whole lines");

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
			 * buffered lines; the log says so, rate-limited. */
			s->alog_dropped += s->alog_len - off;
			if (s->conf->log != NULL)
				http__log_limited(s, &s->alog_errlim, 0,
				    "access log write failed, %zu bytes "
				    "dropped: %s", s->alog_len - off,
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
	struct http_logfmt_rec r = {
		.peer = peer, .when = (time_t)rt_loop_wall(),
		.reqline = reqline, .reqlen = reqlen, .status = status,
		.bytes = bytes, .referer = referer, .reflen = reflen,
		.agent = agent, .agentlen = agentlen,
	};
	size_t n;

	if (s->conf->access_fd == NULL || *s->conf->access_fd < 0)
		return;
	/* Whole lines only: flush first when the longest might not fit. */
	if (HTTP__ALOG_CAP - s->alog_len < HTTP_LOGFMT_LINE_MAX)
		http__access_flush(s);
	n = http_logfmt_combined(s->alog + s->alog_len,
	    HTTP__ALOG_CAP - s->alog_len, &r);
	s->alog_len += n;	/* 0 cannot happen: the room was made */
	if (s->stopping)
		http__access_flush(s);
}
