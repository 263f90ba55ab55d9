/*
 * apps.c - the apps a configuration names: their modules loaded, their
 * settings checked, their lifecycle run (asyncd/app.h says when each part
 * runs and why).
 *
 * Modules are loaded by the process that serves with them, a worker after
 * it forked and dropped privileges (or asyncd -t, or the short-lived
 * process that checks the configuration at start), never by the master:
 * the master holds no handle, so the workers of a reload map the file that
 * is on disk now, and a module's code first runs without root.  dlopen
 * takes RTLD_NOW, so a missing symbol fails the load, not the first call,
 * and RTLD_LOCAL, so two modules' symbols cannot bind to each other.  A
 * loaded module is never closed in a worker: the generation that loaded it
 * exits with it.
 *
 * Where a module = "NAME" is looked for: among the modules linked into the
 * program (asyncd_main), then NAME.so in each directory of
 * $ASYNCD_MODULE_PATH (':'-separated), then in the installed module
 * directory.  A name with a '/' is a path, relative to the configuration
 * file's directory.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#ifndef ASYNCD_MODULE_DIR
#define ASYNCD_MODULE_DIR	"/usr/local/lib/asyncd"
#endif

const struct asyncd_module *const *apps_linked;

/* The file for module name (or NULL if none exists), in buf. */
static const char *
apps_find(const struct asyncd_conf *conf, const char *name, char *buf,
    size_t cap)
{
	const char *path = getenv("ASYNCD_MODULE_PATH"), *p, *colon, *slash;
	size_t n;

	if (strchr(name, '/') != NULL) {
		slash = conf->path != NULL ? strrchr(conf->path, '/') : NULL;
		if (name[0] == '/' || slash == NULL)
			(void)snprintf(buf, cap, "%s", name);
		else
			(void)snprintf(buf, cap, "%.*s/%s",
			    (int)(slash - conf->path), conf->path, name);
		return buf;
	}
	for (p = path; p != NULL && *p != '\0'; p = colon + 1) {
		colon = strchr(p, ':');
		n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (n > 0 && snprintf(buf, cap, "%.*s/%s.so", (int)n, p,
		    name) < (int)cap && access(buf, F_OK) == 0)
			return buf;
		if (colon == NULL)
			break;
	}
	(void)snprintf(buf, cap, "%s/%s.so", ASYNCD_MODULE_DIR, name);
	return access(buf, F_OK) == 0 ? buf : NULL;
}

/* Loads app i's module into as (mod and dl).  0 or -1 (err set). */
static int
apps_module(struct apps *as, const struct asyncd_conf *conf, size_t i,
    char *err, size_t errlen)
{
	const struct conf_app *ca = &conf->apps[i];
	const struct asyncd_module *m = NULL;
	char path[PATH_MAX];
	const char *file;
	size_t k;
	void *dl;

	for (k = 0; apps_linked != NULL && apps_linked[k] != NULL; k++)
		if (strchr(ca->module, '/') == NULL &&
		    apps_linked[k]->name != NULL &&
		    strcmp(apps_linked[k]->name, ca->module) == 0)
			m = apps_linked[k];
	if (m == NULL) {
		if ((file = apps_find(conf, ca->module, path, sizeof(path))) ==
		    NULL)
			return conf_app_fail(conf, i, err, errlen, "no module "
			    "\"%s\": not linked in, not in $ASYNCD_MODULE_PATH,"
			    " not %s/%s.so", ca->module, ASYNCD_MODULE_DIR,
			    ca->module);
		if ((dl = dlopen(file, RTLD_NOW | RTLD_LOCAL)) == NULL)
			return conf_app_fail(conf, i, err, errlen, "cannot "
			    "load %s", dlerror());
		as->dl[i] = dl;
		if ((m = dlsym(dl, "asyncd_module")) == NULL)
			return conf_app_fail(conf, i, err, errlen, "%s is not "
			    "an asyncd module (no asyncd_module: see "
			    "ASYNCD_MODULE in <asyncd/app.h>)", file);
	}
	if (m->abi != ASYNCD_ABI_VERSION)
		return conf_app_fail(conf, i, err, errlen, "module %s was "
		    "built for asyncd ABI %u; this asyncd (%s) has ABI %d: "
		    "rebuild it against this version", ca->module, m->abi,
		    ASYNCD_VERSION_STRING, ASYNCD_ABI_VERSION);
	if (m->size < sizeof(struct asyncd_module) || m->configure == NULL)
		return conf_app_fail(conf, i, err, errlen, "module %s: a "
		    "malformed struct asyncd_module (size %u, configure %s)",
		    ca->module, m->size, m->configure != NULL ? "set" :
		    "missing");
	as->mod[i] = m;
	return 0;
}

