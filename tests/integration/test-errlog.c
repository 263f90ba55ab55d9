/*
 * test-errlog.c - the error log's destinations with the real binary, its
 * master and its workers: syslog (log.error = "syslog") and the journal's
 * "<N>" prefixes on stderr (JOURNAL_STREAM), see src/daemon/log.c.
 *
 * No syslogd and no systemd: the test binds its own AF_UNIX datagram
 * socket and names it in log.syslog_socket, and it gives asyncd a file as
 * stderr with JOURNAL_STREAM set to that file's device and inode (journald
 * gives a socket; log.c compares fstat(2) of fd 2 whatever it is).  Each
 * test waits for what it expects (a datagram, a line in the file) with a
 * deadline, never for a fixed time.  Workers log a line of their own on a
 * GET of testapp's /error route (the handler fails).
 *
 * Nothing outlives the program: the test process is a child subreaper, so
 * the workers of a master killed here are reaped here; the master gets
 * PR_SET_PDEATHSIG; each teardown SIGKILLs the master this file started if
 * it still runs and reaps every child left; an alarm() watchdog kills that
 * master rather than hang.  Only that master is ever signalled (STYLE.md
 * §7).  The binary is $ASYNCD, else ./asyncd; the modules are found
 * through ASYNCD_MODULE_PATH (tests/integration/local.mk exports both).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "harness.h"

#define WAIT_MS		5000		/* any one wait for the server */
#define WATCHDOG_S	30		/* one test, whole */
#define WATCHDOG_STR	"30"

extern char **environ;

static volatile pid_t	 master_pid;	/* the watchdog kills it */
static const char	*asyncd_path;
static char		 tmpdir[128];	/* short: a socket's path is in it */
static char		 conf_path[PATH_MAX], err_path[PATH_MAX];
static char		 sock_path[256];

/* What our syslogd received: each datagram, then a newline (a datagram
 * has none: log.c escapes control bytes). */
static struct {
	int	 fd;
	char	 buf[65536];
	size_t	 len;
} rx = { .fd = -1 };

static void
watchdog_cb(int signo)
{
	static const char msg[] = "test-errlog: watchdog: a test took more "
	    "than " WATCHDOG_STR " s; killing its server\n";

	(void)signo;
	if (master_pid > 0)
		(void)kill(master_pid, SIGKILL);	/* workers follow */
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(99);
}

/* ---- our syslogd ---------------------------------------------------------- */

