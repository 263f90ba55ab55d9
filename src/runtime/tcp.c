/*
 * tcp.c - TCP client (asyncio's open_connection): resolve off-loop
 * (resolve.c), then a non-blocking connect to each address in turn, all
 * under one deadline scope.  Servers are server.c's.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt-int.h"

static int
rt__connect_one(const struct addrinfo *ai)
{
	socklen_t len;
	int fd, err, one = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			err = -errno;
			goto fail;
		}
		if ((err = rt_fd_wait(fd, RT_WRITE, RT_FOREVER)) != 0)
			goto fail;
		len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
			err = -errno;
			goto fail;
		}
		if (err != 0) {
			err = -err;
			goto fail;
		}
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	(void)close(fd);	/* our own unconnected socket */
	return err;
}

int
rt_tcp_connect(const char *host, const char *port, double timeout)
{
	struct addrinfo *res, *ai;
	struct rt_scope sc;
	int fd = -EHOSTUNREACH;

	rt_scope_enter(&sc, timeout);
	if ((fd = rt_resolve(host, port, SOCK_STREAM, &res, RT_FOREVER)) == 0) {
		fd = -EHOSTUNREACH;
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = rt__connect_one(ai);
			/* Only a refusal or unreachability moves on to the
			 * next address; timeouts and cancellation end it. */
			if (fd >= 0 || fd == -ETIMEDOUT || fd == -ECANCELED)
				break;
		}
		freeaddrinfo(res);
	}
	(void)rt_scope_exit(&sc);
	return fd;
}
