/*
 * master-fsm.c - the master's transition tables (master-fsm.h); no I/O.
 * master.c's top comment shows the same tables as prose; the unit test
 * (tests/unit/test-daemon-master-fsm.c) walks every row.
 *
 * A row is (state, event, guard) -> (actions, next state).  Rows are tried
 * in order and the first whose guard holds wins, so an MG_ALWAYS row after
 * a guarded one is its "else".  An event without a row in a state is
 * ignored there: a stray timer, a signal during a stop, a READY after the
 * generation it belonged to was given up.
 */
#include "config.h"

#include <stddef.h>

#include "master-fsm.h"

/* A stop, from any state that serves: graceful (with or without the
 * drain), or the breaker's. */
#define STOP_DRAIN	(MA_STOP_BEGIN | MA_UP_ABANDON | MA_DRAIN_ALL)
#define STOP_QUIT	(MA_STOP_BEGIN | MA_UP_ABANDON | MA_QUIT_ALL)
#define STOP_FAST	(MA_STOP_BEGIN | MA_UP_ABANDON | MA_TERMINATE_ALL)

/* What every state with a serving generation does with its workers'
 * deaths and the respawn timer. */
#define SUPERVISE(s)							\
	{ s, ME_LOST,		    MG_ALWAYS,  MA_RESPAWN_LATER, s },	\
	{ s, ME_REPLACEMENT_FAILED, MG_BREAKER, MA_TRIP | MA_UP_ABANDON,\
	    MS_STOPPING_FAST },						\
	{ s, ME_REPLACEMENT_FAILED, MG_ALWAYS,  MA_RESPAWN_LATER, s },	\
	{ s, ME_RESPAWN_TIMER,	    MG_ALWAYS,  MA_RESPAWN, s }

#define STOPS(s)							\
	{ s, ME_TERM,	MG_DRAIN,  STOP_DRAIN, MS_DRAINING },		\
	{ s, ME_TERM,	MG_ALWAYS, STOP_QUIT,  MS_STOPPING },		\
	{ s, ME_QUIT,	MG_DRAIN,  STOP_DRAIN, MS_DRAINING },		\
	{ s, ME_QUIT,	MG_ALWAYS, STOP_QUIT,  MS_STOPPING }

/* A stop under way: what the new master we abandoned does, and the end. */
#define ENDING(s)							\
	{ s, ME_UP_ERROR,   MG_ALWAYS, MA_UP_ERROR,   s },		\
	{ s, ME_UP_EXIT,    MG_ALWAYS, MA_UP_REAPED,  s },		\
	{ s, ME_UP_TIMEOUT, MG_ALWAYS, MA_UP_TIMEOUT, s },		\
	{ s, ME_ALL_GONE,   MG_ALWAYS, MA_EXIT,	      MS_DONE }

