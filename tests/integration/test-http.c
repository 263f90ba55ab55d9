/*
 * test-http.c - the real asyncd binary, driven over loopback sockets.
 *
 * Each group of tests writes its own configuration (port 0, and the short
 * timeouts or small limits it is about), starts `asyncd -c FILE` with
 * fork/exec and its stderr on a pipe, and reads that pipe until the line
 * "listening on 127.0.0.1:PORT" gives the real port.  If the process exits
 * first, or says nothing for 5 s, the group fails at once with what it
 * printed (lwan's testsuite.py polls its server the same way).  The binary
 * is $ASYNCD, else ./asyncd.
 *
 * The tests speak raw HTTP/1.1 bytes over plain sockets, so what they check
 * is exactly what a client gets: status lines, header fields and bodies
 * byte for byte, and when the server closes.
 *
 * Nothing outlives the program: every spawned server is SIGKILLed and
 * reaped by its teardown, even after a failed assertion; each server also
 * gets PR_SET_PDEATHSIG, so it dies with us; and each test runs under an
 * alarm() watchdog that kills the servers and exits rather than hang.  Only
 * the PIDs started here are ever signalled (STYLE.md §7).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define STARTUP_MS	5000		/* until "listening on" */
#define IO_MS		3000		/* any single wait for the server */
#define WATCHDOG_S	20		/* one test, whole */
#define WATCHDOG_STR	"20"
#define BURST		1000		/* concurrent connections */
#define PIPELINED	200

#define HTML		"text/html; charset=utf-8"
#define TEXT		"text/plain; charset=utf-8"
#define EX_CONFIG	78

/* ---- processes -------------------------------------------------------------- */

/* Every child started and not yet reaped; the watchdog kills these. */
#define CHILDREN_MAX	8
static volatile pid_t	children[CHILDREN_MAX];
static const char	*asyncd_path;
static char		 tmpdir[256];	/* short: file names fit PATH_MAX */

static void
child_add(pid_t pid)
{
	size_t i;

	for (i = 0; i < CHILDREN_MAX; i++)
		if (children[i] == 0) {
			children[i] = pid;
			return;
		}
}

static void
child_forget(pid_t pid)
{
	size_t i;

	for (i = 0; i < CHILDREN_MAX; i++)
		if (children[i] == pid)
			children[i] = 0;
}

static void
watchdog_cb(int signo)
{
	static const char msg[] = "test-http: watchdog: a test took more "
	    "than " WATCHDOG_STR " s; killing its servers\n";
	size_t i;

	(void)signo;
	for (i = 0; i < CHILDREN_MAX; i++)
		if (children[i] > 0)
			(void)kill(children[i], SIGKILL);
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(99);
}

/*
 * Starts argv[] with stdout and stderr on pipes (*out_fd, *err_fd: the read
 * ends, close-on-exec).  The child dies with us (PR_SET_PDEATHSIG).
 */
static pid_t
spawn(char *const argv[], int *out_fd, int *err_fd)
{
	int out[2], err[2];
	pid_t pid, parent = getpid();

	if (pipe2(out, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(err, O_CLOEXEC) == -1) {
		(void)close(out[0]);
		(void)close(out[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		(void)close(out[0]);
		(void)close(out[1]);
		(void)close(err[0]);
		(void)close(err[1]);
		return -1;
	}
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(127);
		(void)signal(SIGPIPE, SIG_DFL);
		if (dup2(out[1], STDOUT_FILENO) == -1 ||
		    dup2(err[1], STDERR_FILENO) == -1)
			_exit(127);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	child_add(pid);
	(void)close(out[1]);
	(void)close(err[1]);
	*out_fd = out[0];
	*err_fd = err[0];
	return pid;
}

/* Waits up to ms for pid to exit: its wait status, or -1 if it still runs. */
static int
reap(pid_t pid, long ms)
{
	int gone, status = harness_reap(pid, ms, 5, &gone);

	if (gone)
		child_forget(pid);
	return status;
}

/* Appends what fd has (without waiting past end_ms) to buf; 0 at EOF, 1 if
 * it may have more, -1 at end_ms. */
static int
drain(int fd, char *buf, size_t cap, size_t *len, long end_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char sink[4096];
	long left;
	ssize_t n;
	size_t room;

	left = end_ms - now_ms();
	if (left < 0)
		left = 0;
	if (poll(&pfd, 1, (int)left) <= 0)
		return -1;
	n = read(fd, sink, sizeof(sink));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	room = cap - 1 - *len;
	if ((size_t)n < room)
		room = (size_t)n;
	memcpy(buf + *len, sink, room);
	*len += room;
	buf[*len] = '\0';
	return 1;
}

/* ---- the server under test ----------------------------------------------- */

/* One running asyncd; owned by its group (or test), stopped by srv_stop. */
struct srv {
	pid_t		 pid;
	int		 port;
	int		 err_fd;	/* its stderr */
	char		 conf[PATH_MAX];
	char		 alog[PATH_MAX];	/* its access log */
	char		 log[16384];	/* its stderr so far */
	size_t		 log_len;
	int		 stats_port;	/* its stats listener's, or 0 */
};

struct srv_opts {
	int		 ipv6;		/* listen on [::1]:0, not 127.0.0.1:0 */
	int		 max_connections;
	int		 request_line, header_size, header_count, body;
	double		 t_header, t_body, t_keepalive, t_send;
	const char	*app;		/* one more app, as is */
	int		 stats;		/* a stats listener (/debug/tasks) */
};

static const struct srv_opts opts_default = {
	.max_connections = 2000,
	.request_line = 8192, .header_size = 16384, .header_count = 100,
	.body = 1048576,
	.t_header = 5.0, .t_body = 5.0, .t_keepalive = 10.0, .t_send = 5.0,
};

/* The app group's: a stats listener, whose /debug/tasks tells when a
 * connection has parked or a request is in its handler. */
static const struct srv_opts opts_app = {
	.max_connections = 2000,
	.request_line = 8192, .header_size = 16384, .header_count = 100,
	.body = 1048576,
	.t_header = 5.0, .t_body = 5.0, .t_keepalive = 10.0, .t_send = 5.0,
	.stats = 1,
};

static int
write_file(const char *path, const char *text)
{
	FILE *fp;
	int ok;

	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	ok = fputs(text, fp) >= 0;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

/* A temp file name under tmpdir. */
static void
tmp_path(char *buf, size_t cap, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", tmpdir, name);

	if (n < 0 || (size_t)n >= cap)
		fail_msg("temp path too long");
}

/*
 * Every server logs its accesses to a file of its own: each wire-level
 * test then also drives the access log's formatter with what it sends,
 * under the sanitizers in CI.
 */
static int
srv_write_conf(struct srv *s, const char *name, const struct srv_opts *o)
{
	char text[16384], alog[PATH_MAX];

	tmp_path(s->conf, sizeof(s->conf), name);
	(void)snprintf(alog, sizeof(alog), "%s.access", name);
	tmp_path(s->alog, sizeof(s->alog), alog);
	(void)snprintf(text, sizeof(text),
	    "# written by test-http\n"
	    "listen = [ \"%s:0\" ];\n"
	    "max_connections = %d;\n"
	    "limits = { request_line = %d; header_size = %d; "
	    "header_count = %d; body = %d; };\n"
	    "timeouts = { header = %.3f; body = %.3f; keepalive = %.3f; "
	    "send = %.3f; shutdown = 5.0; };\n"
	    "log = { error = \"stderr\"; level = \"info\"; access = \"%s\"; };\n"
	    "apps = ( { module = \"seed\"; settings = { routes = (\n"
	    "  { path = \"/\"; handler = \"index\"; delay = 0.0; },\n"
	    "  { path = \"/hello/{name}\"; handler = \"hello\"; delay = 0.0; },\n"
	    "  { path = \"/slow\"; handler = \"index\"; delay = 0.5; }\n"
	    "); }; },\n"
	    "  { module = \"echo\"; mount = \"/echo\"; },\n"
	    "  { module = \"testapp1\"; mount = \"/t\"; }%s%s );\n"
	    "server_name = \"asyncd-test\";\n%s",
	    o->ipv6 ? "[::1]" : "127.0.0.1",
	    o->max_connections, o->request_line, o->header_size,
	    o->header_count, o->body, o->t_header, o->t_body, o->t_keepalive,
	    o->t_send, s->alog, o->app != NULL ? ",\n  " : "",
	    o->app != NULL ? o->app : "",
	    o->stats ? "stats = { listen = \"127.0.0.1:0\"; };\n" : "");
	return write_file(s->conf, text);
}

static void
srv_stop(struct srv *s)
{
	if (s->pid > 0) {
		(void)kill(s->pid, SIGKILL);	/* ours: spawn() returned it */
		(void)reap(s->pid, 5000);
		s->pid = 0;
	}
	if (s->err_fd >= 0) {
		(void)close(s->err_fd);
		s->err_fd = -1;
	}
	if (s->conf[0] != '\0')
		(void)unlink(s->conf);
	s->conf[0] = '\0';
	if (s->alog[0] != '\0')
		(void)unlink(s->alog);
	s->alog[0] = '\0';
}

/* Starts asyncd on s's config; 0, or -1 with the reason printed. */
static int
srv_start(struct srv *s, const char *name, const struct srv_opts *o)
{
	const char *tag = o->ipv6 ? "listening on [::1]:" :
	    "listening on 127.0.0.1:";
	const char *stag = "stats pages on 127.0.0.1:";
	char *argv[4], *at, *nl;
	long end = now_ms() + STARTUP_MS;
	int out_fd, r, status;

	memset(s, 0, sizeof(*s));
	s->err_fd = -1;
	if (srv_write_conf(s, name, o) == -1) {
		print_error("cannot write %s: %s\n", s->conf, strerror(errno));
		return -1;
	}
	argv[0] = (char *)asyncd_path;
	argv[1] = (char *)"-c";
	argv[2] = s->conf;
	argv[3] = NULL;
	if ((s->pid = spawn(argv, &out_fd, &s->err_fd)) == -1) {
		print_error("cannot start %s: %s\n", asyncd_path,
		    strerror(errno));
		s->pid = 0;
		return -1;
	}
	(void)close(out_fd);	/* the server writes nothing there */
	for (;;) {
		if (o->stats && s->stats_port == 0 &&
		    (at = strstr(s->log, stag)) != NULL &&
		    strchr(at, '\n') != NULL)
			s->stats_port = atoi(at + strlen(stag));
		if ((!o->stats || s->stats_port > 0) &&
		    (at = strstr(s->log, tag)) != NULL &&
		    (nl = strchr(at, '\n')) != NULL) {
			s->port = atoi(at + strlen(tag));
			if (s->port > 0 && s->port < 65536)
				return 0;
			print_error("bad port in: %.*s\n", (int)(nl - at), at);
			break;
		}
		r = drain(s->err_fd, s->log, sizeof(s->log), &s->log_len, end);
		if (r == 0) {
			status = reap(s->pid, 1000);
			print_error("asyncd exited before listening (status "
			    "0x%x):\n%s\n", status, s->log);
			s->pid = status == -1 ? s->pid : 0;
			break;
		}
		if (r == -1) {
			print_error("asyncd did not say \"listening on\" "
			    "within %d ms:\n%s\n", STARTUP_MS, s->log);
			break;
		}
	}
	srv_stop(s);
	return -1;
}

/* Reads whatever s printed since, without waiting. */
static void
srv_read_log(struct srv *s)
{
	while (s->err_fd >= 0 &&
	    drain(s->err_fd, s->log, sizeof(s->log), &s->log_len, now_ms()) ==
	    1)
		;
}

/* ---- clients ----------------------------------------------------------------- */

/*
 * A client connection and the response bytes read but not yet parsed (the
 * next pipelined response starts at buf[0]).  Owned by the test; every open
 * one is in clients[] so that a failed test's teardown closes it.
 */
struct client {
	int		 fd;
	size_t		 len;
	char		 buf[65536];
};

#define CLIENTS_MAX	16
static struct client	*clients[CLIENTS_MAX];

/* A header field of a response, both strings NUL-terminated. */
struct field {
	char		 name[64];
	char		 value[256];
};

struct response {
	char		 status_line[256];
	int		 status;
	struct field	 fields[32];
	size_t		 nfields;
	char		 body[8192];
	size_t		 body_len;
};

/* A socket connected (or, nonblock, connecting) to the loopback address
 * of family (AF_INET: 127.0.0.1, AF_INET6: ::1) at port. */
static int
tcp_connect_to(int family, int port, int nonblock)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC |
	    (nonblock ? SOCK_NONBLOCK : 0), 0);
	if (fd == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

static int
tcp_connect(int port, int nonblock)
{
	return tcp_connect_to(AF_INET, port, nonblock);
}

static struct client *
client_open_to(int family, int port)
{
	struct client *c;
	size_t i;

	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->fd = tcp_connect_to(family, port, 0);
	if (c->fd == -1) {
		free(c);
		fail_msg("connect to %s port %d: %s", family == AF_INET6 ?
		    "::1" : "127.0.0.1", port, strerror(errno));
	}
	for (i = 0; i < CLIENTS_MAX; i++)
		if (clients[i] == NULL) {
			clients[i] = c;
			return c;
		}
	fail_msg("more than %d clients", CLIENTS_MAX);
	return NULL;
}

static struct client *
client_open(int port)
{
	return client_open_to(AF_INET, port);
}

static void
client_close(struct client *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CLIENTS_MAX; i++)
		if (clients[i] == c)
			clients[i] = NULL;
	if (c->fd >= 0)
		(void)close(c->fd);
	free(c);
}

static void
client_send(struct client *c, const char *data, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			fail_msg("send: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
	}
}

static void
client_sends(struct client *c, const char *s)
{
	client_send(c, s, strlen(s));
}

/*
 * Reads once more into c->buf, waiting up to ms.  The bytes read, 0 at EOF,
 * -ETIMEDOUT, or -errno (-ECONNRESET: the server reset the connection).
 */
static ssize_t
client_fill(struct client *c, long ms)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (c->len == sizeof(c->buf))
		fail_msg("client buffer full");
	do
		r = poll(&pfd, 1, (int)(ms < 0 ? 0 : ms));
	while (r == -1 && errno == EINTR);
	if (r == 0)
		return -ETIMEDOUT;
	do
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	while (n == -1 && errno == EINTR);
	if (n < 0)
		return -errno;
	c->len += (size_t)n;
	return n;
}

static void
client_consume(struct client *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Shows bytes for a failure message: printable, else \xNN. */
static const char *
show(const char *p, size_t len)
{
	static char out[1024];
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < sizeof(out); i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\r')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\r");
		else if (ch == '\n')
			o += (size_t)snprintf(out + o, sizeof(out) - o, "\\n");
		else if (ch < 0x20 || ch >= 0x7f)
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	if (i < len)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "...");
	out[o] = '\0';
	return out;
}

static const char *
field(const struct response *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (strcasecmp(r->fields[i].name, name) == 0)
			return r->fields[i].value;
	return NULL;
}

/*
 * Reads one response from c into r, within ms: status line, fields, and a
 * body of Content-Length bytes (none for a response to HEAD, head_only).
 * Fails the test on EOF, reset, timeout or a malformed response.
 */
static void
client_response(struct client *c, struct response *r, int head_only, long ms)
{
	long end = now_ms() + ms;
	const char *p, *eol, *colon, *cl;
	char *head_end;
	size_t head_len, n;
	ssize_t got;

	memset(r, 0, sizeof(*r));
	for (;;) {
		if (c->len >= 4 &&
		    (head_end = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL)
			break;
		got = client_fill(c, end - now_ms());
		if (got == 0)
			fail_msg("EOF before a whole response head; got %zu "
			    "bytes: \"%s\"", c->len, show(c->buf, c->len));
		if (got < 0)
			fail_msg("%s before a whole response head; got %zu "
			    "bytes: \"%s\"", strerror((int)-got), c->len,
			    show(c->buf, c->len));
	}
	head_len = (size_t)(head_end - c->buf) + 4;
	p = c->buf;
	eol = memmem(p, head_len, "\r\n", 2);
	n = (size_t)(eol - p);
	if (n >= sizeof(r->status_line) || n < 12 ||
	    strncmp(p, "HTTP/1.1 ", 9) != 0)
		fail_msg("bad status line \"%s\"", show(p, n));
	memcpy(r->status_line, p, n);
	r->status = atoi(p + 9);
	for (p = eol + 2; p < head_end; p = eol + 2) {
		struct field *f;

		eol = memmem(p, head_len - (size_t)(p - c->buf), "\r\n", 2);
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL || r->nfields == 32)
			fail_msg("bad field line \"%s\"",
			    show(p, (size_t)(eol - p)));
		f = &r->fields[r->nfields++];
		n = (size_t)(colon - p);
		assert_true(n < sizeof(f->name));
		memcpy(f->name, p, n);
		for (colon++; colon < eol && *colon == ' '; colon++)
			;
		n = (size_t)(eol - colon);
		assert_true(n < sizeof(f->value));
		memcpy(f->value, colon, n);
	}
	client_consume(c, head_len);
	if (head_only || r->status == 100)
		return;
	if ((cl = field(r, "Content-Length")) == NULL)
		fail_msg("no Content-Length in \"%s\"", r->status_line);
	r->body_len = strtoul(cl, NULL, 10);
	assert_true(r->body_len < sizeof(r->body));
	while (c->len < r->body_len) {
		got = client_fill(c, end - now_ms());
		if (got <= 0)
			fail_msg("%s inside a body of %zu bytes; got \"%s\"",
			    got == 0 ? "EOF" : strerror((int)-got),
			    r->body_len, show(c->buf, c->len));
	}
	memcpy(r->body, c->buf, r->body_len);
	client_consume(c, r->body_len);
}

/* Asserts that the server closes c within ms and sends nothing more. */
static void
client_expect_eof(struct client *c, long ms)
{
	long end = now_ms() + ms;
	ssize_t got;

	for (;;) {
		if (c->len > 0)
			fail_msg("expected EOF, got %zu more bytes: \"%s\"",
			    c->len, show(c->buf, c->len));
		got = client_fill(c, end - now_ms());
		if (got == 0)
			return;
		if (got < 0)
			fail_msg("expected EOF (recv 0) within %ld ms, got %s",
			    ms, strerror((int)-got));
	}
}

/* Asserts r is a response with status line sl, type ctype and this body. */
static void
assert_response(const struct response *r, const char *sl, const char *ctype,
    const char *body)
{
	char len[32];

	if (strcmp(r->status_line, sl) != 0)
		fail_msg("status line \"%s\", expected \"%s\" (body \"%s\")",
		    r->status_line, sl, show(r->body, r->body_len));
	assert_non_null(field(r, "Content-Type"));
	assert_string_equal(field(r, "Content-Type"), ctype);
	(void)snprintf(len, sizeof(len), "%zu", strlen(body));
	assert_non_null(field(r, "Content-Length"));
	assert_string_equal(field(r, "Content-Length"), len);
	assert_non_null(field(r, "Server"));
	assert_string_equal(field(r, "Server"), "asyncd-test");
	assert_non_null(field(r, "Date"));
	if (r->body_len != strlen(body) || memcmp(r->body, body,
	    r->body_len) != 0)
		fail_msg("body \"%s\", expected \"%s\"",
		    show(r->body, r->body_len), body);
}

/* The body of an error response: "404 Not Found\n". */
static void
assert_error(const struct response *r, const char *sl, int closes)
{
	char body[128];

	(void)snprintf(body, sizeof(body), "%s\n", sl + 9);
	assert_response(r, sl, TEXT, body);
	if (closes) {
		assert_non_null(field(r, "Connection"));
		assert_string_equal(field(r, "Connection"), "close");
	} else
		assert_null(field(r, "Connection"));
}

/* One connection, one request, one response; the connection stays open. */
static struct client *
exchange(int port, const char *req, struct response *r)
{
	struct client *c = client_open(port);

	client_sends(c, req);
	client_response(c, r, strncmp(req, "HEAD ", 5) == 0, IO_MS);
	return c;
}

static void
get_expect(int port, const char *target, const char *sl, const char *ctype,
    const char *body)
{
	struct response r;
	char req[512];
	struct client *c;

	(void)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
	    target);
	c = exchange(port, req, &r);
	assert_response(&r, sl, ctype, body);
	client_close(c);
}

/* ---- fixtures ---------------------------------------------------------------- */

/* The running group's server: checked after each test, stopped after the
 * group. */
static struct srv	srv_app, srv_lim, srv_to, srv_cap, srv_api;
static struct srv	srv_up, srv_gather;	/* an upstream and its client */
static struct srv	*srv_cur;

/* What a sanitizer build prints when it finds something. */
static int
srv_log_has_report(const struct srv *s)
{
	return strstr(s->log, "Sanitizer") != NULL ||
	    strstr(s->log, "runtime error:") != NULL;
}

/* -1 (with its log printed) if s died or reported an error meanwhile. */
static int
srv_check(struct srv *s)
{
	int status;

	if (s == NULL || s->pid <= 0)
		return 0;
	srv_read_log(s);
	if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
		child_forget(s->pid);
		s->pid = 0;
		print_error("asyncd died (status 0x%x):\n%s\n", status,
		    s->log);
		return -1;
	}
	if (srv_log_has_report(s)) {
		print_error("asyncd reported:\n%s\n", s->log);
		return -1;
	}
	return 0;
}

