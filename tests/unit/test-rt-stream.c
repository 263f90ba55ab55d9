/*
 * test-rt-stream.c - runtime/stream.c: readline, readexactly, read and
 * readuntil over bytes that arrive whole, split at every byte, or one byte
 * per loop iteration; the limit (-EMSGSIZE, nothing consumed); EOF
 * (-ENODATA); a timeout and a cancellation for every blocking call;
 * write backpressure with a peer that stops reading; a peer reset in the
 * middle of a write; the write_eof half-close.
 *
 * The peer is the other end of a socketpair, or of a loopback TCP
 * connection where TCP matters (RST, half-close).  The peer writes raw
 * bytes from a task; to make each write its own loop iteration it waits
 * for its (always writable) fd, which takes one pass through libev.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt-test.h"

static struct rt_stream	st;	/* the stream under test, on fds[0] */
static int		fds[2];	/* fds[1] is the raw peer */

static void
unix_pair(void)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, fds), 0);
}

/* A loopback TCP connection, both ends non-blocking. */
static void
tcp_pair(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int lfd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fds[0] >= 0);
	assert_int_equal(connect(fds[0], (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	fds[1] = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_true(fds[1] >= 0);
	assert_int_equal(close(lfd), 0);
}

static void
stream_open(size_t rcap, size_t wcap)
{
	assert_int_equal(rt_stream_init(&st, fds[0], rcap, wcap), 0);
	assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
}

/* Closes the stream (twice: it must be idempotent) and the peer. */
static void
stream_done(void)
{
	rt_stream_close(&st);
	rt_stream_close(&st);
	assert_int_equal(st.fd, -1);
	if (fds[1] >= 0)
		assert_int_equal(close(fds[1]), 0);
	fds[0] = fds[1] = -1;
}

static void
peer_send(const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(write(fds[1], s, n), (ssize_t)n);
}

static void
peer_shut(void)
{
	assert_int_equal(shutdown(fds[1], SHUT_WR), 0);
}

/* Writes p[0..n) from a task: chunk bytes per loop iteration. */
struct feed {
	const char	*p;
	size_t		 n, chunk;
	int		 eof;	/* shut the peer's write side afterwards */
	double		 pause;	/* sleep between chunks instead */
};

static int
feeder(void *arg)
{
	struct feed *f = arg;
	size_t off, k;

	for (off = 0; off < f->n; off += k) {
		k = f->n - off < f->chunk ? f->n - off : f->chunk;
		TCHECK_INT(write(fds[1], f->p + off, k), k);
		if (f->pause > 0)
			TCHECK_INT(rt_sleep(f->pause), 0);
		else
			TCHECK_INT(rt_fd_wait(fds[1], RT_WRITE, 1.0), 0);
	}
	if (f->eof)
		TCHECK_INT(shutdown(fds[1], SHUT_WR), 0);
	return 0;
}

/* ---- readline ------------------------------------------------------------ */

static int
readline_lines(void *arg)
{
	char buf[64];

	(void)arg;
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 6);
	TCHECK(memcmp(buf, "hello\n", 6) == 0);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 1);
	TCHECK(buf[0] == '\n');
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 6);
	TCHECK(memcmp(buf, "world\n", 6) == 0);
	/* A clean end of stream is -ENODATA, never a 0-length "line". */
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), -ENODATA);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), -ENODATA);
	TCHECK_INT(rt_stream_read(&st, buf, sizeof(buf), 1.0), 0);
	return 0;
}

static void
test_readline_returns_each_line(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, 0);
	peer_send("hello\n\nworld\n");
	peer_shut();
	assert_int_equal(rt_test_run(readline_lines, NULL), 0);
	stream_done();
}

#define LONG_LINE_LEN	300

