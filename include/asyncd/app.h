/*
 * asyncd/app.h - apps for the asyncd daemon: the module an app is built
 * as, the settings it reads from asyncd.conf, and asyncd_main() for
 * programs that link their apps in.
 *
 * ---- An app module ----------------------------------------------------
 *
 * A module is a shared object that defines one struct asyncd_module called
 * asyncd_module (ASYNCD_MODULE does it):
 *
 *	#include <asyncd/asyncd.h>
 *
 *	static int
 *	configure(struct http_app *app, const struct asyncd_settings *s)
 *	{
 *		...read settings with asyncd_settings_*()...
 *		return http_app_route(app, "GET", "/hello/{name}", hello, NULL,
 *		    NULL);
 *	}
 *
 *	ASYNCD_MODULE = {
 *		.abi = ASYNCD_ABI_VERSION,
 *		.size = sizeof(struct asyncd_module),
 *		.name = "hello",
 *		.configure = configure,
 *	};
 *
 * built with `cc -shared -fPIC $(pkg-config --cflags --libs asyncd)` and
 * named in asyncd.conf:
 *
 *	apps = ( { module = "/usr/lib/asyncd/hello.so"; mount = "/";
 *	           settings = { greeting = "hello"; }; } );
 *
 * Where each part runs:
 *   - configure, in `asyncd -t`, at the daemon's start (in a short-lived
 *     process, so that a bad setting stops the start with exit status 78)
 *     and in each worker, after it forked and dropped privileges, before it
 *     serves.  It checks the app's settings and adds its routes and
 *     middlewares.  It must not suspend, and should not start anything:
 *     that is init's job.
 *   - init, in each worker after configure, before the worker says it is
 *     ready, in a task: it may suspend (connect to a database, warm a
 *     cache) and start tasks that live with the app (http_app_spawn).
 *     Returning an error fails the worker's start: at a reload the old
 *     workers keep serving.
 *   - cleanup, in each worker at a graceful stop, once the last request of
 *     the app is answered and its tasks were cancelled and joined, in a
 *     task: it may suspend.  Only for an app whose init returned 0.
 * Workers load the module themselves (dlopen, RTLD_NOW | RTLD_LOCAL); the
 * master never does.  So a reload (SIGHUP) after the module file was
 * replaced runs the new file in the new workers, while the old workers
 * finish with the old one.  Replace a module by renaming a new file over
 * it, never by writing into it: processes running it would crash.
 *
 * A module may be mounted more than once, with different settings: each
 * mount is an app of its own, but the module's globals are shared by all
 * of them (one dlopen).  Keep what belongs to an app in its data
 * (http_app_set_data()).
 *
 * A module is refused unless its abi equals the daemon's
 * ASYNCD_ABI_VERSION and its size is at least what that ABI's struct
 * needs; the message names both versions.
 *
 * Errors of configure are set with asyncd_settings_fail() (or the
 * http_app_error() of a failed http_app_* call is used), and read
 * "FILE:LINE: app NAME: what is wrong", like the daemon's own.
 */
#ifndef ASYNCD_APP_H
#define ASYNCD_APP_H

#include <stddef.h>
#include <stdint.h>

#include <asyncd/version.h>
#include <asyncd/http.h>

ASYNCD_BEGIN_DECLS

/* An app's settings group in asyncd.conf (opaque, read-only). */
struct asyncd_settings;

struct asyncd_module {
	uint32_t	 abi;		/* ASYNCD_ABI_VERSION it was built for */
	uint32_t	 size;		/* sizeof(struct asyncd_module) */
	const char	*name;		/* for messages */
	const char	*version;	/* the app's own, for logs; may be NULL */
	/* 0, or -1 with the reason set (see above).  Required. */
	int		(*configure)(struct http_app *app,
			    const struct asyncd_settings *settings);
	/* 0, or a negative errno.  May be NULL. */
	int		(*init)(struct http_app *app);
	/* May be NULL. */
	void		(*cleanup)(struct http_app *app);
	void		*reserved[8];	/* NULL: room to grow within an ABI */
};

/* Defines the module's descriptor, the one symbol the daemon looks for. */
#define ASYNCD_MODULE	\
	ASYNCD_API const struct asyncd_module asyncd_module

/*
 * Settings getters.  Each reads the setting called name of the app's group
 * (a plain name, no path), checks its type and range, and stores it in
 * *out, or def if the setting is absent.  Returns 0, or -1 with the error
 * set for the whole configure ("FILE:LINE: app NAME: settings.NAME: must be
 * an integer between LO and HI, not ..."): configure then returns -1.
 * Every setting of the group must be read by configure: one that is not
 * (a typo) is an error too.  Strings belong to the configuration, valid
 * as long as the app is.
 */
ASYNCD_API int	asyncd_settings_int(const struct asyncd_settings *s,
	    const char *name, long long def, long long lo, long long hi,
	    long long *out);
ASYNCD_API int	asyncd_settings_number(const struct asyncd_settings *s,
	    const char *name, double def, double lo, double hi, double *out);
ASYNCD_API int	asyncd_settings_bool(const struct asyncd_settings *s,
	    const char *name, int def, int *out);
ASYNCD_API int	asyncd_settings_string(const struct asyncd_settings *s,
	    const char *name, const char *def, const char **out);

/*
 * A list of groups, such as routes = ( { ... }, { ... } ): how many (0 if
 * absent; -1 with the error set if it is not a list of groups), and
 * element i as settings of its own, read with the same getters.
 */
ASYNCD_API int	asyncd_settings_count(const struct asyncd_settings *s,
	    const char *name);
ASYNCD_API const struct asyncd_settings *asyncd_settings_elem(
	    const struct asyncd_settings *s, const char *name, int i);

/* Sets the error for the setting called name (NULL: the group itself),
 * printf-style, and returns -1. */
ASYNCD_API int	asyncd_settings_fail(const struct asyncd_settings *s,
	    const char *name, const char *fmt, ...) ASYNCD_PRINTF(3, 4);

/*
 * The daemon, for a program that links its apps in: asyncd's whole command
 * line (asyncd -h), configuration, master, workers, signals, reloads and
 * systemd support.  modules is a NULL-terminated array of the modules
 * linked in: a module = "NAME" in asyncd.conf names one of them by its name
 * before any file is looked for.  Returns the exit status for main().
 */
ASYNCD_API int	asyncd_main(int argc, char **argv,
	    const struct asyncd_module *const *modules);

ASYNCD_END_DECLS

#endif /* ASYNCD_APP_H */
