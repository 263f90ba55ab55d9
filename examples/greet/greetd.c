/*
 * greetd.c - the greet app linked into a program of its own: asyncd's
 * whole command line, master, workers, reloads and systemd support, with
 * module = "greet" found in the program rather than in a file.
 */
#include <asyncd/asyncd.h>

extern const struct asyncd_module asyncd_module;	/* greet.c's */

int
main(int argc, char **argv)
{
	static const struct asyncd_module *const modules[] = {
		&asyncd_module, NULL
	};

	return asyncd_main(argc, argv, modules);
}
