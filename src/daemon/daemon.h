/*
 * daemon.h - the daemon layer's header (DESIGN.md §1: src/daemon/ holds
 * what makes the HTTP layer a service: the configuration, the logs, the
 * master, the workers and their channel (chan.h), the apps they load).
 *
 * The daemon sits above the runtime and the HTTP layer and hands the server
 * what it needs (limits, timeouts, a log function, the access log's fd); the
 * server knows nothing of this header.
 *
 * Unlike the layers below, the daemon may print and exit (STYLE.md §4), but
 * only at startup, through fatal() and fatalx(), with an exit code from
 * <sysexits.h>: EX_CONFIG (78) for a bad configuration.  Everything else
 * returns 0 on success and, on failure, one of two things, by whether the
 * caller still has to say what went wrong:
 *   -errno  nothing was said: the caller reports it (rt_strerror), as in
 *           the layers below (chan_send, log_access_open, pidfile_write,
 *           notify_send...);
 *   -1      it was said already, in the log or in the caller's err
 *           buffer (conf_load, apps_load, the master's steps), or the
 *           answer is a plain no (a lookup that finds nothing, a frame
 *           header that fails its check).
 *
 * Names (STYLE.md §2): each file's functions, statics included, carry the
 * role it plays: conf_ (config.c, conftext.c), log_ (and OpenBSD's fatal
 * and fatalx), chan_, master_ (master_fsm_ for its table), worker_, apps_,
 * builtin_, stats_, tasks_, notify_, pidfile_, proctitle_, signals_;
 * main.c, asyncd_main's file, asyncd_.
 */
#ifndef ASYNCD_DAEMON_H
#define ASYNCD_DAEMON_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <asyncd/app.h>

#include "chan.h"
#include "server.h"

/* ==== configuration (config.c) ========================================== */
/*
 * A libconfig file loaded into a validated, typed struct.  Every setting has
 * a type and a range; a missing one takes its default.  A wrong type, a
 * value out of range, a duplicate, an unknown name (at the root or inside a
 * group: a typo never passes silently) or a libconfig syntax error fails the
 * load with "FILE:LINE: what is wrong".  conf/asyncd.conf documents every
 * setting; conf_dump() prints them all back in the same syntax.
 */

#define CONF_LISTEN_MAX		16
#define CONF_HOST_MAX		RT_ADDR_HOSTLEN	/* "[" IPv6 text (45) "]" NUL */
#define CONF_ADDR_MAX		RT_ADDR_STRLEN	/* host ":" and 5 digits */
#define CONF_WORKERS_AUTO	0	/* workers = "auto": one per CPU */
#define CONF_WORKERS_MAX	256
#define CONF_SERVER_NAME_MAX	64
/* listen(2)'s backlog when no backlog= says: what it always was.  The
 * kernel caps any backlog at net.core.somaxconn (4096 since Linux 5.4). */
#define CONF_DEFAULT_BACKLOG	SOMAXCONN
#define CONF_BACKLOG_MAX	65535

/* Defaults: see conf/asyncd.conf for what each one means. */
#define CONF_DEFAULT_LISTEN		"127.0.0.1:8000"
#define CONF_DEFAULT_WORKERS		1
#define CONF_DEFAULT_MAX_CONNECTIONS	10000
#define CONF_DEFAULT_REQUEST_LINE	8192
#define CONF_DEFAULT_HEADER_SIZE	16384
#define CONF_DEFAULT_HEADER_COUNT	100
#define CONF_DEFAULT_BODY		(1024 * 1024)
#define CONF_DEFAULT_TIMEOUT_HEADER	10.0
#define CONF_DEFAULT_TIMEOUT_BODY	10.0
#define CONF_DEFAULT_TIMEOUT_KEEPALIVE	75.0	/* nginx's keepalive_timeout */
#define CONF_DEFAULT_TIMEOUT_SEND	10.0
#define CONF_DEFAULT_TIMEOUT_SHUTDOWN	10.0
#define CONF_DEFAULT_TIMEOUT_DRAIN	0.0
#define CONF_DEFAULT_TIMEOUT_HEARTBEAT	10.0
#define CONF_DEFAULT_TIMEOUT_READY	10.0
#define CONF_DEFAULT_STATS_PATH		"/stats"
#define CONF_DEFAULT_METRICS_PATH	"/metrics"
#define CONF_DEFAULT_HEALTHZ_PATH	"/healthz"
#define CONF_DEFAULT_TASKS_PATH		"/debug/tasks"
#define CONF_DEFAULT_SYSLOG_SOCKET	"/dev/log"
#define CONF_APPS_MAX			32
#define CONF_APP_NAME_MAX		64
#define CONF_DEFAULT_SERVER_NAME	"asyncd"
#define CONF_TRUSTED_MAX		64	/* trusted_proxies networks */