/* Runs app i's configure.  0 or -1 (err set). */
static int
apps_configure(struct apps *as, const struct asyncd_conf *conf, size_t i,
    char *err, size_t errlen)
{
	struct asyncd_settings *s;
	int rc;

	if ((s = conf_settings_new(conf, i, err, errlen)) == NULL)
		return conf_app_fail(conf, i, err, errlen, "out of memory");
	err[0] = '\0';
	http_app_defaults(as->app[i], &conf->apps[i].opts);
	rc = as->mod[i]->configure(as->app[i], s);
	if (rc != 0 && err[0] == '\0') {
		/* The app failed in an http_app_* call, or said nothing. */
		if (http_app_error(as->app[i])[0] != '\0')
			(void)conf_app_fail(conf, i, err, errlen, "%s",
			    http_app_error(as->app[i]));
		else
			(void)conf_app_fail(conf, i, err, errlen, "its "
			    "configure failed (%d) and gave no reason", rc);
	}
	if (rc == 0 && conf_settings_finish(s) != 0)
		rc = -1;
	conf_settings_free(s);
	return rc != 0 ? -1 : 0;
}

int
apps_load(struct apps *as, const struct asyncd_conf *conf,
    const struct builtin_hooks *hooks, char *err, size_t errlen)
{
	size_t i;

	memset(as, 0, sizeof(*as));
	for (i = 0; i < conf->napps; i++) {
		as->n = i + 1;
		if (apps_module(as, conf, i, err, errlen) != 0)
			goto fail;
		if ((as->app[i] = http_app_new(conf->apps[i].name,
		    conf->apps[i].mount)) == NULL) {
			(void)conf_app_fail(conf, i, err, errlen, "out of "
			    "memory");
			goto fail;
		}
		if (apps_configure(as, conf, i, err, errlen) != 0)
			goto fail;
	}
	if ((as->app[conf->napps] = builtin_app_new(conf, hooks, 0, err,
	    errlen)) == NULL)
		goto fail;
	as->n = conf->napps + 1;
	/* Two apps' routes that match the same paths: said now, with the
	 * routes' places, not when the first worker starts. */
	if (http_apps_check(as->app, as->n, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	apps_free(as);
	return -1;
}

int
apps_init(struct apps *as, char *err, size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < as->n; i++) {
		if (as->mod[i] != NULL && as->mod[i]->init != NULL &&
		    (rc = as->mod[i]->init(as->app[i])) != 0) {
			(void)snprintf(err, errlen, "app %s: its init failed: "
			    "%s", http_app_name(as->app[i]), rc < 0 ?
			    rt_strerror(rc) : "an error");
			http_app_stop_tasks(as->app[i]);
			apps_cleanup(as);
			return -1;
		}
		as->inited[i] = 1;
	}
	return 0;
}

void
apps_cleanup(struct apps *as)
{
	size_t i;

	for (i = as->n; i-- > 0; ) {
		if (as->app[i] == NULL)
			continue;
		http_app_stop_tasks(as->app[i]);
		if (as->inited[i] && as->mod[i] != NULL &&
		    as->mod[i]->cleanup != NULL)
			as->mod[i]->cleanup(as->app[i]);
		as->inited[i] = 0;
	}
}

void
apps_free(struct apps *as)
{
	size_t i;

	for (i = 0; i < as->n; i++) {
		http_app_free(as->app[i]);
		as->app[i] = NULL;
	}
	as->n = 0;
}
