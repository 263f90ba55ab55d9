# src/http: the HTTP/1.1 server (connections, parking, responses, access
# log) on the runtime.
noinst_LTLIBRARIES += src/http/libhttpserver.la
src_http_libhttpserver_la_CPPFLAGS = $(HTTP_CPPFLAGS)
src_http_libhttpserver_la_SOURCES = \
	src/http/http-int.h \
	src/http/server.c \
	src/http/conn.c \
	src/http/response.c \
	src/http/access.c \
	src/http/stats.c

# What a program serving HTTP links, in dependency order.
HTTP_SERVER_LIBS = src/http/libhttpserver.la src/http/libhttpapp.la \
	src/http/libhttpparser.la
