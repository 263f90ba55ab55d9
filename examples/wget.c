/*
 * wget.c - fetch the response headers of several hosts at once: one task
 * per host, gathered.
 *
 * The seed's Python ("yield from reader.readline()"):
 *
 *	@asyncio.coroutine
 *	def wget(host):
 *		print('wget %s...' % host)
 *		connect = asyncio.open_connection(host, 80)
 *		reader, writer = yield from connect
 *		header = 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' % host
 *		writer.write(header.encode('utf-8'))
 *		yield from writer.drain()
 *		while True:
 *			line = yield from reader.readline()
 *			if line == b'\r\n':
 *				break
 *			print('%s header > %s' % (host, line.decode('utf-8').rstrip()))
 *		# Ignore the body, close the socket
 *		writer.close()
 *
 *	loop = asyncio.get_event_loop()
 *	tasks = [wget(host) for host in ['www.sina.com.cn', 'www.sohu.com', 'www.163.com']]
 *	loop.run_until_complete(asyncio.wait(tasks))
 *	loop.close()
 *
 * Usage: wget HOST[:PORT]...  (an IPv6 literal in brackets: [::1]:8080).
 * Each argument is used as given in the Host field and the output, as the
 * seed uses host.  rt_tcp_connect() is open_connection; the stream's
 * readline, write and drain are the reader's and writer's.  Unlike the seed,
 * a connection that ends before the blank line is an error (the Python
 * would spin on b'' forever), and every wait has a timeout.  Errors go to
 * stderr; the exit status is 1 if any host failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <asyncd/rt.h>
#include "example.h"

#define WGET_TIMEOUT	10.0	/* each connect, write, line */
#define WGET_LINE_MAX	8192	/* a header line, as aiohttp's cap */

struct wget_job {
	const char	*arg;		/* HOST[:PORT] as given */
	char		 host[256];
	char		 port[6];
};

/* Splits HOST[:PORT] or [V6][:PORT]; -EINVAL if malformed. */
static int
split_host(struct wget_job *j)
{
	const char *a = j->arg, *hend, *port = NULL;
	size_t hlen;

	if (a[0] == '[') {
		if ((hend = strchr(a, ']')) == NULL)
			return -EINVAL;
		a++;
		if (hend[1] == ':')
			port = hend + 2;
		else if (hend[1] != '\0')
			return -EINVAL;
	} else {
		hend = strchr(a, ':');
		if (hend != NULL)
			port = hend + 1;
		else
			hend = a + strlen(a);
	}
	hlen = (size_t)(hend - a);
	if (hlen == 0 || hlen >= sizeof(j->host))
		return -EINVAL;
	memcpy(j->host, a, hlen);
	j->host[hlen] = '\0';
	if (port == NULL)
		port = "80";
	if (*port == '\0' || strlen(port) >= sizeof(j->port) ||
	    strspn(port, "0123456789") != strlen(port))
		return -EINVAL;
	memcpy(j->port, port, strlen(port) + 1);
	return 0;
}

static int
wget_headers(struct wget_job *j, struct rt_stream *s)
{
	char line[WGET_LINE_MAX], req[512];
	ssize_t n;
	int len, err;

	len = snprintf(req, sizeof(req), "GET / HTTP/1.0\r\nHost: %s\r\n\r\n",
	    j->arg);
	if (len < 0 || (size_t)len >= sizeof(req))
		return -EINVAL;
	if ((err = rt_stream_write(s, req, (size_t)len, WGET_TIMEOUT)) != 0 ||
	    (err = rt_stream_drain(s, WGET_TIMEOUT)) != 0)
		return err;
	for (;;) {
		n = rt_stream_readline(s, line, sizeof(line), WGET_TIMEOUT);
		if (n < 0)
			return (int)n;
		if (n == 0 || line[n - 1] != '\n')
			return -ENODATA;	/* closed before the blank line */
		if (n == 2 && line[0] == '\r')
			return 0;
		/* Python's rstrip(): every trailing space, CR and LF. */
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' ' || line[n - 1] == '\t'))
			n--;
		printf("%s header > %.*s\n", j->arg, (int)n, line);
	}
}

static int
wget(void *arg)
{
	struct wget_job *j = arg;
	struct rt_stream s;
	int fd, err;

	printf("wget %s...\n", j->arg);
	if ((err = split_host(j)) != 0)
		goto out;
	if ((fd = rt_tcp_connect(j->host, j->port, WGET_TIMEOUT)) < 0) {
		err = fd;
		goto out;
	}
	if ((err = rt_stream_init(&s, fd, 0, 0)) != 0) {
		(void)close(fd);	/* not taken by the stream */
		goto out;
	}
	err = wget_headers(j, &s);
	rt_stream_close(&s);	/* ignore the body */
out:
	if (err != 0)
		fprintf(stderr, "wget %s: %s\n", j->arg, rt_strerror(err));
	return err;
}

struct wait_all {
	struct rt_task	**tasks;
	size_t		  n;
};

/* asyncio.wait(tasks): every job runs to its end, failed or not. */
static int
wait_all(void *arg)
{
	struct wait_all *w = arg;

	return rt_gather(w->tasks, w->n, RT_FOREVER);
}

int
main(int argc, char **argv)
{
	struct wget_job *jobs;
	struct rt_task **tasks, *waiter;
	struct wait_all w;
	size_t i, n;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: wget HOST[:PORT]...\n");
		return EXIT_FAILURE;
	}
	n = (size_t)argc - 1;
	jobs = calloc(n, sizeof(*jobs));
	tasks = calloc(n, sizeof(*tasks));
	if (jobs == NULL || tasks == NULL)
		ex_die("calloc", -ENOMEM, __FILE__, __LINE__);
	EX_CHECK(rt_loop_init(NULL));
	for (i = 0; i < n; i++) {
		jobs[i].arg = argv[i + 1];
		EX_CHECK(rt_task_spawn(&tasks[i], "wget", wget, &jobs[i]));
	}
	w.tasks = tasks;
	w.n = n;
	EX_CHECK(rt_task_spawn(&waiter, "wait", wait_all, &w));
	EX_CHECK(rt_loop_run_until(waiter));
	status = rt_task_status(waiter);
	rt_task_release(waiter);
	for (i = 0; i < n; i++)
		rt_task_release(tasks[i]);
	rt_loop_close();
	free(tasks);
	free(jobs);
	if (ex_finish() != EXIT_SUCCESS || status != 0)
		return EXIT_FAILURE;
	return EXIT_SUCCESS;
}
