/*
 * ratelimit.c - one repeated message, said once per period.
 *
 * A full disk fails every access-log flush, a client that never reads
 * fails every stats page, a descriptor limit fails every accept: logging
 * each one floods the error log (408 lines in 8 s for the full disk) and
 * costs the worker more than the failure itself.  The first occurrence is
 * said at once; the repeats within the period are only counted, and the
 * first one after the period is said with that count, so a steady failure
 * gives one line per period that still tells how often it happened.
 */
#include "config.h"

#include "rt-int.h"

int
rt_ratelimit(struct rt_ratelimit *rl, unsigned long *suppressed)
{
	double now = rt_loop_time();

	if (rl->next != 0 && now < rl->next) {
		rl->suppressed++;
		return 0;
	}
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	rl->next = now + (rl->period > 0 ? rl->period :
	    RT_RATELIMIT_PERIOD);
	return 1;
}
