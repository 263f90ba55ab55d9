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
 * Workers come in generations.  Start and reload (SIGHUP) fork a whole
 * generation and wait until every one of its workers has said READY; only
 * then does a reload tell the previous generation to QUIT.  The listening
 * sockets belong to the master and outlive generations, so connections
 * waiting in the kernel's accept queue during a reload are simply accepted
 * by the new workers: a reload drops nothing.  (With reuseport each worker
 * gets its own SO_REUSEPORT socket instead, which spreads accepts more
 * evenly, but the connections queued on a closing worker's socket at
 * reload are lost: that is the trade-off, and why it is off by default.)
 *
 * Supervision:
 *   CHLD   a worker that exits without being told to is respawned after
 *          a backoff doubling from 0.1 s to 5 s.  One that dies before its
 *          READY, or more than BREAKER_CRASHES crashes within
 *          BREAKER_WINDOW seconds, trips the breaker: the master stops
 *          everything and exits 1 rather than fork in a loop.
 *   PING   every heartbeat/4 seconds; a worker whose answer is older than
 *          the heartbeat timeout gets SIGABRT (a core to debug), and
 *          SIGKILL 2 s later; CHLD then replaces it.
 *
 * Listeners are bound by the master, or adopted from systemd socket
 * activation (LISTEN_FDS) when one is bound to a listen address.
 *
 * Signals: TERM, INT, QUIT graceful stop (QUIT with the shutdown timeout to
 * every worker, SIGKILL for what remains one second after it); a second
 * TERM or INT is a fast stop (TERMINATE, then SIGKILL).  HUP reload, USR1
 * reopen logs (ours, then the workers').
 */
#include "config.h"

#include <errno.h>
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
#include "notify.h"
#include "pidfile.h"

#define SLOTS_MAX		(2 * CONF_WORKERS_MAX)	/* two generations */
#define BACKOFF_MIN		0.1
#define BACKOFF_MAX		5.0
#define BREAKER_CRASHES		5
#define BREAKER_WINDOW		30.0
#define KILL_GRACE		2.0	/* SIGABRT, then SIGKILL this late */

/* One listening socket, shared by every worker (or, with reuseport, one
 * per worker slot). */
struct listener {
	char		 addr[CONF_ADDR_MAX];
	int		 fd;
	int		 slot;		/* reuseport: the slot it serves; else -1 */
	int		 gen;		/* the newest generation using it */
};

/* One worker process, from fork to reaped. */
struct slot {
	int		 used;
	int		 gen;
	int		 index;		/* worker number, 1-based */
	pid_t		 pid;
	int		 ready;
	int		 quitting;	/* told to stop: its exit is expected */
	struct chan	 ch;
	int		 chan_open;
	uint32_t	 ping_id;
	double		 ping_sent;	/* 0: no PING unanswered */
	double		 aborted;	/* when SIGABRT was sent, or 0 */
	struct chan_counters counters;
};

static struct master {
	struct asyncd_conf	 conf;		/* the generation serving */
	struct asyncd_conf	 next;		/* a reload's, until it is READY */
	int			 have_next;
	const char		*path;
	int			 gen;		/* the newest generation */
	struct listener		 ls[CONF_LISTEN_MAX * (CONF_WORKERS_MAX + 1)];
	size_t			 nls;
	struct slot		 slots[SLOTS_MAX];
	sigset_t		 handled_set;	/* blocked across fork */
	int			 stopping;	/* 1 graceful, 2 fast */
	int			 started;	/* first generation was READY */
	int			 pid_written;
	int			 exit_status;
	double			 crash_times[BREAKER_CRASHES];
	size_t			 ncrash;
	double			 backoff;
	int			 respawn_pending;
	ev_timer		 heartbeat, ready_timer, kill_timer, respawn_timer,
				 watchdog;
	struct rt_signal	 sig[5];
	ev_child		 child;
} m;

/* Signals with a watcher of ours; SIGCHLD is libev's (ev_child below). */
static const int handled[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 };

static int	master_spawn(int gen, int index, const struct asyncd_conf *conf);

static double
now_mono(void)
{
	return rt_loop_time();
}

static size_t
slots_alive(int gen)
{
	size_t i, n = 0;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].used && (gen < 0 || m.slots[i].gen == gen))
			n++;
	return n;
}

