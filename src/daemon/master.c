/*
 * master.c - the master process: binds, forks and supervises the workers,
 * and never serves a request (DESIGN.md §3, after nginx and OpenBSD httpd).
 *
 *   peers: each worker, over its own socketpair channel (chan.c);
 *          systemd, over NOTIFY_SOCKET (notify.c).
 *
 * Everything runs as callbacks on the master's loop, on the main stack:
 * fork() is only ever called from a callback, never from a task, so a
 * child never starts life on a coroutine stack it would then free.
 *
 * Workers come in generations, numbered from 1 and never reused: m.cur
 * is the one serving, m.next_gen a reload's while it starts (0: none).
 * Start and reload (SIGHUP) fork a whole generation and wait until every
 * one of its workers has said READY; only then does a reload tell the
 * previous generation to QUIT and the new one become m.cur.  A reload
 * that fails at any step (the file, a listener, a fork, a worker dying or
 * late before READY) kills what it started and leaves exactly the old
 * workers and listeners; its number is spent, so the stragglers of an
 * aborted generation can never be counted as a later one's.
 *
 * The listening sockets belong to the master and outlive generations, so
 * connections waiting in the kernel's accept queue during a reload are
 * simply accepted by the new workers: a reload drops nothing.  Each
 * listener records which of the two live configurations use it (USE_CUR,
 * USE_NEXT): a reload marks or opens what it needs, and either commits
 * (what only the old one used is closed) or rolls back (what only the new
 * one used is closed); a respawned worker of m.cur gets exactly m.cur's.
 * (With reuseport each worker gets its own SO_REUSEPORT socket instead,
 * which spreads accepts more evenly, but the connections queued on a
 * closing worker's socket at reload are lost: that is the trade-off, and
 * why it is off by default.)
 *
 * States and transitions.  The master is a state machine: master-fsm.c
 * holds its tables (pure, no I/O; tests/unit/test-daemon-master-fsm.c
 * drives every edge) and this file performs the actions.  Signals, child
 * exits, channel messages, handover lines and timers each become one event
 * for master_event(), the one place the state changes; an action that
 * fails, or leads on, names the event that follows (master_follow).  An
 * event without an edge is ignored in that state.
 *
 *   state          event              guard     actions (MA_*)    next
 *   starting       HUP, USR2          -         WARN_IGNORED      starting
 *   starting       GEN_READY          upgraded  UP_SAY_READY      handover
 *   starting       GEN_READY          -         SERVE             serving
 *   starting       NEW_FAILED,        -         TRIP              stopping-fast
 *                  READY_TIMEOUT
 *   starting       TAKEOVER           -         UP_TAKE           starting
 *   starting       LOST               -         RESPAWN_LATER     starting
 *   starting       RESPAWN_TIMER      -         RESPAWN           starting
 *   serving        HUP                -         RELOAD_BEGIN      reloading
 *   serving        USR2               -         UP_START          upgrading
 *   reloading      HUP, USR2          -         WARN_IGNORED      reloading
 *   reloading      GEN_READY          -         RELOAD_COMMIT     serving
 *   reloading      NEW_FAILED,        -         RELOAD_ABORT      serving
 *                  READY_TIMEOUT
 *   reloading      CONF_BAD           -         -                 serving
 *   upgrading      HUP, USR2          -         WARN_IGNORED      upgrading
 *   upgrading      UP_READY           -         UP_HANDOVER       stopping
 *   upgrading      UP_ERROR           -         UP_ERROR          upgrading
 *   upgrading      UP_EXIT            -         UP_REAPED         serving
 *   upgrading      UP_FAILED          -         -                 serving
 *   upgrading      UP_TIMEOUT         -         UP_TIMEOUT        upgrading
 *   handover       HUP, USR2          -         WARN_IGNORED      handover
 *   handover       TAKEOVER           -         UP_TAKE           serving
 *   S (each of     TERM, QUIT         drain     STOP_BEGIN,       draining
 *    the five                                   UP_ABANDON,
 *    above)                                     DRAIN_ALL
 *   S              TERM, QUIT         -         STOP_BEGIN,       stopping
 *                                               UP_ABANDON, QUIT_ALL
 *   S but starting LOST               -         RESPAWN_LATER     (same)
 *   S but starting REPLACEMENT_FAILED breaker   TRIP, UP_ABANDON  stopping-fast
 *   S but starting REPLACEMENT_FAILED -         RESPAWN_LATER     (same)
 *   S but starting RESPAWN_TIMER      -         RESPAWN           (same)
 *   draining       DRAIN_TIMER        -         QUIT_ALL          stopping
 *   draining,      TERM               -         STOP_BEGIN,       stopping-fast
 *   stopping                                    UP_ABANDON,
 *                                               TERMINATE_ALL
 *   stopping,      KILL_TIMER         -         KILL_ALL          (same)
 *   stopping-fast
 *   draining,      UP_ERROR           -         UP_ERROR          (same)
 *   stopping,      UP_EXIT            -         UP_REAPED         (same)
 *   stopping-fast  UP_TIMEOUT         -         UP_TIMEOUT        (same)
 *                  ALL_GONE           -         EXIT              done
 *
 * (upgraded: we are a new master whose old one is still there; drain:
 * timeouts.drain > 0; breaker: BREAKER_STARTS replacements in a row failed
 * before READY.)  So a QUIT never makes a stop faster, a second TERM or
 * INT always does, nothing is reloaded or upgraded during a stop, and a new
 * master we abandoned cannot be handed over to by a READY line it sends
 * late.
 *
 * Each worker slot has its own machine (struct slot, SS_*):
 *
 *   state      event        stopping  actions (SA_*)     next
 *   free       FORKED       -         -                  starting
 *   starting   READY        yes       LATE_READY         ready
 *   starting   READY        no        READY              ready
 *   quitting,  READY        -         LATE_READY         (same)
 *   killed
 *   ready      SILENT       -         SIGABRT            aborted
 *   quitting   SILENT       -         SIGABRT            quitting
 *   aborted,   GRACE        -         SIGKILL            (same)
 *   quitting,
 *   killed
 *   starting,  QUIT         -         SEND_QUIT          quitting
 *   ready,     TERMINATE    -         SEND_TERMINATE     quitting
 *   aborted
 *   quitting   TERMINATE    -         SEND_TERMINATE     quitting
 *   killed     TERMINATE    -         SEND_TERMINATE     killed
 *   any live   KILL         -         SIGKILL            killed
 *   starting,  CHAN_ERROR   yes       CHAN_NOTE          (same)
 *   ready,     CHAN_ERROR   no        CHAN_KILL          (same)
 *   aborted
 *   quitting,  CHAN_ERROR   -         CHAN_NOTE          (same)
 *   killed
 *   starting   EXIT         no        EXIT_EARLY         free
 *   ready,     EXIT         no        EXIT_SERVED        free
 *   aborted
 *   any live   EXIT         (else)    EXIT_EXPECTED      free
 *
 * SA_READY may complete the starting generation (GEN_READY); EXIT_EARLY
 * is NEW_FAILED for the starting generation, REPLACEMENT_FAILED for
 * m.cur's; EXIT_SERVED is LOST.  LATE_READY counts for nothing: an aborted
 * reload's killed worker whose READY was on its way cannot complete the
 * next reload's generation, whose number is new anyway.
 *
 * Supervision:
 *   CHLD   a worker that dies without being told to is replaced after a
 *          backoff doubling from BACKOFF_MIN to BACKOFF_MAX, forever, as
 *          nginx and gunicorn do: an OOM killer or an operator's kill -9
 *          must not stop the service.  The backoff starts again from the
 *          bottom once the dead worker had served for HEALTHY_AFTER (twice
 *          BACKOFF_MAX: a worker that outlived a whole crash loop's wait
 *          was healthy), as supervisors do (master_fsm_backoff).  The
 *          breaker is for workers that fail before READY, a broken config
 *          or environment, where respawning is a fork loop: at the first
 *          start, one failure stops the master (exit 1); a reload's failure
 *          aborts the reload; replacements failing BREAKER_STARTS times in
 *          a row stop the master.
 *   PING   every heartbeat/4 seconds; a worker whose answer is older than
 *          the heartbeat timeout gets SIGABRT (a core to debug), and
 *          SIGKILL 2 s later; CHLD then replaces it.  A tick that comes
 *          more than a period late (the master was stopped: the workers
 *          served on, their PONGs unread) starts a new round instead of
 *          judging.
 * A worker the master told to go (QUIT, TERMINATE, SIGKILL of an aborted
 * reload) dies as expected: its exit and its channel's reset are logged at
 * the debug level, not as errors.
 *
 * Listeners are bound by the master, or adopted from systemd socket
 * activation (LISTEN_FDS) when one is bound to a listen address.  The
 * stats listener (stats.listen) is one more, shared by every worker even
 * with reuseport, and handed to workers apart from the public ones.
 *
 * Counters: each PONG brings a worker's struct http_stats.  When a worker
 * exits, the master adds its last counters to its worker number's base
 * (m.base), so what a STATS answer says of a number, base plus the live
 * processes', never goes back across respawns and reloads.  The master
 * counts reloads, restarts by cause and the configuration's load time
 * itself (m.ms).
 *
 * Signals: TERM, INT, QUIT graceful stop (with timeouts.drain, first DRAIN
 * to every worker and that long of serving with healthz 503; then QUIT
 * with the shutdown timeout to every worker, SIGKILL for what remains one
 * second after it); a second TERM or INT is a fast stop (TERMINATE, then
 * SIGKILL one second later), during the drain too.
 * HUP reload, USR1 reopen logs (ours, then the workers'), USR2 binary
 * upgrade (below).  Every other catchable signal is ignored
 * (signals_ignore: a stray one must not kill the service); WINCH, which
 * operators send to nginx by habit, is logged as ignored.
 *
 * Binary upgrade (USR2), nginx's USR2 + WINCH + QUIT in one step:
 *
 *   old master                          new master (our child)
 *   fork, exec self -c path   ------>   LISTEN_FDS = every listener,
 *                                       ASYNCD_UPGRADE = "oldpid:fd"
 *                                       load, check, adopt the sockets,
 *                                       fork workers, wait for READY
 *                             <------   "READY\n"
 *   MAINPID=new to systemd,
 *   "TAKEOVER\n"              ------>   pid file, READY=1 to systemd
 *   graceful stop of our workers,
 *   exit                                serving
 *
 * The listening sockets never close, so nothing queued is lost, and both
 * generations accept until the old one's workers leave.  If the new
 * master fails at any step (no such file, a bad configuration, workers
 * that die or stay silent past its timeouts.ready, or silence past
 * UPGRADE_WAIT more) it exits or is stopped, this master logs why and
 * keeps serving as before.  The handover speaks only sd_listen_fds(3)'s
 * variables and two text lines, never the channel's binary frames: the
 * two masters are different builds, and any later asyncd must understand
 * this one.  Under systemd (Type=notify, NotifyAccess=main) the old master
 * names the new one with MAINPID= before it lets go, and each says nothing
 * while it is not the main process (notify_hold).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "daemon.h"
#include "master-fsm.h"
#include "notify.h"
#include "pidfile.h"

/* Two generations, and the stragglers of a third (draining, or killed
 * by an aborted reload and not yet reaped). */
