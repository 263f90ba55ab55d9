/*
 * test-daemon-chan.c - daemon/chan.c over real socketpairs and the real
 * loop: framing of every type, reassembly of frames split at every byte,
 * many frames in one read, a full kernel buffer (EV_WRITE armed exactly
 * while the queue is non-empty), the queue's bound, EOF, I/O errors, and a
 * table of malformed input, each of which must close the channel with
 * -EPROTO and dispatch nothing after the bad frame.
 *
 * Everything runs in callbacks: the test pumps the loop with
 * ev_run(EVRUN_NOWAIT) or pump_until() and plays the peer with plain
 * write()/read() on the other end of the pair, or with a second channel.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>		/* ev_run: the test drives the loop step by step */

#include "rt-test.h"
#include "chan.h"

static int	sp[2];		/* the pair; sp[0] usually goes to a chan */

static void
pair_open(void)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sp), 0);
}

/* Closes what the test still owns of the pair. */
static void
pair_close(void)
{
	int i;

	for (i = 0; i < 2; i++)
		if (sp[i] >= 0) {
			assert_int_equal(close(sp[i]), 0);
			sp[i] = -1;
		}
}

static void
write_all(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

/* ---- what the callbacks saw ------------------------------------------- */

#define RECS_MAX	32

struct rec {
	struct chan	*c;
	struct chan_hdr	 h;
	int		 aligned;	/* payload % CHAN_ALIGN == 0 */
	_Alignas(CHAN_ALIGN) unsigned char p[CHAN_MAX_PAYLOAD]; /* as sent */
};

static struct rec recs[RECS_MAX];
static size_t	nrecs;		/* dispatched; only RECS_MAX are kept */
static int	nclose, close_err;
static struct chan *closed;
static int	close_in_msg;	/* on_msg closes its channel */
static volatile uint64_t sink;	/* keeps the in-place reads */

static void
reset(void)
{
	nrecs = 0;
	nclose = 0;
	close_err = 1;
	closed = NULL;
	close_in_msg = 0;
}

static void
on_msg(struct chan *c, const struct chan_hdr *h, const void *p, void *arg)
{
	(void)arg;
	/* Read in place through the struct, as handlers will: under UBSan
	 * this checks chan.c's promise of aligned payloads. */
	if (h->type == CHAN_PONG)
		sink += ((const struct chan_counters *)p)->v[2];
	else if (h->type == CHAN_QUIT)
		sink += (uint64_t)((const struct chan_quit *)p)->deadline;
	else if (h->type == CHAN_STATS)
		sink += ((const struct chan_stats *)p)->m.reloads +
		    ((const struct chan_stats *)p)->nworkers;
	if (nrecs < RECS_MAX) {
		recs[nrecs].c = c;
		recs[nrecs].h = *h;
		recs[nrecs].aligned = (uintptr_t)p % CHAN_ALIGN == 0;
		memcpy(recs[nrecs].p, p, h->len);
	}
	nrecs++;
	if (close_in_msg)
		chan_close(c);
}

static void
on_close(struct chan *c, int err, void *arg)
{
	(void)arg;
	nclose++;
	close_err = err;
	closed = c;
}

/* ---- driving the loop ------------------------------------------------- */

static void
pump(void)
{
	(void)ev_run(rt_loop_ev(), EVRUN_NOWAIT);
}

static void
tick_cb(struct ev_loop *ev, ev_timer *t, int revents)
{
	(void)ev;
	(void)t;
	(void)revents;		/* only there to bound EVRUN_ONCE's sleep */
}

/* Runs the loop until *counter reaches want, for at most 5 s. */
static void
pump_until(const size_t *counter, size_t want)
{
	double end = rt_test_mono() + 5;
	ev_timer tick;

	ev_timer_init(&tick, tick_cb, 0.01, 0.01);
	ev_timer_start(rt_loop_ev(), &tick);
	while (*counter < want && rt_test_mono() < end)
		(void)ev_run(rt_loop_ev(), EVRUN_ONCE);
	ev_timer_stop(rt_loop_ev(), &tick);
	assert_int_equal(*counter, want);
}

static void
pump_until_closed(void)
{
	double end = rt_test_mono() + 5;

	while (nclose == 0 && rt_test_mono() < end)
		pump();
	assert_int_equal(nclose, 1);
}

/* ---- frames built by hand --------------------------------------------- */

/*
 * Appends a frame to out at *n: a header with the given fields, then plen
 * payload bytes, then padding to CHAN_FRAME_LEN(plen) (pad: its value).
 * len need not be plen: that is how malformed frames are made.
 */
static void
put_frame(unsigned char *out, size_t *n, uint16_t type, uint16_t flags,
    uint32_t len, uint32_t id, const void *p, size_t plen, unsigned char pad)
{
	struct chan_hdr h = { type, flags, len, id, (int32_t)getpid() };
	size_t frame = CHAN_FRAME_LEN(plen);

	memcpy(out + *n, &h, sizeof(h));
	if (plen > 0)
		memcpy(out + *n + sizeof(h), p, plen);
	memset(out + *n + sizeof(h) + plen, pad, frame - sizeof(h) - plen);
	*n += frame;
}

static void
put_msg(unsigned char *out, size_t *n, uint16_t type, uint32_t id,
    const void *p, size_t plen)
{
	put_frame(out, n, type, 0, (uint32_t)plen, id, p, plen, 0);
}

static struct chan_stats stats3;	/* three workers, filled by fill_stats */

static void
fill_stats(struct chan_stats *s, uint32_t n)
{
	uint32_t i;

	memset(s, 0, sizeof(*s));
	s->nworkers = n;
	s->count = n;
	s->m.reloads = n;
	s->m.config_loaded = 1796491371.5;
	for (i = 0; i < n; i++) {
		s->w[i].pid = 1000 + (int32_t)i;
		s->w[i].slot = i + 1;
		s->w[i].procs = 1;
		s->w[i].c.v[0] = i;
		s->w[i].c.v[1] = 100 * (uint64_t)i;
	}
}

/* ---- framing of every type -------------------------------------------- */

static const struct chan_counters counters = {
	.v = { 7, 3, 123456789012ULL, 42, [CHAN_COUNTERS_N - 1] = 9 }
};
static const struct chan_quit quit10 = { .deadline = 10.5 };

static const struct chan_tasks_req tasks_req = { .pid = 0, .format = 1 };
static const struct chan_tasks_req tasks_pull = { .pid = 77, .format = 0 };
static const uint32_t tasks_count = 3;
static const struct {
	struct chan_tasks	 t;
	char			 text[8];
} tasks_part = { { .pid = 77, .format = 1 }, "worker 1" };

struct type_row {
	uint16_t	 type;
	uint32_t	 id;
	pid_t		 pid;		/* 0: ours */
	const void	*p;
	size_t		 len;
};

static void
test_chan_frames_every_type(void **state)
{
	static struct chan_stats full, empty;
	const struct type_row rows[] = {
		{ CHAN_READY, 1, 0, NULL, 0 },
		{ CHAN_PONG, 2, 0, &counters, sizeof(counters) },
		{ CHAN_FATAL, 3, 0, "cannot bind", 11 },
		{ CHAN_STATS_REQ, 4, 0, NULL, 0 },
		{ CHAN_QUIT, 5, 0, &quit10, sizeof(quit10) },
		{ CHAN_TERMINATE, 6, 0, NULL, 0 },
		{ CHAN_REOPEN_LOGS, 7, 0, NULL, 0 },
		{ CHAN_PING, 0xfffffffeU, 4321, NULL, 0 },
		{ CHAN_STATS, 9, 0, &stats3, CHAN_STATS_LEN(3) },
		{ CHAN_STATS, 10, 0, &full, CHAN_STATS_LEN(CHAN_STATS_CHUNK) },
		{ CHAN_STATS, 11, 0, &empty, CHAN_STATS_LEN(0) },
		{ CHAN_FATAL, 12, 0, full.w, CHAN_REASON_MAX },
		{ CHAN_TASKS_REQ, 13, 0, &tasks_req, sizeof(tasks_req) },
		{ CHAN_TASKS_COUNT, 14, 0, &tasks_count, sizeof(tasks_count) },
		{ CHAN_TASKS_PULL, 15, 0, &tasks_pull, sizeof(tasks_pull) },
		{ CHAN_TASKS, 16, 0, &tasks_part, sizeof(tasks_part) },
		{ CHAN_TASKS_PART, 17, 0, &tasks_part, 8 },
	};
	const size_t nrows = sizeof(rows) / sizeof(rows[0]);
	struct chan a, b;
	size_t i;

	(void)state;
	reset();
	fill_stats(&stats3, 3);
	fill_stats(&full, CHAN_STATS_CHUNK);
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	assert_int_equal(chan_init(&b, sp[1], on_msg, on_close, NULL), 0);
	sp[0] = sp[1] = -1;	/* the channels own them now */

	/* One at a time: each send arms EV_WRITE, each delivery disarms it. */
	for (i = 0; i < nrows; i++) {
		assert_int_equal(chan_send(&a, rows[i].type, rows[i].id,
		    rows[i].pid, rows[i].p, rows[i].len), 0);
		assert_true(a.writing);
		pump_until(&nrecs, i + 1);
		assert_int_equal(chan_pending(&a), 0);
		assert_false(a.writing);
	}
	for (i = 0; i < nrows; i++) {
		const struct rec *r = &recs[i];

		assert_ptr_equal(r->c, &b);
		assert_int_equal(r->h.type, rows[i].type);
		assert_int_equal(r->h.flags, 0);
		assert_int_equal(r->h.len, rows[i].len);
		assert_int_equal(r->h.id, rows[i].id);
		assert_int_equal(r->h.pid, rows[i].pid ? rows[i].pid :
		    getpid());
		assert_true(r->aligned);
		if (rows[i].len > 0)
			assert_memory_equal(r->p, rows[i].p, rows[i].len);
	}
	assert_int_equal(((const struct chan_stats *)(const void *)
	    recs[8].p)->w[2].c.v[1], 200);
	assert_true(((const struct chan_stats *)(const void *)
	    recs[9].p)->w[CHAN_STATS_CHUNK - 1].pid ==
	    1000 + CHAN_STATS_CHUNK - 1);
	assert_int_equal(a.nsent, nrows);
	assert_int_equal(b.nrecv, nrows);

	/* And back, in one burst: the other direction, one sendmsg. */
	reset();
	for (i = 0; i < 5; i++)
		assert_int_equal(chan_send(&b, CHAN_PONG, (uint32_t)i, 0,
		    &counters, sizeof(counters)), 0);
	pump_until(&nrecs, 5);
	for (i = 0; i < 5; i++) {
		assert_ptr_equal(recs[i].c, &a);
		assert_int_equal(recs[i].h.id, i);
		assert_memory_equal(recs[i].p, &counters, sizeof(counters));
	}
	chan_close(&a);
	chan_close(&b);
	assert_int_equal(nclose, 0);	/* chan_close does not call it */
}

static void
test_chan_type_names(void **state)
{
	(void)state;
	assert_string_equal(chan_type_name(CHAN_READY), "READY");
	assert_string_equal(chan_type_name(CHAN_STATS_REQ), "STATS_REQ");
	assert_string_equal(chan_type_name(CHAN_STATS), "STATS");
	assert_string_equal(chan_type_name(CHAN_TASKS_PART), "TASKS_PART");
	assert_string_equal(chan_type_name(CHAN_DRAIN), "DRAIN");
	assert_string_equal(chan_type_name(0), "?");
	assert_string_equal(chan_type_name(CHAN_TYPE_MAX), "?");
	assert_string_equal(chan_type_name(0xffff), "?");
}

/* ---- what chan_send refuses to queue ---------------------------------- */

static void
test_chan_send_rejects_what_the_peer_would(void **state)
{
	static unsigned char big[CHAN_MAX_PAYLOAD + 1];
	static struct chan_stats two_for_one, reserved;
	const struct chan_quit qnan = { .deadline = NAN },
	    qneg = { .deadline = -1.0 },
	    qinf = { .deadline = INFINITY },
	    qreload = { .deadline = 1.0, .reload = 2 };
	const struct {
		uint16_t	 type;
		const void	*p;
		size_t		 len;
		int		 err;
	} rows[] = {
		{ CHAN_FATAL, big, CHAN_MAX_PAYLOAD + 1, -EMSGSIZE },
		{ CHAN_STATS, big, (size_t)1 << 20, -EMSGSIZE },
		{ 0, NULL, 0, -EINVAL },		/* no type 0 */
		{ CHAN_TYPE_MAX, NULL, 0, -EINVAL },	/* past the last */
		{ CHAN_READY, big, 1, -EINVAL },	/* READY is empty */
		{ CHAN_DRAIN, big, 1, -EINVAL },	/* so is DRAIN */
		{ CHAN_PONG, &counters, sizeof(counters) - 1, -EINVAL },
		{ CHAN_PONG, NULL, sizeof(counters), -EINVAL },
		{ CHAN_FATAL, big, 0, -EINVAL },	/* no reason */
		{ CHAN_FATAL, big, CHAN_REASON_MAX + 1, -EINVAL },
		{ CHAN_QUIT, &qnan, sizeof(qnan), -EINVAL },
		{ CHAN_QUIT, &qneg, sizeof(qneg), -EINVAL },
		{ CHAN_QUIT, &qinf, sizeof(qinf), -EINVAL },
		{ CHAN_QUIT, &qreload, sizeof(qreload), -EINVAL },
		{ CHAN_STATS, &two_for_one, CHAN_STATS_LEN(1), -EINVAL },
		{ CHAN_STATS, &reserved, CHAN_STATS_LEN(0), -EINVAL },
		{ CHAN_STATS, &two_for_one, CHAN_STATS_LEN(0) - 8, -EINVAL },
	};
	struct chan a;
	size_t i;

	(void)state;
	reset();
	two_for_one.nworkers = 2;
	two_for_one.count = 2;
	reserved.reserved = 1;
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("row %zu: type %u len %zu\n", i,
		    (unsigned)rows[i].type, rows[i].len);
		assert_int_equal(chan_send(&a, rows[i].type, 1, 0, rows[i].p,
		    rows[i].len), rows[i].err);
	}
	assert_int_equal(chan_pending(&a), 0);
	assert_int_equal(a.nsent, 0);
	assert_false(a.writing);
	chan_close(&a);
	pair_close();
}

