/*
 * chan.h - the master<->worker channel (chan.c): imsg-style messages over
 * one socketpair per worker (DESIGN.md §3, research/process-model.md §4).
 *
 * To be merged into daemon.h; kept apart while daemon.h is being written.
 *
 * A frame on the wire is a 16-byte header, then hdr.len payload bytes, then
 * zero bytes up to the next multiple of CHAN_ALIGN.  Both ends are the same
 * binary, so fields are in host byte order.  The protocol is closed: an
 * unknown type, non-zero flags or padding, a length over CHAN_MAX_PAYLOAD
 * or outside its type's bounds, or a payload its type rejects (QUIT's
 * deadline NaN, STATS' count not matching its length or running past its
 * total) is a protocol error
 * that kills the channel, as imsg's "bad length imsg received" does.
 *
 * Every call here is a plain function: none suspends the caller.
 */
#ifndef ASYNCD_CHAN_H
#define ASYNCD_CHAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <asyncd/rt.h>

/* The header.  len counts the payload only (imsg counts the header too). */
struct chan_hdr {
	uint16_t	 type;		/* enum chan_type */
	uint16_t	 flags;		/* reserved: must be 0 */
	uint32_t	 len;		/* payload bytes, <= CHAN_MAX_PAYLOAD */
	uint32_t	 id;		/* request id, echoed by replies (PONG
					   echoes PING's, STATS STATS_REQ's) */
	int32_t		 pid;		/* the sender's pid */
};

/* imsg's MAX_IMSGSIZE; the largest message, a STATS of CHAN_STATS_CHUNK
 * workers, is 14 KiB. */
#define CHAN_MAX_PAYLOAD	(16 * 1024)
/* Frames are padded to 8 bytes so that a payload read in place, at any
 * offset of the read buffer, is aligned for its uint64_t and double fields:
 * handlers may cast it with no copy (UBSan checks that they can). */
#define CHAN_ALIGN		8
#define CHAN_FRAME_LEN(len)	\
	((sizeof(struct chan_hdr) + (size_t)(len) + CHAN_ALIGN - 1) &	\
	    ~(size_t)(CHAN_ALIGN - 1))
#define CHAN_FRAME_MAX		CHAN_FRAME_LEN(CHAN_MAX_PAYLOAD)
/* The write queue's bound: 16 full frames, far more than a healthy peer
 * ever lets pile up; past it chan_send() says -ENOBUFS. */
#define CHAN_WQ_MAX		(256 * 1024)
/* The read buffer: two full frames, so one read can bring in the rest of
 * a partial frame and the start of the next. */
#define CHAN_RBUF		(2 * CHAN_FRAME_MAX)
/* FATAL's reason text: 1 to this many bytes, no NUL (print with "%.*s"). */
#define CHAN_REASON_MAX		1024

enum chan_type {
	/* worker -> master */
	CHAN_READY = 1,		/* empty: listening, serving */
	CHAN_PONG,		/* struct chan_counters; id = PING's id */
	CHAN_FATAL,		/* reason text; the worker then exits */
	CHAN_STATS_REQ,		/* empty: asks for the aggregate */
	/* master -> worker */
	CHAN_QUIT,		/* struct chan_quit: graceful stop */
	CHAN_TERMINATE,		/* empty: fast stop */
	CHAN_REOPEN_LOGS,	/* empty */
	CHAN_PING,		/* empty; id = a sequence number */
	CHAN_STATS,		/* struct chan_stats, CHAN_STATS_LEN(n) bytes:
				   one answer is one or more of them */
	/* The live task list (/debug/tasks), relayed by the master: */
	CHAN_TASKS_REQ,		/* w->m, struct chan_tasks_req: list every
				   worker's tasks for me */
	CHAN_TASKS_COUNT,	/* m->w, uint32_t: that many parts follow */
	CHAN_TASKS_PULL,	/* m->w, struct chan_tasks_req, pid = the
				   asker's: send yours */
	CHAN_TASKS,		/* w->m, struct chan_tasks, pid = the asker's */
	CHAN_TASKS_PART,	/* m->w, struct chan_tasks, pid = the sender's */
	/* New types go last: both ends are one binary, but a number never
	 * changes meaning (a core or a capture stays readable). */
	CHAN_DRAIN,		/* m->w, empty: a stop with timeouts.drain
				   begins; keep serving, healthz 503, every
				   response Connection: close, until QUIT
				   (or TERMINATE) */
	CHAN_TYPE_MAX		/* not a type: one past the last */
};

