/*
 * addr.c - listen addresses: the one parser of "ADDR:PORT", and the one
 * place a listening socket is made.
 *
 * Numeric only, on purpose: a name would make a configuration check
 * depend on DNS, and bind whichever address the resolver said first.  So
 * no getaddrinfo here: inet_pton decides, and what it accepted is written
 * back with inet_ntop, so that two spellings of one address ("[::1]" and
 * "[0::1]") come out the same and a caller can compare the text.
 *
 * "*" (and a PORT alone) is the IPv4 wildcard, as it was when
 * rt_server_listen asked getaddrinfo for a passive NULL host (glibc gives
 * 0.0.0.0 first); "[::]" is IPv6's, made IPV6_V6ONLY so that it does not
 * also claim IPv4.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt-int.h"

/* Checked here so that the public header needs no <netinet/in.h>. */
_Static_assert(RT_ADDR_HOSTLEN >= INET6_ADDRSTRLEN + 2,
    "RT_ADDR_HOSTLEN holds \"[\" an IPv6 address \"]\"");

static int
rt__addr_fail(char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		(void)snprintf(why, whylen, "%s", msg);
	return -EINVAL;
}

/*
 * The host part, len bytes of h: "*" (or len 0 with wildcard_ok), a
 * dotted IPv4 address, or an IPv6 address, bracketed when brackets says
 * so.  Fills a's family, address and canonical host.
 */
static int
rt__addr_host(struct rt_addr *a, const char *h, size_t len, int brackets,
    char *why, size_t whylen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
	char host[RT_ADDR_HOSTLEN], canon[INET6_ADDRSTRLEN];

	if (len >= sizeof(host))
		return rt__addr_fail(why, whylen, brackets ? "bad IPv6 address" :
		    "expected \"ADDR:PORT\"");
	memcpy(host, h, len);
	host[len] = '\0';
	if (brackets) {
		if (len == 0 || inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
		    inet_ntop(AF_INET6, &sin6->sin6_addr, canon,
		    sizeof(canon)) == NULL)
			return rt__addr_fail(why, whylen, "bad IPv6 address");
		sin6->sin6_family = AF_INET6;
		a->len = sizeof(*sin6);
		(void)snprintf(a->host, sizeof(a->host), "[%s]", canon);
		return 0;
	}
	if (strcmp(host, "*") == 0) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		a->len = sizeof(*sin);
		(void)snprintf(a->host, sizeof(a->host), "*");
		return 0;
	}
	if (strchr(host, ':') != NULL) {
		if (why != NULL && whylen > 0)
			(void)snprintf(why, whylen, "an IPv6 address goes in "
			    "brackets: \"[%s]:PORT\"", host);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    inet_ntop(AF_INET, &sin->sin_addr, canon, sizeof(canon)) == NULL)
		return rt__addr_fail(why, whylen, "ADDR must be an IPv4 address, "
		    "\"[IPv6]\" or \"*\"");
	sin->sin_family = AF_INET;
	a->len = sizeof(*sin);
	(void)snprintf(a->host, sizeof(a->host), "%s", canon);
	return 0;
}

/* The port, decimal 0..65535, then a's port and text form. */
static int
rt__addr_port(struct rt_addr *a, const char *p, char *why, size_t whylen)
{
	size_t n = strlen(p), i;
	unsigned port = 0;

	if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
		return rt__addr_fail(why, whylen,
		    "PORT must be a number between 0 and 65535");
	for (i = 0; i < n; i++)
		port = port * 10 + (unsigned)(p[i] - '0');
	if (port > 65535)
		return rt__addr_fail(why, whylen,
		    "PORT must be a number between 0 and 65535");
	a->port = port;
	if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
	(void)snprintf(a->str, sizeof(a->str), "%s:%u", a->host, port);
	return 0;
}

int
rt_addr_parse(struct rt_addr *a, const char *str, char *why, size_t whylen)
{
	const char *colon, *end;
	int err;

	memset(a, 0, sizeof(*a));
	if (str[0] != '\0' && strspn(str, "0123456789") == strlen(str)) {
		/* PORT alone: every IPv4 address. */
		if ((err = rt__addr_host(a, "*", 1, 0, why, whylen)) != 0)
			return err;
		return rt__addr_port(a, str, why, whylen);
	}
	if (str[0] == '[') {
		if ((end = strchr(str, ']')) == NULL || end[1] != ':')
			return rt__addr_fail(why, whylen,
			    "expected \"[IPv6]:PORT\"");
		err = rt__addr_host(a, str + 1, (size_t)(end - str - 1), 1, why,
		    whylen);
		colon = end + 1;
	} else {
		if ((colon = strrchr(str, ':')) == NULL)
			return rt__addr_fail(why, whylen,
			    "expected \"ADDR:PORT\" (no port)");
		if (colon == str)
			return rt__addr_fail(why, whylen, "expected \"ADDR:PORT\"");
		err = rt__addr_host(a, str, (size_t)(colon - str), 0, why, whylen);
	}
	if (err != 0)
		return err;
	return rt__addr_port(a, colon + 1, why, whylen);
}

int
rt_addr_set(struct rt_addr *a, const char *host, const char *port, char *why,
    size_t whylen)
{
	size_t len;
	int err;

	memset(a, 0, sizeof(*a));
	if (host == NULL || host[0] == '\0')
		host = "*";
	len = strlen(host);
	if (host[0] == '[' && len >= 2 && host[len - 1] == ']')
		err = rt__addr_host(a, host + 1, len - 2, 1, why, whylen);
	else if (strchr(host, ':') != NULL)	/* bare IPv6 */
		err = rt__addr_host(a, host, len, 1, why, whylen);
	else
		err = rt__addr_host(a, host, len, 0, why, whylen);
	if (err != 0)
		return err;
	return rt__addr_port(a, port != NULL ? port : "", why, whylen);
}

int
rt_listen_socket(const struct rt_addr *a, int backlog, unsigned flags)
{
	int fd, one = 1, err;

	if (a->len == 0 || (flags & ~RT_LISTEN_REUSEPORT) != 0)
		return -EINVAL;
	/* The kernel caps it at net.core.somaxconn (4096 since Linux 5.4);
	 * a burst of connects beyond the backlog costs each a 1 s SYN
	 * retransmit. */
	if (backlog <= 0)
		backlog = SOMAXCONN;
	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    ((flags & RT_LISTEN_REUSEPORT) && setsockopt(fd, SOL_SOCKET,
	    SO_REUSEPORT, &one, sizeof(one)) == -1) ||
	    /* [::] must not also claim IPv4: listen on 0.0.0.0 for that. */
	    (a->ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) == -1 ||
	    listen(fd, backlog) == -1) {
		err = -errno;
		(void)close(fd);	/* our own failed socket */
		return err;
	}
	return fd;
}
