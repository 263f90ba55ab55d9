/*
 * test-rt-faults.c - the runtime under system call results a real machine
 * gives and a test on an idle one never does.  stream.c: reads and writes
 * that take one byte at a time, EINTR on every other call, and EAGAIN
 * storms on an fd that is in fact ready.  task.c and coro/stack.c: a spawn
 * whose stack cannot be mapped (ENOMEM from mmap).
 *
 * The program is linked with -Wl,--wrap=read,--wrap=write,--wrap=send,
 * --wrap=mmap (tests/unit/local.mk): the runtime's calls, linked in
 * statically from libruntime and libcoro, come here first.  Only the fd
 * under test (fault_fd) gets I/O faults, and mmap fails only while
 * fault_mmap is set; every other call (the peer's, libev's own in its
 * shared library) goes straight through.  Each test checks that every byte
 * arrives, in order, and that the calls return what rt.h documents.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt-test.h"

/* ---- the wrapped calls ------------------------------------------------------ */

ssize_t	__real_read(int, void *, size_t);
ssize_t	__real_write(int, const void *, size_t);
ssize_t	__real_send(int, const void *, size_t, int);
ssize_t	__wrap_read(int, void *, size_t);
ssize_t	__wrap_write(int, const void *, size_t);
ssize_t	__wrap_send(int, const void *, size_t, int);
void	*__real_mmap(void *, size_t, int, int, int, off_t);
void	*__wrap_mmap(void *, size_t, int, int, int, off_t);

static int	fault_mmap;	/* mmap fails with ENOMEM */
static unsigned	fault_mmaps;

static int	fault_fd = -1;	/* the only fd given faults */
static int	fault_short;	/* at most 1..7 bytes per call */
static int	fault_eintr;	/* every other call fails with EINTR */
static int	fault_eagain;	/* two false EAGAINs before each real call */
static unsigned	fault_calls;	/* calls on fault_fd, to vary the faults */
static unsigned	fault_eintrs, fault_eagains, fault_shorts;

/*
 * What the call on fd should do instead of running: -1 with errno set to
 * fail it, else 0 with *n cut to the bytes it may move.
 */
static int
fault(int fd, size_t *n)
{
	unsigned k;

	if (fd != fault_fd)
		return 0;
	k = fault_calls++;
	if (fault_eintr && k % 2 == 0) {
		fault_eintrs++;
		errno = EINTR;
		return -1;
	}
	if (fault_eagain && k % 3 != 2) {
		fault_eagains++;
		errno = EAGAIN;
		return -1;
	}
	if (fault_short && *n > 1 + k % 7) {
		fault_shorts++;
		*n = 1 + k % 7;
	}
	return 0;
}

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	if (fault(fd, &n) == -1)
		return -1;
	return __real_read(fd, buf, n);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (fault(fd, &n) == -1)
		return -1;
	return __real_write(fd, buf, n);
}

ssize_t
__wrap_send(int fd, const void *buf, size_t n, int flags)
{
	if (fault(fd, &n) == -1)
		return -1;
	return __real_send(fd, buf, n, flags);
}

void *
__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fault_mmap) {
		fault_mmaps++;
		errno = ENOMEM;
		return MAP_FAILED;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}

/* ---- the stream and its peer ------------------------------------------------ */

#define PAYLOAD		(96 * 1024)	/* more than either stream buffer */

static struct rt_stream	 st;		/* on fds[0], fault_fd */
static int		 fds[2];	/* fds[1]: the peer, no faults */
static unsigned char	 payload[PAYLOAD], got[PAYLOAD];

static void
faults_set(int shrt, int eintr, int eagain)
{
	size_t i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, fds), 0);
	assert_int_equal(rt_stream_init(&st, fds[0], 4096, 4096), 0);
	for (i = 0; i < PAYLOAD; i++)
		payload[i] = (unsigned char)(i * 131 + (i >> 9));
	memset(got, 0, sizeof(got));
	fault_calls = fault_eintrs = fault_eagains = fault_shorts = 0;
	fault_short = shrt;
	fault_eintr = eintr;
	fault_eagain = eagain;
	fault_fd = fds[0];
}

