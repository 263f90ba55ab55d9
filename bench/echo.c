/*
 * bench/echo.c - echo round trips per second over loopback TCP, asyncd's
 * server and client against a plain blocking C pair.  Run by hand:
 *
 *	make bench/echo && ./bench/echo [seconds]
 *
 * Layout, the same for both: the server runs in a forked child pinned to
 * CPU 1, the clients in this process pinned to CPU 0 (with one CPU, both
 * share it).  Each client sends a 64-byte message, waits for the whole
 * echo, and repeats; a run lasts `seconds` (default 3) after every client
 * has connected.  The figure is completed round trips / elapsed time.
 *
 *   asyncd_rtt_1conn     rt_server + rt_stream (read, write) in the child,
 *   asyncd_rtt_100conn   rt_tcp_connect + rt_stream (write, readexactly)
 *                        tasks here: one loop per process
 *   blocking_rtt_1conn   accept() + a thread per connection in the child,
 *   blocking_rtt_100conn a thread per connection here: blocking read and
 *                        write, TCP_NODELAY on both sides like asyncd
 *
 * Each figure prints as one line "name: value unit".
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asyncd/rt.h>

#define MSG_LEN		64
#define MAX_CONNS	100

static double	run_secs = 3.0;
static int	ncpus;

static double
mono(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, int err)
{
	fprintf(stderr, "bench/echo: %s: %s\n", what, rt_strerror(err < 0 ?
	    err : -err));
	exit(1);
}

static void
pin(int cpu)
{
	cpu_set_t set;

	if (ncpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		die("sched_setaffinity", errno);
}

/* ---- servers (in the child) ------------------------------------------------ */

static int
rt_echo_conn(struct rt_conn *c, void *arg)
{
	struct rt_stream s;
	char buf[4096];
	ssize_t n;
	int err;

	(void)arg;
	if ((err = rt_stream_init(&s, c->fd, 0, 0)) != 0)
		return err;
	c->fd = -1;
	while ((n = rt_stream_read(&s, buf, sizeof(buf), RT_FOREVER)) > 0)
		if ((err = rt_stream_write(&s, buf, (size_t)n, RT_FOREVER)) != 0)
			break;
	rt_stream_close(&s);
	return 0;
}

/* Serves until killed; writes the port to wfd once listening. */
static void
rt_server_main(int wfd)
{
	struct rt_server srv;
	int port, err;

	if ((err = rt_loop_init(NULL)) != 0)
		die("rt_loop_init", err);
	rt_server_init(&srv, NULL);
	if ((err = rt_server_listen(&srv, "127.0.0.1", "0")) != 0)
		die("rt_server_listen", err);
	if ((err = rt_server_start(&srv, rt_echo_conn, NULL)) != 0)
		die("rt_server_start", err);
	port = rt_server_port(&srv, 0);
	if (write(wfd, &port, sizeof(port)) != sizeof(port))
		die("write port", errno);
	(void)rt_loop_run();
	_exit(0);
}

static void *
blocking_echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char buf[4096];
	ssize_t n, off, w;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (off = 0; off < n; off += w)
			if ((w = write(fd, buf + off, (size_t)(n - off))) <= 0)
				goto out;
out:
	(void)close(fd);
	return NULL;
}

static void
blocking_server_main(int wfd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	pthread_t tid;
	int lfd, fd, one = 1, port;

	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		die("socket", errno);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, SOMAXCONN) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1)
		die("listen", errno);
	port = ntohs(sin.sin_port);
	if (write(wfd, &port, sizeof(port)) != sizeof(port))
		die("write port", errno);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept", errno);
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (pthread_create(&tid, NULL, blocking_echo_conn,
		    (void *)(intptr_t)fd) != 0)
			die("pthread_create", EAGAIN);
		(void)pthread_detach(tid);
	}
}

