#!/bin/sh
# fuzz/run.sh SECONDS - build the request-parser fuzzer with clang (libFuzzer,
# ASan, UBSan) and run it for SECONDS (default 60) on a copy of the seed
# corpus, so new inputs never land in the checked-in one.  Crashes are kept
# in $FUZZ_OUT (default: a fresh directory under /tmp), and the exit status
# is the fuzzer's: non-zero when it found a crash or a broken invariant.
set -eu
secs=${1:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/asyncd-fuzz.XXXXXX")}
cc=${FUZZ_CC:-clang}
mkdir -p "$out/corpus"
$cc -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$src/src/http" -o "$out/fuzz-parser" \
	"$src/fuzz/fuzz-parser.c" "$src/src/http/parser.c"
echo "fuzz/run.sh: $secs s, output in $out"
exec "$out/fuzz-parser" -max_total_time="$secs" -max_len=4096 \
	-dict="$src/fuzz/http.dict" -artifact_prefix="$out/" \
	-print_final_stats=1 "$out/corpus" "$src/fuzz/corpus/parser"