/*
 * One listen entry, as validated: "ADDR:PORT", then options separated by
 * spaces as nginx's listen has them ("127.0.0.1:8000 backlog=4096
 * proxy_protocol", config.c's table).  host is "*", dotted IPv4 or a
 * bracketed IPv6 literal in inet_ntop's canonical form.  addr is the
 * address part only: what names a socket (the master's listener matching,
 * distinctness); options never do.
 */
struct conf_listen {
	char		 addr[CONF_ADDR_MAX];	/* "host:port" only: the
						   listener's identity */
	char		 host[CONF_HOST_MAX];
	unsigned	 port;			/* 0: ephemeral */
	/* Options (config.c's conf_listen_opts table): */
	int		 backlog;		/* listen(2)'s, 1 .. 65535 */
	int		 proxy_protocol;	/* every connection begins with
						   a PROXY v1 or v2 header */
};

/*
 * One app of apps = ( ... ): the module it loads, where it is mounted, its
 * settings (the libconfig group, read by the module's configure through
 * asyncd_settings_*) and the defaults of its routes.
 */
struct conf_app {
	char			*name;		/* "seed": for logs and metrics */
	char			*module;	/* a linked-in module's name, a
						   file name in the module
						   directories, or a path */
	char			*mount;		/* "/", "/api" */
	const void		*settings;	/* the group (libconfig's), NULL
						   when absent; lives as long as
						   the configuration */
	const void		*where;		/* the app's own group, for
						   messages */
	struct http_route_opts	 opts;		/* body, timeout, stack_size,
						   cancel_on_disconnect */
};

struct conf_timeouts {
	double		 header;	/* seconds, all of them */
	double		 body;
	double		 keepalive;
	double		 send;
	double		 shutdown;	/* graceful stop's bound */
	double		 drain;		/* 0 .. 86400: a stop first serves this
					   long with healthz 503 and
					   Connection: close; 0: off */
	/* The master's, 0.1 .. 3600: */
	double		 heartbeat;	/* PING to PONG, else SIGABRT */
	double		 ready;		/* fork to READY, start and reload */
};

/*
 * The whole configuration.  Owned by whoever loaded it; conf_free() frees
 * the strings.  Read-only once loaded: the server keeps pointers into it
 * (the server name, the apps' settings), so it must outlive the server.
 */
struct asyncd_conf {
	char			*path;		/* the file it came from */
	struct conf_listen	 listen[CONF_LISTEN_MAX];
	size_t			 nlisten;	/* 1 .. CONF_LISTEN_MAX */
	/* trusted_proxies: peers whose X-Forwarded-For names the client. */
	struct http_cidr	 trusted[CONF_TRUSTED_MAX];
	size_t			 ntrusted;	/* 0: none (the default) */
	int			 workers;	/* 1 .. 256, or CONF_WORKERS_AUTO */
	int			 reuseport;	/* one SO_REUSEPORT socket per
						   worker and address */
	/*
	 * user and group: names as written, NULL when "" (keep the identity
	 * asyncd starts with); only meaningful when it starts as root.  Both
	 * are resolved at load time (an unknown name is a config error), so
	 * uid and gid are set when have_uid and have_gid are.  A user without
	 * a group gets have_gid and the user's primary gid: dropping to a
	 * user while keeping group root would be a trap.  The master still
	 * calls initgroups(user, gid) for the supplementary groups.
	 */
	char			*user;
	char			*group;
	uid_t			 uid;
	gid_t			 gid;
	int			 have_uid;
	int			 have_gid;
	char			*pid_file;	/* a path, or NULL: off */
	size_t			 max_connections;
	/* request_line, header_size, header_count and body; max_trailer and
	 * max_chunk_line keep the parser's defaults. */
	struct http_limits	 limits;
	struct conf_timeouts	 timeouts;
	char			*error_log;	/* "stderr", "syslog", a path */
	int			 log_level;	/* LOG_LEVEL_* */
	int			 syslog_facility; /* RFC 3164's code */
	char			*syslog_socket;	/* an absolute path */
	char			*access_log;	/* a path, or NULL: off */
	/* The access log's format: "combined", "json", or a template
	 * (logfmt.h) escaped as access_escape says; compiled. */
	char			*access_format;
	int			 access_escape;	/* HTTP_LOGFMT_ESC_* */
	struct http_logfmt	 access_fmt;
	double			 access_flush;	/* seconds lines may wait */
	/* Where GET answers the aggregated counters: JSON, Prometheus text.
	 * "/..." (RFC 3986 pchars and '/', no '%'), or NULL: off.  Neither
	 * is matched by a route, and they differ. */
	char			*stats_path;
	char			*metrics_path;
	char			*healthz_path;
	/* stats.listen: the stats listener's address, when has_stats_listen.
	 * It serves the three pages; the public listeners then serve only
	 * healthz_path of them. */
	struct conf_listen	 stats_listen;
	int			 has_stats_listen;
	/* stats.tasks: where GET lists every worker's live tasks, served
	 * only on a stats listener whose address is private
	 * (conf_listen_private); NULL: off. */
	char			*tasks_path;
	struct conf_app		 apps[CONF_APPS_MAX];
	size_t			 napps;
	char			*server_name;
	/* Private to config.c: the parsed file, kept for the apps' settings
	 * and for their messages' FILE:LINE. */
	void			*cf;		/* config_t * */
	struct conf_text	*text;
};