static int
readline_trickle(void *arg)
{
	static char line[LONG_LINE_LEN + 1];
	struct rt_task *ft;
	struct feed f;
	char buf[LONG_LINE_LEN + 16];
	size_t i;

	(void)arg;
	for (i = 0; i < LONG_LINE_LEN; i++)
		line[i] = (char)('a' + i % 26);
	line[LONG_LINE_LEN] = '\n';
	f = (struct feed){ line, sizeof(line), 1, 1, 0 };
	TCHECK_INT(rt_task_spawn(&ft, "feeder", feeder, &f), 0);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 5.0),
	    sizeof(line));
	TCHECK(memcmp(buf, line, sizeof(line)) == 0);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 5.0), -ENODATA);
	/* f lives on this stack: the feeder must be done first. */
	TCHECK_INT(rt_task_join(ft, NULL, 5.0), 0);
	rt_task_release(ft);
	return 0;
}

/* One byte per loop iteration, through a read buffer smaller than the
 * line's first half, so it is compacted on the way. */
static void
test_readline_joins_line_sent_byte_by_byte(void **state)
{
	(void)state;
	unix_pair();
	stream_open(512, 0);
	assert_int_equal(rt_test_run(readline_trickle, NULL), 0);
	stream_done();
}

static int
readline_limit(void *arg)
{
	char buf[64];

	(void)arg;
	/* The newline is there but beyond max. */
	TCHECK_INT(rt_stream_readline(&st, buf, 16, 1.0), -EMSGSIZE);
	TCHECK_INT(rt_stream_readline(&st, buf, 16, 1.0), -EMSGSIZE);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 21);
	TCHECK(memcmp(buf, "0123456789abcdefghij\n", 21) == 0);
	/* No newline yet, and already max bytes: fails without waiting. */
	TCHECK_INT(rt_stream_readline(&st, buf, 16, 1.0), -EMSGSIZE);
	TCHECK_INT(write(fds[1], "\n", 1), 1);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 21);
	TCHECK(memcmp(buf, "ABCDEFGHIJKLMNOPQRST\n", 21) == 0);
	TCHECK_INT(rt_stream_readline(&st, buf, 0, 1.0), -EINVAL);
	return 0;
}

static void
test_readline_longer_than_max_consumes_nothing(void **state)
{
	(void)state;
	unix_pair();
	stream_open(32, 0);
	peer_send("0123456789abcdefghij\nABCDEFGHIJKLMNOPQRST");
	assert_int_equal(rt_test_run(readline_limit, NULL), 0);
	stream_done();
}

static int
readline_limit_tail(void *arg)
{
	char buf[64];

	(void)arg;
	/* Exactly max bytes with the newline fits. */
	TCHECK_INT(rt_stream_readline(&st, buf, 5, 1.0), 5);
	TCHECK(memcmp(buf, "1234\n", 5) == 0);
	/* max beyond the read buffer is capped by it: a 41-byte line in a
	 * 32-byte buffer can never be a line, and stays readable. */
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), -EMSGSIZE);
	TCHECK_INT(rt_stream_readexactly(&st, buf, 40, 1.0), 0);
	TCHECK(memcmp(buf, "0123456789012345678901234567890123456789", 40)
	    == 0);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 1);
	return 0;
}

static void
test_readline_limit_is_capped_by_read_buffer(void **state)
{
	(void)state;
	unix_pair();
	stream_open(32, 0);
	peer_send("1234\n0123456789012345678901234567890123456789\n");
	assert_int_equal(rt_test_run(readline_limit_tail, NULL), 0);
	stream_done();
}

static int
readline_partial(void *arg)
{
	char buf[64];

	(void)arg;
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 4);
	TCHECK(memcmp(buf, "one\n", 4) == 0);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 3);
	TCHECK(memcmp(buf, "abc", 3) == 0);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), -ENODATA);
	TCHECK_INT(rt_stream_read(&st, buf, sizeof(buf), 1.0), 0);
	return 0;
}

static void
test_readline_returns_partial_line_at_eof(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, 0);
	peer_send("one\nabc");
	peer_shut();
	assert_int_equal(rt_test_run(readline_partial, NULL), 0);
	stream_done();
}

/* ---- readexactly and read -------------------------------------------------- */

