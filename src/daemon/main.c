/*
 * main.c - the daemon's entry, asyncd_main(): the command line, the
 * configuration, the apps checked, then the master.  The asyncd program is
 * asyncd_main() with no app linked in (src/asyncd.c); a program that links
 * its apps in calls it with them.
 *
 *	asyncd [-c FILE] [-t] [-T] [-v] [-V] [-h]
 *	asyncd [-c FILE] --tasks
 *
 * with --help and --version, which GNU users type by habit.  -V prints how
 * the build was made (nginx's -V), for bug reports: the context switch,
 * the sanitizers, the libev backend a loop gets here, configure's
 * arguments.
 *
 * Loads and checks the configuration, opens the logs, checks the apps'
 * settings in a short-lived child, and hands over to the master
 * (master.c), which binds the listeners and forks the workers.  The
 * process stays in the foreground and logs to stderr unless told
 * otherwise: what systemd and containers want.
 *
 * Exit status (sysexits.h): 0 after a clean stop or a successful -t/-T,
 * 1 when the master's breaker tripped (workers failing at startup or
 * crashing in a loop), EX_USAGE (64) for bad options, EX_CONFIG (78) for a
 * bad configuration (an app's settings included), EX_CANTCREAT (73) for a
 * log file that cannot be opened, EX_OSERR (71) when an address cannot be
 * bound or the runtime cannot start.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "daemon.h"
#include "tasks.h"

#ifndef ASYNCD_CONF_PATH
#define ASYNCD_CONF_PATH	"/etc/asyncd/asyncd.conf"
#endif

/* Every listen address of the config fits in a worker's server. */
_Static_assert(CONF_LISTEN_MAX <= RT_SERVER_MAX_LISTEN,
    "listen = [...] holds more addresses than rt_server");

static void __attribute__((noreturn))
asyncd_usage(FILE *fp, int ex)
{
	(void)fprintf(fp,
	    "usage: asyncd [-c FILE] [-t] [-T] [-v] [-V] [-h] [--tasks]\n"
	    "  -c FILE    configuration file (default: %s)\n"
	    "  -t         check the configuration and exit\n"
	    "  -T         check it, print every setting (defaults filled in) "
	    "and exit\n"
	    "  -v, --version\n"
	    "             print the version and exit\n"
	    "  -V         print the version and how asyncd was built, and exit\n"
	    "  -h, --help print this help and exit\n"
	    "  --tasks    print every worker's live tasks (from the stats "
	    "listener's\n"
	    "             stats.tasks page) and exit\n"
	    "See asyncd(8) and asyncd.conf(5).\n",
	    ASYNCD_CONF_PATH);
	exit(ex);
}