static const struct master_edge master_table[] = {
	/* The first generation. */
	{ MS_STARTING, ME_HUP,	 MG_ALWAYS, MA_WARN_IGNORED, MS_STARTING },
	{ MS_STARTING, ME_USR2,	 MG_ALWAYS, MA_WARN_IGNORED, MS_STARTING },
	STOPS(MS_STARTING),
	{ MS_STARTING, ME_GEN_READY, MG_UPGRADED, MA_UP_SAY_READY,
	    MS_HANDOVER },
	{ MS_STARTING, ME_GEN_READY, MG_ALWAYS, MA_SERVE, MS_SERVING },
	{ MS_STARTING, ME_NEW_FAILED, MG_ALWAYS, MA_TRIP, MS_STOPPING_FAST },
	{ MS_STARTING, ME_READY_TIMEOUT, MG_ALWAYS, MA_TRIP,
	    MS_STOPPING_FAST },
	{ MS_STARTING, ME_TAKEOVER, MG_ALWAYS, MA_UP_TAKE, MS_STARTING },
	/* A worker of the first generation may die after its READY while
	 * the others are still starting: it is replaced. */
	{ MS_STARTING, ME_LOST, MG_ALWAYS, MA_RESPAWN_LATER, MS_STARTING },
	{ MS_STARTING, ME_RESPAWN_TIMER, MG_ALWAYS, MA_RESPAWN, MS_STARTING },

	{ MS_SERVING, ME_HUP,	MG_ALWAYS, MA_RELOAD_BEGIN, MS_RELOADING },
	{ MS_SERVING, ME_USR2,	MG_ALWAYS, MA_UP_START, MS_UPGRADING },
	STOPS(MS_SERVING),
	SUPERVISE(MS_SERVING),

	{ MS_RELOADING, ME_HUP,	 MG_ALWAYS, MA_WARN_IGNORED, MS_RELOADING },
	{ MS_RELOADING, ME_USR2, MG_ALWAYS, MA_WARN_IGNORED, MS_RELOADING },
	STOPS(MS_RELOADING),
	{ MS_RELOADING, ME_GEN_READY, MG_ALWAYS, MA_RELOAD_COMMIT,
	    MS_SERVING },
	{ MS_RELOADING, ME_NEW_FAILED, MG_ALWAYS, MA_RELOAD_ABORT,
	    MS_SERVING },
	{ MS_RELOADING, ME_READY_TIMEOUT, MG_ALWAYS, MA_RELOAD_ABORT,
	    MS_SERVING },
	{ MS_RELOADING, ME_CONF_BAD, MG_ALWAYS, 0, MS_SERVING },
	SUPERVISE(MS_RELOADING),

	{ MS_UPGRADING, ME_HUP,	 MG_ALWAYS, MA_WARN_IGNORED, MS_UPGRADING },
	{ MS_UPGRADING, ME_USR2, MG_ALWAYS, MA_WARN_IGNORED, MS_UPGRADING },
	STOPS(MS_UPGRADING),
	{ MS_UPGRADING, ME_UP_READY, MG_ALWAYS, MA_UP_HANDOVER, MS_STOPPING },
	{ MS_UPGRADING, ME_UP_ERROR, MG_ALWAYS, MA_UP_ERROR, MS_UPGRADING },
	{ MS_UPGRADING, ME_UP_EXIT, MG_ALWAYS, MA_UP_REAPED, MS_SERVING },
	{ MS_UPGRADING, ME_UP_FAILED, MG_ALWAYS, 0, MS_SERVING },
	{ MS_UPGRADING, ME_UP_TIMEOUT, MG_ALWAYS, MA_UP_TIMEOUT,
	    MS_UPGRADING },
	SUPERVISE(MS_UPGRADING),

	{ MS_HANDOVER, ME_HUP,	MG_ALWAYS, MA_WARN_IGNORED, MS_HANDOVER },
	{ MS_HANDOVER, ME_USR2,	MG_ALWAYS, MA_WARN_IGNORED, MS_HANDOVER },
	STOPS(MS_HANDOVER),
	{ MS_HANDOVER, ME_TAKEOVER, MG_ALWAYS, MA_UP_TAKE, MS_SERVING },
	SUPERVISE(MS_HANDOVER),

	/* The stops: a second TERM or INT is the fast stop. */
	{ MS_DRAINING, ME_TERM, MG_ALWAYS, STOP_FAST, MS_STOPPING_FAST },
	{ MS_DRAINING, ME_DRAIN_TIMER, MG_ALWAYS, MA_QUIT_ALL, MS_STOPPING },
	ENDING(MS_DRAINING),
	{ MS_STOPPING, ME_TERM, MG_ALWAYS, STOP_FAST, MS_STOPPING_FAST },
	{ MS_STOPPING, ME_KILL_TIMER, MG_ALWAYS, MA_KILL_ALL, MS_STOPPING },
	ENDING(MS_STOPPING),
	{ MS_STOPPING_FAST, ME_KILL_TIMER, MG_ALWAYS, MA_KILL_ALL,
	    MS_STOPPING_FAST },
	ENDING(MS_STOPPING_FAST),
};

