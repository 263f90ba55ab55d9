/*
 * test-rt-addr.c - runtime/addr.c: rt_addr_parse and rt_addr_set on every
 * form they take and the mistakes an operator makes (the reason text
 * included: config.c passes it on as the error of a listen entry), and
 * rt_listen_socket's socket (its flags and options as the header
 * promises them, reuseport, the backlog).  No loop: neither suspends.
 *
 * Binds 127.0.0.1 and ::1 only, on ephemeral ports.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <asyncd/rt.h>

static const struct {
	const char	*in;
	const char	*str;		/* canonical; NULL: rejected */
	const char	*why;		/* the reason when rejected */
	int		 family;
} parse_cases[] = {
	{ "127.0.0.1:8080", "127.0.0.1:8080", NULL, AF_INET },
	{ "0.0.0.0:0", "0.0.0.0:0", NULL, AF_INET },
	{ "*:80", "*:80", NULL, AF_INET },
	{ "80", "*:80", NULL, AF_INET },
	{ "0", "*:0", NULL, AF_INET },
	{ "65535", "*:65535", NULL, AF_INET },
	{ "[::1]:443", "[::1]:443", NULL, AF_INET6 },
	{ "[0::1]:443", "[::1]:443", NULL, AF_INET6 },	/* canonical */
	{ "[::]:1", "[::]:1", NULL, AF_INET6 },
	{ "[::ffff:1.2.3.4]:9", "[::ffff:1.2.3.4]:9", NULL, AF_INET6 },
	{ "127.0.0.1:08080", "127.0.0.1:8080", NULL, AF_INET },
	{ "", NULL, "expected \"ADDR:PORT\" (no port)", 0 },
	{ "nope", NULL, "expected \"ADDR:PORT\" (no port)", 0 },
	{ "127.0.0.1", NULL, "expected \"ADDR:PORT\" (no port)", 0 },
	{ ":80", NULL, "expected \"ADDR:PORT\"", 0 },
	{ "*:", NULL, "PORT must be a number between 0 and 65535", 0 },
	{ "*:65536", NULL, "PORT must be a number between 0 and 65535", 0 },
	{ "65536", NULL, "PORT must be a number between 0 and 65535", 0 },
	{ "*:123456", NULL, "PORT must be a number between 0 and 65535", 0 },
	{ "*:http", NULL, "PORT must be a number between 0 and 65535", 0 },
	{ "*:-1", NULL, "PORT must be a number between 0 and 65535", 0 },
	{ "*:80 ", NULL, "PORT must be a number between 0 and 65535", 0 },
	{ "localhost:80", NULL,
	  "ADDR must be an IPv4 address, \"[IPv6]\" or \"*\"", 0 },
	{ "256.0.0.1:80", NULL,
	  "ADDR must be an IPv4 address, \"[IPv6]\" or \"*\"", 0 },
	{ "1.2.3:80", NULL,
	  "ADDR must be an IPv4 address, \"[IPv6]\" or \"*\"", 0 },
	{ "::1:80", NULL,
	  "an IPv6 address goes in brackets: \"[::1]:PORT\"", 0 },
	{ "[::1]", NULL, "expected \"[IPv6]:PORT\"", 0 },
	{ "[::1:80", NULL, "expected \"[IPv6]:PORT\"", 0 },
	{ "[]:80", NULL, "bad IPv6 address", 0 },
	{ "[1.2.3.4]:80", NULL, "bad IPv6 address", 0 },
	{ "[fe80::1%eth0]:80", NULL, "bad IPv6 address", 0 },
	{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", NULL,
	  "bad IPv6 address", 0 },
};