static size_t
slots_ready(int gen)
{
	size_t i, n = 0;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].used && m.slots[i].gen == gen &&
		    m.slots[i].ready)
			n++;
	return n;
}

static int
workers_wanted(const struct asyncd_conf *conf)
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
		if (!m.slots[i].used)
			continue;
		n++;
		open += m.slots[i].counters.conns_open;
		req += m.slots[i].counters.requests;
	}
	(void)notify_status("%zu workers, %llu connections, %llu requests", n,
	    (unsigned long long)open, (unsigned long long)req);
}

/* ---- listeners ------------------------------------------------------------- */

/*
 * Sockets passed by systemd socket activation (sd_listen_fds(3), spoken
 * by hand): LISTEN_PID names us, LISTEN_FDS counts fds from 3.  Each is
 * used for the listen address it is bound to; the variables are unset so
 * that workers do not see them.
 */
static int	 activated[CONF_LISTEN_MAX];
static size_t	 nactivated;

static void
activated_init(void)
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

/* The activated socket bound to addr, taken from the list, or -1. */
static int
activated_take(const struct sockaddr *addr, socklen_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	size_t i;
	int fd;

	for (i = 0; i < nactivated; i++) {
		sl = sizeof(ss);
		if (getsockname(activated[i], (struct sockaddr *)&ss, &sl) == -1 ||
		    sl != len || memcmp(&ss, addr, len) != 0)
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
activated_close_unused(void)
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
listener_open(const struct conf_listen *l, int reuseport)
{
	char host[CONF_HOST_MAX], port[8];
	const char *h = NULL, *addr = l->addr;
	struct addrinfo hints, *res;
	size_t len = strlen(l->host);
	int fd, one = 1, err;

	if (l->host[0] == '[') {	/* getaddrinfo wants it bare */
		memcpy(host, l->host + 1, len - 2);
		host[len - 2] = '\0';
		h = host;
	} else if (strcmp(l->host, "*") != 0)
		h = l->host;
	(void)snprintf(port, sizeof(port), "%u", l->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((err = getaddrinfo(h, port, &hints, &res)) != 0) {
		log_error("cannot listen on %s: %s", addr, gai_strerror(err));
		return -1;
	}
	if (!reuseport && (fd = activated_take(res->ai_addr,
	    res->ai_addrlen)) != -1) {
		freeaddrinfo(res);
		log_info("%s: socket from systemd (LISTEN_FDS)", addr);
		return fd;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, res->ai_protocol);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1) ||
	    (res->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		err = errno;
		log_error("cannot listen on %s: %s", addr, strerror(err));
		if (fd != -1)
			(void)close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
listener_port(int fd)
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
 * Makes sure every address of conf has its sockets (for generation gen),
 * reusing open ones.  Returns 0, or -1 (logged) if one cannot be bound.
 */
static int
listeners_prepare(const struct asyncd_conf *conf, int gen)
{
	int nslots = conf->reuseport ? workers_wanted(conf) : 1;
	size_t i, j;
	int s, fd, found;

	for (i = 0; i < conf->nlisten; i++) {
		for (s = 0; s < nslots; s++) {
			found = 0;
			for (j = 0; j < m.nls; j++) {
				if (strcmp(m.ls[j].addr, conf->listen[i].addr)
				    != 0 || m.ls[j].slot !=
				    (conf->reuseport ? s : -1))
					continue;
				m.ls[j].gen = gen;
				found = 1;
				break;
			}
			if (found)
				continue;
			if (m.nls == sizeof(m.ls) / sizeof(m.ls[0]))
				return -1;
			if ((fd = listener_open(&conf->listen[i],
			    conf->reuseport)) == -1)
				return -1;
			snprintf(m.ls[m.nls].addr, sizeof(m.ls[m.nls].addr),
			    "%s", conf->listen[i].addr);
			m.ls[m.nls].fd = fd;
			m.ls[m.nls].slot = conf->reuseport ? s : -1;
			m.ls[m.nls].gen = gen;
			m.nls++;
			/* Tests read the real port of ":0" from this line. */
			log_info("listening on %s:%d", conf->listen[i].host,
			    listener_port(fd));
		}
	}
	return 0;
}

/* Closes the sockets no generation newer than gen uses. */
static void
listeners_prune(int gen)
{
	size_t i = 0;

	while (i < m.nls) {
		if (m.ls[i].gen >= gen) {
			i++;
			continue;
		}
		/* A listener: closing it cannot lose data. */
		(void)close(m.ls[i].fd);
		m.ls[i] = m.ls[--m.nls];
	}
}

/* ---- workers ------------------------------------------------------------- */

static struct slot *
slot_by_pid(pid_t pid)
{
	size_t i;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].used && m.slots[i].pid == pid)
			return &m.slots[i];
	return NULL;
}

static void
slot_send(struct slot *sl, uint16_t type, const void *p, size_t len)
{
	int err;

	if (!sl->chan_open)
		return;
	if ((err = chan_send(&sl->ch, type, 0, getpid(), p, len)) != 0)
		log_warn("worker %d (pid %ld): cannot send %s: %s", sl->index,
		    (long)sl->pid, chan_type_name(type), rt_strerror(err));
}

static void
slot_quit(struct slot *sl, double deadline, int reload)
{
	struct chan_quit q = { .deadline = deadline, .reload = reload != 0 };

	if (sl->quitting)
		return;
	sl->quitting = 1;
	slot_send(sl, CHAN_QUIT, &q, sizeof(q));
}

static void
gen_signal(int gen, int sig)
{
	size_t i;

	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].used && (gen < 0 || m.slots[i].gen == gen))
			(void)kill(m.slots[i].pid, sig);	/* may be gone */
}