const struct master_edge *
master_fsm_table(size_t *n)
{
	*n = sizeof(master_table) / sizeof(master_table[0]);
	return master_table;
}

static int
master_fsm_guard_holds(enum master_guard g, const struct master_ctx *ctx)
{
	switch (g) {
	case MG_ALWAYS:
		return 1;
	case MG_UPGRADED:
		return ctx->upgraded;
	case MG_DRAIN:
		return ctx->drain;
	case MG_BREAKER:
		return ctx->failures >= BREAKER_STARTS;
	}
	return 0;
}

unsigned
master_fsm_step(enum master_state s, enum master_event ev,
    const struct master_ctx *ctx, enum master_state *to)
{
	size_t i;

	for (i = 0; i < sizeof(master_table) / sizeof(master_table[0]); i++)
		if (master_table[i].from == s && master_table[i].ev == ev &&
		    master_fsm_guard_holds(master_table[i].guard, ctx)) {
			*to = master_table[i].to;
			return master_table[i].actions;
		}
	*to = s;
	return 0;
}

int
master_fsm_stopping(enum master_state s)
{
	return s == MS_DRAINING || s == MS_STOPPING || s == MS_STOPPING_FAST ||
	    s == MS_DONE;
}

const char *
master_state_name(enum master_state s)
{
	static const char *const names[MS_NSTATES] = { "starting", "serving",
	    "reloading", "upgrading", "handover", "draining", "stopping",
	    "stopping-fast", "done" };

	return s < MS_NSTATES ? names[s] : "?";
}

const char *
master_event_name(enum master_event ev)
{
	static const char *const names[ME_NEVENTS] = { "none", "SIGHUP",
	    "SIGTERM", "SIGQUIT", "SIGUSR2", "generation ready",
	    "new worker failed", "configuration bad", "ready timeout",
	    "worker lost", "replacement failed", "respawn timer",
	    "drain timer", "kill timer", "all gone", "upgrade READY",
	    "upgrade ERROR", "upgrade exit", "upgrade not started",
	    "upgrade timeout", "takeover" };

	return ev < ME_NEVENTS ? names[ev] : "?";
}

/* ---- worker slots -------------------------------------------------------- */

/* The states of a process that lives, and those of one told to go. */
#define UNASKED(e, g, a, same)						\
	{ SS_STARTING, e, g, a, same ? SS_STARTING : SS_QUITTING },	\
	{ SS_READY, e, g, a, same ? SS_READY : SS_QUITTING },		\
	{ SS_ABORTED, e, g, a, same ? SS_ABORTED : SS_QUITTING }

