/*
 * error.c - the runtime's error numbers as text.  One int carries an errno
 * (negated) or a getaddrinfo code (RT_EAI: moved below every errno), so
 * one function reads both; the few statuses of our own that reuse an
 * errno for a narrower meaning say that meaning.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <string.h>

#include "rt-int.h"

const char *
rt_strerror(int err)
{
	if (RT_IS_EAI(err))
		return gai_strerror(err + RT_EAI_BASE);
	if (err == -ENODATA)
		return "connection closed before the expected data";
	return strerror(err < 0 ? -err : err);
}
