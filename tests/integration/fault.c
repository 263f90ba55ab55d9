/*
 * fault.c - an LD_PRELOAD interposer for fault.sh: makes the Nth call of
 * fork(), socketpair() or dup2() in a process fail, so that the master's
 * answer to each failure (src/daemon/master.c) can be shown on the real
 * binary.  Built for make check only (libfault.la), never installed.
 *
 *	FAULT_FORK=N		the Nth fork() fails with EAGAIN
 *	FAULT_SOCKETPAIR=N	the Nth socketpair() fails with EMFILE
 *	FAULT_DUP2=N		the Nth dup2() fails with EBADF
 *
 * Only in a program named asyncd.  N counts calls in one process, from 1; a fork's child inherits the count
 * so far (the upgrade child's dup2 calls are its first).  Unset, 0 or
 * not a number: no fault.  Each fault fires once.  A line on stderr says
 * when one fires, for the test's log.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

/* Default visibility (everything else is built hidden): the dynamic
 * linker must find them ahead of libc's. */
pid_t	fork(void) __attribute__((visibility("default")));
int	socketpair(int, int, int, int[2]) __attribute__((visibility("default")));
int	dup2(int, int) __attribute__((visibility("default")));

/* The counts, per process (and copied into a fork's child). */
static long	nfork, nsocketpair, ndup2;

/* Which call of each fails (0: none), read before main: the master
 * tidies its environment after startup, and a fork's child keeps these. */
static long	at_fork, at_socketpair, at_dup2;

static long
fault_env(const char *env)
{
	const char *v = getenv(env);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 0;
	n = strtol(v, &end, 10);
	return *end == '\0' && n > 0 ? n : 0;
}

/* asyncd only: not the libtool wrapper (a shell, whose forks would take
 * the count) nor any other program run with the variables. */
__attribute__((constructor)) static void
fault_init(void)
{
	if (strcmp(program_invocation_short_name, "asyncd") != 0 &&
	    strcmp(program_invocation_short_name, "lt-asyncd") != 0)
		return;
	at_fork = fault_env("FAULT_FORK");
	at_socketpair = fault_env("FAULT_SOCKETPAIR");
	at_dup2 = fault_env("FAULT_DUP2");
}

static void
fault_say(const char *what, long count, int err)
{
	/* dprintf: no stdio buffer to duplicate into a child. */
	(void)dprintf(STDERR_FILENO, "fault.so: %s call %ld fails (errno "
	    "%d)\n", what, count, err);
}

pid_t
fork(void)
{
	static pid_t (*next)(void);

	if (next == NULL &&
	    (next = (pid_t (*)(void))dlsym(RTLD_NEXT, "fork")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (++nfork == at_fork) {
		fault_say("fork", nfork, EAGAIN);
		errno = EAGAIN;
		return -1;
	}
	return next();
}

int
socketpair(int domain, int type, int protocol, int sv[2])
{
	static int (*next)(int, int, int, int[2]);

	if (next == NULL && (next = (int (*)(int, int, int, int[2]))dlsym(
	    RTLD_NEXT, "socketpair")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (++nsocketpair == at_socketpair) {
		fault_say("socketpair", nsocketpair, EMFILE);
		errno = EMFILE;
		return -1;
	}
	return next(domain, type, protocol, sv);
}

int
dup2(int oldfd, int newfd)
{
	static int (*next)(int, int);

	if (next == NULL &&
	    (next = (int (*)(int, int))dlsym(RTLD_NEXT, "dup2")) == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (++ndup2 == at_dup2) {
		fault_say("dup2", ndup2, EBADF);
		errno = EBADF;
		return -1;
	}
	return next(oldfd, newfd);
}