#define SLOTS_MAX		(3 * CONF_WORKERS_MAX)
#define KILL_GRACE		2.0	/* SIGABRT, then SIGKILL this late */
#define STOP_GRACE		1.0	/* after the deadline: SIGKILL */
#define UPGRADE_WAIT		10.0	/* past the new master's READY timeout */
#define UPGRADE_LINE		128	/* a handover line, newline included */

/* Which live configuration uses a listener. */
#define USE_CUR			0x1	/* the generation serving */
#define USE_NEXT		0x2	/* a reload's, until it commits */

/* One listening socket, shared by every worker (or, with reuseport, one
 * per worker slot). */
struct listener {
	char		 addr[CONF_ADDR_MAX];
	int		 fd;
	int		 backlog;	/* as last given to listen(2) */
	int		 slot;		/* reuseport: the slot it serves; else -1 */
	int		 stats;		/* the stats listener */
	unsigned	 use;		/* USE_* */
};

/* One worker process, from fork to reaped (SS_FREE: none). */
struct slot {
	enum slot_state	 state;
	int		 gen;
	int		 index;		/* worker number, 1-based */
	pid_t		 pid;
	double		 ready_at;	/* when it said READY, or 0 */
	pid_t		 replaces;	/* the dead worker it replaces, or 0 */
	struct chan	 ch;
	int		 chan_open;
	uint32_t	 ping_id;
	double		 ping_sent;	/* 0: no PING unanswered */
	double		 aborted;	/* when SIGABRT was sent, or 0 */
	int		 exit_status;	/* as reaped, for SA_EXIT_* */
	struct http_stats counters;	/* as of its last PONG */
};

/*
 * A binary upgrade, from either side.  The old master has pid (its child,
 * the new master) from fork until it is reaped; the new master has prev
 * (the old one) until TAKEOVER or the old one's end.  fd is the handover
 * socket, open while the two talk.
 */
struct upgrade {
	pid_t		 pid;
	pid_t		 prev;
	int		 fd;
	int		 handed;	/* old: told the new one to take over */
	int		 ready_sent;	/* new: said READY */
	int		 killed;	/* old: gave up on it, sent SIGTERM */
	int		 status;	/* old: how it ended, as reaped */
	char		 line[UPGRADE_LINE];
	size_t		 len;
	struct rt_watch	 io;
	struct rt_timer	 timer;
};

static struct master {
	enum master_state	 state;
	struct asyncd_conf	 conf;		/* m.cur's */
	struct asyncd_conf	 next;		/* m.next's, while it starts */
	const char		*path;
	const char		*self;		/* what USR2 runs */
	struct upgrade		 up;
	int			 gen;		/* the last number given */
	int			 cur;		/* the generation serving */
	int			 next_gen;	/* a reload's; 0: none */
	int			 logs_moved;	/* the reload reopened the logs */
	struct listener		 ls[CONF_LISTEN_MAX * (CONF_WORKERS_MAX + 1)];
	size_t			 nls;
	struct slot		 slots[SLOTS_MAX];
	sigset_t		 handled_set;	/* blocked across fork */
	struct rt_timer		 drain_timer;	/* timeouts.drain, then QUIT */
	int			 pid_written;
	int			 exit_status;
	unsigned		 start_failures; /* in a row, of replacements */
	double			 backoff;
	double			 served;	/* the dead worker's time, or -1 */
	double			 respawn_in;	/* as master_respawn_later set it */
	enum master_event	 follow;	/* master_follow's */
	const char		*follow_why;
	pid_t			 dead[CONF_WORKERS_MAX + 1]; /* by index: the
						   last of m.cur's to die */
	/* By worker number: what its processes that exited had counted. */
	struct http_stats	 base[CONF_WORKERS_MAX + 1];
	int			 nindex;	/* the highest number used */
	struct chan_master_stats ms;	/* reloads, restarts, load time */
	double			 next_loaded;	/* m.next's load time */
	struct rt_timer		 heartbeat, ready_timer, kill_timer, respawn_timer,
				 watchdog;
	double			 hb_last;	/* the heartbeat's last tick */
	struct rt_signal	 sig[7];
	struct rt_child		 child;
} m;

/* Signals with a watcher of ours; SIGCHLD is the runtime's (rt_child below). */
static const int handled[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1,
    SIGUSR2, SIGWINCH };

static struct slot *master_spawn(int gen, int index,
		    const struct asyncd_conf *conf);
static void	master_follow(enum master_event ev, const char *why);

static double
master_now_mono(void)
{
	return rt_loop_time();
}

/* Seconds since the epoch, for the configuration's load time. */
static double
master_wall_now(void)
{
	struct timespec ts;

	/* CLOCK_REALTIME cannot fail with a valid pointer. */
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t
master_slots_alive(int gen)
{
	size_t i, n = 0;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE &&
		    (gen < 0 || m.slots[i].gen == gen))
			n++;
	return n;
}

static size_t
master_slots_ready(int gen)
{
	size_t i, n = 0;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE && m.slots[i].gen == gen &&
		    (m.slots[i].state == SS_READY ||
		    m.slots[i].state == SS_ABORTED))
			n++;
	return n;
}

static int
master_workers_wanted(const struct asyncd_conf *conf)
{
	long n;

	if (conf->workers != CONF_WORKERS_AUTO)
		return conf->workers;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > CONF_WORKERS_MAX ? CONF_WORKERS_MAX : (int)n;
}

static void
master_status(void)
{
	uint64_t open = 0, req = 0;
	size_t i, n = 0;

	for (i = 0; i < SLOTS_MAX; i++) {
		if (m.slots[i].state == SS_FREE)
			continue;
		n++;
		open += m.slots[i].counters.open;
	}
	for (i = 1; i <= (size_t)m.nindex; i++)
		req += http_stats_requests(&m.base[i]);
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE)
			req += http_stats_requests(&m.slots[i].counters);
	(void)notify_status("%zu workers, %llu connections, %llu requests", n,
	    (unsigned long long)open, (unsigned long long)req);
}

/* ---- listeners ------------------------------------------------------------- */

/*
 * Sockets passed by systemd socket activation (sd_listen_fds(3), spoken
 * by hand), or by the master we upgrade from, the same way: LISTEN_PID
 * names us, LISTEN_FDS counts fds from 3.  Each is used for the listen
 * address it is bound to; the variables are unset so that workers do not
 * see them.
 */
static int	 activated[CONF_LISTEN_MAX];
static size_t	 nactivated;

static void
master_activated_init(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long n, i;
	int fd, flags;

	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != getpid())
		return;
	n = strtol(fds, NULL, 10);
	for (i = 0; i < n && nactivated < CONF_LISTEN_MAX; i++) {
		fd = 3 + (int)i;
		if ((flags = fcntl(fd, F_GETFD)) == -1 ||
		    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1) {
			log_warn("LISTEN_FDS: fd %d: %s", fd, strerror(errno));
			continue;
		}
		activated[nactivated++] = fd;
	}
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
}

/*
 * Whether a bound socket's address ss is the one a listen address asks
 * for: the same family, address and port, where port 0 (ephemeral) is
 * any port, so that an upgrade keeps the port the old master was given.
 */
static int
master_activated_match(const struct sockaddr_storage *ss,
    const struct sockaddr *want)
{
	const struct sockaddr_in *a4 = (const void *)ss, *w4 = (const void *)want;
	const struct sockaddr_in6 *a6 = (const void *)ss,
	    *w6 = (const void *)want;

	if (ss->ss_family != want->sa_family)
		return 0;
	if (want->sa_family == AF_INET)
		return a4->sin_addr.s_addr == w4->sin_addr.s_addr &&
		    (w4->sin_port == 0 || a4->sin_port == w4->sin_port);
	if (want->sa_family == AF_INET6)
		return memcmp(&a6->sin6_addr, &w6->sin6_addr,
		    sizeof(w6->sin6_addr)) == 0 &&
		    a6->sin6_scope_id == w6->sin6_scope_id &&
		    (w6->sin6_port == 0 || a6->sin6_port == w6->sin6_port);
	return 0;
}

/* The activated socket bound to addr, taken from the list, or -1. */
static int
master_activated_take(const struct sockaddr *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;
	int fd;

	for (i = 0; i < nactivated; i++) {
		sl = sizeof(ss);
		if (getsockname(activated[i], (struct sockaddr *)&ss, &sl) == -1 ||
		    !master_activated_match(&ss, addr))
			continue;
		fd = activated[i];
		activated[i] = activated[--nactivated];
		/* Non-blocking, as the workers' accept loop needs. */
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
			log_warn("fd %d: O_NONBLOCK: %s", fd, strerror(errno));
		return fd;
	}
	return -1;
}

