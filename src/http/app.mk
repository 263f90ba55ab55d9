# src/http/app.mk: the router and the app's handlers (src/http/router.c,
# src/http/app.c, the "router and the app" section of http.h) and their
# unit test.  Pure like the parser: no I/O, no runtime, so the include path
# is src/http alone and HTTP_NO_CLIENT keeps http.h from pulling in rt.h.
HTTP_APP_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/src/http -DHTTP_NO_CLIENT

noinst_LTLIBRARIES += src/http/libhttpapp.la
src_http_libhttpapp_la_CPPFLAGS = $(HTTP_APP_CPPFLAGS)
src_http_libhttpapp_la_SOURCES = \
	src/http/http.h \
	src/http/parser.h \
	src/http/router.c \
	src/http/app.c

check_PROGRAMS += tests/unit/test-http-router
TESTS += tests/unit/test-http-router
tests_unit_test_http_router_CPPFLAGS = $(HTTP_APP_CPPFLAGS)
tests_unit_test_http_router_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_router_LDADD = src/http/libhttpapp.la $(CMOCKA_LIBS)