/*
 * Stops s gracefully (SIGTERM), so that a sanitizer build also checks for
 * leaks at exit; -1 unless it exits 0 within 5 s with a clean log.  Killed
 * and reaped in any case.
 */
static int
srv_finish(struct srv *s)
{
	int status, ret = 0;

	if (s->pid <= 0) {
		srv_stop(s);
		return -1;
	}
	(void)kill(s->pid, SIGTERM);
	status = reap(s->pid, 5000);
	if (status != -1)
		s->pid = 0;
	/* The pipe's write end closed with the process: read it all. */
	while (s->pid == 0 && s->err_fd >= 0 && drain(s->err_fd, s->log,
	    sizeof(s->log), &s->log_len, now_ms() + 1000) == 1)
		;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    srv_log_has_report(s)) {
		print_error("asyncd on SIGTERM: status 0x%x:\n%s\n", status,
		    s->log);
		ret = -1;
	}
	srv_stop(s);
	return ret;
}

static int
test_setup(void **state)
{
	(void)state;
	alarm(WATCHDOG_S);
	return 0;
}

static int
test_teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < CLIENTS_MAX; i++)
		client_close(clients[i]);
	alarm(0);
	return srv_check(srv_cur);
}

static int
group_start(struct srv *s, const char *name, const struct srv_opts *o)
{
	srv_cur = s;
	return srv_start(s, name, o);
}

static int
group_teardown(void **state)
{
	struct srv *s = srv_cur;

	(void)state;
	srv_cur = NULL;
	return s != NULL ? srv_finish(s) : 0;
}

static int
group_app_setup(void **state)
{
	(void)state;
	return group_start(&srv_app, "app.conf", &opts_app);
}

static int
group_api_setup(void **state)
{
	(void)state;
	return group_start(&srv_api, "api.conf", &opts_app);
}

/*
 * Two servers: an upstream (the usual apps: "/" at once, "/slow" in
 * 0.5 s) and one whose apps/gather fetches from it, mounted twice: at
 * /gather (three fast URLs), and at /gather-slow (one fast, one slow, a
 * 0.2 s deadline).
 */
static int
group_gather_setup(void **state)
{
	struct srv_opts o = opts_default;
	char app[1024];

	(void)state;
	if (srv_start(&srv_up, "upstream.conf", &opts_default) != 0)
		return -1;
	(void)snprintf(app, sizeof(app),
	    "{ module = \"gather\"; mount = \"/gather\"; settings = {\n"
	    "    upstreams = ( { url = \"http://127.0.0.1:%d/\"; },\n"
	    "      { url = \"http://127.0.0.1:%d/hello/gather\"; },\n"
	    "      { url = \"http://127.0.0.1:%d/healthz\"; } ); }; },\n"
	    "  { module = \"gather\"; name = \"gather-slow\";\n"
	    "    mount = \"/gather-slow\"; settings = { deadline = 0.2;\n"
	    "    upstreams = ( { url = \"http://127.0.0.1:%d/\"; },\n"
	    "      { url = \"http://127.0.0.1:%d/slow\"; } ); }; }",
	    srv_up.port, srv_up.port, srv_up.port, srv_up.port, srv_up.port);
	o.app = app;
	return group_start(&srv_gather, "gather.conf", &o);
}