static void
test_chan_init_rejects(void **state)
{
	struct chan a;
	int fd;

	(void)state;
	assert_int_equal(chan_init(&a, -1, on_msg, on_close, NULL), -EINVAL);
	assert_int_equal(a.fd, -1);
	chan_close(&a);		/* a no-op on a channel that failed */
	assert_int_equal(chan_send(&a, CHAN_PING, 0, 0, NULL, 0), -EPIPE);
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], NULL, on_close, NULL), -EINVAL);
	fd = sp[0];
	pair_close();		/* fd is still ours after a failure */
	assert_int_equal(chan_init(&a, fd, on_msg, on_close, NULL), -EBADF);
}

/* ---- reassembly ------------------------------------------------------- */

/* A stream of frames of every shape, and where each one ends. */
static unsigned char stream[4096];
static size_t	stream_len, stream_ends[16], stream_frames;

static void
build_stream(void)
{
	fill_stats(&stats3, 3);
	stream_len = stream_frames = 0;
#define ADD(type, id, p, len) do {					\
	put_msg(stream, &stream_len, type, id, p, len);			\
	stream_ends[stream_frames++] = stream_len;			\
} while (0)
	ADD(CHAN_READY, 1, NULL, 0);
	ADD(CHAN_PONG, 2, &counters, sizeof(counters));
	ADD(CHAN_FATAL, 3, "x", 1);		/* 7 bytes of padding */
	ADD(CHAN_STATS, 4, &stats3, CHAN_STATS_LEN(3));
	ADD(CHAN_FATAL, 5, "out of memory!!", 15);
	ADD(CHAN_QUIT, 6, &quit10, sizeof(quit10));
	ADD(CHAN_PING, 7, NULL, 0);
