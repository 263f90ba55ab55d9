/*
 * fuzz-logfmt.c - libFuzzer target for src/http/logfmt.c, the access log's
 * line.
 *
 * The input is cut into the client's strings (request line, Referer,
 * User-Agent, and copies of them for other headers) at points taken from
 * its first bytes, with a peer address family, a status, byte counts, a
 * capacity and the format also taken from them: the combined preset, the
 * JSON one, or a template made of the User-Agent's bytes (compiled, which
 * fuzzes the template compiler too).  The line is written into a heap
 * buffer of exactly that capacity (so ASan sees a byte written past it)
 * and checked:
 *   - it fits the capacity and the format's maximum, and any capacity of
 *     that maximum or more always gets a line;
 *   - for the presets: printable ASCII only, one newline, at the end; in
 *     JSON only \", \\ and \u00HH escapes; exactly the template's quotes
 *     (no quote inside a value).
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

/* The quotes a preset's line holds outside escaped values. */
static size_t
count_quotes(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '"';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_logfmt presets[2];
	static int compiled;
	struct http_logfmt tf;
	const struct http_logfmt *f;
	struct sockaddr_storage ss;
	struct http_logfmt_rec r;
	const uint8_t *p;
	size_t cut1, cut2, cap, n, i, quotes = 0, want;
	int mode, esc = 0;
	char tpl[257], *buf;

	if (!compiled) {
		if (http_logfmt_compile(&presets[0], HTTP_LOGFMT_COMBINED,
		    HTTP_LOGFMT_ESC_DEFAULT, NULL, 0) != 0 ||
		    http_logfmt_compile(&presets[1], HTTP_LOGFMT_JSON,
		    HTTP_LOGFMT_ESC_JSON, NULL, 0) != 0)
			fail("a preset does not compile", 0);
		compiled = 1;
	}
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
	/* combined, json, or the User-Agent's bytes as a template. */
	mode = data[4] % 5 < 2 ? 0 : data[4] % 5 < 4 ? 1 : 2;

	memset(&r, 0, sizeof(r));
	r.peer = data[0] == 255 ? NULL : &ss;
	r.when = (time_t)data[1] * 86400 * 366;
	r.status = (int)((int8_t)data[2]) * 97;
	r.body_bytes = (uint64_t)data[3] << (data[4] % 56);
	r.bytes = r.body_bytes * 3;
	r.request_time = (double)data[3] / (double)(data[2] | 1);
	r.worker = data[5];
	r.id[0] = data[6];
	r.request.p = (const char *)p;
	r.request.len = cut1;
	r.request.cut = data[3] & 1;
	r.hdr[0].p = (const char *)p + cut1;
	r.hdr[0].len = cut2 - cut1;
	r.hdr[1].p = (const char *)p + cut2;
	r.hdr[1].len = size - cut2;
	for (i = 2; i < HTTP_LOGFMT_HDRS_MAX; i++)
		r.hdr[i] = r.hdr[i % 2];
	if (mode < 2)
		f = &presets[mode];
	else {
		n = size - cut2 < sizeof(tpl) - 1 ? size - cut2 : sizeof(tpl) - 1;
		memcpy(tpl, p + cut2, n);
		tpl[n] = '\0';
		esc = data[2] & 1;
		if (http_logfmt_compile(&tf, tpl, esc, NULL, 0) != 0)
			return 0;
		if (tf.line_max > HTTP_LOGFMT_LINE_MAX)
			fail("a compiled format's line outgrows the maximum",
			    size);
		f = &tf;
	}

	if ((buf = malloc(cap ? cap : 1)) == NULL)
		return 0;
	n = http_logfmt_line(buf, cap, f, &r);
	if (n > cap)
		fail("longer than the capacity", size);
	if (n > f->line_max)
		fail("longer than the format's maximum", size);
	if (n == 0) {
		if (cap >= f->line_max)
			fail("no line with the format's maximum capacity", size);
		free(buf);
		return 0;
	}
	if (buf[n - 1] != '\n')
		fail("no newline at the end", size);
	if (mode == 2) {
		/* The operator's literal bytes are theirs: only the frame is
		 * checked. */
		free(buf);
		return 0;
	}
	for (i = 0; i + 1 < n; i++) {
		if ((unsigned char)buf[i] < 0x20 ||
		    (unsigned char)buf[i] > 0x7e)
			fail("a byte outside printable ASCII", size);
		if (buf[i] == '\\' && mode == 1) {
			/* JSON: \" \\ or \u00HH, and nothing else. */
			if (buf[i + 1] == '"' || buf[i + 1] == '\\')
				i++;
			else if (buf[i + 1] == 'u' && i + 5 < n)
				i += 5;
			else
				fail("a JSON escape that is not one", size);
			continue;
		}
		if (buf[i] == '"')
			quotes++;
	}
	want = count_quotes(mode == 0 ? HTTP_LOGFMT_COMBINED :
	    HTTP_LOGFMT_JSON);
	if (quotes != want)
		fail("a value's quote not escaped", size);
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
