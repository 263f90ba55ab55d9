/*
 * proctitle.c - process titles: "asyncd: master", "asyncd: worker 2".
 *
 * ps and top show a process's argv area, so the title is written over it
 * (nginx's ngx_setproctitle).  argv and, right after it, the environment
 * strings form one contiguous block; the environment is copied to the heap
 * first (environ then points at the copies), which frees that whole block
 * for the title.  The comm name (prctl PR_SET_NAME, 15 bytes) is set too, for
 * tools that show only it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "daemon.h"

extern char **environ;

static char	*title_area;	/* argv[0] .. the end of the block */
static size_t	 title_len;

int
proctitle_init(int argc, char **argv)
{
	static char *block;	/* the copies: one allocation, kept reachable
				   here even when unsetenv drops entries */
	char *end, **env, *p;
	size_t n, i, total = 0;

	if (argc == 0 || argv[0] == NULL)
		return -EINVAL;
	end = argv[0] + strlen(argv[0]) + 1;
	for (i = 1; i < (size_t)argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ[n] != NULL; n++)
		total += strlen(environ[n]) + 1;
	if ((env = malloc((n + 1) * sizeof(*env))) == NULL)
		return -ENOMEM;
	if ((block = malloc(total != 0 ? total : 1)) == NULL) {
		free(env);
		return -ENOMEM;
	}
	for (i = 0, p = block; i < n; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
		env[i] = p;
		p = stpcpy(p, environ[i]) + 1;
	}
	env[n] = NULL;
	environ = env;
	/* argv's strings are overwritten from here on: the caller has read
	 * its options already, and copies what it keeps (the config path). */
	title_area = argv[0];
	title_len = (size_t)(end - argv[0]);
	return 0;
}

void
proctitle_set(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* The comm name: the 15 first bytes; cannot fail for PR_SET_NAME. */
	(void)prctl(PR_SET_NAME, buf, 0, 0, 0);
	if (title_area == NULL || title_len < 2)
		return;
	n = strlen(buf);
	if (n > title_len - 1)
		n = title_len - 1;
	memcpy(title_area, buf, n);
	/* Zero the rest: ps shows up to the first NUL of the block. */
	memset(title_area + n, '\0', title_len - n);
}