/* Forks a server (child pinned to CPU 1); returns its pid and port. */
static pid_t
server_fork(void (*server_main)(int), int *port)
{
	int p[2];
	pid_t pid;

	if (pipe(p) == -1)
		die("pipe", errno);
	if ((pid = fork()) == -1)
		die("fork", errno);
	if (pid == 0) {
		(void)close(p[0]);
		pin(1);
		server_main(p[1]);
		_exit(0);
	}
	(void)close(p[1]);
	if (read(p[0], port, sizeof(*port)) != sizeof(*port))
		die("server did not start", EIO);
	(void)close(p[0]);
	return pid;
}

static void
server_stop(pid_t pid)
{
	int status;

	if (kill(pid, SIGKILL) == -1)
		die("kill", errno);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid", errno);
}

/* ---- asyncd clients ------------------------------------------------------ */

static struct {
	char		 port[16];
	size_t		 n, connected;
	uint64_t	 trips;
	int		 stop, err;
	struct rt_event	 all_connected, go;
} ac;

static int
rt_client(void *arg)
{
	static const char msg[MSG_LEN] = "asyncd echo bench: 64 bytes per "
	    "round trip, checked on return.";
	struct rt_stream s;
	char buf[MSG_LEN];
	int fd, err;

	(void)arg;
	if ((fd = rt_tcp_connect("127.0.0.1", ac.port, 5.0)) < 0) {
		ac.err = fd;
		rt_event_set(&ac.all_connected);
		return fd;
	}
	if ((err = rt_stream_init(&s, fd, 0, 0)) != 0) {
		(void)close(fd);
		return err;
	}
	if (++ac.connected == ac.n)
		rt_event_set(&ac.all_connected);
	if ((err = rt_event_wait(&ac.go, 10.0)) != 0)
		goto out;
	while (!ac.stop) {
		if ((err = rt_stream_write(&s, msg, sizeof(msg), 5.0)) != 0 ||
		    (err = rt_stream_readexactly(&s, buf, sizeof(buf), 5.0)) != 0)
			break;
		if (memcmp(buf, msg, sizeof(msg)) != 0) {
			err = -EBADMSG;
			break;
		}
		if (!ac.stop)
			ac.trips++;
	}
out:
	if (err != 0 && ac.err == 0)
		ac.err = err;
	rt_stream_close(&s);
	return err;
}

static double	measured;

static int
rt_bench_main(void *arg)
{
	struct rt_task *t[MAX_CONNS];
	double t0;
	size_t i;
	int err;

	(void)arg;
	for (i = 0; i < ac.n; i++)
		if ((err = rt_task_spawn(&t[i], "client", rt_client, NULL)) != 0)
			die("rt_task_spawn", err);
	if ((err = rt_event_wait(&ac.all_connected, 10.0)) != 0 || ac.err != 0)
		die("connecting", err != 0 ? err : ac.err);
	rt_event_set(&ac.go);
	t0 = mono();
	(void)rt_sleep(run_secs);
	ac.stop = 1;
	measured = mono() - t0;
	(void)rt_gather(t, ac.n, 10.0);
	for (i = 0; i < ac.n; i++)
		rt_task_release(t[i]);
	return 0;
}

static double
asyncd_rtt(size_t n)
{
	struct rt_task *t;
	pid_t pid;
	int port, err;

	pid = server_fork(rt_server_main, &port);
	memset(&ac, 0, sizeof(ac));
	ac.n = n;
	(void)snprintf(ac.port, sizeof(ac.port), "%d", port);
	rt_event_init(&ac.all_connected);
	rt_event_init(&ac.go);
	if ((err = rt_loop_init(NULL)) != 0)
		die("rt_loop_init", err);
	if ((err = rt_task_spawn(&t, "bench", rt_bench_main, NULL)) != 0)
		die("rt_task_spawn", err);
	if ((err = rt_loop_run_until(t)) != 0)
		die("rt_loop_run_until", err);
	rt_task_release(t);
	rt_loop_close();
	server_stop(pid);
	if (ac.err != 0)
		die("asyncd client", ac.err);
	return (double)ac.trips / measured;
}