#undef ADD
}

static void
check_stream_recs(void)
{
	size_t i;

	assert_int_equal(nrecs, stream_frames);
	for (i = 0; i < stream_frames; i++) {
		assert_int_equal(recs[i].h.id, i + 1);
		assert_true(recs[i].aligned);
	}
	assert_int_equal(recs[1].h.type, CHAN_PONG);
	assert_memory_equal(recs[1].p, &counters, sizeof(counters));
	assert_int_equal(recs[2].h.len, 1);
	assert_memory_equal(recs[2].p, "x", 1);
	assert_memory_equal(recs[3].p, &stats3, CHAN_STATS_LEN(3));
	assert_memory_equal(recs[4].p, "out of memory!!", 15);
	assert_true(((const struct chan_quit *)(const void *)recs[5].p)->
	    deadline == 10.5);
	assert_int_equal(recs[6].h.type, CHAN_PING);
}

static void
test_chan_reassembles_one_byte_at_a_time(void **state)
{
	struct chan a;
	size_t i, done;

	(void)state;
	reset();
	build_stream();
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	for (i = 0; i < stream_len; i++) {
		write_all(sp[1], stream + i, 1);
		pump();		/* one read of exactly this byte */
		/* A frame is dispatched on its last byte, not before. */
		for (done = 0; done < stream_frames &&
		    stream_ends[done] <= i + 1; done++)
			;
		assert_int_equal(nrecs, done);
	}
	check_stream_recs();
	assert_int_equal(nclose, 0);
	chan_close(&a);
	pair_close();
}

