/*
 * asyncd.c - the asyncd program: the daemon with no app linked in; the
 * apps it serves are modules named in its configuration (asyncd.conf(5)).
 * Everything else is libasyncd's asyncd_main() (src/daemon/main.c), which
 * programs that link their apps in call too.
 */
#include <asyncd/app.h>

int
main(int argc, char *argv[])
{
	return asyncd_main(argc, argv, 0);
}