/* Activated sockets no listen address asked for: not ours to keep. */
static void
master_activated_close_unused(void)
{
	size_t i;

	for (i = 0; i < nactivated; i++) {
		log_warn("LISTEN_FDS: fd %d matches no listen address: closed",
		    activated[i]);
		(void)close(activated[i]);	/* a listener: nothing to lose */
	}
	nactivated = 0;
}

/*
 * A listening socket for l, as config.c parsed and canonicalised it: host
 * "*", an IPv4 address, or "[IPv6]".
 */
static int
master_listener_open(const struct conf_listen *l, int reuseport)
{
	struct rt_addr a;
	char why[128];
	int fd;

	if (rt_addr_parse(&a, l->addr, why, sizeof(why)) != 0) {
		log_error("cannot listen on %s: %s", l->addr, why);
		return -1;
	}
	/* With reuseport, an upgrade passes one socket per worker and
	 * address, all bound alike: each call takes the next. */
	if ((fd = master_activated_take((struct sockaddr *)&a.ss)) != -1) {
		if (m.up.prev != 0)
			log_debug("%s: socket from the old master (pid %ld)",
			    l->addr, (long)m.up.prev);
		else
			log_info("%s: socket from systemd (LISTEN_FDS)",
			    l->addr);
		return fd;
	}
	if ((fd = rt_listen_socket(&a, l->backlog, reuseport ?
	    RT_LISTEN_REUSEPORT : 0)) < 0) {
		log_error("cannot listen on %s: %s", l->addr, rt_strerror(fd));
		return -1;
	}
	return fd;
}

static int
master_listener_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/*
 * Marks every socket conf needs with use (USE_CUR at the first start,
 * USE_NEXT for a reload), opening those no live configuration has yet.
 * Returns 0, or -1 (logged) if one cannot be bound: the caller then rolls
 * back with master_listeners_drop(use).
 */
static int
master_listeners_prepare(const struct asyncd_conf *conf, unsigned use)
{
	int nslots = conf->reuseport ? master_workers_wanted(conf) : 1;
	const struct conf_listen *cl;
	struct listener *l;
	size_t i, j;
	int s, fd, slot, stats;

	/* The public addresses, then the stats listener's. */
	for (i = 0; i < conf->nlisten + (conf->has_stats_listen != 0); i++) {
		stats = i == conf->nlisten;
		cl = stats ? &conf->stats_listen : &conf->listen[i];
		for (s = 0; s < (stats ? 1 : nslots); s++) {
			slot = conf->reuseport && !stats ? s : -1;
			for (j = 0; j < m.nls; j++)
				if (strcmp(m.ls[j].addr, cl->addr) == 0 &&
				    m.ls[j].slot == slot &&
				    m.ls[j].stats == stats)
					break;
			if (j < m.nls) {
				m.ls[j].use |= use;
				/* A reload's backlog= applies to the socket
				 * kept: listen(2) again only resizes it. */
				if (m.ls[j].backlog != cl->backlog &&
				    listen(m.ls[j].fd, cl->backlog) == 0) {
					m.ls[j].backlog = cl->backlog;
					log_info("%s: backlog %d", cl->addr,
					    cl->backlog);
				}
				continue;
			}
			if (m.nls == sizeof(m.ls) / sizeof(m.ls[0])) {
				log_error("cannot listen on %s: too many "
				    "sockets", cl->addr);
				return -1;
			}
			if ((fd = master_listener_open(cl, conf->reuseport &&
			    !stats)) == -1)
				return -1;
			l = &m.ls[m.nls++];
			(void)snprintf(l->addr, sizeof(l->addr), "%s",
			    cl->addr);
			l->fd = fd;
			l->backlog = cl->backlog;
			l->slot = slot;
			l->stats = stats;
			l->use = use;
			/* Tests read the real port of ":0" from this line
			 * (the stats listener's from its own words). */
			log_info("%s on %s:%d%s", stats ? "stats pages" :
			    "listening", cl->host, master_listener_port(fd),
			    cl->proxy_protocol ? " (PROXY protocol)" : "");
		}
	}
	return 0;
}

/*
 * Forgets use on every socket and closes those no live configuration uses
 * any more: master_listeners_drop(USE_NEXT) rolls a failed reload back,
 * master_listeners_drop(USE_CUR) then the move of USE_NEXT to USE_CUR commits a
 * good one.
 */
static void
master_listeners_drop(unsigned use)
{
	size_t i = 0;

	while (i < m.nls) {
		m.ls[i].use &= ~use;
		if (m.ls[i].use != 0) {
			i++;
			continue;
		}
		log_info("closed the listener on %s", m.ls[i].addr);
		/* A listener: closing it cannot lose data. */
		(void)close(m.ls[i].fd);
		m.ls[i] = m.ls[--m.nls];
	}
}

/* A reload's listeners become the serving ones. */
static void
master_listeners_commit(void)
{
	size_t i;

	master_listeners_drop(USE_CUR);
	for (i = 0; i < m.nls; i++)
		m.ls[i].use = USE_CUR;
}

/* ---- workers ------------------------------------------------------------- */

static struct slot *
master_slot_by_pid(pid_t pid)
{
	size_t i;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE && m.slots[i].pid == pid)
			return &m.slots[i];
	return NULL;
}

static void
master_slot_send(struct slot *sl, uint16_t type, const void *p, size_t len)
{
	int err;

	if (!sl->chan_open)
		return;
	if ((err = chan_send(&sl->ch, type, 0, getpid(), p, len)) != 0)
		log_warn("worker %d (pid %ld): cannot send %s: %s", sl->index,
		    (long)sl->pid, chan_type_name(type), rt_strerror(err));
}

static void	master_event(enum master_event ev, const char *why);
static void	master_slot_exited(struct slot *sl, unsigned actions);
static void	master_slot_ready(struct slot *sl);

/* Whether the master is in a stop (the slots' SG_STOPPING). */
static int
master_stopping(void)
{
	return master_fsm_stopping(m.state);
}

/*
 * Feeds ev to sl's machine (master-fsm.c) and does what it says.  arg is
 * the struct chan_quit of SE_QUIT and the error (int) of SE_CHAN_ERROR.
 */
static void
master_slot_event(struct slot *sl, enum slot_event ev, const void *arg)
{
	enum slot_state from = sl->state;
	unsigned a;
	int err;

	a = slot_fsm_step(from, ev, master_stopping(), &sl->state);
	if (a & SA_SEND_QUIT)
		master_slot_send(sl, CHAN_QUIT, arg, sizeof(struct chan_quit));
	if (a & SA_SEND_TERMINATE)
		master_slot_send(sl, CHAN_TERMINATE, NULL, 0);
	if (a & SA_SIGABRT) {
		log_error("worker %d (pid %ld) did not answer for %g s: "
		    "SIGABRT", sl->index, (long)sl->pid,
		    m.conf.timeouts.heartbeat);
		sl->aborted = master_now_mono();
		(void)kill(sl->pid, SIGABRT);	/* may be gone */
	}
	if (a & SA_SIGKILL)
		(void)kill(sl->pid, SIGKILL);	/* may be gone */
	if (a & (SA_READY | SA_LATE_READY)) {
		sl->ready_at = master_now_mono();
		log_debug("worker %d (pid %ld, generation %d) ready",
		    sl->index, (long)sl->pid, sl->gen);
	}
	if (a & (SA_CHAN_NOTE | SA_CHAN_KILL)) {
		err = *(const int *)arg;
		/* A worker we told to go may reset its end as it exits,
		 * with our last messages unread: expected, not an error. */
		if (a & SA_CHAN_NOTE)
			log_debug("worker %d (pid %ld): channel: %s",
			    sl->index, (long)sl->pid, rt_strerror(err));
		else {
			/* A broken protocol is fatal for that channel and
			 * worker. */
			log_error("worker %d (pid %ld): channel: %s: killing it",
			    sl->index, (long)sl->pid, rt_strerror(err));
			(void)kill(sl->pid, SIGKILL);
		}
	}
	if (a & SA_READY)
		master_slot_ready(sl);
	if (a & (SA_EXIT_EXPECTED | SA_EXIT_EARLY | SA_EXIT_SERVED))
		master_slot_exited(sl, a);
}

static void
master_slot_quit(struct slot *sl, double deadline, int reload)
{
	struct chan_quit q = { .deadline = deadline, .reload = reload != 0 };

	master_slot_event(sl, SE_QUIT, &q);
}

static void
master_gen_signal(int gen, int sig)
{
	size_t i;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE &&
		    (gen < 0 || m.slots[i].gen == gen))
			(void)kill(m.slots[i].pid, sig);	/* may be gone */
}

_Static_assert(sizeof(struct http_stats) == sizeof(struct chan_counters),
    "PONG carries struct http_stats as it is");

/* Worker number index's entry of a STATS answer. */
static void
master_stats_entry(int index, struct chan_worker_stats *e)
{
	struct http_stats c = m.base[index];
	const struct slot *sl;
	int gen = 0;
	size_t i;

	memset(e, 0, sizeof(*e));
	e->slot = (uint32_t)index;
	for (i = 0; i < SLOTS_MAX; i++) {
		sl = &m.slots[i];
		if (sl->state == SS_FREE || sl->index != index)
			continue;
		http_stats_add(&c, &sl->counters);
		c.open += sl->counters.open;
		c.active += sl->counters.active;
		e->procs++;
		if (sl->gen > gen) {
			gen = sl->gen;
			e->pid = sl->pid;
		}
	}
	memcpy(&e->c, &c, sizeof(e->c));
}

/*
 * Answers a STATS_REQ: every worker number's counters, CHAN_STATS_CHUNK
 * numbers a message.  If the channel cannot take them all (a worker that
 * stopped reading), the rest is dropped: the asker sees an answer that
 * never completes, and asks again.
 */
