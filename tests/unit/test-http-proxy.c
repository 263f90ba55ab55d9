/*
 * test-http-proxy.c - src/http/proxyproto.c (the PROXY protocol header)
 * and src/http/realip.c (trusted proxies, X-Forwarded-For).
 *
 * Every header, valid or not, is also fed in every prefix: a valid one
 * must ask for more before its last byte and be whole from it on, with the
 * request bytes after it left alone; an invalid one must never be taken,
 * and once refused stays refused as bytes come (the refusal comes as early
 * as the bytes allow: a plain request at its first byte).  Each input is
 * copied into a heap block of exactly its length, so a read past it is an
 * ASan report.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proxy.h"

#define REQ	"GET / HTTP/1.1\r\nHost: a\r\n\r\n"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* Parses the first len bytes of b from a block of exactly len bytes. */
static int
parse(const void *b, size_t len, struct http_proxy_hdr *h)
{
	unsigned char *copy = malloc(len > 0 ? len : 1);
	int r;

	assert_non_null(copy);
	memcpy(copy, b, len);
	r = http_proxy_parse(copy, len, h);
	free(copy);
	return r;
}

/*
 * b[0 .. hlen) is a valid header and b[hlen .. len) what follows: every
 * shorter prefix asks for more, every longer one gives hlen.
 */
static void
check_valid(const void *b, size_t hlen, size_t len, struct http_proxy_hdr *h)
{
	size_t k;

	for (k = 0; k < hlen; k++)
		assert_int_equal(parse(b, k, h), HTTP_PROXY_AGAIN);
	for (k = hlen; k <= len; k++) {
		memset(h, 0xa5, sizeof(*h));
		assert_int_equal(parse(b, k, h), (int)hlen);
	}
}

/* b[0 .. len) is invalid: refused whole, never taken in any prefix, and
 * refused for good once refused. */
static void
check_invalid(const void *b, size_t len)
{
	struct http_proxy_hdr h;
	size_t k;
	int r, refused = 0;

	for (k = 0; k <= len; k++) {
		r = parse(b, k, &h);
		assert_true(r == HTTP_PROXY_AGAIN || r == HTTP_PROXY_INVALID);
		if (refused)
			assert_int_equal(r, HTTP_PROXY_INVALID);
		refused = r == HTTP_PROXY_INVALID;
	}
	assert_int_equal(r, HTTP_PROXY_INVALID);
}

static void
check_addr(const struct sockaddr_storage *ss, const char *addr, int port)
{
	char buf[INET6_ADDRSTRLEN];
	const void *a;
	int p;

	if (ss->ss_family == AF_INET) {
		a = &((const struct sockaddr_in *)(const void *)ss)->sin_addr;
		p = ntohs(((const struct sockaddr_in *)(const void *)ss)->
		    sin_port);
	} else {
		assert_int_equal(ss->ss_family, AF_INET6);
		a = &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		p = ntohs(((const struct sockaddr_in6 *)(const void *)ss)->
		    sin6_port);
	}
	assert_non_null(inet_ntop(ss->ss_family, a, buf, sizeof(buf)));
	assert_string_equal(buf, addr);
	assert_int_equal(p, port);
}

/* ---- v1 ------------------------------------------------------------------ */