/*
 * A task list question.  The master keeps nothing for it: it tells the
 * asker how many workers it asked (TASKS_COUNT, queued before any part,
 * so it arrives first), sends each a PULL naming the asker, and forwards
 * each TASKS to the asker's channel by pid.  An answer that finds the
 * asker gone is dropped; parts that never come are the asker's timeout.
 * All carry the question's id.
 */
struct chan_tasks_req {
	int32_t		 pid;		/* 0 in TASKS_REQ; the asker in PULL */
	uint32_t	 format;	/* enum tasks_format */
};

/* A worker's list (tasks.c's text): up to the payload's maximum. */
struct chan_tasks {
	int32_t		 pid;		/* the asker on the way in, the
					   worker listed on the way out */
	uint32_t	 format;
	char		 text[];	/* len - 8 bytes, no NUL */
};
#define CHAN_TASKS_TEXT_MAX	(CHAN_MAX_PAYLOAD - sizeof(struct chan_tasks))

/*
 * What a worker counts: the HTTP server's struct http_stats (server.h),
 * 584 bytes of uint64_t, carried as it is.  The channel does not look
 * inside (it stays free of the HTTP layer); worker.c and master.c check
 * that the sizes agree.
 */
#define CHAN_COUNTERS_N		73
struct chan_counters {
	uint64_t	 v[CHAN_COUNTERS_N];
};

struct chan_quit {
	double		 deadline;	/* seconds to drain, counted from
					   receipt: finite and >= 0 */
	uint32_t	 reload;	/* 1: a new generation took over (idle
					   keep-alive connections get one more
					   request); 0: a stop.  0 or 1 */
	uint32_t	 reserved;	/* 0 */
};

#define CHAN_STATS_MAX		256	/* worker numbers: CONF_WORKERS_MAX */
/*
 * Workers per STATS message.  An answer covers up to CHAN_STATS_MAX
 * worker numbers at 600 bytes each, 150 KiB, far past CHAN_MAX_PAYLOAD;
 * growing the message instead would grow every channel's read buffer
 * (two frames) with it, 256 of them in the master.  So an answer is split
 * in messages of this many, sent in order in one loop step and with the
 * question's id; the worker assembles them (worker.c).
 */
#define CHAN_STATS_CHUNK	24

/* Why the master replaced a worker (chan_master_stats.restarts). */
enum chan_restart {
	CHAN_RESTART_EXIT,	/* it exited by itself */
	CHAN_RESTART_SIGNAL,	/* a signal we did not send killed it */
	CHAN_RESTART_HEARTBEAT,	/* it stopped answering PING: SIGABRT */
	CHAN_RESTART_STARTUP,	/* a replacement failed before READY */
	CHAN_RESTART_COUNT
};

/* The master's own counters, in every STATS message. */
struct chan_master_stats {
	uint64_t	 reloads;	/* reloads that took effect */
	uint64_t	 reloads_failed;
	uint64_t	 restarts[CHAN_RESTART_COUNT];
	double		 config_loaded;	/* when the configuration in force
					   was loaded: seconds since the epoch */
	uint32_t	 workers;	/* worker processes alive */
	uint32_t	 generation;	/* the one serving */
};

/* One worker number: every process that had it, together. */
struct chan_worker_stats {
	uint32_t	 slot;		/* the worker number, 1-based */
	uint32_t	 procs;		/* processes alive with it now: 2 while
					   a reload's old one drains, 0 while
					   a respawn waits */
	int32_t		 pid;		/* the newest of them; 0 if none */
	uint32_t	 reserved;	/* 0 */
	struct chan_counters c;		/* counters: of every process that had
					   the number since the master started;
					   gauges: of those alive */
};

/*
 * One message of an answer: entries first .. first + count - 1 of
 * nworkers.  Only the first count entries travel: the payload is
 * CHAN_STATS_LEN(count) bytes, and a length that disagrees with count, or
 * entries past nworkers, is a protocol error.
 */
struct chan_stats {
	uint32_t	 nworkers;	/* <= CHAN_STATS_MAX */
	uint32_t	 first;
	uint32_t	 count;		/* <= CHAN_STATS_CHUNK; 0 only when
					   nworkers is */
	uint32_t	 reserved;	/* 0 */
	struct chan_master_stats m;
	struct chan_worker_stats w[CHAN_STATS_CHUNK];
};

#define CHAN_STATS_LEN(n)	(offsetof(struct chan_stats, w) +	\
	    (size_t)(n) * sizeof(struct chan_worker_stats))

struct chan;