static void
master_stats_send(struct chan *c, uint32_t id)
{
	struct chan_stats st;
	uint32_t first = 0, k;

	memset(&st, 0, sizeof(st));
	st.m = m.ms;
	st.m.workers = (uint32_t)master_slots_alive(-1);
	st.m.generation = (uint32_t)m.cur;
	st.nworkers = (uint32_t)m.nindex;
	do {
		st.first = first;
		st.count = st.nworkers - first < CHAN_STATS_CHUNK ?
		    st.nworkers - first : CHAN_STATS_CHUNK;
		for (k = 0; k < st.count; k++)
			master_stats_entry((int)(first + k + 1), &st.w[k]);
		if (chan_send(c, CHAN_STATS, id, getpid(), &st,
		    CHAN_STATS_LEN(st.count)) != 0)
			return;
		first += st.count;
	} while (first < st.nworkers);
}

/*
 * /debug/tasks: asker's question (chan.h, struct chan_tasks_req), relayed
 * to every worker with an open channel, of every generation (a draining
 * worker's stuck tasks are what an operator looks for), the asker itself
 * included.  The count goes first, so the asker knows how many parts to
 * wait for.
 */
static void
master_tasks_ask(struct slot *asker, uint32_t id,
    const struct chan_tasks_req *rq)
{
	struct chan_tasks_req pull = { .pid = asker->pid,
	    .format = rq->format };
	uint32_t n = 0;
	int i;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE && m.slots[i].chan_open)
			n++;
	if (chan_send(&asker->ch, CHAN_TASKS_COUNT, id, getpid(), &n,
	    sizeof(n)) != 0)
		return;
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE && m.slots[i].chan_open)
			(void)chan_send(&m.slots[i].ch, CHAN_TASKS_PULL, id,
			    getpid(), &pull, sizeof(pull));
}

/* A worker's list, forwarded to the asker named in it, if still there. */
static void
master_tasks_relay(struct slot *from, const struct chan_hdr *hdr,
    const struct chan_tasks *t)
{
	static union {
		struct chan_tasks	 t;
		char			 bytes[CHAN_MAX_PAYLOAD];
	} out;
	int i;

	for (i = 0; i < SLOTS_MAX; i++) {
		if (m.slots[i].state == SS_FREE || !m.slots[i].chan_open ||
		    m.slots[i].pid != t->pid)
			continue;
		memcpy(&out, t, hdr->len);
		out.t.pid = from->pid;
		(void)chan_send(&m.slots[i].ch, CHAN_TASKS_PART, hdr->id,
		    getpid(), &out, hdr->len);
		return;
	}
}

static void
master_worker_msg_cb(struct chan *c, const struct chan_hdr *hdr,
    const void *payload, void *arg)
{
	struct slot *sl = arg;

	switch (hdr->type) {
	case CHAN_READY:
		master_slot_event(sl, SE_READY, NULL);
		break;
	case CHAN_PONG:
		memcpy(&sl->counters, payload, sizeof(sl->counters));
		if (hdr->id == sl->ping_id)
			sl->ping_sent = 0;
		break;
	case CHAN_FATAL:
		log_error("worker %d (pid %ld): %.*s", sl->index, (long)sl->pid,
		    (int)hdr->len, (const char *)payload);
		break;
	case CHAN_STATS_REQ:
		master_stats_send(c, hdr->id);
		break;
	case CHAN_TASKS_REQ:
		master_tasks_ask(sl, hdr->id, payload);
		break;
	case CHAN_TASKS:
		master_tasks_relay(sl, hdr, payload);
		break;
	default:
		log_error("worker %d (pid %ld): unexpected %s", sl->index,
		    (long)sl->pid, chan_type_name(hdr->type));
		break;
	}
}

static void
master_worker_close_cb(struct chan *c, int err, void *arg)
{
	struct slot *sl = arg;

	(void)c;
	sl->chan_open = 0;
	if (err != 0)
		master_slot_event(sl, SE_CHAN_ERROR, &err);
}

/* In the child: never returns. */
static void
master_child_start(struct slot *sl, int chan_fd, const struct asyncd_conf *conf,
    const sigset_t *mask)
{
	struct worker_args a;
	int fds[CONF_LISTEN_MAX], stats_fd = -1;
	unsigned flags[CONF_LISTEN_MAX];
	size_t i, k, n = 0;

	/* Keep only our listeners and our end of our channel. */
	for (i = 0; i < SLOTS_MAX; i++)
		if (&m.slots[i] != sl && m.slots[i].state != SS_FREE &&
		    m.slots[i].chan_open)
			(void)close(m.slots[i].ch.fd);
	for (i = 0; i < m.nls; i++) {
		if ((m.ls[i].use & (sl->gen == m.next_gen ? USE_NEXT :
		    USE_CUR)) && m.ls[i].stats)
			stats_fd = m.ls[i].fd;
		else if ((m.ls[i].use & (sl->gen == m.next_gen ? USE_NEXT :
		    USE_CUR)) && (m.ls[i].slot == -1 ||
		    m.ls[i].slot == sl->index - 1) && n < CONF_LISTEN_MAX) {
			/* Its options are this generation's: a reload may
			 * turn proxy_protocol on for an address it keeps. */
			flags[n] = 0;
			for (k = 0; k < conf->nlisten; k++)
				if (strcmp(conf->listen[k].addr,
				    m.ls[i].addr) == 0 &&
				    conf->listen[k].proxy_protocol)
					flags[n] = HTTP_LISTEN_PROXY;
			fds[n++] = m.ls[i].fd;
		} else
			(void)close(m.ls[i].fd);
	}
	/* libev lists each signal's watchers process-wide, not per loop:
	 * ours would outlive our loop's destruction in the worker, and the
	 * worker's own watcher for that signal (TERM, QUIT, USR1) would
	 * then never install its handler, leaving the default action (kill).
	 * Stopping them resets the dispositions while they are blocked. */
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		rt_signal_stop(&m.sig[i]);
	memset(&a, 0, sizeof(a));
	a.conf = conf;
	a.fds = fds;
	a.fd_flags = flags;
	a.nfds = n;
	a.stats_fd = stats_fd;
	a.chan_fd = chan_fd;
	a.slot = sl->index;
	a.master = getppid();
	a.sigmask = *mask;
	worker_main(&a);
}

/* Forks worker index of generation gen.  Its slot, or NULL (logged). */
static struct slot *
master_spawn(int gen, int index, const struct asyncd_conf *conf)
{
	struct slot *sl = NULL;
	sigset_t oldmask;
	int sv[2], err;
	pid_t pid;
	size_t i;

	for (i = 0; i < SLOTS_MAX && sl == NULL; i++)
		if (m.slots[i].state == SS_FREE)
			sl = &m.slots[i];
	if (sl == NULL) {
		log_error("no free worker slot");
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("socketpair: %s", strerror(errno));
		return NULL;
	}
	memset(sl, 0, sizeof(*sl));
	master_slot_event(sl, SE_FORKED, NULL);
	sl->gen = gen;
	sl->index = index;
	if (index > m.nindex)
		m.nindex = index;

	/*
	 * Block the handled signals across fork: libev's handlers run in the
	 * child too until it has replaced the loop, and would act on the
	 * master's state there.  The child inherits the mask and restores
	 * the old one once its own watchers are in place; the parent
	 * restores it at once.
	 */
	if (sigprocmask(SIG_BLOCK, &m.handled_set, &oldmask) == -1) {
		err = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		sl->state = SS_FREE;
		log_error("sigprocmask: %s", strerror(err));
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		(void)close(sv[0]);
		master_child_start(sl, sv[1], conf, &oldmask);
	}
	err = errno;
	/* Restoring a mask we just read cannot fail. */
	(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (pid == -1) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		sl->state = SS_FREE;
		log_error("fork: %s", strerror(err));
		return NULL;
	}
	(void)close(sv[1]);
	sl->pid = pid;
	if ((err = chan_init(&sl->ch, sv[0], master_worker_msg_cb,
	    master_worker_close_cb, sl)) != 0) {
		log_error("worker %d: channel: %s", index, rt_strerror(err));
		(void)close(sv[0]);
		master_slot_event(sl, SE_KILL, NULL);	/* reaped by CHLD */
		return NULL;
	}
	sl->chan_open = 1;
	log_debug("worker %d started (pid %ld, generation %d)", index,
	    (long)pid, gen);
	return sl;
}

static int
master_gen_spawn(int gen, const struct asyncd_conf *conf)
{
	int i, n = master_workers_wanted(conf);

	for (i = 1; i <= n; i++)
		if (master_spawn(gen, i, conf) == NULL)
			return -1;
	/* libev forbids setting an active timer. */
	rt_timer_start(&m.ready_timer, conf->timeouts.ready, 0.);
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

/* (Re)arms the kill timer after seconds.  libev forbids setting an active
 * timer: a second TERM during a graceful stop once did, and the fast
 * stop's SIGKILL fired at once instead of a second later. */
static void
master_kill_timer_arm(double seconds)
{
	rt_timer_start(&m.kill_timer, seconds, 0.);
}

/* MA_QUIT_ALL: the graceful stop proper, QUIT to every worker, SIGKILL
 * what remains STOP_GRACE after the shutdown timeout. */
static void
master_quit_all(const char *why)
{
	size_t i;

	if (why != NULL)
		log_info("%s: graceful stop (at most %g s)", why,
		    m.conf.timeouts.shutdown);
	else
		log_info("drained for %g s: graceful stop (at most %g s)",
		    m.conf.timeouts.drain, m.conf.timeouts.shutdown);
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE)
			master_slot_quit(&m.slots[i], m.conf.timeouts.shutdown, 0);
	master_kill_timer_arm(m.conf.timeouts.shutdown + STOP_GRACE);
}

/* MA_STOP_BEGIN: whatever the stop, nothing new starts. */
static void
master_stop_begin(void)
{
	(void)notify_stopping();
	rt_timer_stop(&m.respawn_timer);
	rt_timer_stop(&m.ready_timer);
	rt_timer_stop(&m.drain_timer);
}

/* MA_UP_ABANDON: a stop abandons an upgrade under way: its new master
 * stops too (and is SIGKILLed with our workers if it outlives the
 * deadline). */
