# src/runtime: the loop, tasks and asyncio's primitives.
noinst_LTLIBRARIES += src/runtime/libruntime.la
src_runtime_libruntime_la_CPPFLAGS = $(RT_CPPFLAGS)
src_runtime_libruntime_la_SOURCES = \
	include/asyncd/rt.h \
	src/runtime/rt-int.h \
	src/runtime/loop.c \
	src/runtime/task.c \
	src/runtime/wait.c \
	src/runtime/timer.c \
	src/runtime/gather.c \
	src/runtime/group.c \
	src/runtime/future.c \
	src/runtime/gen.c \
	src/runtime/fdwait.c \
	src/runtime/watcher.c \
	src/runtime/stream.c \
	src/runtime/addr.c \
	src/runtime/server.c \
	src/runtime/tcp.c \
	src/runtime/resolve.c \
	src/runtime/error.c \
	src/runtime/ratelimit.c

# What a program using the runtime links, in dependency order.
RT_LIBS = src/runtime/libruntime.la src/coro/libcoro.la $(EV_LIBS) -lm $(PTHREAD_LIBS)