/*
 * on_msg gets each complete, validated message in order.  hdr is a copy;
 * payload (hdr->len bytes, aligned to CHAN_ALIGN) lives in the read buffer
 * until on_msg returns.  on_msg may call chan_send() and chan_close(), but
 * must neither free c nor chan_init() it again: the read callback checks c
 * once on_msg returns.
 */
typedef void (*chan_msg_cb)(struct chan *c, const struct chan_hdr *hdr,
    const void *payload, void *arg);
/*
 * on_close runs once, when the channel dies by itself: err 0 at a clean EOF,
 * -EPROTO for a protocol error (a truncated frame at EOF included), or an
 * I/O error (-ECONNRESET, -EPIPE...).  By then c is closed (watchers
 * stopped, fd closed, buffers freed) and is not touched again: on_close may
 * free it.  chan_close() does not call it.
 */
typedef void (*chan_close_cb)(struct chan *c, int err, void *arg);

struct chan_qmsg;

/*
 * One end of a channel.  Owned by whoever embeds it (a worker slot in the
 * master, the worker's globals); it owns the fd, the read buffer and the
 * queued frames from chan_init() until it closes.
 * ro: may be read anytime; private: chan.c's.
 */
struct chan {
	int		 fd;		/* ro: -1 once closed */
	int		 writing;	/* ro: 1 while RT_WRITE is watched,
					   i.e. while chan_pending() > 0 */
	struct rt_watch	 rw, ww;	/* private: RT_READ, RT_WRITE */
	unsigned char	*rbuf;		/* private: CHAN_RBUF bytes */
	size_t		 rlen;		/* private: bytes in rbuf */
	struct chan_qmsg *qhead;	/* private: the write queue, FIFO */
	struct chan_qmsg **qtail;
	size_t		 queued;	/* private: bytes in the queue */
	unsigned	 closes;	/* private: bumped by each close */
	pid_t		 pid;		/* private: getpid() at chan_init */
	chan_msg_cb	 on_msg;	/* private */
	chan_close_cb	 on_close;	/* private */
	void		*arg;		/* private */
	uint64_t	 nsent, nrecv;	/* ro: messages queued and dispatched */
};

/*
 * Takes ownership of fd (one end of a SOCK_STREAM socketpair), makes it
 * non-blocking and starts reading.  Needs the process's loop (rt_loop_init).
 * Returns 0, -EINVAL (fd < 0 or on_msg NULL), -ENOMEM or fcntl's -errno;
 * on failure fd stays the caller's and c is closed (chan_close is a no-op).
 * c must be fresh or closed: an open c still has watchers in the loop.
 */
int	chan_init(struct chan *c, int fd, chan_msg_cb on_msg,
	    chan_close_cb on_close, void *arg);

/*
 * Queues one message: the frame is copied, so payload (len bytes) stays the
 * caller's.  pid 0 means our pid.  Nothing is written here: the loop writes
 * once the fd is writable (so chan_send never meets an I/O error and never
 * re-enters a callback), and messages sent in one loop step go out in one
 * sendmsg().  Returns 0; -EPIPE once closed; -EMSGSIZE if len exceeds
 * CHAN_MAX_PAYLOAD; -EINVAL for an unknown type or a payload the peer would
 * reject; -ENOBUFS if the queue would pass CHAN_WQ_MAX (nothing queued: the
 * peer is not reading); -ENOMEM.
 */
int	chan_send(struct chan *c, uint16_t type, uint32_t id, pid_t pid,
	    const void *payload, size_t len);

/*
 * Writes what the kernel takes now, without waiting (a worker's last FATAL
 * before _exit).  Returns 0 when the queue is empty, -EAGAIN when bytes
 * remain, -EPIPE once closed, or the write's -errno (the channel stays open;
 * its write callback reports the error through on_close).
 */
int	chan_flush(struct chan *c);

/* Bytes queued and not yet taken by the kernel. */
size_t	chan_pending(const struct chan *c);

/* Stops the watchers, closes the fd, drops queued frames and frees the
 * buffers; on_close is not called.  Safe on a closed channel. */
void	chan_close(struct chan *c);

/*
 * Reads and dispatches every message the peer sent until nothing more is
 * there (or until EOF, which closes c and calls on_close).  For a peer
 * known to be gone: its last messages (a READY just before it died) are
 * heard before its death is handled.
 */
void	chan_drain(struct chan *c);

/* "READY", "PONG"...; "?" for an unknown type. */
const char *chan_type_name(unsigned type);

#endif /* ASYNCD_CHAN_H */
