/*
 * logfmt.c - the access log's line (see logfmt.h).
 *
 * A template is compiled once, when the configuration is read, into a list
 * of operations (a literal run, or a variable), and each operation's worst
 * case is added up then: a format whose line could outgrow
 * HTTP_LOGFMT_LINE_MAX is refused there, so the server's buffer, which
 * always keeps room for one longest line, never tears a line.
 *
 * Writing goes through one bounded writer (struct out): each append checks
 * the room left and, when it is short, marks the line as not fitting
 * instead of writing.  Escaping keeps its own budget per value on top of
 * that: a byte is copied only if the value still has room for it and, when
 * more bytes follow it, for the "..." that may have to close the value, so
 * the cut mark always fits.  (A predecessor reserved nothing for the mark
 * and wrote 2 bytes past a 1,024-byte stack field.)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "logfmt.h"

enum var {
	V_LITERAL,
	V_REMOTE_ADDR,
	V_TIME_LOCAL,
	V_TIME_ISO8601,
	V_REQUEST,
	V_STATUS,
	V_BODY_BYTES_SENT,
	V_BYTES_SENT,
	V_REQUEST_TIME,
	V_WORKER,
	V_REQUEST_ID,
	V_HTTP,
};

/* The variables, and the longest each can write (escaped values: the
 * field's maximum; numbers: 20 digits for 64 bits). */
static const struct {
	const char	*name;
	enum var	 var;
	size_t		 max;
} vars[] = {
	{ "remote_addr",	V_REMOTE_ADDR,		INET6_ADDRSTRLEN },
	{ "time_local",		V_TIME_LOCAL,		26 },
	{ "time_iso8601",	V_TIME_ISO8601,		25 },
	{ "request",		V_REQUEST,		HTTP_LOGFMT_FIELD_MAX },
	{ "status",		V_STATUS,		11 },
	{ "body_bytes_sent",	V_BODY_BYTES_SENT,	20 },
	{ "bytes_sent",		V_BYTES_SENT,		20 },
	{ "request_time",	V_REQUEST_TIME,		24 },
	{ "worker",		V_WORKER,		10 },
	{ "request_id",		V_REQUEST_ID,		32 },
};

static int
http__is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static int
http__add_text(struct http_logfmt *f, const char *s, size_t n, uint16_t *off)
{
	if (n > HTTP_LOGFMT_TEXT_MAX - f->ntext)
		return -1;
	memcpy(f->text + f->ntext, s, n);
	*off = (uint16_t)f->ntext;
	f->ntext += n;
	return 0;
}

/* The index of header name[0, n) in f, added if new ('_' read as '-',
 * as nginx does); -1 if there is no room. */
