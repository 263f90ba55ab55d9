/*
 * test-daemon.c - asyncd's process model, driven from outside: the real
 * binary, its master and workers, signals, reloads, supervision and the
 * systemd notify protocol (DESIGN.md §3).
 *
 * Each test writes its own configuration (port 0, the worker count and
 * timeouts it is about), binds a datagram socket of its own and passes it
 * as NOTIFY_SOCKET, starts `asyncd -c FILE` with fork/exec and its stderr on
 * a pipe, and reads that pipe until "listening on 127.0.0.1:PORT" gives the
 * real port.  The workers are found as the master's children in /proc
 * (their titles, from /proc/PID/cmdline: "asyncd: worker N", with
 * " (draining)" once told to quit).  The binary is $ASYNCD, else ./asyncd;
 * TEST_DAEMON_FILTER (a cmocka glob such as "test_reload*") runs a subset.
 *
 * Nothing outlives the program.  The test process is a child subreaper
 * (PR_SET_CHILD_SUBREAPER), so workers orphaned by their master are
 * reparented to it and reaped here; every master gets PR_SET_PDEATHSIG, so it
 * dies with us, and its workers die with it; each test's teardown SIGKILLs
 * the master it started if it still runs, stops and joins the load threads,
 * then reaps every orphan; an alarm() watchdog kills the master and exits
 * rather than hang.  The only processes signalled are the master this file
 * started and, where a test is about that, one of that master's workers
 * (STYLE.md §7).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "harness.h"

#define STARTUP_MS	5000		/* until "listening on" */
#define READY_MS	5000		/* until READY=1 */
#define IO_MS		3000		/* any single wait for the server */
#define WATCHDOG_S	30		/* one test, whole */
#define WATCHDOG_STR	"30"
#define NWORKERS_MAX	16
#define NOTES_MAX	512		/* notify datagrams kept per test */
#define NOTE_LEN	512
#define LOAD_THREADS	8
#define RELOADS		5

extern char **environ;

/* ---- processes ----------------------------------------------------------- */

static volatile pid_t	 master_pid;	/* the running master; the watchdog
					   kills it */
static const char	*asyncd_path;
/* asyncd with the test seam (tests/integration/asyncd-hooks.c), for
 * ASYNCD_TEST_WORKER_FAIL; NULL: those tests are skipped. */
static const char	*hooks_path;
static char		 tmpdir[256];	/* absolute and short */

static void
watchdog_cb(int signo)
{
	static const char msg[] = "test-daemon: watchdog: a test took more "
	    "than " WATCHDOG_STR " s; killing its server\n";

	(void)signo;
	if (master_pid > 0)
		(void)kill(master_pid, SIGKILL);	/* workers follow */
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(99);
}

/* Waits up to ms for pid (our child) to exit: its wait status, or -1 if it
 * still runs (or is not ours). */
static int
reap(pid_t pid, long ms)
{
	return harness_reap(pid, ms, 2, NULL);
}

/*
 * Reaps every child left (orphaned workers come to us, the subreaper) for
 * up to ms; 0 once there is none, -1 if some still run.
 */
static int
reap_orphans(long ms)
{
	long end = now_ms() + ms;
	pid_t r;

	for (;;) {
		r = waitpid(-1, NULL, WNOHANG);
		if (r == -1 && errno == ECHILD)
			return 0;
		if (r > 0)
			continue;
		if (now_ms() >= end)
			return -1;
		sleep_ms(5);
	}
}

/* One process of /proc. */
struct proc {
	pid_t		 pid;
	pid_t		 ppid;
	char		 state;
	char		 title[128];	/* cmdline up to its first NUL */
};

/* Reads /proc/PID: 0, or -1 if it is gone. */
static int
proc_read(pid_t pid, struct proc *p)
{
	char path[64], buf[1024], *rp;
	ssize_t n;
	int fd;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
	if ((rp = strrchr(buf, ')')) == NULL || rp[1] != ' ' || rp[2] == '\0')
		return -1;
	p->state = rp[2];
	p->ppid = (pid_t)strtol(rp + 4, NULL, 10);
	(void)snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, p->title, sizeof(p->title) - 1);
	(void)close(fd);
	if (n < 0)
		return -1;
	p->title[n] = '\0';	/* the first NUL ends the title */
	return 0;
}

/* The live (not zombie) children of ppid; how many (at most cap). */
static size_t
proc_children(pid_t ppid, struct proc *out, size_t cap)
{
	struct dirent *de;
	struct proc p;
	size_t n = 0;
	DIR *d;
	long pid;
	char *end;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < cap) {
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0)
			continue;
		if (proc_read((pid_t)pid, &p) != 0 || p.ppid != ppid ||
		    p.state == 'Z')
			continue;
		out[n++] = p;
	}
	(void)closedir(d);
	return n;
}

/* A worker's number from its title, and whether it is draining; 0 if the
 * title is not a worker's. */
static int
worker_index(const char *title, int *draining)
{
	static const char pfx[] = "asyncd: worker ";
	char *end;
	long i;

	*draining = 0;
	if (strncmp(title, pfx, sizeof(pfx) - 1) != 0)
		return 0;
	i = strtol(title + sizeof(pfx) - 1, &end, 10);
	if (i <= 0 || end == title + sizeof(pfx) - 1)
		return 0;
	if (strcmp(end, " (draining)") == 0)
		*draining = 1;
	else if (*end != '\0')
		return 0;
	return (int)i;
}

/* The master's workers now: non-draining ones in pids[index - 1] (0 for
 * none), how many of those, and the draining ones counted in *draining. */
struct workers {
	pid_t		 pid[NWORKERS_MAX + 1];	/* by index - 1 */
	size_t		 serving;	/* not draining */
	size_t		 draining;
	size_t		 other;		/* children with another title */
	size_t		 dup;		/* an index seen twice, not draining */
	char		 titles[512];	/* for messages */
};

static void
workers_scan(pid_t master, struct workers *w)
{
	struct proc ps[64];
	size_t i, n, o = 0;
	int idx, dr;

	memset(w, 0, sizeof(*w));
	n = proc_children(master, ps, 64);
	for (i = 0; i < n; i++) {
		if (o < sizeof(w->titles) - 1)
			o += (size_t)snprintf(w->titles + o,
			    sizeof(w->titles) - o, "%s[%ld \"%s\"]",
			    i == 0 ? "" : " ", (long)ps[i].pid, ps[i].title);
		if (o > sizeof(w->titles) - 1)
			o = sizeof(w->titles) - 1;
		idx = worker_index(ps[i].title, &dr);
		if (idx == 0 || idx > NWORKERS_MAX) {
			w->other++;
			continue;
		}
		if (dr) {
			w->draining++;
			continue;
		}
		if (w->pid[idx - 1] != 0)
			w->dup++;
		w->pid[idx - 1] = ps[i].pid;
		w->serving++;
	}
}

/* Exactly workers 1..n serving, nothing else. */
static int
workers_exactly(const struct workers *w, size_t n, int allow_draining)
{
	size_t i;

	if (w->serving != n || w->dup != 0 || w->other != 0 ||
	    (!allow_draining && w->draining != 0))
		return 0;
	for (i = 0; i < n; i++)
		if (w->pid[i] == 0)
			return 0;
	return 1;
}

/* A live process with a worker's title (reaping it first if it is our
 * zombie, an orphan reparented to us). */
static int
worker_alive(pid_t pid)
{
	struct proc p;
	int dr;

	(void)waitpid(pid, NULL, WNOHANG);
	if (proc_read(pid, &p) != 0 || p.state == 'Z')
		return 0;
	return worker_index(p.title, &dr) != 0;
}

/* Orphaned workers now ours (our children with a worker's title). */
static size_t
orphan_workers(void)
{
	struct proc ps[64];
	size_t i, n, k = 0;
	int dr;

	n = proc_children(getpid(), ps, 64);
	for (i = 0; i < n; i++)
		if (worker_index(ps[i].title, &dr) != 0)
			k++;
	return k;
}

/* ---- the notify socket --------------------------------------------------- */

/*
 * What systemd would see: a bound SOCK_DGRAM socket and what reached it.
 * A thread reads it all the time, as systemd does: the master's sends
 * block once a dozen datagrams wait unread (net.unix.max_dgram_qlen), and
 * the heartbeat sends a STATUS= line every heartbeat/4 seconds.  Notes are
 * only appended: note[i] is stable once n > i.
 */
static struct notif {
	int		 fd;
	char		 name[108];	/* NOTIFY_SOCKET's value */
	char		 path[108];	/* to unlink; "" for an abstract name */
	char		 note[NOTES_MAX][NOTE_LEN];
	size_t		 n;		/* atomic */
	int		 stop;		/* atomic */
	int		 running;
	pthread_t	 tid;
} nt = { .fd = -1 };

static size_t
notif_count(void)
{
	return __atomic_load_n(&nt.n, __ATOMIC_ACQUIRE);
}

static void *
notif_main(void *arg)
{
	struct pollfd pfd = { .fd = nt.fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;
	size_t k;

	(void)arg;
	while (!__atomic_load_n(&nt.stop, __ATOMIC_ACQUIRE)) {
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		while ((n = recv(nt.fd, buf, sizeof(buf) - 1, 0)) >= 0) {
			k = nt.n;
			if (k == NOTES_MAX)
				continue;	/* keep reading, drop it */
			if ((size_t)n >= NOTE_LEN)
				n = NOTE_LEN - 1;
			memcpy(nt.note[k], buf, (size_t)n);
			nt.note[k][n] = '\0';
			__atomic_store_n(&nt.n, k + 1, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

static int
notif_open(int abstract)
{
	static int seq;
	struct sockaddr_un sa;
	socklen_t len;
	size_t l;

	memset(&nt, 0, sizeof(nt));
	nt.fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (abstract) {
		(void)snprintf(nt.name, sizeof(nt.name),
		    "@asyncd-test-daemon-%ld-%d", (long)getpid(), ++seq);
		l = strlen(nt.name);
		memcpy(sa.sun_path, nt.name, l);
		sa.sun_path[0] = '\0';
		/* The exact length: no trailing NUL in an abstract name. */
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l);
	} else {
		if (snprintf(nt.path, sizeof(nt.path), "%s/notify-%d.sock",
		    tmpdir, ++seq) >= (int)sizeof(nt.path))
			return -1;
		(void)snprintf(nt.name, sizeof(nt.name), "%s", nt.path);
		l = strlen(nt.path);
		memcpy(sa.sun_path, nt.path, l);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + l +
		    1);
		(void)unlink(nt.path);
	}
	nt.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (nt.fd == -1)
		return -1;
	if (bind(nt.fd, (struct sockaddr *)&sa, len) == -1 ||
	    pthread_create(&nt.tid, NULL, notif_main, NULL) != 0) {
		(void)close(nt.fd);
		nt.fd = -1;
		return -1;
	}
	nt.running = 1;
	return 0;
}

static void
notif_close(void)
{
	if (nt.running) {
		__atomic_store_n(&nt.stop, 1, __ATOMIC_RELEASE);
		(void)pthread_join(nt.tid, NULL);
		nt.running = 0;
	}
	if (nt.fd >= 0)
		(void)close(nt.fd);
	nt.fd = -1;
	if (nt.path[0] != '\0')
		(void)unlink(nt.path);
	nt.path[0] = '\0';
}

/* Whether message text has a line that starts with key ("READY=1"). */
static int
note_has(const char *text, const char *key)
{
	size_t kl = strlen(key);
	const char *p = text;

	for (;;) {
		if (strncmp(p, key, kl) == 0)
			return 1;
		if ((p = strchr(p, '\n')) == NULL)
			return 0;
		p++;
	}
}

static int	srv_drain(long end_ms);

/* The index of the first message at or after from with a line starting
 * with key, waiting up to ms; -1 if none came. */
static long
notif_wait(size_t from, const char *key, long ms)
{
	long end = now_ms() + ms;
	size_t i = from;

	for (;;) {
		for (; i < notif_count(); i++)
			if (note_has(nt.note[i], key))
				return (long)i;
		if (now_ms() >= end)
			return -1;
		/* Keep reading its stderr: a full pipe would block the
		 * master in a write, not in what the test waits for. */
		if (srv_drain(now_ms() + 2) != 1)
			sleep_ms(2);
	}
}

/* Every message so far, for a failure message. */
static const char *
notif_dump(void)
{
	static char out[4096];
	size_t i, o = 0;
	const char *p;

	out[0] = '\0';
	for (i = 0; i < notif_count() && o + 8 < sizeof(out); i++) {
		out[o++] = '{';
		for (p = nt.note[i]; *p != '\0' && o + 6 < sizeof(out); p++) {
			if (*p == '\n') {
				out[o++] = '\\';
				out[o++] = 'n';
			} else
				out[o++] = *p;
		}
		out[o++] = '}';
		out[o++] = ' ';
	}
	out[o] = '\0';
	return out;
}

/* ---- the server under test ----------------------------------------------- */

struct srv_conf {
	int		 workers;
	double		 delay_root;	/* GET / */
	double		 delay_slow;	/* GET /slow */
	double		 heartbeat;	/* 0: the default */
	int		 second_listen;	/* also 127.0.0.2:0 */
	const char	*pid_file;	/* NULL: off */
	const char	*access_log;	/* NULL: off */
	const char	*extra;		/* a last line, as is */
	const char	*listen;	/* instead of "127.0.0.1:0" */
	double		 ready;		/* timeouts.ready; 0: 5 s */
	const char	*error_log;	/* NULL: stderr */
	const char	*app;		/* another app, after the seed's */
	const char	*log_opts;	/* more of log = { ... }, as is */
	double		 header;	/* timeouts.header; 0: 5 s */
	double		 drain;		/* timeouts.drain; 0: off */
};

/* The running server; one per test. */
static struct srv {
	pid_t		 pid;
	int		 port;
	int		 err_fd;	/* its stderr (and its workers') */
	int		 status;	/* wait status once reaped, else -1 */
	char		 conf[PATH_MAX];
	char		 log[65536];	/* its stderr so far */
	size_t		 log_len;
	char		 tail[1024];	/* the newest bytes, a ring */
	size_t		 tail_len;	/* bytes ever put in the ring */
	size_t		 total;		/* bytes read in all */
} srv = { .err_fd = -1, .status = -1 };

static int
write_file_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];
	FILE *fp;
	int ok;

	(void)snprintf(tmp, sizeof(tmp), "%s.new", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return -1;
	ok = fputs(text, fp) >= 0;
	if (fclose(fp) != 0 || !ok)
		return -1;
	return rename(tmp, path);
}

/*
 * Writes srv.conf from c; the line number of c->extra (the last line) in
 * *extra_line if asked.  0 or -1.
 */
static int
conf_write(const struct srv_conf *c, int *extra_line)
{
	char text[4096], opt[1024];
	size_t o = 0;
	const char *p;
	int line = 1;

	o += (size_t)snprintf(text + o, sizeof(text) - o,
	    "# written by test-daemon\n"
	    "listen = [ \"%s\"%s ];\n"
	    "workers = %d;\n"
	    "timeouts = { header = %.3f; body = 5.0; keepalive = 10.0; "
	    "send = 5.0; shutdown = 5.0; ready = %.3f;",
	    c->listen != NULL ? c->listen : "127.0.0.1:0",
	    c->second_listen ? ", \"127.0.0.2:0\"" : "", c->workers,
	    c->header > 0 ? c->header : 5.0, c->ready > 0 ? c->ready : 5.0);
	if (c->heartbeat > 0)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " heartbeat = %.3f;", c->heartbeat);
	if (c->drain > 0)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    " drain = %.3f;", c->drain);
	o += (size_t)snprintf(text + o, sizeof(text) - o, " };\n");
	(void)snprintf(opt, sizeof(opt), "\"%s\"",
	    c->access_log != NULL ? c->access_log : "off");
	o += (size_t)snprintf(text + o, sizeof(text) - o,
	    "log = { error = \"%s\"; level = \"info\"; access = %s; %s };\n",
	    c->error_log != NULL ? c->error_log : "stderr", opt,
	    c->log_opts != NULL ? c->log_opts : "");
	(void)snprintf(opt, sizeof(opt), "\"%s\"",
	    c->pid_file != NULL ? c->pid_file : "off");
	o += (size_t)snprintf(text + o, sizeof(text) - o,
	    "pid_file = %s;\n"
	    "apps = ( { module = \"seed\"; settings = { routes = (\n"
	    "  { path = \"/\"; handler = \"index\"; delay = %.3f; },\n"
	    "  { path = \"/hello/{name}\"; handler = \"hello\"; delay = 0.0; },\n"
	    "  { path = \"/slow\"; handler = \"index\"; delay = %.3f; }\n"
	    "); }; }%s%s );\n", opt, c->delay_root, c->delay_slow,
	    c->app != NULL ? ",\n  " : "", c->app != NULL ? c->app : "");
	for (p = text; p < text + o; p++)
		if (*p == '\n')
			line++;
	if (extra_line != NULL)
		*extra_line = line;
	if (c->extra != NULL)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%s\n",
		    c->extra);
	if (o >= sizeof(text))
		return -1;
	return write_file_atomic(srv.conf, text);
}

/* Appends what fd has (waiting until end_ms at most) to the log; 0 at
 * EOF, 1 if it may have more, -1 at end_ms. */
static int
srv_drain(long end_ms)
{
	struct pollfd pfd = { .fd = srv.err_fd, .events = POLLIN };
	char sink[4096];
	long left = end_ms - now_ms();
	size_t room;
	ssize_t n;

	if (srv.err_fd < 0)
		return 0;
	if (poll(&pfd, 1, (int)(left < 0 ? 0 : left)) <= 0)
		return -1;
	n = read(srv.err_fd, sink, sizeof(sink));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0) {
		(void)close(srv.err_fd);
		srv.err_fd = -1;
		return 0;
	}
	room = sizeof(srv.log) - 1 - srv.log_len;
	if ((size_t)n < room)
		room = (size_t)n;
	memcpy(srv.log + srv.log_len, sink, room);
	srv.log_len += room;
	srv.log[srv.log_len] = '\0';
	/* Past the log's room the newest bytes still show in failures. */
	for (ssize_t i = 0; i < n; i++)
		srv.tail[srv.tail_len++ % sizeof(srv.tail)] = sink[i];
	srv.total += (size_t)n;
	return 1;
}