static void
test_chan_reassembles_split_at_every_offset(void **state)
{
	struct chan a;
	size_t k;

	(void)state;
	build_stream();
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	for (k = 0; k <= stream_len; k++) {
		reset();
		write_all(sp[1], stream, k);
		pump();
		write_all(sp[1], stream + k, stream_len - k);
		pump_until(&nrecs, stream_frames);
		check_stream_recs();
	}
	assert_int_equal(nclose, 0);
	chan_close(&a);
	pair_close();
}

/* Several messages in one write, more than the read buffer holds. */
static void
test_chan_many_messages_in_one_write(void **state)
{
	static unsigned char buf[5 * CHAN_FRAME_MAX];
	static struct chan_stats full;
	struct chan a;
	size_t n = 0, i, want = 0;

	(void)state;
	reset();
	fill_stats(&full, CHAN_STATS_CHUNK);
	for (i = 0; i < 4; i++) {	/* 4 x 14 KiB: past CHAN_RBUF */
		put_msg(buf, &n, CHAN_STATS, (uint32_t)want++, &full,
		    CHAN_STATS_LEN(CHAN_STATS_CHUNK));
		put_msg(buf, &n, CHAN_PING, (uint32_t)want++, NULL, 0);
		put_msg(buf, &n, CHAN_FATAL, (uint32_t)want++, "abc", 3);
	}
	for (i = 0; i < 20; i++)
		put_msg(buf, &n, CHAN_READY, (uint32_t)want++, NULL, 0);
	assert_true(n > CHAN_RBUF);
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	write_all(sp[1], buf, n);
	pump_until(&nrecs, want);
	for (i = 0; i < RECS_MAX && i < want; i++)
		assert_int_equal(recs[i].h.id, i);
	assert_memory_equal(recs[6].p, &full, CHAN_STATS_LEN(CHAN_STATS_CHUNK));
	assert_int_equal(nclose, 0);
	chan_close(&a);
	pair_close();
}

/* ---- writing: a full kernel buffer, the queue's bound ------------------ */