static int
readexactly_chunks(void *arg)
{
	struct rt_task *ft;
	struct feed f = { "0123456789", 10, 4, 0, 0 };
	char buf[16];

	(void)arg;
	TCHECK_INT(rt_task_spawn(&ft, "feeder", feeder, &f), 0);
	TCHECK_INT(rt_stream_readexactly(&st, buf, 10, 1.0), 0);
	TCHECK(memcmp(buf, "0123456789", 10) == 0);
	TCHECK_INT(rt_stream_readexactly(&st, buf, 0, 1.0), 0);
	TCHECK_INT(write(fds[1], "abcde", 5), 5);
	TCHECK_INT(shutdown(fds[1], SHUT_WR), 0);
	TCHECK_INT(rt_stream_readexactly(&st, buf, 10, 1.0), -ENODATA);
	/* f lives on this stack: the feeder must be done first. */
	TCHECK_INT(rt_task_join(ft, NULL, 5.0), 0);
	rt_task_release(ft);
	return 0;
}

static void
test_readexactly_waits_for_n_and_fails_at_eof(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, 0);
	assert_int_equal(rt_test_run(readexactly_chunks, NULL), 0);
	stream_done();
}

static int
readexactly_big(void *arg)
{
	static char data[5000], got[5000];
	struct rt_task *ft;
	struct feed f = { data, sizeof(data), 333, 0, 0 };
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i % 251);
	TCHECK_INT(rt_task_spawn(&ft, "feeder", feeder, &f), 0);
	TCHECK_INT(rt_stream_readexactly(&st, got, sizeof(got), 2.0), 0);
	TCHECK(memcmp(got, data, sizeof(data)) == 0);
	/* f lives on this stack: the feeder must be done first. */
	TCHECK_INT(rt_task_join(ft, NULL, 5.0), 0);
	rt_task_release(ft);
	return 0;
}

/* More than the read buffer holds passes through in pieces. */
static void
test_readexactly_larger_than_buffer(void **state)
{
	(void)state;
	unix_pair();
	stream_open(64, 0);
	assert_int_equal(rt_test_run(readexactly_big, NULL), 0);
	stream_done();
}

static int
readexactly_timeout_keeps(void *arg)
{
	char buf[8];

	(void)arg;
	TCHECK_INT(rt_stream_readexactly(&st, buf, 6, 0.03), -ETIMEDOUT);
	TCHECK_INT(write(fds[1], "def", 3), 3);
	TCHECK_INT(rt_stream_readexactly(&st, buf, 6, 1.0), 0);
	TCHECK(memcmp(buf, "abcdef", 6) == 0);
	return 0;
}

/* A timeout loses nothing: the bytes that came are still there. */
static void
test_readexactly_timeout_consumes_nothing(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, 0);
	peer_send("abc");
	assert_int_equal(rt_test_run(readexactly_timeout_keeps, NULL), 0);
	stream_done();
}

static int
read_some(void *arg)
{
	char buf[16];

	(void)arg;
	TCHECK_INT(rt_stream_read(&st, buf, 3, 1.0), 3);
	TCHECK(memcmp(buf, "hel", 3) == 0);
	TCHECK_INT(rt_stream_read(&st, buf, 0, 1.0), 0);
	TCHECK_INT(rt_stream_read(&st, buf, sizeof(buf), 1.0), 2);
	TCHECK(memcmp(buf, "lo", 2) == 0);
	TCHECK_INT(write(fds[1], "x", 1), 1);
	TCHECK_INT(rt_stream_read(&st, buf, sizeof(buf), 1.0), 1);
	TCHECK_INT(shutdown(fds[1], SHUT_WR), 0);
	TCHECK_INT(rt_stream_read(&st, buf, sizeof(buf), 1.0), 0);
	TCHECK_INT(rt_stream_read(&st, buf, sizeof(buf), 1.0), 0);
	TCHECK_INT(rt_stream_readexactly(&st, buf, 1, 1.0), -ENODATA);
	return 0;
}

static void
test_read_returns_what_is_there_then_eof(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, 0);
	peer_send("hello");
	assert_int_equal(rt_test_run(read_some, NULL), 0);
	stream_done();
}

/* ---- readuntil ----------------------------------------------------------- */