/* The end of the log, from a line start: what fits in a failure message
 * (cmocka cuts them at about 1 KiB). */
static const char *
log_tail(void)
{
	static char out[sizeof(srv.tail) + 64];
	size_t i, n, o;
	const char *p;

	if (srv.total > srv.log_len) {
		/* The log overflowed: the ring has the newest bytes. */
		o = (size_t)snprintf(out, sizeof(out), "[%zu bytes in all; the "
		    "last %zu:]\n", srv.total, sizeof(srv.tail));
		n = srv.tail_len < sizeof(srv.tail) ? srv.tail_len :
		    sizeof(srv.tail);
		for (i = 0; i < n && o < sizeof(out) - 1; i++)
			out[o++] = srv.tail[(srv.tail_len - n + i) %
			    sizeof(srv.tail)];
		out[o] = '\0';
		return out;
	}
	if (srv.log_len <= 640)
		return srv.log;
	p = srv.log + srv.log_len - 640;
	while (*p != '\0' && *p != '\n')
		p++;
	return *p == '\n' ? p + 1 : p;
}

/* Reads whatever the server printed, without waiting. */
static void
srv_read_log(void)
{
	while (srv_drain(now_ms()) == 1)
		;
}

/* Waits up to ms for needle in the log at or after offset from; 0 or -1. */
static int
srv_wait_log(size_t from, const char *needle, long ms)
{
	long end = now_ms() + ms;
	int r;

	for (;;) {
		if (from <= srv.log_len && strstr(srv.log + from, needle) !=
		    NULL)
			return 0;
		r = srv_drain(end);
		if (r == 0 || (r == -1 && now_ms() >= end))
			return from <= srv.log_len && strstr(srv.log + from,
			    needle) != NULL ? 0 : -1;
	}
}

/* Waits up to ms for the master to exit: its wait status, or -1. */
static int
srv_wait_exit(long ms)
{
	long end;

	if (srv.pid <= 0)
		return srv.status;
	srv.status = reap(srv.pid, ms);
	if (srv.status != -1) {
		srv.pid = 0;
		master_pid = 0;
		/* Its workers may still hold the pipe: read what is there. */
		end = now_ms() + 300;
		while (srv_drain(end) == 1)
			;
	}
	return srv.status;
}

/*
 * The environment for asyncd: ours without any systemd variable, plus
 * NOTIFY_SOCKET (if notify) and ASYNCD_TEST_WORKER_FAIL=1 (if fail).
 */
/* One more environment variable for the next start, or NULL. */
static const char *srv_extra_env;
/* A listening socket to pass as systemd does (fd 3, LISTEN_FDS), or -1. */
static int srv_activation_fd = -1;
/* RLIMIT_NOFILE and RLIMIT_AS for the next start, or 0 to keep ours. */
static rlim_t srv_nofile, srv_as;

static char **
srv_env(const char *notify, int fail)
{
	static const char *const drop[] = { "NOTIFY_SOCKET=", "WATCHDOG_USEC=",
	    "WATCHDOG_PID=", "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
	    "ASYNCD_TEST_WORKER_FAIL=" };
	static char ns[160];
	size_t i, j, n = 0, k = 0;
	char **env;
	int skip;

	while (environ[n] != NULL)
		n++;
	/* Room for ours, and LISTEN_FDS and LISTEN_PID added by the child. */
	if ((env = calloc(n + 6, sizeof(*env))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		skip = 0;
		for (j = 0; j < sizeof(drop) / sizeof(drop[0]); j++)
			if (strncmp(environ[i], drop[j], strlen(drop[j])) == 0)
				skip = 1;
		/* srv_extra_env replaces a variable of the same name. */
		if (srv_extra_env != NULL && strchr(srv_extra_env, '=') !=
		    NULL && strncmp(environ[i], srv_extra_env, (size_t)(
		    strchr(srv_extra_env, '=') - srv_extra_env) + 1) == 0)
			skip = 1;
		if (!skip)
			env[k++] = environ[i];
	}
	if (notify != NULL) {
		(void)snprintf(ns, sizeof(ns), "NOTIFY_SOCKET=%s", notify);
		env[k++] = ns;
	}
	if (fail)
		env[k++] = (char *)"ASYNCD_TEST_WORKER_FAIL=1";
	if (srv_extra_env != NULL)
		env[k++] = (char *)srv_extra_env;
	env[k] = NULL;
	return env;
}

/*
 * Starts asyncd on a configuration from c, with our notify socket (if one
 * is open) and the worker failure switch; waits for its first "listening
 * on" line.  0, or -1 with the reason printed.
 */
static int
srv_start(const struct srv_conf *c, int fail)
{
	static const char tag[] = "listening on 127.0.0.1:";
	char *argv[7], **env, *at, limits[160], nofile_s[24], as_s[24];
	const char *bin;
	int errp[2], devnull;
	pid_t pid, parent = getpid();
	long end = now_ms() + STARTUP_MS;
	int r;

	(void)snprintf(nofile_s, sizeof(nofile_s), "%lu",
	    (unsigned long)srv_nofile);
	(void)snprintf(as_s, sizeof(as_s), "%lu",
	    (unsigned long)(srv_as / 1024));

	srv.pid = 0;
	srv.status = -1;
	srv.err_fd = -1;
	srv.log_len = 0;
	srv.log[0] = '\0';
	srv.port = 0;
	(void)snprintf(srv.conf, sizeof(srv.conf), "%s/asyncd.conf", tmpdir);
	if (conf_write(c, NULL) != 0) {
		print_error("cannot write %s: %s\n", srv.conf, strerror(errno));
		return -1;
	}
	if ((env = srv_env(nt.fd >= 0 ? nt.name : NULL, fail)) == NULL)
		return -1;
	if (pipe2(errp, O_CLOEXEC) == -1) {
		free(env);
		return -1;
	}
	/* Failing workers need the test build's seam: asyncd has none. */
	bin = fail || (srv_extra_env != NULL && strncmp(srv_extra_env,
	    "ASYNCD_TEST_WORKER_FAIL=", 24) == 0) ? hooks_path : asyncd_path;
	argv[0] = (char *)bin;
	argv[1] = (char *)"-c";
	argv[2] = srv.conf;
	argv[3] = NULL;
	if (srv_nofile != 0 || srv_as != 0) {
		/*
		 * Limits are set by a shell that then execs asyncd (same pid),
		 * not by setrlimit in our child: under valgrind, which runs
		 * the test program and reserves descriptors of its own, that
		 * setrlimit fails.
		 */
		(void)snprintf(limits, sizeof(limits), "%s%s%s%s%s%s exec "
		    "\"$0\" \"$@\"", srv_nofile ? "ulimit -n " : "",
		    srv_nofile ? nofile_s : "", srv_nofile ? " || exit 127;" :
		    "", srv_as ? "ulimit -v " : "", srv_as ? as_s : "",
		    srv_as ? " || exit 127;" : "");
		argv[0] = (char *)"/bin/sh";
		argv[1] = (char *)"-c";
		argv[2] = limits;
		argv[3] = (char *)bin;
		argv[4] = (char *)"-c";
		argv[5] = srv.conf;
		argv[6] = NULL;
	}
	if ((pid = fork()) == -1) {
		free(env);
		(void)close(errp[0]);
		(void)close(errp[1]);
		return -1;
	}
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(127);
		(void)signal(SIGPIPE, SIG_DFL);
		(void)signal(SIGALRM, SIG_DFL);
		if ((devnull = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(devnull, STDIN_FILENO) == -1 ||
		    dup2(devnull, STDOUT_FILENO) == -1 ||
		    dup2(errp[1], STDERR_FILENO) == -1)
			_exit(127);
		if (srv_activation_fd >= 0) {
			/* sd_listen_fds(3): fd 3 on, LISTEN_PID our own pid
			 * (known only here, after the fork). */
			static char lpid[32] = "LISTEN_PID=";
			char digits[16], *d = digits + sizeof(digits);
			size_t e = 0, l = strlen(lpid);
			long v = (long)getpid();

			if (dup2(srv_activation_fd, 3) == -1)
				_exit(127);
			do
				*--d = (char)('0' + v % 10);
			while ((v /= 10) != 0);
			memcpy(lpid + l, d, (size_t)(digits + sizeof(digits) - d));
			while (env[e] != NULL)
				e++;
			env[e++] = (char *)"LISTEN_FDS=1";
			env[e++] = lpid;
			env[e] = NULL;
		}
		execve(argv[0], argv, env);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	free(env);
	srv.pid = pid;
	master_pid = pid;
	(void)close(errp[1]);
	srv.err_fd = errp[0];
	for (;;) {
		if ((at = strstr(srv.log, tag)) != NULL &&
		    strchr(at, '\n') != NULL) {
			srv.port = atoi(at + sizeof(tag) - 1);
			if (srv.port > 0 && srv.port < 65536)
				return 0;
			print_error("bad port in the log:\n%s\n", log_tail());
			return -1;
		}
		r = srv_drain(end);
		if (r == 0) {
			(void)srv_wait_exit(1000);
			print_error("asyncd exited before listening (status "
			    "0x%x):\n%s\n", srv.status, log_tail());
			return -1;
		}
		if (r == -1) {
			print_error("asyncd did not say \"listening on\" within "
			    "%d ms:\n%s\n", STARTUP_MS, log_tail());
			return -1;
		}
	}
}

/* SIGKILLs the master if it still runs (its workers die with it), reaps
 * it and the orphans; -1 if something would not go. */
static int
srv_kill(void)
{
	int ret = 0;

	if (srv.pid > 0) {
		(void)kill(srv.pid, SIGKILL);	/* ours: srv_start forked it */
		if (srv_wait_exit(5000) == -1)
			ret = -1;
	}
	if (reap_orphans(3000) != 0) {
		print_error("test-daemon: processes left after the test\n");
		ret = -1;
	}
	if (srv.err_fd >= 0) {
		srv_read_log();
		(void)close(srv.err_fd);
		srv.err_fd = -1;
	}
	return ret;
}

/* A sanitizer's report in the log. */
static int
srv_log_has_report(void)
{
	return strstr(srv.log, "Sanitizer") != NULL ||
	    strstr(srv.log, "runtime error:") != NULL;
}

/* Starts the server or fails the test. */
static void
start_or_fail(const struct srv_conf *c)
{
	if (srv_start(c, 0) != 0)
		fail_msg("asyncd did not start");
}

/* Waits for READY=1 (the first from index from) or fails with the log. */
static long
ready_or_fail(size_t from)
{
	long i = notif_wait(from, "READY=1", READY_MS);

	if (i < 0) {
		srv_read_log();
		fail_msg("no READY=1 within %d ms; notified: %s\nlog:\n%s",
		    READY_MS, notif_dump(), log_tail());
	}
	return i;
}

/* SIGTERM, then the master must exit 0 within ms. */
static void
stop_or_fail(long ms)
{
	int status;

	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	status = srv_wait_exit(ms);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("asyncd on SIGTERM: status 0x%x (-1: still runs "
		    "after %ld ms):\n%s", status, ms, log_tail());
}

/* Waits up to ms for exactly workers 1..n (draining ones allowed if
 * allow_draining); 0 or -1 (w holds the last scan). */
static int
workers_wait(size_t n, int allow_draining, long ms, struct workers *w)
{
	long end = now_ms() + ms;

	for (;;) {
		workers_scan(srv.pid, w);
		if (workers_exactly(w, n, allow_draining))
			return 0;
		if (now_ms() >= end)
			return -1;
		srv_read_log();
		sleep_ms(10);
	}
}

/* ---- clients ------------------------------------------------------------- */

static int
tcp_connect(const char *ip, int port)
{
	struct sockaddr_in sin;
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
		(void)close(fd);
		return -EINVAL;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		int err = errno;

		(void)close(fd);
		return -err;
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens a connection and sends GET target with Connection: close: the fd,
 * or -errno. */
static int
req_start(const char *ip, int port, const char *target)
{
	char req[512];
	int fd, err;

	if ((fd = tcp_connect(ip, port)) < 0)
		return fd;
	(void)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n", target);
	if ((err = send_all(fd, req, strlen(req))) != 0) {
		(void)close(fd);
		return err;
	}
	return fd;
}

/* Reads fd to EOF within ms into buf (NUL-terminated, cut at cap - 1) and
 * closes it: 0, or -errno (-ETIMEDOUT). */
static int
req_read_all(int fd, char *buf, size_t cap, long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long end = now_ms() + ms;
	size_t len = 0;
	ssize_t n;
	int r;

	for (;;) {
		r = poll(&pfd, 1, (int)(end - now_ms() < 0 ? 0 :
		    end - now_ms()));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			(void)close(fd);
			return r == 0 ? -ETIMEDOUT : -errno;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0 || len + (size_t)n == cap - 1) {
			if (n > 0)
				len += (size_t)n;
			buf[len] = '\0';
			(void)close(fd);
			return n < 0 ? -errno : 0;
		}
		len += (size_t)n;
	}
}

/* Reads the response on fd to EOF within ms and closes fd: the status
 * (0 for a short or malformed one), or -errno (-ETIMEDOUT). */
static int
req_finish(int fd, long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long end = now_ms() + ms;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int r, status = 0;
	const char *cl, *he;

	for (;;) {
		r = poll(&pfd, 1, (int)(end - now_ms() < 0 ? 0 :
		    end - now_ms()));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0) {
			(void)close(fd);
			return -ETIMEDOUT;
		}
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = -errno;
			(void)close(fd);
			return r;
		}
		if (n == 0 || len + (size_t)n == sizeof(buf) - 1)
			break;
		len += (size_t)n;
	}
	(void)close(fd);
	buf[len] = '\0';
	/* A whole response: status line, head, Content-Length bytes. */
	if (len < 12 || strncmp(buf, "HTTP/1.1 ", 9) != 0 ||
	    (he = strstr(buf, "\r\n\r\n")) == NULL)
		return 0;
	status = atoi(buf + 9);
	if ((cl = strcasestr(buf, "\r\nContent-Length:")) == NULL ||
	    cl > he || (size_t)(len - (size_t)(he + 4 - buf)) !=
	    strtoul(cl + 17, NULL, 10))
		return 0;
	return status;
}

static int
http_get(const char *ip, int port, const char *target, long ms)
{
	int fd = req_start(ip, port, target);

	return fd < 0 ? fd : req_finish(fd, ms);
}

/* n GETs of target on separate connections must all answer 200. */
static void
get_ok(int port, const char *target, int n)
{
	int i, st;

	for (i = 0; i < n; i++) {
		st = http_get("127.0.0.1", port, target, IO_MS);
		if (st != 200) {
			srv_read_log();
			fail_msg("GET %s #%d: %d (%s)\nlog:\n%s", target, i + 1,
			    st, st < 0 ? strerror(-st) : "status",
			    log_tail());
		}
	}
}

/* ---- a keep-alive load generator ------------------------------------------ */

enum {
	LR_OK,
	LR_EOF0,		/* EOF (or EPIPE) before any response byte */
	LR_RESET0,	/* ECONNRESET before any response byte */
	LR_RESET,	/* ECONNRESET within a response */
	LR_SHORT,	/* EOF within a response */
	LR_TIMEOUT,
	LR_STATUS,	/* a whole response, but not 200 */
	LR_BAD,		/* malformed */
	LR_KINDS
};

static const char *const lr_name[LR_KINDS] = {
	"ok", "EOF before any byte", "reset before any byte",
	"reset within a response", "EOF within a response", "timeout",
	"not 200", "malformed"
};

struct load_thread {
	pthread_t	 tid;
	int		 started;
	int		 port;
	unsigned long	 ok, retried, conn_fail, reset_reused;
	unsigned long	 kind[LR_KINDS];	/* failures, by kind */
	int		 last_kind, last_err;
};

static struct load {
	volatile int		 stop;
	char			 req[256];	/* the request, sent again
						   and again */
	struct load_thread	 t[LOAD_THREADS];
	int			 running;
} load;

/* One keep-alive GET (load.req) on fd; R_*; *closes when the response
 * says Connection: close. */
static int
load_request(int fd, int *closes, int *err)
{
	const char *req = load.req;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[2048], *he, *cl;
	long end = now_ms() + IO_MS;
	size_t len = 0, want = 0;
	ssize_t n;
	int r;

	*closes = 0;
	*err = 0;
	if ((r = send_all(fd, req, strlen(req))) != 0) {
		*err = -r;
		return r == -ECONNRESET ? LR_RESET0 : LR_EOF0;
	}
	for (;;) {
		if (want == 0 && (he = memmem(buf, len, "\r\n\r\n", 4)) !=
		    NULL) {
			buf[len] = '\0';
			if ((cl = strcasestr(buf, "\r\nContent-Length:")) ==
			    NULL || cl > he)
				return LR_BAD;
			want = (size_t)(he + 4 - buf) + strtoul(cl + 17, NULL,
			    10);
			if ((cl = strcasestr(buf, "\r\nConnection: close\r\n"))
			    != NULL && cl < he)
				*closes = 1;
		}
		if (want != 0 && len >= want)
			return strncmp(buf, "HTTP/1.1 200 ", 13) == 0 ? LR_OK :
			    LR_STATUS;
		if (len >= sizeof(buf) - 1)
			return LR_BAD;
		r = poll(&pfd, 1, (int)(end - now_ms() < 0 ? 0 :
		    end - now_ms()));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return LR_TIMEOUT;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*err = errno;
			if (errno == ECONNRESET)
				return len == 0 ? LR_RESET0 : LR_RESET;
			return len == 0 ? LR_EOF0 : LR_SHORT;
		}
		if (n == 0)
			return len == 0 ? LR_EOF0 : LR_SHORT;
		len += (size_t)n;
	}
}