static void	master_gen_ready(int gen);

static void
worker_msg_cb(struct chan *c, const struct chan_hdr *hdr, const void *payload,
    void *arg)
{
	struct slot *sl = arg;
	struct chan_stats st;
	size_t i;

	switch (hdr->type) {
	case CHAN_READY:
		sl->ready = 1;
		log_debug("worker %d (pid %ld) ready", sl->index, (long)sl->pid);
		if (slots_ready(sl->gen) == slots_alive(sl->gen) &&
		    slots_alive(sl->gen) == (size_t)workers_wanted(
		    sl->gen == m.gen && m.have_next ? &m.next : &m.conf))
			master_gen_ready(sl->gen);
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
		memset(&st, 0, sizeof(st));
		for (i = 0; i < SLOTS_MAX && st.nworkers < CHAN_STATS_MAX; i++) {
			const struct slot *o = &m.slots[i];

			if (!o->used)
				continue;
			st.w[st.nworkers].pid = o->pid;
			st.w[st.nworkers].slot = (uint32_t)o->index;
			st.w[st.nworkers].c = o->counters;
			st.total.conns_open += o->counters.conns_open;
			st.total.conns_active += o->counters.conns_active;
			st.total.requests += o->counters.requests;
			st.total.errors += o->counters.errors;
			st.nworkers++;
		}
		(void)chan_send(c, CHAN_STATS, hdr->id, getpid(), &st,
		    CHAN_STATS_LEN(st.nworkers));
		break;
	default:
		log_error("worker %d (pid %ld): unexpected %s", sl->index,
		    (long)sl->pid, chan_type_name(hdr->type));
		break;
	}
}

static void
worker_close_cb(struct chan *c, int err, void *arg)
{
	struct slot *sl = arg;

	(void)c;
	sl->chan_open = 0;
	if (err != 0) {
		/* A broken protocol is fatal for that channel and worker. */
		log_error("worker %d (pid %ld): channel: %s: killing it",
		    sl->index, (long)sl->pid, rt_strerror(err));
		(void)kill(sl->pid, SIGKILL);
	}
}

