# src/http/client.mk: the HTTP client (src/http/client.c, the "client"
# section of <asyncd/http.h>) and its unit test.  The server side of
# src/http/ has its own fragment.

# The HTTP layer sees its own header and the runtime's (STYLE.md §1).
HTTP_CPPFLAGS = $(RT_CPPFLAGS) -I$(top_srcdir)/src/http

noinst_LTLIBRARIES += src/http/libhttpclient.la
src_http_libhttpclient_la_CPPFLAGS = $(HTTP_CPPFLAGS)
src_http_libhttpclient_la_SOURCES = \
	include/asyncd/http.h \
	src/http/client.c

# What a program using the client links, in dependency order: the client
# reads responses with the request parser (parser.mk) in response mode.
HTTP_CLIENT_LIBS = src/http/libhttpclient.la src/http/libhttpparser.la \
	$(RT_LIBS)

# Against an rt_server on 127.0.0.1 serving canned responses.
check_PROGRAMS += tests/unit/test-http-client
TESTS += tests/unit/test-http-client
tests_unit_test_http_client_CPPFLAGS = $(HTTP_CPPFLAGS)
tests_unit_test_http_client_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_http_client_LDADD = $(HTTP_CLIENT_LIBS) $(CMOCKA_LIBS)
