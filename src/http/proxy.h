/*
 * proxy.h - the client's address behind a load balancer: the PROXY
 * protocol header a listener may require (proxyproto.c), and the
 * X-Forwarded-For field of requests from trusted proxies (realip.c).
 *
 * Pure C like parser.h: no I/O, no allocation, no runtime, so both are
 * fuzzed and unit-tested alone.  None of these functions can suspend.
 *
 * The PROXY protocol (haproxy's doc/proxy-protocol.txt) puts one header in
 * front of the connection's first byte, written by the proxy that accepted
 * the client's connection: v1 a text line, v2 a binary block.  The parser
 * is strict: anything that is not a whole, well-formed header of a TCP
 * connection is refused, since the connection's every byte after it is
 * trusted as the client's.
 */
#ifndef ASYNCD_HTTP_PROXY_H
#define ASYNCD_HTTP_PROXY_H

#include <sys/socket.h>

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the PROXY protocol header (proxyproto.c) ---------------------------- */

/* v1: "PROXY TCP6 " two addresses of 39 and two ports, CRLF: the spec's
 * bound, CRLF included. */
#define HTTP_PROXY_V1_MAX	107
/*
 * v2: 16 bytes, then the length the header gives, at most 65535.  We take
 * at most HTTP_PROXY_MAX bytes in all, as nginx does
 * (NGX_PROXY_PROTOCOL_MAX_HEADER): the address block is 12 or 36 bytes,
 * but a proxy adds TLVs after it (haproxy's authority, unique-id and SSL
 * ones, a cloud load balancer's endpoint id), a few hundred bytes, which
 * 16 + 216 (the AF_UNIX block alone) would refuse.  A bigger header is
 * refused: it is read before any limit of the request applies.
 */
#define HTTP_PROXY_MAX		4096

#define HTTP_PROXY_AGAIN	0	/* a valid prefix: need more bytes */
#define HTTP_PROXY_INVALID	(-1)	/* not a valid header: close */

struct http_proxy_hdr {
	int			 version;	/* 1 or 2 */
	/*
	 * Whether the header carries the client's address.  Not for v1's
	 * "PROXY UNKNOWN" and v2's LOCAL command (haproxy's health checks
	 * send those: the connection is the proxy's own) nor v2's UNSPEC
	 * family: the connection's real peer stays the peer.
	 */
	int			 has_addr;
	struct sockaddr_storage	 src;		/* the client, when has_addr */
	socklen_t		 srclen;
	struct sockaddr_storage	 dst;		/* the address it reached */
	socklen_t		 dstlen;
};

/*
 * Parses the PROXY header at the start of buf[0 .. len), the bytes a new
 * connection sent so far.  Returns its length (> 0) with h filled: the
 * bytes after it are the first request's; HTTP_PROXY_AGAIN if these bytes
 * are a valid beginning of a header (read more and call again with all of
 * them); HTTP_PROXY_INVALID as soon as they cannot be one (a plain request
 * fails at its first byte).  A header is never longer than
 * HTTP_PROXY_MAX: with that many bytes the answer is never AGAIN.
 */
int	http_proxy_parse(const void *buf, size_t len, struct http_proxy_hdr *h);

/* ---- trusted proxies and X-Forwarded-For (realip.c) ---------------------- */

/* An IPv4 or IPv6 network.  IPv4 is kept as ::ffff:a.b.c.d/(96 + bits),
 * so one comparison serves both families and an IPv4-mapped peer (an
 * IPv6 listener's IPv4 client) matches its IPv4 network. */
struct http_cidr {
	uint8_t		 addr[16];	/* masked */
	uint8_t		 bits;		/* 0 .. 128 */
};

/* "10.0.0.0/8", "2001:db8::/32", or a bare address (/32, /128) into c:
 * 0, or -1 with why (host bits set, bad prefix, not an address). */
int	http_cidr_parse(const char *s, struct http_cidr *c, char *why,
	    size_t whylen);
/* c as text, "10.0.0.0/8" ("::ffff:..." shown as IPv4). */
void	http_cidr_format(const struct http_cidr *c, char *buf, size_t len);
/* Whether sa (AF_INET or AF_INET6; any other: no) is in one of the n. */
int	http_cidr_match(const struct http_cidr *set, size_t n,
	    const struct sockaddr *sa);

/*
 * One X-Forwarded-For field line's value, walked right to left as nginx's
 * real_ip_recursive does: each address replaces *client (port 0), and the
 * walk stops at the first one that is not trusted.  An element that is no
 * address (a name, "unknown", garbage, an empty element) stops the walk
 * with *client as it was: the last good address.  Returns 1 if every
 * element was a trusted address, so the field line before this one goes
 * on the walk; 0 when it stopped.  Several field lines are one list in
 * their order: call this on the last line first.
 */
int	http_xff_walk(const struct http_cidr *set, size_t n, const char *v,
	    size_t len, struct sockaddr_storage *client, socklen_t *clientlen);

#endif /* ASYNCD_HTTP_PROXY_H */
