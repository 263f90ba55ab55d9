/*
 * malloc_count.c - an LD_PRELOAD allocator shim for bench/platform: counts
 * malloc, calloc, realloc and posix_memalign/aligned_alloc calls of each
 * process, forwarding them to glibc's, so that the bench can show that a
 * worker allocates nothing per GET request.
 *
 * Each process writes its counts to $MALLOC_COUNT_DIR/PID (a shared file
 * mapping, so the bench reads them while the process runs); a forked child
 * maps a file of its own (pthread_atfork).  Counting costs one relaxed
 * atomic add per call.  Not built by make: bench/platform compiles it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

extern void	*__libc_malloc(size_t);
extern void	*__libc_calloc(size_t, size_t);
extern void	*__libc_realloc(void *, size_t);
extern void	*__libc_memalign(size_t, size_t);
extern void	 __libc_free(void *);

/* The counts: allocations (any kind), and frees. */
struct counts {
	uint64_t	allocs;
	uint64_t	frees;
};

static struct counts	 local;		/* until the file is mapped */
static struct counts	*c = &local;

static void
count_map(void)
{
	const char *dir = getenv("MALLOC_COUNT_DIR");
	char path[512];
	void *p;
	int fd;

	c = &local;
	if (dir == NULL)
		return;
	(void)snprintf(path, sizeof(path), "%s/%ld", dir, (long)getpid());
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return;
	if (ftruncate(fd, sizeof(struct counts)) == 0 &&
	    (p = mmap(NULL, sizeof(struct counts), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0)) != MAP_FAILED)
		c = p;
	(void)close(fd);
}

__attribute__((constructor)) static void
count_init(void)
{
	count_map();
	(void)pthread_atfork(NULL, NULL, count_map);
}

#define ALLOC()	__atomic_add_fetch(&c->allocs, 1, __ATOMIC_RELAXED)

void *
malloc(size_t n)
{
	ALLOC();
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	ALLOC();
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	ALLOC();
	return __libc_realloc(p, n);
}

int
posix_memalign(void **pp, size_t align, size_t n)
{
	void *p;

	ALLOC();
	if ((p = __libc_memalign(align, n)) == NULL)
		return 12;	/* ENOMEM */
	*pp = p;
	return 0;
}

void *
aligned_alloc(size_t align, size_t n)
{
	ALLOC();
	return __libc_memalign(align, n);
}

void
free(void *p)
{
	if (p != NULL)
		__atomic_add_fetch(&c->frees, 1, __ATOMIC_RELAXED);
	__libc_free(p);
}