static void
master_upgrade_abandon(const char *why)
{
	if (m.up.pid == 0 || m.up.handed)
		return;
	log_info("%s: abandoning the upgrade to pid %ld", why,
	    (long)m.up.pid);
	m.up.killed = 1;
	(void)kill(m.up.pid, m.state == MS_STOPPING_FAST ? SIGKILL : SIGTERM);
}

/* MA_TERMINATE_ALL: the fast stop, TERMINATE, then SIGKILL one second
 * later. */
static void
master_terminate_all(const char *why)
{
	size_t i;

	log_info("%s again: fast stop", why);
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE)
			master_slot_event(&m.slots[i], SE_TERMINATE, NULL);
	master_kill_timer_arm(STOP_GRACE);
}

/*
 * MA_DRAIN_ALL: a graceful stop with timeouts.drain first tells every
 * worker to DRAIN (serve on, healthz 503, Connection: close) and starts
 * the drain timer; the graceful stop proper begins when it fires.
 */
static void
master_drain_all(const char *why)
{
	size_t i;

	log_info("%s: draining for %g s, then a graceful stop (at most %g s)",
	    why, m.conf.timeouts.drain, m.conf.timeouts.shutdown);
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE)
			master_slot_send(&m.slots[i], CHAN_DRAIN, NULL, 0);
	rt_timer_start(&m.drain_timer, m.conf.timeouts.drain, 0.);
}

/* MA_KILL_ALL: the stop's deadline. */
static void
master_kill_all(void)
{
	if (master_slots_alive(-1) > 0) {
		log_warn("%zu worker%s still running: SIGKILL", master_slots_alive(-1),
		    master_slots_alive(-1) == 1 ? "" : "s");
		master_gen_signal(-1, SIGKILL);
	}
	if (m.up.pid != 0 && !m.up.handed)
		(void)kill(m.up.pid, SIGKILL);
}

/* MA_TRIP, the breaker: stop forking, stop everything, exit non-zero. */
static void
master_trip(const char *why)
{
	size_t i;

	log_error("%s: stopping (the breaker tripped; fix the cause, then "
	    "start again)", why);
	m.exit_status = 1;
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE)
			master_slot_event(&m.slots[i], SE_KILL, NULL);
	rt_timer_stop(&m.respawn_timer);
	rt_timer_stop(&m.ready_timer);
	(void)notify_stopping();
}

static void
master_drain_timer_cb(struct rt_timer *w)
{
	(void)w;
	master_event(ME_DRAIN_TIMER, NULL);
}

static void
master_kill_timer_cb(struct rt_timer *w)
{
	(void)w;
	master_event(ME_KILL_TIMER, NULL);
}

/*
 * Opens the logs conf names, if they differ from those open now (a reload
 * that moves them); 0, or -1 with the reason logged and the old logs kept.
 */
static int
master_logs_open(const struct asyncd_conf *conf, const struct asyncd_conf *old)
{
	int err;

	if (strcmp(conf->error_log, old->error_log) != 0 ||
	    conf->log_level != old->log_level ||
	    (strcmp(conf->error_log, "syslog") == 0 &&
	    (conf->syslog_facility != old->syslog_facility ||
	    strcmp(conf->syslog_socket, old->syslog_socket) != 0))) {
		if ((err = log_init_conf(conf)) != 0) {
			log_error("cannot open the error log %s: %s",
			    conf->error_log, strerror(-err));
			return -1;
		}
		if (strcmp(conf->error_log, "syslog") == 0)
			log_info("error log: syslog at %s, facility %s, level "
			    "%s", conf->syslog_socket,
			    log_facility_name(conf->syslog_facility),
			    log_level_name(conf->log_level));
		else
			log_info("error log: %s, level %s", conf->error_log,
			    log_level_name(conf->log_level));
	}
	if ((conf->access_log == NULL) != (old->access_log == NULL) ||
	    (conf->access_log != NULL &&
	    strcmp(conf->access_log, old->access_log) != 0)) {
		if ((err = log_access_open(conf->access_log)) != 0) {
			log_error("cannot open the access log %s: %s",
			    conf->access_log, strerror(-err));
			(void)log_init_conf(old);
			return -1;
		}
		log_info("access log: %s", conf->access_log != NULL ?
		    conf->access_log : "off");
	}
	return 0;
}

/*
 * The first generation serves and this master is the one in charge: the
 * pid file (taken from prev, the master of a binary upgrade, if it still
 * names it) and systemd's READY.
 */
static void
master_serving(pid_t prev)
{
	pid_t holder = 0;
	int err;

	if (m.conf.pid_file != NULL) {
		err = pidfile_write(m.conf.pid_file, prev, &holder);
		if (err == -EEXIST)
			log_error("pid file %s names a running asyncd (pid %ld): "
			    "not replaced", m.conf.pid_file, (long)holder);
		else if (err != 0)
			log_error("cannot write the pid file %s: %s",
			    m.conf.pid_file, rt_strerror(err));
		else
			m.pid_written = 1;
	}
	(void)notify_ready(prev != 0 ? "serving (upgraded)" : "serving");
	master_status();
}

/* ---- binary upgrade (USR2; the protocol is in the top comment) ----------- */

static void
master_upgrade_close(void)
{
	if (m.up.fd == -1)
		return;
	rt_watch_stop(&m.up.io);
	(void)close(m.up.fd);	/* a socket of ours: nothing to lose */
	m.up.fd = -1;
	m.up.len = 0;
}

/* Writes one handover line; 0, or -1 if the peer cannot be told (it is
 * gone: its end is closed, which says the same). */
static int
master_upgrade_say(const char *line)
{
	size_t len = strlen(line);
	ssize_t n;

	if (m.up.fd == -1)
		return -1;
	/* A few bytes into a socket nobody else writes to: they fit in its
	 * empty buffer, so a non-blocking write is whole or fails. */
	do
		n = send(m.up.fd, line, len, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)len)
		return 0;
	log_warn("upgrade: cannot tell pid %ld: %s", (long)(m.up.pid != 0 ?
	    m.up.pid : m.up.prev), n == -1 ? strerror(errno) : "short write");
	return -1;
}

/* MA_UP_TAKE, new master: take over from m.up.prev, now (from HANDOVER)
 * or (from STARTING, not ready yet) when the first generation is. */
static void
master_upgrade_take(enum master_state from, const char *why)
{
	pid_t prev = m.up.prev;

	master_upgrade_close();
	m.up.prev = 0;
	notify_hold(0);
	if (from == MS_STARTING) {
		log_warn("upgrade: the old master (pid %ld) %s before we were "
		    "ready: serving alone once we are", (long)prev, why);
		return;
	}
	/* The pid file first: whoever reads this line finds it ours. */
	master_serving(prev);
	log_info("upgrade complete: asyncd %s serving (pid %ld); the old "
	    "master (pid %ld) %s", PACKAGE_VERSION, (long)getpid(),
	    (long)prev, why);
}

/* MA_UP_SAY_READY, new master: every first worker is READY: ask the old
 * one to go. */
static void
master_upgrade_ready(void)
{
	log_info("upgrade: ready; asking the old master (pid %ld) to hand over",
	    (long)m.up.prev);
	m.up.ready_sent = 1;
	if (master_upgrade_say("READY\n") != 0)
		master_follow(ME_TAKEOVER, "could not be told");
}

/* MA_UP_HANDOVER, old master: the new one serves.  Name it to systemd,
 * tell it, go. */
static void
master_upgrade_handover(void)
{
	pid_t pid = m.up.pid;
	size_t i;

	rt_timer_stop(&m.up.timer);
	/* Before TAKEOVER: the new master's READY=1 must find systemd
	 * already knowing it as the main process. */
	(void)notify_send("MAINPID=%ld\nSTATUS=upgraded: pid %ld serving",
	    (long)pid, (long)pid);
	notify_hold(1);
	m.up.handed = 1;
	m.pid_written = 0;		/* the file is the new master's now */
	(void)master_upgrade_say("TAKEOVER\n");	/* else it takes over at EOF */
	master_upgrade_close();
	log_info("upgrade: pid %ld serving; this master's workers finish "
	    "their requests, then it exits (at most %g s)", (long)pid,
	    m.conf.timeouts.shutdown);
	proctitle_set("asyncd: master (leaving, upgraded to pid %ld)",
	    (long)pid);
	/*
	 * Our workers go as a reload's old generation does, not as at a
	 * stop: an idle keep-alive connection gets one more request,
	 * answered with Connection: close, so that no client finds its
	 * connection closed under a request it just sent; the new workers
	 * serve what comes next.
	 */
	rt_timer_stop(&m.respawn_timer);
	rt_timer_stop(&m.ready_timer);
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE)
			master_slot_quit(&m.slots[i], m.conf.timeouts.shutdown, 1);
	master_kill_timer_arm(m.conf.timeouts.shutdown + STOP_GRACE);
}

/* MA_UP_REAPED, old master: the new master ended before it took over, or
 * after. */
static void
master_upgrade_reaped(int status)
{
	pid_t pid = m.up.pid;
	char how[96];
	const char *hint = "";

	if (WIFSIGNALED(status))
		(void)snprintf(how, sizeof(how), "was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else {
		(void)snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));
		switch (WEXITSTATUS(status)) {
		case EX_CONFIG:
			hint = " (a configuration error: its message is above)";
			break;
		case EX_OSERR:
			hint = " (a listener or the runtime failed)";
			break;
		case 1:
			hint = " (its workers failed to start)";
			break;
		case 127:
			hint = " (it could not be run)";
			break;
		}
	}
	rt_timer_stop(&m.up.timer);
	master_upgrade_close();
	m.up.pid = 0;
	if (m.up.handed)
		log_error("upgrade: the new master (pid %ld) %s after taking "
		    "over", (long)pid, how);
	else if (m.up.killed)
		log_info("upgrade: the new master (pid %ld) %s", (long)pid, how);
	else
		log_error("upgrade failed: the new master (pid %ld) %s%s; this "
		    "master keeps serving", (long)pid, how, hint);
	m.up.killed = 0;
	if (!master_stopping())
		master_status();
}

