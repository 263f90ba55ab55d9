/*
 * signals.c - the loop runs until SIGINT or SIGTERM; the handler, run from
 * the loop like any callback, says which signal came and stops the loop.
 *
 * The seed's Python ("Set signal handlers for SIGINT and SIGTERM"):
 *
 *	def ask_exit(signame):
 *		print("got signal %s: exit" % signame)
 *		loop.stop()
 *
 *	loop = asyncio.get_event_loop()
 *	for signame in ('SIGINT', 'SIGTERM'):
 *		loop.add_signal_handler(getattr(signal, signame),
 *					functools.partial(ask_exit, signame))
 *
 *	print("Event loop running forever, press Ctrl+C to interrupt.")
 *	print("pid %s: send SIGINT or SIGTERM to exit." % os.getpid())
 *	try:
 *		loop.run_forever()
 *	finally:
 *		loop.close()
 *
 * The handler is not a signal handler in the C sense: libev's catches the
 * signal and wakes the loop, and ask_exit() runs from the loop, where it may
 * call stdio.  The watcher's arg carries the name, as functools.partial
 * carries signame.  stdout is flushed after the banner so that a script
 * reading it through a pipe knows the handlers are installed.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <asyncd/rt.h>
#include "example.h"

static void
ask_exit(struct rt_signal *s, int signum)
{
	(void)signum;
	printf("got signal %s: exit\n", (const char *)s->arg);
	rt_loop_stop();
}

int
main(void)
{
	static const struct {
		int		 signum;
		const char	*name;
	} sigs[] = {
		{ SIGINT, "SIGINT" },
		{ SIGTERM, "SIGTERM" },
	};
	struct rt_signal handlers[2];
	size_t i;

	EX_CHECK(rt_loop_init(NULL));
	for (i = 0; i < 2; i++)
		rt_signal_start(&handlers[i], sigs[i].signum, ask_exit,
		    (void *)sigs[i].name);
	printf("Event loop running forever, press Ctrl+C to interrupt.\n");
	printf("pid %ld: send SIGINT or SIGTERM to exit.\n", (long)getpid());
	if (fflush(stdout) != 0)
		ex_die("fflush(stdout)", -EIO, __FILE__, __LINE__);
	EX_CHECK(rt_loop_run());
	for (i = 0; i < 2; i++)
		rt_signal_stop(&handlers[i]);
	rt_loop_close();
	return ex_finish();
}
