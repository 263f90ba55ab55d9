/*
 * test-daemon-master-fsm.c - daemon/master-fsm.c, the master's decisions
 * without I/O.  The edges below are the specification, written out again
 * by hand (master.c's top comment shows the same): every one is driven
 * through master_fsm_step or slot_fsm_step, every row of the tables must
 * be one of them and reachable, and every (state, event) pair not listed
 * must be ignored (no action, same state) whatever the guards say.  Then
 * the stories the tables must tell: the stale READY of an aborted reload,
 * the backoff and its reset, the breaker, the stops.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "master-fsm.h"

/* Guards, as contexts: what makes each hold. */
#define ANY	-1	/* listed once, for every context */
#define UPG	MG_UPGRADED
#define DRN	MG_DRAIN
#define BRK	MG_BREAKER
#define ELSE	MG_ALWAYS	/* the guarded row before it does not hold */

struct edge {
	enum master_state	 from;
	enum master_event	 ev;
	int			 guard;	/* ANY, or the guard that must hold
					   (ELSE: none does) */
	unsigned		 actions;
	enum master_state	 to;
};

#define STOP_DRAIN	(MA_STOP_BEGIN | MA_UP_ABANDON | MA_DRAIN_ALL)
#define STOP_QUIT	(MA_STOP_BEGIN | MA_UP_ABANDON | MA_QUIT_ALL)
#define STOP_FAST	(MA_STOP_BEGIN | MA_UP_ABANDON | MA_TERMINATE_ALL)