static int
group_gather_teardown(void **state)
{
	int ret = group_teardown(state);

	/* The last test stopped it, unless it failed before. */
	if (srv_up.pid > 0 && srv_finish(&srv_up) != 0)
		ret = -1;
	srv_stop(&srv_up);
	return ret;
}

static int
group_lim_setup(void **state)
{
	struct srv_opts o = opts_default;

	(void)state;
	o.request_line = 256;	/* the smallest each setting allows */
	o.header_size = 1024;
	o.header_count = 10;
	o.body = 1024;
	return group_start(&srv_lim, "limits.conf", &o);
}

static int
group_to_setup(void **state)
{
	struct srv_opts o = opts_default;

	(void)state;
	o.t_header = 0.3;
	o.t_body = 0.3;
	o.t_keepalive = 0.3;
	return group_start(&srv_to, "timeouts.conf", &o);
}

static int
group_cap_setup(void **state)
{
	struct srv_opts o = opts_default;

	(void)state;
	o.max_connections = 5;
	return group_start(&srv_cap, "cap.conf", &o);
}

/* ==== the app ================================================================ */

/* "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 7231 §7.1.1.1 IMF-fixdate), now. */
static void
assert_imf_date(const char *v)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	assert_int_equal(strlen(v), 29);
	end = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		fail_msg("Date \"%s\" is not an IMF-fixdate", v);
	t = timegm(&tm);
	if (labs((long)(t - time(NULL))) > 5)
		fail_msg("Date \"%s\" is not now", v);
}

static void
test_get_index(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_app.port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", &r);
	assert_response(&r, "HTTP/1.1 200 OK", HTML, "<h1>Index</h1>");
	assert_string_equal(field(&r, "Content-Length"), "14");
	assert_imf_date(field(&r, "Date"));
	assert_null(field(&r, "Connection"));	/* 1.1: keep-alive */
	client_close(c);
}

static void
test_get_hello_world(void **state)
{
	(void)state;
	get_expect(srv_app.port, "/hello/world", "HTTP/1.1 200 OK", HTML,
	    "<h1>hello, world!</h1>");
	/* Decoded once, then escaped. */
	get_expect(srv_app.port, "/hello/a%20b%26c", "HTTP/1.1 200 OK", HTML,
	    "<h1>hello, a b&amp;c!</h1>");
}

static void
test_get_hello_escapes_script(void **state)
{
	(void)state;
	get_expect(srv_app.port, "/hello/%3Cscript%3E", "HTTP/1.1 200 OK",
	    HTML, "<h1>hello, &lt;script&gt;!</h1>");
	get_expect(srv_app.port, "/hello/%22%27x", "HTTP/1.1 200 OK", HTML,
	    "<h1>hello, &quot;&#39;x!</h1>");
}

/*
 * Waits up to ms for a line holding needle in the access log at path (the
 * server writes it about once a second); the line, NUL-terminated in buf,
 * or fails the test.
 */
static void
alog_wait_line(const char *path, const char *needle, char *buf, size_t cap,
    long ms)
{
	long end = now_ms() + ms;
	char *at, *bol, *eol;
	size_t len;
	FILE *fp;

	for (;;) {
		len = 0;
		if ((fp = fopen(path, "r")) != NULL) {
			len = fread(buf, 1, cap - 1, fp);
			(void)fclose(fp);
		}
		buf[len] = '\0';
		if ((at = strstr(buf, needle)) != NULL &&
		    (eol = strchr(at, '\n')) != NULL) {
			for (bol = at; bol > buf && bol[-1] != '\n'; bol--)
				;
			*eol = '\0';
			memmove(buf, bol, (size_t)(eol - bol) + 1);
			return;
		}
		if (now_ms() >= end)
			fail_msg("no line with \"%s\" in %s within %ld ms; it "
			    "holds %zu bytes", needle, path, ms, len);
		sleep_ms(20);
	}
}

/* The length of the quoted field that starts after the k-th '"' of line
 * (k = 1, 3, 5: request, Referer, User-Agent). */
static size_t
alog_field_len(const char *line, int k)
{
	const char *p = line, *end;

	for (; k > 0; k--)
		if ((p = strchr(p, '"')) == NULL)
			fail_msg("no field %d in \"%s\"", k, line);
		else
			p++;
	if ((end = strchr(p, '"')) == NULL)
		fail_msg("field unterminated in \"%s\"", line);
	return (size_t)(end - p);
}

/*
 * The attack run's overflow: "abc" and 300 bytes 0xff in User-Agent (and
 * Referer, and the request target) escape to 1,203 bytes, which must be cut
 * within the field's 1,024 bytes.  Under ASan the old code aborted the
 * worker here; the line must be one line, escaped, every field cut with
 * "...", and the worker alive.
 */
static void
test_access_log_cuts_hostile_fields(void **state)
{
	char req[4096], junk[301], *line;
	struct response r;
	struct client *c;
	size_t o, i, len;

	(void)state;
	memset(junk, 0xff, 300);
	junk[300] = '\0';
	o = (size_t)snprintf(req, sizeof(req), "GET /hello/alog%%ff");
	for (i = 0; i < 300; i++)
		o += (size_t)snprintf(req + o, sizeof(req) - o, "%%ff");
	(void)snprintf(req + o, sizeof(req) - o, " HTTP/1.1\r\nHost: a\r\n"
	    "User-Agent: abc%s\r\nReferer: abc%s\r\n\r\n", junk, junk);
	c = exchange(srv_app.port, req, &r);
	assert_int_equal(r.status, 200);
	client_close(c);
	line = malloc(1 << 20);
	assert_non_null(line);
	alog_wait_line(srv_app.alog, "GET /hello/alog%ff", line, 1 << 20,
	    IO_MS);
	len = strlen(line);
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] > 0x7e)
			fail_msg("byte 0x%02x in the access log line",
			    (unsigned char)line[i]);
	for (i = 1; i <= 5; i += 2) {
		size_t fl = alog_field_len(line, (int)i);
		const char *q = line;
		int k;

		if (fl > 1024)
			fail_msg("field %zu is %zu bytes: \"%s\"", i, fl,
			    show(line, len));
		for (k = 0; k < (int)i; k++)
			q = strchr(q, '"') + 1;
		if (i > 1 && (fl < 3 || memcmp(q, "abc\\xff", 7) != 0 ||
		    memcmp(q + fl - 3, "...", 3) != 0))
			fail_msg("field %zu not cut with \"...\": \"%s\"", i,
			    show(q, fl));
	}
	free(line);
	/* The worker lived through it. */
	get_expect(srv_app.port, "/", "HTTP/1.1 200 OK", HTML,
	    "<h1>Index</h1>");
}

static void
test_get_healthz(void **state)
{
	(void)state;
	get_expect(srv_app.port, "/healthz", "HTTP/1.1 200 OK", TEXT, "ok");
}

static void
test_unknown_path_is_404(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_app.port, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n",
	    &r);
	assert_error(&r, "HTTP/1.1 404 Not Found", 0);
	/* Not a framing error: the connection serves the next request. */
	client_sends(c, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	client_close(c);
}

static void
test_post_index_is_405_with_allow(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_app.port, "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 0\r\n\r\n", &r);
	assert_error(&r, "HTTP/1.1 405 Method Not Allowed", 0);
	assert_non_null(field(&r, "Allow"));
	assert_string_equal(field(&r, "Allow"), "GET, HEAD");
	client_close(c);
}

static void
test_encoded_nul_is_400(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_app.port, "GET /hello/a%00b HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", &r);
	assert_error(&r, "HTTP/1.1 400 Bad Request", 0);
	client_close(c);
}

static void
test_bad_escape_is_400(void **state)
{
	static const char *const targets[] = {
		"/hello/%zz", "/hello/%4", "/hello/x%", "/hello/%G0",
	};
	struct response r;
	char req[256];
	struct client *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		(void)snprintf(req, sizeof(req),
		    "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", targets[i]);
		c = exchange(srv_app.port, req, &r);
		if (r.status != 400)
			fail_msg("GET %s: \"%s\", expected 400", targets[i],
			    r.status_line);
		assert_error(&r, "HTTP/1.1 400 Bad Request", 0);
		client_close(c);
	}
}

static void
test_query_string_is_ignored(void **state)
{
	(void)state;
	get_expect(srv_app.port, "/hello/bob?x=1", "HTTP/1.1 200 OK", HTML,
	    "<h1>hello, bob!</h1>");
	get_expect(srv_app.port, "/?q=%3C", "HTTP/1.1 200 OK", HTML,
	    "<h1>Index</h1>");
}

/* ==== keep-alive and pipelining =============================================== */

static void
test_keepalive_five_requests_on_one_connection(void **state)
{
	struct response r;
	struct client *c;
	char req[128], body[64];
	int i;

	(void)state;
	c = client_open(srv_app.port);
	for (i = 0; i < 5; i++) {
		(void)snprintf(req, sizeof(req),
		    "GET /hello/k%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
		(void)snprintf(body, sizeof(body), "<h1>hello, k%d!</h1>", i);
		client_sends(c, req);
		client_response(c, &r, 0, IO_MS);
		assert_response(&r, "HTTP/1.1 200 OK", HTML, body);
		assert_null(field(&r, "Connection"));
	}
	client_close(c);
}

static void
test_http10_closes_after_response(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_app.port, "GET /healthz HTTP/1.0\r\n\r\n", &r);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	assert_non_null(field(&r, "Connection"));
	assert_string_equal(field(&r, "Connection"), "close");
	client_expect_eof(c, IO_MS);
	client_close(c);
}

static void
test_http10_keepalive_stays_open(void **state)
{
	static const char req[] = "GET /healthz HTTP/1.0\r\n"
	    "Connection: keep-alive\r\n\r\n";
	struct response r;
	struct client *c;
	int i;

	(void)state;
	c = client_open(srv_app.port);
	for (i = 0; i < 3; i++) {
		client_sends(c, req);
		client_response(c, &r, 0, IO_MS);
		assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
		assert_non_null(field(&r, "Connection"));
		assert_string_equal(field(&r, "Connection"), "keep-alive");
	}
	client_close(c);
}

static void
test_connection_close_closes(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_app.port, "GET / HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n", &r);
	assert_response(&r, "HTTP/1.1 200 OK", HTML, "<h1>Index</h1>");
	assert_non_null(field(&r, "Connection"));
	assert_string_equal(field(&r, "Connection"), "close");
	client_expect_eof(c, IO_MS);
	client_close(c);
}

static void
test_pipelined_requests_answered_in_order(void **state)
{
	static char reqs[PIPELINED * 64];
	struct response r;
	struct client *c;
	char body[64];
	size_t len = 0;
	int i;

	(void)state;
	for (i = 0; i < PIPELINED; i++)
		len += (size_t)snprintf(reqs + len, sizeof(reqs) - len,
		    "GET /hello/%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
	c = client_open(srv_app.port);
	client_send(c, reqs, len);	/* one write */
	for (i = 0; i < PIPELINED; i++) {
		(void)snprintf(body, sizeof(body), "<h1>hello, %d!</h1>", i);
		client_response(c, &r, 0, IO_MS);
		if (r.body_len != strlen(body) ||
		    memcmp(r.body, body, r.body_len) != 0)
			fail_msg("response %d: body \"%s\", expected \"%s\"",
			    i, show(r.body, r.body_len), body);
		assert_response(&r, "HTTP/1.1 200 OK", HTML, body);
	}
	/* Nothing more, and the connection is still usable. */
	assert_int_equal(c->len, 0);
	client_sends(c, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	client_close(c);
}

/* CPU time (user + system) of pid and its children, in ms. */
static long
tree_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	long ms = 0, tck = sysconf(_SC_CLK_TCK);
	pid_t kids[64];
	int n = 0, i, fd;
	ssize_t len;
	FILE *f;

	kids[n++] = pid;
	(void)snprintf(path, sizeof(path), "/proc/%d/task/%d/children",
	    (int)pid, (int)pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (n < 64 && fscanf(f, "%d", &i) == 1)
			kids[n++] = i;
		fclose(f);
	}
	for (i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "/proc/%d/stat",
		    (int)kids[i]);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		(void)close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* Fields 14 and 15, counted after the ")" that ends comm. */
		if ((p = strrchr(buf, ')')) != NULL && sscanf(p + 2,
		    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		    &ut, &st) == 2)
			ms += (long)((ut + st) * 1000 / (unsigned long)tck);
	}
	return ms;
}

