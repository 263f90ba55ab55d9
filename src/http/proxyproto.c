/*
 * proxyproto.c - the PROXY protocol header, v1 and v2, parsed strictly
 * (haproxy's doc/proxy-protocol.txt).
 *
 * One pure function over the bytes received so far: it re-reads them from
 * the start at each call, which costs nothing worth keeping state for (a
 * header is one packet from every proxy, at most HTTP_PROXY_MAX bytes),
 * and it refuses as early as the bytes allow, so a client that speaks
 * plain HTTP to a PROXY listener is refused at its first byte.
 *
 * v1:  "PROXY TCP4 SRC DST SPORT DPORT\r\n" (TCP6 likewise), or "PROXY
 *      UNKNOWN" and anything up to CRLF; at most 107 bytes.  Addresses in
 *      inet_pton's forms of their family, ports decimal 0..65535 without
 *      leading zeros, one space between fields.
 * v2:  the 12-byte signature, version 2 and the command (LOCAL, PROXY),
 *      the family and transport, the length of what follows; for PROXY
 *      over INET or INET6 (STREAM), the addresses and ports, then TLVs,
 *      each of which must fit exactly in the length.  UNSPEC (LOCAL's, or
 *      PROXY's "unknown") keeps the connection's own peer; UNIX and DGRAM
 *      are refused: no HTTP client behind us comes over those.
 */
#include <arpa/inet.h>
#include <string.h>

#include "proxy.h"

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define V2_HEAD		16
#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1
#define V2_FAM_UNSPEC	0x00
#define V2_TCP4		0x11	/* INET, STREAM */
#define V2_TCP6		0x21	/* INET6, STREAM */
#define V2_ADDR4	12	/* 4 + 4 + 2 + 2 */
#define V2_ADDR6	36	/* 16 + 16 + 2 + 2 */

/* ---- v1 ------------------------------------------------------------------ */

/* A decimal port, 0..65535, "0" or without leading zeros: 0 or -1. */
static int
http__v1_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* An address of family af into ss with port: 0 or -1. */
static int
http__v1_addr(int af, const char *s, size_t len, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;
	char buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		*sslen = sizeof(*sin);
		return inet_pton(AF_INET, buf, &sin->sin_addr) == 1 ? 0 : -1;
	}
	sin6->sin6_family = AF_INET6;
	*sslen = sizeof(*sin6);
	return inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1 ? 0 : -1;
}

static void
http__set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

/* The next space-delimited field of line[*at .. end): its length, with *at
 * past it and its one separating space (none after the last field). */
static size_t
http__v1_field(const char *line, size_t *at, size_t end, int last)
{
	size_t b = *at, e = b;

	while (e < end && line[e] != ' ')
		e++;
	if (last ? e != end : e == end)
		return 0;
	*at = last ? e : e + 1;
	return e - b;
}

/* The whole line line[0 .. len), CRLF excluded. */
static int
http__v1_line(const char *line, size_t len, struct http_proxy_hdr *h)
{
	size_t at = 6, n[4], o[4];
	uint16_t sport, dport;
	int af, i;

	if (len >= 13 && memcmp(line + 6, "UNKNOWN", 7) == 0 &&
	    (len == 13 || line[13] == ' ')) {
		/* The sender could not tell (or it is its health check):
		 * whatever follows is to be ignored. */
		h->has_addr = 0;
		return 0;
	}
	if (len < 11 || (memcmp(line + 6, "TCP4 ", 5) != 0 &&
	    memcmp(line + 6, "TCP6 ", 5) != 0))
		return -1;
	af = line[9] == '4' ? AF_INET : AF_INET6;
	at = 11;
	for (i = 0; i < 4; i++) {
		o[i] = at;
		if ((n[i] = http__v1_field(line, &at, len, i == 3)) == 0)
			return -1;
	}
	if (http__v1_addr(af, line + o[0], n[0], &h->src, &h->srclen) != 0 ||
	    http__v1_addr(af, line + o[1], n[1], &h->dst, &h->dstlen) != 0 ||
	    http__v1_port(line + o[2], n[2], &sport) != 0 ||
	    http__v1_port(line + o[3], n[3], &dport) != 0)
		return -1;
	http__set_port(&h->src, sport);
	http__set_port(&h->dst, dport);
	h->has_addr = 1;
	return 0;
}