static const char http_head[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
#define HEAD_LEN	(sizeof(http_head) - 1)

struct split {
	size_t	at;		/* first write's length */
	size_t	chunk;		/* then this many bytes per iteration */
};

static int
readuntil_split(void *arg)
{
	const struct split *sp = arg;
	static char msg[HEAD_LEN + 4];
	struct rt_task *ft;
	struct feed f;
	char buf[64];

	memcpy(msg, http_head, HEAD_LEN);
	memcpy(msg + HEAD_LEN, "BODY", 4);
	TCHECK_INT(write(fds[1], msg, sp->at), sp->at);
	f = (struct feed){ msg + sp->at, sizeof(msg) - sp->at, sp->chunk,
	    0, 0 };
	TCHECK_INT(rt_task_spawn(&ft, "feeder", feeder, &f), 0);
	TCHECK_INT(rt_stream_readuntil(&st, "\r\n\r\n", 4, buf, sizeof(buf),
	    2.0), HEAD_LEN);
	TCHECK(memcmp(buf, http_head, HEAD_LEN) == 0);
	TCHECK_INT(rt_stream_readexactly(&st, buf, 4, 2.0), 0);
	TCHECK(memcmp(buf, "BODY", 4) == 0);
	/* f lives on this stack: the feeder must be done first. */
	TCHECK_INT(rt_task_join(ft, NULL, 5.0), 0);
	rt_task_release(ft);
	return 0;
}

/*
 * The four-byte separator split at every position of the message, the
 * rest arriving whole or one byte per iteration, through a 32-byte
 * buffer (compacted on the way) and a default one.
 */
static void
test_readuntil_finds_separator_split_anywhere(void **state)
{
	static const size_t rcaps[] = { 32, 0 };
	static const size_t chunks[] = { 1, 1000 };
	struct split sp;
	size_t r, c;

	(void)state;
	for (r = 0; r < 2; r++)
		for (c = 0; c < 2; c++)
			for (sp.at = 0; sp.at < HEAD_LEN + 4; sp.at++) {
				sp.chunk = chunks[c];
				unix_pair();
				stream_open(rcaps[r], 0);
				assert_int_equal(rt_test_run(readuntil_split,
				    &sp), 0);
				stream_done();
			}
}

static int
readuntil_errors(void *arg)
{
	char buf[64];

	(void)arg;
	TCHECK_INT(rt_stream_readuntil(&st, "", 0, buf, sizeof(buf), 1.0),
	    -EINVAL);
	/* "ab--cd--" with max 5: the separator ends at byte 4, then 8. */
	TCHECK_INT(rt_stream_readuntil(&st, "--", 2, buf, 5, 1.0), 4);
	TCHECK_INT(rt_stream_readuntil(&st, "--", 2, buf, 3, 1.0), -EMSGSIZE);
	TCHECK_INT(rt_stream_readuntil(&st, "--", 2, buf, 4, 1.0), 4);
	TCHECK(memcmp(buf, "cd--", 4) == 0);
	/* "tail" then EOF: no separator, unlike readline no partial. */
	TCHECK_INT(rt_stream_readuntil(&st, "--", 2, buf, sizeof(buf), 1.0),
	    -ENODATA);
	TCHECK_INT(rt_stream_readexactly(&st, buf, 4, 1.0), 0);
	TCHECK(memcmp(buf, "tail", 4) == 0);
	return 0;
}

static void
test_readuntil_limit_and_eof(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, 0);
	peer_send("ab--cd--tail");
	peer_shut();
	assert_int_equal(rt_test_run(readuntil_errors, NULL), 0);
	stream_done();
}

/* ---- timeouts and cancellation of every blocking call ------------------------ */

enum op {
	OP_READ, OP_READEXACTLY, OP_READLINE, OP_READUNTIL, OP_WRITE,
	OP_DRAIN, OP_WRITE_EOF
};

static const char *const op_names[] = {
	"read", "readexactly", "readline", "readuntil", "write", "drain",
	"write_eof"
};

#define SMALL_WBUF	4096

static char	big[3 * SMALL_WBUF];

