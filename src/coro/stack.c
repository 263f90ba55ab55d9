/*
 * stack.c - task stacks: mmap, guard pages or canaries, a per-process pool,
 * and the reporter that turns a guard-page fault into a readable message.
 *
 * Layout of one stack, low addresses first (guard mode):
 *
 *   map                      lo                                    top
 *   | guard page (PROT_NONE) | usable, grows down <-  | struct coro_stack |
 *
 * The struct coro_stack that describes a stack lives at the top of its own
 * mapping, so getting a stack needs no malloc; the usable size excludes it.
 * Pages are touched lazily: a task that parks with a small frame costs one
 * resident page (mapped MAP_NORESERVE, so virtual size is not charged).
 *
 * The pool keeps freed stacks by size class (a handful of distinct sizes in
 * practice); spawning a task in steady state takes a stack from a free list
 * without any system call.  How many it keeps follows demand: every stack
 * freed is kept while fewer are pooled than the most handed out at once
 * since the last trim (the class's peak), and coro_stack_pool_trim(), which
 * the runtime calls every few seconds, unmaps what neither pool_min nor the
 * last period's peak accounts for.  A fixed cap made every burst above it
 * pay an mmap, mprotect and munmap per task, and page faults: with bursts of
 * 4,096 tasks over a cap of 1,024, 14.7 us per spawn instead of 40 ns
 * (bench/coro spawn_4096).  A burst that recurs within a period now finds
 * its stacks pooled; after two quiet periods the pool is back to pool_min.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(CORO_VALGRIND)
#include <valgrind/valgrind.h>
#endif
#if defined(CORO_ASAN)
#include <sanitizer/asan_interface.h>
#endif

#include "coro.h"
#include "coro-int.h"

#define POOL_CLASSES	8

struct pool_class {
	size_t			 size;		/* usable bytes; 0 = unused slot */
	struct coro_stack	*free;
	size_t			 count;		/* on the free list */
	size_t			 out;		/* handed out */
	size_t			 peak;		/* most out at once since the
						   last trim */
};

static struct pool_class	 pool[POOL_CLASSES];
static enum coro_stack_mode	 mode = CORO_STACK_GUARD;
static size_t			 pool_min = 1024;
static size_t			 in_use;
/* The class of the size asked for last, for coro_stack_get's fast path. */
static size_t			 last_asked;
static struct pool_class	*last_class;
static int			 started;
static size_t			 page_size;
static char			 errbuf[320];

/* Old handlers, chained to for faults that are not stack overflows. */
static struct sigaction		 old_segv, old_bus;

int
coro_stack_configure(enum coro_stack_mode m, size_t min)
{
	if (m != CORO_STACK_GUARD && m != CORO_STACK_CANARY)
		return -EINVAL;
	if (started)
		return -EBUSY;
	mode = m;
	pool_min = min;
	return 0;
}

enum coro_stack_mode
coro_stack_mode(void)
{
	return mode;
}

const char *
coro_stack_error(void)
{
	return errbuf;
}

size_t
coro_stack_in_use(void)
{
	return in_use;
}

size_t
coro_stack_pooled(void)
{
	size_t i, n = 0;

	for (i = 0; i < POOL_CLASSES; i++)
		n += pool[i].count;
	return n;
}

static long
coro__max_map_count(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);	/* read-only: nothing to lose */
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static void
coro__map_cap_error(void)
{
	snprintf(errbuf, sizeof(errbuf),
	    "cannot map a guarded task stack: the process reached the kernel's "
	    "mapping limit (vm.max_map_count = %ld; each guarded stack takes 2 "
	    "mappings); raise it (sysctl -w vm.max_map_count=N) or use the "
	    "canary stack mode", coro__max_map_count());
}

static struct pool_class *
coro__pool_class_find(size_t size)
{
	struct pool_class *pc, *empty = NULL;

	for (pc = pool; pc < pool + POOL_CLASSES; pc++) {
		if (pc->size == size)
			return pc;
		if (pc->size == 0 && empty == NULL)
			empty = pc;
	}
	if (empty != NULL)
		empty->size = size;
	return empty;		/* NULL: too many sizes, this one is not pooled */
}

static struct coro_stack *
coro__stack_map(size_t size)
{
	struct coro_stack *st;
	size_t head, guard, len;
	char *map;
	int saved;

	/* The descriptor takes the top of the last page. */
	head = (sizeof(struct coro_stack) + 63) & ~(size_t)63;
	guard = mode == CORO_STACK_GUARD ? page_size : 0;
	len = guard + size + page_size;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED) {
		saved = errno;
		if (saved == ENOMEM && mode == CORO_STACK_GUARD)
			coro__map_cap_error();
		else
			snprintf(errbuf, sizeof(errbuf),
			    "cannot map a task stack of %zu bytes: %s", size,
			    strerror(saved));
		errno = saved;
		return NULL;
	}
	if (guard != 0 && mprotect(map, guard, PROT_NONE) == -1) {
		/* The split into two mappings is what fails at the cap. */
		saved = errno;
		if (saved == ENOMEM)
			coro__map_cap_error();
		else
			snprintf(errbuf, sizeof(errbuf),
			    "cannot protect a stack guard page: %s",
			    strerror(saved));
		(void)munmap(map, len);	/* undoing our own fresh mapping */
		errno = saved;
		return NULL;
	}