static int
rx_open(void)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock_path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, sock_path, strlen(sock_path) + 1);
	(void)unlink(sock_path);
	rx.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (rx.fd == -1)
		return -1;
	if (bind(rx.fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return -1;
	rx.len = 0;
	rx.buf[0] = '\0';
	return 0;
}

/* Takes in what arrived, waiting until end_ms for the first datagram. */
static void
rx_drain(long end_ms)
{
	struct pollfd pfd = { .fd = rx.fd, .events = POLLIN };
	long left = end_ms - now_ms();
	ssize_t n;

	if (poll(&pfd, 1, (int)(left < 0 ? 0 : left)) <= 0)
		return;
	while (rx.len < sizeof(rx.buf) - 2 && (n = recv(rx.fd, rx.buf +
	    rx.len, sizeof(rx.buf) - 2 - rx.len, MSG_DONTWAIT)) >= 0) {
		rx.len += (size_t)n;
		rx.buf[rx.len++] = '\n';
		rx.buf[rx.len] = '\0';
	}
}

/*
 * Waits up to ms for a datagram holding needle, at or after *from; copies
 * it to line (without its newline) and moves *from past it.  0 or -1.
 */
static int
rx_wait(size_t *from, const char *needle, char *line, size_t cap, long ms)
{
	long end = now_ms() + ms;
	const char *at, *bol, *eol;
	size_t n;

	for (;;) {
		if ((at = strstr(rx.buf + *from, needle)) != NULL) {
			for (bol = at; bol > rx.buf + *from && bol[-1] != '\n';
			    bol--)
				;
			eol = strchr(at, '\n');
			n = (size_t)(eol - bol) < cap - 1 ? (size_t)(eol - bol) :
			    cap - 1;
			memcpy(line, bol, n);
			line[n] = '\0';
			*from = (size_t)(eol + 1 - rx.buf);
			return 0;
		}
		if (now_ms() >= end)
			return -1;
		rx_drain(end);
	}
}

/* ---- the server ----------------------------------------------------------- */

/* What asyncd wrote to its stderr (a file), NUL-terminated. */
static char errbuf[65536];

static const char *
err_read(void)
{
	int fd = open(err_path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd == -1 ? -1 : read(fd, errbuf, sizeof(errbuf) - 1);

	errbuf[n < 0 ? 0 : n] = '\0';
	if (fd != -1)
		(void)close(fd);
	return errbuf;
}

/* Waits up to ms for needle in stderr; where it is, or NULL. */
static const char *
err_wait(const char *needle, long ms)
{
	long end = now_ms() + ms;
	const char *at;

	for (;;) {
		if ((at = strstr(err_read(), needle)) != NULL)
			return at;
		if (now_ms() >= end)
			return NULL;
		sleep_ms(5);
	}
}

/* Waits up to ms for n copies of needle in stderr; 0 or -1. */
static int
err_count_wait(const char *needle, int n, long ms)
{
	long end = now_ms() + ms;
	const char *p;
	int k;

	for (;;) {
		k = 0;
		for (p = err_read(); (p = strstr(p, needle)) != NULL; p++)
			k++;
		if (k == n)
			return 0;
		if (k > n || now_ms() >= end)
			return -1;
		sleep_ms(5);
	}
}

static void
conf_write(const char *log)
{
	FILE *fp = fopen(conf_path, "w");

	assert_non_null(fp);
	(void)fprintf(fp, "listen = [ \"127.0.0.1:0\" ];\nworkers = 2;\n"
	    "timeouts = { shutdown = 5.0; };\n"
	    "log = { %s };\n"
	    "apps = ( { module = \"testapp1\"; mount = \"/t\"; } );\n",
	    log);
	assert_int_equal(fclose(fp), 0);
}

/* How JOURNAL_STREAM is set for the next start. */
enum journal {
	JOURNAL_NONE,		/* unset */
	JOURNAL_STDERR,		/* stderr's own dev:ino */
	JOURNAL_OTHER		/* another inode */
};

/*
 * Runs `asyncd ARG -c conf_path` (ARG: "-t" or NULL) with stderr on
 * err_path (emptied) and JOURNAL_STREAM as j says; its pid.
 */
static pid_t
spawn(const char *arg, enum journal j)
{
	static const char *const drop[] = { "JOURNAL_STREAM=",
	    "NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=",
	    "LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=",
	    "ASYNCD_TEST_WORKER_FAIL=" };
	char js[64], *argv[5], **env;
	size_t i, k, n = 0, m = 0;
	struct stat st;
	pid_t pid, parent = getpid();
	int fd, devnull;

	/* Made here, so that its dev:ino are known before the child opens
	 * it. */
	fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	(void)snprintf(js, sizeof(js), "JOURNAL_STREAM=%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino +
	    (j == JOURNAL_OTHER));
	while (environ[n] != NULL)
		n++;
	env = calloc(n + 2, sizeof(*env));
	assert_non_null(env);
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(drop) / sizeof(drop[0]); k++)
			if (strncmp(environ[i], drop[k], strlen(drop[k])) == 0)
				break;
		if (k == sizeof(drop) / sizeof(drop[0]))
			env[m++] = environ[i];
	}
	if (j != JOURNAL_NONE)
		env[m++] = js;
	env[m] = NULL;
	k = 0;
	argv[k++] = (char *)asyncd_path;
	if (arg != NULL)
		argv[k++] = (char *)arg;
	argv[k++] = (char *)"-c";
	argv[k++] = conf_path;
	argv[k] = NULL;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(127);
		(void)signal(SIGALRM, SIG_DFL);
		(void)signal(SIGPIPE, SIG_DFL);
		if ((devnull = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(devnull, STDIN_FILENO) == -1 ||
		    dup2(devnull, STDOUT_FILENO) == -1 ||
		    dup2(fd, STDERR_FILENO) == -1)
			_exit(127);
		execve(argv[0], argv, env);
		_exit(127);
	}
	free(env);
	(void)close(fd);
	return pid;
}

static pid_t
start(enum journal j)
{
	master_pid = spawn(NULL, j);
	return master_pid;
}