/* MA_UP_TIMEOUT, old master: no READY in time.  SIGTERM, then SIGKILL as a
 * stop would. */
static void
master_upgrade_timeout(void)
{
	struct rt_timer *w = &m.up.timer;

	if (m.up.pid == 0 || m.up.handed)
		return;
	if (m.up.killed) {
		(void)kill(m.up.pid, SIGKILL);
		return;
	}
	log_error("upgrade failed: the new master (pid %ld) was not ready "
	    "in %g s: stopping it; this master keeps serving", (long)m.up.pid,
	    m.conf.timeouts.ready + UPGRADE_WAIT);
	m.up.killed = 1;
	(void)kill(m.up.pid, SIGTERM);
	rt_timer_start(w, m.conf.timeouts.shutdown + KILL_GRACE, 0.);
}

static void
master_upgrade_timer_cb(struct rt_timer *w)
{
	(void)w;
	master_event(ME_UP_TIMEOUT, NULL);
}

/* MA_UP_ERROR: the child's exit (127) follows; this is the why. */
static void
master_upgrade_error(const char *what)
{
	log_error("upgrade failed: %s; this master keeps serving", what);
	m.up.killed = 1;	/* said: the exit needs no more words */
}

static void
master_upgrade_line(const char *line)
{
	if (m.up.pid != 0 && strcmp(line, "READY") == 0)
		master_event(ME_UP_READY, NULL);
	else if (m.up.pid != 0 && strncmp(line, "ERROR ", 6) == 0)
		master_event(ME_UP_ERROR, line + 6);
	else if (m.up.prev != 0 && strcmp(line, "TAKEOVER") == 0)
		master_event(ME_TAKEOVER, "is leaving");
	else
		log_warn("upgrade: unexpected line from pid %ld: \"%.64s\"",
		    (long)(m.up.pid != 0 ? m.up.pid : m.up.prev), line);
}

/*
 * The handover socket, on either side: lines in, or its end.  EOF is the
 * peer gone: the old master learns why from the child's exit status; the
 * new master takes over (an old master that vanished, or that was told to
 * stop, leaves the sockets to it).
 */
static void
master_upgrade_io_cb(struct rt_watch *w, int revents)
{
	char *nl;
	ssize_t n;
	size_t used;

	(void)w;
	(void)revents;
	n = read(m.up.fd, m.up.line + m.up.len, sizeof(m.up.line) - 1 -
	    m.up.len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		master_upgrade_close();
		if (m.up.prev != 0)
			master_event(ME_TAKEOVER, n == 0 ? "went away" :
			    "broke the handover");
		return;
	}
	m.up.len += (size_t)n;
	m.up.line[m.up.len] = '\0';
	while (m.up.fd != -1 &&
	    (nl = memchr(m.up.line, '\n', m.up.len)) != NULL) {
		*nl = '\0';
		used = (size_t)(nl + 1 - m.up.line);
		master_upgrade_line(m.up.line);
		if (m.up.fd == -1)
			return;		/* the line ended the talk */
		memmove(m.up.line, nl + 1, m.up.len - used + 1);
		m.up.len -= used;
	}
	if (m.up.len == sizeof(m.up.line) - 1) {
		log_warn("upgrade: a handover line over %d bytes: hanging up",
		    UPGRADE_LINE);
		master_upgrade_close();
		if (m.up.prev != 0)
			master_event(ME_TAKEOVER, "broke the handover");
	}
}

static void
master_upgrade_watch(int fd)
{
	m.up.fd = fd;
	m.up.len = 0;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		log_warn("upgrade: O_NONBLOCK: %s", strerror(errno));
	rt_watch_start(&m.up.io, fd, RT_READ, master_upgrade_io_cb, NULL);
}

/*
 * In the child of the old master's fork: the listeners to fds 3.., the
 * handover socket after them, the environment, exec.  Never returns; a
 * failure is said on the handover socket and ends the child (127).
 */
static void __attribute__((noreturn))
master_upgrade_exec(int fd)
{
	static int tmp[sizeof(m.ls) / sizeof(m.ls[0]) + 1];
	char pid[24], up[48], *argv[4];
	size_t i, n = m.nls;
	int base = 3 + (int)n + 1, report = fd, sig;
	const char *what = "cannot pass the sockets";
	sigset_t none;

	/* A fresh process's signals: the mask and ignored dispositions
	 * would survive exec, and the new master sets its own. */
	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);	/* fails for KILL, STOP */
	(void)sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/*
	 * Each socket to its number: first copied above the range, then
	 * down, since a target number may hold a socket still to move.  The
	 * copies lose FD_CLOEXEC, the originals keep it and close at exec.
	 * The handover socket's copy goes first so that failures can be said
	 * on it whatever dup2 overwrites.
	 */
	if ((tmp[n] = fcntl(fd, F_DUPFD, base)) == -1)
		goto fail;
	report = tmp[n];
	for (i = 0; i < n; i++)
		if ((tmp[i] = fcntl(m.ls[i].fd, F_DUPFD, base)) == -1)
			goto fail;
	for (i = 0; i < n; i++) {
		if (dup2(tmp[i], 3 + (int)i) == -1)
			goto fail;
		(void)close(tmp[i]);
	}
	if (dup2(tmp[n], 3 + (int)n) == -1)
		goto fail;
	(void)close(tmp[n]);
	report = 3 + (int)n;

	what = "cannot set the environment";
	(void)snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	(void)snprintf(up, sizeof(up), "%ld:%d", (long)getppid(), report);
	if (setenv("LISTEN_PID", pid, 1) != 0 ||
	    setenv("ASYNCD_UPGRADE", up, 1) != 0 ||
	    (getenv("WATCHDOG_USEC") != NULL &&
	    setenv("WATCHDOG_PID", pid, 1) != 0) ||
	    unsetenv("LISTEN_FDNAMES") != 0)
		goto fail;
	(void)snprintf(pid, sizeof(pid), "%zu", n);
	if (setenv("LISTEN_FDS", pid, 1) != 0)
		goto fail;

	argv[0] = (char *)m.self;
	argv[1] = (char *)"-c";
	argv[2] = (char *)m.path;
	argv[3] = NULL;
	(void)execv(m.self, argv);
	what = "cannot execute";
fail:
	(void)dprintf(report, "ERROR %s %s: %s\n", what, m.self,
	    strerror(errno));
	_exit(127);
}

/* MA_UP_START, old master, on USR2: start the new master (the protocol is
 * in the top comment); 0, or -1 (logged) if it could not be started. */
static int
master_upgrade(void)
{
	sigset_t oldmask;
	int sv[2], err;
	pid_t pid;

	if (m.self[0] == '\0' || access(m.self, X_OK) != 0) {
		log_error("upgrade failed: cannot execute %s: %s; this master "
		    "keeps serving", m.self[0] != '\0' ? m.self : "asyncd",
		    m.self[0] != '\0' ? strerror(errno) : "path unknown");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("upgrade failed: socketpair: %s", strerror(errno));
		return -1;
	}
	/* As for a worker (master_spawn): no handler of ours may run in the
	 * child before it has replaced them. */
	if (sigprocmask(SIG_BLOCK, &m.handled_set, &oldmask) == -1) {
		err = errno;
		(void)close(sv[0]);
		(void)close(sv[1]);
		log_error("upgrade failed: sigprocmask: %s", strerror(err));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		(void)close(sv[0]);
		master_upgrade_exec(sv[1]);
	}
	err = errno;
	(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
	(void)close(sv[1]);
	if (pid == -1) {
		(void)close(sv[0]);
		log_error("upgrade failed: fork: %s", strerror(err));
		return -1;
	}
	m.up.pid = pid;
	m.up.killed = 0;
	master_upgrade_watch(sv[0]);
	rt_timer_start(&m.up.timer, m.conf.timeouts.ready + UPGRADE_WAIT, 0.);
	log_info("SIGUSR2: upgrading: started %s (pid %ld)", m.self,
	    (long)pid);
	(void)notify_status("upgrading: new master pid %ld starting",
	    (long)pid);
	return 0;
}

/*
 * New master: ASYNCD_UPGRADE="OLDPID:FD" from the old master, which must
 * be our parent (anything else is a stale or forged variable: ignored).
 */
static void
master_upgrade_init(void)
{
	const char *v = getenv("ASYNCD_UPGRADE");
	long pid, fd;
	char *end;
	int flags;

	m.up.fd = -1;
	if (v == NULL)
		return;
	errno = 0;
	pid = strtol(v, &end, 10);
	if (errno != 0 || *end != ':' || pid <= 0 || pid != (long)getppid())
		goto bad;
	fd = strtol(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || fd < 3 || fd > 65535 ||
	    (flags = fcntl((int)fd, F_GETFD)) == -1 ||
	    fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC) == -1)
		goto bad;
	(void)unsetenv("ASYNCD_UPGRADE");
	m.up.prev = (pid_t)pid;
	notify_hold(1);
	master_upgrade_watch((int)fd);
	log_info("upgrading from pid %ld", pid);
	return;
bad:
	log_warn("ASYNCD_UPGRADE=\"%.32s\" is not our parent's handover: "
	    "ignored", v);
	(void)unsetenv("ASYNCD_UPGRADE");
}

/* The generation being started: the first, or a reload's; 0: none. */
static int
master_gen_starting(void)
{
	return m.state == MS_STARTING ? m.cur : m.state == MS_RELOADING ?
	    m.next_gen : 0;
}

/* MA_SERVE and MA_UP_SAY_READY: every worker of the first generation is
 * READY. */
static void
master_started(void)
{
	rt_timer_stop(&m.ready_timer);
	log_info("asyncd %s started: %d worker%s (pid %ld)", PACKAGE_VERSION,
	    master_workers_wanted(&m.conf),
	    master_workers_wanted(&m.conf) == 1 ? "" : "s", (long)getpid());
}

/* MA_RELOAD_COMMIT: every worker of the reload's generation said READY:
 * it serves, the old one may go. */