/*
 * Waits (IO_MS at most) until s's /debug/tasks list has (want 1) or has no
 * (want 0) task whose name starts with name: the server's own word on where a connection
 * is, which no fixed sleep can promise.
 */
static void
tasks_wait(struct srv *s, const char *name, int want)
{
	static const char req[] = "GET /debug/tasks?format=text HTTP/1.1\r\n"
	    "Host: t\r\n\r\n";
	struct response r;
	struct client *c;
	char body[sizeof(r.body) + 1], line[128];
	long end = now_ms() + IO_MS;

	assert_true(s->stats_port > 0);
	(void)snprintf(line, sizeof(line), "  %s", name);
	for (;; sleep_ms(5)) {
		c = exchange(s->stats_port, req, &r);
		client_close(c);
		assert_int_equal(r.status, 200);
		memcpy(body, r.body, r.body_len);
		body[r.body_len] = '\0';
		if ((strstr(body, line) != NULL) == want)
			return;
		if (now_ms() > end)
			fail_msg("/debug/tasks %s \"%s\" after %d ms:\n%s",
			    want ? "never showed" : "still shows", name, IO_MS,
			    body);
	}
}

/*
 * A request pipelined behind a slow one, on a connection that has parked
 * once (so it has a parking watcher, which stays started while a task
 * serves it): answered after the slow one, and the bytes waiting in the
 * socket during the 0.5 s delay must not make the level-triggered watcher
 * fire at every loop iteration, a worker spinning on one core.
 */
static void
test_pipelined_during_delay_answered_without_spinning(void **state)
{
	struct response r;
	struct client *c;
	long cpu0, cpu;

	(void)state;
	c = client_open(srv_app.port);
	client_sends(c, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	/* Parked: its task (named for its route while serving) is gone. */
	tasks_wait(&srv_app, "GET /healthz", 0);
	tasks_wait(&srv_app, "conn fd", 0);
	client_sends(c, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
	tasks_wait(&srv_app, "GET /slow", 1);	/* read, in its 0.5 s delay */
	cpu0 = tree_cpu_ms(srv_app.pid);
	client_sends(c, "GET /hello/next HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML, "<h1>Index</h1>");
	cpu = tree_cpu_ms(srv_app.pid) - cpu0;
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML, "<h1>hello, next!</h1>");
	client_close(c);
	/* About 400 ms passed: a spinning worker uses nearly all of it. */
	if (cpu > 150)
		fail_msg("asyncd used %ld ms of CPU while a request waited "
		    "behind a 0.5 s one", cpu);
}

static void
test_request_sent_byte_by_byte(void **state)
{
	static const char req[] = "GET /hello/slowpoke HTTP/1.1\r\n"
	    "Host: t\r\nUser-Agent: test\r\n\r\n";
	struct response r;
	struct client *c;
	size_t i;

	(void)state;
	c = client_open(srv_app.port);
	for (i = 0; i < sizeof(req) - 1; i++) {
		client_send(c, req + i, 1);
		sleep_ms(2);	/* pacing: one byte per read, not a guess */
	}
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML,
	    "<h1>hello, slowpoke!</h1>");
	client_close(c);
}

static void
test_head_has_no_body(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = client_open(srv_app.port);
	client_sends(c, "HEAD /hello/h HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_non_null(field(&r, "Content-Length"));
	assert_string_equal(field(&r, "Content-Length"), "18");
	assert_string_equal(field(&r, "Content-Type"), HTML);
	/* The next response follows the head at once: no body between. */
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	/* HEAD of an error: its Content-Length, no body either. */
	client_sends(c, "HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_string_equal(r.status_line, "HTTP/1.1 404 Not Found");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML, "<h1>Index</h1>");
	client_close(c);
}

/*
 * Sends head, then expects "100 Continue" within 1 s, before sending the
 * body; then the final response sl.  (RFC 9110 §10.1.1: a server sends 100
 * or a final status; a client waiting for neither sends the body anyway
 * after a while, as curl does after 1 s.)
 */
static void
expect_continue(const char *head, const char *body, const char *sl,
    const char *ctype, const char *rbody)
{
	struct response r;
	struct client *c;

	c = client_open(srv_app.port);
	client_sends(c, head);
	if (client_fill(c, 1000) == -ETIMEDOUT) {
		/* Say what the server does once the body comes anyway. */
		client_sends(c, body);
		client_response(c, &r, 0, IO_MS);
		fail_msg("after \"%s\": nothing within 1 s, expected "
		    "\"HTTP/1.1 100 Continue\"; once the body was sent: \"%s\"",
		    show(head, strlen(head)), r.status_line);
	}
	client_response(c, &r, 0, IO_MS);
	if (strcmp(r.status_line, "HTTP/1.1 100 Continue") != 0)
		fail_msg("after \"%s\": \"%s\", expected \"HTTP/1.1 100 "
		    "Continue\" before the body", show(head, strlen(head)),
		    r.status_line);
	assert_int_equal(r.nfields, 0);
	client_sends(c, body);
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, sl, ctype, rbody);
	client_close(c);
}

/* 100 Continue comes when the handler starts reading the body. */
static void
test_expect_continue_when_the_handler_reads(void **state)
{
	(void)state;
	expect_continue("POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Type: " TEXT "\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n", "hello",
	    "HTTP/1.1 200 OK", TEXT, "hello");
}

/*
 * A handler that never reads the body answers without 100 Continue: the
 * client then need not send it, so the server cannot know where the next
 * request starts, and closes after the response.
 */
static void
test_expect_continue_unread_body_gets_final_status(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = client_open(srv_app.port);
	client_sends(c, "GET /healthz HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_non_null(field(&r, "Connection"));
	assert_string_equal(field(&r, "Connection"), "close");
	client_expect_eof(c, IO_MS);
	client_close(c);
}

/*
 * A request that will be refused gets its final status at once instead of
 * 100 (RFC 9110 §10.1.1), so the client need not send the body; the server
 * then cannot know where the next request starts, so it closes.
 */
static void
test_expect_continue_post_is_405(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = client_open(srv_app.port);
	client_sends(c, "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 405 Method Not Allowed", TEXT,
	    "405 Method Not Allowed\n");
	client_expect_eof(c, IO_MS);
	client_close(c);
}

static void
test_body_discarded_before_pipelined_get(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = client_open(srv_app.port);
	client_sends(c, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 28\r\n"
	    "\r\nGET /hello/smuggled HTTP/1.1"
	    "GET /hello/after HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 405 Method Not Allowed", 0);
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML,
	    "<h1>hello, after!</h1>");
	/* The same, chunked. */
	client_sends(c, "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n"
	    "GET /hello/chunked HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 405 Method Not Allowed", 0);
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML,
	    "<h1>hello, chunked!</h1>");
	client_close(c);
}

/* ==== 1,000 connections at once ================================================ */

struct burst_conn {
	int		 fd;
	int		 sent;
	size_t		 len;
	char		 buf[512];
};

static void
test_burst_of_1000_connections(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n";
	static const char want_head[] = "HTTP/1.1 200 OK\r\n";
	static const char want_tail[] = "\r\n\r\n<h1>Index</h1>";
	static struct burst_conn bc[BURST];
	static struct pollfd pfd[BURST];
	long end = now_ms() + 15000;
	size_t i, done = 0, ok = 0, reported = 0, n;
	ssize_t got;
	int r;

	(void)state;
	for (i = 0; i < BURST; i++) {
		bc[i].fd = tcp_connect(srv_app.port, 1);
		bc[i].sent = 0;
		bc[i].len = 0;
		if (bc[i].fd == -1)
			fail_msg("connection %zu: %s", i, strerror(errno));
	}
	while (done < BURST && now_ms() < end) {
		for (i = 0; i < BURST; i++) {
			pfd[i].fd = bc[i].fd;	/* -1: done, ignored */
			pfd[i].events = bc[i].sent ? POLLIN : POLLOUT;
			pfd[i].revents = 0;
		}
		r = poll(pfd, BURST, (int)(end - now_ms()));
		if (r <= 0)
			continue;
		for (i = 0; i < BURST; i++) {
			if (pfd[i].revents == 0 || bc[i].fd == -1)
				continue;
			if (!bc[i].sent) {
				got = send(bc[i].fd, req, sizeof(req) - 1,
				    MSG_NOSIGNAL);
				if (got == (ssize_t)sizeof(req) - 1) {
					bc[i].sent = 1;
					continue;
				}
				if (got == -1 && (errno == EAGAIN ||
				    errno == EINTR))
					continue;
				/* A refused or reset connect: a failure. */
				goto finish;
			}
			got = recv(bc[i].fd, bc[i].buf + bc[i].len,
			    sizeof(bc[i].buf) - bc[i].len, 0);
			if (got == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (got > 0) {
				bc[i].len += (size_t)got;
				if (bc[i].len < sizeof(bc[i].buf))
					continue;
			}
finish:
			n = bc[i].len;
			if (n >= sizeof(want_tail) - 1 &&
			    memcmp(bc[i].buf, want_head,
			    sizeof(want_head) - 1) == 0 &&
			    memcmp(bc[i].buf + n - (sizeof(want_tail) - 1),
			    want_tail, sizeof(want_tail) - 1) == 0)
				ok++;
			else if (reported++ == 0)	/* the first only */
				print_error("connection %zu got \"%s\"\n", i,
				    show(bc[i].buf, n));
			(void)close(bc[i].fd);
			bc[i].fd = -1;
			done++;
		}
	}
	for (i = 0; i < BURST; i++)
		if (bc[i].fd != -1) {
			(void)close(bc[i].fd);
			bc[i].fd = -1;
		}
	if (ok != BURST)
		fail_msg("%zu of %d connections got 200 <h1>Index</h1> "
		    "(%zu finished within 15 s)", ok, BURST, done);
}

/* ==== limits: each answered, then the connection closes =========================== */

/* Sends req on a new connection; expects the error sl, then EOF. */
static void
limit_expect(const char *req, size_t len, const char *sl)
{
	struct response r;
	struct client *c;

	c = client_open(srv_lim.port);
	client_send(c, req, len);
	client_response(c, &r, 0, IO_MS);
	if (strcmp(r.status_line, sl) != 0)
		fail_msg("\"%s\" got \"%s\", expected \"%s\"", show(req, len),
		    r.status_line, sl);
	assert_error(&r, sl, 1);
	client_expect_eof(c, IO_MS);
	client_close(c);
}

static void
test_request_line_too_long_is_414(void **state)
{
	struct response r;
	struct client *c;
	char req[1024];
	size_t n;

	(void)state;
	n = (size_t)snprintf(req, sizeof(req), "GET /%0300d HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", 0);
	limit_expect(req, n, "HTTP/1.1 414 URI Too Long");
	/* The limit is the config's: a line of exactly 256 bytes passes. */
	n = (size_t)snprintf(req, sizeof(req), "GET /hello/%0236d HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", 0);
	assert_int_equal(n - strlen("\r\nHost: t\r\n\r\n"), 256);
	c = client_open(srv_lim.port);
	client_send(c, req, n);
	client_response(c, &r, 0, IO_MS);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	client_close(c);
}

static void
test_header_block_too_large_is_431(void **state)
{
	char req[2048];
	size_t n;

	(void)state;
	n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: t\r\n"
	    "X-A: %0600d\r\nX-B: %0600d\r\n\r\n", 0, 0);
	limit_expect(req, n, "HTTP/1.1 431 Request Header Fields Too Large");
}

static void
test_too_many_headers_is_431(void **state)
{
	char req[1024];
	size_t n;
	int i;

	(void)state;
	n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: t\r\n");
	for (i = 0; i < 10; i++)	/* 11 fields, Host included */
		n += (size_t)snprintf(req + n, sizeof(req) - n,
		    "X-%d: %d\r\n", i, i);
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	limit_expect(req, n, "HTTP/1.1 431 Request Header Fields Too Large");
}

static void
test_content_length_over_limit_is_413_before_body(void **state)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 1025\r\n\r\n";
	struct response r;
	struct client *c;
	long t0;

	(void)state;
	c = client_open(srv_lim.port);
	t0 = now_ms();
	client_sends(c, req);		/* and no body at all */
	client_response(c, &r, 0, 1000);
	assert_error(&r, "HTTP/1.1 413 Content Too Large", 1);
	assert_true(now_ms() - t0 < 1000);
	client_expect_eof(c, IO_MS);
	client_close(c);
}

