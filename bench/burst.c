/*
 * burst.c - N connections opened at once, one GET each, for bench/coldstart
 * (issue 12 §6).  wrk opens its connections as it goes and keeps them; what
 * is measured here is a crowd arriving together on a server: every
 * connect() is issued first, in one tight loop (non-blocking, so N SYNs
 * leave within a few tens of milliseconds), and only then does the epoll
 * loop send each request once its connection is up and read its response.
 *
 *	burst HOST PORT N [PATH] [TIMEOUT_S]
 *
 * A connection's latency runs from its connect() call to the last byte of
 * its response (Content-Length, else EOF), so a SYN dropped by a full
 * accept queue shows as its 1 s retransmit.  Prints one line
 *
 *	n N ok OK failed F connect_ms C p50_ms P50 p90_ms P90 p99_ms P99 max_ms M
 *
 * where connect_ms is how long issuing the N connect()s took.  Exits 1 if
 * some failed or the run took longer than TIMEOUT_S (default 30).  Raises
 * RLIMIT_NOFILE to its hard limit.  Talks to HOST only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int	 fd;
	int	 state;		/* 0 connecting, 1 reading, 2 done, 3 failed */
	double	 t0, t1;
	size_t	 len, want;	/* bytes read; whole response (0: unknown) */
	char	 buf[512];
};

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	struct sockaddr_in sin;
	struct rlimit rl;
	struct conn *c;
	double t_start, t_conn, limit, *lat;
	const char *path;
	char req[256], *he, *cl;
	int ep, n, i, k, left, ok = 0, failed = 0, reqlen;
	ssize_t r;

	if (argc < 4) {
		fprintf(stderr, "usage: burst HOST PORT N [PATH] [TIMEOUT_S]\n");
		return 2;
	}
	n = atoi(argv[3]);
	path = argc > 4 ? argv[4] : "/";
	limit = argc > 5 ? atof(argv[5]) : 30;
	if (n < 1 || (c = calloc((size_t)n, sizeof(*c))) == NULL ||
	    (lat = calloc((size_t)n, sizeof(*lat))) == NULL)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1)
		return 2;
	reqlen = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
	    "Connection: close\r\n\r\n", path, argv[1]);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("epoll_create1");
		return 2;
	}

	t_start = now();
	for (i = 0; i < n; i++) {
		c[i].fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		if (c[i].fd == -1) {
			perror("socket");
			return 2;
		}
		c[i].t0 = now();
		if (connect(c[i].fd, (struct sockaddr *)&sin, sizeof(sin)) ==
		    -1 && errno != EINPROGRESS) {
			c[i].state = 3;
			failed++;
			continue;
		}
		ev.events = EPOLLOUT | EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) == -1) {
			perror("epoll_ctl");
			return 2;
		}
	}
	t_conn = now() - t_start;

	left = n - failed;
	while (left > 0) {
		if (now() - t_start > limit) {
			fprintf(stderr, "burst: timeout with %d left\n", left);
			break;
		}
		k = epoll_wait(ep, evs, 256, 100);
		for (int j = 0; j < k; j++) {
			struct conn *x = &c[evs[j].data.u32];

			if (x->state == 0) {
				int err = 0;
				socklen_t el = sizeof(err);

				(void)getsockopt(x->fd, SOL_SOCKET, SO_ERROR,
				    &err, &el);
				if (err != 0 || send(x->fd, req, (size_t)reqlen,
				    MSG_NOSIGNAL) != reqlen) {
					x->state = 3;
					goto gone;
				}
				x->state = 1;
				ev.events = EPOLLIN;
				ev.data.u32 = evs[j].data.u32;
				(void)epoll_ctl(ep, EPOLL_CTL_MOD, x->fd, &ev);
				continue;
			}
			r = recv(x->fd, x->buf + x->len, sizeof(x->buf) - 1 -
			    x->len, 0);
			if (r == -1 && errno == EAGAIN)
				continue;
			if (r > 0) {
				x->len += (size_t)r;
				x->buf[x->len] = '\0';
				if (x->want == 0 && (he = strstr(x->buf,
				    "\r\n\r\n")) != NULL) {
					cl = strcasestr(x->buf,
					    "\r\nContent-Length:");
					x->want = (size_t)(he + 4 - x->buf) +
					    (cl != NULL && cl < he ?
					    strtoul(cl + 17, NULL, 10) : 0);
				}
				if ((x->want == 0 || x->len < x->want) &&
				    x->len < sizeof(x->buf) - 1)
					continue;
			}
			/* Whole, EOF or an error. */
			x->state = x->len > 12 &&
			    strncmp(x->buf, "HTTP/1.1 200", 12) == 0 &&
			    (x->want == 0 || x->len >= x->want) ? 2 : 3;
gone:
			x->t1 = now();
			if (x->state == 2)
				lat[ok++] = (x->t1 - x->t0) * 1000;
			else
				failed++;
			(void)close(x->fd);
			x->fd = -1;
			left--;
		}
	}
	qsort(lat, (size_t)ok, sizeof(*lat), cmp);
#define PCT(p)	(ok > 0 ? lat[(size_t)((ok - 1) * (p))] : 0)
	printf("n %d ok %d failed %d connect_ms %.0f p50_ms %.0f p90_ms %.0f "
	    "p99_ms %.0f max_ms %.0f\n", n, ok, failed + left, t_conn * 1000,
	    PCT(0.50), PCT(0.90), PCT(0.99), ok > 0 ? lat[ok - 1] : 0);
	return failed + left > 0 ? 1 : 0;
}
