/*
 * test-rt-tcp.c - runtime/server.c, tcp.c and resolve.c: an echo server
 * with 10,000 concurrent clients in one process; IPv6; adopting a
 * listening fd; connection refused, a name that does not resolve, connect
 * timeout and cancellation, resolve cancellation (also across a loop
 * close); max_conns with and without the overload hook; connections held
 * outside a task (hold, resume, unhold) counted for max_conns and
 * wait_idle, with no HTTP in sight; stop_accepting, wait_idle and
 * cancel_all; the EMFILE accept pause and its recovery, in a forked child
 * with a lowered RLIMIT_NOFILE.
 *
 * Everything talks to 127.0.0.1 or ::1.  TCP_CONNS in the environment
 * overrides the echo test's connection count (valgrind runs use fewer).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>		/* ev_now_update: a white-box clock refresh */

#if defined(CORO_VALGRIND)
#include <valgrind/valgrind.h>
#endif

#include "rt-test.h"
#include "rt-int.h"	/* rt__resolve_out: the resolver's jobs still out */

static struct rt_server	srv;
static char		port[16];	/* srv's port, as a string */

static void
port_of(const struct rt_server *s, size_t i)
{
	int p = rt_server_port(s, i);

	assert_true(p > 0);
	(void)snprintf(port, sizeof(port), "%d", p);
}

/* The echo server's handler: one line in, the same line out, until EOF. */
static int
echo_handler(struct rt_conn *c, void *arg)
{
	struct rt_stream s;
	char line[128];
	ssize_t n;
	int err;

	(void)arg;
	/* Small buffers: 10,000 connections must not cost 800 MB. */
	if ((err = rt_stream_init(&s, c->fd, 256, 256)) != 0)
		return err;	/* the server still owns c->fd: closes it */
	c->fd = -1;
	while ((n = rt_stream_readline(&s, line, sizeof(line), 20.0)) > 0)
		if ((err = rt_stream_write(&s, line, (size_t)n, 20.0)) != 0) {
			n = err;
			break;
		}
	rt_stream_close(&s);
	return n == -ENODATA ? 0 : (int)n;
}

/* Connects to host:port, sends line, checks the echo; 0 or an error. */
static int
echo_once(const char *host, const char *line)
{
	struct rt_stream s;
	char buf[128];
	size_t n = strlen(line);
	int fd, err;

	if ((fd = rt_tcp_connect(host, port, 2.0)) < 0)
		return fd;
	if ((err = rt_stream_init(&s, fd, 0, 0)) != 0) {
		(void)close(fd);	/* not taken over */
		return err;
	}
	if ((err = rt_stream_write(&s, line, n, 2.0)) == 0) {
		ssize_t r = rt_stream_readline(&s, buf, sizeof(buf), 2.0);

		if (r < 0)
			err = (int)r;
		else if ((size_t)r != n || memcmp(buf, line, n) != 0)
			err = -EBADMSG;
	}
	rt_stream_close(&s);
	return err;
}

/* ---- 10,000 concurrent echo clients -------------------------------------- */

static struct {
	size_t		 n;		/* clients */
	size_t		 connected, echoed, failed;
	int		 first_err;
	size_t		 peak_server_conns;
	struct rt_event	 all_connected, go;
	struct rt_sem	 connecting;	/* connects in flight */
} et;

static int
echo_client(void *arg)
{
	size_t id = (size_t)(uintptr_t)arg;
	struct rt_stream s;
	char line[64], buf[128];
	ssize_t r;
	int fd, err, i, len;

	if ((err = rt_sem_acquire(&et.connecting, 15.0)) != 0)
		goto out;
	fd = rt_tcp_connect("127.0.0.1", port, 15.0);
	rt_sem_release(&et.connecting);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	if ((err = rt_stream_init(&s, fd, 256, 256)) != 0) {
		(void)close(fd);	/* not taken over */
		goto out;
	}
	if (++et.connected == et.n)
		rt_event_set(&et.all_connected);
	/* Hold the connection until every client has one. */
	if ((err = rt_event_wait(&et.go, 15.0)) != 0)
		goto close;
	for (i = 0; i < 3; i++) {
		len = snprintf(line, sizeof(line), "client %zu line %d\n", id,
		    i);
		if ((err = rt_stream_write(&s, line, (size_t)len, 10.0)) != 0)
			goto close;
		if ((r = rt_stream_readline(&s, buf, sizeof(buf), 10.0)) < 0) {
			err = (int)r;
			goto close;
		}
		if (r != len || memcmp(buf, line, (size_t)len) != 0) {
			err = -EBADMSG;
			goto close;
		}
	}
	et.echoed++;
close:
	rt_stream_close(&s);
out:
	if (err != 0 && et.failed++ == 0)
		et.first_err = err;
	return err;
}