static const struct slot_edge slot_table[] = {
	{ SS_FREE, SE_FORKED, SG_ALWAYS, 0, SS_STARTING },

	/* READY during a stop (a reload's worker when the drain began)
	 * gets heartbeats but makes no generation take over; READY from a
	 * worker told to go (an aborted reload's straggler, whose message
	 * was on its way when it was killed) counts for nothing. */
	{ SS_STARTING, SE_READY, SG_STOPPING, SA_LATE_READY, SS_READY },
	{ SS_STARTING, SE_READY, SG_ALWAYS, SA_READY, SS_READY },
	{ SS_QUITTING, SE_READY, SG_ALWAYS, SA_LATE_READY, SS_QUITTING },
	{ SS_KILLED, SE_READY, SG_ALWAYS, SA_LATE_READY, SS_KILLED },

	/* The heartbeat: a worker hung after READY, even one told to go
	 * (a reload's old one), gets SIGABRT, then SIGKILL; only one that
	 * was serving is then replaced. */
	{ SS_READY, SE_SILENT, SG_ALWAYS, SA_SIGABRT, SS_ABORTED },
	{ SS_QUITTING, SE_SILENT, SG_ALWAYS, SA_SIGABRT, SS_QUITTING },
	{ SS_ABORTED, SE_GRACE, SG_ALWAYS, SA_SIGKILL, SS_ABORTED },
	{ SS_QUITTING, SE_GRACE, SG_ALWAYS, SA_SIGKILL, SS_QUITTING },
	{ SS_KILLED, SE_GRACE, SG_ALWAYS, SA_SIGKILL, SS_KILLED },

	UNASKED(SE_QUIT, SG_ALWAYS, SA_SEND_QUIT, 0),
	UNASKED(SE_TERMINATE, SG_ALWAYS, SA_SEND_TERMINATE, 0),
	{ SS_QUITTING, SE_TERMINATE, SG_ALWAYS, SA_SEND_TERMINATE,
	    SS_QUITTING },
	{ SS_KILLED, SE_TERMINATE, SG_ALWAYS, SA_SEND_TERMINATE, SS_KILLED },
	{ SS_STARTING, SE_KILL, SG_ALWAYS, SA_SIGKILL, SS_KILLED },
	{ SS_READY, SE_KILL, SG_ALWAYS, SA_SIGKILL, SS_KILLED },
	{ SS_ABORTED, SE_KILL, SG_ALWAYS, SA_SIGKILL, SS_KILLED },
	{ SS_QUITTING, SE_KILL, SG_ALWAYS, SA_SIGKILL, SS_KILLED },
	{ SS_KILLED, SE_KILL, SG_ALWAYS, SA_SIGKILL, SS_KILLED },

	/* A broken channel kills a worker nobody told to go; its death is
	 * then unexpected, and handled as such. */
	UNASKED(SE_CHAN_ERROR, SG_STOPPING, SA_CHAN_NOTE, 1),
	UNASKED(SE_CHAN_ERROR, SG_ALWAYS, SA_CHAN_KILL, 1),
	{ SS_QUITTING, SE_CHAN_ERROR, SG_ALWAYS, SA_CHAN_NOTE, SS_QUITTING },
	{ SS_KILLED, SE_CHAN_ERROR, SG_ALWAYS, SA_CHAN_NOTE, SS_KILLED },

	{ SS_STARTING, SE_EXIT, SG_STOPPING, SA_EXIT_EXPECTED, SS_FREE },
	{ SS_STARTING, SE_EXIT, SG_ALWAYS, SA_EXIT_EARLY, SS_FREE },
	{ SS_READY, SE_EXIT, SG_STOPPING, SA_EXIT_EXPECTED, SS_FREE },
	{ SS_READY, SE_EXIT, SG_ALWAYS, SA_EXIT_SERVED, SS_FREE },
	{ SS_ABORTED, SE_EXIT, SG_STOPPING, SA_EXIT_EXPECTED, SS_FREE },
	{ SS_ABORTED, SE_EXIT, SG_ALWAYS, SA_EXIT_SERVED, SS_FREE },
	{ SS_QUITTING, SE_EXIT, SG_ALWAYS, SA_EXIT_EXPECTED, SS_FREE },
	{ SS_KILLED, SE_EXIT, SG_ALWAYS, SA_EXIT_EXPECTED, SS_FREE },
};

const struct slot_edge *
slot_fsm_table(size_t *n)
{
	*n = sizeof(slot_table) / sizeof(slot_table[0]);
	return slot_table;
}

unsigned
slot_fsm_step(enum slot_state s, enum slot_event ev, int stopping,
    enum slot_state *to)
{
	size_t i;

	for (i = 0; i < sizeof(slot_table) / sizeof(slot_table[0]); i++)
		if (slot_table[i].from == s && slot_table[i].ev == ev &&
		    (slot_table[i].guard == SG_ALWAYS || stopping)) {
			*to = slot_table[i].to;
			return slot_table[i].actions;
		}
	*to = s;
	return 0;
}

const char *
slot_state_name(enum slot_state s)
{
	static const char *const names[SS_NSTATES] = { "free", "starting",
	    "ready", "aborted", "quitting", "killed" };

	return s < SS_NSTATES ? names[s] : "?";
}

double
master_fsm_backoff(double backoff, double served)
{
	if (served >= HEALTHY_AFTER || backoff <= 0)
		return BACKOFF_MIN;
	return backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
}
