/*
 * asyncd/asyncd.h - everything public of libasyncd, in one include:
 *
 *   <asyncd/version.h>  the version, the ABI version, ASYNCD_API
 *   <asyncd/rt.h>       the runtime: loop, tasks, futures, sleeps,
 *                       gather/wait, cancellation, locks, queues, streams,
 *                       TCP, name resolution
 *   <asyncd/http.h>     the handler API (requests, responses, apps,
 *                       routes, middlewares) and an HTTP client
 *   <asyncd/app.h>      app modules for the daemon, their settings, and
 *                       asyncd_main() for programs that link apps in
 *
 * Build with `pkg-config --cflags --libs asyncd`.  Every exported symbol
 * is prefixed rt_, http_ or asyncd_; every header compiles alone, as C99
 * and as C++.  asyncd(8) and asyncd.conf(5) document the daemon; the
 * README's "Writing an app" walks through a first app.
 */
#ifndef ASYNCD_ASYNCD_H
#define ASYNCD_ASYNCD_H

#include <asyncd/version.h>
#include <asyncd/rt.h>
#include <asyncd/http.h>
#include <asyncd/app.h>

#endif /* ASYNCD_ASYNCD_H */
