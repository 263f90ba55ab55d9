/*
 * tasks.c - a worker's live tasks, as JSON or text (see tasks.h), and
 * `asyncd --tasks`, which prints every worker's from the stats listener.
 *
 * The list is for an operator asking "what is this worker doing": the
 * tasks that have waited longest are the stuck ones, so they come first.
 * They are chosen in one pass over every task, keeping the longest
 * TASKS_SHOWN_MAX in a small array sorted by insertion (a few thousand
 * compares for 10,000 tasks, only when someone asks), and written through
 * a bounded writer: an entry that does not fit is left out whole and
 * counted in "more", never cut.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <asyncd/rt.h>

#include "daemon.h"
#include "tasks.h"

struct pick {
	struct rt_task	*t;
	double		 waited;
};

struct scan {
	struct pick	 top[TASKS_SHOWN_MAX];
	size_t		 ntop;
	size_t		 total, by_state[4];
	double		 now;
};

static void
tasks_scan_one(struct rt_task *t, void *arg)
{
	struct scan *sc = arg;
	double since = rt_task_waiting_since(t), waited = 0;
	enum rt_task_state st = rt_task_state(t);
	size_t i;

	sc->total++;
	if ((size_t)st < sizeof(sc->by_state) / sizeof(sc->by_state[0]))
		sc->by_state[st]++;
	if (since > 0 && sc->now > since)
		waited = sc->now - since;
	if (sc->ntop == TASKS_SHOWN_MAX &&
	    waited <= sc->top[TASKS_SHOWN_MAX - 1].waited)
		return;
	i = sc->ntop < TASKS_SHOWN_MAX ? sc->ntop++ : TASKS_SHOWN_MAX - 1;
	for (; i > 0 && sc->top[i - 1].waited < waited; i--)
		sc->top[i] = sc->top[i - 1];
	sc->top[i].t = t;
	sc->top[i].waited = waited;
}

/* s escaped for a JSON string (json) or a text column: bytes outside
 * printable ASCII, quotes and backslashes never appear raw. */
static void
tasks_put_escaped(struct page_out *o, const char *s, int json)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0' && !o->full; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			page_put(o, "%c", *p);
		else if (json && (*p == '"' || *p == '\\'))
			page_put(o, "\\%c", *p);
		else if (json)
			page_put(o, "\\u%04x", *p);
		else
			page_put(o, "\\x%02x", *p);
	}
}

static void
tasks_put_task(struct page_out *o, const struct pick *pk, int json, int first)
{
	struct rt_task *t = pk->t;
	const char *awaits = rt_task_waiting_on(t);

	if (json) {
		page_put(o, "%s{\"id\": %llu, \"name\": \"", first ? "" : ", ",
		    (unsigned long long)rt_task_id(t));
		tasks_put_escaped(o, rt_task_name(t), 1);
		page_put(o, "\", \"state\": \"%s\", \"awaits\": \"",
		    rt_task_state_name(rt_task_state(t)));
		tasks_put_escaped(o, awaits, 1);
		page_put(o, "\", \"waited\": %.3f, \"cancelling\": %s}", pk->waited,
		    rt_task_cancelling(t) ? "true" : "false");
	} else {
		page_put(o, "  %8llu  %-8s  %9.3f  %-12s  ",
		    (unsigned long long)rt_task_id(t),
		    rt_task_state_name(rt_task_state(t)), pk->waited,
		    *awaits != '\0' ? awaits : "-");
		tasks_put_escaped(o, rt_task_name(t), 0);
		page_put(o, "%s\n", rt_task_cancelling(t) ? " (cancelling)" : "");
	}
}

ssize_t
tasks_format(char *buf, size_t cap, const struct tasks_opts *opts)
{
	/* Room kept for what closes the list: "], "more": N}" or a line. */
	enum { TAIL = 64 };
	static struct scan sc;		/* 1.6 KiB: off the task's stack */
	struct page_out o = { .buf = buf };
	int json = opts->format == TASKS_JSON;
	size_t i, shown = 0, mark;

	if (cap <= TAIL)
		return -ENOSPC;
	o.cap = cap - TAIL;
	memset(&sc, 0, sizeof(sc));
	sc.now = opts->now;
	rt_task_foreach(tasks_scan_one, &sc);
	if (json)
		page_put(&o, "{\"worker\": %u, \"pid\": %ld, \"tasks\": %zu, "
		    "\"ready\": %zu, \"running\": %zu, \"waiting\": %zu, "
		    "\"shown\": [", opts->slot, opts->pid, sc.total,
		    sc.by_state[RT_TASK_READY], sc.by_state[RT_TASK_RUNNING],
		    sc.by_state[RT_TASK_WAITING]);
	else
		page_put(&o, "worker %u (pid %ld): %zu task%s, %zu ready, %zu "
		    "running, %zu waiting; the longest waits first:\n"
		    "  %8s  %-8s  %9s  %-12s  %s\n", opts->slot, opts->pid,
		    sc.total, sc.total == 1 ? "" : "s",
		    sc.by_state[RT_TASK_READY],
		    sc.by_state[RT_TASK_RUNNING], sc.by_state[RT_TASK_WAITING],
		    "id", "state", "waited", "awaits", "name");
	if (o.full)
		return -ENOSPC;
	for (i = 0; i < sc.ntop; i++) {
		mark = o.len;
		tasks_put_task(&o, &sc.top[i], json, shown == 0);
		if (o.full) {
			o.len = mark;	/* whole entries only */
			break;
		}
		shown++;
	}
	o.full = 0;
	o.cap = cap;
	if (json)
		page_put(&o, "], \"more\": %zu}", sc.total - shown);
	else if (sc.total > shown)
		page_put(&o, "  ... and %zu more\n", sc.total - shown);
	return o.full ? -ENOSPC : (ssize_t)o.len;
}