/*
 * A client that loops GET / on a keep-alive connection until told to stop.
 * A reused idle connection the server closes just as we send (EOF or EPIPE
 * before any byte of the response) is retried once on a new connection, as
 * browsers do, and counted in retried; a reset, a connect error, a short
 * read, a timeout or another status counts as failed.
 */
static void *
load_main(void *arg)
{
	struct load_thread *t = arg;
	int fd = -1, reused = 0, kind, closes, err, retry;

	while (!__atomic_load_n(&load.stop, __ATOMIC_ACQUIRE)) {
		retry = 0;
again:
		if (fd < 0) {
			if ((fd = tcp_connect("127.0.0.1", t->port)) < 0) {
				t->conn_fail++;
				t->last_kind = -1;
				t->last_err = -fd;
				fd = -1;
				sleep_ms(5);
				continue;
			}
			reused = 0;
		}
		kind = load_request(fd, &closes, &err);
		if (kind == LR_OK) {
			t->ok++;
			reused = 1;
			if (closes) {
				(void)close(fd);
				fd = -1;
			}
			continue;
		}
		(void)close(fd);
		fd = -1;
		if (reused && !retry && (kind == LR_EOF0 || kind == LR_RESET0)) {
			if (kind == LR_RESET0) {
				t->reset_reused++;
				t->last_kind = kind;
				t->last_err = err;
			} else
				t->retried++;
			retry = 1;
			goto again;
		}
		t->kind[kind]++;
		t->last_kind = kind;
		t->last_err = err;
	}
	if (fd >= 0)
		(void)close(fd);
	return NULL;
}

/* Starts the load threads: GET target on port, again and again. */
static void
load_start_target(int port, const char *target)
{
	size_t i;

	memset(&load, 0, sizeof(load));
	(void)snprintf(load.req, sizeof(load.req), "GET %s HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", target);
	for (i = 0; i < LOAD_THREADS; i++) {
		load.t[i].port = port;
		if (pthread_create(&load.t[i].tid, NULL, load_main,
		    &load.t[i]) != 0)
			fail_msg("pthread_create failed");
		load.t[i].started = 1;
		load.running = 1;
	}
}

static void
load_start(int port)
{
	load_start_target(port, "/");
}

/* Stops and joins the threads; the totals in *sum. */
static void
load_stop(struct load_thread *sum)
{
	size_t i, k;

	memset(sum, 0, sizeof(*sum));
	__atomic_store_n(&load.stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < LOAD_THREADS; i++) {
		if (!load.t[i].started)
			continue;
		(void)pthread_join(load.t[i].tid, NULL);
		load.t[i].started = 0;
		sum->ok += load.t[i].ok;
		sum->retried += load.t[i].retried;
		sum->conn_fail += load.t[i].conn_fail;
		sum->reset_reused += load.t[i].reset_reused;
		for (k = 0; k < LR_KINDS; k++)
			sum->kind[k] += load.t[i].kind[k];
		if (load.t[i].last_kind != 0) {
			sum->last_kind = load.t[i].last_kind;
			sum->last_err = load.t[i].last_err;
		}
	}
	load.running = 0;
}

/* ---- fixtures ------------------------------------------------------------- */

static int
test_setup(void **state)
{
	(void)state;
	memset(&srv, 0, sizeof(srv));
	srv.err_fd = -1;
	srv.status = -1;
	memset(&nt, 0, sizeof(nt));
	nt.fd = -1;
	alarm(WATCHDOG_S);
	return 0;
}

static int
test_teardown(void **state)
{
	static const char *const leftovers[] = { "asyncd.conf.new",
	    "testapp.so", "testapp.so.new", "cleanup.log",
	    "access.log", "access.log.1", "asyncd.pid", "worker-fail",
	    "worker-fail.new", "fifo", "a1.log", "a2.log", "e2.log",
	    "tasks.conf", "tasks.conf.new" };
	char path[PATH_MAX];
	struct load_thread sum;
	size_t i;
	int ret = 0;

	(void)state;
	srv_extra_env = NULL;
	srv_nofile = srv_as = 0;
	if (load.running)
		load_stop(&sum);
	if (srv_kill() != 0)
		ret = -1;
	if (srv_log_has_report()) {
		print_error("asyncd reported:\n%s\n", log_tail());
		ret = -1;
	}
	notif_close();
	if (srv.conf[0] != '\0')
		(void)unlink(srv.conf);
	for (i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", tmpdir,
		    leftovers[i]);
		(void)unlink(path);
	}
	alarm(0);
	return ret;
}

/* ==== 1. startup ============================================================== */

static void
start_three_workers(int abstract)
{
	struct srv_conf c = { .workers = 3 };
	struct workers w;
	struct proc mp;
	long ready;

	assert_int_equal(notif_open(abstract), 0);
	start_or_fail(&c);
	ready = ready_or_fail(0);
	/* READY=1 only once every worker is up: they exist right now. */
	workers_scan(srv.pid, &w);
	if (!workers_exactly(&w, 3, 0))
		fail_msg("at READY=1, the master's children are %s; expected "
		    "asyncd: worker 1..3", w.titles);
	if (!note_has(nt.note[ready], "STATUS="))
		fail_msg("READY=1 without a STATUS= line: %s", notif_dump());
	assert_int_equal(proc_read(srv.pid, &mp), 0);
	assert_string_equal(mp.title, "asyncd: master");
	get_ok(srv.port, "/", 6);
	/* Still exactly those three: serving forked nothing. */
	workers_scan(srv.pid, &w);
	if (!workers_exactly(&w, 3, 0))
		fail_msg("after serving, the master's children are %s",
		    w.titles);
	stop_or_fail(5000);
	/* A usable socket is no reason for a warning. */
	if (strstr(srv.log, "NOTIFY_SOCKET") != NULL)
		fail_msg("NOTIFY_SOCKET=%s works, yet the log says:\n%s",
		    nt.name, log_tail());
}

static void
test_start_three_workers_ready_on_path_socket(void **state)
{
	(void)state;
	start_three_workers(0);
}

static void
test_start_three_workers_ready_on_abstract_socket(void **state)
{
	(void)state;
	start_three_workers(1);
}

/* ==== 2. stopping ============================================================== */

#define INFLIGHT	20

static int	raw_exchange(int, const char *, size_t, char *, size_t);
static size_t	count_in(const char *, const char *);

/* The stats listener asked of srv_conf.extra, for asleep_wait. */
#define STATS_EXTRA	"stats = { listen = \"127.0.0.1:0\"; };"

/*
 * Waits (IO_MS at most) until the stats listener's /debug/tasks shows n
 * requests for path asleep in their handler's delay: read and being served,
 * which no fixed sleep can promise.  Fails the test otherwise.
 */
static void
asleep_wait(const char *path, int n)
{
	static const char ask[] = "GET /debug/tasks?format=text HTTP/1.1\r\n"
	    "Host: a\r\nConnection: close\r\n\r\n";
	static char buf[65536];
	char line[128];
	const char *p;
	long end = now_ms() + IO_MS;
	int sport;

	if (srv_wait_log(0, "stats pages on 127.0.0.1:", IO_MS) != 0 ||
	    (p = strstr(srv.log, "stats pages on 127.0.0.1:")) == NULL)
		fail_msg("no stats listener:\n%s", log_tail());
	sport = atoi(p + 25);
	assert_true(sport > 0);
	(void)snprintf(line, sizeof(line), "  sleep         GET %s\n", path);
	for (;; sleep_ms(10)) {
		assert_int_equal(raw_exchange(sport, ask, sizeof(ask) - 1, buf,
		    sizeof(buf)), 0);
		if (count_in(buf, line) == (size_t)n)
			return;
		if (now_ms() > end)
			fail_msg("no %d GET %s asleep in:\n%s", n, path, buf);
	}
}

static void
test_sigterm_finishes_slow_requests_and_notifies_stopping(void **state)
{
	struct srv_conf c = { .workers = 2, .delay_slow = 1.0,
	    .extra = STATS_EXTRA };
	int fds[INFLIGHT], st[INFLIGHT], status, i, bad = 0;
	long t0;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	for (i = 0; i < INFLIGHT; i++)
		fds[i] = -1;
	t0 = now_ms();
	for (i = 0; i < INFLIGHT; i++)
		if ((fds[i] = req_start("127.0.0.1", srv.port, "/slow")) < 0)
			fail_msg("request %d: %s", i, strerror(-fds[i]));
	asleep_wait("/slow", INFLIGHT);
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	for (i = 0; i < INFLIGHT; i++) {
		st[i] = req_finish(fds[i], IO_MS);
		if (st[i] != 200)
			bad++;
	}
	status = srv_wait_exit(5000);
	if (bad > 0) {
		char msg[512];
		size_t o = 0;

		for (i = 0; i < INFLIGHT && o < sizeof(msg) - 16; i++)
			o += (size_t)snprintf(msg + o, sizeof(msg) - o, " %d",
			    st[i]);
		fail_msg("%d of %d requests in flight at SIGTERM did not get "
		    "200:%s\nlog:\n%s", bad, INFLIGHT, msg, log_tail());
	}
	/* They were delayed 1 s: the stop waited for them. */
	assert_true(now_ms() - t0 >= 950);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("asyncd after SIGTERM: status 0x%x:\n%s", status,
		    log_tail());
	if (notif_wait(0, "STOPPING=1", 1000) < 0)
		fail_msg("no STOPPING=1: %s", notif_dump());
	if (orphan_workers() != 0)
		fail_msg("workers outlived the master");
}

static void
test_second_sigint_is_a_fast_stop(void **state)
{
	struct srv_conf c = { .workers = 2, .delay_slow = 2.0,
	    .extra = STATS_EXTRA };
	struct workers w;
	int fds[4], status, i;
	long t1, took;
	size_t k;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &w), 0);
	for (i = 0; i < 4; i++)
		if ((fds[i] = req_start("127.0.0.1", srv.port, "/slow")) < 0)
			fail_msg("request %d: %s", i, strerror(-fds[i]));
	asleep_wait("/slow", 4);
	assert_int_equal(kill(srv.pid, SIGINT), 0);
	/* Two signals sent at once may merge into one: send the second once
	 * the master has acted on the first. */
	if (notif_wait(0, "STOPPING=1", IO_MS) < 0)
		fail_msg("no STOPPING=1 after SIGINT: %s", notif_dump());
	assert_int_equal(srv_wait_exit(50), -1);	/* still draining */
	t1 = now_ms();
	assert_int_equal(kill(srv.pid, SIGINT), 0);
	status = srv_wait_exit(3000);
	took = now_ms() - t1;
	for (i = 0; i < 4; i++)
		(void)close(fds[i]);	/* cut, or not: either is fine */
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("asyncd after a second SIGINT: status 0x%x:\n%s",
		    status, log_tail());
	if (took > 500)
		fail_msg("fast stop took %ld ms (requests were delayed 2 s)"
		    ":\n%s", took, log_tail());
	if (strstr(srv.log, "fast stop") == NULL)
		fail_msg("no \"fast stop\" in the log:\n%s", log_tail());
	for (k = 0; k < 2; k++)
		if (worker_alive(w.pid[k]))
			fail_msg("worker %zu (pid %ld) outlived the fast stop",
			    k + 1, (long)w.pid[k]);
	if (orphan_workers() != 0)
		fail_msg("workers outlived the master");
}

/* ==== 2b. drain (timeouts.drain) ================================================ */

static void	ka_send(int fd, const char *target);
static int	ka_read(int fd, int *closes, long ms);

/* Waits up to ms until the master's n workers all have the draining
 * title (worker.c sets it once the server drains); 0 or -1. */
static int
workers_wait_draining(size_t n, long ms, struct workers *w)
{
	long end = now_ms() + ms;

	for (;;) {
		workers_scan(srv.pid, w);
		if (w->draining == n && w->serving == 0 && w->other == 0)
			return 0;
		if (now_ms() >= end)
			return -1;
		srv_read_log();
		sleep_ms(10);
	}
}

#define DRAIN_S		1.5

/*
 * With timeouts.drain, SIGTERM first drains: healthz answers 503, and the
 * workers keep accepting and serving, every response with Connection:
 * close (a keep-alive connection from before the stop included, and
 * closed after it); then the graceful stop proceeds, and the master
 * exits once both are over.
 */
static void
test_drain_serves_with_close_then_stops(void **state)
{
	struct srv_conf c = { .workers = 2, .drain = DRAIN_S };
	struct workers w;
	int ka, fresh, st, closes, status, i;
	long t0, took;
	size_t from;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	if ((st = http_get("127.0.0.1", srv.port, "/healthz", IO_MS)) != 200)
		fail_msg("healthz before the stop: %d", st);
	/* A keep-alive connection served before the stop: parked. */
	if ((ka = tcp_connect("127.0.0.1", srv.port)) < 0)
		fail_msg("connect: %s", strerror(-ka));
	ka_send(ka, "/hello/before");
	if ((st = ka_read(ka, &closes, IO_MS)) != 200 || closes)
		fail_msg("before the stop: %d, close %d", st, closes);

	from = srv.log_len;
	t0 = now_ms();
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	if (srv_wait_log(from, "SIGTERM: draining for 1.5 s", IO_MS) != 0)
		fail_msg("no \"draining for\" in the log:\n%s", log_tail());
	if (notif_wait(0, "STOPPING=1", IO_MS) < 0)
		fail_msg("no STOPPING=1 at the drain: %s", notif_dump());
	if (workers_wait_draining(2, IO_MS, &w) != 0)
		fail_msg("the workers did not drain: %s", w.titles);

	/* Out of rotation: healthz says 503 on new connections (each
	 * accepted: the drain refuses nothing), several times so that both
	 * workers are likely asked. */
	for (i = 0; i < 4; i++)
		if ((st = http_get("127.0.0.1", srv.port, "/healthz",
		    IO_MS)) != 503)
			fail_msg("healthz %d during the drain: %d", i, st);
	/* The old keep-alive connection is served, told to close, closed. */
	ka_send(ka, "/hello/during");
	if ((st = ka_read(ka, &closes, IO_MS)) != 200 || !closes)
		fail_msg("keep-alive during the drain: %d, close %d", st,
		    closes);
	if ((st = ka_read(ka, &closes, IO_MS)) != -ENODATA)
		fail_msg("the keep-alive connection stayed open after its "
		    "response (%d)", st);
	(void)close(ka);
	/* A new connection asking for keep-alive is served the same way. */
	if ((fresh = tcp_connect("127.0.0.1", srv.port)) < 0)
		fail_msg("connect during the drain: %s", strerror(-fresh));
	ka_send(fresh, "/");
	if ((st = ka_read(fresh, &closes, IO_MS)) != 200 || !closes)
		fail_msg("new connection during the drain: %d, close %d", st,
		    closes);
	(void)close(fresh);
	/* Still draining: no stop yet. */
	if (strstr(srv.log + from, "drained for") != NULL)
		fail_msg("the drain ended too early (%ld ms):\n%s",
		    now_ms() - t0, log_tail());

	if (srv_wait_log(from, "drained for 1.5 s: graceful stop", IO_MS +
	    (long)(DRAIN_S * 1000)) != 0)
		fail_msg("no \"drained for\" in the log:\n%s", log_tail());
	status = srv_wait_exit(5000);
	took = now_ms() - t0;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("asyncd after the drain: status 0x%x:\n%s", status,
		    log_tail());
	if (took < (long)(DRAIN_S * 1000) - 50)
		fail_msg("the master exited %ld ms after SIGTERM, before the "
		    "drain's %g s", took, DRAIN_S);
	if (orphan_workers() != 0)
		fail_msg("workers outlived the master");
}

/* Without drain, SIGTERM stops at once, as it always did: no drain step,
 * and an idle keep-alive connection is closed (no request served). */
static void
test_stop_without_drain_is_unchanged(void **state)
{
	struct srv_conf c = { .workers = 1 };
	int ka, st, closes, status;
	size_t from;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	if ((ka = tcp_connect("127.0.0.1", srv.port)) < 0)
		fail_msg("connect: %s", strerror(-ka));
	ka_send(ka, "/hello/before");
	if ((st = ka_read(ka, &closes, IO_MS)) != 200 || closes)
		fail_msg("before the stop: %d, close %d", st, closes);
	from = srv.log_len;
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	if (srv_wait_log(from, "SIGTERM: graceful stop (at most 5 s)", IO_MS)
	    != 0)
		fail_msg("no graceful stop in the log:\n%s", log_tail());
	/* The idle connection is closed without a response. */
	if ((st = ka_read(ka, &closes, IO_MS)) != -ENODATA)
		fail_msg("idle keep-alive at a stop without drain: %d", st);
	(void)close(ka);
	status = srv_wait_exit(5000);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("asyncd after SIGTERM: status 0x%x:\n%s", status,
		    log_tail());
	if (strstr(srv.log + from, "drain") != NULL)
		fail_msg("a drain without timeouts.drain:\n%s", log_tail());
}

/* A second SIGTERM during the drain is the fast stop, at once. */
static void
test_second_sigterm_during_drain_is_a_fast_stop(void **state)
{
	struct srv_conf c = { .workers = 2, .drain = 20.0 };
	struct workers w;
	int status;
	long t1, took;
	size_t from;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	from = srv.log_len;
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	if (srv_wait_log(from, "SIGTERM: draining for 20 s", IO_MS) != 0)
		fail_msg("no \"draining for\" in the log:\n%s", log_tail());
	if (workers_wait_draining(2, IO_MS, &w) != 0)
		fail_msg("the workers did not drain: %s", w.titles);
	t1 = now_ms();
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	status = srv_wait_exit(3000);
	took = now_ms() - t1;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("asyncd after a second SIGTERM: status 0x%x:\n%s",
		    status, log_tail());
	if (took > 1500)
		fail_msg("the fast stop took %ld ms", took);
	if (strstr(srv.log + from, "SIGTERM again: fast stop") == NULL)
		fail_msg("no fast stop in the log:\n%s", log_tail());
	if (orphan_workers() != 0)
		fail_msg("workers outlived the master");
}

/* listen's backlog= reaches listen(2): ss shows a listener's backlog as
 * its Send-Q. */