static void
test_chunked_body_over_limit_is_413(void **state)
{
	char req[4096];
	size_t n;
	int i;

	(void)state;
	n = (size_t)snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	for (i = 0; i < 3; i++) {	/* 3 * 400 > 1024 */
		n += (size_t)snprintf(req + n, sizeof(req) - n, "190\r\n");
		memset(req + n, 'x', 400);
		n += 400;
		n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
	}
	n += (size_t)snprintf(req + n, sizeof(req) - n, "0\r\n\r\n");
	limit_expect(req, n, "HTTP/1.1 413 Content Too Large");
}

static void
test_content_length_with_chunked_is_400(void **state)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "0\r\n\r\nGET /hello/smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

	(void)state;
	limit_expect(req, sizeof(req) - 1, "HTTP/1.1 400 Bad Request");
}

static void
test_transfer_coding_gzip_chunked_is_501(void **state)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n";

	(void)state;
	limit_expect(req, sizeof(req) - 1, "HTTP/1.1 501 Not Implemented");
}

static void
test_bad_chunk_size_is_400(void **state)
{
	static const char req[] = "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
	    "GET /hello/smuggled HTTP/1.1\r\nHost: t\r\n\r\n";

	(void)state;
	limit_expect(req, sizeof(req) - 1, "HTTP/1.1 400 Bad Request");
}

/*
 * An error found inside a body, with more of the body still unread by the
 * server: it must linger (read and drop) rather than close with unread
 * bytes, which resets the connection (RFC 9112 §9.6; nginx's lingering
 * close) and can destroy the response before the client reads it.  first
 * is what follows the head; then 40 KiB of 1 KiB chunks, far more than one
 * read of the server's.
 */
static void
body_error_expect(const char *first, const char *sl)
{
	static char req[48 * 1024];
	char chunk[5 + 1024 + 2];
	size_t n;
	int i;

	memset(chunk, 'x', sizeof(chunk));
	memcpy(chunk, "400\r\n", 5);
	memcpy(chunk + 5 + 1024, "\r\n", 2);
	n = (size_t)snprintf(req, sizeof(req), "POST / HTTP/1.1\r\n"
	    "Host: t\r\nTransfer-Encoding: chunked\r\n\r\n%s", first);
	for (i = 0; i < 40; i++) {
		memcpy(req + n, chunk, sizeof(chunk));
		n += sizeof(chunk);
	}
	limit_expect(req, n, sl);
}

static void
test_chunked_413_with_body_unread_closes_without_reset(void **state)
{
	(void)state;
	body_error_expect("", "HTTP/1.1 413 Content Too Large");
}

static void
test_bad_chunk_with_body_unread_closes_without_reset(void **state)
{
	(void)state;
	body_error_expect("zz\r\n", "HTTP/1.1 400 Bad Request");
}

/* ==== timeouts (0.3 s each) ======================================================= */

/* The server closes c between lo and hi ms after t0 (nothing else sent). */
static void
expect_closed_between(struct client *c, long t0, long lo, long hi)
{
	long took;

	client_expect_eof(c, hi - (now_ms() - t0) + 50);
	took = now_ms() - t0;
	if (took < lo || took > hi)
		fail_msg("closed after %ld ms, expected %ld..%ld", took, lo,
		    hi);
}

static void
test_partial_head_then_silence_is_408(void **state)
{
	struct response r;
	struct client *c;
	long t0, took;

	(void)state;
	c = client_open(srv_to.port);
	t0 = now_ms();
	client_sends(c, "GET / HTTP/1.1\r\nHost: t\r\n");
	client_response(c, &r, 0, 2000);
	took = now_ms() - t0;
	assert_error(&r, "HTTP/1.1 408 Request Timeout", 1);
	if (took < 250 || took > 1000)
		fail_msg("408 after %ld ms, expected 300..1000", took);
	client_expect_eof(c, 1000);
	client_close(c);
}

static void
test_idle_keepalive_connection_is_closed(void **state)
{
	struct response r;
	struct client *c;
	long t0;

	(void)state;
	c = exchange(srv_to.port, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n",
	    &r);
	t0 = now_ms();
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	expect_closed_between(c, t0, 250, 1000);
	client_close(c);
}

static void
test_silent_fresh_connection_is_closed(void **state)
{
	struct client *c;
	long t0;

	(void)state;
	t0 = now_ms();
	c = client_open(srv_to.port);
	expect_closed_between(c, t0, 250, 1000);
	client_close(c);
}

/*
 * Pipelines copies of req (reqlen bytes) on c without reading, until the
 * socket has refused more for 100 ms (the server stopped reading: both
 * directions are full), 10 s have passed, or a send fails (the server
 * closed).  Leaves c non-blocking.  Returns the bytes sent; fails the test
 * if the server never stopped reading.
 */
static size_t
pipeline_until_full(struct client *c, const char *req, size_t reqlen)
{
	static char buf[64 * 1024];
	size_t len = 0, sent = 0;
	long t0, stuck = -1;
	ssize_t n;

	while (len + reqlen <= sizeof(buf)) {
		memcpy(buf + len, req, reqlen);
		len += reqlen;
	}
	assert_int_equal(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
	t0 = now_ms();
	while (now_ms() - t0 < 10000) {
		/* buf holds whole requests: carry on where a partial send
		 * stopped, or the stream would cut a request in two. */
		n = send(c->fd, buf + sent % len, len - sent % len,
		    MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			stuck = -1;
		} else if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (stuck == -1)
				stuck = now_ms();
			else if (now_ms() - stuck > 100)
				break;		/* both directions full */
			sleep_ms(5);
		} else
			break;			/* closed already */
	}
	if (stuck == -1)
		fail_msg("the server read %zu bytes of requests in 10 s and "
		    "never stopped", sent);
	return sent;
}

/*
 * A client that pipelines requests and never reads the responses: once the
 * server's send buffer and the client's receive buffer are full, the send
 * timeout (0.3 s, on a server of its own: the other timeouts stay long)
 * closes the connection.  What the client then reads ends before all its
 * responses: without the timeout the server would wait, and send every one
 * of them as soon as the client reads.
 */
static void
test_unread_responses_are_closed_after_send_timeout(void **state)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
	struct srv_opts o = opts_default;
	struct response r;
	struct client *c;
	struct srv s;
	size_t reqlen = sizeof(req) - 1, sent, got = 0, resplen;
	ssize_t n;

	(void)state;
	o.t_send = 0.3;
	if (srv_start(&s, "send.conf", &o) == -1)
		fail_msg("cannot start asyncd");
	c = client_open(s.port);
	client_sends(c, req);
	/* All of it in one read: the server writes a response in one
	 * send, and loopback delivers it whole. */
	assert_true(client_fill(c, IO_MS) > 0);	/* ~150 bytes */
	resplen = c->len;
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	assert_int_equal(c->len, 0);
	sent = pipeline_until_full(c, req, reqlen);
	sleep_ms(700);	/* the subject: past the 0.3 s send timeout */
	/* Until EOF, a reset, or (no send timeout) all answered and idle. */
	while ((n = client_fill(c, 1000)) > 0) {
		got += c->len;
		c->len = 0;
	}
	if (got >= (sent / reqlen) * resplen)
		fail_msg("got all %zu bytes of responses to %zu requests: no "
		    "send timeout", got, sent / reqlen);
	if (n != 0 && n != -ECONNRESET)
		fail_msg("no EOF or reset after %zu bytes: %s", got,
		    strerror((int)-n));
	client_close(c);
	srv_stop(&s);
}

/*
 * The same slow reader against a short header timeout (0.5 s: the client
 * must not stall that long between two sends that split a request, or the
 * server rightly answers 408) and a long send timeout (5 s).  The requests carry a padding field, so that the
 * responses to one read of requests fit the output buffer: the server then
 * writes them just before it waits for the rest of the request that the
 * read cut in two, and that write is the one that blocks.  Blocked there
 * for longer than the header timeout, the connection must live on: after
 * 1.5 s the client reads, and gets a response to every whole request it
 * sent (then a 408 for a cut one, or nothing more).
 */
static void
test_header_timeout_spares_a_blocked_write(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\n";
	struct srv_opts o = opts_default;
	struct client *c;
	struct srv s;
	size_t reqlen, sent, answered = 0, oklen = sizeof(ok) - 1, rest;
	ssize_t n;
	char req[256], pad[200], *p, *q;

	(void)state;
	o.t_header = 0.5;
	if (srv_start(&s, "header-send.conf", &o) == -1)
		fail_msg("cannot start asyncd");
	memset(pad, 'p', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	reqlen = (size_t)snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\n"
	    "Host: t\r\nX-Pad: %s\r\n\r\n", pad);
	c = client_open(s.port);
	sent = pipeline_until_full(c, req, reqlen);
	sleep_ms(1500);	/* the subject: blocked past the 0.5 s header timeout */
	/*
	 * Count status lines in the raw stream rather than parse each of the
	 * tens of thousands of responses: under valgrind that took longer
	 * than the watchdog.  A line cut by a read is kept for the next one.
	 */
	assert_int_equal(fcntl(c->fd, F_SETFL, 0), 0);
	while (answered < sent / reqlen) {
		n = client_fill(c, IO_MS);
		if (n <= 0)
			fail_msg("%s after %zu of %zu responses",
			    n == 0 ? "EOF" : strerror((int)-n), answered,
			    sent / reqlen);
		p = c->buf;
		while ((q = memmem(p, (size_t)(c->buf + c->len - p), ok,
		    oklen)) != NULL) {
			answered++;
			p = q + oklen;
		}
		/* Once the last 200 is counted, what follows it stays: the
		 * 408 may have come in the same read. */
		rest = (size_t)(c->buf + c->len - p);
		if (answered >= sent / reqlen)
			client_consume(c, (size_t)(p - c->buf));
		else
			client_consume(c, c->len - (rest < oklen ? rest :
			    oklen - 1));
	}
	if (sent % reqlen != 0) {
		/* The cut request: its head never ends, so 408 and EOF. */
		while ((n = client_fill(c, IO_MS)) > 0)
			;
		if (n != 0)
			fail_msg("no EOF after the last response: %s",
			    strerror((int)-n));
		if (memmem(c->buf, c->len, "HTTP/1.1 408 ", 13) == NULL)
			fail_msg("no 408 for the cut request: %s",
			    show(c->buf, c->len));
	}
	client_close(c);
	srv_stop(&s);
}

static void
test_stalled_body_is_closed(void **state)
{
	struct client *c;
	long t0, took;
	ssize_t got;

	(void)state;
	c = client_open(srv_to.port);
	client_sends(c, "POST / HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 100\r\n\r\n0123456789");
	t0 = now_ms();
	/* Whatever it answers (or not), it closes about 0.3 s later. */
	for (;;) {
		got = client_fill(c, 2000 - (now_ms() - t0));
		if (got == 0)
			break;
		if (got < 0)
			fail_msg("expected EOF within 2 s, got %s; so far "
			    "\"%s\"", strerror((int)-got),
			    show(c->buf, c->len));
	}
	took = now_ms() - t0;
	if (took < 250 || took > 1000)
		fail_msg("closed after %ld ms, expected 300..1000 (got \"%s\")",
		    took, show(c->buf, c->len));
	client_close(c);
}

/* ==== the connection cap (5) ========================================================= */

