/*
 * logfmt.c - the access log's line (see logfmt.h).
 *
 * Everything goes through one bounded writer (struct out): each append
 * checks the room left and, when it is short, marks the line as not
 * fitting instead of writing.  Escaping keeps its own budget per field on
 * top of that: a byte is copied only if the field still has room for it
 * and, when more bytes follow it, for the "..." that may have to close the
 * field, so the cut mark always fits.  (Its predecessor reserved nothing
 * for the mark and wrote 2 bytes past a 1,024-byte stack field.)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "logfmt.h"

struct out {
	char	*p, *end;
	int	 full;		/* something did not fit: the line is void */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->full || (size_t)(o->end - o->p) < n) {
		o->full = 1;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static void
put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* An unsigned decimal, without snprintf. */
static void
put_uint(struct out *o, unsigned long long v)
{
	char digits[24], *d = digits + sizeof(digits);

	do
		*--d = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(o, d, (size_t)(digits + sizeof(digits) - d));
}

/* src escaped, within HTTP_LOGFMT_FIELD_MAX bytes, or "-" if empty. */
static void
put_escaped(struct out *o, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, used = 0, need, room;
	unsigned char ch;
	char esc[4];

	if (src == NULL || len == 0) {
		put(o, "-", 1);
		return;
	}
	for (i = 0; i < len; i++) {
		ch = (unsigned char)src[i];
		need = ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\' ?
		    4 : 1;
		/* The last byte may use the whole field; any other must leave
		 * room for the cut mark. */
		room = HTTP_LOGFMT_FIELD_MAX - (i + 1 < len ? 3 : 0);
		if (used + need > room)
			break;
		if (need == 1)
			put(o, (const char *)&src[i], 1);
		else {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[ch >> 4];
			esc[3] = hex[ch & 15];
			put(o, esc, 4);
		}
		used += need;
	}
	if (i < len)
		put(o, "...", 3);	/* used <= FIELD_MAX - 3 here */
}

static void
put_addr(struct out *o, const struct sockaddr_storage *ss)
{
	char addr[INET6_ADDRSTRLEN];
	const void *a = NULL;

	if (ss != NULL && ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
	else if (ss != NULL && ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
	if (a != NULL && inet_ntop(ss->ss_family, a, addr, sizeof(addr)) !=
	    NULL)
		put_str(o, addr);
	else
		put(o, "-", 1);
}

/* "27/Nov/2026:05:40:00 +0000", formatted once per second. */
static const char *
stamp(time_t when)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static char buf[32] = "01/Jan/1970:00:00:00 +0000";
	static time_t cached = 0;
	struct tm tm;
	int n;

	if (when == cached || gmtime_r(&when, &tm) == NULL)
		return buf;
	/* A year past 9999 does not fit the format's width: keep the last
	 * good stamp rather than log a malformed one. */
	n = snprintf(buf, sizeof(buf), "%02d/%s/%04d:%02d:%02d:%02d +0000",
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= sizeof(buf))
		(void)snprintf(buf, sizeof(buf), "01/Jan/1970:00:00:00 +0000");
	cached = when;
	return buf;
}

size_t
http_logfmt_combined(char *dst, size_t cap, const struct http_logfmt_rec *r)
{
	struct out o = { dst, dst + cap, 0 };

	put_addr(&o, r->peer);
	put(&o, " - - [", 6);
	put_str(&o, stamp(r->when));
	put(&o, "] \"", 3);
	put_escaped(&o, r->reqline, r->reqlen);
	put(&o, "\" ", 2);
	put_uint(&o, r->status < 0 ? 0 : (unsigned long long)r->status);
	put(&o, " ", 1);
	put_uint(&o, r->bytes);
	put(&o, " \"", 2);
	put_escaped(&o, r->referer, r->reflen);
	put(&o, "\" \"", 3);
	put_escaped(&o, r->agent, r->agentlen);
	put(&o, "\"\n", 2);
	return o.full ? 0 : (size_t)(o.p - dst);
}
