/*
 * asyncd-hooks.c - asyncd for the integration tests that need workers to
 * fail at startup: the same asyncd_main() as asyncd, plus the one test
 * seam libasyncd leaves open (worker__test_start, src/daemon/worker.c).
 * Built for make check only, never installed: the production binary has
 * no such switch.  $ASYNCD_HOOKS names it to the tests.
 *
 * ASYNCD_TEST_WORKER_FAIL=1: every worker fails; =/path: a worker fails
 * while that file exists, and hangs instead (never READY) if the file says
 * "hang".
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <asyncd/app.h>

/* Default visibility (everything else is built hidden): libasyncd.so's
 * weak reference must find it in our dynamic symbols. */
void	worker__test_start(int slot) __attribute__((visibility("default")));

void
worker__test_start(int slot)
{
	const char *v = getenv("ASYNCD_TEST_WORKER_FAIL");
	char how[8] = "";
	FILE *fp;

	if (v == NULL)
		return;
	if (v[0] == '/') {
		if ((fp = fopen(v, "r")) == NULL)
			return;
		if (fgets(how, sizeof(how), fp) == NULL)
			how[0] = '\0';
		(void)fclose(fp);
		if (strncmp(how, "hang", 4) == 0)
			for (;;)
				(void)pause();
	}
	(void)dprintf(STDERR_FILENO, "worker %d: failing at startup "
	    "(ASYNCD_TEST_WORKER_FAIL is set)\n", slot);
	_exit(EX_SOFTWARE);
}

int
main(int argc, char *argv[])
{
	return asyncd_main(argc, argv, 0);
}