static void
test_connection_cap_answers_503(void **state)
{
	struct client *idle[5], *c;
	struct response r;
	long end;
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		idle[i] = exchange(srv_cap.port,
		    "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", &r);
		assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	}
	/* The sixth is answered before it says anything. */
	c = client_open(srv_cap.port);
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 503 Service Unavailable", 1);
	client_expect_eof(c, IO_MS);
	client_close(c);

	/* One goes: a new one is served (once the server saw the EOF). */
	client_close(idle[0]);
	end = now_ms() + 2000;
	for (;;) {
		c = client_open(srv_cap.port);
		if (client_fill(c, 150) == -ETIMEDOUT)
			break;		/* not refused: send the request */
		if (now_ms() >= end)
			fail_msg("still refused 2 s after a connection "
			    "closed: \"%s\"", show(c->buf, c->len));
		client_close(c);
		sleep_ms(50);
	}
	client_sends(c, "GET /hello/again HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML, "<h1>hello, again!</h1>");
	client_close(c);
	for (i = 1; i < 5; i++)
		client_close(idle[i]);
}

/* ==== IPv6 ==================================================================== */

/* 1 if this machine can listen on ::1 (a container may have no IPv6). */
static int
ipv6_loopback_usable(void)
{
	struct sockaddr_in6 sin6;
	int fd, ok;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	(void)close(fd);
	return ok;
}

/*
 * listen = [ "[::1]:0" ]: the master turns the canonical "[::1]" of the
 * configuration into a socket on ::1, and the app answers there.
 */
static void
test_ipv6_loopback_is_served(void **state)
{
	struct srv_opts o = opts_default;
	struct response r;
	struct client *c;
	struct srv s;

	(void)state;
	if (!ipv6_loopback_usable()) {
		print_message("no IPv6 loopback here: skipped\n");
		skip();
	}
	o.ipv6 = 1;
	if (srv_start(&s, "ipv6.conf", &o) == -1)
		fail_msg("cannot start asyncd on [::1]:0");
	c = client_open_to(AF_INET6, s.port);
	client_sends(c, "GET /hello/six HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML, "<h1>hello, six!</h1>");
	client_close(c);
	srv_stop(&s);
}

/* ==== the handler API: tests/apps/testapp.c, mounted at /t ======================== */

/* Waits up to ms for needle in s's log; fails the test with the log if it
 * does not come. */
static void
srv_wait_log(struct srv *s, const char *needle, long ms)
{
	long end = now_ms() + ms;

	for (;;) {
		if (strstr(s->log, needle) != NULL)
			return;
		if (now_ms() >= end)
			fail_msg("no \"%s\" in the log within %ld ms:\n%s",
			    needle, ms, s->log);
		(void)drain(s->err_fd, s->log, sizeof(s->log), &s->log_len,
		    end);
	}
}

/* How many fields of r are called name. */
static int
field_count(const struct response *r, const char *name)
{
	size_t i;
	int n = 0;

	for (i = 0; i < r->nfields; i++)
		n += strcasecmp(r->fields[i].name, name) == 0;
	return n;
}

/* Reads exactly len raw bytes from c within ms into out (NUL-terminated,
 * out holds len + 1); fails the test on EOF or timeout. */
static void
client_read_raw(struct client *c, char *out, size_t len, long ms)
{
	long end = now_ms() + ms;
	ssize_t got;

	while (c->len < len) {
		got = client_fill(c, end - now_ms());
		if (got <= 0)
			fail_msg("%s after %zu of %zu bytes: \"%s\"", got == 0 ?
			    "EOF" : strerror((int)-got), c->len, len,
			    show(c->buf, c->len));
	}
	memcpy(out, c->buf, len);
	out[len] = '\0';
	client_consume(c, len);
}

/* Reads a chunked body from c into out (NUL-terminated), through its last
 * chunk; fails the test on a framing error, EOF or timeout. */
static size_t
client_read_chunked(struct client *c, char *out, size_t cap)
{
	char line[32], *end;
	size_t len = 0, n;

	for (;;) {
		while (memmem(c->buf, c->len, "\r\n", 2) == NULL)
			if (client_fill(c, IO_MS) <= 0)
				fail_msg("EOF or timeout in a chunk size line");
		end = memmem(c->buf, c->len, "\r\n", 2);
		n = (size_t)(end - c->buf);
		assert_true(n > 0 && n < sizeof(line));
		memcpy(line, c->buf, n);
		line[n] = '\0';
		client_consume(c, n + 2);
		n = strtoul(line, &end, 16);
		if (*end != '\0')
			fail_msg("bad chunk size line \"%s\"", line);
		if (n == 0)
			break;
		assert_true(len + n < cap);
		client_read_raw(c, out + len, n, IO_MS);
		len += n;
		client_read_raw(c, line, 2, IO_MS);
		assert_string_equal(line, "\r\n");
	}
	client_read_raw(c, line, 2, IO_MS);	/* no trailers */
	assert_string_equal(line, "\r\n");
	out[len] = '\0';
	return len;
}

#define TEXT_APP	"text/plain"	/* what testapp's handlers set */

static void
test_api_path_params_are_decoded(void **state)
{
	(void)state;
	get_expect(srv_api.port, "/t/params/x%20y/%C3%A9/c/d%2Fe",
	    "HTTP/1.1 200 OK", TEXT_APP,
	    "a=x y|b=\xc3\xa9|rest=c/d/e|none=NULL");
	/* {rest...} takes the rest, but not nothing. */
	get_expect(srv_api.port, "/t/params/1/2/3", "HTTP/1.1 200 OK",
	    TEXT_APP, "a=1|b=2|rest=3|none=NULL");
	get_expect(srv_api.port, "/t/params/1/2", "HTTP/1.1 404 Not Found",
	    TEXT, "404 Not Found\n");
}

static void
test_api_query_is_split_and_decoded(void **state)
{
	(void)state;
	get_expect(srv_api.port, "/t/query?x=1&y=a+b&&z=%41%3d&x=2&flag",
	    "HTTP/1.1 200 OK", TEXT_APP,
	    "[x]=[1]\n[y]=[a b]\n[z]=[A=]\n[x]=[2]\n[flag]=[]\n"
	    "end=-2 x=1 raw=x=1&y=a+b&&z=%41%3d&x=2&flag\n");
	get_expect(srv_api.port, "/t/query", "HTTP/1.1 200 OK", TEXT_APP,
	    "end=-2 x=NULL raw=\n");
	/* A bad escape or a NUL fails the parse, not the request: the
	 * handler decides (EBADMSG). */
	get_expect(srv_api.port, "/t/query?a=%zz", "HTTP/1.1 200 OK",
	    TEXT_APP, "end=-74 x=NULL raw=a=%zz\n");
	get_expect(srv_api.port, "/t/query?a=%00", "HTTP/1.1 200 OK",
	    TEXT_APP, "end=-74 x=NULL raw=a=%00\n");
}

static void
test_api_request_head_accessors(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_api.port, "GET /t/head?z=1 HTTP/1.1\r\nHost: t\r\n"
	    "X-Multi: a\r\nx-multi: b\r\n\r\n", &r);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT_APP,
	    "method=GET target=/t/head?z=1 path=/t/head version=11 "
	    "peer=inet multi=[a, b] fields=3 route=/t/head last=x-multi:b\n");
	client_close(c);
}

static void
test_api_status_reason_and_fields(void **state)
{
	struct response r;
	struct client *c;
	size_t i;
	int two = 0;

	(void)state;
	c = exchange(srv_api.port, "GET /t/status/201 HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", &r);
	assert_response(&r, "HTTP/1.1 201 Custom Reason", TEXT_APP, "status");
	assert_int_equal(field_count(&r, "X-One"), 1);
	assert_string_equal(field(&r, "X-One"), "replaced");
	assert_int_equal(field_count(&r, "X-Two"), 2);
	for (i = 0; i < r.nfields; i++)
		if (strcmp(r.fields[i].name, "X-Two") == 0)
			assert_string_equal(r.fields[i].value,
			    two++ == 0 ? "a" : "b");
	/* The middleware's fields come with every response. */
	assert_non_null(field(&r, "X-Request-Id"));
	assert_true(atoi(field(&r, "X-Request-Id")) > 0);
	assert_non_null(field(&r, "Server-Timing"));
	assert_int_equal(strncmp(field(&r, "Server-Timing"), "app;dur=", 8),
	    0);
	/* HEAD of the same: the same head, no body, and the connection
	 * goes on. */
	client_sends(c, "HEAD /t/status/202 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /t/status/99 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_string_equal(r.status_line, "HTTP/1.1 202 Custom Reason");
	assert_string_equal(field(&r, "Content-Length"), "6");
	/* 99 is refused by http_resp_status; the handler said 400. */
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 400 Bad Request", 0);
	client_close(c);
}

static void
test_api_returned_status_gets_the_server_page(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_api.port, "GET /t/return/409 HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", &r);
	assert_error(&r, "HTTP/1.1 409 Conflict", 0);
	/* Not a final status: a bug in the handler, answered 500. */
	client_sends(c, "GET /t/return/150 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /t/return/1000 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 500 Internal Server Error", 0);
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 500 Internal Server Error", 0);
	client_close(c);
	srv_wait_log(&srv_api, "GET /t/return/{code}: returned 150, not a "
	    "final status", IO_MS);
}

static void
test_api_error_before_the_head_is_500_and_logged(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_api.port, "GET /t/error HTTP/1.1\r\nHost: t\r\n\r\n",
	    &r);
	assert_error(&r, "HTTP/1.1 500 Internal Server Error", 0);
	/* The connection is fine: the next request is served. */
	client_sends(c, "GET /t/status/200 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 Custom Reason", TEXT_APP, "status");
	client_close(c);
	srv_wait_log(&srv_api, "GET /t/error: Input/output error", IO_MS);
}

/* After the head, an error can only be told by closing: no last chunk. */
static void
test_api_error_after_the_head_closes_without_last_chunk(void **state)
{
	struct response r;
	struct client *c;
	char body[32];

	(void)state;
	c = client_open(srv_api.port);
	client_sends(c, "GET /t/error-after HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_string_equal(field(&r, "Transfer-Encoding"), "chunked");
	client_read_raw(c, body, 9, IO_MS);
	assert_string_equal(body, "4\r\npart\r\n");
	client_expect_eof(c, IO_MS);
	client_close(c);
}

/* A Content-Length the handler did not honour: the connection closes. */
static void
test_api_short_body_closes(void **state)
{
	struct response r;
	struct client *c;
	char body[8];

	(void)state;
	c = client_open(srv_api.port);
	client_sends(c, "GET /t/short HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_string_equal(field(&r, "Content-Length"), "10");
	client_read_raw(c, body, 5, IO_MS);
	assert_string_equal(body, "12345");
	client_expect_eof(c, IO_MS);
	client_close(c);
}

/* CR, LF and controls cannot reach the wire through the API. */
static void
test_api_header_injection_is_refused(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_api.port, "GET /t/inject HTTP/1.1\r\nHost: t\r\n\r\n",
	    &r);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT_APP,
	    "crlf=-22 lf=-22 del=-22 late-cr=-22 nul-name=-22 space-name=-22 "
	    "reserved=-1 ok=0 long-tab=0 status=-22 reason=-22");
	assert_null(field(&r, "Set-Cookie"));
	assert_null(field(&r, "X-Bad"));
	assert_string_equal(field(&r, "X-Good"), "tab\tok");
	assert_string_equal(field(&r, "X-Long"), "abcdefgh\tijklmnop\xc3\xa9");
	assert_int_equal(field_count(&r, "Content-Length"), 1);
	client_close(c);
}

