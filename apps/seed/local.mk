# apps/seed: the seed's app, built and installed like any user's app
# module: only the public headers, linked with libasyncd, installed in
# $(pkglibdir) (where module = "seed" finds it).
pkglib_LTLIBRARIES += apps/seed/seed.la
apps_seed_seed_la_SOURCES = apps/seed/seed.c
apps_seed_seed_la_CPPFLAGS = -I$(top_srcdir)/include
apps_seed_seed_la_LDFLAGS = -module -avoid-version -shared -no-undefined
apps_seed_seed_la_LIBADD = libasyncd.la
