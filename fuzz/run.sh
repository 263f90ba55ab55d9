#!/bin/sh
# fuzz/run.sh SECONDS [TARGET...] - build the fuzzers with clang (libFuzzer,
# ASan, UBSan) and run each for SECONDS (default 60) on a copy of its seed
# corpus, so new inputs never land in the checked-in one.  Targets: parser
# (the request parser), response (the same parser's response mode, the
# client's), logfmt (the access log's line), router (route matching,
# parameter and query decoding) and proxyproto (the PROXY protocol header,
# X-Forwarded-For, CIDRs); default all five.
# Crashes are kept in $FUZZ_OUT (default: a fresh directory under /tmp), and
# the exit status is non-zero when any target found a crash or a broken
# invariant.
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-parser response logfmt router proxyproto}
src=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/asyncd-fuzz.XXXXXX")}
cc=${FUZZ_CC:-clang}
status=0
for t in $targets; do
	case "$t" in
	parser|response)
		srcs="$src/src/http/parser.c"; dict="-dict=$src/fuzz/http.dict"
		maxlen=4096 ;;
	logfmt)	srcs="$src/src/http/logfmt.c"; dict=; maxlen=8192 ;;
	router)	srcs="$src/src/http/router.c $src/src/http/parser.c"; dict=
		maxlen=4096 ;;
	proxyproto)
		srcs="$src/src/http/proxyproto.c $src/src/http/realip.c"
		dict=; maxlen=4200 ;;
	*)	echo "fuzz/run.sh: unknown target $t" >&2; exit 2 ;;
	esac
	mkdir -p "$out/corpus-$t"
	# shellcheck disable=SC2086
	$cc -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -I"$src/src/http" \
	    -o "$out/fuzz-$t" "$src/fuzz/fuzz-$t.c" $srcs
	echo "fuzz/run.sh: $t for $secs s, output in $out"
	# shellcheck disable=SC2086
	"$out/fuzz-$t" -max_total_time="$secs" -max_len=$maxlen $dict \
	    -artifact_prefix="$out/$t-" -print_final_stats=1 \
	    "$out/corpus-$t" "$src/fuzz/corpus/$t" || status=1
done
exit $status