static void
test_api_streamed_body_is_chunked(void **state)
{
	static const char chunks[] =
	    "4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n";
	struct response r;
	struct client *c;
	char body[sizeof(chunks)];

	(void)state;
	c = client_open(srv_api.port);
	client_sends(c, "GET /t/chunked HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_string_equal(field(&r, "Transfer-Encoding"), "chunked");
	assert_null(field(&r, "Content-Length"));
	client_read_raw(c, body, sizeof(chunks) - 1, IO_MS);
	assert_string_equal(body, chunks);
	/* Properly ended: the connection serves the next request. */
	client_sends(c, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	client_close(c);

	/* HTTP/1.0 has no chunks: the body ends with the connection. */
	c = client_open(srv_api.port);
	client_sends(c, "GET /t/chunked HTTP/1.0\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_null(field(&r, "Transfer-Encoding"));
	assert_string_equal(field(&r, "Connection"), "close");
	client_read_raw(c, body, 13, IO_MS);
	assert_string_equal(body, "one,two,three");
	client_expect_eof(c, IO_MS);
	client_close(c);
}

/* http_resp_flush: what was written reaches the client while the handler
 * still waits (here, for another request). */
static void
test_api_flush_sends_what_was_written(void **state)
{
	struct response r;
	struct client *c, *o;
	char body[64];

	(void)state;
	c = client_open(srv_api.port);
	client_sends(c, "GET /t/flush HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_string_equal(field(&r, "Transfer-Encoding"), "chunked");
	client_read_raw(c, body, 11, IO_MS);
	assert_string_equal(body, "6\r\nfirst,\r\n");
	o = exchange(srv_api.port, "GET /t/release HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", &r);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT_APP, "released");
	client_close(o);
	assert_int_equal(client_read_chunked(c, body, sizeof(body)), 6);
	assert_string_equal(body, "second");
	client_close(c);
}

/* A body many times the output buffer goes out whole and in order. */
static void
test_api_large_body_is_sent_whole(void **state)
{
	struct response r;
	struct client *c;
	size_t want, got = 0, i, n;
	ssize_t k;

	(void)state;
	c = client_open(srv_api.port);
	client_sends(c, "GET /t/big HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 1, IO_MS);
	want = strtoul(field(&r, "Content-Length"), NULL, 10);
	assert_int_equal(want, 200 * 1024);
	while (got < want) {
		if (c->len == 0 && (k = client_fill(c, IO_MS)) <= 0)
			fail_msg("%s after %zu of %zu bytes", k == 0 ? "EOF" :
			    strerror((int)-k), got, want);
		n = c->len < want - got ? c->len : want - got;
		for (i = 0; i < n; i++)
			if (c->buf[i] != (char)('a' + (got + i) % 26))
				fail_msg("byte %zu is '%c'", got + i,
				    c->buf[i]);
		got += n;
		client_consume(c, n);
	}
	client_close(c);
}

static void
test_api_method_routes_and_405(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_api.port, "DELETE /t/any HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", &r);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT_APP, "DELETE");
	client_sends(c, "PROPFIND /t/any HTTP/1.1\r\nHost: t\r\n\r\n"
	    "POST /t/params/a/b/c HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 0\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT_APP, "PROPFIND");
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 405 Method Not Allowed", 0);
	assert_string_equal(field(&r, "Allow"), "GET, HEAD");
	client_close(c);
}

/* A middleware answers by itself, and the handler does not run. */
static void
test_api_middleware_answers_early(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_api.port, "GET /t/crash HTTP/1.1\r\nHost: t\r\n"
	    "X-Block: 1\r\n\r\n", &r);
	assert_error(&r, "HTTP/1.1 403 Forbidden", 0);
	client_close(c);
}

/* GET /t/last until it says want (the handler before it ran on). */
static void
last_expect(const char *want)
{
	long end = now_ms() + IO_MS;
	struct response r;
	struct client *c;

	for (;;) {
		c = exchange(srv_api.port, "GET /t/last HTTP/1.1\r\n"
		    "Host: t\r\n\r\n", &r);
		client_close(c);
		if (r.body_len == strlen(want) && memcmp(r.body, want,
		    r.body_len) == 0)
			return;
		if (now_ms() >= end)
			fail_msg("/t/last says \"%s\", expected \"%s\"",
			    show(r.body, r.body_len), want);
		sleep_ms(20);
	}
}

/* Requests target and closes at once, before the handler's 0.3 s. */
static void
hang_up_on(const char *target)
{
	struct client *c = client_open(srv_api.port);
	char req[256], name[128];

	(void)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
	    target);
	client_sends(c, req);
	/* Read, and in its handler: the task is named for its route. */
	(void)snprintf(name, sizeof(name), "GET %s", target);
	tasks_wait(&srv_api, name, 1);
	client_close(c);
}

/* By default a handler whose client left runs to its end. */
static void
test_api_client_gone_handler_runs_on(void **state)
{
	(void)state;
	hang_up_on("/t/disconnect");
	last_expect("plain completed");
}

/* cancel_on_disconnect: its wait returns -ECANCELED... */
static void
test_api_client_gone_cancels_when_asked(void **state)
{
	(void)state;
	hang_up_on("/t/disconnect-cancel");
	last_expect("plain Operation canceled");
}

/* ...except inside rt_shield_enter()/rt_shield_exit(). */
static void
test_api_client_gone_spares_a_shielded_wait(void **state)
{
	(void)state;
	hang_up_on("/t/disconnect-shield");
	last_expect("shielded completed");
}

/* A route's timeout cuts the handler's wait short: 504. */
static void
test_api_route_timeout_is_504(void **state)
{
	struct response r;
	struct client *c;
	long t0 = now_ms();

	(void)state;
	c = exchange(srv_api.port, "GET /t/timeout HTTP/1.1\r\nHost: t\r\n"
	    "\r\n", &r);
	assert_error(&r, "HTTP/1.1 504 Gateway Timeout", 0);
	/* Its 0.2 s, not the handler's 1 s sleep (loosely: CI is slow). */
	if (now_ms() - t0 >= 900)
		fail_msg("504 after %ld ms", now_ms() - t0);
	client_close(c);
}

/* stack_size: a handler with 512 KiB of locals runs on a stack of its
 * own (on the connection's it would overflow and kill the worker). */
static void
test_api_route_stack_size_gives_a_deep_stack(void **state)
{
	(void)state;
	get_expect(srv_api.port, "/t/bigstack", "HTTP/1.1 200 OK", TEXT_APP,
	    "deep 0");
	get_expect(srv_api.port, "/t/bigstack", "HTTP/1.1 200 OK", TEXT_APP,
	    "deep 0");
}

/* init ran (the app's data), and its background task runs. */
static void
test_api_app_init_and_background_task(void **state)
{
	long end = now_ms() + IO_MS;
	struct response r;
	struct client *c;

	(void)state;
	for (;;) {
		c = exchange(srv_api.port, "GET /t/state HTTP/1.1\r\n"
		    "Host: t\r\n\r\n", &r);
		client_close(c);
		if (strstr(r.body, "ticks=some") != NULL)
			break;
		if (now_ms() >= end)
			fail_msg("/t/state: \"%s\"", show(r.body, r.body_len));
		sleep_ms(20);
	}
	assert_string_equal(r.body, "version=1 data=initialised ticks=some");
}

/* ==== apps/gather: the HTTP client inside a handler =============================== */

static void
test_gather_fetches_every_upstream(void **state)
{
	struct response r;
	struct client *c;
	char want[1024];

	(void)state;
	(void)snprintf(want, sizeof(want),
	    "[{\"url\": \"http://127.0.0.1:%d/\", \"status\": 200, "
	    "\"bytes\": 14},\n"
	    " {\"url\": \"http://127.0.0.1:%d/hello/gather\", \"status\": 200, "
	    "\"bytes\": 23},\n"
	    " {\"url\": \"http://127.0.0.1:%d/healthz\", \"status\": 200, "
	    "\"bytes\": 2}]\n", srv_up.port, srv_up.port, srv_up.port);
	c = exchange(srv_gather.port, "GET /gather HTTP/1.1\r\nHost: t\r\n\r\n",
	    &r);
	assert_response(&r, "HTTP/1.1 200 OK", "application/json", want);
	client_close(c);
}

/* One upstream takes 0.5 s: past the 0.2 s deadline, 504, and the fetch
 * still running is cancelled (the upstream sees its connection close). */
static void
test_gather_past_deadline_is_504(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_gather.port, "GET /gather-slow HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", &r);
	assert_error(&r, "HTTP/1.1 504 Gateway Timeout", 0);
	/* The request may shorten the deadline, never lengthen it. */
	client_sends(c, "GET /gather?deadline=0.000001 HTTP/1.1\r\nHost: t\r\n"
	    "\r\nGET /gather-slow?deadline=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 504 Gateway Timeout", 0);
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 504 Gateway Timeout", 0);
	client_close(c);
}

/* Upstreams that refuse: 502, with the error in the answer.  (Last: it
 * stops the upstream.) */
static void
test_gather_with_upstreams_down_is_502(void **state)
{
	struct response r;
	struct client *c;
	char want[512];

	(void)state;
	(void)snprintf(want, sizeof(want), "[{\"url\": \"http://127.0.0.1:%d/\", "
	    "\"error\": \"Connection refused\"},\n {\"url\": "
	    "\"http://127.0.0.1:%d/slow\", \"error\": \"Connection refused\"}]"
	    "\n", srv_up.port, srv_up.port);
	if (srv_finish(&srv_up) != 0)	/* nothing listens there now */
		fail_msg("the upstream did not stop cleanly");
	c = exchange(srv_gather.port, "GET /gather-slow HTTP/1.1\r\n"
	    "Host: t\r\n\r\n", &r);
	assert_response(&r, "HTTP/1.1 502 Bad Gateway", "application/json",
	    want);
	client_close(c);
}

/* ==== request bodies: apps/echo, mounted at /echo ================================= */

static void
test_echo_json_body_comes_back(void **state)
{
	static const char json[] = "{\"name\": \"asyncd\", \"n\": [1, 2, 3]}";
	struct response r;
	struct client *c;
	char req[512];

	(void)state;
	(void)snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(json), json);
	c = exchange(srv_api.port, req, &r);
	assert_response(&r, "HTTP/1.1 200 OK", "application/json", json);
	client_close(c);
}

static void
test_echo_form_becomes_json(void **state)
{
	static const char form[] = "a=1&b=x+y&&c=%22q%22%0A&d&a=2";
	struct response r;
	struct client *c;
	char req[512];

	(void)state;
	(void)snprintf(req, sizeof(req), "POST /echo/form HTTP/1.1\r\n"
	    "Host: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s", strlen(form), form);
	c = exchange(srv_api.port, req, &r);
	assert_response(&r, "HTTP/1.1 200 OK", "application/json",
	    "{\"a\": \"1\", \"b\": \"x y\", \"c\": \"\\\"q\\\"\\u000a\", "
	    "\"d\": \"\", \"a\": \"2\"}\n");
	/* A bad escape is the client's error. */
	client_sends(c, "POST /echo/form HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 6\r\n\r\na=%zz1");
	client_response(c, &r, 0, IO_MS);
	assert_error(&r, "HTTP/1.1 400 Bad Request", 0);
	client_close(c);
}

/* A chunked upload streamed back chunked, then the connection goes on. */
static void
test_echo_stream_both_ways(void **state)
{
	struct response r;
	struct client *c;
	char body[256];

	(void)state;
	c = client_open(srv_api.port);
	client_sends(c, "POST /echo/stream HTTP/1.1\r\nHost: t\r\n"
	    "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n");
	client_response(c, &r, 1, IO_MS);
	assert_string_equal(r.status_line, "HTTP/1.1 200 OK");
	assert_string_equal(field(&r, "Transfer-Encoding"), "chunked");
	assert_string_equal(field(&r, "Content-Type"), "text/plain");
	/* The first piece comes back before the rest is sent. */
	client_read_raw(c, body, 10, IO_MS);
	assert_string_equal(body, "5\r\nhello\r\n");
	client_sends(c, "1\r\n,\r\n6\r\n world\r\n0\r\n\r\n");
	assert_int_equal(client_read_chunked(c, body, sizeof(body)), 7);
	assert_string_equal(body, ", world");
	client_sends(c, "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", TEXT, "ok");
	client_close(c);
}

/* Over the app's body limit (here the server's, 1 MiB): 413 before any
 * of the body is read, and the connection closes. */
static void
test_echo_body_over_limit_is_413(void **state)
{
	struct response r;
	struct client *c;

	(void)state;
	c = exchange(srv_api.port, "POST /echo HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 1048577\r\n\r\n", &r);
	assert_error(&r, "HTTP/1.1 413 Content Too Large", 1);
	client_expect_eof(c, IO_MS);
	client_close(c);
}

/* ==== signals: a graceful stop ==================================================== */