static void
test_v1_valid(void **state)
{
	static const char tcp4[] = "PROXY TCP4 192.0.2.7 198.51.100.1 "
	    "56324 443\r\n" REQ;
	static const char tcp6[] = "PROXY TCP6 2001:db8::7 2001:db8::1 0 "
	    "65535\r\n" REQ;
	static const char unknown[] = "PROXY UNKNOWN\r\n" REQ;
	static const char unknown2[] = "PROXY UNKNOWN ffff:f::f 1::2 1 2\r\n";
	/* The spec's longest line: 107 bytes. */
	static const char longest[] = "PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	struct http_proxy_hdr h;
	size_t hl;

	(void)state;
	hl = strlen(tcp4) - strlen(REQ);
	check_valid(tcp4, hl, strlen(tcp4), &h);
	assert_int_equal(h.version, 1);
	assert_true(h.has_addr);
	check_addr(&h.src, "192.0.2.7", 56324);
	check_addr(&h.dst, "198.51.100.1", 443);
	assert_int_equal(h.srclen, sizeof(struct sockaddr_in));
	/* The request after it is untouched, where it was. */
	assert_memory_equal(tcp4 + hl, REQ, strlen(REQ));

	hl = strlen(tcp6) - strlen(REQ);
	check_valid(tcp6, hl, strlen(tcp6), &h);
	assert_true(h.has_addr);
	check_addr(&h.src, "2001:db8::7", 0);
	check_addr(&h.dst, "2001:db8::1", 65535);
	assert_int_equal(h.srclen, sizeof(struct sockaddr_in6));

	check_valid(unknown, 15, strlen(unknown), &h);
	assert_false(h.has_addr);
	check_valid(unknown2, strlen(unknown2), strlen(unknown2), &h);
	assert_false(h.has_addr);
	assert_int_equal(strlen(longest), HTTP_PROXY_V1_MAX);
	check_valid(longest, HTTP_PROXY_V1_MAX, HTTP_PROXY_V1_MAX, &h);
}

static void
test_v1_invalid(void **state)
{
	static const char *const bad[] = {
		REQ,					/* plain HTTP */
		"proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",	/* case */
		"PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",	/* two spaces */
		"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",	/* protocol */
		"PROXY TCP4\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",	/* a port short */
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",	/* one too many */
		"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n",	/* empty field */
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",	/* trailing space */
		"PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n",	/* address */
		"PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n",
		"PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n",	/* leading zero */
		"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",	/* family */
		"PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
		"PROXY TCP6 ::g ::1 1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n",	/* port range */
		"PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n",	/* leading zero */
		"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2x\r\n",
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",	/* LF alone */
		"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX",	/* CR alone */
		"PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",	/* control byte */
		"PROXY UNKNOWNX\r\n",
		"PROXY \r\n",
		/* 108 bytes: one past the limit. */
		"PROXY UNKNOWN "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655355\r\n",
	};
	char noend[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%zu: %s\n", i, bad[i]);
		check_invalid(bad[i], strlen(bad[i]));
	}
	/* Plain HTTP is refused at its first byte. */
	assert_int_equal(parse("G", 1, NULL), HTTP_PROXY_INVALID);
	/* No CR at all: refused once 106 bytes have none. */
	memcpy(noend, "PROXY UNKNOWN ", 14);
	memset(noend + 14, 'a', sizeof(noend) - 14);
	assert_int_equal(parse(noend, HTTP_PROXY_V1_MAX - 2, NULL),
	    HTTP_PROXY_AGAIN);
	assert_int_equal(parse(noend, HTTP_PROXY_V1_MAX - 1, NULL),
	    HTTP_PROXY_INVALID);
	check_invalid(noend, sizeof(noend));
}

/* ---- v2 ------------------------------------------------------------------ */

/* A v2 header into b: ver_cmd, fam, the body of blen bytes; its length. */
static size_t
v2(unsigned char *b, unsigned ver_cmd, unsigned fam, const void *body,
    size_t blen)
{
	memcpy(b, sig, 12);
	b[12] = (unsigned char)ver_cmd;
	b[13] = (unsigned char)fam;
	b[14] = (unsigned char)(blen >> 8);
	b[15] = (unsigned char)blen;
	if (blen > 0)
		memcpy(b + 16, body, blen);
	return 16 + blen;
}

static const unsigned char addr4[12] = {
	192, 0, 2, 7, 198, 51, 100, 1, 0xdc, 0x04, 0x01, 0xbb
};