#define BIG_N		200
#define BIG_LEN		1000	/* FATAL's payload: 1016-byte frames */

static unsigned char received[BIG_N * CHAN_FRAME_LEN(BIG_LEN)];

/* Checks that EV_WRITE is watched exactly while something is queued. */
static void
check_write_armed(const struct chan *a)
{
	assert_int_equal(a->writing, chan_pending(a) > 0);
	assert_int_equal(rt_watch_active(&a->ww), a->writing);
}

static void
test_chan_full_kernel_buffer_queues_then_drains(void **state)
{
	unsigned char payload[BIG_LEN];
	const size_t frame = CHAN_FRAME_LEN(BIG_LEN), total = BIG_N * frame;
	size_t got = 0, i, before, loops;
	struct chan_hdr h;
	struct chan a;
	int small = 4096;
	ssize_t n;

	(void)state;
	reset();
	pair_open();
	assert_int_equal(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)), 0);
	assert_int_equal(setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)), 0);
	assert_int_equal(fcntl(sp[1], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	check_write_armed(&a);

	for (i = 0; i < BIG_N; i++) {
		memset(payload, (int)(i & 0xff), sizeof(payload));
		assert_int_equal(chan_send(&a, CHAN_FATAL, (uint32_t)i, 0,
		    payload, sizeof(payload)), 0);
		check_write_armed(&a);
	}
	assert_int_equal(chan_pending(&a), total);

	/* The loop writes until the kernel is full, then the rest waits. */
	for (i = 0; i < 10; i++) {
		pump();
		check_write_armed(&a);
	}
	before = chan_pending(&a);
	assert_true(before > 0 && before < total);
	pump();
	assert_int_equal(chan_pending(&a), before);	/* still full */
	check_write_armed(&a);

	/* Drain the other end; everything arrives, in order. */
	for (loops = 0; got < total && loops < 100000; loops++) {
		n = read(sp[1], received + got, sizeof(received) - got);
		if (n < 0)
			assert_true(errno == EAGAIN || errno == EINTR);
		else
			got += (size_t)n;
		pump();
		check_write_armed(&a);
	}
	assert_int_equal(got, total);
	assert_int_equal(chan_pending(&a), 0);
	assert_false(a.writing);
	for (i = 0; i < BIG_N; i++) {
		memcpy(&h, received + i * frame, sizeof(h));
		assert_int_equal(h.type, CHAN_FATAL);
		assert_int_equal(h.id, i);
		assert_int_equal(h.len, BIG_LEN);
		memset(payload, (int)(i & 0xff), sizeof(payload));
		assert_memory_equal(received + i * frame + sizeof(h), payload,
		    BIG_LEN);
	}
	assert_int_equal(nclose, 0);
	chan_close(&a);
	pair_close();
}

static void
test_chan_queue_bound_is_enobufs(void **state)
{
	static struct chan_stats full;
	const size_t frame = CHAN_FRAME_LEN(CHAN_STATS_LEN(CHAN_STATS_CHUNK));
	struct chan a, b;
	size_t k = 0;
	int err;

	(void)state;
	reset();
	fill_stats(&full, CHAN_STATS_CHUNK);
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	assert_int_equal(chan_init(&b, sp[1], on_msg, on_close, NULL), 0);
	sp[0] = sp[1] = -1;
	/* Without the loop nothing is written: the queue fills. */
	while ((err = chan_send(&a, CHAN_STATS, (uint32_t)k, 0, &full,
	    CHAN_STATS_LEN(CHAN_STATS_CHUNK))) == 0)
		k++;
	assert_int_equal(err, -ENOBUFS);
	assert_int_equal(chan_pending(&a), k * frame);
	assert_true(chan_pending(&a) <= CHAN_WQ_MAX);
	assert_true(chan_pending(&a) + frame > CHAN_WQ_MAX);
	assert_int_equal(a.nsent, k);
	/* A refusal costs nothing: the channel still works. */
	pump_until(&nrecs, k);
	assert_int_equal(chan_pending(&a), 0);
	assert_false(a.writing);
	assert_int_equal(chan_send(&a, CHAN_STATS, 99, 0, &full,
	    CHAN_STATS_LEN(CHAN_STATS_CHUNK)), 0);
	pump_until(&nrecs, k + 1);
	assert_true(k < RECS_MAX);
	assert_int_equal(recs[k].h.id, 99);
	assert_int_equal(nclose, 0);
	chan_close(&a);
	chan_close(&b);
}

static void
test_chan_flush_writes_now(void **state)
{
	unsigned char buf[64];
	struct chan a;
	struct chan_hdr h;

	(void)state;
	reset();
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	assert_int_equal(chan_send(&a, CHAN_FATAL, 5, 0, "bye", 3), 0);
	assert_true(a.writing);
	/* No loop step: what a worker does before _exit. */
	assert_int_equal(chan_flush(&a), 0);
	assert_int_equal(chan_pending(&a), 0);
	assert_false(a.writing);
	assert_false(rt_watch_active(&a.ww));
	assert_int_equal(read(sp[1], buf, sizeof(buf)), CHAN_FRAME_LEN(3));
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.type, CHAN_FATAL);
	assert_int_equal(h.id, 5);
	assert_memory_equal(buf + sizeof(h), "bye\0\0\0\0\0", 8);
	assert_int_equal(chan_flush(&a), 0);	/* nothing queued */
	sp[0] = -1;
	chan_close(&a);
	assert_int_equal(chan_flush(&a), -EPIPE);
	pair_close();
}