/* In the child: never returns. */
static void
child_start(struct slot *sl, int chan_fd, const struct asyncd_conf *conf,
    const sigset_t *mask)
{
	struct worker_args a;
	int fds[CONF_LISTEN_MAX];
	size_t i, n = 0;

	/* Keep only our listeners and our end of our channel. */
	for (i = 0; i < SLOTS_MAX; i++)
		if (&m.slots[i] != sl && m.slots[i].used &&
		    m.slots[i].chan_open)
			(void)close(m.slots[i].ch.fd);
	for (i = 0; i < m.nls; i++) {
		if (m.ls[i].gen == sl->gen && (m.ls[i].slot == -1 ||
		    m.ls[i].slot == sl->index - 1) && n < CONF_LISTEN_MAX)
			fds[n++] = m.ls[i].fd;
		else
			(void)close(m.ls[i].fd);
	}
	memset(&a, 0, sizeof(a));
	a.conf = conf;
	a.fds = fds;
	a.nfds = n;
	a.chan_fd = chan_fd;
	a.slot = sl->index;
	a.master = getppid();
	a.sigmask = *mask;
	worker_main(&a);
}

/* Forks worker index of generation gen.  0 or -1 (logged). */
static int
master_spawn(int gen, int index, const struct asyncd_conf *conf)
{
	struct slot *sl = NULL;
	sigset_t oldmask;
	int sv[2], err;
	pid_t pid;
	size_t i;

	for (i = 0; i < SLOTS_MAX && sl == NULL; i++)
		if (!m.slots[i].used)
			sl = &m.slots[i];
	if (sl == NULL) {
		log_error("no free worker slot");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_error("socketpair: %s", strerror(errno));
		return -1;
	}
	memset(sl, 0, sizeof(*sl));
	sl->used = 1;
	sl->gen = gen;
	sl->index = index;

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
		sl->used = 0;
		log_error("sigprocmask: %s", strerror(err));
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		(void)close(sv[0]);
		child_start(sl, sv[1], conf, &oldmask);
	}
	err = errno;
	/* Restoring a mask we just read cannot fail. */
	(void)sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (pid == -1) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		sl->used = 0;
		log_error("fork: %s", strerror(err));
		return -1;
	}
	(void)close(sv[1]);
	sl->pid = pid;
	if ((err = chan_init(&sl->ch, sv[0], worker_msg_cb, worker_close_cb,
	    sl)) != 0) {
		log_error("worker %d: channel: %s", index, rt_strerror(err));
		(void)close(sv[0]);
		(void)kill(pid, SIGKILL);
		sl->quitting = 1;	/* reaped by CHLD */
		return -1;
	}
	sl->chan_open = 1;
	log_debug("worker %d started (pid %ld, generation %d)", index,
	    (long)pid, gen);
	return 0;
}