static void
master_reload_commit(void)
{
	int gen = m.next_gen;
	size_t i;

	rt_timer_stop(&m.ready_timer);
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE && m.slots[i].gen != gen)
			master_slot_quit(&m.slots[i], m.next.timeouts.shutdown, 1);
	conf_free(&m.conf);
	m.conf = m.next;
	memset(&m.next, 0, sizeof(m.next));
	m.ms.reloads++;
	m.ms.config_loaded = m.next_loaded;
	m.cur = gen;
	m.next_gen = 0;
	m.logs_moved = 0;
	master_listeners_commit();
	/* The heartbeat's period follows the new configuration. */
	rt_timer_again(&m.heartbeat, m.conf.timeouts.heartbeat / 4);
	m.hb_last = master_now_mono();		/* the next tick is a period away */
	log_info("reloaded: generation %d serving with %d worker%s", gen,
	    master_workers_wanted(&m.conf),
	    master_workers_wanted(&m.conf) == 1 ? "" : "s");
	(void)notify_ready("reloaded");
	master_status();
}

/*
 * MA_RELOAD_ABORT: a reload failed: kill what it started and leave exactly
 * the old workers, listeners and logs.  Its generation's number is not
 * given back (m.gen only grows): the killed workers may not be reaped yet,
 * and a READY of theirs still in the channel must never count for the next
 * reload's generation (their slots are SS_KILLED, whose READY counts for
 * nothing either).
 */
static void
master_reload_abort(const char *why)
{
	size_t i;

	log_error("reload failed: %s; the previous configuration keeps "
	    "serving", why);
	m.ms.reloads_failed++;
	rt_timer_stop(&m.ready_timer);
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].state != SS_FREE &&
		    m.slots[i].gen == m.next_gen)
			master_slot_event(&m.slots[i], SE_KILL, NULL);
	master_listeners_drop(USE_NEXT);
	if (m.logs_moved) {
		/* The old files are the ones to keep writing. */
		if (master_logs_open(&m.conf, &m.next) != 0)
			log_error("the logs stay as the failed reload set "
			    "them");
		m.logs_moved = 0;
	}
	conf_free(&m.next);
	m.next_gen = 0;
	(void)notify_send("READY=1\nSTATUS=reload failed: %s", why);
}

static void
master_ready_timer_cb(struct rt_timer *w)
{
	(void)w;
	master_event(ME_READY_TIMEOUT, NULL);
}

/* MA_RELOAD_BEGIN: load the file, mark or open the listeners, open the
 * logs, fork the next generation; a failure is the event that follows. */
static void
master_reload_begin(void)
{
	char err[1024];

	(void)notify_reloading();
	log_info("SIGHUP: reloading %s", m.path);
	m.next_loaded = master_wall_now();
	if (conf_load(m.path, &m.next, err, sizeof(err)) == -1) {
		m.ms.reloads_failed++;
		log_error("reload failed: %s; the previous configuration keeps "
		    "serving", err);
		(void)notify_send("READY=1\nSTATUS=reload failed: %s", err);
		master_follow(ME_CONF_BAD, NULL);
		return;
	}
	m.next_gen = ++m.gen;
	if (master_listeners_prepare(&m.next, USE_NEXT) != 0) {
		master_follow(ME_NEW_FAILED, "cannot listen on a new address");
		return;
	}
	if (master_logs_open(&m.next, &m.conf) != 0) {
		master_follow(ME_NEW_FAILED, "cannot open the new logs");
		return;
	}
	m.logs_moved = 1;
	if (master_gen_spawn(m.next_gen, &m.next) != 0)
		master_follow(ME_NEW_FAILED, "cannot start the new workers");
}

/* MA_RESPAWN_LATER: schedules the refill of m.cur's empty places after
 * the backoff (master_fsm_backoff, from m.served: how long the dead
 * worker had served, or -1); sets m.respawn_in to the seconds until it
 * happens (sooner if one was already scheduled). */
static void
master_respawn_later(void)
{
	m.backoff = master_fsm_backoff(m.backoff, m.served);
	if (rt_timer_active(&m.respawn_timer)) {
		m.respawn_in = rt_timer_remaining(&m.respawn_timer);
		return;
	}
	rt_timer_start(&m.respawn_timer, m.backoff, 0.);
	m.respawn_in = m.backoff;
}

static void
master_respawn_timer_cb(struct rt_timer *w)
{
	(void)w;
	master_event(ME_RESPAWN_TIMER, NULL);
}

/* MA_RESPAWN: fill the serving generation's empty worker numbers. */
static void
master_respawn(void)
{
	int index, wanted = master_workers_wanted(&m.conf);
	struct slot *sl;
	size_t i;
	int have;

	for (index = 1; index <= wanted; index++) {
		have = 0;
		for (i = 0; i < SLOTS_MAX; i++)
			if (m.slots[i].state != SS_FREE &&
			    m.slots[i].gen == m.cur &&
			    m.slots[i].index == index)
				have = 1;
		if (have)
			continue;
		if ((sl = master_spawn(m.cur, index, &m.conf)) != NULL) {
			sl->replaces = m.dead[index];
			continue;
		}
		/* fork or socketpair failed (EAGAIN, ENOMEM): try again
		 * later, counted like a failed start. */
		m.start_failures++;
		m.served = -1;
		master_follow(ME_REPLACEMENT_FAILED, "cannot respawn a worker");
		return;
	}
}

/* SA_READY: a worker nobody told to go said READY. */
static void
master_slot_ready(struct slot *sl)
{
	int gen = master_gen_starting();

	if (sl->replaces != 0)
		log_info("worker %d (pid %ld) ready, replacing pid %ld",
		    sl->index, (long)sl->pid, (long)sl->replaces);
	if (sl->gen == m.cur)
		m.start_failures = 0;
	if (sl->gen == gen && master_slots_ready(gen) == master_slots_alive(gen) &&
	    master_slots_alive(gen) == (size_t)master_workers_wanted(
	    gen == m.next_gen ? &m.next : &m.conf))
		master_event(ME_GEN_READY, NULL);
}

/* SA_EXIT_*: a worker was reaped; its slot is free already. */
static void
master_slot_exited(struct slot *sl, unsigned actions)
{
	int status = sl->exit_status, starting = master_gen_starting();
	double now = master_now_mono();
	enum master_state from = m.state;
	char how[96];

	if (WIFSIGNALED(status))
		(void)snprintf(how, sizeof(how), "killed by signal %d (%s)%s",
		    WTERMSIG(status), strsignal(WTERMSIG(status)),
		    WCOREDUMP(status) ? ", core dumped" : "");
	else
		(void)snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));
	if (actions & SA_EXIT_EXPECTED) {
		log_debug("worker %d (pid %ld, generation %d) %s", sl->index,
		    (long)sl->pid, sl->gen, how);
		return;
	}
	if (sl->gen == m.cur)
		m.dead[sl->index] = sl->pid;
	if (actions & SA_EXIT_EARLY) {
		log_error("worker %d (pid %ld) %s before it was ready",
		    sl->index, (long)sl->pid, how);
		if (sl->gen == starting) {
			master_event(ME_NEW_FAILED, NULL);
			/* An app's bad setting is a configuration error. */
			if (from == MS_STARTING && m.exit_status != 0 &&
			    WIFEXITED(status) && WEXITSTATUS(status) ==
			    EX_CONFIG)
				m.exit_status = EX_CONFIG;
			return;
		}
		m.start_failures++;
		m.served = -1;
		if (m.start_failures < BREAKER_STARTS)
			m.ms.restarts[CHAN_RESTART_STARTUP]++;
		master_event(ME_REPLACEMENT_FAILED,
		    "replacement workers fail during startup");
		return;
	}
	m.ms.restarts[sl->aborted != 0 ? CHAN_RESTART_HEARTBEAT :
	    WIFSIGNALED(status) ? CHAN_RESTART_SIGNAL : CHAN_RESTART_EXIT]++;
	/* It served: replace it, forever, with a backoff that starts again
	 * from the bottom when this one had served for a while. */
	m.served = now - sl->ready_at;
	m.respawn_in = 0;
	master_event(ME_LOST, NULL);
	log_error("worker %d (pid %ld) %s after serving %.1f s; replacing it "
	    "in %.1f s", sl->index, (long)sl->pid, how, now - sl->ready_at,
	    m.respawn_in);
}

/*
 * A child ended.  libev's default loop reaps children itself (its SIGCHLD
 * watcher calls waitpid(-1)), so a waitpid of ours would find nothing: the
 * pid and status come from a child watcher for any pid.
 */
static void
master_child_cb(struct rt_child *w, pid_t pid, int status)
{
	struct slot *sl;

	(void)w;
	if (m.up.pid != 0 && pid == m.up.pid) {
		m.up.status = status;
		master_event(ME_UP_EXIT, NULL);
		return;
	}
	if ((sl = master_slot_by_pid(pid)) == NULL)
		return;
	/* What it said last (READY, then died) counts before its death. */
	if (sl->chan_open)
		chan_drain(&sl->ch);
	if (sl->chan_open) {
		chan_close(&sl->ch);
		sl->chan_open = 0;
	}
	/* Its counts stay its worker number's. */
	http_stats_add(&m.base[sl->index], &sl->counters);
	sl->exit_status = status;
	master_slot_event(sl, SE_EXIT, NULL);
	master_event(ME_NONE, NULL);	/* the last one of a stop? */
}