static int
echo_main(void *arg)
{
	struct rt_task **tasks;
	size_t i;
	int err, k;

	(void)arg;
	tasks = calloc(et.n, sizeof(*tasks));
	TCHECK(tasks != NULL);
	if (tasks == NULL)
		return -ENOMEM;
	for (i = 0; i < et.n; i++) {
		err = rt_task_spawn_opts(&tasks[i], "client", echo_client,
		    (void *)(uintptr_t)i, NULL);
		TCHECK_INT(err, 0);
		if (err != 0)
			break;
	}
	if (i == et.n) {
		TCHECK_INT(rt_event_wait(&et.all_connected, 15.0), 0);
		/* Every connection also accepted: all n open at once. */
		for (k = 0; k < 1000 && et.failed == 0 &&
		    rt_server_connections(&srv) < et.n; k++)
			TCHECK_INT(rt_sleep(0.01), 0);
		et.peak_server_conns = rt_server_connections(&srv);
		rt_event_set(&et.go);
	} else
		rt_event_set(&et.go);
	TCHECK_INT(rt_gather(tasks, i, 20.0), 0);
	while (i > 0)
		rt_task_release(tasks[--i]);
	free(tasks);
	TCHECK_INT(rt_server_wait_idle(&srv, 5.0), 0);
	rt_server_close(&srv);
	return 0;
}

/*
 * Raises the soft RLIMIT_NOFILE to the hard one, after trying to raise the
 * hard one to what 10,000 connections need with both ends in this process
 * (root may, others keep their hard limit); returns the limit.
 */
static rlim_t
nofile_raise(void)
{
	struct rlimit rl, want;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 20600) {
		want.rlim_cur = want.rlim_max = 20600;
		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			rl = want;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	return rl.rlim_cur;
}

static void
test_echo_server_with_10000_concurrent_clients(void **state)
{
	const char *env = getenv("TCP_CONNS");
	size_t want = env != NULL ? strtoul(env, NULL, 10) : 10000;
	rlim_t lim = nofile_raise();
	double t0;

	(void)state;
	if (want == 0)
		want = 10000;
	memset(&et, 0, sizeof(et));
	et.n = want;
	/* Two fds per connection (client and server side), plus slack for
	 * stdio, epoll, libev's eventfd and the listener. */
	if (lim != RLIM_INFINITY && lim < 2 * want + 500) {
		et.n = (size_t)(lim - 500) / 2;
		print_message("RLIMIT_NOFILE hard limit is %llu: %zu concurrent "
		    "connections instead of %zu\n", (unsigned long long)lim,
		    et.n, want);
	}
	rt_event_init(&et.all_connected);
	rt_event_init(&et.go);
	/* Bounded connects in flight: a burst of SYNs beyond the listen
	 * backlog would cost each a 1 s retransmit. */
	rt_sem_init(&et.connecting, 256);

	rt_server_init(&srv, NULL);
	assert_int_equal(rt_server_listen(&srv, "127.0.0.1", "0"), 0);
	port_of(&srv, 0);
	assert_int_equal(rt_server_start(&srv, echo_handler, NULL), 0);
	t0 = rt_test_mono();
	assert_int_equal(rt_test_run(echo_main, NULL), 0);
	print_message("%zu clients x 3 lines echoed in %.2f s\n", et.n,
	    rt_test_mono() - t0);
	if (et.failed != 0)
		fail_msg("%zu of %zu clients failed, first: %d (%s)", et.failed,
		    et.n, et.first_err, rt_strerror(et.first_err));
	assert_int_equal(et.echoed, et.n);
	assert_int_equal(et.peak_server_conns, et.n);
	assert_int_equal(srv.accepted, et.n);
}

/* ---- listening variants -------------------------------------------------- */

static int	v6_peer_family;

static int
family_handler(struct rt_conn *c, void *arg)
{
	(void)arg;
	v6_peer_family = c->peer.ss_family;
	TCHECK(c->peerlen > 0);
	return echo_handler(c, NULL);
}

static int
client_then_close(void *arg)
{
	const char *host = arg;

	TCHECK_INT(echo_once(host, "over the loopback\n"), 0);
	TCHECK_INT(rt_server_wait_idle(&srv, 2.0), 0);
	rt_server_close(&srv);
	return 0;
}

static void
test_listen_on_ipv6_loopback(void **state)
{
	int err;

	(void)state;
	rt_server_init(&srv, NULL);
	err = rt_server_listen(&srv, "::1", "0");
	if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT) {
		rt_server_close(&srv);
		skip();
	}
	assert_int_equal(err, 0);
	port_of(&srv, 0);
	assert_int_equal(rt_server_start(&srv, family_handler, NULL), 0);
	v6_peer_family = 0;
	assert_int_equal(rt_test_run(client_then_close, "::1"), 0);
	assert_int_equal(v6_peer_family, AF_INET6);
	/* IPV6_V6ONLY: the IPv4 loopback is not served on that port. */
}

static void
test_adopt_listening_fd(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);

	rt_server_init(&srv, NULL);
	assert_int_equal(rt_server_adopt(&srv, fd), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(rt_server_port(&srv, 0), ntohs(sin.sin_port));
	assert_int_equal(rt_server_port(&srv, 1), -EINVAL);
	port_of(&srv, 0);
	assert_int_equal(rt_server_start(&srv, echo_handler, NULL), 0);
	/* The server closes the adopted fd with its own. */
	assert_int_equal(rt_test_run(client_then_close, "127.0.0.1"), 0);
	assert_int_equal(srv.accepted, 1);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
}

