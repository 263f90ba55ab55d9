/*
 * socketpair_reader.c - a reader callback on one end of a socketpair gets
 * what a call_soon callback sent from the other end, then removes itself
 * and stops the loop.
 *
 * The seed's Python ("Watch a file descriptor for read events"):
 *
 *	rsock, wsock = socketpair()
 *	loop = asyncio.get_event_loop()
 *
 *	def reader():
 *	    data = rsock.recv(100)
 *	    print("Received:", data.decode())
 *	    # We are done: unregister the file descriptor
 *	    loop.remove_reader(rsock)
 *	    # Stop the event loop
 *	    loop.stop()
 *
 *	# Register the file descriptor for read event
 *	loop.add_reader(rsock, reader)
 *
 *	# Simulate the reception of data from the network
 *	loop.call_soon(wsock.send, 'abc'.encode())
 *
 *	# Run the event loop
 *	loop.run_forever()
 *
 *	# We are done, close sockets and the event loop
 *	rsock.close()
 *	wsock.close()
 *	loop.close()
 *
 * rt_watch_start() is add_reader, rt_watch_stop() remove_reader; both
 * callbacks run from the loop and never suspend.  No task is involved.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asyncd/rt.h>
#include "example.h"

static int	socks[2];	/* [0] rsock, [1] wsock */

static void
reader(struct rt_watch *w, int revents)
{
	char data[100];
	ssize_t n;

	(void)revents;
	n = recv(socks[0], data, sizeof(data), 0);
	if (n < 0)
		ex_die("recv", -errno, __FILE__, __LINE__);
	printf("Received: %.*s\n", (int)n, data);
	rt_watch_stop(w);
	rt_loop_stop();
}

/* wsock.send(b'abc'): a socketpair's buffer takes 3 bytes at once. */
static void
send_abc(void *arg)
{
	(void)arg;
	if (send(socks[1], "abc", 3, MSG_NOSIGNAL) != 3)
		ex_die("send", -errno, __FILE__, __LINE__);
}

int
main(void)
{
	struct rt_watch w;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socks) == -1)
		ex_die("socketpair", -errno, __FILE__, __LINE__);
	EX_CHECK(rt_loop_init(NULL));
	rt_watch_start(&w, socks[0], RT_READ, reader, NULL);
	EX_CHECK(rt_loop_call_soon(send_abc, NULL));
	EX_CHECK(rt_loop_run());
	(void)close(socks[0]);	/* nothing buffered to lose */
	(void)close(socks[1]);
	rt_loop_close();
	return ex_finish();
}
