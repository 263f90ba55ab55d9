# src/runtime: synchronisation primitives (lock, semaphore, event, condition, queue).
src_runtime_libruntime_la_SOURCES += \
	src/runtime/lock.c \
	src/runtime/sem.c \
	src/runtime/event.c \
	src/runtime/cond.c \
	src/runtime/queue.c