/* The port in "listening on 127.0.0.1:PORT" at the end of line. */
static int
port_of(const char *line)
{
	static const char tag[] = "listening on 127.0.0.1:";
	const char *at = strstr(line, tag);
	int port = at != NULL ? atoi(at + sizeof(tag) - 1) : 0;

	if (port <= 0 || port > 65535)
		fail_msg("no port in \"%s\"", line);
	return port;
}

/* SIGTERM; the master must exit 0. */
static void
stop_or_fail(void)
{
	int st;

	assert_int_equal(kill(master_pid, SIGTERM), 0);
	st = harness_reap(master_pid, 10000, 5, NULL);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("asyncd on SIGTERM: status 0x%x; stderr:\n%s", st,
		    err_read());
	master_pid = 0;
}

/* GET path on 127.0.0.1:port with Connection: close; the status, or -1. */
static int
http_get(int port, const char *path)
{
	struct sockaddr_in sin;
	char req[256], resp[4096];
	size_t o = 0;
	ssize_t n;
	int fd, len;
	long end = now_ms() + WAIT_MS;
	struct pollfd pfd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n", path);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    write(fd, req, (size_t)len) != len) {
		(void)close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (o < sizeof(resp) - 1 && now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			break;
		if ((n = read(fd, resp + o, sizeof(resp) - 1 - o)) <= 0)
			break;
		o += (size_t)n;
	}
	(void)close(fd);
	resp[o] = '\0';
	return strncmp(resp, "HTTP/1.1 ", 9) == 0 ? atoi(resp + 9) : -1;
}

/* The pid in "asyncd[PID]: ". */
static long
pid_of(const char *line)
{
	const char *at = strstr(line, "asyncd[");

	return at != NULL ? strtol(at + 7, NULL, 10) : -1;
}

/* Whether pid is a child of the master, now. */
static int
is_worker(long pid)
{
	char path[64], buf[512], *rp;
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((rp = strrchr(buf, ')')) == NULL || strlen(rp) < 5)
		return 0;
	return strtol(rp + 4, NULL, 10) == (long)master_pid;
}

static void
assert_matches(const char *text, const char *re)
{
	regex_t r;
	int rc;

	assert_int_equal(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&r, text, 0, NULL, 0);
	regfree(&r);
	if (rc != 0)
		fail_msg("\"%s\" does not match /%s/", text, re);
}

/* "<pri>Mmm dd hh:mm:ss asyncd[pid]: [level] rest" */
static void
assert_syslog(const char *line, int pri, long pid, const char *level)
{
	char re[256];

	(void)snprintf(re, sizeof(re), "^<%d>(Jan|Feb|Mar|Apr|May|Jun|Jul|"
	    "Aug|Sep|Oct|Nov|Dec) [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6]"
	    "[0-9] asyncd\\[%ld\\]: \\[%s\\] ", pri, pid, level);
	assert_matches(line, re);
}

/* The master's children now, as /proc lists them: " 12 34 ". */
static void
children(char *buf, size_t cap)
{
	char path[96];
	ssize_t n;
	int fd;

	(void)snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children",
	    (long)master_pid, (long)master_pid);
	buf[0] = ' ';
	buf[1] = '\0';
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, buf + 1, cap - 3);
	(void)close(fd);
	buf[n > 0 ? n + 1 : 1] = ' ';
	buf[n > 0 ? n + 2 : 2] = '\0';
}

/*
 * Waits until the master has n children: after a reload, until the old
 * generation has left (until its QUIT, an old worker may still accept a
 * request, and it logs where it was started to).
 */
static void
children_wait(size_t n)
{
	long end = now_ms() + WAIT_MS;
	char kids[1024], *p;
	size_t k;

	for (;;) {
		children(kids, sizeof(kids));
		for (k = 0, p = kids; *p != '\0'; p++)
			k += p[0] == ' ' && p[1] >= '0' && p[1] <= '9';
		if (k == n)
			return;
		if (now_ms() > end)
			fail_msg("the master has children%s, not %zu", kids, n);
		sleep_ms(10);
	}
}

/* A worker's own line: the handler of /t/error failed.  The worker is a
 * child of the master before the request (it may be replaced after). */