#if defined(CORO_ASAN)
	/* Addresses of a stack we unmapped come back with its shadow: clean
	 * it before writing the descriptor (coro_stack_get cleans the rest). */
	__asan_unpoison_memory_region(map, len);
#endif
	st = (struct coro_stack *)(void *)(map + len - head);
	st->next = NULL;
	st->map = map;
	st->map_len = len;
	st->lo = map + guard;
	st->size = len - guard - head;
	st->name = NULL;
	st->guarded = guard != 0;
#if defined(CORO_VALGRIND)
	st->valgrind_id = VALGRIND_STACK_REGISTER(st->lo, st->lo + st->size);
#else
	st->valgrind_id = 0;
#endif
	return st;
}

static void
coro__stack_unmap(struct coro_stack *st)
{
#if defined(CORO_VALGRIND)
	VALGRIND_STACK_DEREGISTER(st->valgrind_id);
#endif
	/* munmap of a whole mapping we made can only fail on a bad address. */
	if (munmap(st->map, st->map_len) == -1)
		abort();
}

/* What every stack handed out gets, from the pool or fresh (pc: its class,
 * NULL if its size is not pooled). */
static inline struct coro_stack *
coro__stack_hand_out(struct coro_stack *st, struct pool_class *pc)
{
	st->next = NULL;
	if (pc != NULL && ++pc->out > pc->peak)
		pc->peak = pc->out;
#if defined(CORO_ASAN)
	/*
	 * A task that ended mid-stack never returned from its frames, so
	 * ASan's shadow still marks their redzones; an unmapped stack's
	 * addresses may come back from mmap with that shadow too.  A stack
	 * handed out is clean.
	 */
	__asan_unpoison_memory_region(st->lo, st->size);
#endif
	in_use++;
	return st;
}

static inline struct coro_stack *
coro__pool_pop(struct pool_class *pc)
{
	struct coro_stack *st = pc->free;

	pc->free = st->next;
	/* Popping is a pointer chase through cold descriptors, one per stack:
	 * start the next one's cache miss now, so that a burst of spawns
	 * overlaps them. */
	if (pc->free != NULL)
		__builtin_prefetch(pc->free, 1);
	pc->count--;
	return coro__stack_hand_out(st, pc);
}

/* Out of line: inlined, it made the fast path save six registers. */
static __attribute__((noinline)) struct coro_stack *
coro__stack_get_slow(size_t asked)
{
	struct coro_stack *st;
	struct pool_class *pc;
	size_t size = asked;

	if (page_size == 0)
		page_size = (size_t)sysconf(_SC_PAGESIZE);
	started = 1;
	if (size == 0)
		size = CORO_STACK_DEFAULT;
	if (size < CORO_STACK_MIN || size > CORO_STACK_MAX) {
		snprintf(errbuf, sizeof(errbuf),
		    "task stack size %zu is outside [%d, %d]", size,
		    CORO_STACK_MIN, CORO_STACK_MAX);
		errno = EINVAL;
		return NULL;
	}
	size = (size + page_size - 1) & ~(page_size - 1);

	if ((pc = coro__pool_class_find(size)) != NULL) {
		last_asked = asked;
		last_class = pc;
		if (pc->free != NULL)
			return coro__pool_pop(pc);
	}
	if ((st = coro__stack_map(size)) == NULL)
		return NULL;
	st->pool_class = pc != NULL ? (unsigned char)(pc - pool + 1) : 0;
	return coro__stack_hand_out(st, pc);
}

/*
 * The fast path serves a spawn in steady state: the same size as last time
 * (a runtime asks for one size nearly always), from a non-empty free list.
 * Everything else, including the first call, takes coro__stack_get_slow().
 */
struct coro_stack *
coro_stack_get(size_t size)
{
	struct pool_class *pc = last_class;

	if (pc != NULL && size == last_asked && pc->free != NULL)
		return coro__pool_pop(pc);
	return coro__stack_get_slow(size);
}

void
coro_stack_put(struct coro_stack *st)
{
	struct pool_class *pc;

	coro__stack_check_inline(st);
	in_use--;
	st->name = NULL;
	/* The class was fixed when the stack was mapped: see pool_class. */
	if (st->pool_class == 0) {
		coro__stack_unmap(st);
		return;
	}
	pc = &pool[st->pool_class - 1];
	pc->out--;
	/* Kept up to the recent peak: see the top of the file. */
	if (pc->count >= (pc->peak > pool_min ? pc->peak : pool_min)) {
		coro__stack_unmap(st);
		return;
	}
	st->next = pc->free;
	pc->free = st;
	pc->count++;
}