static void
test_listen_backlog_reaches_the_socket(void **state)
{
	struct srv_conf c = { .workers = 1,
	    .listen = "127.0.0.1:0 backlog=77" };
	char cmd[128], line[256];
	int found = 0;
	unsigned long recvq, sendq;
	FILE *fp;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	(void)snprintf(cmd, sizeof(cmd), "ss -ltnH 'sport = :%d' 2>&1",
	    srv.port);
	if ((fp = popen(cmd, "r")) == NULL)
		fail_msg("popen ss: %s", strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "LISTEN %lu %lu", &recvq, &sendq) == 2) {
			found = 1;
			if (sendq != 77)
				fail_msg("backlog=77, ss says %s", line);
		}
	(void)pclose(fp);
	if (!found)
		fail_msg("ss shows no listener on port %d", srv.port);
	stop_or_fail(5000);
}

/* ==== 3. reload under load ====================================================== */

static void
test_reload_under_load_drops_nothing(void **state)
{
	/* workers, "/"'s delay, 127.0.0.2 too: the initial one and five. */
	static const struct { int workers; double delay; int second; }
	    steps[RELOADS + 1] = {
		{ 2, 0.0, 0 }, { 3, 0.01, 0 }, { 1, 0.0, 1 }, { 2, 0.01, 1 },
		{ 3, 0.0, 0 }, { 2, 0.01, 0 }
	};
	struct srv_conf c = { .delay_slow = 0.5 };
	struct workers w, prev;
	struct load_thread sum;
	struct timespec ts;
	const char *mu;
	long ri, rd;
	size_t from, logfrom, k, j;
	int port2 = 0, st, step;
	unsigned long long usec, now_us;
	unsigned long failed;
	char *at, counts[256] = "";
	size_t o;

	(void)state;
	c.workers = steps[0].workers;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &prev), 0);
	load_start(srv.port);
	sleep_ms(300);	/* pacing: load before the first reload, not a guess */
	for (step = 1; step <= RELOADS; step++) {
		c.workers = steps[step].workers;
		c.delay_root = steps[step].delay;
		c.second_listen = steps[step].second;
		assert_int_equal(conf_write(&c, NULL), 0);
		from = notif_count();
		srv_read_log();
		logfrom = srv.log_len;
		assert_int_equal(kill(srv.pid, SIGHUP), 0);
		if ((ri = notif_wait(from, "RELOADING=1", IO_MS)) < 0)
			fail_msg("reload %d: no RELOADING=1: %s", step,
			    notif_dump());
		if ((mu = strstr(nt.note[ri], "MONOTONIC_USEC=")) == NULL)
			fail_msg("reload %d: RELOADING=1 without "
			    "MONOTONIC_USEC=: %s", step, nt.note[ri]);
		/* systemd compares it with its own CLOCK_MONOTONIC. */
		usec = strtoull(mu + 15, NULL, 10);
		(void)clock_gettime(CLOCK_MONOTONIC, &ts);
		now_us = (unsigned long long)ts.tv_sec * 1000000ULL +
		    (unsigned long long)ts.tv_nsec / 1000ULL;
		if (usec > now_us || now_us - usec > 5000000ULL)
			fail_msg("reload %d: MONOTONIC_USEC=%llu, now %llu",
			    step, usec, now_us);
		if ((rd = notif_wait((size_t)ri + 1, "READY=1", READY_MS)) < 0)
		{
			srv_read_log();
			fail_msg("reload %d: no READY=1 after RELOADING=1: %s"
			    "\nlog:\n%s", step, notif_dump(), log_tail());
		}
		if (note_has(nt.note[rd], "STATUS=reload failed"))
			fail_msg("reload %d failed: %s\nlog:\n%s", step,
			    nt.note[rd], log_tail());
		/* The new generation serves; the old one drains away. */
		if (workers_wait((size_t)c.workers, 1, IO_MS, &w) != 0)
			fail_msg("reload %d: workers %s, expected 1..%d",
			    step, w.titles, c.workers);
		for (k = 0; k < (size_t)c.workers; k++)
			for (j = 0; j < NWORKERS_MAX; j++)
				if (w.pid[k] == prev.pid[j] && prev.pid[j])
					fail_msg("reload %d: worker %zu kept "
					    "pid %ld of the old generation",
					    step, k + 1, (long)w.pid[k]);
		if (workers_wait((size_t)c.workers, 0, IO_MS, &w) != 0)
			fail_msg("reload %d: the old workers did not exit: %s",
			    step, w.titles);
		prev = w;
		if (steps[step].second && !steps[step - 1].second) {
			if (srv_wait_log(logfrom, "listening on 127.0.0.2:",
			    1000) != 0)
				fail_msg("reload %d: no \"listening on "
				    "127.0.0.2:\":\n%s", step, log_tail());
			at = strstr(srv.log + logfrom,
			    "listening on 127.0.0.2:");
			port2 = atoi(at + strlen("listening on 127.0.0.2:"));
			if ((st = http_get("127.0.0.2", port2, "/", IO_MS)) !=
			    200)
				fail_msg("reload %d: GET / on the new listener "
				    "127.0.0.2:%d: %d", step, port2, st);
		}
		if (!steps[step].second && steps[step - 1].second) {
			/* Its listener went with the old generation. */
			st = http_get("127.0.0.2", port2, "/", IO_MS);
			if (st != -ECONNREFUSED)
				fail_msg("reload %d: 127.0.0.2:%d was removed "
				    "but GET / gave %d", step, port2, st);
		}
		sleep_ms(300);	/* pacing: load between reloads */
	}
	load_stop(&sum);
	failed = 0;
	o = 0;
	for (k = 1; k < LR_KINDS; k++) {
		failed += sum.kind[k];
		if (sum.kind[k] != 0)
			o += (size_t)snprintf(counts + o, sizeof(counts) - o,
			    ", %lu %s", sum.kind[k], lr_name[k]);
	}
	print_message("reload under load: %lu requests ok; %lu retried after "
	    "EOF on a reused idle connection; %lu reset on a reused idle "
	    "connection (retried); %lu connect errors; %lu failed%s\n",
	    sum.ok, sum.retried, sum.reset_reused, sum.conn_fail, failed,
	    counts);
	if (sum.reset_reused != 0 || sum.conn_fail != 0 || failed != 0) {
		srv_read_log();
		fail_msg("reload under load: %lu resets of a reused idle "
		    "connection, %lu connect errors, %lu failed%s (last: %s, "
		    "%s)\nlog:\n%s", sum.reset_reused, sum.conn_fail, failed,
		    counts, lr_name[sum.last_kind < 0 ? 0 : sum.last_kind],
		    strerror(sum.last_err), log_tail());
	}
	assert_true(sum.ok >= 100);
	stop_or_fail(5000);
}

/* ==== 4. a reload with a broken config ========================================== */

static void
test_reload_with_bad_config_keeps_old_workers(void **state)
{
	struct srv_conf c = { .workers = 2 };
	struct workers before, after;
	char where[PATH_MAX + 32];
	long ri, rd;
	size_t from;
	int line;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &before), 0);
	c.extra = "no_such_setting = 1;";
	assert_int_equal(conf_write(&c, &line), 0);
	from = notif_count();
	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	if ((ri = notif_wait(from, "RELOADING=1", IO_MS)) < 0)
		fail_msg("no RELOADING=1: %s", notif_dump());
	if ((rd = notif_wait((size_t)ri + 1, "READY=1", IO_MS)) < 0)
		fail_msg("no READY=1 after RELOADING=1: %s", notif_dump());
	if (!note_has(nt.note[rd], "STATUS=") ||
	    strstr(nt.note[rd], "reload failed") == NULL)
		fail_msg("READY=1 without a STATUS= saying the reload failed:"
		    " %s", nt.note[rd]);
	(void)snprintf(where, sizeof(where), "%s:%d:", srv.conf, line);
	if (srv_wait_log(0, where, IO_MS) != 0)
		fail_msg("no \"%s\" in the log:\n%s", where, log_tail());
	if (strstr(srv.log, "no_such_setting") == NULL)
		fail_msg("the log does not name the setting:\n%s", log_tail());
	get_ok(srv.port, "/", 6);
	/* A bounded window for what must NOT happen (no event says "no new
	 * generation is coming"): a wrong new generation would show now. */
	sleep_ms(200);
	workers_scan(srv.pid, &after);
	if (!workers_exactly(&after, 2, 0) || after.pid[0] !=
	    before.pid[0] || after.pid[1] != before.pid[1])
		fail_msg("workers changed: before [%ld %ld], now %s",
		    (long)before.pid[0], (long)before.pid[1], after.titles);
	stop_or_fail(5000);
}

/* ==== 5. a killed worker ========================================================= */

static void
test_killed_worker_is_replaced(void **state)
{
	struct srv_conf c = { .workers = 2 };
	struct workers before, after;
	char msg[128];
	long end;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &before), 0);
	assert_int_equal(kill(before.pid[0], SIGKILL), 0);
	/* The other worker serves meanwhile. */
	get_ok(srv.port, "/", 10);
	end = now_ms() + IO_MS;
	for (;;) {
		workers_scan(srv.pid, &after);
		if (workers_exactly(&after, 2, 0) && after.pid[0] !=
		    before.pid[0])
			break;
		if (now_ms() >= end) {
			srv_read_log();
			fail_msg("no new worker 1 within %d ms (killed pid %ld)"
			    ": %s\nlog:\n%s", IO_MS, (long)before.pid[0],
			    after.titles, log_tail());
		}
		sleep_ms(10);
	}
	assert_int_equal(after.pid[1], before.pid[1]);
	assert_false(worker_alive(before.pid[0]));
	(void)snprintf(msg, sizeof(msg), "worker 1 (pid %ld) killed by signal "
	    "%d", (long)before.pid[0], SIGKILL);
	if (srv_wait_log(0, msg, 1000) != 0)
		fail_msg("no \"%s\" in the log:\n%s", msg, log_tail());
	get_ok(srv.port, "/", 10);
	stop_or_fail(5000);
}

/* ==== 6. the breaker ============================================================= */

static void
test_worker_failing_at_startup_trips_breaker(void **state)
{
	struct srv_conf c = { .workers = 2 };
	int status;
	long t0;

	(void)state;
	if (hooks_path == NULL)
		skip();		/* no $ASYNCD_HOOKS: no way to fail workers */
	assert_int_equal(notif_open(0), 0);
	t0 = now_ms();
	if (srv_start(&c, 1) != 0 && srv.status == -1)
		fail_msg("asyncd did not start");
	status = srv_wait_exit(5000);
	if (status == -1)
		fail_msg("asyncd still runs %ld ms after its workers failed:\n"
		    "%s", now_ms() - t0, log_tail());
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		fail_msg("asyncd with failing workers: status 0x%x, expected "
		    "exit 1:\n%s", status, log_tail());
	if (strstr(srv.log, "breaker") == NULL ||
	    strstr(srv.log, "startup") == NULL)
		fail_msg("no message about the breaker and the startup:\n%s",
		    log_tail());
	sleep_ms(100);	/* a bounded window for what must NOT happen */
	if (notif_wait(0, "READY=1", 0) >= 0)
		fail_msg("READY=1 although no worker started: %s",
		    notif_dump());
	sleep_ms(100);	/* the same, for a worker reparented to us */
	if (orphan_workers() != 0)
		fail_msg("workers outlived the master");
}

/* ==== 7. the heartbeat =========================================================== */

static void
test_stopped_worker_is_killed_and_replaced(void **state)
{
	struct srv_conf c = { .workers = 2, .heartbeat = 1.0 };
	struct workers before, after;
	long t0, end, took;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &before), 0);
	t0 = now_ms();
	assert_int_equal(kill(before.pid[0], SIGSTOP), 0);
	/*
	 * The next PING within 0.25 s (heartbeat/4), SIGABRT once it is
	 * 1 s old (checked every 0.25 s), SIGKILL 2 s later (a stopped
	 * process dies of nothing else), a respawn 0.1 s after the reap:
	 * about 3.9 s at worst, so heartbeat + 4 s.
	 */
	end = t0 + 5000;
	for (;;) {
		workers_scan(srv.pid, &after);
		if (workers_exactly(&after, 2, 0) && after.pid[0] !=
		    before.pid[0] && !worker_alive(before.pid[0]))
			break;
		if (now_ms() >= end) {
			srv_read_log();
			fail_msg("stopped worker 1 (pid %ld) not replaced "
			    "within 5 s: %s\nlog:\n%s", (long)before.pid[0],
			    after.titles, log_tail());
		}
		sleep_ms(20);
	}
	took = now_ms() - t0;
	print_message("stopped worker replaced after %ld ms\n", took);
	assert_int_equal(after.pid[1], before.pid[1]);
	if (srv_wait_log(0, "did not answer", 1000) != 0)
		fail_msg("no \"did not answer\" in the log:\n%s", log_tail());
	get_ok(srv.port, "/", 6);
	stop_or_fail(5000);
}

/* ==== 8. the master's death ====================================================== */

static void
test_master_sigkill_takes_workers_down(void **state)
{
	struct srv_conf c = { .workers = 3 };
	struct workers w;
	long t0, end;
	size_t k, alive;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(3, 0, IO_MS, &w), 0);
	t0 = now_ms();
	assert_int_equal(kill(srv.pid, SIGKILL), 0);
	assert_int_not_equal(srv_wait_exit(2000), -1);
	end = t0 + 1000;
	for (;;) {
		alive = 0;
		for (k = 0; k < 3; k++)
			if (worker_alive(w.pid[k]))
				alive++;
		if (alive == 0)
			break;
		if (now_ms() >= end)
			fail_msg("%zu of 3 workers still run 1 s after the "
			    "master was killed", alive);
		sleep_ms(5);
	}
	print_message("workers gone %ld ms after the master's SIGKILL\n",
	    now_ms() - t0);
}

/* ==== 9. SIGUSR1 ================================================================= */

/* Waits up to ms for needle in the file at path; 0 or -1. */
static int
file_wait(const char *path, const char *needle, long ms, char *buf,
    size_t cap)
{
	long end = now_ms() + ms;
	ssize_t n;
	int fd;

	for (;;) {
		buf[0] = '\0';
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			n = read(fd, buf, cap - 1);
			(void)close(fd);
			buf[n < 0 ? 0 : n] = '\0';
			if (strstr(buf, needle) != NULL)
				return 0;
		}
		if (now_ms() >= end)
			return -1;
		sleep_ms(20);
	}
}

static void
test_sigusr1_reopens_moved_access_log(void **state)
{
	struct srv_conf c = { .workers = 1 };
	char access[PATH_MAX], moved[PATH_MAX + 8], buf[8192];
	size_t logfrom;

	(void)state;
	(void)snprintf(access, sizeof(access), "%s/access.log", tmpdir);
	(void)snprintf(moved, sizeof(moved), "%s.1", access);
	(void)unlink(access);
	(void)unlink(moved);
	c.access_log = access;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	get_ok(srv.port, "/hello/before", 1);
	/* Lines reach the file within a second (access.c). */
	if (file_wait(access, "GET /hello/before ", 3000, buf,
	    sizeof(buf)) != 0)
		fail_msg("%s: no line for /hello/before: \"%s\"", access, buf);
	assert_int_equal(rename(access, moved), 0);
	srv_read_log();
	logfrom = srv.log_len;
	assert_int_equal(kill(srv.pid, SIGUSR1), 0);
	if (srv_wait_log(logfrom, "log files reopened", IO_MS) != 0)
		fail_msg("no \"log files reopened\" after SIGUSR1:\n%s",
		    log_tail());
	/* The master relays REOPEN_LOGS to the worker, which says when it
	 * has reopened its files (the master also opens the access log, so
	 * the file existing says nothing about the worker). */
	if (srv_wait_log(logfrom, "worker 1: log files reopened", IO_MS) != 0)
		fail_msg("no \"worker 1: log files reopened\" after SIGUSR1:"
		    "\n%s", log_tail());
	get_ok(srv.port, "/hello/after", 1);
	if (file_wait(access, "GET /hello/after ", 3000, buf,
	    sizeof(buf)) != 0)
		fail_msg("%s (new): no line for /hello/after: \"%s\"\nlog:\n%s",
		    access, buf, log_tail());
	if (strstr(buf, "/hello/before") != NULL)
		fail_msg("%s (new) has the old line: \"%s\"", access, buf);
	if (file_wait(moved, "GET /hello/before ", 0, buf, sizeof(buf)) != 0)
		fail_msg("%s lost the old line: \"%s\"", moved, buf);
	if (strstr(buf, "/hello/after") != NULL)
		fail_msg("%s (moved) got the new line: \"%s\"", moved, buf);
	stop_or_fail(5000);
	(void)unlink(access);
	(void)unlink(moved);
}

/* Sends len bytes of req on a new connection (a failed send is fine: the
 * server may answer and close before reading it all) and reads the answer
 * to EOF into buf: 0, or -errno. */
static int
raw_exchange(int port, const char *req, size_t len, char *buf, size_t cap)
{
	int fd;

	if ((fd = tcp_connect("127.0.0.1", port)) < 0)
		return fd;
	(void)send_all(fd, req, len);
	return req_read_all(fd, buf, cap, IO_MS);
}

/* How many times needle is in s. */
static size_t
count_in(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)) != NULL; s++)
		n++;
	return n;
}

/* How many lines of path contain needle. */
static size_t
file_lines_with(const char *path, const char *needle)
{
	char line[8192];
	size_t n = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, needle) != NULL;
	(void)fclose(fp);
	return n;
}

static void	ka_send(int fd, const char *target);
static int	ka_read(int fd, int *closes, long ms);

/* A keep-alive connection served once, so the worker holds it: tried
 * again while the worker is at its cap (a closing connection still
 * counts), for IO_MS at most. */
static int
held_conn(int port)
{
	long end = now_ms() + IO_MS;
	int fd, st, closes;

	for (;;) {
		if ((fd = tcp_connect("127.0.0.1", port)) < 0)
			fail_msg("connect: %s", strerror(-fd));
		ka_send(fd, "/hello/held");
		if ((st = ka_read(fd, &closes, IO_MS)) == 200 && !closes)
			return fd;
		(void)close(fd);
		if (st != 503 || now_ms() > end)
			fail_msg("a held connection: %d", st);
		sleep_ms(10);
	}
}