static long
worker_error_via_syslog(size_t *from, int port, int pri)
{
	char line[1024], kids[1024], me[32];
	long pid;

	children(kids, sizeof(kids));
	assert_int_equal(http_get(port, "/t/error"), 500);
	if (rx_wait(from, "GET /t/error", line, sizeof(line), WAIT_MS) != 0)
		fail_msg("no worker line on syslog; got:\n%s", rx.buf);
	pid = pid_of(line);
	assert_syslog(line, pri, pid, "error");
	(void)snprintf(me, sizeof(me), " %ld ", pid);
	if (pid == (long)master_pid || (!is_worker(pid) &&
	    strstr(kids, me) == NULL))
		fail_msg("\"%s\": pid %ld is not a worker of %ld (children "
		    "before:%s)", line, pid, (long)master_pid, kids);
	return pid;
}

/* ==== syslog ================================================================ */

/*
 * The master's lines and the workers' reach syslog with the facility and
 * each line's severity, each naming its process; a reload and a stop
 * still work and are said there; nothing goes to stderr.
 */
static void
test_syslog_gets_master_and_worker_lines(void **state)
{
	char log[512], line[1024];
	size_t from = 0;
	int port;

	(void)state;
	assert_int_equal(rx_open(), 0);
	(void)snprintf(log, sizeof(log), "error = \"syslog\"; "
	    "syslog_facility = \"local3\"; syslog_socket = \"%s\";",
	    sock_path);
	conf_write(log);
	start(JOURNAL_NONE);
	/* local3 = 19: info 19 * 8 + 6, error 19 * 8 + 3. */
	if (rx_wait(&from, "listening on", line, sizeof(line), WAIT_MS) != 0)
		fail_msg("no \"listening on\" on syslog; stderr:\n%s",
		    err_read());
	assert_syslog(line, 158, (long)master_pid, "info");
	port = port_of(line);
	assert_int_equal(rx_wait(&from, "started: 2 workers", line,
	    sizeof(line), WAIT_MS), 0);
	assert_syslog(line, 158, (long)master_pid, "info");
	(void)worker_error_via_syslog(&from, port, 155);

	assert_int_equal(kill(master_pid, SIGHUP), 0);
	assert_int_equal(rx_wait(&from, "SIGHUP: reloading", line,
	    sizeof(line), WAIT_MS), 0);
	assert_syslog(line, 158, (long)master_pid, "info");
	assert_int_equal(rx_wait(&from, "reloaded: generation 2", line,
	    sizeof(line), WAIT_MS), 0);
	assert_syslog(line, 158, (long)master_pid, "info");
	/* Still a worker's line after the reload: a new worker's (an old
	 * one still draining may answer, and its route's error line is
	 * rate-limited: the first request's already said it). */
	children_wait(2);
	(void)worker_error_via_syslog(&from, port, 155);

	stop_or_fail();
	assert_int_equal(rx_wait(&from, "] stopped", line, sizeof(line),
	    WAIT_MS), 0);
	assert_syslog(line, 158, pid_of(line), "info");
	/* Everything went to syslog. */
	if (strstr(err_read(), "asyncd[") != NULL)
		fail_msg("lines on stderr:\n%s", errbuf);
}

/* A reload moves the log to syslog, then to another facility. */
static void
test_reload_moves_the_log_to_syslog(void **state)
{
	char log[512], line[1024];
	size_t from = 0;
	const char *at;
	int port;

	(void)state;
	assert_int_equal(rx_open(), 0);
	conf_write("level = \"info\";");
	start(JOURNAL_NONE);
	if ((at = err_wait("started: 2 workers", WAIT_MS)) == NULL)
		fail_msg("not started; stderr:\n%s", errbuf);
	port = port_of(strstr(errbuf, "listening on"));

	(void)snprintf(log, sizeof(log), "error = \"syslog\"; "
	    "syslog_facility = \"local4\"; syslog_socket = \"%s\";",
	    sock_path);
	conf_write(log);
	assert_int_equal(kill(master_pid, SIGHUP), 0);
	/* local4 = 20. */
	if (rx_wait(&from, "reloaded: generation 2", line, sizeof(line),
	    WAIT_MS) != 0)
		fail_msg("no reload on syslog; stderr:\n%s", err_read());
	assert_syslog(line, 166, (long)master_pid, "info");
	children_wait(2);
	(void)worker_error_via_syslog(&from, port, 163);

	/* The facility alone changes: the log follows (local5 = 21). */
	(void)snprintf(log, sizeof(log), "error = \"syslog\"; "
	    "syslog_facility = \"local5\"; syslog_socket = \"%s\";",
	    sock_path);
	conf_write(log);
	assert_int_equal(kill(master_pid, SIGHUP), 0);
	assert_int_equal(rx_wait(&from, "reloaded: generation 3", line,
	    sizeof(line), WAIT_MS), 0);
	assert_syslog(line, 174, (long)master_pid, "info");
	children_wait(2);
	(void)worker_error_via_syslog(&from, port, 171);
	stop_or_fail();
	assert_null(strstr(err_read(), "reloaded"));
}