static int
do_op(enum op op, double timeout)
{
	char buf[64];
	ssize_t n;

	switch (op) {
	case OP_READ:
		return (int)rt_stream_read(&st, buf, sizeof(buf), timeout);
	case OP_READEXACTLY:
		return rt_stream_readexactly(&st, buf, 10, timeout);
	case OP_READLINE:
		n = rt_stream_readline(&st, buf, sizeof(buf), timeout);
		return (int)n;
	case OP_READUNTIL:
		n = rt_stream_readuntil(&st, "\r\n", 2, buf, sizeof(buf),
		    timeout);
		return (int)n;
	case OP_WRITE:
		return rt_stream_write(&st, big, sizeof(big), timeout);
	case OP_DRAIN:
		return rt_stream_drain(&st, timeout);
	case OP_WRITE_EOF:
		return rt_stream_write_eof(&st, timeout);
	}
	return -EINVAL;
}

/*
 * Puts the stream where op blocks: reads find a few bytes but never
 * enough; writes find the kernel buffer full and (drain, write_eof) some
 * bytes queued.
 */
static void
op_prepare(enum op op)
{
	char fill[4096];
	ssize_t n;
	int sz = 4096;

	unix_pair();
	/* Small kernel buffers: full after a few writes. */
	assert_int_equal(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	stream_open(0, SMALL_WBUF);
	if (op == OP_READ)
		return;
	if (op <= OP_READUNTIL) {
		peer_send("abc");	/* some, never enough */
		return;
	}
	memset(fill, 'f', sizeof(fill));
	while ((n = write(fds[0], fill, sizeof(fill))) > 0)
		;
	assert_true(n == -1 && errno == EAGAIN);
	while ((n = write(fds[0], fill, 1)) > 0)
		;
	assert_true(n == -1 && errno == EAGAIN);
	if (op != OP_WRITE) {
		/* Queue some: the kernel takes none of it now. */
		assert_int_equal(rt_stream_write(&st, fill, 100, 0), 0);
		assert_int_equal(rt_stream_pending(&st), 100);
	}
}

static int	op_result;
static double	op_elapsed;

static int
op_task(void *arg)
{
	double t0 = rt_test_mono();

	op_result = do_op((enum op)(intptr_t)arg, 0.05);
	op_elapsed = rt_test_mono() - t0;
	TCHECK(rt_stream_pending(&st) <= SMALL_WBUF);
	return 0;
}

static void
test_every_blocking_call_times_out(void **state)
{
	int op;

	(void)state;
	for (op = OP_READ; op <= OP_WRITE_EOF; op++) {
		op_prepare(op);
		op_result = 1;
		assert_int_equal(rt_test_run(op_task, (void *)(intptr_t)op), 0);
		if (op_result != -ETIMEDOUT)
			fail_msg("%s: %d, not -ETIMEDOUT", op_names[op],
			    op_result);
		if (op_elapsed < 0.045 || op_elapsed > 1.0 * rt_test_scale())
			fail_msg("%s: timed out after %.3f s, not 0.05",
			    op_names[op], op_elapsed);
		stream_done();
	}
}

static int
op_forever(void *arg)
{
	return do_op((enum op)(intptr_t)arg, RT_FOREVER);
}

static int
op_canceller(void *arg)
{
	struct rt_task *t;

	TCHECK_INT(rt_task_spawn(&t, "op", op_forever, arg), 0);
	TCHECK_INT(rt_sleep(0.02), 0);
	TCHECK(rt_task_state(t) == RT_TASK_WAITING);
	TCHECK_INT(rt_task_cancel(t), 0);
	/* The join returns t's status: what op returned. */
	op_result = rt_task_join(t, NULL, 1.0);
	TCHECK(rt_task_done(t));
	rt_task_release(t);
	return 0;
}

static void
test_every_blocking_call_can_be_cancelled(void **state)
{
	int op;

	(void)state;
	for (op = OP_READ; op <= OP_WRITE_EOF; op++) {
		op_prepare(op);
		op_result = 1;
		assert_int_equal(rt_test_run(op_canceller,
		    (void *)(intptr_t)op), 0);
		if (op_result != -ECANCELED)
			fail_msg("%s: %d, not -ECANCELED", op_names[op],
			    op_result);
		stream_done();
	}
}

/* A byte every 20 ms must not extend a 0.1 s readline: the timeout
 * bounds the call, not each read. */
static int
trickle_no_newline(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 20; i++) {
		if (write(fds[1], "t", 1) != 1 || rt_sleep(0.02) != 0)
			break;
	}
	return 0;
}