/*
 * Every response gets a line, those turned away before any route was
 * chosen included (nginx logs its 400s): 400, 408, 414 (a 64 KiB request
 * line, cut in the log, the line whole), 431, 503 at the connection cap;
 * and the bytes field is the body's (the combined format's %b), not the
 * whole response's.
 */
static void
test_access_log_has_rejected_requests(void **state)
{
	struct srv_conf c = { .workers = 1, .header = 0.3,
	    .log_opts = "flush = 0;", .extra = "max_connections = 2;" };
	char access[PATH_MAX], buf[16384], resp[4096], *big;
	size_t biglen = 64 * 1024, n, busy;
	int fd1, fd2;

	(void)state;
	(void)snprintf(access, sizeof(access), "%s/access.log", tmpdir);
	(void)unlink(access);
	c.access_log = access;
	start_or_fail(&c);
	get_ok(srv.port, "/", 1);
	/* GET / answers "Hello, World!\n" (14 bytes) in a 140-odd byte
	 * response: 14 is logged. */
	if (file_wait(access, "\"GET / HTTP/1.1\" 200 14 ", IO_MS, buf,
	    sizeof(buf)) != 0)
		fail_msg("no 200 line with the body's 14 bytes: \"%s\"", buf);

	assert_int_equal(raw_exchange(srv.port, "BLAH\r\n\r\n", 8, resp,
	    sizeof(resp)), 0);
	assert_non_null(strstr(resp, " 400 "));
	if (file_wait(access, "\"BLAH\" 400 16 ", IO_MS, buf,
	    sizeof(buf)) != 0)
		fail_msg("no line for the 400: \"%s\"", buf);

	/* A head that never ends: 408 at the header timeout, logged with
	 * what came of its request line. */
	assert_int_equal(raw_exchange(srv.port, "GET /slowloris HTTP/1.1\r\n"
	    "Host: a\r\n", 34, resp, sizeof(resp)), 0);
	assert_non_null(strstr(resp, " 408 "));
	if (file_wait(access, "\"GET /slowloris HTTP/1.1\" 408 ", IO_MS, buf,
	    sizeof(buf)) != 0)
		fail_msg("no line for the 408: \"%s\"", buf);

	/* 64 KiB of request line: 414, and a line whose request field is
	 * cut at the field's limit with "...". */
	big = malloc(biglen + 32);
	assert_non_null(big);
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', biglen);
	n = 5 + biglen;
	n += (size_t)snprintf(big + n, 32, " HTTP/1.1\r\n\r\n");
	assert_int_equal(raw_exchange(srv.port, big, n, resp, sizeof(resp)),
	    0);
	assert_non_null(strstr(resp, " 414 "));
	if (file_wait(access, "aaa...\" 414 ", IO_MS, buf, sizeof(buf)) != 0)
		fail_msg("no cut line for the 414: \"%.300s\"", buf);

	/* A header over header_size: 431. */
	memcpy(big, "GET /h HTTP/1.1\r\nX: ", 20);
	memset(big + 20, 'b', 20000);
	memcpy(big + 20020, "\r\n\r\n", 4);
	assert_int_equal(raw_exchange(srv.port, big, 20024, resp,
	    sizeof(resp)), 0);
	assert_non_null(strstr(resp, " 431 "));
	if (file_wait(access, "\"GET /h HTTP/1.1\" 431 ", IO_MS, buf,
	    sizeof(buf)) != 0)
		fail_msg("no line for the 431: \"%s\"", buf);
	free(big);

	/* Two connections held, each served once so that the worker holds
	 * both (max_connections = 2): a third gets 503. */
	fd1 = held_conn(srv.port);
	fd2 = held_conn(srv.port);
	assert_int_equal(raw_exchange(srv.port, "GET / HTTP/1.1\r\n\r\n", 18,
	    resp, sizeof(resp)), 0);
	if (strstr(resp, " 503 ") == NULL)
		fail_msg("a third connection: \"%s\"", resp);
	if (file_wait(access, "\"-\" 503 24 ", IO_MS, buf, sizeof(buf)) != 0)
		fail_msg("no line for the 503: \"%s\"", buf);
	(void)close(fd1);
	(void)close(fd2);

	/* One whole line per response: the five above, the two held
	 * connections' and the 503s (the third connection's, and any of
	 * held_conn's). */
	busy = file_lines_with(access, "\"-\" 503 24 ");
	if ((n = file_lines_with(access, " - - [")) != 7 + busy || busy < 1) {
		(void)file_wait(access, "", 0, buf, sizeof(buf));
		fail_msg("%zu lines (%zu of them 503) for 7 responses and the "
		    "503s:\n%.4000s", n, busy, buf);
	}
	stop_or_fail(5000);
	(void)unlink(access);
}

/*
 * log.format: the JSON preset (hostile bytes escaped as JSON, the line
 * printable ASCII) and a template of nginx's variables.
 */
static void
test_access_log_formats(void **state)
{
	static const char hostile[] = "GET /hello/j HTTP/1.1\r\nHost: a\r\n"
	    "User-Agent: q\"b\\\xff\xc3\r\nConnection: close\r\n\r\n";
	static const char fwd[] = "GET /hello/t HTTP/1.1\r\nHost: a\r\n"
	    "X-Forwarded-For: 10.1.2.3\r\nConnection: close\r\n\r\n";
	struct srv_conf c = { .workers = 1, .log_opts = "format = \"json\"; "
	    "flush = 0;" };
	char access[PATH_MAX], buf[8192], resp[4096];
	size_t i;

	(void)state;
	(void)snprintf(access, sizeof(access), "%s/access.log", tmpdir);
	(void)unlink(access);
	c.access_log = access;
	start_or_fail(&c);
	assert_int_equal(raw_exchange(srv.port, hostile, sizeof(hostile) - 1,
	    resp, sizeof(resp)), 0);
	if (file_wait(access, "\"user_agent\":\"q\\\"b\\\\\\u00ff\\u00c3\"",
	    IO_MS, buf, sizeof(buf)) != 0)
		fail_msg("no JSON line with the agent escaped: \"%s\"", buf);
	assert_non_null(strstr(buf, "\"request\":\"GET /hello/j HTTP/1.1\","
	    "\"status\":200,\"body_bytes_sent\":"));
	assert_non_null(strstr(buf, ",\"worker\":1,\"request_id\":\""));
	assert_true(buf[0] == '{');
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] != '\n' && (buf[i] < 0x20 || buf[i] > 0x7e))
			fail_msg("byte 0x%02x in a JSON line",
			    (unsigned char)buf[i]);
	stop_or_fail(5000);
	(void)unlink(access);

	c.log_opts = "format = \"$remote_addr|$http_x_forwarded_for|$status|"
	    "$request_time|w$worker|$bytes_sent>$body_bytes_sent\"; flush = 0;";
	start_or_fail(&c);
	assert_int_equal(raw_exchange(srv.port, fwd, sizeof(fwd) - 1, resp,
	    sizeof(resp)), 0);
	if (file_wait(access, "127.0.0.1|10.1.2.3|200|0.", IO_MS, buf,
	    sizeof(buf)) != 0)
		fail_msg("no templated line: \"%s\"", buf);
	assert_non_null(strstr(buf, "|w1|"));
	/* $bytes_sent is the whole response as sent. */
	assert_true(strtoul(strstr(buf, "|w1|") + 4, NULL, 10) ==
	    strlen(resp));
	stop_or_fail(5000);
	(void)unlink(access);
}

/*
 * Lines wait in the buffer (log.flush) but reach the file at SIGUSR1
 * (before the logs are reopened) and at a graceful stop.
 */
static void
test_access_log_flushed_at_sigusr1_and_stop(void **state)
{
	struct srv_conf c = { .workers = 1, .log_opts = "flush = 3600;" };
	char access[PATH_MAX], buf[8192];

	(void)state;
	(void)snprintf(access, sizeof(access), "%s/access.log", tmpdir);
	(void)unlink(access);
	c.access_log = access;
	start_or_fail(&c);
	get_ok(srv.port, "/hello/buffered", 1);
	/* Within the hour and 64 KiB: still in the worker's buffer. */
	assert_int_equal(file_lines_with(access, "/hello/buffered"), 0);
	assert_int_equal(kill(srv.pid, SIGUSR1), 0);
	if (file_wait(access, "GET /hello/buffered ", IO_MS, buf,
	    sizeof(buf)) != 0)
		fail_msg("SIGUSR1 did not flush the line: \"%s\"", buf);
	get_ok(srv.port, "/hello/at-stop", 1);
	assert_int_equal(file_lines_with(access, "/hello/at-stop"), 0);
	stop_or_fail(5000);
	assert_int_equal(file_lines_with(access, "GET /hello/at-stop "), 1);
	(void)unlink(access);
}

/* ==== 10. the pid file ============================================================ */

static void
test_pid_file_written_after_ready_and_removed_at_stop(void **state)
{
	struct srv_conf c = { .workers = 1 };
	char pidf[PATH_MAX], buf[64];
	struct stat sb;

	(void)state;
	(void)snprintf(pidf, sizeof(pidf), "%s/asyncd.pid", tmpdir);
	(void)unlink(pidf);
	c.pid_file = pidf;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	/* Written before READY=1 was sent. */
	if (file_wait(pidf, "\n", 0, buf, sizeof(buf)) != 0)
		fail_msg("%s: \"%s\" at READY=1\nlog:\n%s", pidf, buf,
		    log_tail());
	assert_int_equal(strtol(buf, NULL, 10), (long)srv.pid);
	get_ok(srv.port, "/", 1);
	stop_or_fail(5000);
	if (stat(pidf, &sb) == 0 || errno != ENOENT) {
		(void)unlink(pidf);
		fail_msg("%s still exists after a clean stop", pidf);
	}
}

/* WATCHDOG_USEC set: the master sends WATCHDOG=1 every half of it. */
static void
test_watchdog_keepalives_every_half_period(void **state)
{
	struct srv_conf c = { .workers = 1 };
	long first;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	srv_extra_env = "WATCHDOG_USEC=400000";
	start_or_fail(&c);
	srv_extra_env = NULL;
	(void)ready_or_fail(0);
	/* 0.2 s apart: two within a second, with room for a busy machine. */
	if ((first = notif_wait(0, "WATCHDOG=1", 1000)) < 0 ||
	    notif_wait((size_t)first + 1, "WATCHDOG=1", 1000) < 0)
		fail_msg("no WATCHDOG=1 twice within 2 s of READY=1\n%s",
		    log_tail());
	stop_or_fail(5000);
}

/* Started as root with user = "nobody": workers run as nobody, the
 * master stays root (it must bind and signal). */
static void
test_workers_drop_privileges(void **state)
{
	struct srv_conf c = { .workers = 2, .extra = "user = \"nobody\";" };
	struct workers w;
	struct passwd *pw;
	char path[64], line[256];
	unsigned long uid;
	size_t i;
	FILE *fp;

	(void)state;
	if (geteuid() != 0 || (pw = getpwnam("nobody")) == NULL)
		skip();
	start_or_fail(&c);
	/* Each worker drops privileges before its READY: wait for both. */
	if (srv_wait_log(0, "started: 2 workers", 5000) != 0)
		fail_msg("workers not ready\n%s", log_tail());
	workers_wait(2, 0, 5000, &w);
	for (i = 0; i < 2; i++) {
		(void)snprintf(path, sizeof(path), "/proc/%ld/status",
		    (long)w.pid[i]);
		assert_non_null(fp = fopen(path, "r"));
		uid = (unsigned long)-1;
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "Uid: %lu", &uid) == 1)
				break;
		(void)fclose(fp);
		assert_int_equal(uid, (unsigned long)pw->pw_uid);
	}
	get_ok(srv.port, "/", 2);
	stop_or_fail(5000);
}

/* A listening socket from systemd socket activation is used, not bound
 * again: requests reach it. */
static void
test_socket_activation_is_adopted(void **state)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct srv_conf c = { .workers = 2 };
	char listen_addr[64];
	int fd, one = 1;

	(void)state;
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 128), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	(void)snprintf(listen_addr, sizeof(listen_addr), "127.0.0.1:%d",
	    ntohs(sin.sin_port));
	c.listen = listen_addr;
	srv_activation_fd = fd;
	start_or_fail(&c);
	srv_activation_fd = -1;
	(void)close(fd);	/* asyncd has its own copy now */
	if (srv_wait_log(0, "socket from systemd (LISTEN_FDS)", 5000) != 0)
		fail_msg("the activated socket was not adopted\n%s",
		    log_tail());
	assert_int_equal(srv.port, ntohs(sin.sin_port));
	get_ok(srv.port, "/", 4);
	stop_or_fail(5000);
}

/* GET /stats and /metrics answer every worker's counters together. */
static void
test_stats_and_metrics_cover_every_worker(void **state)
{
	struct srv_conf c = { .workers = 2, .heartbeat = 0.4 };
	static char buf[65536];
	const char *p;
	long end, total;
	int fd, asked;

	(void)state;
	start_or_fail(&c);
	if (srv_wait_log(0, "started: 2 workers", 5000) != 0)
		fail_msg("workers not ready\n%s", log_tail());
	get_ok(srv.port, "/", 6);
	/* A heartbeat (0.4 s) carries the counters over: asked until the six
	 * requests show, not after a sleep that guesses when.  The first
	 * "requests" is the total, which may count the earlier /stats too. */
	for (asked = 0, end = now_ms() + IO_MS;; sleep_ms(50)) {
		assert_true((fd = req_start("127.0.0.1", srv.port,
		    "/stats")) >= 0);
		assert_int_equal(req_read_all(fd, buf, sizeof(buf), 3000), 0);
		asked++;
		p = strstr(buf, "\"requests\": ");
		total = p != NULL ? atol(p + 12) : 0;
		if (total >= 6 || now_ms() > end)
			break;
	}
	if (total < 6 || total > 6 + asked - 1)
		fail_msg("GET /stats: %ld requests, want 6 (+ %d /stats):\n%s",
		    total, asked - 1, buf);
	if (strstr(buf, "200 OK") == NULL ||
	    strstr(buf, "application/json") == NULL ||
	    strstr(buf, "\"workers\": 2") == NULL ||
	    strstr(buf, "\"worker\": 1") == NULL ||
	    strstr(buf, "\"worker\": 2") == NULL)
		fail_msg("GET /stats:\n%s", buf);
	assert_true((fd = req_start("127.0.0.1", srv.port, "/metrics")) >= 0);
	assert_int_equal(req_read_all(fd, buf, sizeof(buf), 3000), 0);
	if (strstr(buf, "# TYPE asyncd_http_requests_total counter") == NULL ||
	    strstr(buf, "asyncd_workers 2") == NULL ||
	    strstr(buf, "asyncd_http_requests_total{worker=\"") == NULL ||
	    strstr(buf, "asyncd_http_connections_accepted_total{worker=\"1\"}")
	    == NULL ||
	    strstr(buf, "asyncd_http_connections_accepted_total{worker=\"2\"}")
	    == NULL)
		fail_msg("GET /metrics:\n%s", buf);
	stop_or_fail(5000);
}

/*
 * GET /debug/tasks on the (private) stats listener: every worker's live
 * tasks, named for their routes, with what they await; not on the public
 * listener.
 */