static void
stop_during_slow_request(int signo)
{
	struct srv s;
	struct response r;
	struct client *c;
	long t0;
	int status;

	if (srv_start(&s, "signal.conf", &opts_app) == -1)
		fail_msg("cannot start asyncd");
	c = client_open(s.port);
	t0 = now_ms();
	client_sends(c, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
	tasks_wait(&s, "GET /slow", 1);	/* read, and waiting its 0.5 s */
	assert_int_equal(kill(s.pid, signo), 0);
	client_response(c, &r, 0, IO_MS);
	assert_response(&r, "HTTP/1.1 200 OK", HTML, "<h1>Index</h1>");
	if (now_ms() - t0 < 450)
		fail_msg("answered after %ld ms: before its 0.5 s delay",
		    now_ms() - t0);
	client_expect_eof(c, IO_MS);
	client_close(c);
	status = reap(s.pid, 3000);
	srv_read_log(&s);
	if (status == -1) {
		srv_stop(&s);
		fail_msg("asyncd still runs 3 s after %s:\n%s",
		    strsignal(signo), s.log);
	}
	s.pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		srv_stop(&s);
		fail_msg("asyncd ended with status 0x%x after %s:\n%s",
		    status, strsignal(signo), s.log);
	}
	if (strstr(s.log, "graceful stop") == NULL) {
		srv_stop(&s);
		fail_msg("no \"graceful stop\" in its log:\n%s", s.log);
	}
	srv_stop(&s);
}

static void
test_sigterm_finishes_request_then_exits_0(void **state)
{
	(void)state;
	stop_during_slow_request(SIGTERM);
}

static void
test_sigint_finishes_request_then_exits_0(void **state)
{
	(void)state;
	stop_during_slow_request(SIGINT);
}

/* ==== configuration files: asyncd -t ============================================== */

/* Runs asyncd with args; its exit status, stdout and stderr. */
static int
run_asyncd(const char *a1, const char *a2, const char *a3, char *out,
    size_t outcap, char *err, size_t errcap)
{
	char *argv[] = { (char *)asyncd_path, (char *)a1, (char *)a2,
	    (char *)a3, NULL };
	long end = now_ms() + 5000;
	size_t olen = 0, elen = 0;
	int ofd, efd, ro = 1, re = 1, status;
	pid_t pid;

	out[0] = err[0] = '\0';
	pid = spawn(argv, &ofd, &efd);
	assert_true(pid > 0);
	while ((ro == 1 || re == 1) && now_ms() < end) {
		if (ro == 1)
			ro = drain(ofd, out, outcap, &olen, now_ms() + 10);
		if (ro == -1)
			ro = 1;
		if (re == 1)
			re = drain(efd, err, errcap, &elen, now_ms() + 10);
		if (re == -1)
			re = 1;
	}
	(void)close(ofd);
	(void)close(efd);
	status = reap(pid, end - now_ms());
	if (status == -1) {
		(void)kill(pid, SIGKILL);
		(void)reap(pid, 5000);
		fail_msg("asyncd %s %s %s still runs after 5 s", a1, a2, a3);
	}
	if (!WIFEXITED(status))
		fail_msg("asyncd %s %s %s: status 0x%x", a1, a2, a3, status);
	return WEXITSTATUS(status);
}

static const struct {
	const char	*name;
	const char	*text;
	int		 line;
	const char	*reason;	/* in the message after FILE:LINE: */
} bad_confs[] = {
	{ "unknown.conf",
	  "listen = [ \"127.0.0.1:0\" ];\nmax_conections = 5;\n",
	  2, "unknown setting" },
	{ "unknown-in-group.conf",
	  "listen = [ \"127.0.0.1:0\" ];\ntimeouts = {\n\theader = 1.0;\n"
	  "\theder = 2.0;\n};\n",
	  4, "unknown setting" },
	{ "type.conf",
	  "# a comment\nlisten = [ \"127.0.0.1:0\" ];\n"
	  "max_connections = \"many\";\n",
	  3, "max_connections" },
	{ "range.conf",
	  "limits = {\n\tbody = -1;\n};\n",
	  2, "limits.body" },
	{ "listen-no-port.conf",
	  "listen = [ \"127.0.0.1\" ];\n",
	  1, "ADDR:PORT" },
	{ "listen-bad-port.conf",
	  "\nlisten = [ \"127.0.0.1:65536\" ];\n",
	  2, "listen" },
	{ "syntax.conf",
	  "listen = [ \"127.0.0.1:0\" ];\nlimits = { body = ; };\n",
	  2, "" },
	{ "handler.conf",
	  "apps = ( { module = \"seed\";\n\tsettings = { routes = (\n"
	  "\t{ path = \"/\"; handler = \"nope\"; }\n); }; } );\n",
	  3, "nope" },
};

static void
test_config_check_good_exits_0(void **state)
{
	char want[PATH_MAX + 64], out[4096], err[4096];
	struct srv s;
	int rc;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(srv_write_conf(&s, "good.conf", &opts_default), 0);
	rc = run_asyncd("-t", "-c", s.conf, out, sizeof(out), err,
	    sizeof(err));
	(void)snprintf(want, sizeof(want), "asyncd: configuration OK (%s)\n",
	    s.conf);
	(void)unlink(s.conf);
	if (rc != 0)
		fail_msg("asyncd -t on a good config: exit %d, stderr:\n%s",
		    rc, err);
	assert_string_equal(out, want);
}

static void
test_config_check_bad_exits_78_with_file_line(void **state)
{
	char path[PATH_MAX], where[PATH_MAX + 32], out[4096], err[4096];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad_confs) / sizeof(bad_confs[0]); i++) {
		tmp_path(path, sizeof(path), bad_confs[i].name);
		assert_int_equal(write_file(path, bad_confs[i].text), 0);
		rc = run_asyncd("-t", "-c", path, out, sizeof(out), err,
		    sizeof(err));
		(void)unlink(path);
		(void)snprintf(where, sizeof(where), "asyncd: %s:%d: ", path,
		    bad_confs[i].line);
		if (rc != EX_CONFIG || strncmp(err, where, strlen(where)) != 0 ||
		    strstr(err + strlen(where), bad_confs[i].reason) == NULL ||
		    strstr(err, "test failed") == NULL || out[0] != '\0')
			fail_msg("%s: exit %d (expected 78), stdout \"%s\", "
			    "stderr:\n%s(expected \"%s...%s\")",
			    bad_confs[i].name, rc, show(out, strlen(out)), err,
			    where, bad_confs[i].reason);
	}
}

static void
test_serving_with_bad_config_exits_78(void **state)
{
	char path[PATH_MAX], out[4096], err[4096];
	int rc;

	(void)state;
	tmp_path(path, sizeof(path), "serve-bad.conf");
	assert_int_equal(write_file(path, bad_confs[0].text), 0);
	rc = run_asyncd("-c", path, NULL, out, sizeof(out), err, sizeof(err));
	(void)unlink(path);
	if (rc != EX_CONFIG || strstr(err, "unknown setting") == NULL)
		fail_msg("asyncd -c bad.conf: exit %d, stderr:\n%s", rc, err);
}

/* ==== main ========================================================================= */

#define T(f)	cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)

int
main(void)
{
	const struct CMUnitTest app[] = {
		T(test_get_index),
		T(test_get_hello_world),
		T(test_get_hello_escapes_script),
		T(test_access_log_cuts_hostile_fields),
		T(test_get_healthz),
		T(test_unknown_path_is_404),
		T(test_post_index_is_405_with_allow),
		T(test_encoded_nul_is_400),
		T(test_bad_escape_is_400),
		T(test_query_string_is_ignored),
		T(test_keepalive_five_requests_on_one_connection),
		T(test_http10_closes_after_response),
		T(test_http10_keepalive_stays_open),
		T(test_connection_close_closes),
		T(test_pipelined_requests_answered_in_order),
		T(test_pipelined_during_delay_answered_without_spinning),
		T(test_request_sent_byte_by_byte),
		T(test_head_has_no_body),
		T(test_expect_continue_when_the_handler_reads),
		T(test_expect_continue_unread_body_gets_final_status),
		T(test_expect_continue_post_is_405),
		T(test_body_discarded_before_pipelined_get),
		T(test_burst_of_1000_connections),
	};
	const struct CMUnitTest api[] = {
		T(test_api_path_params_are_decoded),
		T(test_api_query_is_split_and_decoded),
		T(test_api_request_head_accessors),
		T(test_api_status_reason_and_fields),
		T(test_api_returned_status_gets_the_server_page),
		T(test_api_error_before_the_head_is_500_and_logged),
		T(test_api_error_after_the_head_closes_without_last_chunk),
		T(test_api_short_body_closes),
		T(test_api_header_injection_is_refused),
		T(test_api_streamed_body_is_chunked),
		T(test_api_flush_sends_what_was_written),
		T(test_api_large_body_is_sent_whole),
		T(test_api_method_routes_and_405),
		T(test_api_middleware_answers_early),
		T(test_api_client_gone_handler_runs_on),
		T(test_api_client_gone_cancels_when_asked),
		T(test_api_client_gone_spares_a_shielded_wait),
		T(test_api_route_timeout_is_504),
		T(test_api_route_stack_size_gives_a_deep_stack),
		T(test_api_app_init_and_background_task),
		T(test_echo_json_body_comes_back),
		T(test_echo_form_becomes_json),
		T(test_echo_stream_both_ways),
		T(test_echo_body_over_limit_is_413),
	};
	const struct CMUnitTest gather[] = {
		T(test_gather_fetches_every_upstream),
		T(test_gather_past_deadline_is_504),
		T(test_gather_with_upstreams_down_is_502),
	};
	const struct CMUnitTest limits[] = {
		T(test_request_line_too_long_is_414),
		T(test_header_block_too_large_is_431),
		T(test_too_many_headers_is_431),
		T(test_content_length_over_limit_is_413_before_body),
		T(test_chunked_body_over_limit_is_413),
		T(test_content_length_with_chunked_is_400),
		T(test_transfer_coding_gzip_chunked_is_501),
		T(test_bad_chunk_size_is_400),
		T(test_chunked_413_with_body_unread_closes_without_reset),
		T(test_bad_chunk_with_body_unread_closes_without_reset),
	};
	const struct CMUnitTest timeouts[] = {
		T(test_partial_head_then_silence_is_408),
		T(test_idle_keepalive_connection_is_closed),
		T(test_silent_fresh_connection_is_closed),
		T(test_stalled_body_is_closed),
		T(test_unread_responses_are_closed_after_send_timeout),
		T(test_header_timeout_spares_a_blocked_write),
	};
	const struct CMUnitTest cap[] = {
		T(test_connection_cap_answers_503),
	};
	const struct CMUnitTest ipv6[] = {
		T(test_ipv6_loopback_is_served),
	};
	const struct CMUnitTest process[] = {
		T(test_sigterm_finishes_request_then_exits_0),
		T(test_sigint_finishes_request_then_exits_0),
		T(test_config_check_good_exits_0),
		T(test_config_check_bad_exits_78_with_file_line),
		T(test_serving_with_bad_config_exits_78),
	};
	struct rlimit rl;
	const char *base;
	int failed = 0;

	if ((asyncd_path = getenv("ASYNCD")) == NULL || *asyncd_path == '\0')
		asyncd_path = "./asyncd";
	if (access(asyncd_path, X_OK) == -1) {
		(void)fprintf(stderr, "test-http: %s: %s (set ASYNCD)\n",
		    asyncd_path, strerror(errno));
		return 1;
	}
	/* The burst needs 1,000 sockets here and there (inherited). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGALRM, watchdog_cb);
	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/test-http.XXXXXX", base);
	if (mkdtemp(tmpdir) == NULL) {
		(void)fprintf(stderr, "test-http: mkdtemp %s: %s\n", tmpdir,
		    strerror(errno));
		return 1;
	}

	failed += cmocka_run_group_tests_name("app", app, group_app_setup,
	    group_teardown);
	failed += cmocka_run_group_tests_name("api", api, group_api_setup,
	    group_teardown);
	failed += cmocka_run_group_tests_name("gather", gather,
	    group_gather_setup, group_gather_teardown);
	failed += cmocka_run_group_tests_name("limits", limits,
	    group_lim_setup, group_teardown);
	failed += cmocka_run_group_tests_name("timeouts", timeouts,
	    group_to_setup, group_teardown);
	failed += cmocka_run_group_tests_name("cap", cap, group_cap_setup,
	    group_teardown);
	failed += cmocka_run_group_tests_name("ipv6", ipv6, NULL, NULL);
	failed += cmocka_run_group_tests_name("process", process, NULL, NULL);

	(void)rmdir(tmpdir);
	return failed;
}