static const struct edge spec[] = {
	{ MS_STARTING, ME_HUP, ANY, MA_WARN_IGNORED, MS_STARTING },
	{ MS_STARTING, ME_USR2, ANY, MA_WARN_IGNORED, MS_STARTING },
	{ MS_STARTING, ME_TERM, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_STARTING, ME_TERM, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_STARTING, ME_QUIT, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_STARTING, ME_QUIT, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_STARTING, ME_GEN_READY, UPG, MA_UP_SAY_READY, MS_HANDOVER },
	{ MS_STARTING, ME_GEN_READY, ELSE, MA_SERVE, MS_SERVING },
	{ MS_STARTING, ME_NEW_FAILED, ANY, MA_TRIP, MS_STOPPING_FAST },
	{ MS_STARTING, ME_READY_TIMEOUT, ANY, MA_TRIP, MS_STOPPING_FAST },
	{ MS_STARTING, ME_TAKEOVER, ANY, MA_UP_TAKE, MS_STARTING },
	{ MS_STARTING, ME_LOST, ANY, MA_RESPAWN_LATER, MS_STARTING },
	{ MS_STARTING, ME_RESPAWN_TIMER, ANY, MA_RESPAWN, MS_STARTING },

	{ MS_SERVING, ME_HUP, ANY, MA_RELOAD_BEGIN, MS_RELOADING },
	{ MS_SERVING, ME_USR2, ANY, MA_UP_START, MS_UPGRADING },
	{ MS_SERVING, ME_TERM, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_SERVING, ME_TERM, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_SERVING, ME_QUIT, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_SERVING, ME_QUIT, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_SERVING, ME_LOST, ANY, MA_RESPAWN_LATER, MS_SERVING },
	{ MS_SERVING, ME_REPLACEMENT_FAILED, BRK, MA_TRIP | MA_UP_ABANDON,
	    MS_STOPPING_FAST },
	{ MS_SERVING, ME_REPLACEMENT_FAILED, ELSE, MA_RESPAWN_LATER,
	    MS_SERVING },
	{ MS_SERVING, ME_RESPAWN_TIMER, ANY, MA_RESPAWN, MS_SERVING },

	{ MS_RELOADING, ME_HUP, ANY, MA_WARN_IGNORED, MS_RELOADING },
	{ MS_RELOADING, ME_USR2, ANY, MA_WARN_IGNORED, MS_RELOADING },
	{ MS_RELOADING, ME_TERM, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_RELOADING, ME_TERM, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_RELOADING, ME_QUIT, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_RELOADING, ME_QUIT, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_RELOADING, ME_GEN_READY, ANY, MA_RELOAD_COMMIT, MS_SERVING },
	{ MS_RELOADING, ME_NEW_FAILED, ANY, MA_RELOAD_ABORT, MS_SERVING },
	{ MS_RELOADING, ME_READY_TIMEOUT, ANY, MA_RELOAD_ABORT, MS_SERVING },
	{ MS_RELOADING, ME_CONF_BAD, ANY, 0, MS_SERVING },
	{ MS_RELOADING, ME_LOST, ANY, MA_RESPAWN_LATER, MS_RELOADING },
	{ MS_RELOADING, ME_REPLACEMENT_FAILED, BRK, MA_TRIP | MA_UP_ABANDON,
	    MS_STOPPING_FAST },
	{ MS_RELOADING, ME_REPLACEMENT_FAILED, ELSE, MA_RESPAWN_LATER,
	    MS_RELOADING },
	{ MS_RELOADING, ME_RESPAWN_TIMER, ANY, MA_RESPAWN, MS_RELOADING },

	{ MS_UPGRADING, ME_HUP, ANY, MA_WARN_IGNORED, MS_UPGRADING },
	{ MS_UPGRADING, ME_USR2, ANY, MA_WARN_IGNORED, MS_UPGRADING },
	{ MS_UPGRADING, ME_TERM, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_UPGRADING, ME_TERM, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_UPGRADING, ME_QUIT, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_UPGRADING, ME_QUIT, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_UPGRADING, ME_UP_READY, ANY, MA_UP_HANDOVER, MS_STOPPING },
	{ MS_UPGRADING, ME_UP_ERROR, ANY, MA_UP_ERROR, MS_UPGRADING },
	{ MS_UPGRADING, ME_UP_EXIT, ANY, MA_UP_REAPED, MS_SERVING },
	{ MS_UPGRADING, ME_UP_FAILED, ANY, 0, MS_SERVING },
	{ MS_UPGRADING, ME_UP_TIMEOUT, ANY, MA_UP_TIMEOUT, MS_UPGRADING },
	{ MS_UPGRADING, ME_LOST, ANY, MA_RESPAWN_LATER, MS_UPGRADING },
	{ MS_UPGRADING, ME_REPLACEMENT_FAILED, BRK, MA_TRIP | MA_UP_ABANDON,
	    MS_STOPPING_FAST },
	{ MS_UPGRADING, ME_REPLACEMENT_FAILED, ELSE, MA_RESPAWN_LATER,
	    MS_UPGRADING },
	{ MS_UPGRADING, ME_RESPAWN_TIMER, ANY, MA_RESPAWN, MS_UPGRADING },

	{ MS_HANDOVER, ME_HUP, ANY, MA_WARN_IGNORED, MS_HANDOVER },
	{ MS_HANDOVER, ME_USR2, ANY, MA_WARN_IGNORED, MS_HANDOVER },
	{ MS_HANDOVER, ME_TERM, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_HANDOVER, ME_TERM, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_HANDOVER, ME_QUIT, DRN, STOP_DRAIN, MS_DRAINING },
	{ MS_HANDOVER, ME_QUIT, ELSE, STOP_QUIT, MS_STOPPING },
	{ MS_HANDOVER, ME_TAKEOVER, ANY, MA_UP_TAKE, MS_SERVING },
	{ MS_HANDOVER, ME_LOST, ANY, MA_RESPAWN_LATER, MS_HANDOVER },
	{ MS_HANDOVER, ME_REPLACEMENT_FAILED, BRK, MA_TRIP | MA_UP_ABANDON,
	    MS_STOPPING_FAST },
	{ MS_HANDOVER, ME_REPLACEMENT_FAILED, ELSE, MA_RESPAWN_LATER,
	    MS_HANDOVER },
	{ MS_HANDOVER, ME_RESPAWN_TIMER, ANY, MA_RESPAWN, MS_HANDOVER },

	{ MS_DRAINING, ME_TERM, ANY, STOP_FAST, MS_STOPPING_FAST },
	{ MS_DRAINING, ME_DRAIN_TIMER, ANY, MA_QUIT_ALL, MS_STOPPING },
	{ MS_DRAINING, ME_UP_ERROR, ANY, MA_UP_ERROR, MS_DRAINING },
	{ MS_DRAINING, ME_UP_EXIT, ANY, MA_UP_REAPED, MS_DRAINING },
	{ MS_DRAINING, ME_UP_TIMEOUT, ANY, MA_UP_TIMEOUT, MS_DRAINING },
	{ MS_DRAINING, ME_ALL_GONE, ANY, MA_EXIT, MS_DONE },

	{ MS_STOPPING, ME_TERM, ANY, STOP_FAST, MS_STOPPING_FAST },
	{ MS_STOPPING, ME_KILL_TIMER, ANY, MA_KILL_ALL, MS_STOPPING },
	{ MS_STOPPING, ME_UP_ERROR, ANY, MA_UP_ERROR, MS_STOPPING },
	{ MS_STOPPING, ME_UP_EXIT, ANY, MA_UP_REAPED, MS_STOPPING },
	{ MS_STOPPING, ME_UP_TIMEOUT, ANY, MA_UP_TIMEOUT, MS_STOPPING },
	{ MS_STOPPING, ME_ALL_GONE, ANY, MA_EXIT, MS_DONE },

	{ MS_STOPPING_FAST, ME_KILL_TIMER, ANY, MA_KILL_ALL,
	    MS_STOPPING_FAST },
	{ MS_STOPPING_FAST, ME_UP_ERROR, ANY, MA_UP_ERROR, MS_STOPPING_FAST },
	{ MS_STOPPING_FAST, ME_UP_EXIT, ANY, MA_UP_REAPED, MS_STOPPING_FAST },
	{ MS_STOPPING_FAST, ME_UP_TIMEOUT, ANY, MA_UP_TIMEOUT,
	    MS_STOPPING_FAST },
	{ MS_STOPPING_FAST, ME_ALL_GONE, ANY, MA_EXIT, MS_DONE },
};
#define NSPEC	(sizeof(spec) / sizeof(spec[0]))