static void
test_v2_valid(void **state)
{
	unsigned char b[HTTP_PROXY_MAX + 64], body[HTTP_PROXY_MAX];
	struct http_proxy_hdr h;
	size_t n;

	(void)state;
	/* PROXY, INET, STREAM, then a request. */
	n = v2(b, 0x21, 0x11, addr4, sizeof(addr4));
	memcpy(b + n, REQ, strlen(REQ));
	check_valid(b, n, n + strlen(REQ), &h);
	assert_int_equal(h.version, 2);
	assert_true(h.has_addr);
	check_addr(&h.src, "192.0.2.7", 56324);
	check_addr(&h.dst, "198.51.100.1", 443);
	assert_memory_equal(b + n, REQ, strlen(REQ));

	/* INET6 with TLVs: ALPN "h2", a NOOP of 0 bytes, an authority. */
	memset(body, 0, 36);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", body), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", body + 16), 1);
	body[32] = 0x30; body[33] = 0x39;	/* 12345 */
	body[34] = 0x00; body[35] = 0x50;	/* 80 */
	memcpy(body + 36, "\x01\x00\x02" "h2" "\x04\x00\x00" "\x02\x00\x05"
	    "a.com", 16);
	n = v2(b, 0x21, 0x21, body, 52);
	check_valid(b, n, n, &h);
	assert_true(h.has_addr);
	check_addr(&h.src, "2001:db8::7", 12345);
	check_addr(&h.dst, "2001:db8::1", 80);

	/* LOCAL (haproxy's health checks): the real peer stays. */
	n = v2(b, 0x20, 0x00, NULL, 0);
	check_valid(b, n, n, &h);
	assert_false(h.has_addr);
	/* LOCAL ignores whatever family and block it carries. */
	n = v2(b, 0x20, 0x11, addr4, sizeof(addr4));
	check_valid(b, n, n, &h);
	assert_false(h.has_addr);
	/* PROXY with UNSPEC: the sender does not know; the peer stays. */
	n = v2(b, 0x21, 0x00, "\x03\x00\x01x", 4);
	check_valid(b, n, n, &h);
	assert_false(h.has_addr);

	/* The size limit exactly: one TLV filling it. */
	memset(body, 0, sizeof(body));
	memcpy(body, addr4, 12);
	n = HTTP_PROXY_MAX - 16 - 12 - 3;
	body[12] = 0xee;
	body[13] = (unsigned char)(n >> 8);
	body[14] = (unsigned char)n;
	n = v2(b, 0x21, 0x11, body, HTTP_PROXY_MAX - 16);
	assert_int_equal(n, HTTP_PROXY_MAX);
	check_valid(b, n, n, &h);
	assert_true(h.has_addr);
}

static void
test_v2_invalid(void **state)
{
	unsigned char b[HTTP_PROXY_MAX + 64], body[HTTP_PROXY_MAX];
	size_t n;

	(void)state;
	/* The signature, wrong in its last byte, and a truncated one. */
	n = v2(b, 0x21, 0x11, addr4, sizeof(addr4));
	b[11] = 'X';
	check_invalid(b, n);
	check_invalid("\r\n\r\n\r\n", 6);
	/* Version 1 or 3; a command other than LOCAL and PROXY. */
	check_invalid(b, v2(b, 0x11, 0x11, addr4, sizeof(addr4)));
	check_invalid(b, v2(b, 0x31, 0x11, addr4, sizeof(addr4)));
	check_invalid(b, v2(b, 0x22, 0x11, addr4, sizeof(addr4)));
	check_invalid(b, v2(b, 0x2f, 0x11, addr4, sizeof(addr4)));
	/* Families and transports we do not serve: UNIX, DGRAM, unknown. */
	memset(body, 0, sizeof(body));
	check_invalid(b, v2(b, 0x21, 0x31, body, 216));
	check_invalid(b, v2(b, 0x21, 0x12, addr4, sizeof(addr4)));
	check_invalid(b, v2(b, 0x21, 0x22, body, 36));
	check_invalid(b, v2(b, 0x21, 0x10, addr4, sizeof(addr4)));
	check_invalid(b, v2(b, 0x21, 0x41, addr4, sizeof(addr4)));
	/* A length too short for the addresses. */
	check_invalid(b, v2(b, 0x21, 0x11, addr4, 11));
	check_invalid(b, v2(b, 0x21, 0x21, body, 35));
	/* TLVs overrunning the length, or a stray byte or two after. */
	memcpy(body, addr4, 12);
	memcpy(body + 12, "\x01\x00\x05" "h2", 5);
	check_invalid(b, v2(b, 0x21, 0x11, body, 17));
	check_invalid(b, v2(b, 0x21, 0x11, body, 13));
	check_invalid(b, v2(b, 0x21, 0x11, body, 14));
	/* One byte past the size limit, for PROXY and for LOCAL. */
	n = HTTP_PROXY_MAX - 16 - 12 - 3 + 1;
	body[12] = 0xee;
	body[13] = (unsigned char)(n >> 8);
	body[14] = (unsigned char)n;
	check_invalid(b, v2(b, 0x21, 0x11, body, HTTP_PROXY_MAX - 16 + 1));
	check_invalid(b, v2(b, 0x20, 0x00, body, HTTP_PROXY_MAX - 16 + 1));
	/* The largest length a header can say: refused at its 16th byte. */
	v2(b, 0x21, 0x11, addr4, sizeof(addr4));
	b[14] = b[15] = 0xff;
	assert_int_equal(parse(b, 16, NULL), HTTP_PROXY_INVALID);
}

