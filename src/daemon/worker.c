/*
 * worker.c - a worker process: one loop, the HTTP server on the listening
 * sockets inherited from the master, the channel to the master.
 *
 * Started by master.c right after fork(), with every signal the master
 * handles still blocked (so none is lost or run by a handler that makes no
 * sense in a worker).  The worker then, in this order: drops what belongs
 * to the master (its libev loop, the other workers' channels, listeners it
 * does not serve), resets the signal dispositions, builds a fresh loop,
 * asks to die with its parent (PR_SET_PDEATHSIG, then checks the parent is
 * still the master: it may have died before the prctl), drops privileges,
 * starts serving, says READY, and only then unblocks signals.
 *
 * With a stats listener (stats.listen), a second HTTP server serves it,
 * with only the built-in app's pages; its requests are neither counted in
 * the metrics (a scrape every few seconds would be most of an idle
 * server's) nor written to the access log.
 *
 * Commands arrive over the channel (chan.c): PING (answer PONG with our
 * counters), DRAIN (a stop with timeouts.drain begins: keep serving, but
 * healthz answers 503 and every response closes its connection), QUIT
 * (graceful stop within a deadline: stop accepting, finish in-flight
 * requests, close idle connections), TERMINATE (now),
 * REOPEN_LOGS.  Signals sent to a worker directly act much as on an
 * nginx or gunicorn worker (asyncd(8) has the table): SIGTERM or SIGQUIT
 * is a QUIT with the configured shutdown timeout (the master then
 * replaces the worker), SIGUSR1 a REOPEN_LOGS; SIGINT, their fast stop,
 * is ignored, since a terminal's ^C reaches the whole process group and
 * the master decides; HUP (a reload is the master's) and every other
 * asynchronous signal is ignored (signals.c).  EOF on the channel means
 * the master is gone: the worker exits at once.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sysexits.h>
#include <unistd.h>

#include "chan.h"
#include "daemon.h"
#include "notify.h"
#include "tasks.h"

/* Connections the stats listener takes at once, per worker; more get 503.
 * Scrapers are few. */
#define WORKER_STATS_CONNS	64

static struct worker {
	const struct asyncd_conf *conf;
	int			 slot;
	pid_t			 master;
	struct chan		 ch;
	struct http_server	*server;
	struct http_server_conf	 hc;
	struct http_server	*stats_server;	/* on the stats listener, or
						   NULL */
	struct http_server_conf	 stats_hc;
	struct http_app		*stats_app;
	struct apps		 apps;
	int			 ready;		/* the apps' init is done */
	struct rt_event		 ready_ev;	/* set when it is done, or
						   failed */
	int			 draining;	/* DRAIN came: until QUIT */
	int			 quitting;
	double			 quit_deadline;
	int			 quit_reload;
	struct rt_signal	 sigterm, sigquit, sigusr1;
} w;

/*
 * The aggregated counters, for the stats pages: the master has every
 * worker's, so a page asks it over the channel (STATS_REQ) and waits for
 * the answer (STATS).  Questions coalesce: while one is out, every page
 * being served waits for its answer rather than asking again, so any
 * number of connections pipelining /metrics cost one round trip per
 * answer and never fail for want of a slot (a fixed table of 16 questions
 * answered 503, and logged it, 1.5 million times in 13 s).  A question
 * unanswered for longer than a page waits (the master stopped, say) is
 * asked again by the next page.
 *
 * An answer comes in several STATS messages (chan.h: CHAN_STATS_CHUNK
 * workers each), assembled in build and copied to snap once whole, so a
 * page never sees half of one answer and half of the next.  A message out
 * of sequence (the master could not queue the rest of an answer) drops
 * the assembly until the next answer's first message.
 */
static struct {
	uint32_t		 asked;		/* the question out; 0: none */
	double			 asked_at;
	uint32_t		 answered;	/* the snapshot's question */
	uint32_t		 next_id;
	struct rt_event		 news;		/* set by each answer */
	struct stats_cluster snap;
	struct stats_cluster build;		/* the answer coming in */
	uint32_t		 build_id;
	size_t			 build_next;	/* entries in so far; */
	int			 building;	/* 0: none coming */
} stats;