static int
http__add_hdr(struct http_logfmt *f, const char *name, size_t n)
{
	char buf[HTTP_LOGFMT_HDRNAME_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = name[i] == '_' ? '-' : name[i];
	for (i = 0; i < f->nhdrs; i++)
		if (f->hdrs[i].len == n &&
		    strncasecmp(f->text + f->hdrs[i].off, buf, n) == 0)
			return (int)i;
	if (f->nhdrs == HTTP_LOGFMT_HDRS_MAX ||
	    http__add_text(f, buf, n, &f->hdrs[f->nhdrs].off) != 0)
		return -1;
	f->hdrs[f->nhdrs].len = (uint16_t)n;
	return (int)f->nhdrs++;
}

int
http_logfmt_compile(struct http_logfmt *f, const char *tpl, int escape,
    char *err, size_t errlen)
{
	const char *p = tpl, *name, *lit;
	size_t n, i, max = 1;		/* the newline */
	int h, braces;

	memset(f, 0, sizeof(*f));
	f->escape = escape;
	while (*p != '\0') {
		if (f->nops == HTTP_LOGFMT_OPS_MAX) {
			(void)snprintf(err, errlen, "more than %d variables "
			    "and literal runs", HTTP_LOGFMT_OPS_MAX);
			return -1;
		}
		if (*p != '$') {
			for (lit = p; *p != '\0' && *p != '$'; p++)
				;
			n = (size_t)(p - lit);
			if (http__add_text(f, lit, n, &f->ops[f->nops].off) != 0) {
				(void)snprintf(err, errlen, "more than %d bytes "
				    "of text", HTTP_LOGFMT_TEXT_MAX);
				return -1;
			}
			f->ops[f->nops].var = V_LITERAL;
			f->ops[f->nops++].len = (uint16_t)n;
			max += n;
			continue;
		}
		braces = p[1] == '{';
		name = p + 1 + braces;
		for (n = 0; http__is_name_char((unsigned char)name[n]); n++)
			;
		if (n == 0 || (braces && name[n] != '}')) {
			(void)snprintf(err, errlen, "'$' at offset %zu starts "
			    "no variable name ($name or ${name})",
			    (size_t)(p - tpl));
			return -1;
		}
		p = name + n + braces;
		if (n > 5 && strncmp(name, "http_", 5) == 0) {
			if (n - 5 > HTTP_LOGFMT_HDRNAME_MAX) {
				(void)snprintf(err, errlen, "$%.*s: a header "
				    "name is at most %d bytes", (int)n, name,
				    HTTP_LOGFMT_HDRNAME_MAX);
				return -1;
			}
			if ((h = http__add_hdr(f, name + 5, n - 5)) < 0) {
				(void)snprintf(err, errlen, "$%.*s: more than "
				    "%d headers", (int)n, name,
				    HTTP_LOGFMT_HDRS_MAX);
				return -1;
			}
			f->ops[f->nops].var = V_HTTP;
			f->ops[f->nops++].hdr = (uint8_t)h;
			max += HTTP_LOGFMT_FIELD_MAX;
			continue;
		}
		for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
			if (strlen(vars[i].name) == n &&
			    memcmp(vars[i].name, name, n) == 0)
				break;
		if (i == sizeof(vars) / sizeof(vars[0])) {
			(void)snprintf(err, errlen, "unknown variable $%.*s",
			    (int)n, name);
			return -1;
		}
		f->ops[f->nops++].var = (uint8_t)vars[i].var;
		max += vars[i].max;
		if (vars[i].var == V_REQUEST)
			f->uses |= HTTP_LOGFMT_USES_REQUEST;
		else if (vars[i].var == V_REQUEST_ID)
			f->uses |= HTTP_LOGFMT_USES_REQUEST_ID;
	}
	if (max > HTTP_LOGFMT_LINE_MAX) {
		(void)snprintf(err, errlen, "a line could be %zu bytes long, "
		    "over the %d the log's buffer takes", max,
		    HTTP_LOGFMT_LINE_MAX);
		return -1;
	}
	f->line_max = max;
	return 0;
}

const char *
http_logfmt_hdr(const struct http_logfmt *f, size_t i, size_t *len)
{
	*len = f->hdrs[i].len;
	return f->text + f->hdrs[i].off;
}

struct out {
	char	*p, *end;
	int	 full;		/* something did not fit: the line is void */
};

static void
http__out_put(struct out *o, const char *s, size_t n)
{
	if (o->full || (size_t)(o->end - o->p) < n) {
		o->full = 1;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
}

static void
http__put_str(struct out *o, const char *s)
{
	http__out_put(o, s, strlen(s));
}

/* An unsigned decimal, without snprintf. */
static void
http__put_uint(struct out *o, unsigned long long v)
{
	char digits[24], *d = digits + sizeof(digits);

	do
		*--d = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	http__out_put(o, d, (size_t)(digits + sizeof(digits) - d));
}

/* v as 16 lowercase hex digits. */
static void
http__put_hex64(struct out *o, uint64_t v)
{
	char digits[16];
	int i;

	for (i = 15; i >= 0; i--, v >>= 4)
		digits[i] = "0123456789abcdef"[v & 15];
	http__out_put(o, digits, sizeof(digits));
}

/* Seconds with milliseconds, as nginx's $request_time: "0.003". */
static void
http__put_seconds(struct out *o, double t)
{
	unsigned long long ms;
	char frac[4];

	if (!(t > 0))		/* negative, or NaN */
		t = 0;
	if (t > 1e12)
		t = 1e12;
	ms = (unsigned long long)(t * 1000. + .5);
	http__put_uint(o, ms / 1000);
	frac[0] = '.';
	frac[1] = (char)('0' + ms / 100 % 10);
	frac[2] = (char)('0' + ms / 10 % 10);
	frac[3] = (char)('0' + ms % 10);
	http__out_put(o, frac, 4);
}

/* A value escaped as f says, within HTTP_LOGFMT_FIELD_MAX bytes; empty:
 * "-" (default) or nothing (json, where the template quotes it). */
static void
http__put_escaped(struct out *o, int escape, const struct http_logfmt_str *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, used = 0, need, room;
	unsigned char ch;
	char esc[6];

	if (s->p == NULL || s->len == 0) {
		if (escape != HTTP_LOGFMT_ESC_JSON)
			http__out_put(o, "-", 1);
		return;
	}
	for (i = 0; i < s->len; i++) {
		ch = (unsigned char)s->p[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			need = 1;
			esc[0] = (char)ch;
		} else if (escape == HTTP_LOGFMT_ESC_JSON && ch >= 0x20 &&
		    ch < 0x7f) {
			need = 2;
			esc[0] = '\\';
			esc[1] = (char)ch;
		} else if (escape == HTTP_LOGFMT_ESC_JSON) {
			/* The byte as its Latin-1 code point: always valid
			 * JSON, whatever the client's encoding. */
			need = 6;
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
		} else {
			need = 4;
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[ch >> 4];
			esc[3] = hex[ch & 15];
		}
		/* The last byte may use the whole field; any other must leave
		 * room for the cut mark. */
		room = HTTP_LOGFMT_FIELD_MAX -
		    (i + 1 < s->len || s->cut ? 3 : 0);
		if (used + need > room)
			break;
		http__out_put(o, esc, need);
		used += need;
	}
	if (i < s->len || s->cut)
		http__out_put(o, "...", 3);	/* used <= FIELD_MAX - 3 here */
}

static void
http__put_addr(struct out *o, const struct sockaddr_storage *ss)
{
	char addr[INET6_ADDRSTRLEN];
	const void *a = NULL;

	if (ss != NULL && ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
	else if (ss != NULL && ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
	if (a != NULL && inet_ntop(ss->ss_family, a, addr, sizeof(addr)) !=
	    NULL)
		http__put_str(o, addr);
	else
		http__out_put(o, "-", 1);
}

/*
 * when as the combined format's "27/Nov/2026:05:40:00 +0000" or ISO 8601's
 * "2026-11-27T05:40:00+00:00", each formatted once per second.  A year
 * past 9999 does not fit the formats' widths: the last good stamp is kept
 * rather than a malformed one logged.
 */
static const char *
http__stamp(time_t when, int iso)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	static char buf[2][32] = { "01/Jan/1970:00:00:00 +0000",
	    "1970-01-01T00:00:00+00:00" };
	static time_t cached[2];
	struct tm tm;
	int n;

	if (when == cached[iso] || gmtime_r(&when, &tm) == NULL ||
	    tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return buf[iso];
	if (iso)
		n = snprintf(buf[1], sizeof(buf[1]),
		    "%04d-%02d-%02dT%02d:%02d:%02d+00:00", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec);
	else
		n = snprintf(buf[0], sizeof(buf[0]),
		    "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday,
		    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	if (n > 0 && (size_t)n < sizeof(buf[0]))
		cached[iso] = when;
	return buf[iso];
}

size_t
http_logfmt_line(char *dst, size_t cap, const struct http_logfmt *f,
    const struct http_logfmt_rec *r)
{
	struct out o = { dst, dst + cap, 0 };
	size_t i;

	for (i = 0; i < f->nops; i++) {
		switch (f->ops[i].var) {
		case V_LITERAL:
			http__out_put(&o, f->text + f->ops[i].off, f->ops[i].len);
			break;
		case V_REMOTE_ADDR:
			http__put_addr(&o, r->peer);
			break;
		case V_TIME_LOCAL:
			http__put_str(&o, http__stamp(r->when, 0));
			break;
		case V_TIME_ISO8601:
			http__put_str(&o, http__stamp(r->when, 1));
			break;
		case V_REQUEST:
			http__put_escaped(&o, f->escape, &r->request);
			break;
		case V_STATUS:
			http__put_uint(&o, r->status < 0 ? 0 :
			    (unsigned long long)r->status);
			break;
		case V_BODY_BYTES_SENT:
			http__put_uint(&o, r->body_bytes);
			break;
		case V_BYTES_SENT:
			http__put_uint(&o, r->bytes);
			break;
		case V_REQUEST_TIME:
			http__put_seconds(&o, r->request_time);
			break;
		case V_WORKER:
			http__put_uint(&o, r->worker);
			break;
		case V_REQUEST_ID:
			http__put_hex64(&o, r->id[0]);
			http__put_hex64(&o, r->id[1]);
			break;
		case V_HTTP:
			http__put_escaped(&o, f->escape, &r->hdr[f->ops[i].hdr]);
			break;
		}
	}
	http__out_put(&o, "\n", 1);
	return o.full ? 0 : (size_t)(o.p - dst);
}