/* Fills conf with the defaults (strings allocated: conf_free() them).
 * 0, or -1 on ENOMEM. */
int	conf_init(struct asyncd_conf *conf);
/* Whether only this machine or a private network reaches l's host:
 * loopback, RFC 1918, IPv6 unique local or link local, "localhost". */
int	conf_listen_private(const struct conf_listen *l);

/*
 * Loads and validates the libconfig file at path into conf (which needs no
 * initialisation).  Relative @include paths resolve against the file's
 * directory.  Returns 0, or -1 with the reason in err ("FILE:LINE: what is
 * wrong", or "FILE: why it could not be read") and conf holding nothing to
 * free (conf_free() is harmless).
 */
int	conf_load(const char *path, struct asyncd_conf *conf, char *err,
	    size_t errlen);

/* Prints every setting, defaults included, as a libconfig file that loads
 * back into the same configuration (asyncd -T). */
void	conf_dump(FILE *fp, const struct asyncd_conf *conf);

/* Frees the strings conf owns and leaves it empty; safe to call twice. */
void	conf_free(struct asyncd_conf *conf);

/*
 * The text of a configuration (conftext.c): the file with its @includes
 * expanded, each file opened without blocking and checked to be a regular
 * file (libconfig 1.5 exits or hangs on a directory or a FIFO), and a map
 * from each line of the text back to its file and line.  conf_load() hands
 * libconfig the text, never a file.
 */
struct conf_text {
	char		*buf;		/* NUL-terminated */
	size_t		 len;
	struct conf_text_line *lines;	/* one per line of buf */
	size_t		 nlines;
	char		**files;	/* [0] the main file, then includes */
	size_t		 nfiles;
};

/* Reads path and its @includes.  0, or -1 with "FILE[:LINE]: why" in err
 * and nothing to free. */
int	conf_text_read(struct conf_text *t, const char *path, char *err,
	    size_t errlen);
/* The file that line (1-based, of t->buf) came from, and its line there. */
const char *conf_text_where(const struct conf_text *t, unsigned line,
	    unsigned *file_line);
void	conf_text_free(struct conf_text *t);

/* ==== logs (log.c) ======================================================== */
/*
 * The error log: one line per message,
 *	2026-11-27T05:40:00Z [info] asyncd[4242]: listening on 127.0.0.1:8000
 * (UTC, the level, the writer's pid, the message with control bytes
 * escaped as \xNN so that nothing logged can forge a line), written with a
 * single write(2) to an O_APPEND fd, so lines from several processes never
 * interleave.  Before log_init() it goes to stderr at the info level.  On
 * stderr when it is the journal's stream (JOURNAL_STREAM), a line is
 *	<6>[info] asyncd[4242]: listening on 127.0.0.1:8000
 * and to syslog, a datagram
 *	<30>Nov 27 05:40:00 asyncd[4242]: [info] listening on 127.0.0.1:8000
 *
 * The access log is only opened and reopened here; the HTTP server writes it
 * through the pointer log_access_fd() returns (http_server_conf.access_fd),
 * which sees the new fd after log_reopen().
 */

/* The levels of http_server_conf.log: 0 error .. 3 debug.  (Not LOG_INFO:
 * <syslog.h> owns those names.) */
enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* "error", "warn", "info", "debug"; NULL for another level. */
const char *log_level_name(int level);
/* The level called name, or -1. */
int	log_level_parse(const char *name);

/* Syslog facilities, by RFC 3164's code: 1 "user" .. 23 "local7". */
#define LOG_FACILITY_DAEMON	3
/* The facility's name, or NULL for a code that is none (or kern's). */
const char *log_facility_name(int facility);
/* The facility called name ("daemon", "local0"), or -1. */
int	log_facility_parse(const char *name);

