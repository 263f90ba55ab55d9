/*
 * resolve.c - name resolution that never blocks the loop.
 *
 * getaddrinfo() blocks (DNS over the network, /etc/hosts, NSS modules), so it
 * runs on a small pool of threads, started on first use.  A request is a
 * heap job: the asking task waits on it; a thread takes it from the job
 * list, resolves, puts it on the done list and wakes the loop with ev_async;
 * the async callback wakes the task.  If the task gives up first (timeout,
 * cancellation), the job is marked abandoned and freed, with its answer,
 * when the thread returns it: the thread never touches a task's stack.
 *
 * c-ares would avoid threads, but brings a dependency and only does DNS
 * (no /etc/nsswitch.conf, no mDNS); connection setup is not our hot path.
 *
 * The threads block every signal, so signals keep going to the loop thread.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "rt-int.h"

#define RESOLVE_THREADS	2

struct job {
	struct job	*next;
	char		*host, *port;
	int		 socktype;
	int		 gai;		/* getaddrinfo's answer */
	int		 sys_errno;	/* for EAI_SYSTEM: errno is per thread */
	struct addrinfo	*res;
	struct rt_task	*waiter;	/* NULL once abandoned */
	int		 finished;
	unsigned	 loop_gen;	/* pool.loop_gen when asked */
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct job	*todo, *todo_tail;
	struct job	*done;
	int		 started;
	ev_async	 async;
	struct ev_loop	*ev;
	unsigned	 loop_gen;	/* loops closed so far */
	size_t		 nwaiting;	/* tasks waiting on an answer */
	size_t		 nout;		/* jobs queued or being resolved */
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void
rt__job_free(struct job *j)
{
	if (j->res != NULL)
		freeaddrinfo(j->res);
	free(j->host);
	free(j->port);
	free(j);
}

static void *
rt__resolver_main(void *unused)
{
	struct addrinfo hints;
	struct job *j;

	(void)unused;
	for (;;) {
		pthread_mutex_lock(&pool.mu);
		while ((j = pool.todo) == NULL)
			pthread_cond_wait(&pool.cv, &pool.mu);
		if ((pool.todo = j->next) == NULL)
			pool.todo_tail = NULL;
		pthread_mutex_unlock(&pool.mu);

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = j->socktype;
		hints.ai_flags = AI_ADDRCONFIG;
		j->gai = getaddrinfo(j->host, j->port, &hints, &j->res);
		j->sys_errno = errno;

		pthread_mutex_lock(&pool.mu);
		pool.nout--;
		j->next = pool.done;
		pool.done = j;
		/* Under the lock: rt__resolve_close may clear pool.ev. */
		if (pool.ev != NULL)
			ev_async_send(pool.ev, &pool.async);
		pthread_mutex_unlock(&pool.mu);
	}
	return NULL;
}

/* On the loop: hand finished jobs back to their tasks. */
static void
rt__async_cb(struct ev_loop *ev, ev_async *w, int revents)
{
	struct job *j, *next;

	(void)ev;
	(void)w;
	(void)revents;
	pthread_mutex_lock(&pool.mu);
	j = pool.done;
	pool.done = NULL;
	pthread_mutex_unlock(&pool.mu);
	for (; j != NULL; j = next) {
		next = j->next;
		j->finished = 1;
		/* A job of a closed loop: its task was abandoned with the
		 * loop, and j->waiter points into a stack that is gone. */
		if (j->waiter == NULL || j->loop_gen != pool.loop_gen)
			rt__job_free(j);
		else
			(void)rt__wake(j->waiter, 0);
	}
}

static int
rt__pool_start(void)
{
	sigset_t all, old;
	pthread_t tid;
	int i, err = 0, backlog;

	/* Threads first: if not one starts, leave the loop untouched so
	 * that the next call tries again, rather than queueing jobs that no
	 * thread would ever take. */
	if (!pool.started) {
		sigfillset(&all);
		if ((err = pthread_sigmask(SIG_SETMASK, &all, &old)) != 0)
			return -err;
		for (i = 0; i < RESOLVE_THREADS; i++) {
			if ((err = pthread_create(&tid, NULL, rt__resolver_main,
			    NULL)) != 0)
				break;
			(void)pthread_detach(tid);	/* fresh tid: cannot fail */
		}
		(void)pthread_sigmask(SIG_SETMASK, &old, NULL);	/* restoring ours */
		if (i == 0)
			return -err;
		pool.started = 1;
	}

	/* Start the watcher before publishing pool.ev: ev_async_start
	 * clears a send that came before it, and that wakeup would be
	 * lost. */
	ev_async_init(&pool.async, rt__async_cb);
	ev_async_start(rt__loop->ev, &pool.async);
	/* The async watcher alone must not keep rt_loop_run alive. */
	ev_unref(rt__loop->ev);
	pthread_mutex_lock(&pool.mu);
	pool.ev = rt__loop->ev;
	/* Jobs of a closed loop that came back while no loop listened. */
	backlog = pool.done != NULL;
	pthread_mutex_unlock(&pool.mu);
	if (backlog)
		ev_async_send(pool.ev, &pool.async);
	return 0;
}