/* Every context the guards can see: upgraded, drain, failures below and
 * at the breaker. */
static void
ctx_of(unsigned k, struct master_ctx *c)
{
	c->upgraded = (k & 1) != 0;
	c->drain = (k & 2) != 0;
	c->failures = (k & 4) ? BREAKER_STARTS : BREAKER_STARTS - 1;
}
#define NCTX	8

static int
guard_holds(int g, const struct master_ctx *c)
{
	switch (g) {
	case UPG:
		return c->upgraded;
	case DRN:
		return c->drain;
	case BRK:
		return c->failures >= BREAKER_STARTS;
	}
	return 1;
}

/* The spec's edge for (s, ev) in c, or NULL: ignored. */
static const struct edge *
spec_find(enum master_state s, enum master_event ev,
    const struct master_ctx *c)
{
	size_t i;

	for (i = 0; i < NSPEC; i++)
		if (spec[i].from == s && spec[i].ev == ev &&
		    (spec[i].guard == ANY || spec[i].guard == ELSE ||
		    guard_holds(spec[i].guard, c)))
			return &spec[i];
	return NULL;
}

/* Every state x event x context: the spec's edge, or nothing at all. */
static void
test_master_every_edge(void **state)
{
	size_t hit[NSPEC];
	const struct edge *e;
	struct master_ctx c;
	enum master_state to;
	unsigned a, k;
	int s, ev;
	size_t i;

	(void)state;
	memset(hit, 0, sizeof(hit));
	for (s = 0; s < MS_NSTATES; s++)
		for (ev = 0; ev < ME_NEVENTS; ev++)
			for (k = 0; k < NCTX; k++) {
				ctx_of(k, &c);
				a = master_fsm_step(s, ev, &c, &to);
				if ((e = spec_find(s, ev, &c)) == NULL) {
					if (a != 0 || to != (enum master_state)s)
						fail_msg("%s + %s: not ignored "
						    "(0x%x, to %s)",
						    master_state_name(s),
						    master_event_name(ev), a,
						    master_state_name(to));
					continue;
				}
				if (a != e->actions || to != e->to)
					fail_msg("%s + %s (ctx %u): 0x%x to %s, "
					    "expected 0x%x to %s",
					    master_state_name(s),
					    master_event_name(ev), k, a,
					    master_state_name(to), e->actions,
					    master_state_name(e->to));
				hit[e - spec]++;
			}
	for (i = 0; i < NSPEC; i++)
		if (hit[i] == 0)
			fail_msg("edge %zu (%s + %s) never taken", i,
			    master_state_name(spec[i].from),
			    master_event_name(spec[i].ev));
}