static void
test_listen_rejects_bad_address(void **state)
{
	int err;

	(void)state;
	rt_server_init(&srv, NULL);
	err = rt_server_listen(&srv, "not an address", "0");
	assert_true(RT_IS_EAI(err));
	assert_true(rt_strerror(err)[0] != '\0');
	assert_int_equal(rt_server_start(&srv, echo_handler, NULL), -EINVAL);
	rt_server_close(&srv);
}

/* ---- client errors ------------------------------------------------------- */

static int	conn_result;
static double	conn_elapsed;

static int
connect_task(void *arg)
{
	const char *host = arg;
	double t0 = rt_test_mono();

	conn_result = rt_tcp_connect(host, port, 2.0);
	conn_elapsed = rt_test_mono() - t0;
	if (conn_result >= 0)
		(void)close(conn_result);	/* not expected: see the test */
	return 0;
}

static void
test_connect_refused(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	(void)state;
	/* Bound, not listening: holds the port, answers SYNs with RST. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	(void)snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
	assert_int_equal(rt_test_run(connect_task, "127.0.0.1"), 0);
	assert_int_equal(conn_result, -ECONNREFUSED);
	assert_int_equal(close(fd), 0);
}

static void
test_connect_to_unresolvable_name(void **state)
{
	(void)state;
	(void)snprintf(port, sizeof(port), "80");
	/* RFC 6761: .invalid never resolves. */
	assert_int_equal(rt_test_run(connect_task, "no-such-host.invalid"),
	    0);
	if (!RT_IS_EAI(conn_result))
		fail_msg("not a resolver error: %d (%s)", conn_result,
		    rt_strerror(conn_result));
	assert_true(rt_strerror(conn_result) != NULL);
	assert_true(rt_strerror(conn_result)[0] != '\0');
	assert_true(conn_elapsed < 2.0);
}

static int
resolve_names(void *arg)
{
	struct addrinfo *res, *ai;
	int loopback = 0, err;

	(void)arg;
	/* Through the thread pool. */
	TCHECK_INT(rt_resolve("localhost", "8080", SOCK_STREAM, &res, 5.0), 0);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *sin = (void *)ai->ai_addr;

			TCHECK_INT(ntohs(sin->sin_port), 8080);
			loopback |= ntohl(sin->sin_addr.s_addr) >> 24 == 127;
		} else if (ai->ai_family == AF_INET6)
			loopback |= IN6_IS_ADDR_LOOPBACK(
			    &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);
	}
	TCHECK(loopback);
	freeaddrinfo(res);
	/* Numeric: answered without a thread. */
	TCHECK_INT(rt_resolve("::1", "443", SOCK_STREAM, &res, 5.0), 0);
	TCHECK(res != NULL && res->ai_family == AF_INET6);
	freeaddrinfo(res);
	err = rt_resolve("no-such-host.invalid", NULL, SOCK_STREAM, &res, 5.0);
	TCHECK(RT_IS_EAI(err));
	TCHECK(res == NULL);
	return 0;
}

static void
test_resolve_names_and_numbers(void **state)
{
	struct addrinfo *res = (void *)&res;

	(void)state;
	assert_int_equal(rt_test_run(resolve_names, NULL), 0);
	/* Outside a task there is nothing to suspend. */
	assert_int_equal(rt_resolve("localhost", "80", SOCK_STREAM, &res, 1.0),
	    -EPERM);
	assert_null(res);
}

static int	resolve_result;

static int
resolve_forever(void *arg)
{
	struct addrinfo *res = NULL;

	(void)arg;
	resolve_result = rt_resolve("localhost", "80", SOCK_STREAM, &res,
	    RT_FOREVER);
	if (res != NULL)
		freeaddrinfo(res);
	return 0;
}

static int
cancel_resolve(void *arg)
{
	struct rt_task *t;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "resolve", resolve_forever, NULL), 0);
	/* t runs and queues its job; the answer can only come back when
	 * the loop polls, which it does not do while we are ready. */
	TCHECK_INT(rt_sleep(0), 0);
	TCHECK(strcmp(rt_task_waiting_on(t), "resolve") == 0);
	TCHECK_INT(rt_task_cancel(t), 0);
	TCHECK_INT(rt_task_join(t, NULL, 1.0), 0);
	rt_task_release(t);
	/* The abandoned job comes back later and is freed (valgrind). */
	TCHECK_INT(rt_sleep(0.05), 0);
	return 0;
}

static void
test_resolve_cancelled(void **state)
{
	(void)state;
	resolve_result = 1;
	assert_int_equal(rt_test_run(cancel_resolve, NULL), 0);
	assert_int_equal(resolve_result, -ECANCELED);
}

/*
 * Tasks left waiting on resolve when the loop is closed are abandoned;
 * their answers come back later and must not wake them in the next loop.
 */
