/*
 * chan.c - the master<->worker channel: framed messages over a socketpair,
 * read and written from the loop, modelled on OpenBSD's imsg and on how
 * relayd's proc.c drives it (research/process-model.md §4.1).
 *
 * Reading: RT_READ is watched for the channel's whole life.  Each callback
 * does one read() into a fixed buffer (CHAN_RBUF, two maximal frames) and
 * then dispatches every complete frame in it; the partial frame left over
 * (a header or payload split across reads) moves to the front to be
 * completed by the next read.  A header is validated as soon as its 16
 * bytes are in, so a frame claiming 4 GiB is refused before we wait for it.
 * Invariant between reads: rlen < CHAN_FRAME_MAX, because a whole frame is
 * always dispatched; so a read always has room and 0 from read() is EOF.
 *
 * Writing: chan_send() only appends a copy of the frame to a FIFO of
 * malloc'd frames, bounded to CHAN_WQ_MAX bytes, and starts RT_WRITE when
 * the queue was empty.  The write callback hands the kernel up to
 * CHAN_IOV_MAX frames per sendmsg(), frees what went out and stops RT_WRITE
 * when the queue is empty (imsg_event_add()'s rule: RT_WRITE only while
 * there is something to write, else a writable socket wakes the loop on
 * every iteration).  A queue node is allocated per message rather than a
 * fixed ring per channel: a master with 256 idle channels then holds no
 * write memory, and control messages are rare.
 *
 * Death: EOF, an I/O error or a protocol error closes the channel (watchers
 * stopped, fd closed, memory freed) and only then calls on_close, once, as
 * the last thing that touches the struct.  Messages already dispatched stay
 * dispatched; nothing after the bad frame is.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "chan.h"

/* Frames per sendmsg(): well under IOV_MAX (1024), enough to empty a
 * typical queue in one call. */
#define CHAN_IOV_MAX	64

_Static_assert(sizeof(struct chan_hdr) == 16, "the header is 16 bytes");
_Static_assert(sizeof(struct chan_hdr) % CHAN_ALIGN == 0,
    "payloads start aligned");
_Static_assert(CHAN_STATS_LEN(CHAN_STATS_CHUNK) <= CHAN_MAX_PAYLOAD,
    "a full STATS fits in one message");
_Static_assert(CHAN_RBUF >= 2 * CHAN_FRAME_MAX, "see the invariant above");

/* One queued frame. */
struct chan_qmsg {
	struct chan_qmsg *next;
	size_t		 len;		/* frame bytes */
	size_t		 off;		/* bytes the kernel already took */
	unsigned char	 data[];
};

/* ---- the message types: the protocol in one table ----------------------- */

static int
chan_check_quit(const void *p, uint32_t len)
{
	const struct chan_quit *q = p;

	(void)len;
	return isfinite(q->deadline) && q->deadline >= 0 && q->reload <= 1 &&
	    q->reserved == 0 ? 0 : -1;
}

static int
chan_check_stats(const void *p, uint32_t len)
{
	const struct chan_stats *s = p;
	size_t body = len - offsetof(struct chan_stats, w), i;

	/* len >= the fixed part: the table's minimum, checked first. */

	if (body % sizeof(struct chan_worker_stats) != 0)
		return -1;
	if (s->reserved != 0 || s->nworkers > CHAN_STATS_MAX ||
	    s->count > CHAN_STATS_CHUNK || CHAN_STATS_LEN(s->count) != len ||
	    s->first > s->nworkers || s->count > s->nworkers - s->first ||
	    (s->count == 0 && s->nworkers != 0))
		return -1;
	for (i = 0; i < s->count; i++)
		if (s->w[i].reserved != 0)
			return -1;
	return 0;
}

/* The formats tasks.c knows: JSON (0) and text (1). */
static int
chan_check_tasks_req(const void *p, uint32_t len)
{
	const struct chan_tasks_req *r = p;

	(void)len;
	return r->format <= 1 && r->pid >= 0 ? 0 : -1;
}

static int
chan_check_tasks(const void *p, uint32_t len)
{
	const struct chan_tasks *t = p;

	(void)len;
	return t->format <= 1 && t->pid > 0 ? 0 : -1;
}