static int
gen_spawn(int gen, const struct asyncd_conf *conf)
{
	int i, n = workers_wanted(conf);

	for (i = 1; i <= n; i++)
		if (master_spawn(gen, i, conf) != 0)
			return -1;
	ev_timer_set(&m.ready_timer, conf->timeouts.ready, 0.);
	ev_timer_start(rt_loop_ev(), &m.ready_timer);
	return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

static void
master_exit_when_done(void)
{
	if (slots_alive(-1) > 0)
		return;
	rt_loop_stop();
}

static void
master_stop(int fast, const char *why)
{
	size_t i;

	if (m.stopping >= (fast ? 2 : 1))
		return;
	m.stopping = fast ? 2 : 1;
	(void)notify_stopping();
	ev_timer_stop(rt_loop_ev(), &m.respawn_timer);
	ev_timer_stop(rt_loop_ev(), &m.ready_timer);
	if (fast) {
		log_info("%s again: fast stop", why);
		for (i = 0; i < SLOTS_MAX; i++)
			if (m.slots[i].used) {
				m.slots[i].quitting = 1;
				slot_send(&m.slots[i], CHAN_TERMINATE, NULL, 0);
			}
		ev_timer_set(&m.kill_timer, 1.0, 0.);
	} else {
		log_info("%s: graceful stop (at most %g s)", why,
		    m.conf.timeouts.shutdown);
		for (i = 0; i < SLOTS_MAX; i++)
			if (m.slots[i].used)
				slot_quit(&m.slots[i], m.conf.timeouts.shutdown,
				    0);
		ev_timer_set(&m.kill_timer, m.conf.timeouts.shutdown + 1.0, 0.);
	}
	ev_timer_stop(rt_loop_ev(), &m.kill_timer);
	ev_timer_start(rt_loop_ev(), &m.kill_timer);
	master_exit_when_done();
}

static void
kill_timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)w;
	(void)revents;
	if (slots_alive(-1) > 0) {
		log_warn("%zu worker%s still running: SIGKILL", slots_alive(-1),
		    slots_alive(-1) == 1 ? "" : "s");
		gen_signal(-1, SIGKILL);
	}
}

/* The breaker: stop forking, stop everything, exit non-zero. */
static void
master_trip(const char *why)
{
	log_error("%s: stopping (the breaker tripped; fix the cause, then "
	    "start again)", why);
	m.exit_status = 1;
	gen_signal(-1, SIGKILL);
	m.stopping = 2;
	(void)notify_stopping();
	master_exit_when_done();
}

/* Every worker of generation gen said READY. */
static void
master_gen_ready(int gen)
{
	size_t i;

	ev_timer_stop(rt_loop_ev(), &m.ready_timer);
	if (!m.started) {
		m.started = 1;
		log_info("asyncd %s started: %d worker%s (pid %ld)",
		    PACKAGE_VERSION, workers_wanted(&m.conf),
		    workers_wanted(&m.conf) == 1 ? "" : "s", (long)getpid());
		if (m.conf.pid_file != NULL) {
			pid_t holder = 0;
			int err = pidfile_write(m.conf.pid_file, &holder);

			if (err == -EEXIST)
				log_error("pid file %s names a running asyncd "
				    "(pid %ld): not replaced", m.conf.pid_file,
				    (long)holder);
			else if (err != 0)
				log_error("cannot write the pid file %s: %s",
				    m.conf.pid_file, rt_strerror(err));
			else
				m.pid_written = 1;
		}
		(void)notify_ready("serving");
		master_status();
		return;
	}
	if (!m.have_next || gen != m.gen)
		return;
	/* A reload's generation is serving: the old one may go. */
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].used && m.slots[i].gen != gen)
			slot_quit(&m.slots[i], m.next.timeouts.shutdown, 1);
	conf_free(&m.conf);
	m.conf = m.next;
	m.have_next = 0;
	listeners_prune(gen);
	log_info("reloaded: generation %d serving with %d worker%s", gen,
	    workers_wanted(&m.conf), workers_wanted(&m.conf) == 1 ? "" : "s");
	(void)notify_ready("reloaded");
	master_status();
}

static void
reload_abort(const char *why)
{
	size_t i;

	log_error("reload failed: %s; the previous configuration keeps "
	    "serving", why);
	for (i = 0; i < SLOTS_MAX; i++)
		if (m.slots[i].used && m.slots[i].gen == m.gen) {
			m.slots[i].quitting = 1;
			(void)kill(m.slots[i].pid, SIGKILL);
		}
	conf_free(&m.next);
	m.have_next = 0;
	m.gen--;
	listeners_prune(m.gen);
	(void)notify_send("READY=1\nSTATUS=reload failed: %s", why);
}

static void
ready_timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)w;
	(void)revents;
	if (!m.started)
		master_trip("workers did not become ready in time");
	else if (m.have_next)
		reload_abort("the new workers did not become ready in time");
}