static int
spawn_resolvers(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 32; i++)
		TCHECK_INT(rt_task_spawn(NULL, "resolve", resolve_forever,
		    NULL), 0);
	TCHECK_INT(rt_sleep(0), 0);	/* let them all queue */
	rt_loop_stop();
	return 0;
}

static void
test_resolve_survives_loop_close(void **state)
{
	int i;

	(void)state;
	assert_int_equal(rt_task_spawn(NULL, "spawner", spawn_resolvers, NULL),
	    0);
	(void)rt_loop_run();	/* always 0: nothing to assert */
	assert_tasks_ok();
	assert_int_equal(rt_task_count(), 32);
	rt_loop_close();	/* abandons the 32 */
	assert_int_equal(rt_loop_init(NULL), 0);
	/* Their answers arrive while this loop resolves. */
	assert_int_equal(rt_test_run(resolve_names, NULL), 0);
	/* And any still out come back between runs, to be handed over in
	 * the next: wait until the threads have none left (10 s at most). */
	for (i = 0; rt__resolve_out() > 0; i++) {
		if (i == 10000)
			fail_msg("%zu resolver jobs still out after 10 s",
			    rt__resolve_out());
		(void)usleep(1000);
	}
	assert_int_equal(rt_test_run(resolve_names, NULL), 0);
}

/*
 * A listener whose accept queue is full drops further SYNs: a connect to
 * it neither succeeds nor fails, until its timeout.  backlog 0 admits one
 * connection on Linux; fill it with connections nobody accepts.
 */
static int	full_lfd = -1, fillers[8], nfillers;

static int
full_listener(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct timeval tv = { 0, 200000 };
	int fd;

	full_lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(full_lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(full_lfd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	assert_int_equal(listen(full_lfd, 0), 0);
	assert_int_equal(getsockname(full_lfd, (struct sockaddr *)&sin, &len),
	    0);
	(void)snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
	for (nfillers = 0; nfillers < 8; nfillers++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd >= 0);
		/* A blocking connect with a 200 ms send timeout: EINPROGRESS
		 * once the queue is full. */
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv)), 0);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			assert_int_equal(close(fd), 0);
			return 1;
		}
		fillers[nfillers] = fd;
	}
	return 0;	/* never filled up: cannot test */
}

static void
full_listener_close(void)
{
	while (nfillers > 0)
		assert_int_equal(close(fillers[--nfillers]), 0);
	if (full_lfd >= 0)
		assert_int_equal(close(full_lfd), 0);
	full_lfd = -1;
}

static int
connect_short_timeout(void *arg)
{
	double t0 = rt_test_mono();

	(void)arg;
	/* full_listener() blocked for 200 ms since the loop last read the
	 * clock: libev's cached time would cut the timeout short. */
	ev_now_update(rt_loop_ev());
	conn_result = rt_tcp_connect("127.0.0.1", port, 0.2);
	conn_elapsed = rt_test_mono() - t0;
	if (conn_result >= 0)
		(void)close(conn_result);
	return 0;
}

static void
test_connect_times_out(void **state)
{
	(void)state;
	if (!full_listener()) {
		full_listener_close();
		skip();
	}
	assert_int_equal(rt_test_run(connect_short_timeout, NULL), 0);
	full_listener_close();
	assert_int_equal(conn_result, -ETIMEDOUT);
	assert_true(conn_elapsed >= 0.19 && conn_elapsed < 1.0);
}

static int
connect_forever(void *arg)
{
	(void)arg;
	conn_result = rt_tcp_connect("127.0.0.1", port, RT_FOREVER);
	if (conn_result >= 0)
		(void)close(conn_result);
	return 0;
}

static int
cancel_connect(void *arg)
{
	struct rt_task *t;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "connect", connect_forever, NULL), 0);
	TCHECK_INT(rt_sleep(0.05), 0);
	TCHECK(strcmp(rt_task_waiting_on(t), "fd writable") == 0);
	TCHECK_INT(rt_task_cancel(t), 0);
	TCHECK_INT(rt_task_join(t, NULL, 1.0), 0);
	rt_task_release(t);
	return 0;
}

static void
test_connect_cancelled(void **state)
{
	(void)state;
	if (!full_listener()) {
		full_listener_close();
		skip();
	}
	conn_result = 1;
	assert_int_equal(rt_test_run(cancel_connect, NULL), 0);
	full_listener_close();
	assert_int_equal(conn_result, -ECANCELED);
}

/* ---- max_conns, stop_accepting, cancel_all ---------------------------------- */

/* Client i connects and sends a line; held[i] keeps its stream open. */
#define NCLIENTS	5
static struct rt_stream	cl[NCLIENTS];
static int		cl_open[NCLIENTS];

static int
client_open(int i)
{
	int fd, err;

	if ((fd = rt_tcp_connect("127.0.0.1", port, 2.0)) < 0)
		return fd;
	if ((err = rt_stream_init(&cl[i], fd, 0, 0)) != 0) {
		(void)close(fd);	/* not taken over */
		return err;
	}
	cl_open[i] = 1;
	return 0;
}