/*
 * No syslogd: stderr, with one warning; once one listens, SIGUSR1 moves
 * the master's and the workers' lines there.
 */
static void
test_syslog_missing_falls_back_to_stderr(void **state)
{
	char log[512], line[1024], want[512];
	size_t from = 0;
	const char *at;
	int port;

	(void)state;
	(void)unlink(sock_path);
	(void)snprintf(log, sizeof(log), "error = \"syslog\"; "
	    "syslog_socket = \"%s\";", sock_path);
	conf_write(log);
	start(JOURNAL_NONE);
	if ((at = err_wait("started: 2 workers", WAIT_MS)) == NULL)
		fail_msg("not started; stderr:\n%s", errbuf);
	port = port_of(strstr(errbuf, "listening on"));
	(void)snprintf(want, sizeof(want), "[warn] asyncd[%ld]: cannot send "
	    "the error log to syslog at %s: No such file or directory; "
	    "logging to stderr\n", (long)master_pid, sock_path);
	if ((at = strstr(errbuf, want)) == NULL)
		fail_msg("no \"%s\" in:\n%s", want, errbuf);
	if (strstr(at + strlen(want), "cannot send") != NULL)
		fail_msg("said more than once:\n%s", errbuf);

	assert_int_equal(rx_open(), 0);
	assert_int_equal(kill(master_pid, SIGUSR1), 0);
	/* daemon = 3: info 30, error 27. */
	assert_int_equal(rx_wait(&from, "SIGUSR1: log files reopened", line,
	    sizeof(line), WAIT_MS), 0);
	assert_syslog(line, 30, (long)master_pid, "info");
	/* The workers reopen when the master tells them: each says so on
	 * stderr, then logs to syslog; the master and two workers, three. */
	if (err_count_wait("reachable: the error log goes there", 3,
	    WAIT_MS) != 0)
		fail_msg("not three \"reachable\" lines:\n%s", errbuf);
	(void)worker_error_via_syslog(&from, port, 27);
	stop_or_fail();
}

/* ==== the journal ============================================================ */

/*
 * stderr is the journal's stream: every line, the master's and the
 * workers', starts with its priority, without the time; a bad
 * configuration is an error too.
 */
static void
test_journal_stream_prefixes_master_and_workers(void **state)
{
	char want[PATH_MAX + 64];
	const char *at, *p;
	long wpid, mpid;
	int port, st;
	pid_t pid;

	(void)state;
	conf_write("level = \"info\";");
	start(JOURNAL_STDERR);
	if (err_wait("started: 2 workers", WAIT_MS) == NULL)
		fail_msg("not started; stderr:\n%s", errbuf);
	(void)snprintf(want, sizeof(want), "<6>[info] asyncd[%ld]: listening "
	    "on 127.0.0.1:", (long)master_pid);
	if (strncmp(errbuf, want, strlen(want)) != 0)
		fail_msg("the first line is not \"%s...\":\n%s", want, errbuf);
	port = port_of(errbuf);
	mpid = (long)master_pid;
	assert_int_equal(http_get(port, "/t/error"), 500);
	if ((at = err_wait("GET /t/error", WAIT_MS)) == NULL)
		fail_msg("no worker line:\n%s", errbuf);
	while (at > errbuf && at[-1] != '\n')
		at--;
	assert_int_equal(strncmp(at, "<3>[error] asyncd[", 18), 0);
	wpid = pid_of(at);
	if (wpid == (long)master_pid || !is_worker(wpid))
		fail_msg("pid %ld is not a worker:\n%s", wpid, errbuf);
	stop_or_fail();
	(void)snprintf(want, sizeof(want), "\n<6>[info] asyncd[%ld]: stopped\n",
	    mpid);
	assert_non_null(strstr(err_read(), want));
	for (p = errbuf; *p != '\0'; p = strchr(p, '\n') + 1)
		if (p[0] != '<' || p[2] != '>')
			fail_msg("a line without a prefix:\n%s", errbuf);

	/* -t with a bad file: FILE:LINE at the error priority, exit 78. */
	conf_write("level = \"loud\";");
	pid = spawn("-t", JOURNAL_STDERR);
	st = harness_reap(pid, WAIT_MS, 5, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 78);
	(void)snprintf(want, sizeof(want), "<3>asyncd: %s:4: log.level: ",
	    conf_path);
	if (strncmp(err_read(), want, strlen(want)) != 0)
		fail_msg("not \"%s...\":\n%s", want, errbuf);
}