/* The longest page: TASKS_BODY_MAX in worker.c, and its head. */
#define TASKS_PAGE_MAX	(1024 * 1024 + 4096)
#define TASKS_IO_WAIT	5		/* seconds, each read or write */

/* A connection to the stats listener, or -1 with why on stderr. */
static int
tasks_connect(const struct conf_listen *l)
{
	struct addrinfo hints, *ai, *a;
	struct timeval tv = { .tv_sec = TASKS_IO_WAIT };
	char port[16];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(port, sizeof(port), "%u", l->port);
	if ((rc = getaddrinfo(l->host, port, &hints, &ai)) != 0) {
		(void)fprintf(stderr, "asyncd: %s: %s\n", l->addr,
		    gai_strerror(rc));
		return -1;
	}
	for (a = ai; a != NULL; a = a->ai_next) {
		if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
		    a->ai_protocol)) == -1)
			continue;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)) == 0 && setsockopt(fd, SOL_SOCKET,
		    SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
		    connect(fd, a->ai_addr, a->ai_addrlen) == 0)
			break;
		rc = errno;
		(void)close(fd);
		fd = -1;
		errno = rc;
	}
	if (fd == -1)
		(void)fprintf(stderr, "asyncd: cannot connect to the stats "
		    "listener %s: %s\n", l->addr, strerror(errno));
	freeaddrinfo(ai);
	return fd;
}

int
tasks_print(const struct asyncd_conf *c, FILE *out)
{
	char req[512], *page, *body;
	size_t len = 0;
	ssize_t n;
	int fd, ex = EX_UNAVAILABLE;

	if (!c->has_stats_listen || c->stats_listen.port == 0 ||
	    c->tasks_path == NULL || !conf_listen_private(&c->stats_listen)) {
		(void)fprintf(stderr, "asyncd: --tasks reads stats.tasks on "
		    "the stats listener: %s sets no stats.listen with a "
		    "private address and a port, or turns stats.tasks off\n",
		    c->path);
		return EX_CONFIG;
	}
	n = snprintf(req, sizeof(req), "GET %s?format=text HTTP/1.1\r\n"
	    "Host: %s\r\nConnection: close\r\n\r\n", c->tasks_path,
	    c->stats_listen.addr);
	if (n < 0 || (size_t)n >= sizeof(req))
		return EX_SOFTWARE;
	if ((page = malloc(TASKS_PAGE_MAX + 1)) == NULL) {
		(void)fprintf(stderr, "asyncd: out of memory\n");
		return EX_OSERR;
	}
	if ((fd = tasks_connect(&c->stats_listen)) == -1)
		goto out;
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		(void)fprintf(stderr, "asyncd: %s: cannot send: %s\n",
		    c->stats_listen.addr, strerror(errno));
		goto out;
	}
	/* Connection: close: the page ends with the connection. */
	while (len < TASKS_PAGE_MAX &&
	    (n = recv(fd, page + len, TASKS_PAGE_MAX - len, 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)fprintf(stderr, "asyncd: %s: %s\n",
			    c->stats_listen.addr, errno == EAGAIN ?
			    "no answer in time" : strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	page[len] = '\0';
	if (strncmp(page, "HTTP/1.1 200 ", 13) != 0 ||
	    (body = strstr(page, "\r\n\r\n")) == NULL) {
		(void)fprintf(stderr, "asyncd: %s%s: %.*s\n",
		    c->stats_listen.addr, c->tasks_path,
		    (int)strcspn(page, "\r\n"), len > 0 ? page : "no answer");
		goto out;
	}
	body += 4;
	if (fwrite(body, 1, len - (size_t)(body - page), out) ==
	    len - (size_t)(body - page) && fflush(out) == 0)
		ex = 0;
	else
		ex = EX_IOERR;
out:
	if (fd != -1)
		(void)close(fd);
	free(page);
	return ex;
}