static void
test_debug_tasks_lists_every_workers_tasks(void **state)
{
	static const char ask_text[] = "GET /debug/tasks?format=text "
	    "HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	static const char ask_json[] = "GET /debug/tasks HTTP/1.1\r\n"
	    "Host: a\r\nConnection: close\r\n\r\n";
	struct srv_conf c = { .workers = 2, .delay_slow = 10.0,
	    .extra = "stats = { listen = \"127.0.0.1:0\"; };" };
	static char buf[65536];
	struct workers w;
	char pid[32], cmd[PATH_MAX * 2 + 32];
	const char *p;
	int fd[4], sport = 0, i, st;
	size_t n;
	long end;
	FILE *fp;

	(void)state;
	start_or_fail(&c);
	if (srv_wait_log(0, "started: 2 workers", 5000) != 0)
		fail_msg("workers not ready\n%s", log_tail());
	if ((p = strstr(srv.log, "stats pages on 127.0.0.1:")) != NULL)
		sport = atoi(p + 25);
	assert_true(sport > 0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &w), 0);
	for (i = 0; i < 4; i++)
		assert_true((fd[i] = req_start("127.0.0.1", srv.port,
		    "/slow")) >= 0);
	/* The four requests are in their handlers' sleep once the list says
	 * so. */
	for (end = now_ms() + IO_MS;; sleep_ms(20)) {
		assert_int_equal(raw_exchange(sport, ask_text,
		    sizeof(ask_text) - 1, buf, sizeof(buf)), 0);
		if (count_in(buf, "  sleep         GET /slow\n") == 4)
			break;
		if (now_ms() > end)
			fail_msg("no four GET /slow asleep in:\n%s", buf);
	}
	if (strstr(buf, " 200 OK\r\n") == NULL ||
	    strstr(buf, "(2 workers asked, 0 missing, 0 left out)") == NULL)
		fail_msg("the text list:\n%s", buf);
	for (i = 0; i < 2; i++) {
		(void)snprintf(pid, sizeof(pid), "(pid %ld): ",
		    (long)w.pid[i]);
		if (strstr(buf, pid) == NULL)
			fail_msg("worker %d %s missing:\n%s", i + 1, pid, buf);
	}

	assert_int_equal(raw_exchange(sport, ask_json, sizeof(ask_json) - 1,
	    buf, sizeof(buf)), 0);
	if (strstr(buf, "application/json") == NULL ||
	    strstr(buf, "{\"workers\": [{\"worker\": ") == NULL ||
	    count_in(buf, "\"name\": \"GET /slow\", \"state\": \"waiting\", "
	    "\"awaits\": \"sleep\", \"waited\": ") != 4 ||
	    strstr(buf, "\"asked\": 2, \"missing\": 0, \"left_out\": 0}") ==
	    NULL)
		fail_msg("the JSON list:\n%s", buf);

	/* asyncd --tasks prints the text list, from a file naming the
	 * stats listener's address. */
	(void)snprintf(cmd, sizeof(cmd), "%s/tasks.conf", tmpdir);
	(void)snprintf(buf, sizeof(buf), "stats = { listen = "
	    "\"127.0.0.1:%d\"; };\n", sport);
	assert_int_equal(write_file_atomic(cmd, buf), 0);
	(void)snprintf(cmd, sizeof(cmd), "'%s' -c '%s/tasks.conf' --tasks",
	    asyncd_path, tmpdir);
	assert_non_null(fp = popen(cmd, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	if ((st = pclose(fp)) != 0 || count_in(buf, "  sleep         GET "
	    "/slow\n") != 4 || strncmp(buf, "worker ", 7) != 0)
		fail_msg("asyncd --tasks: status %d:\n%s", st, buf);

	/* Not for the public listener. */
	assert_int_equal(raw_exchange(srv.port, ask_json,
	    sizeof(ask_json) - 1, buf, sizeof(buf)), 0);
	if (strstr(buf, " 404 ") == NULL)
		fail_msg("the public listener's /debug/tasks:\n%s", buf);
	for (i = 0; i < 4; i++)
		(void)close(fd[i]);
	assert_int_equal(srv_kill(), 0);
}

/* ==== 14. what an attack run broke (supervision, reloads, signals) ========== */

/*
 * SIGHUP and the READY=1 that ends that reload: 0 if it worked, 1 if it
 * says "reload failed"; fails the test if none comes within ms.
 */
static int
reload_wait(long ms)
{
	size_t from = notif_count();
	long ri, rd;

	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	if ((ri = notif_wait(from, "RELOADING=1", IO_MS)) < 0)
		fail_msg("no RELOADING=1: %s", notif_dump());
	if ((rd = notif_wait((size_t)ri + 1, "READY=1", ms)) < 0) {
		srv_read_log();
		fail_msg("no READY=1 after RELOADING=1: %s\nlog:\n%s",
		    notif_dump(), log_tail());
	}
	return strstr(nt.note[rd], "reload failed") != NULL;
}

/* Waits for a worker index whose pid is not old, the others serving too,
 * and for the master's word that it is ready; its pid. */
static pid_t
worker_replaced(size_t n, int index, pid_t old)
{
	struct workers w;
	long end = now_ms() + IO_MS + 5500;	/* the backoff reaches 5 s */
	char ready[96];

	for (;;) {
		workers_scan(srv.pid, &w);
		if (workers_exactly(&w, n, 1) && w.pid[index - 1] != old) {
			(void)snprintf(ready, sizeof(ready), "worker %d (pid "
			    "%ld) ready, replacing", index,
			    (long)w.pid[index - 1]);
			if (srv_wait_log(0, ready, end - now_ms()) != 0)
				fail_msg("no \"%s\" in the log:\n%s", ready,
				    log_tail());
			return w.pid[index - 1];
		}
		if (srv_wait_exit(0) != -1)
			fail_msg("the master exited (status 0x%x):\n%s",
			    srv.status, log_tail());
		if (now_ms() >= end) {
			srv_read_log();
			fail_msg("no new worker %d (killed pid %ld): %s\nlog:\n%s",
			    index, (long)old, w.titles, log_tail());
		}
		sleep_ms(10);
	}
}

/* The delay the master logged for the replacement of pid: "replacing it
 * in X s"; fails the test if the line does not come. */
static double
replace_delay(pid_t pid)
{
	char needle[64];
	const char *at, *in = NULL;

	(void)snprintf(needle, sizeof(needle), "(pid %ld) killed by signal",
	    (long)pid);
	if (srv_wait_log(0, needle, IO_MS) != 0)
		fail_msg("no \"%s\" in the log:\n%s", needle, log_tail());
	at = strstr(srv.log, needle);
	if (srv_wait_log((size_t)(at - srv.log), "s\n", IO_MS) == 0)
		in = strstr(at, "replacing it in ");
	if (in == NULL || strchr(at, '\n') < in) {
		fail_msg("no delay for pid %ld in the log:\n%s", (long)pid,
		    log_tail());
		return 0;
	}
	return strtod(in + strlen("replacing it in "), NULL);
}

/*
 * An OOM killer or an operator kills READY workers again and again: each
 * is replaced, with a growing backoff, and the breaker (which is for
 * workers failing before READY) never trips.  The attack run stopped the
 * service at the fifth kill.
 */
static void
test_killed_workers_are_replaced_forever(void **state)
{
	static const double delays[] = { 0.1, 0.2, 0.4, 0.8, 1.6, 3.2 };
	struct srv_conf c = { .workers = 2 };
	struct workers w;
	pid_t pid;
	double d;
	size_t k;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &w), 0);
	pid = w.pid[0];
	for (k = 0; k < sizeof(delays) / sizeof(delays[0]); k++) {
		assert_int_equal(kill(pid, SIGKILL), 0);
		d = replace_delay(pid);
		if (d < delays[k] - 0.01 || d > delays[k] + 0.01)
			fail_msg("kill %zu: replaced in %g s, expected %g s:\n%s",
			    k + 1, d, delays[k], log_tail());
		pid = worker_replaced(2, 1, pid);
		get_ok(srv.port, "/", 2);
	}
	if (strstr(srv.log, "breaker") != NULL)
		fail_msg("the breaker tripped:\n%s", log_tail());
	if (strstr(srv.log, "killed by signal 9 (Killed)") == NULL)
		fail_msg("the deaths are not logged with their cause:\n%s",
		    log_tail());
	stop_or_fail(5000);
}

/* A worker that served for HEALTHY_AFTER (10 s) before it died is
 * replaced after the shortest backoff again. */
static void
test_respawn_backoff_resets_after_healthy_period(void **state)
{
	struct srv_conf c = { .workers = 1 };
	struct workers w;
	pid_t pid;
	double d;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(1, 0, IO_MS, &w), 0);
	pid = w.pid[0];
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_true(replace_delay(pid) < 0.15);
	pid = worker_replaced(1, 1, pid);
	get_ok(srv.port, "/", 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	if ((d = replace_delay(pid)) < 0.15)
		fail_msg("a quick second death: backoff %g s, not doubled",
		    d);
	pid = worker_replaced(1, 1, pid);
	get_ok(srv.port, "/", 1);
	/* What is waited for is the master's own period, not its state. */
	sleep_ms(10500);
	get_ok(srv.port, "/", 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	if ((d = replace_delay(pid)) > 0.15)
		fail_msg("after 10 s of service: backoff %g s, not reset:\n%s",
		    d, log_tail());
	(void)worker_replaced(1, 1, pid);
	stop_or_fail(5000);
}

/* A listening socket of the test's own: its port. */
static int
port_taken(int *fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	*fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(*fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(*fd, 1), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/*
 * A reload that cannot bind its new address fails; the workers then
 * replaced must still get the old listener.  (The attack run: the
 * replacement inherited none, "cannot start serving", breaker, exit 1.)
 */
static void
test_failed_reload_leaves_listeners_for_respawns(void **state)
{
	struct srv_conf c = { .workers = 2 };
	char listen[64];
	struct workers w;
	int taken, q;
	pid_t pid;

	(void)state;
	q = port_taken(&taken);
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &w), 0);
	(void)snprintf(listen, sizeof(listen), "127.0.0.1:0\", \"127.0.0.1:%d",
	    q);
	c.listen = listen;
	assert_int_equal(conf_write(&c, NULL), 0);
	if (reload_wait(IO_MS) != 1)
		fail_msg("the reload with a taken port worked:\n%s",
		    log_tail());
	if (srv_wait_log(0, "Address already in use", IO_MS) != 0)
		fail_msg("no bind error in the log:\n%s", log_tail());
	pid = w.pid[0];
	assert_int_equal(kill(pid, SIGKILL), 0);
	(void)worker_replaced(2, 1, pid);
	get_ok(srv.port, "/", 10);
	srv_read_log();
	if (strstr(srv.log, "cannot start serving") != NULL ||
	    strstr(srv.log, "breaker") != NULL)
		fail_msg("the replacement could not serve:\n%s", log_tail());
	(void)close(taken);
	stop_or_fail(5000);
}

/* Whether a connect to ip:port is refused. */
static int
refused(const char *ip, int port)
{
	int fd = tcp_connect(ip, port);

	if (fd >= 0) {
		(void)close(fd);
		return 0;
	}
	return fd == -ECONNREFUSED;
}

/*
 * [A] -> [A, B, C] where C is taken: the reload fails, and B, opened on
 * the way, is closed again; the next good reload back to [A] gets a new
 * generation that does not serve B either.
 */
static void
test_failed_reload_closes_listeners_it_opened(void **state)
{
	struct srv_conf c = { .workers = 2 };
	char listen[96], *at;
	struct workers w;
	int taken, q, portb;
	size_t logfrom;

	(void)state;
	q = port_taken(&taken);
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &w), 0);
	srv_read_log();
	logfrom = srv.log_len;
	(void)snprintf(listen, sizeof(listen), "127.0.0.1:0\", "
	    "\"127.0.0.2:0\", \"127.0.0.1:%d", q);
	c.listen = listen;
	assert_int_equal(conf_write(&c, NULL), 0);
	if (reload_wait(IO_MS) != 1)
		fail_msg("the reload with a taken port worked:\n%s",
		    log_tail());
	if (srv_wait_log(logfrom, "listening on 127.0.0.2:", IO_MS) != 0)
		fail_msg("B was never opened:\n%s", log_tail());
	at = strstr(srv.log + logfrom, "listening on 127.0.0.2:");
	portb = atoi(at + strlen("listening on 127.0.0.2:"));
	if (!refused("127.0.0.2", portb))
		fail_msg("127.0.0.2:%d still accepts after the failed reload:"
		    "\n%s", portb, log_tail());
	c.listen = NULL;
	assert_int_equal(conf_write(&c, NULL), 0);
	if (reload_wait(READY_MS) != 0)
		fail_msg("the good reload failed:\n%s", log_tail());
	if (srv_wait_log(logfrom, "reloaded: generation 3 serving",
	    IO_MS) != 0)
		fail_msg("the good reload is not generation 3 (2 failed):\n%s",
		    log_tail());
	if (!refused("127.0.0.2", portb))
		fail_msg("127.0.0.2:%d accepts after the good reload",
		    portb);
	get_ok(srv.port, "/", 6);
	(void)close(taken);
	stop_or_fail(5000);
}

/*
 * A reload whose workers never say READY is aborted; a second reload right
 * after it must not reuse the aborted generation's number (whose killed
 * workers may still be unreaped) and must succeed.
 */
static void
test_reload_after_aborted_reload_uses_new_generation(void **state)
{
	struct srv_conf c = { .workers = 2, .ready = 0.3 };
	char flag[PATH_MAX], env[PATH_MAX + 32];
	struct workers w;
	size_t logfrom;

	(void)state;
	if (hooks_path == NULL)
		skip();		/* no $ASYNCD_HOOKS: no way to fail workers */
	(void)snprintf(flag, sizeof(flag), "%s/worker-fail", tmpdir);
	(void)unlink(flag);
	(void)snprintf(env, sizeof(env), "ASYNCD_TEST_WORKER_FAIL=%s", flag);
	srv_extra_env = env;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	srv_extra_env = NULL;
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &w), 0);
	srv_read_log();
	logfrom = srv.log_len;
	assert_int_equal(write_file_atomic(flag, "hang\n"), 0);
	if (reload_wait(IO_MS) != 1)
		fail_msg("a reload whose workers hang worked:\n%s",
		    log_tail());
	assert_int_equal(unlink(flag), 0);
	if (reload_wait(READY_MS) != 0)
		fail_msg("the reload after the aborted one failed:\n%s",
		    log_tail());
	if (srv_wait_log(logfrom, "reloaded: generation 3 serving",
	    IO_MS) != 0)
		fail_msg("not generation 3 after the aborted 2:\n%s",
		    log_tail());
	assert_int_equal(workers_wait(2, 0, IO_MS, &w), 0);
	get_ok(srv.port, "/", 6);
	if (strstr(srv.log + logfrom, "channel:") != NULL)
		fail_msg("workers the master killed logged as errors:\n%s",
		    log_tail());
	stop_or_fail(5000);
}

/*
 * libconfig 1.5 exited (and with it the master) on an @include of a
 * directory, and blocked on a FIFO: a reload with either fails cleanly,
 * the old workers serve on, and the master still obeys SIGTERM.
 */
static void
test_reload_with_bad_include_keeps_serving(void **state)
{
	struct srv_conf c = { .workers = 1 };
	char fifo[PATH_MAX], extra[PATH_MAX + 32];
	struct workers before, after;

	(void)state;
	(void)snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	(void)unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(1, 0, IO_MS, &before), 0);
	c.extra = "@include \".\"";
	assert_int_equal(conf_write(&c, NULL), 0);
	if (reload_wait(IO_MS) != 1)
		fail_msg("a reload including \".\" worked:\n%s", log_tail());
	if (srv_wait_log(0, "a directory, not a configuration file",
	    IO_MS) != 0)
		fail_msg("no reason in the log:\n%s", log_tail());
	(void)snprintf(extra, sizeof(extra), "@include \"%s\"", fifo);
	c.extra = extra;
	assert_int_equal(conf_write(&c, NULL), 0);
	if (reload_wait(IO_MS) != 1)
		fail_msg("a reload including a FIFO worked:\n%s", log_tail());
	if (srv_wait_log(0, "a FIFO, not a configuration file", IO_MS) != 0)
		fail_msg("no reason in the log:\n%s", log_tail());
	get_ok(srv.port, "/", 4);
	workers_scan(srv.pid, &after);
	if (!workers_exactly(&after, 1, 0) || after.pid[0] != before.pid[0])
		fail_msg("the worker changed: %s", after.titles);
	stop_or_fail(5000);
	(void)unlink(fifo);
}

/*
 * Every asynchronous signal without an effect of its own, sent to the
 * master and to the worker: both live on and serve.  The master confirms
 * each one by logging the SIGWINCH sent after it (one pending signal at a
 * time: two of a kind would merge); the worker, by answering a request
 * after it (one worker: it is the one serving).
 */
static void
test_signals_without_effect_are_ignored(void **state)
{
	static const int to_master[] = { SIGPIPE, SIGALRM,
#ifdef SIGSTKFLT
	    SIGSTKFLT,
#endif
	    SIGCHLD, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU,
	    SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO,
#ifdef SIGPWR
	    SIGPWR,
#endif
	};
	static const int to_worker[] = { SIGHUP, SIGINT, SIGUSR1, SIGUSR2,
	    SIGPIPE, SIGALRM,
#ifdef SIGSTKFLT
	    SIGSTKFLT,
#endif
	    SIGCHLD, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU,
	    SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO,
#ifdef SIGPWR
	    SIGPWR,
#endif
	};
	struct srv_conf c = { .workers = 1 };
	struct workers before, after;
	const char *p;
	size_t k, n;
	long end;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(1, 0, IO_MS, &before), 0);
	for (k = 0; k < sizeof(to_master) / sizeof(to_master[0]); k++) {
		assert_int_equal(kill(srv.pid, to_master[k]), 0);
		assert_int_equal(kill(srv.pid, SIGWINCH), 0);
		end = now_ms() + IO_MS;
		for (;;) {
			srv_read_log();
			for (n = 0, p = srv.log; (p = strstr(p,
			    "SIGWINCH: ignored")) != NULL; p++)
				n++;
			if (n >= k + 1)
				break;
			if (srv_wait_exit(0) != -1)
				fail_msg("the master died of %s (status 0x%x):"
				    "\n%s", strsignal(to_master[k]),
				    srv.status, log_tail());
			if (now_ms() >= end)
				fail_msg("the master did not log SIGWINCH "
				    "after %s:\n%s", strsignal(to_master[k]),
				    log_tail());
			(void)srv_drain(now_ms() + 20);
		}
		get_ok(srv.port, "/", 1);
	}
	for (k = 0; k < sizeof(to_worker) / sizeof(to_worker[0]); k++) {
		assert_int_equal(kill(before.pid[0], to_worker[k]), 0);
		get_ok(srv.port, "/", 1);
		if (!worker_alive(before.pid[0]))
			fail_msg("the worker died of %s:\n%s",
			    strsignal(to_worker[k]), log_tail());
	}
	workers_scan(srv.pid, &after);
	if (!workers_exactly(&after, 1, 0) || after.pid[0] != before.pid[0])
		fail_msg("the worker changed: %s\n%s", after.titles,
		    log_tail());
	if (strstr(srv.log, "[error]") != NULL)
		fail_msg("errors logged:\n%s", log_tail());
	stop_or_fail(5000);
}

/* ---- keep-alive clients ---- */

/* Sends GET target on fd, keep-alive. */
static void
ka_send(int fd, const char *target)
{
	char req[512];

	(void)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
	    target);
	assert_int_equal(send_all(fd, req, strlen(req)), 0);
}

/*
 * Reads one whole response on fd within ms: its status (0 for a
 * malformed one, -errno for EOF (-ENODATA), a reset or a timeout), and
 * whether it said Connection: close.
 */
static int
ka_read(int fd, int *closes, long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long end = now_ms() + ms;
	char buf[4096], *he, *cl;
	size_t len = 0, want = 0;
	ssize_t n;
	int r;

	*closes = 0;
	for (;;) {
		if (want == 0 && (he = memmem(buf, len, "\r\n\r\n", 4)) !=
		    NULL) {
			buf[len] = '\0';
			if ((cl = strcasestr(buf, "\r\nContent-Length:")) ==
			    NULL || cl > he)
				return 0;
			want = (size_t)(he + 4 - buf) + strtoul(cl + 17, NULL,
			    10);
			cl = strcasestr(buf, "\r\nConnection: close\r\n");
			*closes = cl != NULL && cl < he;
		}
		if (want != 0 && len >= want)
			return strncmp(buf, "HTTP/1.1 ", 9) == 0 ?
			    atoi(buf + 9) : 0;
		if (len >= sizeof(buf) - 1)
			return 0;
		r = poll(&pfd, 1, (int)(end - now_ms() < 0 ? 0 :
		    end - now_ms()));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -errno;
		if (n == 0)
			return -ENODATA;
		len += (size_t)n;
	}
}