static void
master_heartbeat_cb(struct rt_timer *w)
{
	double now = master_now_mono(), limit = m.conf.timeouts.heartbeat;
	double period = limit / 4;	/* the timer's repeat */
	struct slot *sl;
	size_t i;
	int paused = 0;

	(void)w;
	/*
	 * A tick more than a period late means the master itself did not
	 * run (SIGSTOP and SIGCONT, a suspended VM, a debugger): the PONGs
	 * wait unread in the channels, and libev runs this timer before
	 * reading them, so a PING out when the master stopped would look a
	 * pause old and its worker be SIGABRTed on resume (signal-table.sh
	 * stops a worker, then the master, to make it so).  The round
	 * starts again instead: new PINGs with new ids (a stale PONG then
	 * counts for nothing), so a worker really hung is still caught,
	 * one timeout later.
	 */
	if (m.hb_last != 0 && now - m.hb_last > 2 * period) {
		log_warn("master was paused %.1f s: heartbeats restart",
		    now - m.hb_last - period);
		paused = 1;
	}
	m.hb_last = now;
	for (i = 0; i < SLOTS_MAX; i++) {
		sl = &m.slots[i];
		/* Only a worker that said READY answers PINGs. */
		if (sl->state == SS_FREE || sl->ready_at == 0)
			continue;
		if (sl->aborted != 0) {
			if (now - sl->aborted >= KILL_GRACE)
				master_slot_event(sl, SE_GRACE, NULL);
			continue;
		}
		if (paused)
			sl->ping_sent = 0;
		if (sl->ping_sent != 0 && now - sl->ping_sent >= limit) {
			master_slot_event(sl, SE_SILENT, NULL);
			continue;
		}
		if (sl->ping_sent == 0) {
			sl->ping_id++;
			sl->ping_sent = now;
			if (sl->chan_open)
				(void)chan_send(&sl->ch, CHAN_PING, sl->ping_id,
				    getpid(), NULL, 0);
		}
	}
	if (m.state != MS_STARTING && !master_stopping())
		master_status();
}

static void
master_watchdog_cb(struct rt_timer *w)
{
	(void)w;
	(void)notify_watchdog();
}

/* MA_WARN_IGNORED: why a HUP or USR2 is not acted on in state from. */
static void
master_warn_ignored(enum master_state from, enum master_event ev)
{
	if (ev == ME_HUP && from == MS_STARTING)
		log_warn("SIGHUP: still starting; reload ignored");
	else if (ev == ME_HUP && from == MS_RELOADING)
		log_warn("SIGHUP: a reload is already in progress");
	else if (ev == ME_HUP)
		log_warn("SIGHUP: an upgrade is in progress; reload ignored");
	else if (from == MS_RELOADING)
		log_warn("SIGUSR2: a reload is in progress; upgrade ignored");
	else if (from == MS_UPGRADING)
		log_warn("SIGUSR2: an upgrade to pid %ld is in progress",
		    (long)m.up.pid);
	else
		log_warn("SIGUSR2: still starting; upgrade ignored");
}

/* An action's own failure, or what it leads to: the event that follows
 * (at most one), fed to the machine once the current step is done. */
static void
master_follow(enum master_event ev, const char *why)
{
	m.follow = ev;
	m.follow_why = why;
}

/* Performs the actions (MA_*) of the step from state from on ev. */
static void
master_act(enum master_state from, enum master_event ev, unsigned a,
    const char *why)
{
	if (a & MA_WARN_IGNORED)
		master_warn_ignored(from, ev);
	if (a & MA_STOP_BEGIN)
		master_stop_begin();
	if (a & MA_UP_ABANDON)
		master_upgrade_abandon(why);
	if (a & MA_TERMINATE_ALL)
		master_terminate_all(why);
	if (a & MA_DRAIN_ALL)
		master_drain_all(why);
	if (a & MA_QUIT_ALL)
		master_quit_all(why);
	if (a & MA_KILL_ALL)
		master_kill_all();
	if (a & MA_TRIP)
		master_trip(why != NULL ? why : ev == ME_READY_TIMEOUT ?
		    "workers did not become ready in time" :
		    "a worker failed during startup");
	if (a & MA_RELOAD_BEGIN)
		master_reload_begin();
	if (a & MA_RELOAD_COMMIT)
		master_reload_commit();
	if (a & MA_RELOAD_ABORT)
		master_reload_abort(why != NULL ? why : ev == ME_READY_TIMEOUT ?
		    "the new workers did not become ready in time" :
		    "a new worker failed during startup");
	if (a & MA_SERVE) {
		master_started();
		master_serving(0);
	}
	if (a & MA_UP_SAY_READY) {
		master_started();
		master_upgrade_ready();
	}
	if (a & MA_UP_TAKE)
		master_upgrade_take(from, why);
	if ((a & MA_UP_START) && master_upgrade() != 0)
		master_follow(ME_UP_FAILED, NULL);
	if (a & MA_UP_HANDOVER)
		master_upgrade_handover();
	if (a & MA_UP_ERROR)
		master_upgrade_error(why);
	if (a & MA_UP_REAPED)
		master_upgrade_reaped(m.up.status);
	if (a & MA_UP_TIMEOUT)
		master_upgrade_timeout();
	if (a & MA_RESPAWN_LATER)
		master_respawn_later();
	if (a & MA_RESPAWN)
		master_respawn();
	if (a & MA_EXIT)
		rt_loop_stop();
}

/*
 * The one way the master changes state: ev (with why, for the logs) goes
 * through master_fsm_step, its actions are performed, then the event they
 * led to, if any.  A stop ends (ME_ALL_GONE) once no worker is left and
 * no new master of ours is to be waited for (one we handed over to lives
 * on without us).  ME_NONE only checks that.
 */
static void
master_event(enum master_event ev, const char *why)
{
	struct master_ctx ctx;
	enum master_state from;
	unsigned a;

	while (ev != ME_NONE) {
		ctx.upgraded = m.up.prev != 0;
		ctx.drain = m.conf.timeouts.drain > 0;
		ctx.failures = m.start_failures;
		from = m.state;
		a = master_fsm_step(from, ev, &ctx, &m.state);
		if (m.state != from)
			log_debug("master: %s: %s -> %s", master_event_name(ev),
			    master_state_name(from),
			    master_state_name(m.state));
		m.follow = ME_NONE;
		master_act(from, ev, a, why);
		ev = m.follow;
		why = m.follow_why;
	}
	if (master_stopping() && m.state != MS_DONE && master_slots_alive(-1) == 0 &&
	    (m.up.pid == 0 || m.up.handed))
		master_event(ME_ALL_GONE, NULL);
}

static void
master_signal_cb(struct rt_signal *s, int signum)
{
	size_t i;

	(void)s;
	switch (signum) {
	case SIGTERM:
		master_event(ME_TERM, "SIGTERM");
		break;
	case SIGINT:
		master_event(ME_TERM, "SIGINT");
		break;
	case SIGQUIT:
		master_event(ME_QUIT, "SIGQUIT");
		break;
	case SIGHUP:
		master_event(ME_HUP, "SIGHUP");
		break;
	case SIGUSR1:
		/* No state of ours changes: every state reopens. */
		if (log_reopen() != 0)
			log_error("cannot reopen the logs");
		for (i = 0; i < SLOTS_MAX; i++)
			if (m.slots[i].state != SS_FREE)
				master_slot_send(&m.slots[i], CHAN_REOPEN_LOGS, NULL, 0);
		log_info("SIGUSR1: log files reopened");
		break;
	case SIGUSR2:
		master_event(ME_USR2, "SIGUSR2");
		break;
	case SIGWINCH:
		/* nginx's "stop the old workers", which an upgrade here does
		 * by itself: operators send it by habit; say that nothing
		 * happened. */
		log_warn("SIGWINCH: ignored (asyncd(8) lists the signals it "
		    "acts on)");
		break;
	}
}

int
master_run(struct asyncd_conf *conf, const char *path, const char *self)
{
	uint64_t wd;
	size_t i;
	int err;

	m.conf = *conf;
	m.path = path;
	m.self = self;
	/* main.c loaded it just now. */
	m.ms.config_loaded = master_wall_now();
	proctitle_set("asyncd: master");
	if ((err = rt_loop_init(NULL)) != 0)
		fatalx(EX_OSERR, "cannot start the runtime: %s",
		    rt_strerror(err));
	if ((err = notify_init()) < 0)
		log_warn("NOTIFY_SOCKET unusable: %s", rt_strerror(err));

	if ((err = signals_ignore(NULL)) != 0)
		fatalx(EX_OSERR, "cannot ignore signals: %s", rt_strerror(err));
	sigemptyset(&m.handled_set);
	sigaddset(&m.handled_set, SIGCHLD);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&m.handled_set, handled[i]);
	rt_child_start(&m.child, 0, master_child_cb, NULL);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		rt_signal_start(&m.sig[i], handled[i], master_signal_cb, NULL);

	rt_timer_init(&m.heartbeat, master_heartbeat_cb, NULL);
	rt_timer_again(&m.heartbeat, m.conf.timeouts.heartbeat / 4);
	rt_timer_init(&m.ready_timer, master_ready_timer_cb, NULL);
	rt_timer_init(&m.kill_timer, master_kill_timer_cb, NULL);
	rt_timer_init(&m.drain_timer, master_drain_timer_cb, NULL);
	rt_timer_init(&m.respawn_timer, master_respawn_timer_cb, NULL);
	rt_timer_init(&m.up.timer, master_upgrade_timer_cb, NULL);
	if ((wd = notify_watchdog_usec()) > 0) {
		rt_timer_init(&m.watchdog, master_watchdog_cb, NULL);
		rt_timer_again(&m.watchdog, wd / 2e6);
	}

	m.gen = m.cur = 1;
	m.state = MS_STARTING;
	master_upgrade_init();
	master_activated_init();
	if (master_listeners_prepare(&m.conf, USE_CUR) != 0)
		return EX_OSERR;
	master_activated_close_unused();
	if (master_gen_spawn(m.cur, &m.conf) != 0)
		master_event(ME_NEW_FAILED, "cannot start the workers");

	/* The first worker's fork or socketpair failing leaves nothing to
	 * wait for: MS_DONE already, and rt_loop_run clears a stop asked
	 * before it runs (it would serve nothing, forever). */
	if (m.state != MS_DONE)
		(void)rt_loop_run();

	master_upgrade_close();
	for (i = 0; i < m.nls; i++)
		(void)close(m.ls[i].fd);
	if (m.pid_written)
		(void)pidfile_remove(m.conf.pid_file);
	log_info("stopped%s", m.exit_status != 0 ? " (breaker)" : "");
	if (m.next_gen != 0)
		conf_free(&m.next);
	*conf = m.conf;
	return m.exit_status;
}
