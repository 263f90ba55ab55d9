#!/bin/sh
# headers.sh - every public header compiles on its own, first in its file,
# as C11 and C99 with -pedantic and every warning an error, and as C++
# (its declarations in extern "C"): a header that leans on an include it
# does not make, on a GNU extension, or on C-only syntax fails here before
# an app's build does.  The public headers are C99.
#
# No public header may include <ev.h>: libev is the runtime's business,
# and an app builds without libev-dev.  The include path therefore starts
# with a directory whose ev.h is an #error, ahead of /usr/include: a
# header that pulls libev in, directly or through another, fails.
#
# Environment: top_srcdir; CC (make check passes the configured one);
# INCDIR, the directory holding asyncd/ (default $top_srcdir/include;
# make installcheck passes the installed one, so what is installed is
# what is checked).
set -u
src=${top_srcdir:-.}
inc=${INCDIR:-$src/include}
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/headers.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/noev" || exit 99
printf '#error "a public header includes <ev.h>"\n' >"$tmp/noev/ev.h"
[ -d "$inc/asyncd" ] || { echo "headers.sh: no $inc/asyncd"; exit 99; }
fail=0
checked=0

# check COMPILER FLAGS... : compiles tmp/t.c (or .cc) with them.
check() {
	what=$1
	shift
	if ! "$@" >"$tmp/out" 2>&1; then
		echo "headers.sh: $h as $what:"
		sed 's/^/  /' "$tmp/out"
		fail=1
	fi
	checked=$((checked + 1))
}

cxx=
for c in c++ g++ clang++; do
	if command -v $c >/dev/null 2>&1; then
		cxx=$c
		break
	fi
done

for path in "$inc"/asyncd/*.h; do
	h=$(basename "$path")
	# The header first, then something that uses nothing from it, so a
	# header that declares nothing still makes a translation unit.
	printf '#include <asyncd/%s>\nint asyncd_header_check;\n' "$h" \
	    >"$tmp/t.c"
	cp "$tmp/t.c" "$tmp/t.cc"
	for std in c11 c99; do
		check "$std" $cc -std=$std -pedantic -Wall -Wextra -Werror \
		    -fsyntax-only -I"$tmp/noev" -I"$inc" "$tmp/t.c"
	done
	if [ -n "$cxx" ]; then
		check "C++11 ($cxx)" $cxx -std=c++11 -Wall -Wextra -Werror \
		    -fsyntax-only -I"$tmp/noev" -I"$inc" "$tmp/t.cc"
	fi
	# Twice in a row: the include guard works.
	printf '#include <asyncd/%s>\n#include <asyncd/%s>\nint x;\n' \
	    "$h" "$h" >"$tmp/t.c"
	check "included twice" $cc -std=c11 -Wall -Werror -fsyntax-only \
	    -I"$tmp/noev" -I"$inc" "$tmp/t.c"
done
[ -n "$cxx" ] || echo "headers.sh: no C++ compiler: C only"
echo "headers.sh: $checked compilations"
exit $fail