_Static_assert(sizeof(struct http_stats) == sizeof(struct chan_counters),
    "PONG carries struct http_stats as it is");

/* Whether round a is b or later (ids wrap). */
static int
worker_stats_round_reached(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* The built-in app's stats hook: asks the master, or joins the question
 * out; suspends up to timeout. */
static int
worker_stats(struct stats_cluster *out, double timeout)
{
	double end = rt_loop_time() + timeout, left;
	uint32_t round;
	int err;

	if (stats.asked == 0 || rt_loop_time() - stats.asked_at > timeout) {
		if (++stats.next_id == 0)
			stats.next_id = 1;
		round = stats.next_id;
		rt_event_clear(&stats.news);
		if ((err = chan_send(&w.ch, CHAN_STATS_REQ, round, getpid(),
		    NULL, 0)) != 0)
			return err;
		stats.asked = round;
		stats.asked_at = rt_loop_time();
	}
	round = stats.asked;
	while (stats.answered == 0 ||
	    !worker_stats_round_reached(stats.answered, round)) {
		if ((left = end - rt_loop_time()) <= 0)
			return -ETIMEDOUT;
		if ((err = rt_event_wait(&stats.news, left)) != 0)
			return err;
		rt_event_clear(&stats.news);
	}
	memcpy(out, &stats.snap, offsetof(struct stats_cluster, w) +
	    stats.snap.n * sizeof(stats.snap.w[0]));
	return 0;
}

static void
worker_stats_reply(const struct chan_hdr *hdr, const void *payload)
{
	const struct chan_stats *st = payload;
	struct stats_cluster *b = &stats.build;
	struct stats_worker *e;
	uint32_t k;

	if (st->first == 0) {
		stats.building = 1;
		stats.build_id = hdr->id;
		stats.build_next = 0;
	} else if (!stats.building || hdr->id != stats.build_id ||
	    st->first != stats.build_next) {
		stats.building = 0;
		return;
	}
	/* chan.c checked first + count <= nworkers <= CHAN_STATS_MAX. */
	for (k = 0; k < st->count; k++) {
		e = &b->w[st->first + k];
		e->pid = st->w[k].pid;
		e->slot = st->w[k].slot;
		e->procs = st->w[k].procs;
		memcpy(&e->c, &st->w[k].c, sizeof(e->c));
	}
	stats.build_next = st->first + st->count;
	if (stats.build_next < st->nworkers)
		return;
	stats.building = 0;
	/* An answer to an abandoned question is still news. */
	if (stats.answered != 0 && !worker_stats_round_reached(hdr->id,
	    stats.answered))
		return;
	b->m = st->m;
	b->n = st->nworkers;
	memcpy(&stats.snap, b, offsetof(struct stats_cluster, w) +
	    b->n * sizeof(b->w[0]));
	stats.answered = hdr->id;
	if (hdr->id == stats.asked)
		stats.asked = 0;
	rt_event_set(&stats.news);
}

/*
 * /debug/tasks: every worker's live tasks (tasks.c), gathered through the
 * master (chan.h: TASKS_REQ, then a COUNT and one PART per worker).  One
 * question at a time (a lock: this is a debugging page, and the parts
 * land in one buffer); parts that do not come within the page's wait are
 * reported missing, parts past TASKS_BODY_MAX are left out and counted.
 */
#define TASKS_BODY_MAX	(1024 * 1024)
#define TASKS_TAIL	128	/* room kept for the page's last line */

static struct {
	struct rt_lock		 lock;
	uint32_t		 next_id;
	uint32_t		 asking;	/* the question out; 0: none */
	int			 json;
	int64_t			 want;		/* parts coming; -1: no count */
	uint32_t		 got, left_out;
	char			*buf;
	size_t			 len;
	struct rt_event		 news;
} tasks;

/* Adds what a part says to the page. */
static void
worker_tasks_part(const struct chan_hdr *hdr, const struct chan_tasks *t)
{
	size_t n = hdr->len - sizeof(*t);

	if (hdr->id != tasks.asking || tasks.buf == NULL)
		return;
	tasks.got++;
	if (TASKS_BODY_MAX - TASKS_TAIL - tasks.len < n + 2)
		tasks.left_out++;
	else {
		if (tasks.json && tasks.got - tasks.left_out > 1) {
			memcpy(tasks.buf + tasks.len, ", ", 2);
			tasks.len += 2;
		}
		memcpy(tasks.buf + tasks.len, t->text, n);
		tasks.len += n;
	}
	rt_event_set(&tasks.news);
}

/* Answers the master's PULL: this worker's list, for the asker. */
static void
worker_tasks_pull(const struct chan_hdr *hdr, const struct chan_tasks_req *rq)
{
	static union {
		struct chan_tasks	 t;
		char			 bytes[CHAN_MAX_PAYLOAD];
	} out;
	struct tasks_opts o = { .format = (int)rq->format,
	    .slot = (unsigned)w.slot, .pid = (long)getpid(),
	    .now = rt_loop_wall() };
	ssize_t n;

	out.t.pid = rq->pid;
	out.t.format = rq->format;
	if ((n = tasks_format(out.t.text, CHAN_TASKS_TEXT_MAX, &o)) < 0)
		n = 0;
	(void)chan_send(&w.ch, CHAN_TASKS, hdr->id, getpid(), &out,
	    sizeof(out.t) + (size_t)n);
}

/* The built-in app's tasks hook: the page's body in *body (malloc'd, the
 * caller frees it), or -errno.  Suspends up to timeout. */
static int
worker_tasks(int format, char **body, size_t *len, double timeout)
{
	struct chan_tasks_req rq = { .pid = 0, .format = (uint32_t)format };
	double end = rt_loop_time() + timeout, left;
	int err, n;

	if ((err = rt_lock_acquire(&tasks.lock, timeout)) != 0)
		return err;
	if ((tasks.buf = malloc(TASKS_BODY_MAX)) == NULL) {
		rt_lock_release(&tasks.lock);
		return -ENOMEM;
	}
	if (++tasks.next_id == 0)
		tasks.next_id = 1;
	tasks.asking = tasks.next_id;
	tasks.json = format == TASKS_JSON;
	tasks.want = -1;
	tasks.got = tasks.left_out = 0;
	tasks.len = 0;
	if (tasks.json) {
		memcpy(tasks.buf, "{\"workers\": [", 13);
		tasks.len = 13;
	}
	rt_event_clear(&tasks.news);
	err = chan_send(&w.ch, CHAN_TASKS_REQ, tasks.asking, getpid(), &rq,
	    sizeof(rq));
	while (err == 0 && (tasks.want < 0 || tasks.got < tasks.want)) {
		if ((left = end - rt_loop_time()) <= 0)
			break;		/* what came, and who is missing */
		if ((err = rt_event_wait(&tasks.news, left)) == -ETIMEDOUT)
			err = 0;
		rt_event_clear(&tasks.news);
	}
	if (err == 0 && tasks.want < 0)
		err = -ETIMEDOUT;	/* the master never answered */
	if (err == 0) {
		if (tasks.json)
			n = snprintf(tasks.buf + tasks.len, TASKS_TAIL,
			    "], \"asked\": %lld, \"missing\": %lld, "
			    "\"left_out\": %u}\n", (long long)tasks.want,
			    (long long)(tasks.want - tasks.got),
			    tasks.left_out);
		else
			n = snprintf(tasks.buf + tasks.len, TASKS_TAIL,
			    "(%lld workers asked, %lld missing, %u left out)\n",
			    (long long)tasks.want,
			    (long long)(tasks.want - tasks.got),
			    tasks.left_out);
		tasks.len += n > 0 && n < TASKS_TAIL ? (size_t)n : 0;
		*body = tasks.buf;
		*len = tasks.len;
	} else
		free(tasks.buf);
	tasks.buf = NULL;
	tasks.asking = 0;
	rt_lock_release(&tasks.lock);
	return err;
}

static void
worker_counters(struct chan_counters *c)
{
	struct http_stats st;

	http_server_stats(w.server, &st);
	memcpy(c, &st, sizeof(*c));
}

/* The built-in app's health hook. */
static int
worker_draining(void)
{
	return w.draining || w.quitting;
}

/*
 * DRAIN: the master's stop begins with timeouts.drain.  Both servers keep
 * serving, with Connection: close on every response, and healthz says
 * 503, so that load balancers take us out of rotation while nothing is
 * refused; the QUIT that follows is the graceful stop.
 */
static void
worker_drain(void)
{
	if (w.draining || w.quitting)
		return;
	w.draining = 1;
	http_server_drain(w.server);
	if (w.stats_server != NULL)
		http_server_drain(w.stats_server);
	proctitle_set("asyncd: worker %d (draining)", w.slot);
	log_debug("worker %d: draining", w.slot);
}

/*
 * The graceful stop: the server drains, then the apps' tasks are stopped
 * and their cleanups run (they may wait: a database's goodbye), then the
 * loop ends.  If the apps' init is still running, it is let finish first.
 */
static int
worker_quit_task(void *arg)
{
	int cancelled;

	double end, left;

	(void)arg;
	proctitle_set("asyncd: worker %d (draining)", w.slot);
	while (!rt_event_is_set(&w.ready_ev))
		(void)rt_event_wait(&w.ready_ev, RT_FOREVER);
	end = rt_loop_time() + w.quit_deadline;
	cancelled = http_server_shutdown(w.server, w.quit_deadline,
	    w.quit_reload);
	/* Scrapes are short: what is left of the deadline is enough. */
	if (w.stats_server != NULL) {
		left = end - rt_loop_time();
		cancelled += http_server_shutdown(w.stats_server, left > 0 ?
		    left : 0, w.quit_reload);
	}
	if (cancelled > 0)
		log_warn("worker %d: %d connection%s cancelled at the deadline",
		    w.slot, cancelled, cancelled == 1 ? "" : "s");
	if (w.ready)
		apps_cleanup(&w.apps);
	rt_loop_stop();
	return 0;
}

/*
 * The start, in a task since the apps' init may wait: init each app, then
 * serve and tell the master.  An init that fails fails the worker: at a
 * reload the old generation keeps serving.
 */
static int
worker_start_task(void *arg)
{
	char err[1024];
	int rc;

	(void)arg;
	if (apps_init(&w.apps, err, sizeof(err)) != 0) {
		log_error("worker %d: %s", w.slot, err);
		(void)chan_send(&w.ch, CHAN_FATAL, 0, getpid(), err,
		    strlen(err) > 0 ? strlen(err) : 1);
		(void)chan_flush(&w.ch);
		http_server_flush_access(w.server);
		_exit(EX_SOFTWARE);
	}
	if ((rc = http_server_start(w.server)) != 0 ||
	    (w.stats_server != NULL &&
	    (rc = http_server_start(w.stats_server)) != 0))
		fatalx(EX_OSERR, "worker %d: cannot start serving: %s", w.slot,
		    rt_strerror(rc));
	w.ready = 1;
	rt_event_set(&w.ready_ev);
	if ((rc = chan_send(&w.ch, CHAN_READY, 0, getpid(), NULL, 0)) != 0)
		fatalx(EX_OSERR, "worker %d: cannot tell the master: %s",
		    w.slot, rt_strerror(rc));
	return 0;
}

/*
 * A fault is killing us (rt_fault_hook, on the alternate signal stack):
 * tell the master which task it hit, for its log (a handler's task is
 * named after its route).  Async-signal-safe: one write(2) of a FATAL
 * frame built by hand, and only when no frame of ours is half-sent.
 */
static void
worker_fault(int signo, const char *task)
{
	static unsigned char frame[CHAN_FRAME_LEN(160)];
	struct chan_hdr h;
	char *p = (char *)frame + sizeof(h);
	const char *what = signo == SIGSEGV ? "SIGSEGV" : signo == SIGBUS ?
	    "SIGBUS" : "stack overflow";
	size_t n = 0, k;

	if (w.ch.fd < 0 || chan_pending(&w.ch) != 0)
		return;
	for (k = 0; what[k] != '\0'; k++)
		p[n++] = what[k];
	if (task != NULL) {
		for (k = 0; " in task "[k] != '\0'; k++)
			p[n++] = " in task "[k];
		for (k = 0; task[k] != '\0' && n < 150; k++)
			p[n++] = task[k];
	}
	memset(&h, 0, sizeof(h));
	h.type = CHAN_FATAL;
	h.len = (uint32_t)n;
	h.pid = getpid();
	memcpy(frame, &h, sizeof(h));
	memset(p + n, 0, CHAN_FRAME_LEN(n) - sizeof(h) - n);
	(void)!write(w.ch.fd, frame, CHAN_FRAME_LEN(n));
}

static void
worker_quit(double deadline, int reload)
{
	int err;

	if (w.quitting)
		return;
	w.quitting = 1;
	w.quit_deadline = deadline;
	w.quit_reload = reload;
	if ((err = rt_task_spawn(NULL, "quit", worker_quit_task, NULL)) != 0) {
		log_error("worker %d: cannot start the graceful stop: %s",
		    w.slot, rt_strerror(err));
		http_server_flush_access(w.server);
		_exit(EX_OSERR);
	}
}

/* REOPEN_LOGS, or SIGUSR1: the access log's buffer goes to the old file
 * first, then both logs are opened again by name. */
static void
worker_reopen_logs(void)
{
	http_server_flush_access(w.server);
	if (log_reopen() != 0)
		log_error("worker %d: cannot reopen the logs", w.slot);
}

static void
worker_msg_cb(struct chan *c, const struct chan_hdr *hdr, const void *payload,
    void *arg)
{
	struct chan_counters counters;
	struct chan_quit q;

	(void)arg;
	switch (hdr->type) {
	case CHAN_PING:
		worker_counters(&counters);
		/* A full queue means the master stopped reading: it will
		 * notice the missing PONG. */
		(void)chan_send(c, CHAN_PONG, hdr->id, getpid(), &counters,
		    sizeof(counters));
		break;
	case CHAN_QUIT:
		memcpy(&q, payload, sizeof(q));
		worker_quit(q.deadline, (int)q.reload);
		break;
	case CHAN_DRAIN:
		worker_drain();
		break;
	case CHAN_TERMINATE:
		http_server_flush_access(w.server);
		_exit(0);
	case CHAN_STATS:
		worker_stats_reply(hdr, payload);
		break;
	case CHAN_TASKS_COUNT:
		if (hdr->id == tasks.asking) {
			tasks.want = *(const uint32_t *)payload;
			rt_event_set(&tasks.news);
		}
		break;
	case CHAN_TASKS_PULL:
		worker_tasks_pull(hdr, payload);
		break;
	case CHAN_TASKS_PART:
		worker_tasks_part(hdr, payload);
		break;
	case CHAN_REOPEN_LOGS:
		worker_reopen_logs();
		/* Said once done, so that whoever moved the files knows when
		 * the worker writes to the new ones (the master's own line
		 * comes before the worker got the message). */
		log_info("worker %d: log files reopened", w.slot);
		break;
	default:
		/* chan.c checked the type is known; the rest are the master's
		 * own messages, which a worker must never receive. */
		log_error("worker %d: unexpected %s from the master", w.slot,
		    chan_type_name(hdr->type));
		break;
	}
}

static void
worker_close_cb(struct chan *c, int err, void *arg)
{
	(void)c;
	(void)arg;
	/* The master is gone (EOF) or broke the protocol: nothing may
	 * outlive it, and nobody would stop us. */
	if (err != 0)
		log_error("worker %d: channel to the master failed: %s",
		    w.slot, rt_strerror(err));
	http_server_flush_access(w.server);
	_exit(err != 0 ? EX_PROTOCOL : 0);
}

/* SIGUSR1 sent to the worker itself: what the master's REOPEN_LOGS does
 * (`pkill -USR1` reaches every process; reopening twice is harmless). */
static void
worker_sigusr1_cb(struct rt_signal *s, int signum)
{
	(void)s;
	(void)signum;
	worker_reopen_logs();
	log_info("worker %d: SIGUSR1: log files reopened", w.slot);
}

/* SIGTERM or SIGQUIT sent to the worker itself. */
static void
worker_sigterm_cb(struct rt_signal *s, int signum)
{
	(void)s;
	(void)signum;
	worker_quit(w.conf->timeouts.shutdown, 0);
}

/*
 * A seam for the integration tests, not a feature: a program that defines
 * worker__test_start (tests/integration/asyncd-hooks.c, built for make
 * check only) makes workers fail or hang at startup on demand.  asyncd and
 * libasyncd define nothing: the weak reference stays null, and a program
 * of theirs has no such behaviour, whatever its environment says.  Default
 * visibility, so that libasyncd.so's reference reaches the executable.
 */
extern void	worker__test_start(int slot)
		    __attribute__((weak, visibility("default")));

/* Drops root for the configured user and group (never back). */
void
daemon_drop_privileges(const struct asyncd_conf *conf, const char *who)
{
	if (geteuid() != 0)
		return;
	if (conf->have_gid) {
		/* The user's supplementary groups, or none at all: never keep
		 * root's. */
		if (conf->have_uid ? initgroups(conf->user, conf->gid) == -1 :
		    setgroups(0, NULL) == -1)
			fatal(EX_OSERR, "%s: setgroups", who);
		if (setgid(conf->gid) == -1)
			fatal(EX_OSERR, "%s: setgid %s", who,
			    conf->group);
	}
	if (conf->have_uid && setuid(conf->uid) == -1)
		fatal(EX_OSERR, "%s: setuid %s", who, conf->user);
}

/*
 * The process part of a worker's start: off the master's loop and
 * signals, bound to the master's life, a runtime of its own, no root.
 */
static void
worker_process_init(const struct worker_args *a)
{
	char who[32];
	sigset_t keep;
	int err;

	/* The master's loop is ours by fork only: destroy it (its signal
	 * fd, epoll fd, timers) and make our own. */
	rt_loop_close();
	/* Every handler of the master's goes: ours are TERM, QUIT and USR1
	 * (set below, and left alone here so that one already sent and
	 * still blocked is not discarded), CHLD is the default; the rest of
	 * what the master handles (^C reaches the whole group, a reload is
	 * the master's) is ignored with everything else. */
	(void)sigemptyset(&keep);
	(void)sigaddset(&keep, SIGTERM);
	(void)sigaddset(&keep, SIGQUIT);
	(void)sigaddset(&keep, SIGUSR1);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGQUIT, SIG_DFL);
	(void)signal(SIGUSR1, SIG_DFL);
	(void)signal(SIGCHLD, SIG_DFL);
	if ((err = signals_ignore(&keep)) != 0)
		fatalx(EX_OSERR, "worker %d: cannot ignore signals: %s",
		    a->slot, rt_strerror(err));
	notify_unset();

	/* Die with the master, and check it did not die first. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1)
		fatal(EX_OSERR, "worker %d: prctl(PR_SET_PDEATHSIG)", a->slot);
	if (getppid() != a->master)
		_exit(0);

	if ((err = rt_loop_init(NULL)) != 0)
		fatalx(EX_OSERR, "worker %d: cannot start the runtime: %s",
		    a->slot, rt_strerror(err));
	if (worker__test_start != NULL)
		worker__test_start(a->slot);
	(void)snprintf(who, sizeof(who), "worker %d", a->slot);
	daemon_drop_privileges(a->conf, who);
}

/* The HTTP servers: the apps' on the listeners, and /stats's on its own. */
static void
worker_servers_new(const struct worker_args *a)
{
	const struct asyncd_conf *conf = a->conf;
	char err_msg[1024];
	size_t i;
	int err;

	memset(&w.hc, 0, sizeof(w.hc));
	w.hc.limits = conf->limits;
	w.hc.timeouts.header = conf->timeouts.header;
	w.hc.timeouts.body = conf->timeouts.body;
	w.hc.timeouts.keepalive = conf->timeouts.keepalive;
	w.hc.timeouts.send = conf->timeouts.send;
	w.hc.max_conns = conf->max_connections;
	w.hc.apps = w.apps.app;
	w.hc.napps = w.apps.n;
	w.hc.server_name = conf->server_name;
	w.hc.access_fd = log_access_fd();
	w.hc.access_fmt = &conf->access_fmt;
	w.hc.access_flush = conf->access_flush;
	w.hc.worker = (unsigned)a->slot;
	w.hc.trusted = conf->trusted;
	w.hc.ntrusted = conf->ntrusted;
	w.hc.log = log_msg;
	if ((w.server = http_server_new(&w.hc, err_msg, sizeof(err_msg))) ==
	    NULL)
		fatalx(EX_OSERR, "worker %d: %s", a->slot, err_msg);
	for (i = 0; i < a->nfds; i++)
		if ((err = http_server_adopt(w.server, a->fds[i],
		    a->fd_flags[i])) != 0)
			fatalx(EX_OSERR, "worker %d: cannot use listener %zu: %s",
			    a->slot, i, rt_strerror(err));
	if (a->stats_fd < 0)
		return;
	if ((w.stats_app = builtin_app_new(conf, NULL, 1, err_msg,
	    sizeof(err_msg))) == NULL)
		fatalx(EX_OSERR, "worker %d: %s", a->slot, err_msg);
	w.stats_hc = w.hc;
	w.stats_hc.max_conns = WORKER_STATS_CONNS;
	w.stats_hc.apps = &w.stats_app;
	w.stats_hc.napps = 1;
	w.stats_hc.access_fd = NULL;
	if ((w.stats_server = http_server_new(&w.stats_hc, err_msg,
	    sizeof(err_msg))) == NULL)
		fatalx(EX_OSERR, "worker %d: %s", a->slot, err_msg);
	if ((err = http_server_adopt(w.stats_server, a->stats_fd, 0)) != 0)
		fatalx(EX_OSERR, "worker %d: cannot use the stats listener: %s",
		    a->slot, rt_strerror(err));
}

void
worker_main(const struct worker_args *a)
{
	char err_msg[1024];
	int err;

	w.conf = a->conf;
	w.slot = a->slot;
	w.master = a->master;
	proctitle_set("asyncd: worker %d", a->slot);
	worker_process_init(a);

	/* The apps' code first runs here, without root.  A bad setting is
	 * a configuration error: at the first start the master then exits
	 * with EX_CONFIG too. */
	rt_event_init(&w.ready_ev);
	rt_event_init(&stats.news);
	rt_event_init(&tasks.news);
	rt_lock_init(&tasks.lock);
	if (apps_load(&w.apps, a->conf, &(struct builtin_hooks){ worker_stats,
	    worker_draining, worker_tasks }, err_msg, sizeof(err_msg)) != 0) {
		log_error("worker %d: %s", a->slot, err_msg);
		_exit(EX_CONFIG);
	}
	worker_servers_new(a);

	if ((err = chan_init(&w.ch, a->chan_fd, worker_msg_cb,
	    worker_close_cb, NULL)) != 0)
		fatalx(EX_OSERR, "worker %d: channel: %s", a->slot,
		    rt_strerror(err));
	rt_signal_start(&w.sigterm, SIGTERM, worker_sigterm_cb, NULL);
	rt_signal_start(&w.sigquit, SIGQUIT, worker_sigterm_cb, NULL);
	rt_signal_start(&w.sigusr1, SIGUSR1, worker_sigusr1_cb, NULL);
	rt_fault_hook(worker_fault);
	if ((err = rt_task_spawn(NULL, "start", worker_start_task, NULL)) != 0)
		fatalx(EX_OSERR, "worker %d: cannot start: %s", a->slot,
		    rt_strerror(err));

	/* Everything is in place: signals may come now. */
	if (sigprocmask(SIG_SETMASK, &a->sigmask, NULL) == -1)
		fatal(EX_OSERR, "worker %d: sigprocmask", a->slot);

	(void)rt_loop_run();
	http_server_flush_access(w.server);
	/* Flush what the master should still hear (nothing is pending in
	 * practice), then leave without running the master's atexit state. */
	(void)chan_flush(&w.ch);
	_exit(0);
}
