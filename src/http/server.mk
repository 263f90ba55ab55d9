# src/http: the HTTP/1.1 server (connections, parking, responses, access
# log) on the runtime.
noinst_LIBRARIES += src/http/libhttpserver.a
src_http_libhttpserver_a_CPPFLAGS = $(HTTP_CPPFLAGS)
src_http_libhttpserver_a_SOURCES = \
	src/http/http-int.h \
	src/http/server.c \
	src/http/conn.c \
	src/http/response.c \
	src/http/access.c \
	src/http/stats.c

# What a program serving HTTP links, in dependency order.
HTTP_SERVER_LIBS = src/http/libhttpserver.a src/http/libhttpapp.a \
	src/http/libhttpparser.a