/*
 * Sends the error log to path ("stderr", or a file opened O_APPEND|O_CREAT|
 * O_CLOEXEC, mode 0644) and keeps messages up to level.  Returns 0 or
 * -errno (the previous destination is kept).
 */
int	log_init(const char *path, int level);

/*
 * Sends the error log to syslog: datagrams with facility to the AF_UNIX
 * socket at path.  When nothing can be reached there, the log goes to
 * stderr, with a warning, and log_reopen() tries again.  Returns 0 or
 * -errno (the previous destination is kept).
 */
int	log_init_syslog(int level, int facility, const char *path);

/* log_init_syslog() or log_init() as conf's log.error says. */
int	log_init_conf(const struct asyncd_conf *conf);

/* "<3>" for level error (sd-daemon(3)'s prefixes) when stderr is the
 * journal's stream, else "": for what is printed to stderr directly. */
const char *log_stderr_prefix(int level);

/* Opens the access log at path (NULL or "off": none).  0 or -errno. */
int	log_access_open(const char *path);

/* The access log's fd, -1 when off: what http_server_conf.access_fd gets.
 * The pointer stays valid for the life of the process. */
const int *log_access_fd(void);

/*
 * Reopens the error and the access log files (SIGUSR1, after logrotate
 * moved them).  A file that cannot be reopened keeps its old fd and the
 * failure is logged; returns 0 or the first -errno.  Syslog that fell back
 * to stderr is tried again.
 */
int	log_reopen(void);

/* Closes the log files (and syslog's socket); messages go to stderr again. */
void	log_close(void);