/* ---- blocking clients ---------------------------------------------------- */

static struct {
	struct sockaddr_in	 sin;
	pthread_barrier_t	 ready;
	atomic_int		 stop;
	atomic_uint_fast64_t	 trips;
} bc;

static void *
blocking_client(void *arg)
{
	static const char msg[MSG_LEN] = "blocking echo bench: 64 bytes per "
	    "round trip, checked.";
	char buf[MSG_LEN];
	uint64_t trips = 0;
	ssize_t n, off;
	int fd, one = 1;

	(void)arg;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&bc.sin, sizeof(bc.sin)) == -1)
		die("blocking connect", errno);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)pthread_barrier_wait(&bc.ready);
	while (!atomic_load_explicit(&bc.stop, memory_order_relaxed)) {
		if (write(fd, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
			die("blocking write", errno);
		for (off = 0; off < (ssize_t)sizeof(buf); off += n)
			if ((n = read(fd, buf + off, sizeof(buf) - (size_t)off))
			    <= 0)
				die("blocking read", n == 0 ? EPIPE : errno);
		if (memcmp(buf, msg, sizeof(msg)) != 0)
			die("blocking echo", EBADMSG);
		if (!atomic_load_explicit(&bc.stop, memory_order_relaxed))
			trips++;
	}
	atomic_fetch_add(&bc.trips, trips);
	(void)close(fd);
	return NULL;
}

static double
blocking_rtt(size_t n)
{
	pthread_t tid[MAX_CONNS];
	struct timespec ts;
	double t0, t1;
	pid_t pid;
	size_t i;
	int port;

	pid = server_fork(blocking_server_main, &port);
	memset(&bc.sin, 0, sizeof(bc.sin));
	bc.sin.sin_family = AF_INET;
	bc.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bc.sin.sin_port = htons((uint16_t)port);
	atomic_store(&bc.stop, 0);
	atomic_store(&bc.trips, 0);
	if (pthread_barrier_init(&bc.ready, NULL, (unsigned)n + 1) != 0)
		die("pthread_barrier_init", EINVAL);
	for (i = 0; i < n; i++)
		if (pthread_create(&tid[i], NULL, blocking_client, NULL) != 0)
			die("pthread_create", EAGAIN);
	(void)pthread_barrier_wait(&bc.ready);
	t0 = mono();
	ts.tv_sec = (time_t)run_secs;
	ts.tv_nsec = (long)((run_secs - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	atomic_store(&bc.stop, 1);
	t1 = mono();
	for (i = 0; i < n; i++)
		(void)pthread_join(tid[i], NULL);
	(void)pthread_barrier_destroy(&bc.ready);
	server_stop(pid);
	return (double)atomic_load(&bc.trips) / (t1 - t0);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && (run_secs = atof(argv[1])) <= 0) {
		fprintf(stderr, "usage: %s [seconds]\n", argv[0]);
		return 2;
	}
	ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	pin(0);
	printf("layout: server in a forked child on CPU %d, clients here on "
	    "CPU 0; %d-byte messages; %.1f s per run\n", ncpus < 2 ? 0 : 1,
	    MSG_LEN, run_secs);
	fflush(stdout);
	printf("asyncd_rtt_1conn: %.0f req/s\n", asyncd_rtt(1));
	fflush(stdout);
	printf("blocking_rtt_1conn: %.0f req/s\n", blocking_rtt(1));
	fflush(stdout);
	printf("asyncd_rtt_100conn: %.0f req/s\n", asyncd_rtt(MAX_CONNS));
	fflush(stdout);
	printf("blocking_rtt_100conn: %.0f req/s\n", blocking_rtt(MAX_CONNS));
	return 0;
}