void
coro_stack_pool_trim(void)
{
	struct coro_stack *st;
	struct pool_class *pc;
	size_t keep;

	for (pc = pool; pc < pool + POOL_CLASSES; pc++) {
		/* What the last period's peak would need on top of what is
		 * out now, and never below pool_min. */
		keep = pc->peak - pc->out;
		if (keep < pool_min)
			keep = pool_min;
		while (pc->count > keep && (st = pc->free) != NULL) {
			pc->free = st->next;
			pc->count--;
			coro__stack_unmap(st);
		}
		pc->peak = pc->out;
	}
}

void
coro_stack_pool_drain(void)
{
	struct coro_stack *st;
	struct pool_class *pc;

	for (pc = pool; pc < pool + POOL_CLASSES; pc++) {
		while ((st = pc->free) != NULL) {
			pc->free = st->next;
			coro__stack_unmap(st);
		}
		/* The class keeps its size: stacks still in use carry its
		 * index (pool_class) back to coro_stack_put. */
		pc->count = 0;
	}
}

void
coro_stack_check(const struct coro_stack *st)
{
	coro__stack_check_inline(st);
}

static void	(*fault_hook)(int signo, const char *task);

void
coro_fault_hook(void (*fn)(int signo, const char *task))
{
	fault_hook = fn;
}

/* Async-signal-safe output: write(2) only, no stdio. */
static void
coro__report(const char *what, const char *name)
{
	char msg[256];
	size_t n = 0, len;

	len = strlen(what);
	memcpy(msg, what, len);
	n = len;
	if (name == NULL)
		name = "?";
	len = strnlen(name, sizeof(msg) - n - 2);
	memcpy(msg + n, name, len);
	n += len;
	msg[n++] = '\n';
	/* Nothing to do if stderr is gone: we abort next either way. */
	(void)!write(STDERR_FILENO, msg, n);
}

void
coro__canary_fail(const struct coro_stack *st)
{
	coro__report("stack overflow in task ", st->name);
	if (fault_hook != NULL)
		fault_hook(SIGABRT, st->name);
	abort();
}

/*
 * Runs on the alternate signal stack.  A fault inside the running stack's
 * guard page, or below it within one stack size (a frame larger than a page
 * can skip the guard page; gcc's -fstack-clash-protection, on in our build,
 * makes frames touch every page so they cannot), is an overflow: report it
 * and abort.  Anything else goes to the handler that was there before us (the
 * default one, or a sanitizer's).  A SIGSEGV sent by kill(2) or raise(3)
 * (si_code <= 0) is no fault: its si_addr is meaningless, never an
 * overflow.
 */
static void
coro__overflow_handler(int sig, siginfo_t *si, void *uctx)
{
	const struct coro_stack *st = coro__current_stack;
	const struct sigaction *old;
	char *addr = si->si_addr;
	struct sigaction dfl;

	/*
	 * Not only guarded stacks: an unguarded (canary) stack that runs off
	 * its mapping into unmapped memory faults here before any canary
	 * check could see it, and is just as much an overflow (lo == map).
	 */
	if (si->si_code > 0 && st != NULL && addr < st->lo &&
	    addr >= (char *)st->map - st->size) {
		coro__report("stack overflow in task ", st->name);
		if (fault_hook != NULL)
			fault_hook(SIGABRT, st->name);
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		(void)sigaction(SIGABRT, &dfl, NULL);
		abort();
	}

	/* Any other fault: say which task it hit (a handler's, named after
	 * its route) before the process dies of it. */
	if (fault_hook != NULL)
		fault_hook(sig, st != NULL ? st->name : NULL);
	old = sig == SIGSEGV ? &old_segv : &old_bus;
	if (old->sa_flags & SA_SIGINFO) {
		if (old->sa_sigaction != NULL) {
			old->sa_sigaction(sig, si, uctx);
			return;
		}
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/* Default action: reinstall it and let the faulting instruction
	 * fault again on return, which kills us with the right signal.  A
	 * signal sent by a process (kill, raise: si_code <= 0) has no
	 * faulting instruction: send it again, pending until we return. */
	(void)sigaction(sig, old, NULL);
	if (si->si_code <= 0)
		(void)raise(sig);
}

int
coro_overflow_handler_install(void)
{
	static int installed;
	struct sigaction sa;
	stack_t ss;
	size_t len;
	void *alt;

	if (installed)
		return 0;
	/* SIGSTKSZ is 13.5 KiB with AVX-512 state; leave room for the
	 * chained handler too. */
	len = 64 * 1024;
	alt = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (alt == MAP_FAILED)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	ss.ss_sp = alt;
	ss.ss_size = len;
	if (sigaltstack(&ss, NULL) == -1) {
		int err = -errno;

		(void)munmap(alt, len);
		return err;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = coro__overflow_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old_segv) == -1 ||
	    sigaction(SIGBUS, &sa, &old_bus) == -1)
		return -errno;
	installed = 1;
	return 0;
}