/* ---- the end: EOF, I/O errors, closing from on_msg --------------------- */

static void
test_chan_eof_calls_on_close_once(void **state)
{
	unsigned char buf[64];
	size_t n = 0;
	struct chan a;
	int fd, i;

	(void)state;
	reset();
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	fd = sp[0];
	sp[0] = -1;
	put_msg(buf, &n, CHAN_READY, 1, NULL, 0);
	write_all(sp[1], buf, n);
	pair_close();		/* the peer dies after a whole frame */
	pump_until_closed();
	assert_int_equal(nrecs, 1);	/* what came before EOF counts */
	assert_int_equal(close_err, 0);
	assert_ptr_equal(closed, &a);
	assert_int_equal(a.fd, -1);
	assert_int_equal(fcntl(fd, F_GETFD), -1);	/* closed */
	assert_int_equal(errno, EBADF);
	for (i = 0; i < 5; i++)
		pump();
	assert_int_equal(nclose, 1);
	assert_int_equal(chan_send(&a, CHAN_PING, 0, 0, NULL, 0), -EPIPE);
	assert_int_equal(chan_flush(&a), -EPIPE);
	assert_int_equal(chan_pending(&a), 0);
	chan_close(&a);		/* safe twice */
	assert_int_equal(nclose, 1);
}

/*
 * chan_drain, without the loop: a peer that said READY and died, its
 * messages read and dispatched in order before its EOF closes the
 * channel (the master drains a dead worker's channel before it handles
 * the death).
 */
static void
test_chan_drain_reads_all_then_eof(void **state)
{
	unsigned char buf[4096];
	size_t n = 0;
	struct chan a;
	int i;

	(void)state;
	reset();
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	for (i = 0; i < RECS_MAX; i++)
		put_msg(buf, &n, CHAN_READY, (uint32_t)i, NULL, 0);
	write_all(sp[1], buf, n);
	pair_close();
	chan_drain(&a);
	assert_int_equal(nrecs, RECS_MAX);
	for (i = 0; i < RECS_MAX; i++)
		assert_int_equal(recs[i].h.id, (uint32_t)i);
	assert_int_equal(nclose, 1);
	assert_int_equal(close_err, 0);
	assert_int_equal(a.fd, -1);
	chan_drain(&a);		/* closed: nothing */
	assert_int_equal(nclose, 1);

	/* A live peer that sent nothing: drain returns at once. */
	reset();
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	chan_drain(&a);
	assert_int_equal(nrecs, 0);
	assert_int_equal(nclose, 0);
	chan_close(&a);
	pair_close();
}

/* The peer dies with our frames unread: an I/O error, reported once. */
static void
test_chan_io_error_calls_on_close_once(void **state)
{
	struct chan a;
	int i;

	(void)state;
	reset();
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	assert_int_equal(chan_send(&a, CHAN_PING, 1, 0, NULL, 0), 0);
	assert_int_equal(chan_flush(&a), 0);
	pair_close();
	assert_int_equal(chan_send(&a, CHAN_PING, 2, 0, NULL, 0), 0);
	pump_until_closed();
	for (i = 0; i < 5; i++)
		pump();
	assert_int_equal(nclose, 1);
	/* The read sees ECONNRESET (unread data at the peer's close) or
	 * the write EPIPE first: either way an error, not a clean EOF. */
	assert_true(close_err == -ECONNRESET || close_err == -EPIPE);
	assert_int_equal(a.fd, -1);
	assert_int_equal(chan_pending(&a), 0);	/* queued frames dropped */
}

static void
test_chan_on_msg_may_close(void **state)
{
	unsigned char buf[64];
	size_t n = 0;
	struct chan a;
	int i;

	(void)state;
	reset();
	close_in_msg = 1;
	for (i = 0; i < 3; i++)
		put_msg(buf, &n, CHAN_READY, (uint32_t)i, NULL, 0);
	pair_open();
	assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL), 0);
	sp[0] = -1;
	write_all(sp[1], buf, n);
	pump_until(&nrecs, 1);
	for (i = 0; i < 5; i++)
		pump();
	assert_int_equal(nrecs, 1);	/* the other two died with c */
	assert_int_equal(nclose, 0);
	assert_int_equal(a.fd, -1);
	pair_close();
}

/* ---- malformed input: -EPROTO, and nothing dispatched after ----------- */