static const struct chan_type_info {
	const char	*name;
	uint32_t	 min, max;	/* payload length bounds */
	int		(*check)(const void *payload, uint32_t len);
} chan_types[CHAN_TYPE_MAX] = {
	[CHAN_READY] =		{ "READY", 0, 0, NULL },
	[CHAN_PONG] =		{ "PONG", sizeof(struct chan_counters),
				    sizeof(struct chan_counters), NULL },
	[CHAN_FATAL] =		{ "FATAL", 1, CHAN_REASON_MAX, NULL },
	[CHAN_STATS_REQ] =	{ "STATS_REQ", 0, 0, NULL },
	[CHAN_QUIT] =		{ "QUIT", sizeof(struct chan_quit),
				    sizeof(struct chan_quit), chan_check_quit },
	[CHAN_TERMINATE] =	{ "TERMINATE", 0, 0, NULL },
	[CHAN_REOPEN_LOGS] =	{ "REOPEN_LOGS", 0, 0, NULL },
	[CHAN_PING] =		{ "PING", 0, 0, NULL },
	[CHAN_STATS] =		{ "STATS", offsetof(struct chan_stats, w),
				    CHAN_STATS_LEN(CHAN_STATS_CHUNK),
				    chan_check_stats },
	[CHAN_TASKS_REQ] =	{ "TASKS_REQ", sizeof(struct chan_tasks_req),
				    sizeof(struct chan_tasks_req),
				    chan_check_tasks_req },
	[CHAN_TASKS_COUNT] =	{ "TASKS_COUNT", sizeof(uint32_t),
				    sizeof(uint32_t), NULL },
	[CHAN_TASKS_PULL] =	{ "TASKS_PULL", sizeof(struct chan_tasks_req),
				    sizeof(struct chan_tasks_req),
				    chan_check_tasks_req },
	[CHAN_TASKS] =		{ "TASKS", sizeof(struct chan_tasks),
				    CHAN_MAX_PAYLOAD, chan_check_tasks },
	[CHAN_TASKS_PART] =	{ "TASKS_PART", sizeof(struct chan_tasks),
				    CHAN_MAX_PAYLOAD, chan_check_tasks },
	[CHAN_DRAIN] =		{ "DRAIN", 0, 0, NULL },
};

const char *
chan_type_name(unsigned type)
{
	if (type == 0 || type >= CHAN_TYPE_MAX)
		return "?";
	return chan_types[type].name;
}

/* 0 if a header with this type, flags and length can start a valid frame. */
static int
chan_check_hdr(const struct chan_hdr *h)
{
	const struct chan_type_info *t;

	if (h->type == 0 || h->type >= CHAN_TYPE_MAX || h->flags != 0)
		return -1;
	t = &chan_types[h->type];
	if (h->len > CHAN_MAX_PAYLOAD || h->len < t->min || h->len > t->max)
		return -1;
	return 0;
}

/* 0 if the complete frame at f (header already checked) is valid. */
static int
chan_check_frame(const unsigned char *f, const struct chan_hdr *h)
{
	const unsigned char *p = f + sizeof(*h);
	size_t i;

	for (i = sizeof(*h) + h->len; i < CHAN_FRAME_LEN(h->len); i++)
		if (f[i] != 0)
			return -1;	/* padding must be zero: no hidden bytes */
	if (chan_types[h->type].check != NULL &&
	    chan_types[h->type].check(p, h->len) != 0)
		return -1;
	return 0;
}

/* ---- closing ------------------------------------------------------------ */

static void
chan_queue_free(struct chan *c)
{
	struct chan_qmsg *m;

	while ((m = c->qhead) != NULL) {
		c->qhead = m->next;
		free(m);
	}
	c->qtail = &c->qhead;
	c->queued = 0;
}

void
chan_close(struct chan *c)
{
	if (c->fd < 0)
		return;
	rt_watch_stop(&c->rw);
	if (c->writing) {
		rt_watch_stop(&c->ww);
		c->writing = 0;
	}
	/* Linux frees the fd even when close() fails (EINTR, EIO: nothing
	 * to retry on a socket), so there is nothing to do with an error. */
	(void)close(c->fd);
	c->fd = -1;
	c->closes++;
	chan_queue_free(c);
	free(c->rbuf);
	c->rbuf = NULL;
	c->rlen = 0;
}

/* Closes c, then tells its owner why; c is not touched afterwards. */
static void
chan_fail(struct chan *c, int err)
{
	chan_close_cb cb = c->on_close;
	void *arg = c->arg;

	chan_close(c);
	if (cb != NULL)
		cb(c, err, arg);
}

/* ---- reading ------------------------------------------------------------ */

/* Dispatches every complete frame in rbuf; keeps the partial one. */
static void
chan_dispatch(struct chan *c)
{
	unsigned closes = c->closes;
	struct chan_hdr h;
	size_t pos = 0, frame;

	while (c->rlen - pos >= sizeof(h)) {
		memcpy(&h, c->rbuf + pos, sizeof(h));
		if (chan_check_hdr(&h) != 0) {
			chan_fail(c, -EPROTO);
			return;
		}
		frame = CHAN_FRAME_LEN(h.len);
		if (c->rlen - pos < frame)
			break;		/* the rest comes with a later read */
		if (chan_check_frame(c->rbuf + pos, &h) != 0) {
			chan_fail(c, -EPROTO);
			return;
		}
		c->nrecv++;
		c->on_msg(c, &h, c->rbuf + pos + sizeof(h), c->arg);
		if (c->closes != closes)
			return;		/* on_msg closed c: rbuf is gone */
		pos += frame;
	}
	if (pos > 0) {
		memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
		c->rlen -= pos;
	}
}

/* One read, and the frames it completes.  1 if something was read and c
 * is still open; 0 if nothing was there, or c was closed meanwhile. */
