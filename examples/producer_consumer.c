/*
 * producer_consumer.c - a generator as a coroutine: the producer hands each
 * item straight to the consumer with send(), no queue, no lock, one thread.
 *
 * The seed's Python:
 *
 *	def consumer():
 *		r = 'init'
 *		while True:
 *			n = yield r
 *			if not n:
 *				return
 *			print('[CONSUMER] Consuming %s...' % n)
 *			r = '200 OK'
 *
 *	def produce(c):
 *		print(c.send(None));# init
 *		n = 0
 *		while n < 5:
 *			n = n + 1
 *			print('[PRODUCER] Producing %s...' % n)
 *			r = c.send(n)
 *			print('[PRODUCER] Consumer return: %s' % r)
 *		c.close()
 *
 *	c = consumer()
 *	produce(c)
 *
 * rt_gen_send() is c.send(); rt_gen_yield() is `n = yield r`.  Python's
 * close() raises GeneratorExit at the yield: here the yield returns
 * -ECANCELED and the consumer returns.  No loop runs, but generators take
 * their stacks from the loop's configuration, so one is created.
 */
#include <stdint.h>
#include <stdio.h>

#include <asyncd/rt.h>
#include "example.h"

static void *
consumer(struct rt_gen *g, void *arg)
{
	const char *r = "init";
	void *sent;
	intptr_t n;

	(void)g;
	(void)arg;
	for (;;) {
		if (rt_gen_yield((void *)r, &sent) != 0)
			return NULL;	/* closed: Python's GeneratorExit */
		if ((n = (intptr_t)sent) == 0)
			return NULL;
		printf("[CONSUMER] Consuming %ld...\n", (long)n);
		r = "200 OK";
	}
}

/* c.send(value), where the consumer is expected to yield again. */
static void *
consumer_send(struct rt_gen *c, void *value)
{
	void *r;
	int err;

	EX_CHECK(err = rt_gen_send(c, value, &r));
	if (err == 1)
		ex_die("rt_gen_send: the consumer returned", -EPROTO,
		    __FILE__, __LINE__);
	return r;
}

static void
produce(struct rt_gen *c)
{
	void *r;
	intptr_t n;

	/* The first send must carry "None"; it runs c up to its first yield. */
	r = consumer_send(c, NULL);
	printf("%s\n", (const char *)r);
	for (n = 1; n <= 5; n++) {
		printf("[PRODUCER] Producing %ld...\n", (long)n);
		r = consumer_send(c, (void *)n);
		printf("[PRODUCER] Consumer return: %s\n", (const char *)r);
	}
	EX_CHECK(rt_gen_close(c));
}

int
main(void)
{
	struct rt_gen *c;

	EX_CHECK(rt_loop_init(NULL));
	if ((c = rt_gen_new(consumer, NULL, 0)) == NULL)
		ex_die("rt_gen_new", -ENOMEM, __FILE__, __LINE__);
	produce(c);
	rt_gen_free(c);
	rt_loop_close();
	return ex_finish();
}