static void
test_parse(void **state)
{
	struct rt_addr a;
	char why[128];
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		why[0] = '\0';
		err = rt_addr_parse(&a, parse_cases[i].in, why, sizeof(why));
		if (parse_cases[i].str == NULL) {
			if (err != -EINVAL || strcmp(why, parse_cases[i].why))
				fail_msg("\"%s\": %d \"%s\", want -EINVAL "
				    "\"%s\"", parse_cases[i].in, err, why,
				    parse_cases[i].why);
			continue;
		}
		if (err != 0)
			fail_msg("\"%s\": %d \"%s\"", parse_cases[i].in, err,
			    why);
		assert_string_equal(a.str, parse_cases[i].str);
		assert_int_equal(a.ss.ss_family, parse_cases[i].family);
		assert_int_equal(a.len, parse_cases[i].family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	}
}

/* What the socket address holds, not only the text. */
static void
test_parse_fills_the_sockaddr(void **state)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	struct rt_addr a;
	struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;

	(void)state;
	assert_int_equal(rt_addr_parse(&a, "10.1.2.3:8080", NULL, 0), 0);
	sin = (const struct sockaddr_in *)&a.ss;
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x0a010203);
	assert_int_equal(ntohs(sin->sin_port), 8080);
	assert_int_equal(a.port, 8080);
	assert_string_equal(a.host, "10.1.2.3");

	assert_int_equal(rt_addr_parse(&a, "8000", NULL, 0), 0);
	sin = (const struct sockaddr_in *)&a.ss;
	assert_int_equal(sin->sin_addr.s_addr, htonl(INADDR_ANY));
	assert_int_equal(ntohs(sin->sin_port), 8000);
	assert_string_equal(a.host, "*");

	assert_int_equal(rt_addr_parse(&a, "[::1]:9", NULL, 0), 0);
	sin6 = (const struct sockaddr_in6 *)&a.ss;
	assert_memory_equal(&sin6->sin6_addr, &lo6, sizeof(lo6));
	assert_int_equal(ntohs(sin6->sin6_port), 9);
	assert_int_equal(sin6->sin6_scope_id, 0);
	assert_string_equal(a.host, "[::1]");

	/* A reason cut to a short buffer is still a string. */
	{
		char why[8];

		assert_int_equal(rt_addr_parse(&a, "x", why, sizeof(why)),
		    -EINVAL);
		assert_int_equal(strlen(why), sizeof(why) - 1);
	}
}

static void
test_set(void **state)
{
	struct rt_addr a;
	char why[128];

	(void)state;
	assert_int_equal(rt_addr_set(&a, NULL, "0", NULL, 0), 0);
	assert_string_equal(a.str, "*:0");
	assert_int_equal(rt_addr_set(&a, "*", "80", NULL, 0), 0);
	assert_string_equal(a.str, "*:80");
	assert_int_equal(rt_addr_set(&a, "", "80", NULL, 0), 0);
	assert_string_equal(a.str, "*:80");
	assert_int_equal(rt_addr_set(&a, "127.0.0.1", "80", NULL, 0), 0);
	assert_string_equal(a.str, "127.0.0.1:80");
	/* IPv6 bare, as host strings usually come, or bracketed. */
	assert_int_equal(rt_addr_set(&a, "::", "80", NULL, 0), 0);
	assert_string_equal(a.str, "[::]:80");
	assert_int_equal(rt_addr_set(&a, "[0::1]", "80", NULL, 0), 0);
	assert_string_equal(a.str, "[::1]:80");
	assert_int_equal(rt_addr_set(&a, "localhost", "80", why, sizeof(why)),
	    -EINVAL);
	assert_string_equal(why,
	    "ADDR must be an IPv4 address, \"[IPv6]\" or \"*\"");
	assert_int_equal(rt_addr_set(&a, "127.0.0.1", "http", why,
	    sizeof(why)), -EINVAL);
	assert_string_equal(why, "PORT must be a number between 0 and 65535");
	assert_int_equal(rt_addr_set(&a, "127.0.0.1", NULL, NULL, 0), -EINVAL);
	assert_int_equal(rt_addr_set(&a, "fe80::1%lo", "80", NULL, 0),
	    -EINVAL);
}

