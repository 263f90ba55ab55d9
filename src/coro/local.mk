# src/coro: the context switch and stacks.
noinst_LTLIBRARIES += src/coro/libcoro.la
src_coro_libcoro_la_CPPFLAGS = $(CORO_CPPFLAGS)
src_coro_libcoro_la_CCASFLAGS = $(AM_CCASFLAGS)
src_coro_libcoro_la_SOURCES = \
	src/coro/coro.h \
	src/coro/coro-int.h \
	src/coro/coro.c \
	src/coro/stack.c \
	src/coro/switch-ucontext.c
if SWITCH_X86_64
src_coro_libcoro_la_SOURCES += src/coro/switch-x86_64.S
endif
if SWITCH_AARCH64
src_coro_libcoro_la_SOURCES += src/coro/switch-aarch64.S
endif
EXTRA_DIST += src/coro/switch-x86_64.S src/coro/switch-aarch64.S
