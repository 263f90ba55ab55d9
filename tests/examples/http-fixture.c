/*
 * http-fixture.c - a tiny HTTP server for the check scripts of the I/O
 * examples (wget, fetch): fixed, predictable answers, no Date field, no
 * dependency beyond the runtime.
 *
 * Listens on 127.0.0.1 twice, on two ephemeral ports, and prints
 * "PORT1 PORT2" on one line of stdout once it accepts.  Exits 0 on SIGTERM
 * or SIGINT, and by itself after LIFETIME seconds (argv[1], default 60) so
 * that a script killed before its trap ran cannot leave it behind.
 *
 * Routes (GET only; HTTP/1.1 requests are kept alive unless they ask not
 * to be, HTTP/1.0 ones are answered with "Connection: close"):
 *   /            "hello\n", Content-Length
 *   /bytes/N     N bytes of 'x', Content-Length (N <= 4 MiB)
 *   /chunked/N   N bytes of 'x' in chunks of up to 1000
 *   /status/NNN  that status, empty body
 *   otherwise    404
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <asyncd/rt.h>

#define FIXTURE_MAX_BYTES	(4 * 1024 * 1024)
#define FIXTURE_TIMEOUT		10.0

static char	xs[1000];

static int
put(struct rt_stream *s, const char *p, size_t n)
{
	return rt_stream_write(s, p, n, FIXTURE_TIMEOUT);
}

static int
put_head(struct rt_stream *s, int status, const char *fields, int close)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Server: asyncd-fixture\r\n%s%s\r\n", status,
	    status == 200 ? "OK" : status == 404 ? "Not Found" : "Status",
	    fields, close ? "Connection: close\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EMSGSIZE;
	return put(s, head, (size_t)n);
}

static int
put_xs(struct rt_stream *s, size_t n, int chunked)
{
	char line[32];
	size_t k;
	int err = 0;

	while (n > 0 && err == 0) {
		k = n < sizeof(xs) ? n : sizeof(xs);
		if (chunked) {
			(void)snprintf(line, sizeof(line), "%zx\r\n", k);
			err = put(s, line, strlen(line));
		}
		if (err == 0)
			err = put(s, xs, k);
		if (err == 0 && chunked)
			err = put(s, "\r\n", 2);
		n -= k;
	}
	if (err == 0 && chunked)
		err = put(s, "0\r\n\r\n", 5);
	return err;
}

/* Answers one request for path; close asks for "Connection: close". */
static int
answer(struct rt_stream *s, const char *path, int close)
{
	char fields[128];
	unsigned long n;
	char *end;

	if (strcmp(path, "/") == 0) {
		if (put_head(s, 200, "Content-Type: text/plain\r\n"
		    "Content-Length: 6\r\n", close) != 0)
			return -EPIPE;
		return put(s, "hello\n", 6);
	}
	if (strncmp(path, "/bytes/", 7) == 0 ||
	    strncmp(path, "/chunked/", 9) == 0) {
		int chunked = path[1] == 'c';

		errno = 0;
		n = strtoul(path + (chunked ? 9 : 7), &end, 10);
		if (errno == 0 && *end == '\0' && n <= FIXTURE_MAX_BYTES) {
			if (chunked)
				(void)snprintf(fields, sizeof(fields),
				    "Transfer-Encoding: chunked\r\n");
			else
				(void)snprintf(fields, sizeof(fields),
				    "Content-Length: %lu\r\n", n);
			if (put_head(s, 200, fields, close) != 0)
				return -EPIPE;
			return put_xs(s, n, chunked);
		}
	}
	if (strncmp(path, "/status/", 8) == 0) {
		n = strtoul(path + 8, &end, 10);
		if (*end == '\0' && n >= 200 && n <= 599)
			return put_head(s, (int)n, "Content-Length: 0\r\n",
			    close);
	}
	return put_head(s, 404, "Content-Length: 0\r\n", close);
}

static int
serve(struct rt_conn *conn, void *arg)
{
	struct rt_stream s;
	char head[4096], path[1024];
	const char *p;
	ssize_t n;
	size_t plen;
	int close, err;

	(void)arg;
	if ((err = rt_stream_init(&s, conn->fd, 0, 0)) != 0)
		return err;
	conn->fd = -1;
	for (;;) {
		n = rt_stream_readuntil(&s, "\r\n\r\n", 4, head,
		    sizeof(head) - 1, FIXTURE_TIMEOUT);
		if (n <= 0)
			break;
		head[n] = '\0';
		if (strncmp(head, "GET /", 5) != 0)
			break;
		plen = strcspn(head + 4, " \r");
		if (plen >= sizeof(path))
			break;
		memcpy(path, head + 4, plen);
		path[plen] = '\0';
		p = head + 4 + plen;
		close = strncmp(p, " HTTP/1.1\r\n", 11) != 0 ||
		    strcasestr(head, "\r\nConnection: close\r\n") != NULL;
		if (answer(&s, path, close) != 0 ||
		    rt_stream_drain(&s, FIXTURE_TIMEOUT) != 0 || close)
			break;
	}
	rt_stream_close(&s);
	return 0;
}

static void
stop_cb(struct rt_signal *s, int signum)
{
	(void)s;
	(void)signum;
	rt_loop_stop();
}

static int
lifetime(void *arg)
{
	(void)rt_sleep(*(double *)arg);
	rt_loop_stop();
	return 0;
}

int
main(int argc, char **argv)
{
	struct rt_server server;
	struct rt_signal sigs[2];
	struct rt_task *timer;
	double life = argc > 1 ? atof(argv[1]) : 60.0;
	int err;

	memset(xs, 'x', sizeof(xs));
	if ((err = rt_loop_init(NULL)) != 0)
		goto fail;
	rt_server_init(&server, NULL);
	if ((err = rt_server_listen(&server, "127.0.0.1", "0")) != 0 ||
	    (err = rt_server_listen(&server, "127.0.0.1", "0")) != 0 ||
	    (err = rt_server_start(&server, serve, NULL)) != 0 ||
	    (err = rt_task_spawn(&timer, "lifetime", lifetime, &life)) != 0)
		goto fail;
	rt_signal_start(&sigs[0], SIGTERM, stop_cb, NULL);
	rt_signal_start(&sigs[1], SIGINT, stop_cb, NULL);
	printf("%d %d\n", rt_server_port(&server, 0),
	    rt_server_port(&server, 1));
	if (fflush(stdout) != 0) {
		err = -errno;
		goto fail;
	}
	(void)rt_loop_run();
	/* Connections still open are abandoned with the loop: this is a
	 * test fixture exiting, the kernel closes them. */
	rt_signal_stop(&sigs[0]);
	rt_signal_stop(&sigs[1]);
	rt_server_stop_accepting(&server);
	(void)rt_task_cancel(timer);
	rt_task_release(timer);
	return EXIT_SUCCESS;
fail:
	fprintf(stderr, "http-fixture: %s\n", rt_strerror(err));
	return EXIT_FAILURE;
}