/* A message at level; the signature of http_server_conf.log. */
void	log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(int level, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Logs the message at the error level (also on stderr when the error log is
 * a file) and exits with status ex, a <sysexits.h> code.  fatal() appends
 * ": strerror(errno)"; fatalx() does not.  Startup only (STYLE.md §4).
 */
void	fatal(int ex, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
void	fatalx(int ex, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));

/* ==== processes: master.c, worker.c, proctitle.c ========================== */
#include <signal.h>

/*
 * Runs the master until it stops (DESIGN.md §3): binds the listeners, forks
 * and supervises the workers, handles the signals, speaks to systemd.
 * self is the program's absolute path, which SIGUSR2 runs to upgrade
 * ("": the upgrade is refused).
 * Takes ownership of *conf (it may be replaced by reloads; the one in force
 * at the end is handed back in *conf for conf_free).  Returns the exit
 * status: 0 after a clean stop, 1 when the breaker tripped, EX_OSERR when
 * a listener could not be bound.
 */
int	master_run(struct asyncd_conf *conf, const char *path,
	    const char *self);

/* What the master hands a freshly forked worker. */
struct worker_args {
	const struct asyncd_conf *conf;
	const int		*fds;		/* listening sockets to serve */
	const unsigned		*fd_flags;	/* each one's HTTP_LISTEN_*,
						   from its listen options */
	size_t			 nfds;
	int			 stats_fd;	/* the stats listener, or -1 */
	int			 chan_fd;	/* our end of the channel */
	int			 slot;		/* worker number, 1-based */
	pid_t			 master;
	sigset_t		 sigmask;	/* to restore once set up */
};

/* The worker process's life, in the child after fork.  Never returns. */
void	worker_main(const struct worker_args *a) __attribute__((noreturn));

/*
 * Process titles as ps shows them ("asyncd: master", "asyncd: worker 2
 * (draining)").  proctitle_init moves the environment out of the way of
 * the argv block, once, after the options are parsed (argv's strings are
 * overwritten by titles afterwards); 0 or -errno.
 */
int	proctitle_init(int argc, char **argv);
void	proctitle_set(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * Ignores every asynchronous signal without an effect on the calling
 * process (signals.c lists them), except those in keep (may be NULL): the
 * master calls it before it installs its watchers, each worker after fork.
 * 0 or -errno.
 */
int	signals_ignore(const sigset_t *keep);

/* ==== apps (apps.c, builtin.c, stats.c; settings in config.c) ========== */

/*
 * The counters of every worker number, and the master's own, for the
 * built-in app's stats pages: a worker asks its master over its channel.
 * A worker number's counters are those of every process that had it since
 * the master started (the master keeps what the exited ones had counted as
 * of their last heartbeat), so they never go back; its gauges are those of
 * the processes alive.
 */
#define STATS_WORKERS_MAX	256

struct stats_worker {
	long		 pid;		/* the newest process with the number;
					   0 while none is alive */
	unsigned	 slot;		/* worker number, 1-based */
	unsigned	 procs;		/* processes alive with it */
	struct http_stats c;
};

struct stats_cluster {
	struct chan_master_stats m;
	size_t		 n;
	struct stats_worker w[STATS_WORKERS_MAX];
};

/* The body of the stats page (JSON) or, with metrics, the metrics page
 * (Prometheus text); its length or -ENOSPC. */
ssize_t	stats_body(const struct stats_cluster *cs, int metrics, char *buf,
	    size_t cap);
/* A buffer size stats_body never finds too small for cs. */
size_t	stats_body_max(const struct stats_cluster *cs);

/* The settings of app i of conf for its module's configure; errors go to
 * err.  NULL on ENOMEM.  conf_settings_finish: -1 (err set) if a setting
 * was not read. */
struct asyncd_settings *conf_settings_new(const struct asyncd_conf *conf,
	    size_t app, char *err, size_t errlen);
int	conf_settings_finish(struct asyncd_settings *s);
void	conf_settings_free(struct asyncd_settings *s);
/* "FILE:LINE: app NAME: message" at app i's group in err; -1. */
int	conf_app_fail(const struct asyncd_conf *conf, size_t app, char *err,
	    size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* What the built-in app needs from its worker. */
/*
 * A page being written into a buffer (stats.c, tasks.c): each page_put
 * appends printf-style, and the first that does not fit whole marks the
 * page full instead, leaving what was written before it intact.
 */
struct page_out {
	char	*buf;
	size_t	 cap, len;
	int	 full;
};
void	page_put(struct page_out *o, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

struct builtin_hooks {
	/* Fills out with every worker's counters (asks the master);
	 * suspends up to timeout.  0 or -errno. */
	int		(*stats)(struct stats_cluster *out, double timeout);
	/* Whether the worker is stopping or draining (healthz: 503). */
	int		(*draining)(void);
	/* Every worker's live tasks in format (tasks.h), in *body (malloc'd:
	 * the caller frees it) of *len bytes; suspends up to timeout.  0 or
	 * -errno. */
	int		(*tasks)(int format, char **body, size_t *len,
			    double timeout);
};

/*
 * The built-in app, "asyncd", mounted at "/": GET of conf's healthz, stats
 * and metrics paths (each may be off), for the public listeners; with a
 * stats listener (stats.listen), only healthz there, and all three on the
 * stats listener's app (stats_only).  hooks may be NULL (asyncd -t: the
 * routes are only checked).  NULL on ENOMEM or a bad path (err set).
 */
struct http_app *builtin_app_new(const struct asyncd_conf *conf,
	    const struct builtin_hooks *hooks, int stats_only, char *err,
	    size_t errlen);

/* The apps of one process (a worker, asyncd -t, the start's check). */
struct apps {
	size_t			 n;
	struct http_app		*app[CONF_APPS_MAX + 1];	/* the built-in
							   app last */
	const struct asyncd_module *mod[CONF_APPS_MAX + 1];	/* NULL: the
							   built-in one */
	void			*dl[CONF_APPS_MAX + 1];	/* dlopen handles */
	int			 inited[CONF_APPS_MAX + 1];
};

/*
 * The modules linked into the program (asyncd_main's argument), looked up
 * by name before any file; NULL-terminated, or NULL.
 */
extern const struct asyncd_module *const *apps_linked;

/*
 * Loads conf's apps: each module (linked in, else dlopen'd from its path
 * or the module directories: $ASYNCD_MODULE_PATH, then the installed one),
 * its ABI checked, an http_app made at its mount and its configure run
 * with its settings; then the built-in app (hooks as for builtin_app_new);
 * then every route of every app checked against the others.  0, or -1 with
 * "FILE:LINE: ..." in err and what was loaded freed.  Does not suspend.
 */
int	apps_load(struct apps *as, const struct asyncd_conf *conf,
	    const struct builtin_hooks *hooks, char *err, size_t errlen);
/* Runs each app's init in order; on a failure, cleans up the ones that
 * succeeded (in reverse) and returns -1 with the reason in err.  From a
 * task: suspends. */
int	apps_init(struct apps *as, char *err, size_t errlen);
/* Stops each app's tasks, then runs the cleanups, in reverse.  From a
 * task: suspends. */
void	apps_cleanup(struct apps *as);
/* Frees the http_apps (not the modules: a worker never dlcloses). */
void	apps_free(struct apps *as);

/* Drops root for conf's user and group (workers and the start's check);
 * exits on failure. */
void	daemon_drop_privileges(const struct asyncd_conf *conf,
	    const char *who);

#endif /* ASYNCD_DAEMON_H */