static struct chan_stats st_two_for_one = { .nworkers = 2, .count = 2 };
static struct chan_stats st_reserved = { .reserved = 1 };
static struct chan_stats st_too_many = { .nworkers = CHAN_STATS_MAX + 1,
    .count = 1 };
static struct chan_stats st_one = { .nworkers = 1, .count = 1 };
static struct chan_stats st_past_total = { .nworkers = 2, .first = 2,
    .count = 1 };
static struct chan_stats st_stalled = { .nworkers = 1 };
static struct chan_stats st_entry_reserved = { .nworkers = 1, .count = 1,
    .w = { { .slot = 1, .reserved = 1 } } };
static const struct chan_quit q_nan = { .deadline = NAN },
    q_neg = { .deadline = -0.5 },
    q_inf = { .deadline = INFINITY },
    q_badreload = { .deadline = 1.0, .reload = 2 };
static const unsigned char zeros[CHAN_MAX_PAYLOAD + 64];
#define QLEN	sizeof(struct chan_quit)

static const struct chan_tasks_req tasks_bad_format = { 1, 2 };
static const struct chan_tasks_req tasks_bad_pid = { -1, 0 };

struct bad_row {
	const char	*why;
	uint16_t	 type, flags;
	uint32_t	 len;		/* what the header claims */
	const void	*p;
	size_t		 plen;		/* what follows it */
	unsigned char	 pad;		/* padding byte */
};

static const struct bad_row bad_rows[] = {
	{ "type 0", 0, 0, 0, NULL, 0, 0 },
	{ "type past the last", CHAN_TYPE_MAX, 0, 0, NULL, 0, 0 },
	{ "type 0xffff", 0xffff, 0, 0, NULL, 0, 0 },
	{ "reserved flag set", CHAN_PING, 1, 0, NULL, 0, 0 },
	{ "high flag set", CHAN_READY, 0x8000, 0, NULL, 0, 0 },
	/* Refused on the header alone: no payload follows. */
	{ "len > max", CHAN_FATAL, 0, CHAN_MAX_PAYLOAD + 1, NULL, 0, 0 },
	{ "len 4 GiB", CHAN_STATS, 0, 0xffffffffU, NULL, 0, 0 },
	{ "READY with a payload", CHAN_READY, 0, 8, zeros, 8, 0 },
	{ "PING with a payload", CHAN_PING, 0, 4, zeros, 4, 0 },
	{ "TERMINATE with a payload", CHAN_TERMINATE, 0, 1, zeros, 1, 0 },
	{ "PONG short", CHAN_PONG, 0, sizeof(struct chan_counters) - 1, zeros,
	    sizeof(struct chan_counters) - 1, 0 },
	{ "PONG long", CHAN_PONG, 0, sizeof(struct chan_counters) + 1, zeros,
	    sizeof(struct chan_counters) + 1, 0 },
	{ "PONG empty", CHAN_PONG, 0, 0, NULL, 0, 0 },
	{ "QUIT short", CHAN_QUIT, 0, 4, zeros, 4, 0 },
	{ "FATAL without reason", CHAN_FATAL, 0, 0, NULL, 0, 0 },
	{ "FATAL reason too long", CHAN_FATAL, 0, CHAN_REASON_MAX + 1, zeros,
	    CHAN_REASON_MAX + 1, 0 },
	{ "STATS shorter than its fixed part", CHAN_STATS, 0, 16, zeros, 16,
	    0 },
	{ "STATS longer than a chunk", CHAN_STATS, 0,
	    CHAN_STATS_LEN(CHAN_STATS_CHUNK + 1), zeros,
	    CHAN_STATS_LEN(CHAN_STATS_CHUNK + 1), 0 },
	/* Refused once the frame is complete. */
	{ "QUIT deadline NaN", CHAN_QUIT, 0, QLEN, &q_nan, QLEN, 0 },
	{ "QUIT deadline negative", CHAN_QUIT, 0, QLEN, &q_neg, QLEN, 0 },
	{ "QUIT deadline infinite", CHAN_QUIT, 0, QLEN, &q_inf, QLEN, 0 },
	{ "QUIT reload neither 0 nor 1", CHAN_QUIT, 0, QLEN, &q_badreload, QLEN,
	    0 },
	{ "STATS count above its length", CHAN_STATS, 0, CHAN_STATS_LEN(1),
	    &st_two_for_one, CHAN_STATS_LEN(1), 0 },
	{ "STATS count above 256", CHAN_STATS, 0, CHAN_STATS_LEN(1),
	    &st_too_many, CHAN_STATS_LEN(1), 0 },
	{ "STATS length not whole entries", CHAN_STATS, 0,
	    CHAN_STATS_LEN(1) + 8, &st_one, CHAN_STATS_LEN(1) + 8, 0 },
	{ "STATS reserved set", CHAN_STATS, 0, CHAN_STATS_LEN(0),
	    &st_reserved, CHAN_STATS_LEN(0), 0 },
	{ "STATS entries past its total", CHAN_STATS, 0, CHAN_STATS_LEN(1),
	    &st_past_total, CHAN_STATS_LEN(1), 0 },
	{ "STATS without entries, some due", CHAN_STATS, 0, CHAN_STATS_LEN(0),
	    &st_stalled, CHAN_STATS_LEN(0), 0 },
	{ "STATS entry's reserved set", CHAN_STATS, 0, CHAN_STATS_LEN(1),
	    &st_entry_reserved, CHAN_STATS_LEN(1), 0 },
	{ "TASKS_REQ short", CHAN_TASKS_REQ, 0, 4, zeros, 4, 0 },
	{ "TASKS_REQ in an unknown format", CHAN_TASKS_REQ, 0, 8,
	    &tasks_bad_format, 8, 0 },
	{ "TASKS_PULL for a negative pid", CHAN_TASKS_PULL, 0, 8,
	    &tasks_bad_pid, 8, 0 },
	{ "TASKS_COUNT long", CHAN_TASKS_COUNT, 0, 8, zeros, 8, 0 },
	{ "TASKS for pid 0", CHAN_TASKS, 0, 8, zeros, 8, 0 },
	{ "TASKS_PART shorter than its header", CHAN_TASKS_PART, 0, 4, zeros,
	    4, 0 },
	{ "padding not zero", CHAN_FATAL, 0, 1, "x", 1, 0xaa },
};