static int
chan_read(struct chan *c)
{
	unsigned closes = c->closes;
	ssize_t n;

	do
		n = read(c->fd, c->rbuf + c->rlen, CHAN_RBUF - c->rlen);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;	/* woken for RT_WRITE or spuriously */
		chan_fail(c, -errno);
		return 0;
	}
	if (n == 0) {
		/* Bytes left over are a frame the peer never finished. */
		chan_fail(c, c->rlen > 0 ? -EPROTO : 0);
		return 0;
	}
	c->rlen += (size_t)n;
	chan_dispatch(c);
	return c->closes == closes;
}

static void
chan_read_cb(struct rt_watch *w, int revents)
{
	(void)revents;
	(void)chan_read(w->arg);
}

void
chan_drain(struct chan *c)
{
	while (c->fd >= 0 && chan_read(c))
		;
}

/* ---- writing ------------------------------------------------------------ */

/* Writes until the queue is empty (0), the kernel is full (-EAGAIN) or an
 * error (-errno). */
static int
chan_write(struct chan *c)
{
	struct iovec iov[CHAN_IOV_MAX];
	struct msghdr mh;
	struct chan_qmsg *m;
	size_t niov, want, sent;
	ssize_t n;

	while (c->qhead != NULL) {
		want = 0;
		for (m = c->qhead, niov = 0; m != NULL && niov < CHAN_IOV_MAX;
		    m = m->next, niov++) {
			iov[niov].iov_base = m->data + m->off;
			iov[niov].iov_len = m->len - m->off;
			want += m->len - m->off;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = niov;
		/* MSG_NOSIGNAL: a dead peer is -EPIPE here, not a SIGPIPE. */
		do
			n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		sent = (size_t)n;
		c->queued -= sent;
		while (sent > 0) {
			m = c->qhead;
			if (sent < m->len - m->off) {
				m->off += sent;
				break;
			}
			sent -= m->len - m->off;
			if ((c->qhead = m->next) == NULL)
				c->qtail = &c->qhead;
			free(m);
		}
		if ((size_t)n < want)
			return -EAGAIN;	/* a short write: the kernel is full */
	}
	return 0;
}

static void
chan_write_cb(struct rt_watch *w, int revents)
{
	struct chan *c = w->arg;
	int err;

	(void)revents;
	err = chan_write(c);
	if (err == -EAGAIN)
		return;
	if (err != 0) {
		chan_fail(c, err);
		return;
	}
	rt_watch_stop(&c->ww);
	c->writing = 0;
}

int
chan_flush(struct chan *c)
{
	int err;

	if (c->fd < 0)
		return -EPIPE;
	if ((err = chan_write(c)) == 0 && c->writing) {
		rt_watch_stop(&c->ww);
		c->writing = 0;
	}
	return err;
}

int
chan_send(struct chan *c, uint16_t type, uint32_t id, pid_t pid,
    const void *payload, size_t len)
{
	struct chan_qmsg *m;
	struct chan_hdr h;
	size_t frame;

	if (c->fd < 0)
		return -EPIPE;
	if (len > CHAN_MAX_PAYLOAD)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.len = (uint32_t)len;
	h.id = id;
	h.pid = pid != 0 ? pid : c->pid;
	if (chan_check_hdr(&h) != 0 || (len > 0 && payload == NULL))
		return -EINVAL;
	frame = CHAN_FRAME_LEN(len);
	if (frame > CHAN_WQ_MAX - c->queued)
		return -ENOBUFS;
	if ((m = malloc(sizeof(*m) + frame)) == NULL)
		return -ENOMEM;
	m->next = NULL;
	m->len = frame;
	m->off = 0;
	memcpy(m->data, &h, sizeof(h));
	if (len > 0)
		memcpy(m->data + sizeof(h), payload, len);
	memset(m->data + sizeof(h) + len, 0, frame - sizeof(h) - len);
	/* The receiver's checks, on our own frame: a bug of ours must not
	 * look like a broken peer on the other side. */
	if (chan_check_frame(m->data, &h) != 0) {
		free(m);
		return -EINVAL;
	}
	*c->qtail = m;
	c->qtail = &m->next;
	c->queued += frame;
	c->nsent++;
	if (!c->writing) {
		rt_watch_start(&c->ww, c->fd, RT_WRITE, chan_write_cb, c);
		c->writing = 1;
	}
	return 0;
}

size_t
chan_pending(const struct chan *c)
{
	return c->queued;
}

/* ---- setting up --------------------------------------------------------- */

int
chan_init(struct chan *c, int fd, chan_msg_cb on_msg, chan_close_cb on_close,
    void *arg)
{
	int flags;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->qtail = &c->qhead;
	if (fd < 0 || on_msg == NULL)
		return -EINVAL;
	if ((flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	if ((c->rbuf = malloc(CHAN_RBUF)) == NULL)
		return -ENOMEM;
	c->fd = fd;
	c->pid = getpid();	/* after fork: the worker calls chan_init */
	c->on_msg = on_msg;
	c->on_close = on_close;
	c->arg = arg;
	rt_watch_start(&c->rw, fd, RT_READ, chan_read_cb, c);
	return 0;
}