static int
sockopt(int fd, int level, int name)
{
	socklen_t len;
	int v = -1;

	len = sizeof(v);
	assert_int_equal(getsockopt(fd, level, name, &v, &len), 0);
	return v;
}

static int
port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
test_listen_socket(void **state)
{
	struct rt_addr a;
	char s[32];
	int fd, fd2, c;

	(void)state;
	assert_int_equal(rt_addr_parse(&a, "127.0.0.1:0", NULL, 0), 0);
	fd = rt_listen_socket(&a, 0, 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
	assert_true(sockopt(fd, SOL_SOCKET, SO_REUSEADDR) != 0);
	assert_int_equal(sockopt(fd, SOL_SOCKET, SO_REUSEPORT), 0);
	assert_true(port_of(fd) > 0);

	/* It accepts: a connect completes, accept4 finds it. */
	(void)snprintf(s, sizeof(s), "127.0.0.1:%d", port_of(fd));
	assert_int_equal(rt_addr_parse(&a, s, NULL, 0), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a.ss, a.len), 0);
	fd2 = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd2 >= 0);
	assert_int_equal(close(fd2), 0);
	assert_int_equal(close(c), 0);

	/* Without reuseport, the port is taken; the error is -errno. */
	assert_int_equal(rt_listen_socket(&a, 0, 0), -EADDRINUSE);
	assert_int_equal(close(fd), 0);

	/* Unknown flags and an unparsed address are refused. */
	assert_int_equal(rt_listen_socket(&a, 0, 0x80), -EINVAL);
	memset(&a, 0, sizeof(a));
	assert_int_equal(rt_listen_socket(&a, 0, 0), -EINVAL);
}

static void
test_listen_socket_reuseport(void **state)
{
	struct rt_addr a;
	char s[32];
	int fd, fd2;

	(void)state;
	assert_int_equal(rt_addr_parse(&a, "127.0.0.1:0", NULL, 0), 0);
	fd = rt_listen_socket(&a, 16, RT_LISTEN_REUSEPORT);
	assert_true(fd >= 0);
	assert_true(sockopt(fd, SOL_SOCKET, SO_REUSEPORT) != 0);
	/* A second socket on the same port, as each worker has its own. */
	(void)snprintf(s, sizeof(s), "127.0.0.1:%d", port_of(fd));
	assert_int_equal(rt_addr_parse(&a, s, NULL, 0), 0);
	fd2 = rt_listen_socket(&a, 16, RT_LISTEN_REUSEPORT);
	assert_true(fd2 >= 0);
	assert_int_equal(port_of(fd2), port_of(fd));
	assert_int_equal(close(fd2), 0);
	assert_int_equal(close(fd), 0);
}

static void
test_listen_socket_ipv6_only(void **state)
{
	struct rt_addr a;
	int fd;

	(void)state;
	assert_int_equal(rt_addr_parse(&a, "[::1]:0", NULL, 0), 0);
	fd = rt_listen_socket(&a, 0, 0);
	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL) {
		print_message("no IPv6 loopback: skipped\n");
		skip();
	}
	assert_true(fd >= 0);
	assert_int_equal(sockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	assert_int_equal(close(fd), 0);
	/*
	 * Linux makes a socket bound to ::1 IPv6-only by itself, so that
	 * proves nothing; the option shows on a v4-mapped address, which an
	 * IPv6-only socket cannot bind (and a dual-stack one would, serving
	 * IPv4's 127.0.0.1): what keeps "[::]" off "*"'s port, tested
	 * without listening beyond loopback.
	 */
	assert_int_equal(rt_addr_parse(&a, "[::ffff:127.0.0.1]:0", NULL, 0), 0);
	fd = rt_listen_socket(&a, 0, 0);
	if (fd >= 0)
		(void)close(fd);
	assert_true(fd < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_fills_the_sockaddr),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_listen_socket),
		cmocka_unit_test(test_listen_socket_reuseport),
		cmocka_unit_test(test_listen_socket_ipv6_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