/* The table has nothing the spec does not list, and no row shadowed by
 * an earlier one. */
static void
test_master_table_is_the_spec(void **state)
{
	const struct master_edge *t;
	size_t n, i, j;

	(void)state;
	t = master_fsm_table(&n);
	assert_int_equal(n, NSPEC);
	for (i = 0; i < n; i++) {
		for (j = 0; j < NSPEC; j++)
			if (spec[j].from == t[i].from && spec[j].ev == t[i].ev &&
			    spec[j].actions == t[i].actions &&
			    spec[j].to == t[i].to)
				break;
		if (j == NSPEC)
			fail_msg("table row %zu (%s + %s) is not in the spec",
			    i, master_state_name(t[i].from),
			    master_event_name(t[i].ev));
	}
}

/* ---- worker slots -------------------------------------------------------- */

struct sedge {
	enum slot_state		 from;
	enum slot_event		 ev;
	int			 stopping;	/* -1: either */
	unsigned		 actions;
	enum slot_state		 to;
};

static const struct sedge sspec[] = {
	{ SS_FREE, SE_FORKED, -1, 0, SS_STARTING },
	{ SS_STARTING, SE_READY, 1, SA_LATE_READY, SS_READY },
	{ SS_STARTING, SE_READY, 0, SA_READY, SS_READY },
	{ SS_QUITTING, SE_READY, -1, SA_LATE_READY, SS_QUITTING },
	{ SS_KILLED, SE_READY, -1, SA_LATE_READY, SS_KILLED },
	{ SS_READY, SE_SILENT, -1, SA_SIGABRT, SS_ABORTED },
	{ SS_QUITTING, SE_SILENT, -1, SA_SIGABRT, SS_QUITTING },
	{ SS_ABORTED, SE_GRACE, -1, SA_SIGKILL, SS_ABORTED },
	{ SS_QUITTING, SE_GRACE, -1, SA_SIGKILL, SS_QUITTING },
	{ SS_KILLED, SE_GRACE, -1, SA_SIGKILL, SS_KILLED },
	{ SS_STARTING, SE_QUIT, -1, SA_SEND_QUIT, SS_QUITTING },
	{ SS_READY, SE_QUIT, -1, SA_SEND_QUIT, SS_QUITTING },
	{ SS_ABORTED, SE_QUIT, -1, SA_SEND_QUIT, SS_QUITTING },
	{ SS_STARTING, SE_TERMINATE, -1, SA_SEND_TERMINATE, SS_QUITTING },
	{ SS_READY, SE_TERMINATE, -1, SA_SEND_TERMINATE, SS_QUITTING },
	{ SS_ABORTED, SE_TERMINATE, -1, SA_SEND_TERMINATE, SS_QUITTING },
	{ SS_QUITTING, SE_TERMINATE, -1, SA_SEND_TERMINATE, SS_QUITTING },
	{ SS_KILLED, SE_TERMINATE, -1, SA_SEND_TERMINATE, SS_KILLED },
	{ SS_STARTING, SE_KILL, -1, SA_SIGKILL, SS_KILLED },
	{ SS_READY, SE_KILL, -1, SA_SIGKILL, SS_KILLED },
	{ SS_ABORTED, SE_KILL, -1, SA_SIGKILL, SS_KILLED },
	{ SS_QUITTING, SE_KILL, -1, SA_SIGKILL, SS_KILLED },
	{ SS_KILLED, SE_KILL, -1, SA_SIGKILL, SS_KILLED },
	{ SS_STARTING, SE_CHAN_ERROR, 1, SA_CHAN_NOTE, SS_STARTING },
	{ SS_READY, SE_CHAN_ERROR, 1, SA_CHAN_NOTE, SS_READY },
	{ SS_ABORTED, SE_CHAN_ERROR, 1, SA_CHAN_NOTE, SS_ABORTED },
	{ SS_STARTING, SE_CHAN_ERROR, 0, SA_CHAN_KILL, SS_STARTING },
	{ SS_READY, SE_CHAN_ERROR, 0, SA_CHAN_KILL, SS_READY },
	{ SS_ABORTED, SE_CHAN_ERROR, 0, SA_CHAN_KILL, SS_ABORTED },
	{ SS_QUITTING, SE_CHAN_ERROR, -1, SA_CHAN_NOTE, SS_QUITTING },
	{ SS_KILLED, SE_CHAN_ERROR, -1, SA_CHAN_NOTE, SS_KILLED },
	{ SS_STARTING, SE_EXIT, 1, SA_EXIT_EXPECTED, SS_FREE },
	{ SS_STARTING, SE_EXIT, 0, SA_EXIT_EARLY, SS_FREE },
	{ SS_READY, SE_EXIT, 1, SA_EXIT_EXPECTED, SS_FREE },
	{ SS_READY, SE_EXIT, 0, SA_EXIT_SERVED, SS_FREE },
	{ SS_ABORTED, SE_EXIT, 1, SA_EXIT_EXPECTED, SS_FREE },
	{ SS_ABORTED, SE_EXIT, 0, SA_EXIT_SERVED, SS_FREE },
	{ SS_QUITTING, SE_EXIT, -1, SA_EXIT_EXPECTED, SS_FREE },
	{ SS_KILLED, SE_EXIT, -1, SA_EXIT_EXPECTED, SS_FREE },
};
#define NSSPEC	(sizeof(sspec) / sizeof(sspec[0]))

