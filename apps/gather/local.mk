# apps/gather: an example app module that fetches its upstreams at once
# with the HTTP client and gathers them under a deadline (504 past it).
# Built for the tests, not installed as a module: its source is installed
# with the other examples, in $(docdir).
noinst_LTLIBRARIES += apps/gather/gather.la
apps_gather_gather_la_SOURCES = apps/gather/gather.c
apps_gather_gather_la_CPPFLAGS = -I$(top_srcdir)/include
# -rpath: libtool builds a shared object only for a library it could
# install; this one stays in the build tree.
apps_gather_gather_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-rpath $(abs_builddir)
apps_gather_gather_la_LIBADD = libasyncd.la
dist_exampledoc_DATA += apps/gather/gather.c