static void
client_close(int i)
{
	if (cl_open[i])
		rt_stream_close(&cl[i]);
	cl_open[i] = 0;
}

/* Sends a line on client i and checks the echo. */
static int
client_echo(int i, double timeout)
{
	char buf[64], line[32];
	int len = snprintf(line, sizeof(line), "from %d\n", i), err;
	ssize_t r;

	if ((err = rt_stream_write(&cl[i], line, (size_t)len, timeout)) != 0)
		return err;
	if ((r = rt_stream_readline(&cl[i], buf, sizeof(buf), timeout)) < 0)
		return (int)r;
	return r == len && memcmp(buf, line, (size_t)len) == 0 ? 0 : -EBADMSG;
}

static int
max_conns_paused(void *arg)
{
	char buf[64];
	int i;

	(void)arg;
	for (i = 0; i < 3; i++)
		TCHECK_INT(client_open(i), 0);
	TCHECK_INT(client_echo(0, 1.0), 0);
	TCHECK_INT(client_echo(1, 1.0), 0);
	/* Connected in the kernel's backlog, never accepted: no echo. */
	TCHECK_INT(client_echo(2, 0.1), -ETIMEDOUT);
	TCHECK_INT(rt_server_connections(&srv), 2);
	TCHECK_INT(srv.accepted, 2);
	/* One ends: accepting resumes and the third is served, the line
	 * it sent while waiting first. */
	client_close(0);
	TCHECK_INT(rt_stream_readline(&cl[2], buf, sizeof(buf), 1.0), 7);
	TCHECK(memcmp(buf, "from 2\n", 7) == 0);
	TCHECK_INT(client_echo(2, 1.0), 0);
	for (i = 1; i < 3; i++)
		client_close(i);
	TCHECK_INT(rt_server_wait_idle(&srv, 2.0), 0);
	TCHECK_INT(srv.accepted, 3);
	TCHECK_INT(srv.overloaded, 0);
	rt_server_close(&srv);
	return 0;
}

static void
test_max_conns_pauses_accepting(void **state)
{
	(void)state;
	rt_server_init(&srv, &(struct rt_server_opts){ .max_conns = 2 });
	assert_int_equal(rt_server_listen(&srv, "127.0.0.1", "0"), 0);
	port_of(&srv, 0);
	assert_int_equal(rt_server_start(&srv, echo_handler, NULL), 0);
	assert_int_equal(rt_test_run(max_conns_paused, NULL), 0);
}

static void
busy_cb(int fd, int why, void *arg)
{
	(void)arg;
	TCHECK_INT(why, 0);		/* over the cap, not out of memory */
	/* A fresh socket's buffer takes 5 bytes; the test reads them. */
	TCHECK_INT(write(fd, "busy\n", 5), 5);
	TCHECK_INT(close(fd), 0);
}

static int
max_conns_overload(void *arg)
{
	char buf[64];
	int i;

	(void)arg;
	for (i = 0; i < 2; i++) {
		TCHECK_INT(client_open(i), 0);
		TCHECK_INT(client_echo(i, 1.0), 0);
	}
	TCHECK_INT(client_open(2), 0);
	TCHECK_INT(rt_stream_readline(&cl[2], buf, sizeof(buf), 1.0), 5);
	TCHECK(memcmp(buf, "busy\n", 5) == 0);
	TCHECK_INT(rt_stream_readline(&cl[2], buf, sizeof(buf), 1.0),
	    -ENODATA);
	TCHECK_INT(rt_server_connections(&srv), 2);
	TCHECK_INT(srv.overloaded, 1);
	/* The two served connections still work. */
	TCHECK_INT(client_echo(0, 1.0), 0);
	for (i = 0; i < 3; i++)
		client_close(i);
	TCHECK_INT(rt_server_wait_idle(&srv, 2.0), 0);
	/* Below the cap again: served normally. */
	TCHECK_INT(client_open(3), 0);
	TCHECK_INT(client_echo(3, 1.0), 0);
	client_close(3);
	TCHECK_INT(rt_server_wait_idle(&srv, 2.0), 0);
	TCHECK_INT(srv.accepted, 4);
	TCHECK_INT(srv.overloaded, 1);
	rt_server_close(&srv);
	return 0;
}

static void
test_max_conns_with_overload_hook(void **state)
{
	(void)state;
	rt_server_init(&srv, &(struct rt_server_opts){ .max_conns = 2,
	    .overload = busy_cb });
	assert_int_equal(rt_server_listen(&srv, "127.0.0.1", "0"), 0);
	port_of(&srv, 0);
	assert_int_equal(rt_server_start(&srv, echo_handler, NULL), 0);
	assert_int_equal(rt_test_run(max_conns_overload, NULL), 0);
}

/*
 * Held connections, as a server that parks idle ones would keep them: the
 * handler echoes one read, then leaves the connection to a callback
 * watcher (rt_server_hold, c->fd = -1) and returns; the watcher resumes it
 * in a new task when the peer speaks (or closes) again.
 */