/*
 * At loop close: detach from the dying libev loop.  The threads stay, idle,
 * for a later loop; answers still in flight are dropped with their jobs.
 */
void
rt__resolve_close(void)
{
	struct job *j, *next;

	if (pool.ev == NULL)
		return;
	ev_ref(pool.ev);
	ev_async_stop(pool.ev, &pool.async);
	/* Tasks abandoned while waiting never drop their reference, and
	 * libev reuses the default loop's struct, activecnt included: a
	 * reference left here would keep every later loop running. */
	if (pool.nwaiting > 0)
		ev_unref(pool.ev);
	pool.nwaiting = 0;
	pthread_mutex_lock(&pool.mu);
	pool.ev = NULL;
	pool.loop_gen++;	/* jobs still out are now orphans */
	j = pool.done;
	pool.done = NULL;
	pthread_mutex_unlock(&pool.mu);
	for (; j != NULL; j = next) {
		next = j->next;
		rt__job_free(j);
	}
}

/*
 * Jobs handed to the threads and not yet back (queued, or in getaddrinfo):
 * what a test waits on to know that the answers of abandoned tasks have all
 * come back, rather than sleeping on a guess.
 */
size_t
rt__resolve_out(void)
{
	size_t n;

	pthread_mutex_lock(&pool.mu);
	n = pool.nout;
	pthread_mutex_unlock(&pool.mu);
	return n;
}

int
rt_resolve(const char *host, const char *port, int socktype,
    struct addrinfo **res, double timeout)
{
	struct rt_task *self = rt__loop->current;
	struct job *j;
	int err;

	*res = NULL;
	if (self == NULL)
		return -EPERM;
	/* A numeric address needs no lookup: answer it here, no thread. */
	if (host != NULL && (port == NULL || port[strspn(port, "0123456789")] ==
	    '\0')) {
		struct addrinfo hints;

		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = socktype;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		if (getaddrinfo(host, port, &hints, res) == 0)
			return 0;
		*res = NULL;
	}
	if (pool.ev == NULL && (err = rt__pool_start()) != 0)
		return err;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -ENOMEM;
	j->host = host != NULL ? strdup(host) : NULL;
	j->port = port != NULL ? strdup(port) : NULL;
	if ((host != NULL && j->host == NULL) ||
	    (port != NULL && j->port == NULL)) {
		rt__job_free(j);
		return -ENOMEM;
	}
	j->socktype = socktype;
	j->waiter = self;
	j->loop_gen = pool.loop_gen;

	pthread_mutex_lock(&pool.mu);
	if (pool.todo_tail != NULL)
		pool.todo_tail->next = j;
	else
		pool.todo = j;
	pool.todo_tail = j;
	pool.nout++;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mu);

	/* The async watcher is unref'd: hold one reference on the loop
	 * while anyone waits (counted, so rt__resolve_close can drop it). */
	if (pool.nwaiting++ == 0)
		ev_ref(pool.ev);
	err = rt__wait(NULL, "resolve", timeout, 0);
	if (--pool.nwaiting == 0)
		ev_unref(pool.ev);
	if (err != 0 || !j->finished) {
		/* Timed out or cancelled: report that even if the answer
		 * came in the same loop iteration, or the cancellation would
		 * be lost.  Until the job comes back, the thread owns it. */
		if (j->finished)
			rt__job_free(j);
		else
			j->waiter = NULL;
		return err != 0 ? err : -EINTR;
	}
	if (j->gai != 0) {
		err = j->gai == EAI_SYSTEM ? -j->sys_errno : RT_EAI(j->gai);
		rt__job_free(j);
		return err;
	}
	*res = j->res;
	j->res = NULL;
	rt__job_free(j);
	return 0;
}