/* A connection that has been served once (so the worker accepted it and
 * holds it, parked between requests). */
static int
ka_open(int port)
{
	int fd = tcp_connect("127.0.0.1", port), closes;

	if (fd < 0)
		fail_msg("connect: %s", strerror(-fd));
	ka_send(fd, "/hello/warm");
	if (ka_read(fd, &closes, IO_MS) != 200 || closes)
		fail_msg("the warm-up request failed");
	return fd;
}

/* Whether fd ends in an orderly EOF within ms (not a reset). */
static int
ka_eof(int fd, long ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, (int)ms) <= 0)
		return 0;
	return recv(fd, &c, 1, 0) == 0;
}

/*
 * A request in flight when a reload begins is answered with Connection:
 * close, since its connection will not stay (the old worker drains), and
 * then closed in order.  The attack run's server answered keep-alive and
 * then closed: the client's next request met EOF.
 */
static void
test_request_in_flight_at_reload_says_close(void **state)
{
	struct srv_conf c = { .workers = 1, .delay_root = 0.5 };
	int fd, st, closes;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	fd = ka_open(srv.port);
	ka_send(fd, "/");		/* answered in 0.5 s */
	if (reload_wait(READY_MS) != 0)
		fail_msg("the reload failed:\n%s", log_tail());
	st = ka_read(fd, &closes, IO_MS);
	if (st != 200 || !closes)
		fail_msg("the request in flight at the reload: status %d, %s",
		    st, closes ? "close" : "keep-alive");
	if (!ka_eof(fd, IO_MS))
		fail_msg("no orderly EOF after Connection: close");
	(void)close(fd);
	get_ok(srv.port, "/hello/after", 2);
	stop_or_fail(5000);
}

/*
 * The README's promise on the slow app: keep-alive clients loading the
 * 0.5 s route through two reloads see no failure, and no connection closed
 * under them without Connection: close (which the load counts as a retry
 * after EOF on a reused connection).
 */
static void
test_slow_reload_under_load_drops_nothing(void **state)
{
	struct srv_conf c = { .workers = 2, .delay_root = 0.5 };
	struct load_thread sum;
	unsigned long failed = 0;
	int step;
	size_t k;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	load_start(srv.port);
	for (step = 0; step < 2; step++) {
		sleep_ms(700);		/* requests in flight, on purpose */
		if (reload_wait(READY_MS) != 0)
			fail_msg("reload %d failed:\n%s", step + 1, log_tail());
	}
	sleep_ms(700);
	load_stop(&sum);
	for (k = 1; k < LR_KINDS; k++)
		failed += sum.kind[k];
	print_message("slow reload under load: %lu ok, %lu retried after EOF "
	    "on a reused connection, %lu reset, %lu connect errors, %lu "
	    "failed\n", sum.ok, sum.retried, sum.reset_reused, sum.conn_fail,
	    failed);
	if (failed != 0 || sum.retried != 0 || sum.reset_reused != 0 ||
	    sum.conn_fail != 0)
		fail_msg("slow reload under load: %lu failed, %lu closed under "
		    "a keep-alive client, %lu reset, %lu connect errors (last: "
		    "%s, %s)\nlog:\n%s", failed, sum.retried, sum.reset_reused,
		    sum.conn_fail, lr_name[sum.last_kind < 0 ? 0 :
		    sum.last_kind], strerror(sum.last_err), log_tail());
	assert_true(sum.ok >= 16);
	stop_or_fail(5000);
}

/* Lines of path that contain needle. */
static size_t
file_count(const char *path, const char *needle)
{
	static char buf[1 << 18];
	const char *p = buf;
	size_t n = 0;

	(void)file_wait(path, "", 0, buf, sizeof(buf));
	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p++;
	}
	return n;
}

/*
 * A second TERM during a graceful stop: a fast stop, whose SIGKILL waits
 * its second (it fired at once: ev_timer_set on the active kill timer);
 * the workers, told to TERMINATE, exit without an error logged for their
 * channels, and every response they sent has its access-log line.
 */
static void
test_fast_stop_during_graceful_stop_keeps_logs(void **state)
{
	struct srv_conf c = { .workers = 1, .delay_root = 0.3,
	    .delay_slow = 5.0 };
	char access[PATH_MAX];
	int fds[10], slow, i, st, closes, status;

	(void)state;
	(void)snprintf(access, sizeof(access), "%s/access.log", tmpdir);
	(void)unlink(access);
	c.access_log = access;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	slow = ka_open(srv.port);
	for (i = 0; i < 10; i++)
		fds[i] = ka_open(srv.port);
	ka_send(slow, "/slow");		/* holds the worker in its drain */
	for (i = 0; i < 10; i++)
		ka_send(fds[i], "/");
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	for (i = 0; i < 10; i++) {
		st = ka_read(fds[i], &closes, IO_MS);
		if (st != 200 || !closes)
			fail_msg("request %d during the drain: %d%s", i, st,
			    closes ? "" : " without Connection: close");
		(void)close(fds[i]);
	}
	if (notif_wait(0, "STOPPING=1", IO_MS) < 0)
		fail_msg("no STOPPING=1: %s", notif_dump());
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	status = srv_wait_exit(3000);
	(void)close(slow);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("status 0x%x after the fast stop:\n%s", status,
		    log_tail());
	if (strstr(srv.log, "SIGKILL") != NULL ||
	    strstr(srv.log, "[error]") != NULL)
		fail_msg("the fast stop killed or logged errors:\n%s",
		    log_tail());
	if ((st = (int)file_count(access, "\"GET / HTTP/1.1\" 200")) != 10)
		fail_msg("%d access-log lines for the 10 responses sent", st);
	(void)unlink(access);
}

/*
 * A reload that changes log.error and log.access moves both (the logs were
 * opened once, in main()); one that names a log it cannot open fails and
 * keeps the logs it had.
 */
static void
test_reload_moves_logs(void **state)
{
	struct srv_conf c = { .workers = 1 };
	char a1[PATH_MAX], a2[PATH_MAX], e2[PATH_MAX], buf[16384];
	struct workers w;

	(void)state;
	(void)snprintf(a1, sizeof(a1), "%s/a1.log", tmpdir);
	(void)snprintf(a2, sizeof(a2), "%s/a2.log", tmpdir);
	(void)snprintf(e2, sizeof(e2), "%s/e2.log", tmpdir);
	(void)unlink(a1);
	(void)unlink(a2);
	(void)unlink(e2);
	c.access_log = a1;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	get_ok(srv.port, "/hello/one", 1);
	if (file_wait(a1, "GET /hello/one ", 3000, buf, sizeof(buf)) != 0)
		fail_msg("%s: no line for /hello/one", a1);

	c.access_log = a2;
	c.error_log = e2;
	assert_int_equal(conf_write(&c, NULL), 0);
	if (reload_wait(READY_MS) != 0)
		fail_msg("the reload failed:\n%s", log_tail());
	/* Until the old worker has its QUIT it may still accept, and it
	 * logs to the file it was started with: wait until it is gone. */
	if (workers_wait(1, 0, IO_MS, &w) != 0)
		fail_msg("the old worker did not leave: %s", w.titles);
	get_ok(srv.port, "/hello/two", 1);
	if (file_wait(a2, "GET /hello/two ", 3000, buf, sizeof(buf)) != 0)
		fail_msg("%s: no line for /hello/two", a2);
	if (file_wait(a1, "/hello/two", 0, buf, sizeof(buf)) == 0)
		fail_msg("%s still gets lines", a1);
	if (file_wait(e2, "reloaded: generation 2", IO_MS, buf,
	    sizeof(buf)) != 0)
		fail_msg("%s: no \"reloaded\" line: \"%s\"", e2, buf);

	c.access_log = "/nonexistent-asyncd-dir/a.log";
	assert_int_equal(conf_write(&c, NULL), 0);
	if (reload_wait(IO_MS) != 1)
		fail_msg("a reload with an access log it cannot open worked");
	if (file_wait(e2, "cannot open the access log", IO_MS, buf,
	    sizeof(buf)) != 0)
		fail_msg("%s: the failure is not logged: \"%s\"", e2, buf);
	get_ok(srv.port, "/hello/three", 1);
	if (file_wait(a2, "GET /hello/three ", 3000, buf, sizeof(buf)) != 0)
		fail_msg("%s: no line for /hello/three after the failed "
		    "reload", a2);
	stop_or_fail(5000);
	(void)unlink(a1);
	(void)unlink(a2);
	(void)unlink(e2);
}

/*
 * Clients that pipeline /metrics and never read: their pages share the
 * master's answers instead of failing for want of a slot (1.5 million
 * "stats unavailable" lines in 13 s in the attack run), and others are
 * served meanwhile.
 */
static void
test_stalled_stats_pipelines_cost_nothing_to_others(void **state)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
	struct srv_conf c = { .workers = 1 };
	char *batch;
	int fds[20], i, k;

	(void)state;
	batch = malloc(300 * (sizeof(req) - 1));
	assert_non_null(batch);
	for (k = 0; k < 300; k++)
		memcpy(batch + (size_t)k * (sizeof(req) - 1), req,
		    sizeof(req) - 1);
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	for (i = 0; i < 20; i++) {
		fds[i] = tcp_connect("127.0.0.1", srv.port);
		assert_true(fds[i] >= 0);
		assert_int_equal(send_all(fds[i], batch, 300 *
		    (sizeof(req) - 1)), 0);
	}
	free(batch);
	get_ok(srv.port, "/hello/meanwhile", 5);
	for (i = 0; i < 20; i++)
		(void)close(fds[i]);
	get_ok(srv.port, "/hello/after", 1);
	srv_read_log();
	if (strstr(srv.log, "stats unavailable") != NULL)
		fail_msg("stats pages failed:\n%s", log_tail());
	stop_or_fail(5000);
}

/*
 * Out of descriptors (ulimit -n 64): accept() fails with EMFILE.  The
 * worker says so once, in nginx's words, and closes idle keep-alive
 * connections to make room, so new clients are served instead of waiting
 * in the backlog until they time out.
 */
static void
test_fd_limit_makes_room_for_new_clients(void **state)
{
	struct srv_conf c = { .workers = 1 };
	int fds[80], i, n, st;
	const char *p;
	long end;

	(void)state;
	srv_nofile = 64;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	srv_nofile = 0;
	(void)ready_or_fail(0);
	/*
	 * Slow clients (half a request head each) hold descriptors that
	 * cannot be taken back: a new client gets a 503 at once, not a wait
	 * in the backlog until it gives up.
	 */
	for (i = 0; i < 80; i++) {
		fds[i] = tcp_connect("127.0.0.1", srv.port);
		assert_true(fds[i] >= 0);
		assert_int_equal(send_all(fds[i], "GET / HTTP/1.1\r\n", 16), 0);
	}
	st = http_get("127.0.0.1", srv.port, "/hello/late", IO_MS);
	if (st != 503)
		fail_msg("a client past the descriptor limit got %d, not 503",
		    st);
	for (i = 0; i < 80; i++)
		(void)close(fds[i]);
	/* The worker has its descriptors back once it answers again. */
	end = now_ms() + IO_MS;
	while ((st = http_get("127.0.0.1", srv.port, "/hello/x", IO_MS)) !=
	    200 && now_ms() < end)
		sleep_ms(10);
	assert_int_equal(st, 200);
	/* Idle keep-alive clients hold them: the oldest make room. */
	for (i = 0; i < 80; i++)
		fds[i] = ka_open(srv.port);	/* fails the test on a hang */
	for (i = 0; i < 80; i++)
		(void)close(fds[i]);
	get_ok(srv.port, "/hello/again", 1);
	srv_read_log();
	for (n = 0, p = srv.log; (p = strstr(p, "accept() failed (24: ")) !=
	    NULL; p++)
		n++;
	if (n < 1 || n > 2)
		fail_msg("%d \"accept() failed (24: ...)\" lines:\n%s", n,
		    log_tail());
	stop_or_fail(5000);
}

/*
 * Out of memory (RLIMIT_AS of 40 MB, about 300 connections' stacks and
 * buffers): 600 clients at once on the 0.5 s route each get a whole
 * response, 200 or 503, never a reset or a silent close, and the error
 * log says why (the attack run: 975 to 1,276 of 2,000 connections reset,
 * nothing logged).  Not under AddressSanitizer, whose shadow memory needs
 * terabytes of address space.
 */
static void
test_memory_limit_answers_503(void **state)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)state;
	skip();
#else
	struct srv_conf c = { .workers = 1, .delay_root = 0.5 };
	static int fds[600];
	size_t ok = 0, busy = 0, bad = 0, i;
	int st, first_bad = 0;

	(void)state;
	srv_as = 40UL * 1024 * 1024;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	srv_as = 0;
	(void)ready_or_fail(0);
	for (i = 0; i < 600; i++)
		if ((fds[i] = req_start("127.0.0.1", srv.port, "/")) < 0)
			fail_msg("connection %zu: %s", i, strerror(-fds[i]));
	for (i = 0; i < 600; i++) {
		st = req_finish(fds[i], IO_MS);
		if (st == 200)
			ok++;
		else if (st == 503)
			busy++;
		else if (bad++ == 0)
			first_bad = st;
	}
	print_message("memory limit: %zu answered 200, %zu 503, %zu failed\n",
	    ok, busy, bad);
	if (bad != 0)
		fail_msg("%zu of 600 connections got no whole response (first: "
		    "%d)\n%s", bad, first_bad, log_tail());
	if (busy == 0)
		fail_msg("the memory limit never bit (%zu answered 200)", ok);
	srv_read_log();
	if (strstr(srv.log, "Cannot allocate memory: answered 503") == NULL)
		fail_msg("the 503s are not logged:\n%s", log_tail());
	get_ok(srv.port, "/hello/after", 2);
	stop_or_fail(5000);
#endif
}

/*
 * An access log on a full disk (/dev/full): requests are served, and the
 * error log says so once, not once per flush.
 */
static void
test_full_disk_access_log_is_said_once(void **state)
{
	struct srv_conf c = { .workers = 1, .access_log = "/dev/full",
	    .log_opts = "flush = 0;" };
	int n = 0;
	const char *p;

	(void)state;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	/* flush = 0: each of the 200 lines is written, and fails, alone. */
	get_ok(srv.port, "/hello/full", 200);
	stop_or_fail(5000);
	for (p = srv.log; (p = strstr(p, "access log: write failed")) != NULL;
	    p++)
		n++;
	if (n != 1)
		fail_msg("%d \"access log: write failed\" lines:\n%s", n,
		    log_tail());
}

/* ==== main ======================================================================== */

/* ==== 12. app modules: lifecycle, replacement, crashes ========================= */

/* tests/apps' testappV.so, found in $ASYNCD_MODULE_PATH, into buf. */
static void
testapp_file(int version, char *buf, size_t cap)
{
	const char *path = getenv("ASYNCD_MODULE_PATH"), *p, *colon;
	size_t n;

	for (p = path; p != NULL && *p != '\0'; p = colon + 1) {
		colon = strchr(p, ':');
		n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		(void)snprintf(buf, cap, "%.*s/testapp%d.so", (int)n, p,
		    version);
		if (access(buf, R_OK) == 0)
			return;
		if (colon == NULL)
			break;
	}
	fail_msg("no testapp%d.so in ASYNCD_MODULE_PATH=%s", version,
	    path != NULL ? path : "(unset)");
}

/* Installs testappV.so as tmpdir/testapp.so the way install(1) does: a
 * new file renamed over the old, whose inode running workers still map. */
static void
testapp_install(int version, char *dst, size_t cap)
{
	char src[PATH_MAX], tmp[PATH_MAX + 8], buf[65536];
	int in, out;
	ssize_t n;

	testapp_file(version, src, sizeof(src));
	(void)snprintf(dst, cap, "%s/testapp.so", tmpdir);
	(void)snprintf(tmp, sizeof(tmp), "%s.new", dst);
	if ((in = open(src, O_RDONLY)) < 0)
		fail_msg("cannot read %s: %s", src, strerror(errno));
	if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0755)) < 0) {
		(void)close(in);
		fail_msg("cannot create %s: %s", tmp, strerror(errno));
		return;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			fail_msg("write %s: %s", tmp, strerror(errno));
	if (n < 0 || close(out) != 0 || close(in) != 0 ||
	    rename(tmp, dst) != 0)
		fail_msg("cannot install %s: %s", dst, strerror(errno));
}

/* GET target with Connection: close: the status, the body in buf. */
static int
get_body(int port, const char *target, char *buf, size_t cap)
{
	char resp[8192];
	const char *body;
	int fd = req_start("127.0.0.1", port, target), err;

	buf[0] = '\0';
	if (fd < 0)
		return fd;
	if ((err = req_read_all(fd, resp, sizeof(resp), IO_MS)) != 0)
		return err;
	if (strncmp(resp, "HTTP/1.1 ", 9) != 0 ||
	    (body = strstr(resp, "\r\n\r\n")) == NULL)
		return 0;
	(void)snprintf(buf, cap, "%s", body + 4);
	return atoi(resp + 9);
}

/* GET /t/state until its body starts with want, within ms. */
static void
state_wait(const char *want, long ms)
{
	long end = now_ms() + ms;
	char body[256];
	int st;

	for (;;) {
		st = get_body(srv.port, "/t/state", body, sizeof(body));
		if (st == 200 && strncmp(body, want, strlen(want)) == 0)
			return;
		if (now_ms() >= end) {
			srv_read_log();
			fail_msg("GET /t/state: %d \"%s\", expected \"%s\"\n"
			    "log:\n%s", st, body, want, log_tail());
		}
		sleep_ms(20);
	}
}

/*
 * A module file replaced on disk (by rename, as install(1) and package
 * managers do) is what the next generation loads: SIGHUP upgrades the app,
 * under load, without a failed request; the old workers keep the code
 * they mapped until they drain.
 */
