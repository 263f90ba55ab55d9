/*
 * tasks.h - a worker's live tasks, listed for /debug/tasks and `asyncd
 * --tasks` (tasks.c): asyncio's `python -m asyncio ps PID`, for a daemon.
 *
 * Each worker lists its own tasks (rt_task_foreach): the ones that have
 * waited longest first, at most TASKS_SHOWN_MAX of them, with the counts by
 * state of all, so that the list of a worker holding 10,000 connections is
 * still one bounded message on the channel.
 */
#ifndef ASYNCD_DAEMON_TASKS_H
#define ASYNCD_DAEMON_TASKS_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct asyncd_conf;

#define TASKS_SHOWN_MAX	100

enum tasks_format {
	TASKS_JSON,	/* one object: {"worker": N, ..., "shown": [...]} */
	TASKS_TEXT,	/* a heading line, then a line per task */
};

struct tasks_opts {
	int		 format;	/* enum tasks_format */
	unsigned	 slot;		/* the worker's number */
	long		 pid;
	double		 now;		/* the loop's wall clock */
};

/*
 * Writes the running process's live tasks into buf (cap bytes, no NUL):
 * the counts by state, then the TASKS_SHOWN_MAX that have waited longest,
 * each with its id, name (the route, for a request's task), state, what it
 * waits on and for how long.  Tasks that do not fit cap are left out and
 * counted.  Returns the length, or -ENOSPC if not even the counts fit.
 * Names are escaped (JSON, or \xHH in text).  Does not suspend.
 */
ssize_t	tasks_format(char *buf, size_t cap, const struct tasks_opts *o);

/*
 * asyncd --tasks: GETs the task list as text from the stats listener c
 * names (stats.listen, stats.tasks) and prints it on out.  0, EX_CONFIG
 * when c has no private stats listener or the page is off, EX_UNAVAILABLE
 * when the server does not answer with the page (on stderr: why).
 * Blocks, 5 seconds at most per read or write.
 */
int	tasks_print(const struct asyncd_conf *c, FILE *out);

#endif /* ASYNCD_DAEMON_TASKS_H */