static void
test_slot_every_edge(void **state)
{
	size_t hit[NSSPEC], i, n;
	const struct sedge *e;
	enum slot_state to;
	int s, ev, stop;
	unsigned a;

	(void)state;
	memset(hit, 0, sizeof(hit));
	for (s = 0; s < SS_NSTATES; s++)
		for (ev = 0; ev < SE_NEVENTS; ev++)
			for (stop = 0; stop < 2; stop++) {
				a = slot_fsm_step(s, ev, stop, &to);
				e = NULL;
				for (i = 0; i < NSSPEC && e == NULL; i++)
					if ((int)sspec[i].from == s &&
					    (int)sspec[i].ev == ev &&
					    (sspec[i].stopping == -1 ||
					    sspec[i].stopping == stop))
						e = &sspec[i];
				if (e == NULL) {
					if (a != 0 || to != (enum slot_state)s)
						fail_msg("slot %s + event %d "
						    "(stopping %d): not "
						    "ignored", slot_state_name(s),
						    ev, stop);
					continue;
				}
				if (a != e->actions || to != e->to)
					fail_msg("slot %s + event %d (stopping "
					    "%d): 0x%x to %s, expected 0x%x "
					    "to %s", slot_state_name(s), ev,
					    stop, a, slot_state_name(to),
					    e->actions, slot_state_name(e->to));
				hit[e - sspec]++;
			}
	for (i = 0; i < NSSPEC; i++)
		if (hit[i] == 0)
			fail_msg("slot edge %zu never taken", i);
	(void)slot_fsm_table(&n);
	assert_int_equal(n, NSSPEC - 0);
}

