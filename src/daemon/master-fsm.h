/*
 * master-fsm.h - the master's decisions, without I/O: given a state and an
 * event, the next state and the actions to take (master-fsm.c holds the
 * tables; master.c performs the actions).  Two machines: the master's own,
 * and one per worker slot.  Nothing here forks, signals, logs or reads a
 * clock, so tests/unit/test-daemon-master-fsm.c drives every edge.
 */
#ifndef ASYNCD_MASTER_FSM_H
#define ASYNCD_MASTER_FSM_H

#define BACKOFF_MIN		0.1
#define BACKOFF_MAX		5.0
#define HEALTHY_AFTER		(2 * BACKOFF_MAX) /* served this long: reset */
#define BREAKER_STARTS		5	/* replacements failing before READY */

enum master_state {
	MS_STARTING,		/* the first generation forked, not all READY */
	MS_SERVING,
	MS_RELOADING,		/* SIGHUP: the next generation starting */
	MS_UPGRADING,		/* SIGUSR2: a new master (our child) starting */
	MS_HANDOVER,		/* we are that new master: READY said, the
				   old one not gone yet */
	MS_DRAINING,		/* graceful stop, timeouts.drain first */
	MS_STOPPING,		/* graceful stop: QUIT sent (or handed over) */
	MS_STOPPING_FAST,	/* TERMINATE or SIGKILL sent (or the breaker) */
	MS_DONE,		/* nothing left: the loop ends */
	MS_NSTATES
};

enum master_event {
	ME_NONE,
	ME_HUP,
	ME_TERM,		/* SIGTERM or SIGINT */
	ME_QUIT,		/* SIGQUIT */
	ME_USR2,
	ME_GEN_READY,		/* every worker of the starting generation */
	ME_NEW_FAILED,		/* one of them died before READY, or its fork
				   or listener failed */
	ME_CONF_BAD,		/* a reload's file did not load */
	ME_READY_TIMEOUT,	/* timeouts.ready passed */
	ME_LOST,		/* a worker that had served died unasked */
	ME_REPLACEMENT_FAILED,	/* a replacement died before READY, or its
				   fork failed */
	ME_RESPAWN_TIMER,	/* the backoff passed */
	ME_DRAIN_TIMER,		/* timeouts.drain passed */
	ME_KILL_TIMER,		/* a stop's deadline passed */
	ME_ALL_GONE,		/* no worker left, no new master to wait for */
	ME_UP_READY,		/* the new master's READY line */
	ME_UP_ERROR,		/* the new master's ERROR line (exec failed) */
	ME_UP_EXIT,		/* the new master ended */
	ME_UP_FAILED,		/* it could not be started at all */
	ME_UP_TIMEOUT,		/* it was not READY in time */
	ME_TAKEOVER,		/* new master: TAKEOVER, or the old one gone */
	ME_NEVENTS
};

/* When a row applies; rows are tried in order, the first that applies
 * wins, and no row at all means: ignored. */
enum master_guard {
	MG_ALWAYS,
	MG_UPGRADED,		/* we are a new master, the old one still there */
	MG_DRAIN,		/* timeouts.drain > 0 */
	MG_BREAKER		/* BREAKER_STARTS failures in a row */
};

/* What master.c does, in this order (one bit each). */
#define MA_WARN_IGNORED		0x000001 /* log why the signal is ignored */
#define MA_STOP_BEGIN		0x000002 /* STOPPING=1, no respawn, no ready
					    or drain timer */
#define MA_UP_ABANDON		0x000004 /* kill a new master not handed to */
#define MA_TERMINATE_ALL	0x000008 /* TERMINATE to every worker, SIGKILL
					    STOP_GRACE later */