static int
readline_trickle_timeout(void *arg)
{
	struct rt_task *t;
	char buf[64];
	double t0 = rt_test_mono();

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t, "trickle", trickle_no_newline, NULL), 0);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 0.1),
	    -ETIMEDOUT);
	op_elapsed = rt_test_mono() - t0;
	(void)rt_task_cancel(t);
	TCHECK_INT(rt_task_join(t, NULL, 1.0), 0);
	rt_task_release(t);
	/* The bytes were not lost to the timeout. */
	TCHECK(rt_stream_read(&st, buf, sizeof(buf), 1.0) >= 3);
	return 0;
}

static void
test_timeout_bounds_whole_call_not_each_read(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, 0);
	assert_int_equal(rt_test_run(readline_trickle_timeout, NULL), 0);
	/* Each read restarting the timeout would take the whole 0.4 s
	 * trickle and more; the upper bound scales for valgrind. */
	if (op_elapsed < 0.095 || op_elapsed >= 0.3 * rt_test_scale())
		fail_msg("readline timed out after %.3f s, not 0.1", op_elapsed);
	stream_done();
}

/* ---- writing --------------------------------------------------------------- */

#define PATTERN(i)	((char)((i) % 251))

static size_t	written, received;
static int	pattern_ok;

/* Reads the peer until EOF, checking the byte pattern. */
static int
pattern_reader(void *arg)
{
	char buf[8192];
	ssize_t n, i;
	int err;

	(void)arg;
	for (;;) {
		n = read(fds[1], buf, sizeof(buf));
		if (n == -1 && errno == EAGAIN) {
			if ((err = rt_fd_wait(fds[1], RT_READ, 5.0)) != 0) {
				TCHECK_INT(err, 0);
				return err;
			}
			continue;
		}
		if (n <= 0) {
			TCHECK_INT(n, 0);
			return 0;
		}
		for (i = 0; i < n; i++)
			if (buf[i] != PATTERN(received + (size_t)i))
				pattern_ok = 0;
		received += (size_t)n;
	}
}

static void
fill_pattern(char *p, size_t n, size_t from)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = PATTERN(from + i);
}

static int
write_big(void *arg)
{
	static char chunk[7001];
	struct rt_task *r;
	size_t i;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&r, "reader", pattern_reader, NULL), 0);
	for (i = 0; i < 150; i++) {
		fill_pattern(chunk, sizeof(chunk), written);
		TCHECK_INT(rt_stream_write(&st, chunk, sizeof(chunk), 5.0), 0);
		written += sizeof(chunk);
		TCHECK(rt_stream_pending(&st) <= SMALL_WBUF);
	}
	TCHECK_INT(rt_stream_write_eof(&st, 5.0), 0);
	TCHECK_INT(rt_stream_pending(&st), 0);
	TCHECK_INT(rt_task_join(r, NULL, 5.0), 0);
	rt_task_release(r);
	return 0;
}

/* 1 MB in chunks larger than the write buffer, read concurrently: every
 * byte arrives once and in order. */
static void
test_write_larger_than_buffer_arrives_in_order(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, SMALL_WBUF);
	written = received = 0;
	pattern_ok = 1;
	assert_int_equal(rt_test_run(write_big, NULL), 0);
	assert_int_equal(received, written);
	assert_true(pattern_ok);
	stream_done();
}

static int
backpressure(void *arg)
{
	static char chunk[3000];
	struct rt_task *r;
	size_t i, max_pending = 0;
	int err = 0;

	(void)arg;
	/* The peer does not read: writes succeed until the kernel buffer
	 * and ours are full, then one blocks and times out. */
	for (i = 0; i < 100000; i++) {
		fill_pattern(chunk, sizeof(chunk), written);
		err = rt_stream_write(&st, chunk, sizeof(chunk), 0.05);
		if (rt_stream_pending(&st) > max_pending)
			max_pending = rt_stream_pending(&st);
		if (err != 0)
			break;
		written += sizeof(chunk);
	}
	TCHECK_INT(err, -ETIMEDOUT);
	TCHECK(max_pending > 0 && max_pending <= SMALL_WBUF);
	TCHECK_INT(rt_stream_drain(&st, 0.05), -ETIMEDOUT);
	TCHECK(rt_stream_pending(&st) > 0);
	TCHECK(rt_stream_pending(&st) <= SMALL_WBUF);
	/* The peer reads again: the queue drains. */
	TCHECK_INT(rt_task_spawn(&r, "reader", pattern_reader, NULL), 0);
	TCHECK_INT(rt_stream_drain(&st, 5.0), 0);
	TCHECK_INT(rt_stream_pending(&st), 0);
	TCHECK_INT(rt_stream_write_eof(&st, 5.0), 0);
	TCHECK_INT(rt_task_join(r, NULL, 5.0), 0);
	rt_task_release(r);
	return 0;
}