/* ---- stories ------------------------------------------------------------- */

static enum master_state
step(enum master_state s, enum master_event ev, const struct master_ctx *c,
    unsigned *a)
{
	enum master_state to;

	*a = master_fsm_step(s, ev, c, &to);
	return to;
}

/*
 * The suspicion of issue 14: a reload aborted while its workers are still
 * unreaped, then a quick second reload.  The aborted generation's workers
 * are SS_KILLED: a READY of theirs still in the channel counts for no
 * generation (SA_LATE_READY, not SA_READY), and the master, back to
 * serving, ignores a generation-ready in any case; only the second
 * reload's own workers can commit it.  (The number is never reused
 * either: master.c's m.gen only grows, and test-daemon's
 * test_reload_after_aborted_reload_uses_new_generation checks that the
 * second reload is generation 3.)
 */
static void
test_aborted_reload_stale_ready(void **state)
{
	struct master_ctx c = { 0, 0, 0 };
	enum master_state s = MS_SERVING;
	enum slot_state old, fresh;
	unsigned a;

	(void)state;
	s = step(s, ME_HUP, &c, &a);
	assert_int_equal(s, MS_RELOADING);
	assert_int_equal(a, MA_RELOAD_BEGIN);
	/* Generation 2's worker, forked, hanging. */
	(void)slot_fsm_step(SS_FREE, SE_FORKED, 0, &old);
	s = step(s, ME_READY_TIMEOUT, &c, &a);
	assert_int_equal(s, MS_SERVING);
	assert_int_equal(a, MA_RELOAD_ABORT);
	/* reload_abort's SE_KILL. */
	assert_int_equal(slot_fsm_step(old, SE_KILL, 0, &old), SA_SIGKILL);
	assert_int_equal(old, SS_KILLED);
	/* The second HUP, before generation 2's worker is reaped. */
	s = step(s, ME_HUP, &c, &a);
	assert_int_equal(s, MS_RELOADING);
	(void)slot_fsm_step(SS_FREE, SE_FORKED, 0, &fresh);
	/* The straggler's READY, drained from its channel. */
	assert_int_equal(slot_fsm_step(old, SE_READY, 0, &old),
	    SA_LATE_READY);
	assert_int_equal(old, SS_KILLED);
	/* Its death is expected, and says nothing to the master. */
	assert_int_equal(slot_fsm_step(old, SE_EXIT, 0, &old),
	    SA_EXIT_EXPECTED);
	assert_int_equal(old, SS_FREE);
	/* Only the new one's READY counts. */
	assert_int_equal(slot_fsm_step(fresh, SE_READY, 0, &fresh), SA_READY);
	s = step(s, ME_GEN_READY, &c, &a);
	assert_int_equal(s, MS_SERVING);
	assert_int_equal(a, MA_RELOAD_COMMIT);
	/* A generation-ready while serving (none starting) commits nothing. */
	s = step(s, ME_GEN_READY, &c, &a);
	assert_int_equal(s, MS_SERVING);
	assert_int_equal(a, 0);
}

/* Doubling from BACKOFF_MIN to BACKOFF_MAX, never further; back to the
 * bottom after a worker served HEALTHY_AFTER. */