static int
asyncd_version(void)
{
	(void)printf("asyncd %s\n"
	    "Copyright (c) 2026 the asyncd authors.  MIT License.\n",
	    PACKAGE_VERSION);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

/*
 * -V: the build, one "what: value" a line.  The backend is the one a loop
 * gets on this machine (rt_loop_info).
 */
static int
asyncd_build(void)
{
	struct rt_loop_info li;

	rt_loop_info(&li);
	(void)printf("asyncd %s\n", PACKAGE_VERSION);
	(void)printf("context switch: %s\n", ASYNCD_BUILD_CONTEXT);
	(void)printf("sanitizers: %s\n", ASYNCD_BUILD_SANITIZERS);
	(void)printf("libev: %d.%d (built with %d.%d), backend: %s "
	    "(supported: %s)\n", li.version_major, li.version_minor,
	    li.built_major, li.built_minor, li.backend[0] != '\0' ?
	    li.backend : "none (no loop: bad $LIBEV_FLAGS?)", li.supported);
	(void)printf("configuration file: %s\n", ASYNCD_CONF_PATH);
	(void)printf("configure arguments: %s\n", ASYNCD_BUILD_CONFIGURE_ARGS);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}

/*
 * The path SIGUSR2 runs to upgrade (master.c), from argv[0] as we were
 * started, the way nginx finds itself: a name with a slash is made
 * absolute against today's directory, a bare name is looked up in $PATH as
 * the shell did.  Symbolic links are deliberately not resolved: after a
 * package upgrade the same path names the new binary, and so does a link
 * an operator re-points at a new version.  /proc/self/exe is the last
 * resort (it names the running file, which an upgrade replaced).  0, or
 * -1 if nothing fits buf.
 */
static int
asyncd_self_path(const char *argv0, char *buf, size_t size)
{
	char cwd[PATH_MAX], dir[PATH_MAX];
	const char *p, *e;
	ssize_t n;
	int len;

	if (argv0 != NULL && argv0[0] == '/')
		len = snprintf(buf, size, "%s", argv0);
	else if (argv0 != NULL && strchr(argv0, '/') != NULL &&
	    getcwd(cwd, sizeof(cwd)) != NULL)
		len = snprintf(buf, size, "%s/%s", cwd, argv0);
	else
		len = -1;
	if (len > 0 && (size_t)len < size)
		return 0;
	for (p = getenv("PATH"); argv0 != NULL && argv0[0] != '\0' &&
	    strchr(argv0, '/') == NULL && p != NULL && *p != '\0'; p = e) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		len = snprintf(dir, sizeof(dir), "%.*s", (int)(e - p), p);
		if (*e == ':')
			e++;
		if (len <= 0 || dir[0] != '/' || (size_t)len >= sizeof(dir))
			continue;
		len = snprintf(buf, size, "%s/%s", dir, argv0);
		if (len > 0 && (size_t)len < size && access(buf, X_OK) == 0)
			return 0;
	}
	if ((n = readlink("/proc/self/exe", buf, size - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/*
 * Loads and configures the apps in a child of ours, which drops privileges
 * as a worker would and exits: so that a bad app setting stops the start
 * with FILE:LINE and EX_CONFIG, before anything is bound or forked, and the
 * master never maps a module (see apps.c).  Returns 0 or the exit status.
 */
static int
asyncd_check_apps(const struct asyncd_conf *conf)
{
	char err[1024];
	struct apps as;
	int status;
	pid_t pid, r;

	if ((pid = fork()) == -1)
		fatal(EX_OSERR, "fork");
	if (pid == 0) {
		daemon_drop_privileges(conf, "asyncd: checking the apps");
		if (apps_load(&as, conf, NULL, err, sizeof(err)) != 0)
			fatalx(EX_CONFIG, "%s", err);
		_exit(0);
	}
	while ((r = waitpid(pid, &status, 0)) == -1 && errno == EINTR)
		;
	if (r == -1)
		fatal(EX_OSERR, "waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	log_error("checking the apps: killed by signal %d (%s)",
	    WTERMSIG(status), strsignal(WTERMSIG(status)));
	return EX_SOFTWARE;
}

int
asyncd_main(int argc, char **argv, const struct asyncd_module *const *modules)
{
	struct asyncd_conf conf;
	struct apps as;
	const char *path = ASYNCD_CONF_PATH;
	char err[1024], self[PATH_MAX];
	int ch, test = 0, dump = 0, tasks = 0, rc;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ "tasks", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};

	apps_linked = modules;
	memset(&conf, 0, sizeof(conf));
	while ((ch = getopt_long(argc, argv, "c:tThvV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'T':
			dump = 1;
			break;
		case 'v':
			return asyncd_version();
		case 'V':
			return asyncd_build();
		case 'P':
			tasks = 1;
			break;
		case 'h':
			asyncd_usage(stdout, 0);
		default:
			asyncd_usage(stderr, EX_USAGE);
		}
	}
	if (optind != argc) {
		(void)fprintf(stderr, "asyncd: unexpected argument \"%s\"\n",
		    argv[optind]);
		asyncd_usage(stderr, EX_USAGE);
	}

	if (conf_load(path, &conf, err, sizeof(err)) == -1) {
		/* Under systemd, at the error priority: journalctl -p err. */
		(void)fprintf(stderr, "%sasyncd: %s\n",
		    log_stderr_prefix(LOG_LEVEL_ERROR), err);
		if (test || dump)
			(void)fprintf(stderr, "%sasyncd: configuration file %s "
			    "test failed\n", log_stderr_prefix(LOG_LEVEL_ERROR),
			    path);
		return EX_CONFIG;
	}
	if (tasks) {
		rc = tasks_print(&conf, stdout);
		conf_free(&conf);
		return rc;
	}
	if (test || dump) {
		/* Every app's settings too: its module is loaded and its
		 * configure runs, here. */
		if (apps_load(&as, &conf, NULL, err, sizeof(err)) != 0) {
			(void)fprintf(stderr, "%sasyncd: %s\n"
			    "%sasyncd: configuration file %s test failed\n",
			    log_stderr_prefix(LOG_LEVEL_ERROR), err,
			    log_stderr_prefix(LOG_LEVEL_ERROR), path);
			conf_free(&conf);
			return EX_CONFIG;
		}
		apps_free(&as);
		/* -T keeps stdout a loadable config file. */
		if (dump) {
			conf_dump(stdout, &conf);
			(void)fprintf(stderr, "asyncd: configuration OK (%s)\n",
			    path);
		} else
			(void)printf("asyncd: configuration OK (%s)\n", path);
		conf_free(&conf);
		return fflush(stdout) == 0 ? 0 : EX_IOERR;
	}

	if ((rc = log_init_conf(&conf)) != 0) {
		errno = -rc;
		fatal(EX_CANTCREAT, "cannot open the error log %s",
		    conf.error_log);
	}
	if ((rc = log_access_open(conf.access_log)) != 0) {
		errno = -rc;
		fatal(EX_CANTCREAT, "cannot open the access log %s",
		    conf.access_log);
	}
	/* daemon_drop_privileges() changes nothing unless we are root: say
	 * so, rather than let "user" look obeyed (under the shipped unit's
	 * DynamicUser=yes, for one). */
	if ((conf.have_uid || conf.have_gid) && geteuid() != 0)
		log_warn("user and group ignored: asyncd did not start as "
		    "root");
	if ((rc = asyncd_check_apps(&conf)) != 0) {
		log_close();
		conf_free(&conf);
		return rc;
	}
	/* The title overwrites argv's strings: keep the path elsewhere, the
	 * master reloads from it, and the program's, SIGUSR2 runs it. */
	if ((path = strdup(path)) == NULL)
		fatal(EX_OSERR, "strdup");
	if (asyncd_self_path(argv[0], self, sizeof(self)) != 0) {
		log_warn("cannot tell this program's path: SIGUSR2 (upgrade) "
		    "will fail");
		self[0] = '\0';
	}
	if ((rc = proctitle_init(argc, argv)) != 0)
		log_warn("cannot set process titles: %s", strerror(-rc));
	rc = master_run(&conf, path, self);
	free((char *)path);
	log_close();
	conf_free(&conf);
	return rc;
}