static struct parked {
	struct rt_watch		 w;
	int			 fd;
	struct sockaddr_storage	 peer;
	socklen_t		 len;
	int			 used;
} parked[NCLIENTS];
static int	park_resumed;	/* handler runs of resumed connections */
static int	park_resume_err;

static void
park_cb(struct rt_watch *w, int revents)
{
	struct parked *p = w->arg;
	int err;

	(void)revents;
	rt_watch_stop(w);
	p->used = 0;
	/* The hold becomes the new task's: still counted, no gap. */
	if ((err = rt_server_resume(&srv, p->fd, (struct sockaddr *)&p->peer,
	    p->len)) != 0 && park_resume_err == 0)
		park_resume_err = err;
}

static int
park_handler(struct rt_conn *c, void *arg)
{
	struct parked *p = NULL;
	char buf[64];
	ssize_t n;
	int err, i;

	(void)arg;
	if (c->listener == -1)
		park_resumed++;
	if ((err = rt_fd_wait(c->fd, RT_READ, 5.0)) != 0)
		return err;
	if ((n = read(c->fd, buf, sizeof(buf))) <= 0)
		return n == 0 ? 0 : -errno;	/* the server closes c->fd */
	if (write(c->fd, buf, (size_t)n) != n)
		return -EIO;
	for (i = 0; i < NCLIENTS && p == NULL; i++)
		if (!parked[i].used)
			p = &parked[i];
	if (p == NULL)
		return -ENOSPC;
	p->used = 1;
	p->fd = c->fd;
	memcpy(&p->peer, &c->peer, c->peerlen);
	p->len = c->peerlen;
	rt_server_hold(&srv);
	c->fd = -1;		/* ours now: the server must not close it */
	rt_watch_start(&p->w, p->fd, RT_READ, park_cb, p);
	return 0;
}

/* The parked slot holding the connection of client i's peer. */
static struct parked *
parked_of(int i)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int k;

	if (getsockname(cl[i].fd, (struct sockaddr *)&ss, &len) == -1)
		return NULL;
	for (k = 0; k < NCLIENTS; k++)
		if (parked[k].used && parked[k].len == len &&
		    memcmp(&parked[k].peer, &ss, len) == 0)
			return &parked[k];
	return NULL;
}

static int
held_conns(void *arg)
{
	struct parked *p;
	char buf[64];
	int i;

	(void)arg;
	TCHECK_INT(client_open(0), 0);
	TCHECK_INT(client_echo(0, 1.0), 0);
	/* Parked: no task, still a connection. */
	TCHECK_INT(rt_server_connections(&srv), 1);
	TCHECK(parked_of(0) != NULL);
	TCHECK_INT(client_open(1), 0);
	TCHECK_INT(client_echo(1, 1.0), 0);
	TCHECK_INT(rt_server_connections(&srv), 2);
	/* Two held reach max_conns: the third waits in the backlog. */
	TCHECK_INT(client_open(2), 0);
	TCHECK_INT(client_echo(2, 0.1), -ETIMEDOUT);
	TCHECK_INT(srv.accepted, 2);
	/* A parked one speaks: resumed in a new task, listener -1. */
	TCHECK_INT(client_echo(0, 1.0), 0);
	TCHECK_INT(park_resumed, 1);
	TCHECK_INT(rt_server_connections(&srv), 2);
	/* Held connections keep the server from being idle. */
	TCHECK_INT(rt_server_wait_idle(&srv, 0.05), -ETIMEDOUT);
	/* The owner drops one: below the cap, the third is served (the
	 * line it sent while waiting first). */
	TCHECK((p = parked_of(1)) != NULL);
	if (p == NULL)
		return 0;
	rt_watch_stop(&p->w);
	TCHECK_INT(close(p->fd), 0);
	p->used = 0;
	rt_server_unhold(&srv);
	TCHECK_INT(rt_stream_read(&cl[1], buf, sizeof(buf), 1.0), 0);
	TCHECK_INT(rt_stream_readline(&cl[2], buf, sizeof(buf), 1.0), 7);
	TCHECK(memcmp(buf, "from 2\n", 7) == 0);
	TCHECK_INT(srv.accepted, 3);
	/* Closing the clients wakes their parked watchers: resumed, the
	 * handler reads EOF, and the server is idle. */
	for (i = 0; i < 3; i++)
		client_close(i);
	TCHECK_INT(rt_server_wait_idle(&srv, 2.0), 0);
	TCHECK_INT(rt_server_connections(&srv), 0);
	TCHECK_INT(park_resume_err, 0);
	for (i = 0; i < NCLIENTS; i++)
		TCHECK(!parked[i].used);
	rt_server_close(&srv);
	return 0;
}

