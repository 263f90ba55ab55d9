/*
 * test-daemon-config.c - src/daemon/config.c: files written to a temporary
 * directory, loaded with conf_load(), and the struct or the error checked.
 *
 * Errors are checked whole: "FILE:LINE: NAME: what", FILE being the path
 * given to conf_load().  The tables list failures first, each with the rule
 * it breaks; then what must pass.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"

static char tmpdir[256];
static char conf_path[300];	/* tmpdir/t.conf, rewritten by each test */

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* len bytes of data, NULs and all. */
static void
write_file_len(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* Loads text as tmpdir/t.conf; returns conf_load()'s result. */
static int
load(const char *text, struct asyncd_conf *c, char *err, size_t errlen)
{
	write_file(conf_path, text);
	err[0] = '\0';
	return conf_load(conf_path, c, err, errlen);
}

/* Checks that text fails with exactly "t.conf's path:" + want. */
static void
expect_error_at(const char *text, const char *want, const char *where)
{
	struct asyncd_conf c;
	char err[1024], full[1024];

	(void)snprintf(full, sizeof(full), "%s:%s", conf_path, want);
	if (load(text, &c, err, sizeof(err)) != -1)
		fail_msg("%s: loaded, expected error \"%s\"\n--\n%s--", where,
		    want, text);
	if (strcmp(err, full) != 0)
		fail_msg("%s:\n  got  \"%s\"\n  want \"%s\"\n--\n%s--", where,
		    err, full, text);
	/* A failed load leaves nothing behind. */
	assert_null(c.path);
	assert_null(c.server_name);
	assert_int_equal(c.nlisten, 0);
	conf_free(&c);
}

struct row {
	const char	*text;
	const char	*err;		/* after "PATH:" */
};
#define ROWS(t)	(sizeof(t) / sizeof((t)[0]))

static void
run_rows(const struct row *rows, size_t n, const char *table)
{
	char where[64];
	size_t i;

	for (i = 0; i < n; i++) {
		(void)snprintf(where, sizeof(where), "%s[%zu]", table, i);
		expect_error_at(rows[i].text, rows[i].err, where);
	}
}

static void
load_ok(const char *text, struct asyncd_conf *c)
{
	char err[1024];

	if (load(text, c, err, sizeof(err)) != 0)
		fail_msg("load failed: %s\n--\n%s--", err, text);
}

/* ---- defaults ------------------------------------------------------------- */

static void
assert_defaults(const struct asyncd_conf *c)
{
	assert_int_equal(c->nlisten, 1);
	assert_string_equal(c->listen[0].addr, "127.0.0.1:8000");
	assert_string_equal(c->listen[0].host, "127.0.0.1");
	assert_int_equal(c->listen[0].port, 8000);
	assert_int_equal(c->workers, 1);
	assert_int_equal(c->reuseport, 0);
	assert_null(c->user);
	assert_null(c->group);
	assert_int_equal(c->have_uid, 0);
	assert_int_equal(c->have_gid, 0);
	assert_null(c->pid_file);
	assert_int_equal(c->max_connections, 10000);
	assert_int_equal(c->limits.max_line, 8192);
	assert_int_equal(c->limits.max_head, 16384);
	assert_int_equal(c->limits.max_headers, 100);
	assert_int_equal(c->limits.max_body, 1048576);
	assert_int_equal(c->limits.max_trailer, HTTP_DEFAULT_MAX_TRAILER);
	assert_int_equal(c->limits.max_chunk_line,
	    HTTP_DEFAULT_MAX_CHUNK_LINE);
	assert_true(c->timeouts.header == 10.0);
	assert_true(c->timeouts.body == 10.0);
	assert_true(c->timeouts.keepalive == 75.0);
	assert_true(c->timeouts.send == 10.0);
	assert_true(c->timeouts.shutdown == 10.0);
	assert_true(c->timeouts.drain == 0.0);
	assert_int_equal(c->listen[0].backlog, SOMAXCONN);
	assert_true(c->timeouts.heartbeat == 10.0);
	assert_true(c->timeouts.ready == 10.0);
	assert_string_equal(c->error_log, "stderr");
	assert_int_equal(c->log_level, LOG_LEVEL_INFO);
	assert_int_equal(c->syslog_facility, LOG_FACILITY_DAEMON);
	assert_string_equal(c->syslog_socket, "/dev/log");
	assert_null(c->access_log);
	assert_string_equal(c->stats_path, "/stats");
	assert_string_equal(c->metrics_path, "/metrics");
	assert_string_equal(c->healthz_path, "/healthz");
	assert_int_equal(c->napps, 0);
	assert_string_equal(c->server_name, "asyncd");
}

static void
test_conf_empty_file_takes_every_default(void **state)
{
	struct asyncd_conf c;

	(void)state;
	load_ok("", &c);
	assert_defaults(&c);
	assert_string_equal(c.path, conf_path);
	conf_free(&c);
	conf_free(&c);		/* twice is harmless */

	load_ok("# only a comment\n", &c);
	assert_defaults(&c);
	conf_free(&c);
}

static void
test_conf_init_matches_an_empty_file(void **state)
{
	struct asyncd_conf c;

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	assert_defaults(&c);
	assert_null(c.path);
	conf_free(&c);
}

/* conf/asyncd.conf shows every default and loads the seed's app. */
static void
test_conf_shipped_files_load(void **state)
{
	const char *top = getenv("top_srcdir");
	struct asyncd_conf c;
	char path[1024], err[1024];

	(void)state;
	if (top == NULL)
		top = ".";
	(void)snprintf(path, sizeof(path), "%s/conf/asyncd.conf", top);
	if (access(path, R_OK) != 0)
		skip();
	if (conf_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.napps, 1);
	assert_string_equal(c.apps[0].module, "seed");
	assert_string_equal(c.apps[0].mount, "/");
	c.napps = 0;		/* the rest is every default */
	assert_defaults(&c);
	c.napps = 1;
	conf_free(&c);

	(void)snprintf(path, sizeof(path), "%s/conf/asyncd-fast.conf", top);
	if (conf_load(path, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(c.napps, 1);
	assert_string_equal(c.apps[0].module, "seed");
	assert_non_null(c.apps[0].settings);
	assert_null(c.access_log);
	conf_free(&c);
}

static const char conf_full[] =
    "# every setting, none at its default\n"
    "listen = [ \"127.0.0.1:0 backlog=1\", \"[::1]:8080  backlog=65535 proxy_protocol\",\n"
    "  \"*:9000\", \"[0:0::0:1]:1\", \"0.0.0.0:65535\" ];\n"
    "trusted_proxies = [ \"10.0.0.0/8\", \"2001:db8::1\" ];\n"
    "workers = 4;\n"
    "reuseport = true;\n"
    "user = \"root\";\n"
    "group = \"root\";\n"
    "pid_file = \"/run/asyncd/asyncd.pid\";\n"
    "max_connections = 1000000;\n"
    "limits = {\n"
    "  request_line = 256;\n"
    "  header_size = 1024;\n"
    "  header_count = 1000;\n"
    "  body = 0;\n"
    "};\n"
    "timeouts = { header = 1; body = 2.5; keepalive = 0.001;\n"
    "  send = 86400; shutdown = 30.25; drain = 86400; heartbeat = 0.1;\n"
    "  ready = 3600; };\n"
    "log = { error = \"/var/log/asyncd/error.log\"; level = \"debug\";\n"
    "  syslog_facility = \"local5\"; syslog_socket = \"/run/s/log\";\n"
    "  access = \"/var/log/asyncd/access \\\"q\\\".log\"; };\n"
    "stats = { metrics = \"/_/prom:v1;x=1\"; path = \"off\";\n"
    "  healthz = \"/hz\"; };\n"
    "apps = (\n"
    "  { module = \"/usr/lib/x/seed.so\"; mount = \"/api/v1\";\n"
    "    name = \"seedy\"; body = 5000000; timeout = 2.5;\n"
    "    stack_size = 131072; cancel_on_disconnect = true;\n"
    "    settings = { a = 1; b = \"x\"; c = ( { d = 2.5; } ); }; },\n"
    "  { module = \"second\"; }\n"
    ");\n"
    "server_name = \"asyncd/0.1 (test)\";\n";

static void
test_conf_every_setting_is_read(void **state)
{
	struct asyncd_conf c;

	(void)state;
	load_ok(conf_full, &c);
	assert_int_equal(c.nlisten, 5);
	assert_string_equal(c.listen[0].addr, "127.0.0.1:0");
	assert_int_equal(c.listen[0].port, 0);
	assert_int_equal(c.listen[0].backlog, 1);
	assert_string_equal(c.listen[1].addr, "[::1]:8080");
	assert_int_equal(c.listen[1].backlog, 65535);
	assert_int_equal(c.listen[2].backlog, SOMAXCONN);
	assert_string_equal(c.listen[1].host, "[::1]");
	assert_int_equal(c.listen[1].proxy_protocol, 1);
	assert_int_equal(c.listen[0].proxy_protocol, 0);
	assert_int_equal(c.ntrusted, 2);
	assert_int_equal(c.trusted[0].bits, 96 + 8);
	assert_int_equal(c.trusted[1].bits, 128);
	assert_string_equal(c.listen[2].addr, "*:9000");
	assert_string_equal(c.listen[2].host, "*");
	assert_string_equal(c.listen[3].addr, "[::1]:1");	/* canonical */
	assert_string_equal(c.listen[4].addr, "0.0.0.0:65535");
	assert_int_equal(c.listen[4].port, 65535);
	assert_int_equal(c.workers, 4);
	assert_int_equal(c.reuseport, 1);
	assert_string_equal(c.user, "root");
	assert_string_equal(c.group, "root");
	assert_int_equal(c.have_uid, 1);
	assert_int_equal(c.uid, 0);
	assert_int_equal(c.have_gid, 1);
	assert_int_equal(c.gid, 0);
	assert_string_equal(c.pid_file, "/run/asyncd/asyncd.pid");
	assert_int_equal(c.max_connections, 1000000);
	assert_int_equal(c.limits.max_line, 256);
	assert_int_equal(c.limits.max_head, 1024);
	assert_int_equal(c.limits.max_headers, 1000);
	assert_int_equal(c.limits.max_body, 0);
	assert_true(c.timeouts.header == 1.0);
	assert_true(c.timeouts.body == 2.5);
	assert_true(c.timeouts.keepalive == 0.001);
	assert_true(c.timeouts.send == 86400.0);
	assert_true(c.timeouts.shutdown == 30.25);
	assert_true(c.timeouts.drain == 86400.0);
	assert_true(c.timeouts.heartbeat == 0.1);
	assert_true(c.timeouts.ready == 3600.0);
	assert_string_equal(c.error_log, "/var/log/asyncd/error.log");
	assert_int_equal(c.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(c.syslog_facility, 21);
	assert_string_equal(c.syslog_socket, "/run/s/log");
	assert_string_equal(c.access_log, "/var/log/asyncd/access \"q\".log");
	assert_null(c.stats_path);
	assert_string_equal(c.metrics_path, "/_/prom:v1;x=1");
	assert_string_equal(c.healthz_path, "/hz");
	assert_int_equal(c.napps, 2);
	assert_string_equal(c.apps[0].module, "/usr/lib/x/seed.so");
	assert_string_equal(c.apps[0].mount, "/api/v1");
	assert_string_equal(c.apps[0].name, "seedy");
	assert_int_equal(c.apps[0].opts.body_max, 5000000);
	assert_true(c.apps[0].opts.timeout == 2.5);
	assert_int_equal(c.apps[0].opts.stack_size, 131072);
	assert_int_equal(c.apps[0].opts.cancel_on_disconnect, 1);
	assert_non_null(c.apps[0].settings);
	assert_string_equal(c.apps[1].module, "second");
	assert_string_equal(c.apps[1].mount, "/");	/* the default */
	assert_string_equal(c.apps[1].name, "second");	/* the module's */
	assert_null(c.apps[1].settings);
	assert_string_equal(c.server_name, "asyncd/0.1 (test)");
	conf_free(&c);
}

static void
test_conf_accepts_edge_values(void **state)
{
	struct asyncd_conf c;

	(void)state;
	load_ok("workers = \"auto\";\n", &c);
	assert_int_equal(c.workers, CONF_WORKERS_AUTO);
	conf_free(&c);
	load_ok("workers = 256; max_connections = 1;\n", &c);
	assert_int_equal(c.workers, 256);
	assert_int_equal(c.max_connections, 1);
	conf_free(&c);
	/* A single string is a one-address list. */
	load_ok("listen = \"[::]:80\";\n", &c);
	assert_int_equal(c.nlisten, 1);
	assert_string_equal(c.listen[0].addr, "[::]:80");
	conf_free(&c);
	/* PORT alone is "*:PORT" (rt_addr_parse): the same address. */
	load_ok("listen = [ \"8080 backlog=7\" ];\n", &c);
	assert_string_equal(c.listen[0].addr, "*:8080");
	assert_string_equal(c.listen[0].host, "*");
	assert_int_equal(c.listen[0].port, 8080);
	assert_int_equal(c.listen[0].backlog, 7);
	conf_free(&c);
	/* A list ( ) works like an array [ ]. */
	load_ok("listen = ( \"127.0.0.1:1\", \"127.0.0.1:2\" );\n", &c);
	assert_int_equal(c.nlisten, 2);
	conf_free(&c);
	/* Port 0 may repeat: each gets its own ephemeral port. */
	load_ok("listen = [ \"127.0.0.1:0\", \"127.0.0.1:0\" ];\n", &c);
	assert_int_equal(c.nlisten, 2);
	conf_free(&c);
	/* Sixteen addresses is the maximum, not over it. */
	load_ok("listen = [ \"*:1\", \"*:2\", \"*:3\", \"*:4\", \"*:5\", "
	    "\"*:6\", \"*:7\", \"*:8\", \"*:9\", \"*:10\", \"*:11\", \"*:12\", "
	    "\"*:13\", \"*:14\", \"*:15\", \"*:16\" ];\n", &c);
	assert_int_equal(c.nlisten, 16);
	conf_free(&c);
	load_ok("limits = { request_line = 65535; header_size = 1048576; "
	    "body = 1073741824; };\n", &c);
	assert_int_equal(c.limits.max_line, 65535);
	assert_int_equal(c.limits.max_head, 1048576);
	assert_int_equal(c.limits.max_body, 1073741824);
	conf_free(&c);
	/* header_size = request_line + 4 exactly. */
	load_ok("limits = { request_line = 1020; header_size = 1024; };\n",
	    &c);
	conf_free(&c);
	/* 64-bit literals are fine when in range. */
	load_ok("limits = { body = 1024L; };\nmax_connections = 0x10;\n", &c);
	assert_int_equal(c.limits.max_body, 1024);
	assert_int_equal(c.max_connections, 16);
	conf_free(&c);
	load_ok("log = { error = \"stderr\"; access = \"off\"; "
	    "level = \"error\"; };\n", &c);
	assert_int_equal(c.log_level, LOG_LEVEL_ERROR);
	assert_null(c.access_log);
	conf_free(&c);
	load_ok("log = { level = \"warn\"; };\n", &c);
	assert_int_equal(c.log_level, LOG_LEVEL_WARN);
	assert_string_equal(c.access_format, "combined");
	assert_int_equal(c.access_fmt.nhdrs, 2);	/* Referer, UA */
	assert_true(c.access_flush == 1);
	conf_free(&c);
	load_ok("log = { format = \"json\"; flush = 0; };\n", &c);
	assert_int_equal(c.access_fmt.escape, HTTP_LOGFMT_ESC_JSON);
	assert_true(c.access_flush == 0);
	conf_free(&c);
	load_ok("log = { format = \"$status $http_x_real_ip\"; "
	    "escape = \"json\"; };\n", &c);
	assert_int_equal(c.access_fmt.escape, HTTP_LOGFMT_ESC_JSON);
	assert_int_equal(c.access_fmt.nhdrs, 1);
	conf_free(&c);
	load_ok("log = { error = \"syslog\"; syslog_facility = \"user\"; };\n",
	    &c);
	assert_string_equal(c.error_log, "syslog");
	assert_int_equal(c.syslog_facility, 1);
	assert_string_equal(c.syslog_socket, "/dev/log");
	conf_free(&c);
	load_ok("log = { syslog_facility = \"local7\"; syslog_socket = \"/"
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "123456789012345678901234567890123456789012345\"; };\n", &c);
	assert_int_equal(c.syslog_facility, 23);
	assert_int_equal(strlen(c.syslog_socket), 107);
	conf_free(&c);
	load_ok("server_name = \"x\";\n", &c);
	assert_string_equal(c.server_name, "x");
	conf_free(&c);
	load_ok("reuseport = false; pid_file = \"off\"; user = \"\";\n"
	    "group = \"\";\n", &c);
	assert_int_equal(c.reuseport, 0);
	assert_null(c.pid_file);
	assert_null(c.user);
	assert_null(c.group);
	assert_int_equal(c.have_uid, 0);
	assert_int_equal(c.have_gid, 0);
	conf_free(&c);
	load_ok("timeouts = { heartbeat = 3600; ready = 0.1; };\n", &c);
	assert_true(c.timeouts.heartbeat == 3600.0);
	assert_true(c.timeouts.ready == 0.1);
	conf_free(&c);
	/* Both stats pages off; an empty group keeps both defaults. */
	load_ok("stats = { path = \"off\"; metrics = \"off\"; };\n", &c);
	assert_null(c.stats_path);
	assert_null(c.metrics_path);
	conf_free(&c);
	load_ok("stats = { };\n", &c);
	assert_string_equal(c.stats_path, "/stats");
	assert_string_equal(c.metrics_path, "/metrics");
	assert_int_equal(c.has_stats_listen, 0);
	conf_free(&c);
	/* The stats listener, canonical as listen's addresses are. */
	load_ok("stats = { listen = \"[::1]:9100\"; };\n", &c);
	assert_int_equal(c.has_stats_listen, 1);
	assert_string_equal(c.stats_listen.addr, "[::1]:9100");
	assert_string_equal(c.tasks_path, "/debug/tasks");
	conf_free(&c);
	load_ok("stats = { tasks = \"off\"; };\n", &c);
	assert_null(c.tasks_path);
	conf_free(&c);
	/* Any path, "/" included (an app's route there is refused when the
	 * apps load). */
	load_ok("stats = { path = \"/\"; metrics = \"/m/\"; healthz = "
	    "\"off\"; };\n", &c);
	assert_string_equal(c.stats_path, "/");
	assert_string_equal(c.metrics_path, "/m/");
	assert_null(c.healthz_path);
	conf_free(&c);
	/* Digits in names and strings are not numbers. */
	load_ok("server_name = \"99999999999\"; # 99999999999\n"
	    "/* 99999999999 */ // 99999999999\n", &c);
	conf_free(&c);
}

/* ---- user and group ------------------------------------------------------- */

/* Resolved at load time; a user alone takes its primary group. */
static void
test_conf_user_and_group_are_resolved(void **state)
{
	const struct passwd *pw;
	const struct group *gr;
	struct asyncd_conf c;
	uid_t uid;
	gid_t gid;

	(void)state;
	if ((pw = getpwnam("nobody")) == NULL || (gr = getgrnam("root")) ==
	    NULL)
		skip();
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	load_ok("user = \"nobody\";\n", &c);
	assert_string_equal(c.user, "nobody");
	assert_null(c.group);
	assert_int_equal(c.have_uid, 1);
	assert_int_equal(c.uid, uid);
	assert_int_equal(c.have_gid, 1);
	assert_int_equal(c.gid, gid);
	conf_free(&c);
	/* The group named wins, before or after the user. */
	load_ok("group = \"root\";\nuser = \"nobody\";\n", &c);
	assert_int_equal(c.uid, uid);
	assert_int_equal(c.have_gid, 1);
	assert_int_equal(c.gid, 0);
	conf_free(&c);
	load_ok("group = \"root\";\n", &c);
	assert_null(c.user);
	assert_int_equal(c.have_uid, 0);
	assert_string_equal(c.group, "root");
	assert_int_equal(c.have_gid, 1);
	assert_int_equal(c.gid, 0);
	conf_free(&c);
}

static const struct row user_rows[] = {
	{ "\nuser = \"asyncd-no-such-user\";\n",
	  "2: user: unknown user \"asyncd-no-such-user\"" },
	{ "group = \"asyncd-no-such-group\";\n",
	  "1: group: unknown group \"asyncd-no-such-group\"" },
	/* Names, not ids. */
	{ "user = 0;\n",
	  "1: user: must be a user name or \"\", not 0" },
	{ "group = 0;\n",
	  "1: group: must be a group name or \"\", not 0" },
	{ "user = \"0\";\n",
	  "1: user: unknown user \"0\"" },
	{ "user = \"root\\n\";\n",
	  "1: user: unknown user \"root\\x0a\"" },
	/* A valid group does not excuse an unknown user. */
	{ "group = \"root\";\nuser = \"asyncd-no-such-user\";\n",
	  "2: user: unknown user \"asyncd-no-such-user\"" },
};

static void
test_conf_rejects_unknown_users_and_groups(void **state)
{
	(void)state;
	run_rows(user_rows, ROWS(user_rows), "user_rows");
}

/* Which stats listeners /debug/tasks is served on. */
static void
test_conf_listen_private(void **state)
{
	static const struct {
		const char	*host;
		int		 private;
	} rows[] = {
		{ "127.0.0.1", 1 }, { "127.9.9.9", 1 }, { "10.1.2.3", 1 },
		{ "172.16.0.1", 1 }, { "172.31.255.255", 1 },
		{ "172.32.0.1", 0 }, { "172.15.0.1", 0 }, { "192.168.1.1", 1 },
		{ "192.169.1.1", 0 }, { "8.8.8.8", 0 }, { "0.0.0.0", 0 },
		{ "::1", 1 }, { "fd00::1", 1 }, { "fc00::1", 1 },
		{ "fe80::1", 1 }, { "2001:db8::1", 0 }, { "::", 0 },
		{ "*", 0 }, { "localhost", 1 }, { "example.com", 0 },
	};
	struct conf_listen l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&l, 0, sizeof(l));
		(void)snprintf(l.host, sizeof(l.host), "%s", rows[i].host);
		if (conf_listen_private(&l) != rows[i].private)
			fail_msg("%s: private %d", rows[i].host,
			    !rows[i].private);
	}
}

/* ---- stats ---------------------------------------------------------------- */

static const struct row stats_rows[] = {
	{ "stats = \"off\";\n",
	  "1: stats: must be a group { path; metrics; healthz; listen; tasks; "
	  "}, not \"off\"" },
	{ "stats = {\n tasks = \"/metrics\"; };\n",
	  "2: stats.tasks: \"/metrics\" is also stats.metrics" },
	{ "listen = \"127.0.0.1:8080\";\nstats = {\n listen = "
	  "\"127.0.0.1:8080\";\n};\n",
	  "3: stats.listen: \"127.0.0.1:8080\" is also in listen" },
	{ "listen = \"127.0.0.1:8080 proxy_protocol\";\nstats = {\n listen = "
	  "\"127.0.0.1:8080\";\n};\n",
	  "3: stats.listen: \"127.0.0.1:8080\" is also in listen" },
	{ "stats = { listen = \"127.0.0.1:9100 proxy_protocol\"; };\n",
	  "1: stats.listen: \"127.0.0.1:9100 proxy_protocol\": proxy_protocol "
	  "is for the public listeners" },
	{ "stats = { listen = \"nope\"; };\n",
	  "1: stats.listen: \"nope\": expected \"ADDR:PORT\" (no port)" },
	{ "stats = { listen = 9100; };\n",
	  "1: stats.listen: must be \"off\" or a string \"ADDR:PORT\", not 9100" },
	{ "stats = {\n path = \"stats\";\n};\n",
	  "2: stats.path: must be \"off\" or an absolute URL path (\"/...\"), "
	  "not \"stats\"" },
	{ "stats = { metrics = \"\"; };\n",
	  "1: stats.metrics: must be \"off\" or an absolute URL path "
	  "(\"/...\"), not \"\"" },
	{ "stats = { path = false; };\n",
	  "1: stats.path: must be \"off\" or an absolute URL path (\"/...\"), "
	  "not false" },
	/* Compared with the raw request path: no escapes, query or space. */
	{ "stats = { path = \"/st%61ts\"; };\n",
	  "1: stats.path: must be \"off\" or an absolute URL path (\"/...\"), "
	  "not \"/st%61ts\"" },
	{ "stats = { path = \"/stats?x\"; };\n",
	  "1: stats.path: must be \"off\" or an absolute URL path (\"/...\"), "
	  "not \"/stats?x\"" },
	{ "stats = { path = \"/my stats\"; };\n",
	  "1: stats.path: must be \"off\" or an absolute URL path (\"/...\"), "
	  "not \"/my stats\"" },
	{ "stats = { path = \"/a//b\"; };\n",
	  "1: stats.path: must be \"off\" or an absolute URL path (\"/...\"), "
	  "not \"/a//b\"" },
	{ "stats = { path = \"OFF\"; };\n",
	  "1: stats.path: must be \"off\" or an absolute URL path (\"/...\"), "
	  "not \"OFF\"" },
	{ "stats = { path = \"/"
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "456789012345678901234567890123456789012345678901234567890123456\"; "
	  "};\n",
	  "1: stats.path: must be \"off\" or an absolute URL path (\"/...\"), "
	  "not \"/01234567890123456789012345678901234567890123456789012345678"
	  "...\"" },
	/* The two pages, and the pages and the routes, do not overlap. */
	{ "stats = {\n path = \"/s\";\n metrics = \"/s\";\n};\n",
	  "3: stats.metrics: \"/s\" is also stats.path" },
	{ "stats = {\n path = \"/metrics\";\n};\n",
	  "2: stats.path: \"/metrics\" is also stats.metrics" },
	{ "stats = {\n metrics = \"/stats\";\n};\n",
	  "2: stats.metrics: \"/stats\" is also stats.path" },
	{ "stats = {\n path = \"/healthz\";\n};\n",
	  "2: stats.path: \"/healthz\" is also stats.healthz" },
	{ "stats = {\n healthz = \"/metrics\";\n};\n",
	  "2: stats.healthz: \"/metrics\" is also stats.metrics" },
};

static void
test_conf_rejects_bad_stats_paths(void **state)
{
	struct asyncd_conf c;

	(void)state;
	run_rows(stats_rows, ROWS(stats_rows), "stats_rows");
	/* Off, a page frees its path. */
	load_ok("stats = { path = \"off\"; metrics = \"/stats\"; };\n", &c);
	assert_null(c.stats_path);
	assert_string_equal(c.metrics_path, "/stats");
	conf_free(&c);
}

/* ---- types and ranges ----------------------------------------------------- */

static const struct row type_rows[] = {
	/* workers: 1..256 or "auto" */
	{ "workers = 0;\n",
	  "1: workers: must be an integer between 1 and 256 or \"auto\", "
	  "not 0" },
	{ "\nworkers = 257;\n",
	  "2: workers: must be an integer between 1 and 256 or \"auto\", "
	  "not 257" },
	{ "workers = \"many\";\n",
	  "1: workers: must be an integer between 1 and 256 or \"auto\", "
	  "not \"many\"" },
	{ "workers = \"AUTO\";\n",
	  "1: workers: must be an integer between 1 and 256 or \"auto\", "
	  "not \"AUTO\"" },
	{ "workers = 2.0;\n",
	  "1: workers: must be an integer between 1 and 256 or \"auto\", "
	  "not 2" },
	/* reuseport: a boolean */
	{ "reuseport = 1;\n",
	  "1: reuseport: must be true or false, not 1" },
	{ "reuseport = \"yes\";\n",
	  "1: reuseport: must be true or false, not \"yes\"" },
	/* pid_file: "off" or an absolute path */
	{ "pid_file = \"asyncd.pid\";\n",
	  "1: pid_file: must be \"off\" or an absolute path, "
	  "not \"asyncd.pid\"" },
	{ "pid_file = \"\";\n",
	  "1: pid_file: must be \"off\" or an absolute path, not \"\"" },
	{ "pid_file = false;\n",
	  "1: pid_file: must be \"off\" or an absolute path, not false" },
	/* max_connections: 1..1000000 */
	{ "max_connections = 0;\n",
	  "1: max_connections: must be an integer between 1 and 1000000, "
	  "not 0" },
	{ "max_connections = 1000001;\n",
	  "1: max_connections: must be an integer between 1 and 1000000, "
	  "not 1000001" },
	{ "max_connections = -1;\n",
	  "1: max_connections: must be an integer between 1 and 1000000, "
	  "not -1" },
	{ "max_connections = \"10\";\n",
	  "1: max_connections: must be an integer between 1 and 1000000, "
	  "not \"10\"" },
	{ "max_connections = true;\n",
	  "1: max_connections: must be an integer between 1 and 1000000, "
	  "not true" },
	{ "max_connections = 10.5;\n",
	  "1: max_connections: must be an integer between 1 and 1000000, "
	  "not 10.5" },
	{ "max_connections = [ 1 ];\n",
	  "1: max_connections: must be an integer between 1 and 1000000, "
	  "not an array" },
	/* limits */
	{ "limits = 5;\n",
	  "1: limits: must be a group { request_line; header_size; "
	  "header_count; body; }, not 5" },
	{ "limits = {\n request_line = 255;\n};\n",
	  "2: limits.request_line: must be an integer between 256 and 65535, "
	  "not 255" },
	{ "limits = { request_line = 65536; };\n",
	  "1: limits.request_line: must be an integer between 256 and "
	  "65535, not 65536" },
	{ "limits = { header_size = 1023; };\n",
	  "1: limits.header_size: must be an integer between 1024 and "
	  "1048576, not 1023" },
	{ "limits = { header_size = 1048577; };\n",
	  "1: limits.header_size: must be an integer between 1024 and "
	  "1048576, not 1048577" },
	{ "limits = { header_count = 0; };\n",
	  "1: limits.header_count: must be an integer between 1 and 1000, "
	  "not 0" },
	{ "limits = { header_count = 1001; };\n",
	  "1: limits.header_count: must be an integer between 1 and 1000, "
	  "not 1001" },
	{ "limits = { body = -1; };\n",
	  "1: limits.body: must be an integer between 0 and 1073741824, "
	  "not -1" },
	{ "limits = { body = 1073741825; };\n",
	  "1: limits.body: must be an integer between 0 and 1073741824, "
	  "not 1073741825" },
	{ "limits = { body = 5000000000L; };\n",
	  "1: limits.body: must be an integer between 0 and 1073741824, "
	  "not 5000000000" },
	{ "limits = { body = \"1M\"; };\n",
	  "1: limits.body: must be an integer between 0 and 1073741824, "
	  "not \"1M\"" },
	/* the head holds the line: header_size >= request_line + 4 */
	{ "limits = {\n request_line = 2000;\n header_size = 2003;\n};\n",
	  "3: limits.header_size: must be at least request_line + 4 (2004), "
	  "not 2003" },
	{ "limits = {\n request_line = 20000;\n};\n",
	  "2: limits.request_line: 20000 needs a header_size of at least "
	  "20004, and header_size is 16384" },
	/* timeouts: numbers 0.001..86400 */
	{ "timeouts = [ 1 ];\n",
	  "1: timeouts: must be a group { header; body; keepalive; send; "
	  "shutdown; drain; heartbeat; ready; }, not an array" },
	/* drain may be 0 (off), unlike the others. */
	{ "timeouts = { drain = -0.5; };\n",
	  "1: timeouts.drain: must be a number between 0 and 86400, "
	  "not -0.5" },
	{ "timeouts = {\n\n keepalive = \"fast\";\n};\n",
	  "3: timeouts.keepalive: must be a number between 0.001 and 86400, "
	  "not \"fast\"" },
	{ "timeouts = { header = 0; };\n",
	  "1: timeouts.header: must be a number between 0.001 and 86400, "
	  "not 0" },
	{ "timeouts = { body = 0.0009; };\n",
	  "1: timeouts.body: must be a number between 0.001 and 86400, "
	  "not 0.0009" },
	{ "timeouts = { send = 86400.5; };\n",
	  "1: timeouts.send: must be a number between 0.001 and 86400, "
	  "not 86400.5" },
	{ "timeouts = { shutdown = -1; };\n",
	  "1: timeouts.shutdown: must be a number between 0.001 and 86400, "
	  "not -1" },
	{ "timeouts = { shutdown = 1e999; };\n",
	  "1: timeouts.shutdown: must be a number between 0.001 and 86400, "
	  "not inf" },
	/* the master's: 0.1..3600 */
	{ "timeouts = { heartbeat = 0.09; };\n",
	  "1: timeouts.heartbeat: must be a number between 0.1 and 3600, "
	  "not 0.09" },
	{ "timeouts = { heartbeat = 3601; };\n",
	  "1: timeouts.heartbeat: must be a number between 0.1 and 3600, "
	  "not 3601" },
	{ "timeouts = {\n ready = 0;\n};\n",
	  "2: timeouts.ready: must be a number between 0.1 and 3600, not 0" },
	{ "timeouts = { ready = 86400; };\n",
	  "1: timeouts.ready: must be a number between 0.1 and 3600, "
	  "not 86400" },
	{ "timeouts = { ready = \"10s\"; };\n",
	  "1: timeouts.ready: must be a number between 0.1 and 3600, "
	  "not \"10s\"" },
	{ "timeouts = { header = true; };\n",
	  "1: timeouts.header: must be a number between 0.001 and 86400, "
	  "not true" },
	/* log */
	{ "log = \"stderr\";\n",
	  "1: log: must be a group { error; level; syslog_facility; "
	  "syslog_socket; access; format; escape; flush; }, not \"stderr\"" },
	{ "log = {\n format = \"$remote_addr $nosuch\"; };\n",
	  "2: log.format: unknown variable $nosuch" },
	{ "log = { format = \"$status $\"; };\n",
	  "1: log.format: '$' at offset 8 starts no variable name "
	  "($name or ${name})" },
	{ "log = { format = 1; };\n",
	  "1: log.format: must be \"combined\", \"json\" or a template, "
	  "not 1" },
	{ "log = { escape = \"none\"; };\n",
	  "1: log.escape: must be \"default\" or \"json\", not \"none\"" },
	{ "log = { flush = -1; };\n",
	  "1: log.flush: must be a number between 0 and 3600, not -1" },
	{ "log = { error = \"error.log\"; };\n",
	  "1: log.error: must be \"stderr\", \"syslog\" or an absolute path, "
	  "not \"error.log\"" },
	{ "log = { error = \"\"; };\n",
	  "1: log.error: must be \"stderr\", \"syslog\" or an absolute path, "
	  "not \"\"" },
	{ "log = { error = 2; };\n",
	  "1: log.error: must be \"stderr\", \"syslog\" or an absolute path, "
	  "not 2" },
	{ "log = { error = \"Syslog\"; };\n",
	  "1: log.error: must be \"stderr\", \"syslog\" or an absolute path, "
	  "not \"Syslog\"" },
	{ "log = {\n  syslog_facility = \"kern\"; };\n",
	  "2: log.syslog_facility: must be a syslog facility (\"daemon\", "
	  "\"user\", \"local0\" to \"local7\", \"mail\", \"auth\", "
	  "\"authpriv\", \"syslog\", \"lpr\", \"news\", \"uucp\", \"cron\", "
	  "\"ftp\"), not \"kern\"" },
	{ "log = { syslog_facility = \"local8\"; };\n",
	  "1: log.syslog_facility: must be a syslog facility (\"daemon\", "
	  "\"user\", \"local0\" to \"local7\", \"mail\", \"auth\", "
	  "\"authpriv\", \"syslog\", \"lpr\", \"news\", \"uucp\", \"cron\", "
	  "\"ftp\"), not \"local8\"" },
	{ "log = { syslog_facility = 3; };\n",
	  "1: log.syslog_facility: must be a syslog facility (\"daemon\", "
	  "\"user\", \"local0\" to \"local7\", \"mail\", \"auth\", "
	  "\"authpriv\", \"syslog\", \"lpr\", \"news\", \"uucp\", \"cron\", "
	  "\"ftp\"), not 3" },
	{ "log = { syslog_socket = \"dev/log\"; };\n",
	  "1: log.syslog_socket: must be an absolute path shorter than 108 "
	  "bytes, not \"dev/log\"" },
	{ "log = { syslog_socket = \"/"
	  "0123456789012345678901234567890123456789012345678901234567890"
	  "1234567890123456789012345678901234567890123456\"; };\n",
	  "1: log.syslog_socket: must be an absolute path shorter than 108 "
	  "bytes, not \"/0123456789012345678901234567890123456789012345678"
	  "9012345678...\"" },
	{ "log = { syslog_socket = false; };\n",
	  "1: log.syslog_socket: must be an absolute path shorter than 108 "
	  "bytes, not false" },
	{ "log = { level = \"verbose\"; };\n",
	  "1: log.level: must be \"error\", \"warn\", \"info\" or \"debug\", "
	  "not \"verbose\"" },
	{ "log = { level = 3; };\n",
	  "1: log.level: must be \"error\", \"warn\", \"info\" or \"debug\", "
	  "not 3" },
	{ "log = { access = \"access.log\"; };\n",
	  "1: log.access: must be \"off\" or an absolute path, "
	  "not \"access.log\"" },
	{ "log = { access = false; };\n",
	  "1: log.access: must be \"off\" or an absolute path, not false" },
	{ "log = { access = \"stderr\"; };\n",
	  "1: log.access: must be \"off\" or an absolute path, "
	  "not \"stderr\"" },
	/* server_name: 1..64 printable ASCII */
	{ "server_name = \"\";\n",
	  "1: server_name: must be 1 to 64 printable ASCII characters, "
	  "not \"\"" },
	{ "server_name = \"a\\nb\";\n",
	  "1: server_name: must be 1 to 64 printable ASCII characters, "
	  "not \"a\\x0ab\"" },
	{ "server_name = \" x\";\n",
	  "1: server_name: must be 1 to 64 printable ASCII characters, "
	  "not \" x\"" },
	{ "server_name = "
	  "\"0123456789012345678901234567890123456789012345678901234567890123"
	  "4\";\n",
	  "1: server_name: must be 1 to 64 printable ASCII characters, "
	  "not \"012345678901234567890123456789012345678901234567890123456789"
	  "...\"" },
	{ "server_name = 1;\n",
	  "1: server_name: must be a string, not 1" },
	/* listen's shape */
	{ "listen = 8000;\n",
	  "1: listen: must be a list of \"ADDR:PORT\" strings, not 8000" },
	{ "listen = [ ];\n",
	  "1: listen: needs at least one \"ADDR:PORT\"" },
	{ "listen = [ 8000 ];\n",
	  "1: listen[0]: must be a string \"ADDR:PORT\", not 8000" },
	{ "listen = { a = 1; };\n",
	  "1: listen: must be a list of \"ADDR:PORT\" strings, not a group" },
	{ "listen = [ \"*:1\", \"*:2\", \"*:3\", \"*:4\", \"*:5\", \"*:6\", "
	  "\"*:7\", \"*:8\", \"*:9\", \"*:10\", \"*:11\", \"*:12\", \"*:13\", "
	  "\"*:14\", \"*:15\", \"*:16\", \"*:17\" ];\n",
	  "1: listen: at most 16 addresses, not 17" },
	/* apps' shape */
	{ "apps = { module = \"seed\"; };\n",
	  "1: apps: must be a list ( { module = ...; mount = ...; }, ... ), "
	  "not a group" },
	{ "apps = ( \"seed\" );\n",
	  "1: apps[0]: must be a group { module = \"...\"; mount = \"/\"; "
	  "settings = { ... }; }, not \"seed\"" },
	{ "apps = (\n { mount = \"/\"; }\n);\n",
	  "2: apps[0]: missing module" },
	{ "apps = ( { module = \"\"; } );\n",
	  "1: apps[0].module: must be a module's name or path" },
	{ "apps = ( { module = 1; } );\n",
	  "1: apps[0].module: must be a module's name or path, not 1" },
	{ "apps = ( { module = \"s\"; mount = \"api\"; } );\n",
	  "1: apps[0].mount: must be \"/\" or a path such as \"/api\" (no "
	  "trailing '/'), not \"api\"" },
	{ "apps = ( { module = \"s\"; mount = \"/api/\"; } );\n",
	  "1: apps[0].mount: must be \"/\" or a path such as \"/api\" (no "
	  "trailing '/'), not \"/api/\"" },
	{ "apps = ( { module = \"s\"; mount = \"/{x}\"; } );\n",
	  "1: apps[0].mount: must be \"/\" or a path such as \"/api\" (no "
	  "trailing '/'), not \"/{x}\"" },
	{ "apps = ( { module = \"s\"; name = \"a b\"; } );\n",
	  "1: apps[0].name: must be 1 to 63 letters, digits or -._~, not "
	  "\"a b\"" },
	{ "apps = ( { module = \"s\"; settings = 1; } );\n",
	  "1: apps[0].settings: must be a group { the app's own settings }, "
	  "not 1" },
	{ "apps = ( { module = \"s\"; timeout = -1; } );\n",
	  "1: apps[0].timeout: must be a number between 0 and 86400, not -1" },
	{ "apps = ( { module = \"s\"; stack_size = 1024; } );\n",
	  "1: apps[0].stack_size: must be an integer between 16384 and "
	  "67108864, not 1024" },
	{ "apps = ( { module = \"s\"; body = -1; } );\n",
	  "1: apps[0].body: must be an integer between 0 and 1073741824, "
	  "not -1" },
	{ "apps = ( { module = \"s\"; cancel_on_disconnect = 1; } );\n",
	  "1: apps[0].cancel_on_disconnect: must be true or false, not 1" },
	{ "apps = (\n { module = \"s\"; },\n { module = \"/x/s.so\"; }\n);\n",
	  "3: apps[1]: a second app called \"s\" (give one another name)" },
	{ "apps = ( { module = \"/x/.so\"; } );\n",
	  "1: apps[0]: give the app a name (name = \"...\")" },
};

static void
test_conf_rejects_wrong_types_and_ranges(void **state)
{
	(void)state;
	run_rows(type_rows, ROWS(type_rows), "type_rows");
}

/* libconfig 1.5 wraps 32-bit overflow silently; conf_scan catches it. */
static const struct row wrap_rows[] = {
	{ "limits = {\n body = 5000000000;\n};\n",
	  "2: 5000000000 is too large for a 32-bit integer (libconfig would "
	  "wrap it; write 5000000000L if you mean it)" },
	/* 2^32 + 1024 would wrap to 1024, in range */
	{ "limits = { body = 4294968320; };\n",
	  "1: 4294968320 is too large for a 32-bit integer (libconfig would "
	  "wrap it; write 4294968320L if you mean it)" },
	{ "max_connections = 2147483648;\n",
	  "1: 2147483648 is too large for a 32-bit integer (libconfig would "
	  "wrap it; write 2147483648L if you mean it)" },
	{ "# a comment\nmax_connections = 0x100000010;\n",
	  "2: 0x100000010 is too large for a 32-bit integer (libconfig would "
	  "wrap it; write 0x100000010L if you mean it)" },
	{ "workers = -99999999999999999999;\n",
	  "1: 99999999999999999999 is too large for a 32-bit integer "
	  "(libconfig would wrap it; write 99999999999999999999L if you mean "
	  "it)" },
};

static void
test_conf_rejects_integers_libconfig_would_wrap(void **state)
{
	(void)state;
	run_rows(wrap_rows, ROWS(wrap_rows), "wrap_rows");
}

/* ---- unknown names -------------------------------------------------------- */

static const struct row unknown_rows[] = {
	{ "listen = [ \"127.0.0.1:0\" ];\nlisen = 1;\n",
	  "2: lisen: unknown setting (did you mean \"listen\"?)" },
	{ "frobnicate = 1;\n",
	  "1: frobnicate: unknown setting" },
	{ "timeouts = {\n  header = 1;\n  keepalve = 3;\n};\n",
	  "3: timeouts.keepalve: unknown setting (did you mean "
	  "\"keepalive\"?)" },
	{ "limits = {\n  header_sise = 2048;\n};\n",
	  "2: limits.header_sise: unknown setting (did you mean "
	  "\"header_size\"?)" },
	{ "log = { level = \"info\";\n  acess = \"off\"; };\n",
	  "2: log.acess: unknown setting (did you mean \"access\"?)" },
	{ "apps = (\n  { module = \"a\"; },\n"
	  "  { module = \"b\"; mnt = \"/\"; }\n);\n",
	  "3: apps[1].mnt: unknown setting (did you mean \"mount\"?)" },
	/* A setting of one group is unknown in another. */
	{ "timeouts = { request_line = 1; };\n",
	  "1: timeouts.request_line: unknown setting" },
	/* Group-level settings are not root settings. */
	{ "keepalive = 5;\n",
	  "1: keepalive: unknown setting" },
	{ "reuse_port = true;\n",
	  "1: reuse_port: unknown setting (did you mean \"reuseport\"?)" },
	{ "pidfile = \"off\";\n",
	  "1: pidfile: unknown setting (did you mean \"pid_file\"?)" },
	{ "timeouts = { hearbeat = 1; };\n",
	  "1: timeouts.hearbeat: unknown setting (did you mean "
	  "\"heartbeat\"?)" },
	{ "stats = {\n  path = \"/s\";\n  metric = \"/m\";\n};\n",
	  "3: stats.metric: unknown setting (did you mean \"metrics\"?)" },
	/* Names are case-sensitive. */
	{ "Workers = 2;\n",
	  "1: Workers: unknown setting (did you mean \"workers\"?)" },
};

static void
test_conf_rejects_unknown_settings_with_their_line(void **state)
{
	(void)state;
	run_rows(unknown_rows, ROWS(unknown_rows), "unknown_rows");
}

/* ---- listen addresses ----------------------------------------------------- */

static const struct row listen_rows[] = {
	{ "listen = [ \"127.0.0.1\" ];\n",
	  "1: listen[0]: \"127.0.0.1\": expected \"ADDR:PORT\" (no port)" },
	{ "listen = [ \"127.0.0.1:\" ];\n",
	  "1: listen[0]: \"127.0.0.1:\": PORT must be a number between 0 and "
	  "65535" },
	{ "listen = [ \"127.0.0.1:65536\" ];\n",
	  "1: listen[0]: \"127.0.0.1:65536\": PORT must be a number between "
	  "0 and 65535" },
	{ "listen = [ \"127.0.0.1:-1\" ];\n",
	  "1: listen[0]: \"127.0.0.1:-1\": PORT must be a number between 0 "
	  "and 65535" },
	{ "listen = [ \"127.0.0.1:+80\" ];\n",
	  "1: listen[0]: \"127.0.0.1:+80\": PORT must be a number between 0 "
	  "and 65535" },
	{ "listen = [ \"127.0.0.1:80a\" ];\n",
	  "1: listen[0]: \"127.0.0.1:80a\": PORT must be a number between 0 "
	  "and 65535" },
	{ "listen = [ \"127.0.0.1:000080\" ];\n",
	  "1: listen[0]: \"127.0.0.1:000080\": PORT must be a number between "
	  "0 and 65535" },
	{ "listen = [ \"256.0.0.1:80\" ];\n",
	  "1: listen[0]: \"256.0.0.1:80\": ADDR must be an IPv4 address, "
	  "\"[IPv6]\" or \"*\"" },
	{ "listen = [ \"localhost:80\" ];\n",
	  "1: listen[0]: \"localhost:80\": ADDR must be an IPv4 address, "
	  "\"[IPv6]\" or \"*\"" },
	{ "listen = [ \"1.2.3:80\" ];\n",
	  "1: listen[0]: \"1.2.3:80\": ADDR must be an IPv4 address, "
	  "\"[IPv6]\" or \"*\"" },
	{ "listen = [ \":80\" ];\n",
	  "1: listen[0]: \":80\": expected \"ADDR:PORT\"" },
	{ "listen = [ \"::1:80\" ];\n",
	  "1: listen[0]: \"::1:80\": an IPv6 address goes in brackets: "
	  "\"[::1]:PORT\"" },
	{ "listen = [ \"[::1]80\" ];\n",
	  "1: listen[0]: \"[::1]80\": expected \"[IPv6]:PORT\"" },
	{ "listen = [ \"[::1\" ];\n",
	  "1: listen[0]: \"[::1\": expected \"[IPv6]:PORT\"" },
	{ "listen = [ \"[]:80\" ];\n",
	  "1: listen[0]: \"[]:80\": bad IPv6 address" },
	{ "listen = [ \"[1.2.3.4]:80\" ];\n",
	  "1: listen[0]: \"[1.2.3.4]:80\": bad IPv6 address" },
	{ "listen = [ \"[fe80::1%eth0]:80\" ];\n",
	  "1: listen[0]: \"[fe80::1%eth0]:80\": bad IPv6 address" },
	{ "listen = [ \"*:\" ];\n",
	  "1: listen[0]: \"*:\": PORT must be a number between 0 and 65535" },
	/* The address ends at the first space; options follow it. */
	{ "listen = [ \"* :80\" ];\n",
	  "1: listen[0]: \"* :80\": expected \"ADDR:PORT\" (no port)" },
	{ "listen = [ \"*:80 backlog=0\" ];\n",
	  "1: listen[0]: \"*:80 backlog=0\": backlog= must be a number "
	  "between 1 and 65535" },
	{ "listen = [ \"*:80 backlog=65536\" ];\n",
	  "1: listen[0]: \"*:80 backlog=65536\": backlog= must be a number "
	  "between 1 and 65535" },
	{ "listen = [ \"*:80 backlog=-1\" ];\n",
	  "1: listen[0]: \"*:80 backlog=-1\": backlog= must be a number "
	  "between 1 and 65535" },
	{ "listen = [ \"*:80 backlog\" ];\n",
	  "1: listen[0]: \"*:80 backlog\": backlog= must be a number "
	  "between 1 and 65535" },
	{ "listen = [ \"*:80 backlog=1 backlog=1\" ];\n",
	  "1: listen[0]: \"*:80 backlog=1 backlog=1\": option backlog given "
	  "twice" },
	{ "listen = [ \"*:80 reuseport\" ];\n",
	  "1: listen[0]: \"*:80 reuseport\": unknown option \"reuseport\" "
	  "(known: backlog, proxy_protocol)" },
	/* Options do not make an address another one. */
	{ "listen = [ \"*:80 backlog=5\", \"0.0.0.0:80\" ];\n",
	  "1: listen[1]: \"0.0.0.0:80\" is listed twice" },
	{ "listen = [ \"\" ];\n",
	  "1: listen[0]: \"\": expected \"ADDR:PORT\" (no port)" },
	/* The element's own line, in a list over several lines (libconfig
	 * dates a value by the token after it: here the "]"). */
	{ "listen = [\n  \"127.0.0.1:80\",\n  \"127.0.0.1:http\" ];\n",
	  "3: listen[1]: \"127.0.0.1:http\": PORT must be a number between 0 "
	  "and 65535" },
	/* The same address twice (after canonical forms). */
	{ "listen = [\n  \"[::1]:80\",\n  \"[0::1]:80\" ];\n",
	  "3: listen[1]: \"[::1]:80\" is listed twice" },
	{ "listen = [ \"*:80\", \"0.0.0.0:80\" ];\n",
	  "1: listen[1]: \"0.0.0.0:80\" is listed twice" },
	{ "listen = [ \"80\", \"*:80\" ];\n",
	  "1: listen[1]: \"*:80\" is listed twice" },
	{ "listen = \"1.1.1.1\";\n",
	  "1: listen: \"1.1.1.1\": expected \"ADDR:PORT\" (no port)" },
	/* Options after the address. */
	{ "listen = [\n  \"127.0.0.1:80\",\n  \"127.0.0.1:81 proxy\" ];\n",
	  "3: listen[1]: \"127.0.0.1:81 proxy\": unknown option \"proxy\" "
	  "(known: backlog, proxy_protocol)" },
	{ "listen = \"127.0.0.1:80 proxy_protocol backlog\";\n",
	  "1: listen: \"127.0.0.1:80 proxy_protocol backlog\": backlog= must "
	  "be a number between 1 and 65535" },
	{ "listen = \"127.0.0.1:80 PROXY_PROTOCOL\";\n",
	  "1: listen: \"127.0.0.1:80 PROXY_PROTOCOL\": unknown option "
	  "\"PROXY_PROTOCOL\" (known: backlog, proxy_protocol)" },
	{ "listen = \"127.0.0.1:80 proxy_protocol=1\";\n",
	  "1: listen: \"127.0.0.1:80 proxy_protocol=1\": proxy_protocol takes "
	  "no value" },
	{ "listen = \"127.0.0.1:80 proxy_protocol proxy_protocol\";\n",
	  "1: listen: \"127.0.0.1:80 proxy_protocol proxy_protocol\": option "
	  "proxy_protocol given twice" },
	{ "listen = \"127.0.0.1:80,proxy_protocol\";\n",
	  "1: listen: \"127.0.0.1:80,proxy_protocol\": PORT must be a number "
	  "between 0 and 65535" },
	/* The address alone is the listener: options do not tell two
	 * apart. */
	{ "listen = [ \"127.0.0.1:80\", \"127.0.0.1:80 proxy_protocol\" ];\n",
	  "1: listen[1]: \"127.0.0.1:80\" is listed twice" },
	{ "listen = [ \"127.0.0.1:0\", \"127.0.0.1:0 proxy_protocol\" ];\n",
	  "1: listen[1]: \"127.0.0.1:0\" is one socket with listen[0]: give "
	  "them the same options or fixed ports" },
	/* trusted_proxies. */
	{ "trusted_proxies = [ \"10.0.0.1/8\" ];\n",
	  "1: trusted_proxies[0]: \"10.0.0.1/8\": host bits are set past /8" },
	{ "trusted_proxies = [\n \"10.0.0.0/8\",\n \"10.0.0.0/33\" ];\n",
	  "3: trusted_proxies[1]: \"10.0.0.0/33\": the prefix length must be "
	  "a number between 0 and 32" },
	{ "trusted_proxies = [ \"2001:db8::/129\" ];\n",
	  "1: trusted_proxies[0]: \"2001:db8::/129\": the prefix length must "
	  "be a number between 0 and 128" },
	{ "trusted_proxies = [ \"proxy.local\" ];\n",
	  "1: trusted_proxies[0]: \"proxy.local\": not an IPv4 or IPv6 "
	  "address" },
	{ "trusted_proxies = 10;\n",
	  "1: trusted_proxies: must be a list of \"CIDR\" strings, not 10" },
	{ "trusted_proxies = [ 10 ];\n",
	  "1: trusted_proxies[0]: must be a string \"CIDR\", not 10" },
};

static void
test_conf_rejects_bad_listen_addresses(void **state)
{
	(void)state;
	run_rows(listen_rows, ROWS(listen_rows), "listen_rows");
}

/* ---- apps: modules and their settings (apps.c, config.c) --------------- */

/* What the fake module's configure read. */
static struct {
	long long	 n;
	double		 x;
	int		 b;
	char		 str[16];	/* copied: the configuration goes */
	int		 nitems;
	long long	 k[4];
	const char	*route;		/* a pattern to add, or NULL */
	int		 fail;		/* configure says so itself */
} fake;

static int
fake_handler(struct http_req *rq, struct http_resp *rs, void *arg)
{
	(void)rq;
	(void)rs;
	(void)arg;
	return 0;
}

static int
fake_configure(struct http_app *app, const struct asyncd_settings *s)
{
	const struct asyncd_settings *e;
	const char *str;
	int i;

	if (asyncd_settings_int(s, "n", 7, 0, 10, &fake.n) != 0 ||
	    asyncd_settings_number(s, "x", 0.5, 0, 1, &fake.x) != 0 ||
	    asyncd_settings_bool(s, "b", 0, &fake.b) != 0 ||
	    asyncd_settings_string(s, "s", "dflt", &str) != 0)
		return -1;
	(void)snprintf(fake.str, sizeof(fake.str), "%s", str);
	if ((fake.nitems = asyncd_settings_count(s, "items")) < 0)
		return -1;
	for (i = 0; i < fake.nitems && i < 4; i++) {
		e = asyncd_settings_elem(s, "items", i);
		assert_non_null(e);
		if (asyncd_settings_int(e, "k", 0, 0, 100, &fake.k[i]) != 0)
			return -1;
	}
	if (fake.fail)
		return asyncd_settings_fail(s, "n", "%lld is not lucky",
		    fake.n);
	if (fake.route != NULL)
		return http_app_route(app, "GET", fake.route, fake_handler,
		    NULL, NULL);
	return 0;
}

static const struct asyncd_module fake_module = {
	.abi = ASYNCD_ABI_VERSION, .size = sizeof(struct asyncd_module),
	.name = "fake", .configure = fake_configure,
};
static const struct asyncd_module old_module = {
	.abi = ASYNCD_ABI_VERSION + 98, .size = sizeof(struct asyncd_module),
	.name = "old", .configure = fake_configure,
};
static const struct asyncd_module *const linked[] = { &fake_module,
	&old_module, NULL };

/* Loads text, then its apps: 0, or -1 with the reason in err. */
static int
load_apps(const char *text, char *err, size_t errlen)
{
	struct asyncd_conf c;
	struct apps as;
	int rc;

	if (load(text, &c, err, errlen) != 0)
		fail_msg("load failed: %s\n--\n%s--", err, text);
	apps_linked = linked;
	rc = apps_load(&as, &c, NULL, err, errlen);
	if (rc == 0)
		apps_free(&as);
	apps_linked = NULL;
	conf_free(&c);
	return rc;
}

static void
expect_apps_error(const char *text, const char *want)
{
	char err[1024], full[1024];

	if (load_apps(text, err, sizeof(err)) == 0)
		fail_msg("apps loaded, expected \"%s\"\n--\n%s--", want, text);
	(void)snprintf(full, sizeof(full), "%s:%s", conf_path, want);
	if (strcmp(err, full) != 0 && strstr(err, want) == NULL)
		fail_msg("error \"%s\", expected \"%s\"", err, full);
}

static void
test_conf_app_settings_are_read_and_checked(void **state)
{
	char err[1024];

	(void)state;
	memset(&fake, 0, sizeof(fake));
	if (load_apps("apps = ( { module = \"fake\"; settings = {\n"
	    "  n = 3; x = 0.25; b = true; s = \"str\";\n"
	    "  items = ( { k = 1; }, { k = 2; } ); }; } );\n", err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(fake.n, 3);
	assert_true(fake.x == 0.25);
	assert_int_equal(fake.b, 1);
	assert_string_equal(fake.str, "str");
	assert_int_equal(fake.nitems, 2);
	assert_int_equal(fake.k[1], 2);
	/* Absent: the defaults. */
	memset(&fake, 0, sizeof(fake));
	assert_int_equal(load_apps("apps = ( { module = \"fake\"; } );\n", err,
	    sizeof(err)), 0);
	assert_int_equal(fake.n, 7);
	assert_string_equal(fake.str, "dflt");
	assert_int_equal(fake.nitems, 0);

	memset(&fake, 0, sizeof(fake));
	expect_apps_error("apps = ( {\n module = \"fake\";\n settings = {\n"
	    "  n = \"three\"; }; } );\n", "4: apps[0].settings.n: must be an "
	    "integer between 0 and 10, not \"three\"");
	expect_apps_error("apps = ( { module = \"fake\";\n settings = {\n"
	    "  x = 2; }; } );\n", "3: apps[0].settings.x: must be a number "
	    "between 0 and 1, not 2");
	expect_apps_error("apps = ( { module = \"fake\"; settings = {\n"
	    "  items = ( { k = 1; },\n { k = 200; } ); }; } );\n",
	    "3: apps[0].settings.items[1].k: must be an integer between 0 and "
	    "100, not 200");
	expect_apps_error("apps = ( { module = \"fake\"; settings = {\n"
	    "  items = 5; }; } );\n", "2: apps[0].settings.items: must be a "
	    "list of groups ( { ... }, ... ), not 5");
	/* A setting the app does not read is a typo. */
	expect_apps_error("apps = ( { module = \"fake\"; settings = {\n"
	    "  n = 1;\n  nn = 2; }; } );\n", "3: apps[0].settings.nn: unknown "
	    "setting of the app");
	expect_apps_error("apps = ( { module = \"fake\"; settings = {\n"
	    "  items = ( { k = 1;\n kk = 2; } ); }; } );\n",
	    "3: apps[0].settings.items[0].kk: unknown setting of the app");
	/* The app's own reasons. */
	fake.fail = 1;
	expect_apps_error("apps = ( { module = \"fake\";\n settings = { n = 4; "
	    "}; } );\n", "2: apps[0].settings.n: 4 is not lucky");
	fake.fail = 0;
	fake.route = "/a//b";
	expect_apps_error("apps = ( { module = \"fake\"; } );\n",
	    "1: apps[0]: app fake: ");
	fake.route = NULL;
}

static void
test_conf_app_modules_are_found_and_checked(void **state)
{
	char err[1024];

	(void)state;
	memset(&fake, 0, sizeof(fake));
	expect_apps_error("apps = ( { module = \"nope\"; } );\n",
	    "1: apps[0]: app nope: no module \"nope\": not linked in");
	expect_apps_error("apps = ( { module = \"old\"; } );\n",
	    "1: apps[0]: app old: module old was built for asyncd ABI 99");
	expect_apps_error("apps = ( { module = \"./missing.so\"; } );\n",
	    "app missing: cannot load");
	/* A file that is not an asyncd module. */
	expect_apps_error("apps = ( { module = \"/lib/x86_64-linux-gnu/libc.so.6\";"
	    " name = \"libc\"; } );\n", "is not an asyncd module");
	/* Two apps whose routes match the same paths. */
	fake.route = "/x/{id}";
	expect_apps_error("apps = ( { module = \"fake\"; name = \"f1\"; },\n"
	    "  { module = \"fake\"; name = \"f2\"; } );\n",
	    "app f2: route GET /x/{id} matches the same paths as GET /x/{id}");
	/* Under different prefixes they do not. */
	assert_int_equal(load_apps("apps = ( { module = \"fake\"; name = \"f1\";"
	    " mount = \"/one\"; },\n  { module = \"fake\"; name = \"f2\"; "
	    "mount = \"/two\"; } );\n", err, sizeof(err)), 0);
	/* The built-in pages are routes too. */
	fake.route = "/stats";
	expect_apps_error("apps = ( { module = \"fake\"; } );\n",
	    "app asyncd: route GET /stats matches the same paths as GET "
	    "/stats");
	assert_int_equal(load_apps("stats = { path = \"off\"; };\n"
	    "apps = ( { module = \"fake\"; } );\n", err, sizeof(err)), 0);
	fake.route = NULL;
}

/* ---- libconfig's own errors ----------------------------------------------- */

static const struct row syntax_rows[] = {
	{ "workers = ;\n", "1: syntax error" },
	{ "workers = 1;\nlisten = [ \"*:1\" ];\n\nlimits = { = 3; };\n",
	  "4: syntax error" },
	/* At the end of the file: the line after the last newline. */
	{ "workers = 1;\nlimits = {\n", "3: syntax error" },
	{ "server_name = \"unterminated;\n", "2: syntax error" },	/* EOF */
	/* libconfig arrays hold scalars of one type */
	{ "listen = [ \"*:1\", 2 ];\n",
	  "1: mismatched element type in array" },
	/* duplicates, at the root and inside a group */
	{ "workers = 1;\nmax_connections = 5;\nworkers = 2;\n",
	  "3: duplicate setting name" },
	{ "timeouts = {\n  header = 1;\n  header = 2;\n};\n",
	  "3: duplicate setting name" },
};

static void
test_conf_reports_syntax_errors_with_their_line(void **state)
{
	(void)state;
	run_rows(syntax_rows, ROWS(syntax_rows), "syntax_rows");
}

static void
test_conf_reports_unreadable_files(void **state)
{
	struct asyncd_conf c;
	char err[512], want[512];

	(void)state;
	assert_int_equal(conf_load("/nonexistent/asyncd.conf", &c, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/asyncd.conf: No such file or "
	    "directory");
	conf_free(&c);

	assert_int_equal(conf_load(tmpdir, &c, err, sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s: a directory, not a "
	    "configuration file", tmpdir);
	assert_string_equal(err, want);
	conf_free(&c);
}

/*
 * What libconfig 1.5 did with an @include of something that is not a
 * regular file, and what we say now.  It called exit(2) for a directory or
 * "" (a reload with such a file killed the master), blocked in open() on a
 * FIFO, and could not open an absolute path at all.  Each row is loaded in
 * this process, under an alarm: an exit or a hang fails the test program.
 */
static void
test_conf_include_targets_are_checked(void **state)
{
	struct asyncd_conf c;
	char inc[512], fifo[512], text[1200], err[1024], want[1200];

	(void)state;
	(void)snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	(void)unlink(fifo);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);

	assert_int_equal(load("@include \"\"\n", &c, err, sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s:1: @include: an empty file "
	    "name", conf_path);
	assert_string_equal(err, want);

	assert_int_equal(load("workers = 2;\n @include \".\"\n", &c, err,
	    sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s:2: @include %s/.: a directory, "
	    "not a configuration file", conf_path, tmpdir);
	assert_string_equal(err, want);

	assert_int_equal(load("@include \"fifo\"\n", &c, err, sizeof(err)),
	    -1);
	(void)snprintf(want, sizeof(want), "%s:1: @include %s: a FIFO, not a "
	    "configuration file", conf_path, fifo);
	assert_string_equal(err, want);

	assert_int_equal(load("@include \"/dev/zero\"\n", &c, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "a device"));

	assert_int_equal(load("@include \"missing.conf\"\n", &c, err,
	    sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s:1: @include %s/missing.conf: No "
	    "such file or directory", conf_path, tmpdir);
	assert_string_equal(err, want);

	/* An absolute path works, and the rest of its line is kept. */
	(void)snprintf(inc, sizeof(inc), "%s/abs.conf", tmpdir);
	write_file(inc, "workers = 3;");	/* no newline at the end */
	(void)snprintf(text, sizeof(text), "@include \"%s\" # workers\n"
	    "max_connections = 7;\n", inc);
	load_ok(text, &c);
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.max_connections, 7);
	conf_free(&c);

	/* Lines after an include are the main file's own. */
	(void)snprintf(text, sizeof(text), "@include \"%s\"\n\n"
	    "max_connections = 0;\n", inc);
	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	(void)snprintf(want, sizeof(want), "%s:3: max_connections:",
	    conf_path);
	assert_memory_equal(err, want, strlen(want));

	/* A file that includes itself stops at the depth limit. */
	(void)snprintf(text, sizeof(text), "@include \"%s\"\n", inc);
	write_file(inc, text);
	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nested more than 10 deep"));

	/* Inside a comment or a string, @include is text (the string then
	 * fails for its newline, proof that it was read as one). */
	load_ok("/*\n@include \"nope\"\n*/\n# @include \"nope\"\n", &c);
	conf_free(&c);
	assert_int_equal(load("server_name = \"a\n@include \\\"nope\\\"\";\n",
	    &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ": server_name: "));

	/* A NUL byte makes a file something else than a configuration. */
	write_file_len(inc, "workers = 1;\n\0x", 15);
	(void)snprintf(text, sizeof(text), "@include \"%s\"\n", inc);
	assert_int_equal(load(text, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "a NUL byte"));

	alarm(0);
	(void)unlink(inc);
	(void)unlink(fifo);
}

/* @include resolves against the including file's directory, and errors
 * inside it name the included file. */
static void
test_conf_include_is_relative_and_named_in_errors(void **state)
{
	struct asyncd_conf c;
	char inc[512], err[1024], want[1024];

	(void)state;
	(void)snprintf(inc, sizeof(inc), "%s/inc.conf", tmpdir);
	write_file(inc, "workers = 3;\n");
	load_ok("@include \"inc.conf\"\nmax_connections = 7;\n", &c);
	assert_int_equal(c.workers, 3);
	assert_int_equal(c.max_connections, 7);
	conf_free(&c);

	write_file(inc, "# included\nworkers = 300;\n");
	assert_int_equal(load("@include \"inc.conf\"\n", &c, err, sizeof(err)),
	    -1);
	(void)snprintf(want, sizeof(want), "%s:2: workers: must be an integer "
	    "between 1 and 256 or \"auto\", not 300", inc);
	assert_string_equal(err, want);

	write_file(inc, "\nlimits = { body = 9999999999; };\n");
	assert_int_equal(load("@include \"inc.conf\"\n", &c, err, sizeof(err)),
	    -1);
	(void)snprintf(want, sizeof(want), "%s:2: 9999999999 is too large for "
	    "a 32-bit integer (libconfig would wrap it; write 9999999999L if "
	    "you mean it)", inc);
	assert_string_equal(err, want);

	write_file(inc, "workers = ;\n");
	assert_int_equal(load("@include \"inc.conf\"\n", &c, err, sizeof(err)),
	    -1);
	(void)snprintf(want, sizeof(want), "%s:1: syntax error", inc);
	assert_string_equal(err, want);
	(void)unlink(inc);
}

static void
test_conf_error_is_truncated_to_errlen(void **state)
{
	struct asyncd_conf c;
	char err[16];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(load("workers = 0;\n", &c, err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, conf_path, sizeof(err) - 1);
}

/* ---- dump ----------------------------------------------------------------- */

/* Both NULL, or the same string. */
static void
assert_same_string(const char *a, const char *b)
{
	if (a == NULL)
		assert_null(b);
	else {
		assert_non_null(b);
		assert_string_equal(a, b);
	}
}

static void
assert_same_conf(const struct asyncd_conf *a, const struct asyncd_conf *b)
{
	size_t i;

	assert_int_equal(a->nlisten, b->nlisten);
	for (i = 0; i < a->nlisten; i++) {
		assert_string_equal(a->listen[i].addr, b->listen[i].addr);
		assert_string_equal(a->listen[i].host, b->listen[i].host);
		assert_int_equal(a->listen[i].port, b->listen[i].port);
		assert_int_equal(a->listen[i].backlog, b->listen[i].backlog);
		assert_int_equal(a->listen[i].proxy_protocol,
		    b->listen[i].proxy_protocol);
	}
	assert_int_equal(a->ntrusted, b->ntrusted);
	for (i = 0; i < a->ntrusted; i++)
		assert_memory_equal(&a->trusted[i], &b->trusted[i],
		    sizeof(a->trusted[i]));
	assert_int_equal(a->workers, b->workers);
	assert_int_equal(a->reuseport, b->reuseport);
	assert_same_string(a->user, b->user);
	assert_same_string(a->group, b->group);
	assert_int_equal(a->have_uid, b->have_uid);
	assert_int_equal(a->have_gid, b->have_gid);
	assert_int_equal(a->uid, b->uid);
	assert_int_equal(a->gid, b->gid);
	assert_same_string(a->pid_file, b->pid_file);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_memory_equal(&a->limits, &b->limits, sizeof(a->limits));
	assert_memory_equal(&a->timeouts, &b->timeouts, sizeof(a->timeouts));
	assert_string_equal(a->error_log, b->error_log);
	assert_int_equal(a->log_level, b->log_level);
	assert_int_equal(a->syslog_facility, b->syslog_facility);
	assert_string_equal(a->syslog_socket, b->syslog_socket);
	assert_same_string(a->access_log, b->access_log);
	assert_same_string(a->stats_path, b->stats_path);
	assert_same_string(a->metrics_path, b->metrics_path);
	assert_same_string(a->healthz_path, b->healthz_path);
	assert_int_equal(a->napps, b->napps);
	for (i = 0; i < a->napps; i++) {
		assert_string_equal(a->apps[i].name, b->apps[i].name);
		assert_string_equal(a->apps[i].module, b->apps[i].module);
		assert_string_equal(a->apps[i].mount, b->apps[i].mount);
		assert_memory_equal(&a->apps[i].opts, &b->apps[i].opts,
		    sizeof(a->apps[i].opts));
		assert_int_equal(a->apps[i].settings == NULL,
		    b->apps[i].settings == NULL);
	}
	assert_string_equal(a->server_name, b->server_name);
}

/* -T's output is a config file that loads back into the same struct. */
static void
dump_round_trip(const char *text)
{
	struct asyncd_conf a, b;
	char dump[8192], err[1024];
	FILE *fp;
	size_t n;

	load_ok(text, &a);
	fp = fopen(conf_path, "w");
	assert_non_null(fp);
	conf_dump(fp, &a);
	assert_int_equal(fclose(fp), 0);
	fp = fopen(conf_path, "r");
	assert_non_null(fp);
	n = fread(dump, 1, sizeof(dump) - 1, fp);
	dump[n] = '\0';
	(void)fclose(fp);
	if (conf_load(conf_path, &b, err, sizeof(err)) != 0)
		fail_msg("the dump does not load: %s\n--\n%s--", err, dump);
	assert_same_conf(&a, &b);
	conf_free(&a);
	conf_free(&b);
}

static void
test_conf_dump_loads_back_the_same(void **state)
{
	(void)state;
	dump_round_trip("");
	dump_round_trip(conf_full);
	dump_round_trip("workers = \"auto\";\n"
	    "timeouts = { header = 0.1; body = 0.30000000000000004; "
	    "keepalive = 1e-3; heartbeat = 0.30000000000000004; };\n"
	    "server_name = \"a\\\\b\";\n");
	dump_round_trip("user = \"nobody\";\n");
	dump_round_trip("group = \"root\";\nstats = { metrics = \"off\"; };\n");
	dump_round_trip("log = { error = \"syslog\"; syslog_facility = "
	    "\"authpriv\"; syslog_socket = \"/x/\\\"y\\\"\"; };\n");
}

static void
test_conf_dump_names_every_setting(void **state)
{
	static const char *const names[] = {
		"listen = [ \"127.0.0.1:8000\" ];", "trusted_proxies = [ ];",
		"workers = 1;",
		"max_connections = 10000;", "limits = {",
		"request_line = 8192;", "header_size = 16384;",
		"header_count = 100;", "body = 1048576;", "timeouts = {",
		"header = 10.0;", "body = 10.0;", "keepalive = 75.0;",
		"send = 10.0;", "shutdown = 10.0;", "heartbeat = 10.0;",
		"ready = 10.0;", "reuseport = false;", "user = \"\";",
		"group = \"\";", "pid_file = \"off\";", "log = {",
		"error = \"stderr\";", "level = \"info\";", "access = \"off\";",
		"syslog_facility = \"daemon\";", "syslog_socket = \"/dev/log\";",
		"stats = {", "path = \"/stats\";", "metrics = \"/metrics\";",
		"healthz = \"/healthz\";", "apps = ();",
		"server_name = \"asyncd\";",
	};
	struct asyncd_conf c;
	char buf[8192];
	FILE *fp;
	size_t i, n;

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	fp = tmpfile();
	assert_non_null(fp);
	conf_dump(fp, &c);
	rewind(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	(void)fclose(fp);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strstr(buf, names[i]) == NULL)
			fail_msg("no \"%s\" in\n%s", names[i], buf);
	conf_free(&c);
}

/* ---- setup ---------------------------------------------------------------- */

static int
setup(void **state)
{
	const char *t = getenv("TMPDIR");

	(void)state;
	(void)snprintf(tmpdir, sizeof(tmpdir), "%s/asyncd-conf-XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	(void)snprintf(conf_path, sizeof(conf_path), "%s/t.conf", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	(void)unlink(conf_path);
	return rmdir(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_empty_file_takes_every_default),
		cmocka_unit_test(test_conf_init_matches_an_empty_file),
		cmocka_unit_test(test_conf_shipped_files_load),
		cmocka_unit_test(test_conf_every_setting_is_read),
		cmocka_unit_test(test_conf_accepts_edge_values),
		cmocka_unit_test(test_conf_user_and_group_are_resolved),
		cmocka_unit_test(test_conf_rejects_unknown_users_and_groups),
		cmocka_unit_test(test_conf_rejects_bad_stats_paths),
		cmocka_unit_test(test_conf_listen_private),
		cmocka_unit_test(test_conf_rejects_wrong_types_and_ranges),
		cmocka_unit_test(
		    test_conf_rejects_integers_libconfig_would_wrap),
		cmocka_unit_test(
		    test_conf_rejects_unknown_settings_with_their_line),
		cmocka_unit_test(test_conf_rejects_bad_listen_addresses),
		cmocka_unit_test(test_conf_app_settings_are_read_and_checked),
		cmocka_unit_test(test_conf_app_modules_are_found_and_checked),
		cmocka_unit_test(
		    test_conf_reports_syntax_errors_with_their_line),
		cmocka_unit_test(test_conf_reports_unreadable_files),
		cmocka_unit_test(test_conf_include_targets_are_checked),
		cmocka_unit_test(
		    test_conf_include_is_relative_and_named_in_errors),
		cmocka_unit_test(test_conf_error_is_truncated_to_errlen),
		cmocka_unit_test(test_conf_dump_loads_back_the_same),
		cmocka_unit_test(test_conf_dump_names_every_setting),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