/* JOURNAL_STREAM names another stream: the lines stay as they were. */
static void
test_journal_stream_elsewhere_keeps_the_time(void **state)
{
	(void)state;
	conf_write("level = \"info\";");
	start(JOURNAL_OTHER);
	if (err_wait("started: 2 workers", WAIT_MS) == NULL)
		fail_msg("not started; stderr:\n%s", errbuf);
	assert_matches(errbuf, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z "
	    "\\[info\\] asyncd\\[[0-9]+\\]: listening on 127\\.0\\.0\\.1:");
	stop_or_fail();
	assert_null(strchr(err_read(), '<'));
}

/* ---- setup ---------------------------------------------------------------- */

static int
test_setup(void **state)
{
	(void)state;
	rx.fd = -1;
	rx.len = 0;
	rx.buf[0] = '\0';
	master_pid = 0;
	alarm(WATCHDOG_S);
	return 0;
}

/* Kills the master if it still runs, reaps it and every orphan. */
static int
test_teardown(void **state)
{
	long end = now_ms() + 5000;
	int ret = 0;
	pid_t r;

	(void)state;
	if (master_pid > 0) {
		(void)kill(master_pid, SIGKILL);
		(void)harness_reap(master_pid, 5000, 5, NULL);
		master_pid = 0;
	}
	for (;;) {
		r = waitpid(-1, NULL, WNOHANG);
		if (r == -1 && errno == ECHILD)
			break;
		if (r > 0)
			continue;
		if (now_ms() >= end) {
			print_error("test-errlog: processes left\n");
			ret = -1;
			break;
		}
		sleep_ms(5);
	}
	/* A sanitizer's report, from the master or a worker. */
	if (strstr(err_read(), "Sanitizer") != NULL ||
	    strstr(errbuf, "runtime error:") != NULL) {
		print_error("asyncd reported:\n%s\n", errbuf);
		ret = -1;
	}
	if (rx.fd != -1)
		(void)close(rx.fd);
	rx.fd = -1;
	(void)unlink(sock_path);
	(void)unlink(conf_path);
	(void)unlink(err_path);
	alarm(0);
	return ret;
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
	const struct CMUnitTest tests[] = {
		T(test_syslog_gets_master_and_worker_lines),
		T(test_reload_moves_the_log_to_syslog),
		T(test_syslog_missing_falls_back_to_stderr),
		T(test_journal_stream_prefixes_master_and_workers),
		T(test_journal_stream_elsewhere_keeps_the_time),
	};
	const char *t = getenv("TMPDIR");
	int rc;

	asyncd_path = getenv("ASYNCD");
	if (asyncd_path == NULL || asyncd_path[0] == '\0')
		asyncd_path = "./asyncd";
	/* A socket's path must fit in 108 bytes: /tmp if TMPDIR is long. */
	if (t == NULL || t[0] == '\0' || strlen(t) > 60)
		t = "/tmp";
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/asyncd-errlog-XXXXXX", t);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	(void)snprintf(conf_path, sizeof(conf_path), "%s/asyncd.conf", tmpdir);
	(void)snprintf(err_path, sizeof(err_path), "%s/stderr", tmpdir);
	(void)snprintf(sock_path, sizeof(sock_path), "%s/log.sock", tmpdir);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror("PR_SET_CHILD_SUBREAPER");
		return 99;
	}
	(void)signal(SIGALRM, watchdog_cb);
	(void)signal(SIGPIPE, SIG_IGN);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	(void)rmdir(tmpdir);
	return rc;
}
