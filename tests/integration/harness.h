/*
 * harness.h - what the integration tests (test-http.c, test-daemon.c)
 * share: monotonic milliseconds, a sleep that survives signals, and a
 * bounded wait for a child.  Each test program keeps its own process
 * bookkeeping (which children its watchdog kills), since they differ: one
 * server per group in test-http, one master and its workers in test-daemon.
 */
#ifndef ASYNCD_TEST_HARNESS_H
#define ASYNCD_TEST_HARNESS_H

#include <errno.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

static long __attribute__((unused))
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void __attribute__((unused))
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Waits up to ms for pid, our child, to exit, polling every poll_ms: its
 * wait status; -1 if it still runs, or if it is not (or no longer) ours,
 * which *gone says (may be NULL): then there is nothing left to reap.
 */
static int __attribute__((unused))
harness_reap(pid_t pid, long ms, long poll_ms, int *gone)
{
	long end = now_ms() + ms;
	int status;
	pid_t r;

	if (gone != NULL)
		*gone = 0;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			if (gone != NULL)
				*gone = 1;
			return status;
		}
		if (r == -1 && errno != EINTR) {
			if (gone != NULL)
				*gone = 1;
			return -1;
		}
		if (now_ms() >= end)
			return -1;
		sleep_ms(poll_ms);
	}
}

#endif /* ASYNCD_TEST_HARNESS_H */