static void
test_write_backpressure_when_peer_stops_reading(void **state)
{
	(void)state;
	unix_pair();
	stream_open(0, SMALL_WBUF);
	written = received = 0;
	pattern_ok = 1;
	assert_int_equal(rt_test_run(backpressure, NULL), 0);
	/* The timed-out write queued part of its chunk, never more. */
	assert_true(received >= written && received <= written + 3000);
	assert_true(pattern_ok);
	stream_done();
}

static int	reset_err, reset_err2;

static int
write_until_error(void *arg)
{
	static char chunk[65536];
	size_t i;
	int err = 0;

	(void)arg;
	memset(chunk, 'r', sizeof(chunk));
	for (i = 0; i < 4096 && err == 0; i++)
		err = rt_stream_write(&st, chunk, sizeof(chunk), 5.0);
	reset_err = err;
	reset_err2 = rt_stream_write(&st, "x", 1, 1.0);
	TCHECK_INT(rt_stream_drain(&st, 1.0), err);
	return 0;
}

static int
resetter(void *arg)
{
	struct linger lg = { 1, 0 };
	struct rt_task *w;

	(void)arg;
	TCHECK_INT(rt_task_spawn(&w, "writer", write_until_error, NULL), 0);
	/* Let the writer fill every buffer and block. */
	TCHECK_INT(rt_sleep(0.05), 0);
	TCHECK(rt_task_state(w) == RT_TASK_WAITING);
	TCHECK_INT(setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
	    0);
	TCHECK_INT(close(fds[1]), 0);	/* with unread data: an RST */
	fds[1] = -1;
	TCHECK_INT(rt_task_join(w, NULL, 5.0), 0);
	rt_task_release(w);
	return 0;
}

static void
test_write_fails_cleanly_when_peer_resets(void **state)
{
	(void)state;
	tcp_pair();
	stream_open(0, 0);
	reset_err = reset_err2 = 1;
	assert_int_equal(rt_test_run(resetter, NULL), 0);
	if (reset_err != -ECONNRESET && reset_err != -EPIPE)
		fail_msg("write after RST: %d (%s)", reset_err,
		    rt_strerror(reset_err));
	/* Sticky: every later write fails the same way. */
	assert_int_equal(reset_err2, reset_err);
	stream_done();
}

static int
read_after_reset(void *arg)
{
	char buf[64];

	(void)arg;
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0),
	    -ECONNRESET);
	TCHECK_INT(rt_stream_read(&st, buf, sizeof(buf), 1.0), -ECONNRESET);
	return 0;
}

static void
test_read_reports_peer_reset(void **state)
{
	struct linger lg = { 1, 0 };

	(void)state;
	tcp_pair();
	stream_open(0, 0);
	assert_int_equal(setsockopt(fds[1], SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	assert_int_equal(close(fds[1]), 0);
	fds[1] = -1;
	assert_int_equal(rt_test_run(read_after_reset, NULL), 0);
	stream_done();
}

/* Both ends as streams: a half-closes, b sees EOF and answers. */
static struct rt_stream	peer;

static int
half_close_a(void *arg)
{
	char buf[16];

	(void)arg;
	TCHECK_INT(rt_stream_write(&st, "ping\n", 5, 1.0), 0);
	TCHECK_INT(rt_stream_write_eof(&st, 1.0), 0);
	/* Writing after our EOF is an error, reading still works. */
	TCHECK_INT(rt_stream_write(&st, "late", 4, 1.0), -EPIPE);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), 5);
	TCHECK(memcmp(buf, "pong\n", 5) == 0);
	TCHECK_INT(rt_stream_readline(&st, buf, sizeof(buf), 1.0), -ENODATA);
	return 0;
}

