/*
 * fuzz-logfmt.c - libFuzzer target for src/http/logfmt.c, the access log's
 * line.
 *
 * The input is cut into the three client fields (request line, Referer,
 * User-Agent) at points taken from its first bytes, with a peer address
 * family, a status, a byte count and a capacity also taken from them.  The
 * line is written into a heap buffer of exactly that capacity (so ASan
 * sees a byte written past it) and checked:
 *   - it fits the capacity, and any capacity of HTTP_LOGFMT_LINE_MAX or
 *     more always gets a line;
 *   - printable ASCII only, one newline, at the end;
 *   - exactly six '"' (each field quoted, no quote inside a field).
 *
 * Built with -DFUZZ_REPLAY it has a main() that runs every file of a corpus
 * directory (argv[1], or $top_srcdir/fuzz/corpus/logfmt) through the same
 * checks, for `make check` without clang.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfmt.h"

static void
fail(const char *what, size_t size)
{
	fprintf(stderr, "fuzz-logfmt: invariant broken: %s (input %zu bytes)\n",
	    what, size);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct http_logfmt_rec r;
	const uint8_t *p;
	size_t cut1, cut2, cap, n, i, quotes = 0;
	char *buf;

	if (size < 8)
		return 0;
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = data[0] % 3 == 0 ? AF_INET : data[0] % 3 == 1 ?
	    AF_INET6 : AF_UNIX;
	if (ss.ss_family == AF_INET)
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, data + 1, 4);
	else if (ss.ss_family == AF_INET6)
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, data + 1, 7);
	p = data + 8;
	size -= 8;
	cut1 = size ? ((size_t)data[5] * 257u) % (size + 1) : 0;
	cut2 = size ? cut1 + ((size_t)data[6] * 263u) % (size - cut1 + 1) : 0;
	/* Mostly the full capacity; sometimes any smaller one. */
	cap = data[7] < 200 ? HTTP_LOGFMT_LINE_MAX :
	    ((size_t)data[7] * 31u + size) % HTTP_LOGFMT_LINE_MAX;

	memset(&r, 0, sizeof(r));
	r.peer = data[0] == 255 ? NULL : &ss;
	r.when = (time_t)data[1] * 86400 * 366;
	r.status = (int)((int8_t)data[2]) * 97;
	r.bytes = (size_t)data[3] << (data[4] % 56);
	r.reqline = (const char *)p;
	r.reqlen = cut1;
	r.referer = (const char *)p + cut1;
	r.reflen = cut2 - cut1;
	r.agent = (const char *)p + cut2;
	r.agentlen = size - cut2;

	if ((buf = malloc(cap ? cap : 1)) == NULL)
		return 0;
	n = http_logfmt_combined(buf, cap, &r);
	if (n > cap)
		fail("longer than the capacity", size);
	if (n == 0) {
		if (cap >= HTTP_LOGFMT_LINE_MAX)
			fail("no line with the full capacity", size);
		free(buf);
		return 0;
	}
	if (buf[n - 1] != '\n')
		fail("no newline at the end", size);
	for (i = 0; i + 1 < n; i++) {
		if ((unsigned char)buf[i] < 0x20 ||
		    (unsigned char)buf[i] > 0x7e)
			fail("a byte outside printable ASCII", size);
		if (buf[i] == '"')
			quotes++;
	}
	if (quotes != 6)
		fail("not three quoted fields", size);
	free(buf);
	return 0;
}

#ifdef FUZZ_REPLAY
#include <dirent.h>

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	char dir[4096], path[8192];
	struct dirent *de;
	size_t n, files = 0;
	uint8_t *in;
	FILE *fp;
	DIR *d;

	if (argc > 1)
		(void)snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		(void)snprintf(dir, sizeof(dir), "%s/fuzz/corpus/logfmt",
		    top != NULL ? top : ".");
	if ((d = opendir(dir)) == NULL) {
		perror(dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fp = fopen(path, "rb")) == NULL) {
			perror(path);
			return 1;
		}
		/* Exactly the file's bytes, so ASan sees a read past them. */
		if ((in = malloc(1 << 16)) == NULL)
			return 1;
		n = fread(in, 1, 1 << 16, fp);
		(void)fclose(fp);	/* read-only: nothing to lose */
		if ((in = realloc(in, n ? n : 1)) == NULL)
			return 1;
		(void)LLVMFuzzerTestOneInput(in, n);
		free(in);
		files++;
	}
	(void)closedir(d);
	printf("fuzz-logfmt: %zu inputs replayed\n", files);
	return files > 0 ? 0 : 1;
}
#endif