static void
faults_done(void)
{
	fault_fd = -1;
	rt_stream_close(&st);
	assert_int_equal(close(fds[1]), 0);
}

/* The peer: writes the payload to fds[1] with plain writes, then closes
 * its side. */
static int
peer_writer(void *arg)
{
	size_t off = 0;
	ssize_t r;

	(void)arg;
	while (off < PAYLOAD) {
		r = write(fds[1], payload + off, PAYLOAD - off);
		if (r > 0)
			off += (size_t)r;
		else if (r == -1 && errno == EAGAIN) {
			/* The stream side failed: no hang here. */
			if (rt_fd_wait(fds[1], RT_WRITE, 5.0) != 0)
				return -1;
		} else {
			TCHECK(r > 0);
			return -1;
		}
	}
	TCHECK_INT(shutdown(fds[1], SHUT_WR), 0);
	return 0;
}

/* The peer: reads fds[1] to EOF into got[]. */
static int
peer_reader(void *arg)
{
	size_t off = 0;
	ssize_t r;

	(void)arg;
	for (;;) {
		r = read(fds[1], got + off, PAYLOAD - off);
		if (r > 0)
			off += (size_t)r;
		else if (r == 0)
			break;
		else if (errno == EAGAIN) {
			/* The stream side failed: no hang here. */
			if (rt_fd_wait(fds[1], RT_READ, 5.0) != 0)
				return -1;
		} else {
			TCHECK(r >= 0);
			return -1;
		}
		if (off == PAYLOAD)
			break;
	}
	TCHECK_INT(off, PAYLOAD);
	return 0;
}

/* Reads the payload through the stream: readexactly in pieces, then a
 * read at EOF. */
static int
stream_reader(void *arg)
{
	struct rt_task *t;
	char c;
	size_t off;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "peer", peer_writer, NULL), 0);
	for (off = 0; off < PAYLOAD; off += 1000) {
		size_t n = PAYLOAD - off < 1000 ? PAYLOAD - off : 1000;

		TCHECK_INT(rt_stream_readexactly(&st, got + off, n, 5.0), 0);
	}
	TCHECK_INT(rt_stream_read(&st, &c, 1, 5.0), 0);	/* EOF */
	TCHECK_INT(rt_task_join(t, NULL, 5.0), 0);
	rt_task_release(t);
	return 0;
}

/* Writes the payload through the stream in uneven pieces, then EOF. */
static int
stream_writer(void *arg)
{
	struct rt_task *t;
	size_t off, n;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "peer", peer_reader, NULL), 0);
	for (off = 0; off < PAYLOAD; off += n) {
		n = 1 + (off * 7) % 5000;
		if (n > PAYLOAD - off)
			n = PAYLOAD - off;
		TCHECK_INT(rt_stream_write(&st, payload + off, n, 5.0), 0);
	}
	TCHECK_INT(rt_stream_write_eof(&st, 5.0), 0);
	TCHECK_INT(rt_stream_pending(&st), 0);
	TCHECK_INT(rt_task_join(t, NULL, 5.0), 0);
	rt_task_release(t);
	return 0;
}

static void
read_with(int shrt, int eintr, int eagain)
{
	faults_set(shrt, eintr, eagain);
	assert_int_equal(rt_test_run(stream_reader, NULL), 0);
	assert_memory_equal(got, payload, PAYLOAD);
	faults_done();
}

static void
write_with(int shrt, int eintr, int eagain)
{
	faults_set(shrt, eintr, eagain);
	assert_int_equal(rt_test_run(stream_writer, NULL), 0);
	assert_memory_equal(got, payload, PAYLOAD);
	faults_done();
}

static void
test_read_survives_short_reads(void **state)
{
	(void)state;
	read_with(1, 0, 0);
	assert_true(fault_shorts > PAYLOAD / 7);
}

static void
test_read_retries_eintr(void **state)
{
	(void)state;
	read_with(1, 1, 0);
	assert_true(fault_eintrs > PAYLOAD / 7);
}

/* A false EAGAIN makes the stream wait for readability, which the ready
 * fd has at once: no byte lost, no hang. */
static void
test_read_survives_eagain_storm(void **state)
{
	(void)state;
	read_with(0, 0, 1);
	assert_true(fault_eagains >= 2 * (PAYLOAD / 4096));
}