static void
master_reload(void)
{
	char err[1024];

	if (m.stopping)
		return;
	if (m.have_next) {
		log_warn("SIGHUP: a reload is already in progress");
		return;
	}
	(void)notify_reloading();
	log_info("SIGHUP: reloading %s", m.path);
	if (conf_load(m.path, &m.next, err, sizeof(err)) == -1) {
		log_error("reload failed: %s; the previous configuration keeps "
		    "serving", err);
		(void)notify_send("READY=1\nSTATUS=reload failed: %s", err);
		return;
	}
	m.have_next = 1;
	m.gen++;
	if (listeners_prepare(&m.next, m.gen) != 0) {
		reload_abort("cannot listen on a new address");
		return;
	}
	if (gen_spawn(m.gen, &m.next) != 0)
		reload_abort("cannot start the new workers");
}

static void
respawn_timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	int index, wanted = workers_wanted(&m.conf);
	size_t i;
	int have;

	(void)ev;
	(void)w;
	(void)revents;
	m.respawn_pending = 0;
	if (m.stopping)
		return;
	/* Fill the current generation's empty worker numbers. */
	for (index = 1; index <= wanted; index++) {
		have = 0;
		for (i = 0; i < SLOTS_MAX; i++)
			if (m.slots[i].used && m.slots[i].gen == m.gen &&
			    m.slots[i].index == index)
				have = 1;
		if (!have && master_spawn(m.gen, index, m.have_next ?
		    &m.next : &m.conf) != 0)
			master_trip("cannot respawn a worker");
	}
}

static void
worker_died(struct slot *sl, int status)
{
	double now = now_mono();
	char how[64];
	size_t i, recent = 0;

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d%s",
		    WTERMSIG(status), WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(how, sizeof(how), "exited with status %d",
		    WEXITSTATUS(status));
	if (sl->quitting || m.stopping) {
		log_debug("worker %d (pid %ld) %s", sl->index, (long)sl->pid,
		    how);
		return;
	}
	log_error("worker %d (pid %ld) %s", sl->index, (long)sl->pid, how);
	if (!sl->ready) {
		if (!m.started)
			master_trip("a worker failed during startup");
		else if (m.have_next && sl->gen == m.gen)
			reload_abort("a new worker failed during startup");
		else
			master_trip("a respawned worker failed during startup");
		return;
	}
	/* Crashes within the window, this one included. */
	m.crash_times[m.ncrash++ % BREAKER_CRASHES] = now;
	for (i = 0; i < BREAKER_CRASHES && i < m.ncrash; i++)
		if (now - m.crash_times[i] <= BREAKER_WINDOW)
			recent++;
	if (recent >= BREAKER_CRASHES) {
		master_trip("workers crash repeatedly");
		return;
	}
	m.backoff = m.backoff == 0 ? BACKOFF_MIN : m.backoff * 2;
	if (m.backoff > BACKOFF_MAX)
		m.backoff = BACKOFF_MAX;
	if (!m.respawn_pending) {
		m.respawn_pending = 1;
		ev_timer_set(&m.respawn_timer, m.backoff, 0.);
		ev_timer_start(rt_loop_ev(), &m.respawn_timer);
	}
}

/*
 * A child ended.  libev's default loop reaps children itself (its SIGCHLD
 * watcher calls waitpid(-1)), so a waitpid of ours would find nothing: the
 * pid and status come from an ev_child watcher for any pid.
 */
static void
child_cb(struct ev_loop *ev, ev_child *w, int revents)
{
	struct slot *sl;

	(void)ev;
	(void)revents;
	if ((sl = slot_by_pid(w->rpid)) == NULL)
		return;
	if (sl->chan_open) {
		chan_close(&sl->ch);
		sl->chan_open = 0;
	}
	sl->used = 0;
	worker_died(sl, w->rstatus);
	if (m.stopping)
		master_exit_when_done();
}

