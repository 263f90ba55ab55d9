# src/http: the HTTP/1.1 server on the runtime: apps and their routes
# (app.c), connections and parking (server.c, conn.c), what handlers see of
# a request (request.c) and write of a response (response.c), the access
# log's buffer (access.c), the counters (metrics.c).
noinst_LTLIBRARIES += src/http/libhttpserver.la
src_http_libhttpserver_la_CPPFLAGS = $(HTTP_CPPFLAGS)
src_http_libhttpserver_la_SOURCES = \
	include/asyncd/http.h \
	src/http/http-int.h \
	src/http/server.h \
	src/http/app.c \
	src/http/server.c \
	src/http/conn.c \
	src/http/request.c \
	src/http/response.c \
	src/http/metrics.c \
	src/http/access.c

# What a program serving HTTP links, in dependency order.
HTTP_SERVER_LIBS = src/http/libhttpserver.la src/http/libhttpclient.la \
	src/http/libhttpparser.la
