/*
 * signals.c - the signals no asyncd process acts on.
 *
 * A master or worker killed by a stray signal takes the service with it:
 * SIGUSR2 (nginx's upgrade signal, sent by habit) and SIGALRM killed the
 * master, whose workers followed it through their parent-death signal,
 * and SIGTTIN/SIGTTOU stopped a master started from a shell.  So every
 * asynchronous signal without a documented effect is ignored by every
 * process; asyncd(8) lists what each signal does to the master and to a
 * worker.  Synchronous faults (SEGV, BUS, FPE, ILL, TRAP, SYS, ABRT) keep
 * their default, a core to debug; KILL and STOP cannot be caught.
 *
 * The master and the workers then install watchers for the signals they
 * act on (master.c, worker.c), which replace these dispositions.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "daemon.h"

static const int signals_ignored[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
	SIGALRM, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU,
	SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,
#ifdef SIGPWR
	SIGPWR,
#endif
#ifdef SIGSTKFLT
	SIGSTKFLT,
#endif
};

int
signals_ignore(const sigset_t *keep)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(signals_ignored) / sizeof(signals_ignored[0]);
	    i++) {
		/* Ignoring a pending signal discards it (POSIX): a signal the
		 * caller will handle, possibly already sent and blocked, is
		 * left alone. */
		if (keep != NULL && sigismember(keep, signals_ignored[i]) == 1)
			continue;
		if (sigaction(signals_ignored[i], &sa, NULL) == -1)
			return -errno;
	}
	return 0;
}