static void
test_app_module_replaced_on_disk_is_loaded_by_reload(void **state)
{
	struct srv_conf c = { .workers = 2 };
	char mod[PATH_MAX], app[PATH_MAX + 64];
	struct load_thread sum;
	unsigned long failed = 0;
	size_t k;

	(void)state;
	testapp_install(1, mod, sizeof(mod));
	(void)snprintf(app, sizeof(app), "{ module = \"%s\"; mount = \"/t\"; }",
	    mod);
	c.app = app;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	state_wait("version=1 data=initialised", IO_MS);
	load_start_target(srv.port, "/t/state");
	sleep_ms(200);
	testapp_install(2, mod, sizeof(mod));
	if (reload_wait(READY_MS) != 0)
		fail_msg("the reload failed:\n%s", log_tail());
	state_wait("version=2 data=initialised", IO_MS);
	sleep_ms(200);
	load_stop(&sum);
	for (k = 1; k < LR_KINDS; k++)
		failed += sum.kind[k];
	print_message("module upgrade under load: %lu requests ok, %lu "
	    "retried, %lu failed\n", sum.ok, sum.retried, failed);
	if (failed != 0 || sum.conn_fail != 0 || sum.reset_reused != 0)
		fail_msg("%lu failed, %lu connect errors, %lu resets (last: "
		    "%s, %s)\nlog:\n%s", failed, sum.conn_fail,
		    sum.reset_reused, lr_name[sum.last_kind < 0 ? 0 :
		    sum.last_kind], strerror(sum.last_err), log_tail());
	assert_true(sum.ok >= 50);
	stop_or_fail(5000);
}

/* An app whose init fails at a reload: the reload fails, and the old
 * generation, whose init worked, serves on. */
static void
test_app_init_failing_at_reload_keeps_old_workers(void **state)
{
	struct srv_conf c = { .workers = 2 };
	struct workers before, after;

	(void)state;
	c.app = "{ module = \"testapp1\"; mount = \"/t\"; }";
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(2, 0, IO_MS, &before), 0);
	c.app = "{ module = \"testapp1\"; mount = \"/t\"; "
	    "settings = { init_fail = true; }; }";
	assert_int_equal(conf_write(&c, NULL), 0);
	if (reload_wait(READY_MS) != 1)
		fail_msg("the reload did not fail:\n%s", log_tail());
	if (srv_wait_log(0, "its init failed", IO_MS) != 0)
		fail_msg("no \"its init failed\" in the log:\n%s", log_tail());
	state_wait("version=1 data=initialised", IO_MS);
	/* The failed generation's workers are killed: wait until they are
	 * reaped, then the two left must be the old ones. */
	if (workers_wait(2, 0, IO_MS, &after) != 0 || after.pid[0] !=
	    before.pid[0] || after.pid[1] != before.pid[1])
		fail_msg("workers changed: before [%ld %ld], now %s",
		    (long)before.pid[0], (long)before.pid[1], after.titles);
	stop_or_fail(5000);
}

/* An app's cleanup runs in each worker that drains: at a reload (the old
 * generation) and at a graceful stop, and it may wait. */
static void
test_app_cleanup_runs_when_workers_drain(void **state)
{
	struct srv_conf c = { .workers = 2 };
	char file[PATH_MAX], app[PATH_MAX + 128];
	struct workers w;

	(void)state;
	(void)snprintf(file, sizeof(file), "%s/cleanup.log", tmpdir);
	(void)unlink(file);
	(void)snprintf(app, sizeof(app), "{ module = \"testapp1\"; mount = "
	    "\"/t\"; settings = { cleanup_file = \"%s\"; }; }", file);
	c.app = app;
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	if (reload_wait(READY_MS) != 0)
		fail_msg("the reload failed:\n%s", log_tail());
	assert_int_equal(workers_wait(2, 0, IO_MS, &w), 0);
	if (file_count(file, "cleanup") != 2)
		fail_msg("%zu cleanups after the old generation exited, "
		    "expected 2", file_count(file, "cleanup"));
	stop_or_fail(5000);
	if (file_count(file, "cleanup") != 4)
		fail_msg("%zu cleanups after the stop, expected 4",
		    file_count(file, "cleanup"));
}

/*
 * A handler that crashes its worker: the master logs the fault with the
 * task (named after the route) it hit, and replaces the worker; the
 * others' requests are not affected.
 */
static void
crash_is_reported(const char *target, const char *route, const char *what)
{
	struct srv_conf c = { .workers = 1 };
	struct workers w;
	char needle[128];
	int st;

	c.app = "{ module = \"testapp1\"; mount = \"/t\"; }";
	/* The crash is the test's: a sanitizer build must not report it. */
	srv_extra_env = "ASAN_OPTIONS=handle_segv=0:handle_sigbus=0";
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(1, 0, IO_MS, &w), 0);
	st = http_get("127.0.0.1", srv.port, target, IO_MS);
	if (st > 0)
		fail_msg("GET %s answered %d", target, st);
	(void)snprintf(needle, sizeof(needle), "worker 1 (pid %ld): %s in "
	    "task GET %s", (long)w.pid[0], what, route);
	if (srv_wait_log(0, needle, IO_MS) != 0)
		fail_msg("no \"%s\" in the log:\n%s", needle, log_tail());
	(void)worker_replaced(1, 1, w.pid[0]);
	state_wait("version=1", IO_MS);
	stop_or_fail(5000);
}

static void
test_crash_in_handler_is_reported_with_its_route(void **state)
{
	(void)state;
	crash_is_reported("/t/crash", "/t/crash", "SIGSEGV");
}

/* A SIGSEGV sent (raise, kill) rather than caused: it kills as well. */
static void
test_sigsegv_sent_to_a_worker_kills_it(void **state)
{
	(void)state;
	crash_is_reported("/t/crash?how=raise", "/t/crash", "SIGSEGV");
}

static void
test_stack_overflow_in_handler_is_reported(void **state)
{
	(void)state;
	crash_is_reported("/t/overflow", "/t/overflow", "stack overflow");
}

/* A module that cannot be found or configured stops the start, with the
 * configuration's file and line: exit 78 (EX_CONFIG). */
static void
test_bad_app_at_start_exits_78(void **state)
{
	static const char *const apps[][2] = {
		{ "{ module = \"nosuchmodule\"; mount = \"/t\"; }",
		  "no module \"nosuchmodule\"" },
		{ "{ module = \"testapp1\"; mount = \"/t\"; settings = { "
		  "init_fail = 3; }; }", "init_fail" },
		{ "{ module = \"testapp1\"; mount = \"/t\"; settings = { "
		  "colour = \"red\"; }; }", "colour" },
	};
	struct srv_conf c = { .workers = 1 };
	char where[PATH_MAX + 16];
	size_t i;
	int st;

	(void)state;
	for (i = 0; i < sizeof(apps) / sizeof(apps[0]); i++) {
		c.app = apps[i][0];
		if (srv_start(&c, 0) == 0)
			fail_msg("asyncd started with %s", apps[i][0]);
		st = srv_wait_exit(IO_MS);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 78)
			fail_msg("%s: status 0x%x, expected exit 78:\n%s",
			    apps[i][0], st, log_tail());
		(void)snprintf(where, sizeof(where), "%s:", srv.conf);
		if (strstr(srv.log, where) == NULL ||
		    strstr(srv.log, apps[i][1]) == NULL)
			fail_msg("%s: the log does not say \"%s\" at %s:\n%s",
			    apps[i][0], apps[i][1], where, log_tail());
		if (srv.err_fd >= 0) {
			(void)close(srv.err_fd);
			srv.err_fd = -1;
		}
	}
}

/* The resident size of pid in KiB (VmRSS), or -1. */
static long
proc_rss_kib(pid_t pid)
{
	char path[64], buf[4096], *at;
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((at = strstr(buf, "VmRSS:")) == NULL)
		return -1;
	return strtol(at + 6, NULL, 10);
}

#define UPLOAD_BYTES	(100L * 1024 * 1024)
#define UPLOAD_GROWTH	(16 * 1024)	/* KiB the worker may grow by */

/* The byte at offset i of the upload: a pattern no pipeline reorders
 * unnoticed (251 is prime, so it never lines up with a power of two). */
#define UPLOAD_BYTE(i)	((char)((i) % 251))

/* A chunked-body reader that checks the bytes as they come. */
struct unchunk {
	int		 state;		/* 0 size line, 1 data, 2 CRLF, 3 done */
	char		 line[32];
	size_t		 line_len;
	size_t		 left;		/* of the current chunk */
	long		 got;		/* data bytes checked */
	int		 bad;
};

static void
unchunk_feed(struct unchunk *u, const char *p, size_t n)
{
	size_t k;

	while (n > 0 && u->state != 3 && !u->bad) {
		switch (u->state) {
		case 0:
			if (*p == '\n') {
				u->line[u->line_len] = '\0';
				u->left = strtoul(u->line, NULL, 16);
				u->line_len = 0;
				u->state = u->left == 0 ? 3 : 1;
			} else if (u->line_len + 1 < sizeof(u->line))
				u->line[u->line_len++] = *p;
			else
				u->bad = 1;
			p++;
			n--;
			break;
		case 1:
			k = n < u->left ? n : u->left;
			for (size_t i = 0; i < k; i++)
				if (p[i] != UPLOAD_BYTE(u->got + (long)i))
					u->bad = 1;
			u->got += (long)k;
			u->left -= k;
			p += k;
			n -= k;
			if (u->left == 0)
				u->state = 2;
			break;
		case 2:
			if (*p == '\n')
				u->state = 0;
			p++;
			n--;
			break;
		}
	}
}

/*
 * A 100 MiB upload streamed through apps/echo (POST /echo/stream, read a
 * piece, write it back): the bytes come back in order, and the worker's
 * memory stays within a few buffers of where it was, whatever the size.
 */
static void
test_upload_of_100_mib_streams_in_bounded_memory(void **state)
{
	static char out[256 * 1024], in[256 * 1024];
	struct srv_conf c = { .workers = 1 };
	struct pollfd pfd;
	struct workers w;
	struct unchunk u;
	char head[256];
	long sent = 0, rss0, rss, peak = 0, end;
	size_t hlen = 0, k;
	ssize_t n;
	int fd, head_done = 0;

	(void)state;
	c.app = "{ module = \"echo\"; mount = \"/echo\"; body = 104857600L; }";
	assert_int_equal(notif_open(0), 0);
	start_or_fail(&c);
	(void)ready_or_fail(0);
	assert_int_equal(workers_wait(1, 0, IO_MS, &w), 0);
	get_ok(srv.port, "/", 1);		/* warm: buffers allocated */
	assert_true((rss0 = proc_rss_kib(w.pid[0])) > 0);

	memset(&u, 0, sizeof(u));
	assert_true((fd = tcp_connect("127.0.0.1", srv.port)) >= 0);
	(void)snprintf(head, sizeof(head), "POST /echo/stream HTTP/1.1\r\n"
	    "Host: t\r\nContent-Length: %ld\r\n\r\n", UPLOAD_BYTES);
	assert_int_equal(send_all(fd, head, strlen(head)), 0);
	end = now_ms() + 60000;
	while (u.state != 3) {
		if (now_ms() > end || u.bad) {
			(void)close(fd);
			fail_msg("after %ld bytes sent, %ld back: %s", sent,
			    u.got, u.bad ? "wrong bytes" : "too slow");
		}
		pfd.fd = fd;
		pfd.events = POLLIN | (sent < UPLOAD_BYTES ? POLLOUT : 0);
		if (poll(&pfd, 1, IO_MS) <= 0)
			continue;
		if ((pfd.revents & POLLOUT) && sent < UPLOAD_BYTES) {
			k = sizeof(out);
			if ((long)k > UPLOAD_BYTES - sent)
				k = (size_t)(UPLOAD_BYTES - sent);
			for (size_t i = 0; i < k; i++)
				out[i] = UPLOAD_BYTE(sent + (long)i);
			n = send(fd, out, k, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0)
				sent += n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				fail_msg("send after %ld bytes: %s", sent,
				    strerror(errno));
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			fail_msg("%s after %ld bytes sent, %ld back",
			    n == 0 ? "EOF" : strerror(errno), sent, u.got);
		if (n <= 0)
			continue;
		k = 0;
		if (!head_done) {
			/* The head: up to its blank line, checked whole. */
			for (; k < (size_t)n && !head_done; k++) {
				if (hlen + 1 < sizeof(head))
					head[hlen++] = in[k];
				head[hlen] = '\0';
				head_done = hlen >= 4 &&
				    strcmp(head + hlen - 4, "\r\n\r\n") == 0;
			}
			if (head_done && (strncmp(head, "HTTP/1.1 200 ", 13) !=
			    0 || strcasestr(head, "chunked") == NULL))
				fail_msg("response head: %s", head);
		}
		unchunk_feed(&u, in + k, (size_t)n - k);
		if ((u.got & 0xfffff) < (long)sizeof(in) &&
		    (rss = proc_rss_kib(w.pid[0])) > peak)
			peak = rss;
	}
	(void)close(fd);
	assert_int_equal(u.got, UPLOAD_BYTES);
	print_message("100 MiB through POST /echo/stream: worker RSS %ld KiB "
	    "before, %ld KiB at most during\n", rss0, peak);
	if (peak - rss0 > UPLOAD_GROWTH)
		fail_msg("the worker grew by %ld KiB during the upload (%ld "
		    "-> %ld), more than %d", peak - rss0, rss0, peak,
		    UPLOAD_GROWTH);
	stop_or_fail(5000);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_start_three_workers_ready_on_path_socket),
		T(test_start_three_workers_ready_on_abstract_socket),
		T(test_sigterm_finishes_slow_requests_and_notifies_stopping),
		T(test_second_sigint_is_a_fast_stop),
		T(test_drain_serves_with_close_then_stops),
		T(test_stop_without_drain_is_unchanged),
		T(test_second_sigterm_during_drain_is_a_fast_stop),
		T(test_listen_backlog_reaches_the_socket),
		T(test_reload_under_load_drops_nothing),
		T(test_reload_with_bad_config_keeps_old_workers),
		T(test_killed_worker_is_replaced),
		T(test_worker_failing_at_startup_trips_breaker),
		T(test_stopped_worker_is_killed_and_replaced),
		T(test_master_sigkill_takes_workers_down),
		T(test_sigusr1_reopens_moved_access_log),
		T(test_access_log_has_rejected_requests),
		T(test_access_log_formats),
		T(test_access_log_flushed_at_sigusr1_and_stop),
		T(test_pid_file_written_after_ready_and_removed_at_stop),
		T(test_watchdog_keepalives_every_half_period),
		T(test_workers_drop_privileges),
		T(test_socket_activation_is_adopted),
		T(test_stats_and_metrics_cover_every_worker),
		T(test_debug_tasks_lists_every_workers_tasks),
		T(test_killed_workers_are_replaced_forever),
		T(test_respawn_backoff_resets_after_healthy_period),
		T(test_failed_reload_leaves_listeners_for_respawns),
		T(test_failed_reload_closes_listeners_it_opened),
		T(test_reload_after_aborted_reload_uses_new_generation),
		T(test_reload_with_bad_include_keeps_serving),
		T(test_signals_without_effect_are_ignored),
		T(test_request_in_flight_at_reload_says_close),
		T(test_slow_reload_under_load_drops_nothing),
		T(test_fast_stop_during_graceful_stop_keeps_logs),
		T(test_reload_moves_logs),
		T(test_stalled_stats_pipelines_cost_nothing_to_others),
		T(test_fd_limit_makes_room_for_new_clients),
		T(test_full_disk_access_log_is_said_once),
		T(test_memory_limit_answers_503),
		T(test_app_module_replaced_on_disk_is_loaded_by_reload),
		T(test_app_init_failing_at_reload_keeps_old_workers),
		T(test_app_cleanup_runs_when_workers_drain),
		T(test_crash_in_handler_is_reported_with_its_route),
		T(test_sigsegv_sent_to_a_worker_kills_it),
		T(test_stack_overflow_in_handler_is_reported),
		T(test_bad_app_at_start_exits_78),
		T(test_upload_of_100_mib_streams_in_bounded_memory),
	};
	char tmpl[256], *real;
	const char *base;
	int failed;

	if ((asyncd_path = getenv("ASYNCD")) == NULL || *asyncd_path == '\0')
		asyncd_path = "./asyncd";
	if ((hooks_path = getenv("ASYNCD_HOOKS")) != NULL &&
	    (*hooks_path == '\0' || access(hooks_path, X_OK) == -1))
		hooks_path = NULL;
	if (access(asyncd_path, X_OK) == -1) {
		(void)fprintf(stderr, "test-daemon: %s: %s (set ASYNCD)\n",
		    asyncd_path, strerror(errno));
		return 1;
	}
	/* Orphaned workers come to us, to be checked and reaped. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == -1) {
		(void)fprintf(stderr, "test-daemon: PR_SET_CHILD_SUBREAPER: "
		    "%s\n", strerror(errno));
		return 1;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGALRM, watchdog_cb);
	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	(void)snprintf(tmpl, sizeof(tmpl), "%s/test-daemon.XXXXXX", base);
	if (mkdtemp(tmpl) == NULL || (real = realpath(tmpl, NULL)) == NULL) {
		(void)fprintf(stderr, "test-daemon: mkdtemp %s: %s\n", tmpl,
		    strerror(errno));
		return 1;
	}
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s", real);
	free(real);
	/* Paths in the config and the notify socket name must fit. */
	if (strlen(tmpdir) > 80) {
		(void)fprintf(stderr, "test-daemon: %s: too long a TMPDIR\n",
		    tmpdir);
		(void)rmdir(tmpdir);
		return 1;
	}

	/* TEST_DAEMON_FILTER=test_reload* runs only the matching tests. */
	if ((base = getenv("TEST_DAEMON_FILTER")) != NULL && *base != '\0')
		cmocka_set_test_filter(base);
	failed = cmocka_run_group_tests_name("daemon", tests, NULL, NULL);

	(void)rmdir(tmpdir);
	return failed;
}
