/*
 * tasks.c - a worker's live tasks, as JSON or text (see tasks.h).
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

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <asyncd/rt.h>

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
scan_one(struct rt_task *t, void *arg)
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

struct out {
	char	*buf;
	size_t	 cap, len;
	int	 full;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

/* s escaped for a JSON string (json) or a text column: bytes outside
 * printable ASCII, quotes and backslashes never appear raw. */
static void
put_escaped(struct out *o, const char *s, int json)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0' && !o->full; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			put(o, "%c", *p);
		else if (json && (*p == '"' || *p == '\\'))
			put(o, "\\%c", *p);
		else if (json)
			put(o, "\\u%04x", *p);
		else
			put(o, "\\x%02x", *p);
	}
}

static void
put_task(struct out *o, const struct pick *pk, int json, int first)
{
	struct rt_task *t = pk->t;
	const char *awaits = rt_task_waiting_on(t);

	if (json) {
		put(o, "%s{\"id\": %llu, \"name\": \"", first ? "" : ", ",
		    (unsigned long long)rt_task_id(t));
		put_escaped(o, rt_task_name(t), 1);
		put(o, "\", \"state\": \"%s\", \"awaits\": \"",
		    rt_task_state_name(rt_task_state(t)));
		put_escaped(o, awaits, 1);
		put(o, "\", \"waited\": %.3f, \"cancelling\": %s}", pk->waited,
		    rt_task_cancelling(t) ? "true" : "false");
	} else {
		put(o, "  %8llu  %-8s  %9.3f  %-12s  ",
		    (unsigned long long)rt_task_id(t),
		    rt_task_state_name(rt_task_state(t)), pk->waited,
		    *awaits != '\0' ? awaits : "-");
		put_escaped(o, rt_task_name(t), 0);
		put(o, "%s\n", rt_task_cancelling(t) ? " (cancelling)" : "");
	}
}

ssize_t
tasks_format(char *buf, size_t cap, const struct tasks_opts *opts)
{
	/* Room kept for what closes the list: "], "more": N}" or a line. */
	enum { TAIL = 64 };
	static struct scan sc;		/* 1.6 KiB: off the task's stack */
	struct out o = { .buf = buf };
	int json = opts->format == TASKS_JSON;
	size_t i, shown = 0, mark;

	if (cap <= TAIL)
		return -ENOSPC;
	o.cap = cap - TAIL;
	memset(&sc, 0, sizeof(sc));
	sc.now = opts->now;
	rt_task_foreach(scan_one, &sc);
	if (json)
		put(&o, "{\"worker\": %u, \"pid\": %ld, \"tasks\": %zu, "
		    "\"ready\": %zu, \"running\": %zu, \"waiting\": %zu, "
		    "\"shown\": [", opts->slot, opts->pid, sc.total,
		    sc.by_state[RT_TASK_READY], sc.by_state[RT_TASK_RUNNING],
		    sc.by_state[RT_TASK_WAITING]);
	else
		put(&o, "worker %u (pid %ld): %zu tasks, %zu ready, %zu "
		    "running, %zu waiting; the longest waits first:\n"
		    "  %8s  %-8s  %9s  %-12s  %s\n", opts->slot, opts->pid,
		    sc.total, sc.by_state[RT_TASK_READY],
		    sc.by_state[RT_TASK_RUNNING], sc.by_state[RT_TASK_WAITING],
		    "id", "state", "waited", "awaits", "name");
	if (o.full)
		return -ENOSPC;
	for (i = 0; i < sc.ntop; i++) {
		mark = o.len;
		put_task(&o, &sc.top[i], json, shown == 0);
		if (o.full) {
			o.len = mark;	/* whole entries only */
			break;
		}
		shown++;
	}
	o.full = 0;
	o.cap = cap;
	if (json)
		put(&o, "], \"more\": %zu}", sc.total - shown);
	else if (sc.total > shown)
		put(&o, "  ... and %zu more\n", sc.total - shown);
	return o.full ? -ENOSPC : (ssize_t)o.len;
}