#define MA_DRAIN_ALL		0x000010 /* DRAIN to every worker, drain timer */
#define MA_QUIT_ALL		0x000020 /* QUIT, SIGKILL after the deadline */
#define MA_KILL_ALL		0x000040 /* SIGKILL what is left */
#define MA_TRIP			0x000080 /* the breaker: SIGKILL all, exit 1 */
#define MA_RELOAD_BEGIN		0x000100 /* load, listeners, logs, fork */
#define MA_RELOAD_COMMIT	0x000200 /* the new generation serves */
#define MA_RELOAD_ABORT		0x000400 /* kill it, roll back */
#define MA_SERVE		0x000800 /* first generation: pid file, READY=1 */
#define MA_UP_SAY_READY		0x001000 /* new master: READY to the old one */
#define MA_UP_TAKE		0x002000 /* new master: the old one is gone */
#define MA_UP_START		0x004000 /* fork and exec the new master */
#define MA_UP_HANDOVER		0x008000 /* MAINPID, TAKEOVER, workers QUIT */
#define MA_UP_ERROR		0x010000 /* log its ERROR line */
#define MA_UP_REAPED		0x020000 /* log how it ended */
#define MA_UP_TIMEOUT		0x040000 /* SIGTERM it, then SIGKILL */
#define MA_RESPAWN_LATER	0x080000 /* backoff, then ME_RESPAWN_TIMER */
#define MA_RESPAWN		0x100000 /* refill the serving generation */
#define MA_EXIT			0x200000 /* end the loop */

struct master_ctx {
	int		 upgraded;	/* MG_UPGRADED */
	int		 drain;		/* MG_DRAIN */
	unsigned	 failures;	/* MG_BREAKER, this one counted */
};

struct master_edge {
	enum master_state	 from;
	enum master_event	 ev;
	enum master_guard	 guard;
	unsigned		 actions;
	enum master_state	 to;
};

/* The table, in order; *n gets its length. */
const struct master_edge *master_fsm_table(size_t *n);

/*
 * The edge taken from s on ev in ctx: its actions, and the next state in
 * *to.  An event with no edge is ignored: 0, and *to = s.
 */
unsigned	master_fsm_step(enum master_state s, enum master_event ev,
		    const struct master_ctx *ctx, enum master_state *to);

/* Whether s is one of the stops (DRAINING, STOPPING, STOPPING_FAST,
 * DONE). */
int		master_fsm_stopping(enum master_state s);

/* For logs: "serving", "ME_HUP" as "SIGHUP"... */
const char	*master_state_name(enum master_state s);
const char	*master_event_name(enum master_event ev);

/* ---- worker slots -------------------------------------------------------- */

enum slot_state {
	SS_FREE,
	SS_STARTING,		/* forked, not READY */
	SS_READY,		/* serving */
	SS_ABORTED,		/* READY, then silent: SIGABRT sent */
	SS_QUITTING,		/* told to go (QUIT, TERMINATE): exit expected */
	SS_KILLED,		/* SIGKILLed by us (an aborted reload, the
				   breaker): exit expected */
	SS_NSTATES
};

enum slot_event {
	SE_FORKED,
	SE_READY,		/* its READY message */
	SE_SILENT,		/* no PONG within the heartbeat timeout */
	SE_GRACE,		/* KILL_GRACE after its SIGABRT */
	SE_QUIT,		/* the master tells it to go */
	SE_TERMINATE,		/* the fast stop */
	SE_KILL,		/* the master kills it outright */
	SE_CHAN_ERROR,		/* its channel broke */
	SE_EXIT,		/* reaped */
	SE_NEVENTS
};

enum slot_guard {
	SG_ALWAYS,
	SG_STOPPING		/* the master is in a stop */
};

#define SA_READY		0x0001	/* it counts for its generation */
#define SA_LATE_READY		0x0002	/* noted, counts for nothing */
#define SA_SEND_QUIT		0x0004
#define SA_SEND_TERMINATE	0x0008
#define SA_SIGABRT		0x0010
#define SA_SIGKILL		0x0020
#define SA_CHAN_KILL		0x0040	/* a broken protocol: SIGKILL, logged
					   as an error */
#define SA_CHAN_NOTE		0x0080	/* expected: logged at debug */
#define SA_EXIT_EXPECTED	0x0100
#define SA_EXIT_EARLY		0x0200	/* died before READY, unasked */
#define SA_EXIT_SERVED		0x0400	/* died after READY, unasked */

struct slot_edge {
	enum slot_state		 from;
	enum slot_event		 ev;
	enum slot_guard		 guard;
	unsigned		 actions;
	enum slot_state		 to;
};

const struct slot_edge *slot_fsm_table(size_t *n);
unsigned	slot_fsm_step(enum slot_state s, enum slot_event ev,
		    int stopping, enum slot_state *to);
const char	*slot_state_name(enum slot_state s);

/*
 * The respawn backoff after a death: doubled from BACKOFF_MIN up to
 * BACKOFF_MAX, and back to BACKOFF_MIN when the dead worker had served
 * HEALTHY_AFTER or more (served < 0: it never did).
 */
double		master_fsm_backoff(double backoff, double served);

#endif