static void
test_held_connections_count_until_resumed_or_dropped(void **state)
{
	(void)state;
	memset(parked, 0, sizeof(parked));
	park_resumed = park_resume_err = 0;
	rt_server_init(&srv, &(struct rt_server_opts){ .max_conns = 2 });
	assert_int_equal(rt_server_listen(&srv, "127.0.0.1", "0"), 0);
	port_of(&srv, 0);
	assert_int_equal(rt_server_start(&srv, park_handler, NULL), 0);
	assert_int_equal(rt_test_run(held_conns, NULL), 0);
}

static int
graceful_stop(void *arg)
{
	char buf[64];
	ssize_t r;
	int i;

	(void)arg;
	for (i = 0; i < 2; i++) {
		TCHECK_INT(client_open(i), 0);
		TCHECK_INT(client_echo(i, 1.0), 0);
	}
	rt_server_stop_accepting(&srv);
	TCHECK_INT(rt_server_connections(&srv), 2);
	/* The kernel still completes the handshake; nobody accepts. */
	TCHECK_INT(client_open(2), 0);
	TCHECK_INT(client_echo(2, 0.1), -ETIMEDOUT);
	TCHECK_INT(srv.accepted, 2);
	TCHECK_INT(rt_server_wait_idle(&srv, 0.05), -ETIMEDOUT);
	/* Live connections keep being served. */
	TCHECK_INT(client_echo(1, 1.0), 0);
	client_close(0);
	client_close(1);
	TCHECK_INT(rt_server_wait_idle(&srv, 2.0), 0);
	TCHECK_INT(rt_server_connections(&srv), 0);
	TCHECK_INT(rt_server_wait_idle(&srv, 0), 0);
	/* Closing the listener resets what waited in its backlog. */
	rt_server_close(&srv);
	r = rt_stream_read(&cl[2], buf, sizeof(buf), 1.0);
	TCHECK(r == -ECONNRESET || r == 0);
	client_close(2);
	return 0;
}

static void
test_stop_accepting_then_wait_idle(void **state)
{
	(void)state;
	rt_server_init(&srv, NULL);
	assert_int_equal(rt_server_listen(&srv, "127.0.0.1", "0"), 0);
	port_of(&srv, 0);
	assert_int_equal(rt_server_start(&srv, echo_handler, NULL), 0);
	assert_int_equal(rt_test_run(graceful_stop, NULL), 0);
}

static int
fast_stop(void *arg)
{
	char buf[64];
	int i;

	(void)arg;
	for (i = 0; i < NCLIENTS; i++) {
		TCHECK_INT(client_open(i), 0);
		TCHECK_INT(client_echo(i, 1.0), 0);
	}
	TCHECK_INT(rt_server_connections(&srv), NCLIENTS);
	rt_server_cancel_all(&srv);
	TCHECK_INT(rt_server_wait_idle(&srv, 1.0), 0);
	/* Each handler closed its stream on the way out. */
	for (i = 0; i < NCLIENTS; i++) {
		TCHECK_INT(rt_stream_read(&cl[i], buf, sizeof(buf), 1.0), 0);
		client_close(i);
	}
	rt_server_cancel_all(&srv);	/* nothing left: a no-op */
	rt_server_close(&srv);
	return 0;
}

static void
test_cancel_all_ends_every_connection(void **state)
{
	(void)state;
	rt_server_init(&srv, NULL);
	assert_int_equal(rt_server_listen(&srv, "127.0.0.1", "0"), 0);
	port_of(&srv, 0);
	assert_int_equal(rt_server_start(&srv, echo_handler, NULL), 0);
	assert_int_equal(rt_test_run(fast_stop, NULL), 0);
}

/* ---- EMFILE ------------------------------------------------------------------ */

/* In the child: report and exit with code on failure. */
#define CHILD_CHECK(cond, code) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "emfile child: %s failed (errno %d)\n",	\
		    #cond, errno);					\
		_exit(code);						\
	}								\
} while (0)