static void
heartbeat_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	double now = now_mono(), limit = m.conf.timeouts.heartbeat;
	struct slot *sl;
	size_t i;

	(void)ev;
	(void)w;
	(void)revents;
	for (i = 0; i < SLOTS_MAX; i++) {
		sl = &m.slots[i];
		if (!sl->used || !sl->ready)
			continue;
		if (sl->aborted != 0) {
			if (now - sl->aborted >= KILL_GRACE)
				(void)kill(sl->pid, SIGKILL);
			continue;
		}
		if (sl->ping_sent != 0 && now - sl->ping_sent >= limit) {
			log_error("worker %d (pid %ld) did not answer for %g s: "
			    "SIGABRT", sl->index, (long)sl->pid, limit);
			sl->aborted = now;
			(void)kill(sl->pid, SIGABRT);
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
	if (m.started && !m.stopping)
		master_status();
}

static void
watchdog_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)w;
	(void)revents;
	(void)notify_watchdog();
}

static void
signal_cb(struct rt_signal *s, int signum)
{
	size_t i;

	(void)s;
	switch (signum) {
	case SIGTERM:
	case SIGINT:
		master_stop(m.stopping >= 1, signum == SIGTERM ? "SIGTERM" :
		    "SIGINT");
		break;
	case SIGQUIT:
		master_stop(0, "SIGQUIT");
		break;
	case SIGHUP:
		master_reload();
		break;
	case SIGUSR1:
		if (log_reopen() != 0)
			log_error("cannot reopen the logs");
		for (i = 0; i < SLOTS_MAX; i++)
			if (m.slots[i].used)
				slot_send(&m.slots[i], CHAN_REOPEN_LOGS, NULL, 0);
		log_info("SIGUSR1: log files reopened");
		break;
	}
}

int
master_run(struct asyncd_conf *conf, const char *path)
{
	uint64_t wd;
	size_t i;
	int err;

	m.conf = *conf;
	m.path = path;
	proctitle_set("asyncd: master");
	if ((err = rt_loop_init(NULL)) != 0)
		fatalx(EX_OSERR, "cannot start the runtime: %s",
		    rt_strerror(err));
	if ((err = notify_init()) < 0)
		log_warn("NOTIFY_SOCKET unusable: %s", rt_strerror(err));

	sigemptyset(&m.handled_set);
	sigaddset(&m.handled_set, SIGCHLD);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&m.handled_set, handled[i]);
	ev_child_init(&m.child, child_cb, 0, 0);
	ev_child_start(rt_loop_ev(), &m.child);
	for (i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		rt_signal_start(&m.sig[i], handled[i], signal_cb, NULL);

	ev_timer_init(&m.heartbeat, heartbeat_cb, 0.,
	    m.conf.timeouts.heartbeat / 4);
	ev_timer_again(rt_loop_ev(), &m.heartbeat);
	ev_timer_init(&m.ready_timer, ready_timer_cb, 0., 0.);
	ev_timer_init(&m.kill_timer, kill_timer_cb, 0., 0.);
	ev_timer_init(&m.respawn_timer, respawn_timer_cb, 0., 0.);
	if ((wd = notify_watchdog_usec()) > 0) {
		ev_timer_init(&m.watchdog, watchdog_cb, 0., wd / 2e6);
		ev_timer_again(rt_loop_ev(), &m.watchdog);
	}

	m.gen = 1;
	activated_init();
	if (listeners_prepare(&m.conf, m.gen) != 0)
		return EX_OSERR;
	activated_close_unused();
	if (gen_spawn(m.gen, &m.conf) != 0) {
		master_trip("cannot start the workers");
	}

	(void)rt_loop_run();

	for (i = 0; i < m.nls; i++)
		(void)close(m.ls[i].fd);
	if (m.pid_written)
		(void)pidfile_remove(m.conf.pid_file);
	log_info("stopped%s", m.exit_status != 0 ? " (breaker)" : "");
	if (m.have_next)
		conf_free(&m.next);
	*conf = m.conf;
	return m.exit_status;
}
