/*
 * example.h - what the examples share: how they die on an error they do not
 * expect, and the ASYNCD_EXAMPLE_SCALE knob.
 *
 * The examples are programs, not library code, so unlike the runtime they
 * print and exit on errors.  Every runtime call returning a status goes
 * through EX_CHECK; stdout is checked once, at the end, by ex_finish()
 * (a failed printf sets the stream's error flag, so one check covers all).
 */
#ifndef ASYNCD_EXAMPLE_H
#define ASYNCD_EXAMPLE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noreturn)) static inline void
ex_die(const char *what, int err, const char *file, int line)
{
	fprintf(stderr, "%s:%d: %s: %s\n", file, line, what, strerror(-err));
	exit(EXIT_FAILURE);
}

/* Evaluates call once; exits naming it if it returned a negative errno. */
#define EX_CHECK(call) do {						\
	int ex_err_ = (call);						\
	if (ex_err_ < 0)						\
		ex_die(#call, ex_err_, __FILE__, __LINE__);		\
} while (0)

/*
 * The seed's sleeps, in seconds, multiplied by ASYNCD_EXAMPLE_SCALE
 * (default 1).  The check scripts set it to 0.01 so that `make check` does
 * not wait out every second; the order of the output does not depend on it.
 */
static inline double
ex_seconds(double seconds)
{
	const char *v = getenv("ASYNCD_EXAMPLE_SCALE");
	char *end;
	double k;

	if (v == NULL || *v == '\0')
		return seconds;
	errno = 0;
	k = strtod(v, &end);
	if (errno != 0 || *end != '\0' || !(k >= 0 && k <= 1000)) {
		fprintf(stderr, "ASYNCD_EXAMPLE_SCALE=%s: not a number in "
		    "[0, 1000]\n", v);
		exit(EXIT_FAILURE);
	}
	return seconds * k;
}

/* The exit status of main: failure if anything written to stdout was lost. */
static inline int
ex_finish(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("stdout");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

#endif /* ASYNCD_EXAMPLE_H */