static double
cpu_seconds(void)
{
	struct rusage ru;

	CHILD_CHECK(getrusage(RUSAGE_SELF, &ru) == 0, 20);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

#define MAX_FILLERS	256

static int	emfile_fillers[MAX_FILLERS], emfile_nfillers, emfile_client;

static int
emfile_main(void *arg)
{
	struct rt_stream s;
	char buf[64];
	double cpu0, cpu;
	int err;

	(void)arg;
	/* Accepting now hits EMFILE; the server pauses, on a timer. */
	cpu0 = cpu_seconds();
	CHILD_CHECK(rt_sleep(0.5) == 0, 30);
	cpu = cpu_seconds() - cpu0;
	fprintf(stderr, "emfile child: %llu pauses, %.3f s CPU in 0.5 s\n",
	    (unsigned long long)srv.emfile_pauses, cpu);
	CHILD_CHECK(srv.emfile_pauses > 0, 31);
	CHILD_CHECK(srv.accepted == 0, 32);
	/* A listener spinning on EMFILE would burn the whole 0.5 s. */
	CHILD_CHECK(cpu < 0.2, 33);
	CHILD_CHECK(srv.emfile_pauses < 100, 34);

	/* Recovery: free two descriptors, the waiting client is served. */
	CHILD_CHECK(close(emfile_fillers[--emfile_nfillers]) == 0, 35);
	CHILD_CHECK(close(emfile_fillers[--emfile_nfillers]) == 0, 36);
	CHILD_CHECK(rt_stream_init(&s, emfile_client, 0, 0) == 0, 37);
	CHILD_CHECK(rt_stream_write(&s, "back\n", 5, 2.0) == 0, 38);
	CHILD_CHECK(rt_stream_readline(&s, buf, sizeof(buf), 2.0) == 5, 39);
	CHILD_CHECK(memcmp(buf, "back\n", 5) == 0, 40);
	rt_stream_close(&s);
	err = rt_server_wait_idle(&srv, 2.0);
	if (err != 0)
		fprintf(stderr, "emfile child: wait_idle %d, %zu conns\n", err,
		    rt_server_connections(&srv));
	CHILD_CHECK(err == 0, 41);
	CHILD_CHECK(srv.accepted == 1, 42);
	rt_server_close(&srv);
	return 0;
}

static void
emfile_child(void)
{
	struct sockaddr_in sin;
	struct rlimit rl;
	struct rt_task *t;
	int fd;

	CHILD_CHECK(rt_loop_init(NULL) == 0, 2);
	rt_server_init(&srv, &(struct rt_server_opts){ .emfile_pause = 0.05 });
	CHILD_CHECK(rt_server_listen(&srv, "127.0.0.1", "0") == 0, 3);
	/* The client connects before the fds run out: the handshake
	 * completes in the kernel and waits in the backlog. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)rt_server_port(&srv, 0));
	emfile_client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHILD_CHECK(emfile_client >= 0, 4);
	CHILD_CHECK(connect(emfile_client, (struct sockaddr *)&sin,
	    sizeof(sin)) == 0, 5);

	/* Now use up every descriptor under a low limit (with copies of
	 * /dev/null: copies of the client would keep it open). */
	CHILD_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, 6);
	rl.rlim_cur = 64;
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, 7);
	while (emfile_nfillers < MAX_FILLERS &&
	    (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		emfile_fillers[emfile_nfillers++] = fd;
	CHILD_CHECK(errno == EMFILE, 8);
	CHILD_CHECK(emfile_nfillers >= 2, 9);

	CHILD_CHECK(rt_server_start(&srv, echo_handler, NULL) == 0, 10);
	CHILD_CHECK(rt_task_spawn(&t, "main", emfile_main, NULL) == 0, 11);
	(void)rt_loop_run();	/* always 0 */
	CHILD_CHECK(rt_task_done(t) && rt_task_status(t) == 0, 13);
	rt_task_release(t);
	while (emfile_nfillers > 0)
		CHILD_CHECK(close(emfile_fillers[--emfile_nfillers]) == 0, 14);
	rt_loop_close();
	_exit(0);
}

/*
 * valgrind checks each new fd against its own copy of RLIMIT_NOFILE and,
 * over it, closes the fd and fails the call with EMFILE: the accepted
 * connection is gone, so there is nothing left to recover.
 */
static int
under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

#if defined(CORO_VALGRIND)
	if (RUNNING_ON_VALGRIND)
		return 1;
#endif
	return p != NULL && strstr(p, "vgpreload") != NULL;
}

static void
test_emfile_pauses_accepting_then_recovers(void **state)
{
	int status, i;
	pid_t pid, r;

	(void)state;
	if (under_valgrind()) {
		print_message("under valgrind: skipped (see under_valgrind)\n");
		skip();
	}
	rt_loop_close();	/* the child makes its own */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0)
		emfile_child();
	/* Bounded: 10 s, then kill it (and still reap it). */
	for (i = 0; i < 1000; i++) {
		r = waitpid(pid, &status, WNOHANG);
		assert_true(r != -1);
		if (r == pid)
			break;
		(void)usleep(10000);
	}
	if (i == 1000) {
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		fail_msg("emfile child hung");
	}
	assert_int_equal(rt_loop_init(NULL), 0);	/* for the teardown */
	if (WIFSIGNALED(status))
		fail_msg("emfile child killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_echo_server_with_10000_concurrent_clients),
		RT_TEST(test_listen_on_ipv6_loopback),
		RT_TEST(test_adopt_listening_fd),
		RT_TEST(test_listen_rejects_bad_address),
		RT_TEST(test_connect_refused),
		RT_TEST(test_connect_to_unresolvable_name),
		RT_TEST(test_resolve_names_and_numbers),
		RT_TEST(test_resolve_cancelled),
		RT_TEST(test_resolve_survives_loop_close),
		RT_TEST(test_connect_times_out),
		RT_TEST(test_connect_cancelled),
		RT_TEST(test_max_conns_pauses_accepting),
		RT_TEST(test_max_conns_with_overload_hook),
		RT_TEST(test_held_connections_count_until_resumed_or_dropped),
		RT_TEST(test_stop_accepting_then_wait_idle),
		RT_TEST(test_cancel_all_ends_every_connection),
		RT_TEST(test_emfile_pauses_accepting_then_recovers),
	};

	rt_test_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