static void
test_write_survives_short_writes(void **state)
{
	(void)state;
	write_with(1, 0, 0);
	assert_true(fault_shorts > PAYLOAD / 7);
}

static void
test_write_retries_eintr(void **state)
{
	(void)state;
	write_with(1, 1, 0);
	assert_true(fault_eintrs > PAYLOAD / 7);
}

static void
test_write_survives_eagain_storm(void **state)
{
	(void)state;
	write_with(0, 0, 1);
	assert_true(fault_eagains > 2);
}

/* Everything at once, on a line protocol: the faulty stream's readline
 * gets each line whole from a fault-free stream on the peer's end. */
static struct rt_stream	 peer_st;	/* on fds[1] */

static int
lines_writer(void *arg)
{
	char line[64];
	int i, n;

	(void)arg;
	for (i = 0; i < 500; i++) {
		n = snprintf(line, sizeof(line), "line %d of 500\n", i);
		TCHECK_INT(rt_stream_write(&peer_st, line, (size_t)n, 5.0), 0);
	}
	TCHECK_INT(rt_stream_write_eof(&peer_st, 5.0), 0);
	return 0;
}

static int
lines_reader(void *arg)
{
	struct rt_task *t;
	char line[64], want[64];
	int i, n;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "writer", lines_writer, NULL), 0);
	for (i = 0; i < 500; i++) {
		n = snprintf(want, sizeof(want), "line %d of 500\n", i);
		TCHECK_INT(rt_stream_readline(&st, line, sizeof(line), 5.0),
		    n);
		TCHECK(memcmp(line, want, (size_t)n) == 0);
	}
	/* EOF with nothing read: -ENODATA (rt.h). */
	TCHECK_INT(rt_stream_readline(&st, line, sizeof(line), 5.0),
	    -ENODATA);
	TCHECK_INT(rt_task_join(t, NULL, 5.0), 0);
	rt_task_release(t);
	return 0;
}

static void
test_lines_cross_every_fault_at_once(void **state)
{
	(void)state;
	faults_set(1, 1, 1);
	assert_int_equal(rt_stream_init(&peer_st, fds[1], 0, 0), 0);
	assert_int_equal(rt_test_run(lines_reader, NULL), 0);
	assert_true(fault_shorts > 0 && fault_eintrs > 0 &&
	    fault_eagains > 0);
	fault_fd = -1;
	rt_stream_close(&st);
	rt_stream_close(&peer_st);	/* closes fds[1] */
}

/* ---- spawn without memory ------------------------------------------------- */

static int
trivial(void *arg)
{
	return (int)(intptr_t)arg;
}

/*
 * rt.h: a spawn returns -ENOMEM when no stack can be had, and
 * rt_task_spawn_error() says why; nothing is half made (no task counted,
 * no stack handed out), and once memory is back spawns work again.
 */
static void
test_spawn_fails_cleanly_when_mmap_fails(void **state)
{
	struct rt_task *t = (struct rt_task *)(uintptr_t)1;

	(void)state;
	coro_stack_pool_drain();	/* no pooled stack to fall back on */
	fault_mmaps = 0;
	fault_mmap = 1;
	assert_int_equal(rt_task_spawn(&t, "nomem", trivial, NULL), -ENOMEM);
	fault_mmap = 0;
	assert_true(fault_mmaps > 0);
	assert_null(t);
	assert_non_null(strstr(rt_task_spawn_error(), "nomem"));
	assert_int_equal(rt_task_count(), 0);
	assert_int_equal(coro_stack_in_use(), 0);
	assert_int_equal(rt_test_run(trivial, (void *)(intptr_t)7), 7);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_read_survives_short_reads),
		RT_TEST(test_read_retries_eintr),
		RT_TEST(test_read_survives_eagain_storm),
		RT_TEST(test_write_survives_short_writes),
		RT_TEST(test_write_retries_eintr),
		RT_TEST(test_write_survives_eagain_storm),
		RT_TEST(test_lines_cross_every_fault_at_once),
		RT_TEST(test_spawn_fails_cleanly_when_mmap_fails),
	};

	rt_test_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