static int
half_close_b(void *arg)
{
	char buf[16];

	(void)arg;
	TCHECK_INT(rt_stream_readline(&peer, buf, sizeof(buf), 1.0), 5);
	TCHECK(memcmp(buf, "ping\n", 5) == 0);
	TCHECK_INT(rt_stream_read(&peer, buf, sizeof(buf), 1.0), 0);
	TCHECK_INT(rt_stream_write(&peer, "pong\n", 5, 1.0), 0);
	TCHECK_INT(rt_stream_write_eof(&peer, 1.0), 0);
	return 0;
}

static int
half_close(void *arg)
{
	struct rt_task *t[2];

	(void)arg;
	TCHECK_INT(rt_task_spawn(&t[0], "a", half_close_a, NULL), 0);
	TCHECK_INT(rt_task_spawn(&t[1], "b", half_close_b, NULL), 0);
	TCHECK_INT(rt_gather(t, 2, 5.0), 0);
	rt_task_release(t[0]);
	rt_task_release(t[1]);
	return 0;
}

static void
test_write_eof_half_closes(void **state)
{
	(void)state;
	tcp_pair();
	stream_open(0, 0);
	assert_int_equal(rt_stream_init(&peer, fds[1], 0, 0), 0);
	fds[1] = -1;	/* the peer stream owns it */
	assert_int_equal(rt_test_run(half_close, NULL), 0);
	rt_stream_close(&peer);
	stream_done();
}

/* A pipe is not a socket: write(2), and EPIPE (not SIGPIPE) once the
 * reader is gone. */
static int
pipe_writer(void *arg)
{
	char buf[8];

	(void)arg;
	TCHECK_INT(rt_stream_write(&st, "via pipe", 8, 1.0), 0);
	TCHECK_INT(read(fds[1], buf, sizeof(buf)), 8);
	TCHECK(memcmp(buf, "via pipe", 8) == 0);
	TCHECK_INT(close(fds[1]), 0);
	fds[1] = -1;
	TCHECK_INT(rt_stream_write(&st, "gone", 4, 1.0), -EPIPE);
	TCHECK_INT(rt_stream_write(&st, "gone", 4, 1.0), -EPIPE);
	TCHECK_INT(rt_stream_drain(&st, 1.0), -EPIPE);
	return 0;
}

static void
test_write_to_pipe_without_reader_is_epipe(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	fds[0] = p[1];
	fds[1] = p[0];
	stream_open(0, 0);
	assert_false(st.is_socket);
	assert_int_equal(rt_test_run(pipe_writer, NULL), 0);
	stream_done();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_readline_returns_each_line),
		RT_TEST(test_readline_joins_line_sent_byte_by_byte),
		RT_TEST(test_readline_longer_than_max_consumes_nothing),
		RT_TEST(test_readline_limit_is_capped_by_read_buffer),
		RT_TEST(test_readline_returns_partial_line_at_eof),
		RT_TEST(test_readexactly_waits_for_n_and_fails_at_eof),
		RT_TEST(test_readexactly_larger_than_buffer),
		RT_TEST(test_readexactly_timeout_consumes_nothing),
		RT_TEST(test_read_returns_what_is_there_then_eof),
		RT_TEST(test_readuntil_finds_separator_split_anywhere),
		RT_TEST(test_readuntil_limit_and_eof),
		RT_TEST(test_every_blocking_call_times_out),
		RT_TEST(test_every_blocking_call_can_be_cancelled),
		RT_TEST(test_timeout_bounds_whole_call_not_each_read),
		RT_TEST(test_write_larger_than_buffer_arrives_in_order),
		RT_TEST(test_write_backpressure_when_peer_stops_reading),
		RT_TEST(test_write_fails_cleanly_when_peer_resets),
		RT_TEST(test_read_reports_peer_reset),
		RT_TEST(test_write_eof_half_closes),
		RT_TEST(test_write_to_pipe_without_reader_is_epipe),
	};

	rt_test_watchdog(30);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