static void
test_backoff(void **state)
{
	static const double want[] = { 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0 };
	double b = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		b = master_fsm_backoff(b, i % 2 ? -1 : 1.0);
		assert_true(b > want[i] - 1e-9 && b < want[i] + 1e-9);
	}
	/* Just short of healthy: still the top. */
	assert_true(master_fsm_backoff(b, HEALTHY_AFTER - 0.01) ==
	    BACKOFF_MAX);
	/* Healthy for a while: the bottom again, then doubling anew. */
	b = master_fsm_backoff(b, HEALTHY_AFTER);
	assert_true(b == BACKOFF_MIN);
	b = master_fsm_backoff(b, 0.5);
	assert_true(b > 0.2 - 1e-9 && b < 0.2 + 1e-9);
	assert_true(master_fsm_backoff(BACKOFF_MAX, 3600) == BACKOFF_MIN);
	/* At least twice the longest wait: one healthy period outlasts a
	 * whole crash loop's delay. */
	assert_true(HEALTHY_AFTER >= 2 * BACKOFF_MAX);
}

/* Replacements failing before READY: respawned until BREAKER_STARTS in a
 * row, then the breaker. */
static void
test_breaker(void **state)
{
	struct master_ctx c = { 0, 0, 0 };
	enum master_state s = MS_SERVING;
	unsigned a;

	(void)state;
	for (c.failures = 1; c.failures < BREAKER_STARTS; c.failures++) {
		s = step(s, ME_REPLACEMENT_FAILED, &c, &a);
		assert_int_equal(s, MS_SERVING);
		assert_int_equal(a, MA_RESPAWN_LATER);
	}
	s = step(s, ME_REPLACEMENT_FAILED, &c, &a);
	assert_int_equal(s, MS_STOPPING_FAST);
	assert_true(a & MA_TRIP);
	/* Tripped: no signal starts anything any more. */
	assert_int_equal(step(s, ME_TERM, &c, &a), MS_STOPPING_FAST);
	assert_int_equal(a, 0);
	assert_int_equal(step(s, ME_HUP, &c, &a), MS_STOPPING_FAST);
	assert_int_equal(a, 0);
	assert_int_equal(step(s, ME_ALL_GONE, &c, &a), MS_DONE);
	assert_int_equal(a, MA_EXIT);
}

/* TERM, drain, TERM again: fast; QUIT never makes a stop faster. */
static void
test_stops(void **state)
{
	struct master_ctx c = { 0, 1, 0 };
	enum master_state s;
	unsigned a;

	(void)state;
	s = step(MS_SERVING, ME_TERM, &c, &a);
	assert_int_equal(s, MS_DRAINING);
	assert_int_equal(step(s, ME_QUIT, &c, &a), MS_DRAINING);
	assert_int_equal(a, 0);
	assert_int_equal(step(s, ME_HUP, &c, &a), MS_DRAINING);
	assert_int_equal(a, 0);
	s = step(s, ME_DRAIN_TIMER, &c, &a);
	assert_int_equal(s, MS_STOPPING);
	assert_int_equal(a, MA_QUIT_ALL);
	s = step(s, ME_TERM, &c, &a);
	assert_int_equal(s, MS_STOPPING_FAST);
	assert_true(a & MA_TERMINATE_ALL);
	assert_int_equal(step(s, ME_TERM, &c, &a), MS_STOPPING_FAST);
	assert_int_equal(a, 0);
	/* An upgrade handed over is a graceful stop: TERM makes it fast. */
	s = step(MS_UPGRADING, ME_UP_READY, &c, &a);
	assert_int_equal(s, MS_STOPPING);
	assert_int_equal(a, MA_UP_HANDOVER);
	/* A READY from a new master we abandoned hands nothing over. */
	s = step(MS_UPGRADING, ME_TERM, &c, &a);
	assert_true(a & MA_UP_ABANDON);
	assert_int_equal(step(s, ME_UP_READY, &c, &a), s);
	assert_int_equal(a, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_every_edge),
		cmocka_unit_test(test_master_table_is_the_spec),
		cmocka_unit_test(test_slot_every_edge),
		cmocka_unit_test(test_aborted_reload_stale_ready),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_breaker),
		cmocka_unit_test(test_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