static int
http__v1_parse(const unsigned char *b, size_t len, struct http_proxy_hdr *h)
{
	static const char prefix[] = "PROXY ";
	size_t i;

	for (i = 0; i < len && i < sizeof(prefix) - 1; i++)
		if (b[i] != (unsigned char)prefix[i])
			return HTTP_PROXY_INVALID;
	/* Printable ASCII up to CR, then LF, within 107 bytes: the CR at
	 * index 105 at the latest. */
	for (; i < len && i < HTTP_PROXY_V1_MAX - 1; i++) {
		if (b[i] == '\r') {
			if (i + 1 == len)
				return HTTP_PROXY_AGAIN;
			if (b[i + 1] != '\n')
				return HTTP_PROXY_INVALID;
			h->version = 1;
			if (http__v1_line((const char *)b, i, h) != 0)
				return HTTP_PROXY_INVALID;
			return (int)(i + 2);
		}
		if (b[i] < 0x20 || b[i] > 0x7e)
			return HTTP_PROXY_INVALID;
	}
	/* No CR among the first 106 bytes: too long. */
	return i >= HTTP_PROXY_V1_MAX - 1 ? HTTP_PROXY_INVALID :
	    HTTP_PROXY_AGAIN;
}

/* ---- v2 ------------------------------------------------------------------ */

static int
http__v2_parse(const unsigned char *b, size_t len, struct http_proxy_hdr *h)
{
	struct sockaddr_in *s4, *d4;
	struct sockaddr_in6 *s6, *d6;
	size_t i, total, body, at;
	unsigned cmd, fam;

	for (i = 0; i < len && i < sizeof(v2_sig); i++)
		if (b[i] != v2_sig[i])
			return HTTP_PROXY_INVALID;
	if (len > 12 && (b[12] >> 4 != 2 || ((b[12] & 0xf) != V2_CMD_LOCAL &&
	    (b[12] & 0xf) != V2_CMD_PROXY)))
		return HTTP_PROXY_INVALID;
	if (len < V2_HEAD)
		return HTTP_PROXY_AGAIN;
	cmd = b[12] & 0xf;
	fam = b[13];
	body = (size_t)b[14] << 8 | b[15];
	total = V2_HEAD + body;
	if (total > HTTP_PROXY_MAX)
		return HTTP_PROXY_INVALID;
	if (cmd == V2_CMD_PROXY && fam != V2_TCP4 && fam != V2_TCP6 &&
	    fam != V2_FAM_UNSPEC)
		return HTTP_PROXY_INVALID;
	if (cmd == V2_CMD_PROXY && ((fam == V2_TCP4 && body < V2_ADDR4) ||
	    (fam == V2_TCP6 && body < V2_ADDR6)))
		return HTTP_PROXY_INVALID;
	if (len < total)
		return HTTP_PROXY_AGAIN;

	h->version = 2;
	h->has_addr = 0;
	/* LOCAL: "the receiver must ignore the address information". */
	if (cmd == V2_CMD_LOCAL || fam == V2_FAM_UNSPEC)
		return (int)total;
	b += V2_HEAD;
	memset(&h->src, 0, sizeof(h->src));
	memset(&h->dst, 0, sizeof(h->dst));
	if (fam == V2_TCP4) {
		s4 = (struct sockaddr_in *)(void *)&h->src;
		d4 = (struct sockaddr_in *)(void *)&h->dst;
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, b, 4);
		memcpy(&d4->sin_addr, b + 4, 4);
		memcpy(&s4->sin_port, b + 8, 2);
		memcpy(&d4->sin_port, b + 10, 2);
		h->srclen = h->dstlen = sizeof(*s4);
		at = V2_ADDR4;
	} else {
		s6 = (struct sockaddr_in6 *)(void *)&h->src;
		d6 = (struct sockaddr_in6 *)(void *)&h->dst;
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, b, 16);
		memcpy(&d6->sin6_addr, b + 16, 16);
		memcpy(&s6->sin6_port, b + 32, 2);
		memcpy(&d6->sin6_port, b + 34, 2);
		h->srclen = h->dstlen = sizeof(*s6);
		at = V2_ADDR6;
	}
	/* TLVs: type, 16-bit length, value; none may overrun the header,
	 * and no stray byte may be left after the last one. */
	while (at < body) {
		if (body - at < 3 ||
		    body - at - 3 < ((size_t)b[at + 1] << 8 | b[at + 2]))
			return HTTP_PROXY_INVALID;
		at += 3 + ((size_t)b[at + 1] << 8 | b[at + 2]);
	}
	h->has_addr = 1;
	return (int)total;
}

int
http_proxy_parse(const void *buf, size_t len, struct http_proxy_hdr *h)
{
	const unsigned char *b = buf;

	if (len == 0)
		return HTTP_PROXY_AGAIN;
	if (b[0] == 'P')
		return http__v1_parse(b, len, h);
	if (b[0] == v2_sig[0])
		return http__v2_parse(b, len, h);
	return HTTP_PROXY_INVALID;
}