static void
test_chan_malformed_frames_are_eproto(void **state)
{
	static unsigned char buf[CHAN_FRAME_MAX + 64 + 4096];
	const struct bad_row *r;
	struct chan a;
	size_t i, n;
	int fd, j;

	(void)state;
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		r = &bad_rows[i];
		print_message("%s\n", r->why);
		reset();
		n = 0;
		put_msg(buf, &n, CHAN_READY, 1, NULL, 0);
		put_frame(buf, &n, r->type, r->flags, r->len, 2, r->p, r->plen,
		    r->pad);
		put_msg(buf, &n, CHAN_READY, 3, NULL, 0);
		pair_open();
		assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL),
		    0);
		fd = sp[0];
		sp[0] = -1;
		write_all(sp[1], buf, n);
		/* The peer stays open: the frame alone must kill the
		 * channel, not an EOF after it. */
		pump_until_closed();
		for (j = 0; j < 5; j++)
			pump();
		assert_int_equal(nclose, 1);
		assert_int_equal(close_err, -EPROTO);
		assert_int_equal(nrecs, 1);
		assert_int_equal(recs[0].h.id, 1);
		assert_int_equal(a.fd, -1);
		assert_int_equal(fcntl(fd, F_GETFD), -1);
		assert_int_equal(chan_send(&a, CHAN_PING, 0, 0, NULL, 0),
		    -EPIPE);
		pair_close();
	}
}

/* A frame cut short by EOF: -EPROTO, not a clean EOF. */
static void
test_chan_truncated_frame_at_eof_is_eproto(void **state)
{
	static unsigned char buf[1024];
	const size_t cuts[] = {
		1,			/* a byte of header */
		15,			/* all but a byte of header */
		16,			/* a PONG's header only */
		16 + 8,			/* and part of its payload */
		16 + sizeof(counters) - 1,	/* all but its last byte */
	};
	struct chan a;
	size_t i, n, head;

	(void)state;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		reset();
		n = 0;
		put_msg(buf, &n, CHAN_READY, 1, NULL, 0);
		head = n;
		put_msg(buf, &n, CHAN_PONG, 2, &counters, sizeof(counters));
		pair_open();
		assert_int_equal(chan_init(&a, sp[0], on_msg, on_close, NULL),
		    0);
		sp[0] = -1;
		write_all(sp[1], buf, head + cuts[i]);
		pump();
		assert_int_equal(nclose, 0);	/* waiting for the rest */
		pair_close();
		pump_until_closed();
		assert_int_equal(close_err, -EPROTO);
		assert_int_equal(nrecs, 1);
		assert_int_equal(a.fd, -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		RT_TEST(test_chan_frames_every_type),
		RT_TEST(test_chan_type_names),
		RT_TEST(test_chan_send_rejects_what_the_peer_would),
		RT_TEST(test_chan_init_rejects),
		RT_TEST(test_chan_reassembles_one_byte_at_a_time),
		RT_TEST(test_chan_reassembles_split_at_every_offset),
		RT_TEST(test_chan_many_messages_in_one_write),
		RT_TEST(test_chan_full_kernel_buffer_queues_then_drains),
		RT_TEST(test_chan_queue_bound_is_enobufs),
		RT_TEST(test_chan_flush_writes_now),
		RT_TEST(test_chan_eof_calls_on_close_once),
		RT_TEST(test_chan_drain_reads_all_then_eof),
		RT_TEST(test_chan_io_error_calls_on_close_once),
		RT_TEST(test_chan_on_msg_may_close),
		RT_TEST(test_chan_malformed_frames_are_eproto),
		RT_TEST(test_chan_truncated_frame_at_eof_is_eproto),
	};

	sp[0] = sp[1] = -1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