/* ---- trusted proxies and X-Forwarded-For --------------------------------- */

static void
sa_set(struct sockaddr_storage *ss, const char *addr)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)(void *)ss)->
	    sin_addr) == 1)
		ss->ss_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, addr,
		    &((struct sockaddr_in6 *)(void *)ss)->sin6_addr), 1);
		ss->ss_family = AF_INET6;
	}
}

static int
match(const struct http_cidr *set, size_t n, const char *addr)
{
	struct sockaddr_storage ss;

	sa_set(&ss, addr);
	return http_cidr_match(set, n, (struct sockaddr *)&ss);
}

static void
test_cidr(void **state)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1",
		"10.0.0.0/08", "10.0.0.0/8x", "10.0.0.1/8", "10.0.0",
		"2001:db8::/129", "2001:db8::1/32", "example.com", "10.0.0.0/8/8",
		"::/0x",
	};
	struct http_cidr set[4];
	char why[128], buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(http_cidr_parse(bad[i], &set[0], why,
		    sizeof(why)), -1);
		assert_true(why[0] != '\0');
	}
	assert_int_equal(http_cidr_parse("10.0.0.0/8", &set[0], why,
	    sizeof(why)), 0);
	assert_int_equal(http_cidr_parse("192.0.2.1", &set[1], why,
	    sizeof(why)), 0);
	assert_int_equal(http_cidr_parse("2001:db8::/33", &set[2], why,
	    sizeof(why)), 0);
	assert_int_equal(http_cidr_parse("::1", &set[3], why, sizeof(why)),
	    0);
	http_cidr_format(&set[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/8");
	http_cidr_format(&set[1], buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1/32");
	http_cidr_format(&set[2], buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/33");
	http_cidr_format(&set[3], buf, sizeof(buf));
	assert_string_equal(buf, "::1/128");

	assert_true(match(set, 4, "10.255.1.2"));
	assert_true(match(set, 4, "10.0.0.0"));
	assert_false(match(set, 4, "11.0.0.0"));
	assert_false(match(set, 4, "9.255.255.255"));
	assert_true(match(set, 4, "192.0.2.1"));
	assert_false(match(set, 4, "192.0.2.2"));
	assert_true(match(set, 4, "2001:db8:7fff::1"));
	assert_false(match(set, 4, "2001:db8:8000::1"));
	assert_true(match(set, 4, "::1"));
	assert_false(match(set, 4, "::2"));
	/* An IPv6 listener's IPv4 client matches its IPv4 network. */
	assert_true(match(set, 4, "::ffff:10.1.2.3"));
	assert_false(match(set, 4, "::ffff:11.1.2.3"));
	/* And an IPv4 network does not match other IPv6 addresses. */
	assert_false(match(set, 4, "::10.1.2.3"));
	assert_false(match(set, 0, "10.1.2.3"));
	/* /0: everything of its family. */
	assert_int_equal(http_cidr_parse("0.0.0.0/0", &set[0], why,
	    sizeof(why)), 0);
	assert_true(match(set, 1, "203.0.113.1"));
	assert_false(match(set, 1, "2001:db8::1"));
	assert_int_equal(http_cidr_parse("::/0", &set[0], why, sizeof(why)),
	    0);
	assert_true(match(set, 1, "2001:db8::1"));
	assert_true(match(set, 1, "203.0.113.1"));	/* as ::ffff:... */
}

/*
 * The client the X-Forwarded-For lines give for a trusted peer 10.0.0.1,
 * trusting 10.0.0.0/8 and 2001:db8::/32, lines walked last first as
 * conn.c does.  Returns a static string.
 */
static const char *
xff(const char *const *lines, size_t n)
{
	static char out[INET6_ADDRSTRLEN];
	struct http_cidr set[2];
	struct sockaddr_storage client;
	socklen_t len = sizeof(struct sockaddr_in);
	char why[64];
	size_t i;

	assert_int_equal(http_cidr_parse("10.0.0.0/8", &set[0], why,
	    sizeof(why)), 0);
	assert_int_equal(http_cidr_parse("2001:db8::/32", &set[1], why,
	    sizeof(why)), 0);
	sa_set(&client, "10.0.0.1");
	for (i = n; i-- > 0;)
		if (!http_xff_walk(set, 2, lines[i], strlen(lines[i]),
		    &client, &len))
			break;
	assert_int_equal(len, client.ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	assert_non_null(inet_ntop(client.ss_family, client.ss_family ==
	    AF_INET ? (void *)&((struct sockaddr_in *)(void *)&client)->
	    sin_addr : (void *)&((struct sockaddr_in6 *)(void *)&client)->
	    sin6_addr, out, sizeof(out)));
	return out;
}

#define XFF(...)	xff((const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void
test_xff(void **state)
{
	(void)state;
	/* The right-most untrusted address wins; spoofed ones to its left
	 * are ignored. */
	assert_string_equal(XFF("203.0.113.9"), "203.0.113.9");
	assert_string_equal(XFF("1.1.1.1, 203.0.113.9"), "203.0.113.9");
	assert_string_equal(XFF("1.1.1.1, 203.0.113.9, 10.2.2.2, 10.3.3.3"),
	    "203.0.113.9");
	assert_string_equal(XFF("1.1.1.1,203.0.113.9,\t10.2.2.2"),
	    "203.0.113.9");
	/* Every one trusted: the left-most (nginx). */
	assert_string_equal(XFF("10.2.2.2, 10.3.3.3"), "10.2.2.2");
	/* Several lines: one list in their order. */
	assert_string_equal(XFF("1.1.1.1", "203.0.113.9, 10.2.2.2",
	    "10.3.3.3"), "203.0.113.9");
	assert_string_equal(XFF("203.0.113.9", "10.2.2.2", "10.3.3.3"),
	    "203.0.113.9");
	assert_string_equal(XFF("203.0.113.9", "198.51.100.4"),
	    "198.51.100.4");
	/* IPv6, and the forms with ports some proxies write. */
	assert_string_equal(XFF("2001:db9::1, 2001:db8::2"), "2001:db9::1");
	assert_string_equal(XFF("[2001:db9::1]:443, [2001:db8::2]"),
	    "2001:db9::1");
	assert_string_equal(XFF("203.0.113.9:5555"), "203.0.113.9");
	/* Malformed: stop, keep the last good one. */
	assert_string_equal(XFF("203.0.113.9, unknown"), "10.0.0.1");
	assert_string_equal(XFF("203.0.113.9, garbage, 10.2.2.2"),
	    "10.2.2.2");
	assert_string_equal(XFF("203.0.113.9, , 10.2.2.2"), "10.2.2.2");
	assert_string_equal(XFF("203.0.113.9,"), "10.0.0.1");
	assert_string_equal(XFF(""), "10.0.0.1");
	assert_string_equal(XFF("203.0.113.9", "bad"), "10.0.0.1");
	assert_string_equal(XFF("1.2.3.4:99999"), "10.0.0.1");
	assert_string_equal(XFF("[1.2.3.4]"), "10.0.0.1");
	assert_string_equal(XFF("[2001:db9::1"), "10.0.0.1");
	assert_string_equal(XFF("1.2.3.4.5"), "10.0.0.1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_valid),
		cmocka_unit_test(test_v1_invalid),
		cmocka_unit_test(test_v2_valid),
		cmocka_unit_test(test_v2_invalid),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_xff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
