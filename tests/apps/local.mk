# tests/apps: app modules the integration tests load.  testapp is built
# twice (TESTAPP_VERSION 1 and 2) so a reload can be shown to run the
# module file that replaced the old one.  Not installed.
check_LTLIBRARIES += tests/apps/testapp1.la tests/apps/testapp2.la
tests_apps_testapp1_la_SOURCES = tests/apps/testapp.c
tests_apps_testapp1_la_CPPFLAGS = -I$(top_srcdir)/include -DTESTAPP_VERSION=1
# -rpath: libtool builds a shared object only for a library it could
# install; these stay in the build tree.
tests_apps_testapp1_la_LDFLAGS = -module -avoid-version -shared \
	-no-undefined -rpath $(abs_builddir)
tests_apps_testapp1_la_LIBADD = libasyncd.la
tests_apps_testapp2_la_SOURCES = tests/apps/testapp.c
tests_apps_testapp2_la_CPPFLAGS = -I$(top_srcdir)/include -DTESTAPP_VERSION=2
tests_apps_testapp2_la_LDFLAGS = $(tests_apps_testapp1_la_LDFLAGS)
tests_apps_testapp2_la_LIBADD = libasyncd.la
