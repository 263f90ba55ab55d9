# apps/echo: an example app module that reads request bodies (whole,
# transformed, streamed).  Built for the tests, not installed as a module:
# its source is installed with the other examples, in $(docdir).
noinst_LTLIBRARIES += apps/echo/echo.la
apps_echo_echo_la_SOURCES = apps/echo/echo.c
apps_echo_echo_la_CPPFLAGS = -I$(top_srcdir)/include
# -rpath: libtool builds a shared object only for a library it could
# install; this one stays in the build tree.
apps_echo_echo_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-rpath $(abs_builddir)
apps_echo_echo_la_LIBADD = libasyncd.la
exampledocdir = $(docdir)/examples
dist_exampledoc_DATA = apps/echo/echo.c
