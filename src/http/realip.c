/*
 * realip.c - trusted proxies (CIDR networks) and the client address of an
 * X-Forwarded-For field, as nginx's realip module with real_ip_recursive:
 * only a trusted peer's field is read, right to left, and the right-most
 * address that is not a trusted proxy's is the client.  Every address to
 * its left was written by someone we cannot trust to tell the truth.
 *
 * Addresses are compared as 16 bytes, IPv4 mapped into ::ffff:0:0/96, so
 * an IPv4 network also matches the IPv4-mapped peers an IPv6 listener
 * sees, and one loop serves both families.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* sa's address as 16 bytes: 0, or -1 for another family. */
static int
http__addr16(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, v4mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)
		    sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

static int
http__in_net(const struct http_cidr *c, const uint8_t a[16])
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(a, c->addr, full) != 0)
		return 0;
	return rest == 0 || ((a[full] ^ c->addr[full]) &
	    (uint8_t)(0xff << (8 - rest))) == 0;
}

int
http_cidr_match(const struct http_cidr *set, size_t n,
    const struct sockaddr *sa)
{
	uint8_t a[16];
	size_t i;

	if (n == 0 || http__addr16(sa, a) != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (http__in_net(&set[i], a))
			return 1;
	return 0;
}

int
http_cidr_parse(const char *s, struct http_cidr *c, char *why, size_t whylen)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long bits;
	unsigned i, max;
	int v4;
	char *end;

	if (alen == 0 || alen >= sizeof(buf)) {
		(void)snprintf(why, whylen, "not an address");
		return -1;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr + 12) == 1) {
		memcpy(c->addr, v4mapped, 12);
		v4 = 1;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		v4 = 0;
	else {
		(void)snprintf(why, whylen, "not an IPv4 or IPv6 address");
		return -1;
	}
	max = v4 ? 32 : 128;
	bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3 ||
		    (slash[1] == '0' && slash[2] != '\0') ||
		    (bits = strtoul(slash + 1, &end, 10)) > max || *end != '\0') {
			(void)snprintf(why, whylen, "the prefix length must "
			    "be a number between 0 and %u", max);
			return -1;
		}
	}
	c->bits = (uint8_t)(bits + (v4 ? 96 : 0));
	/* Host bits set ("10.0.0.1/8") is a typo more often than not. */
	for (i = c->bits; i < 128; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8))) {
			(void)snprintf(why, whylen, "host bits are set past "
			    "/%lu", bits);
			return -1;
		}
	return 0;
}

void
http_cidr_format(const struct http_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int v4 = c->bits >= 96 && memcmp(c->addr, v4mapped, 12) == 0;

	if (inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? c->addr + 12 : c->addr,
	    a, sizeof(a)) == NULL)
		(void)snprintf(a, sizeof(a), "?");
	(void)snprintf(buf, len, "%s/%u", a, v4 ? c->bits - 96u : c->bits);
}

/*
 * One element of a forwarded list, OWS trimmed: "192.0.2.1", "2001:db8::1",
 * or with a port as some proxies write it ("192.0.2.1:51234",
 * "[2001:db8::1]:443", "[2001:db8::1]").  0 with *ss set, or -1.
 */
static int
http__xff_addr(const char *p, size_t len, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)ss;
	char buf[INET6_ADDRSTRLEN];
	const char *colon, *close, *a = p;
	size_t alen = len, i;
	unsigned port;
	int bracket = 0;

	if (len > 0 && p[0] == '[') {
		if ((close = memchr(p, ']', len)) == NULL)
			return -1;
		alen = (size_t)(close - p - 1);
		i = (size_t)(close - p) + 1;
		if (i < len && p[i] != ':')
			return -1;
		a = p + 1;
		bracket = 1;
	} else if ((colon = memchr(p, ':', len)) != NULL &&
	    memchr(colon + 1, ':', len - (size_t)(colon - p) - 1) == NULL) {
		/* One colon: an IPv4 address and a port. */
		alen = (size_t)(colon - p);
		i = alen;
	} else
		i = len;
	if (i < len) {
		/* A port: 1 to 5 digits, 65535 at most. */
		if (len - i - 1 == 0 || len - i - 1 > 5)
			return -1;
		for (i++, port = 0; i < len; i++) {
			if (p[i] < '0' || p[i] > '9')
				return -1;
			port = port * 10 + (unsigned)(p[i] - '0');
		}
		if (port > 65535)
			return -1;
	}
	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, a, alen);
	buf[alen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!bracket && inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*sslen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int
http_xff_walk(const struct http_cidr *set, size_t n, const char *v,
    size_t len, struct sockaddr_storage *client, socklen_t *clientlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	size_t end = len, b, e;

	for (;;) {
		/* The element before end: from after the previous comma. */
		b = end;
		while (b > 0 && v[b - 1] != ',')
			b--;
		e = end;
		while (b < e && (v[b] == ' ' || v[b] == '\t'))
			b++;
		while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (http__xff_addr(v + b, e - b, &ss, &sslen) != 0)
			return 0;	/* keep the last good one */
		*client = ss;
		*clientlen = sslen;
		if (!http_cidr_match(set, n, (struct sockaddr *)&ss))
			return 0;
		/* Trusted: the one to its left forwarded to it. */
		while (end > 0 && v[end - 1] != ',')
			end--;
		if (end == 0)
			return 1;
		end--;		/* the comma */
	}
}
