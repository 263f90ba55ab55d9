#!/bin/sh
# symbols.sh - libasyncd exports exactly its public API: every symbol in
# the dynamic table is declared ASYNCD_API in a public header and prefixed
# rt_, http_ or asyncd_, every ASYNCD_API function is exported, and the
# soname's major is ASYNCD_ABI_VERSION.  Anything else would be a symbol an
# app could bind to by accident, or a declared call that fails to link.
#
# The installed static archive, if given, must define nothing else either
# (its objects are linked into one and the hidden symbols made local at
# install: see src/daemon/local.mk).
#
# Environment: top_srcdir, top_builddir (make check sets both); LIB (the
# installed libasyncd.so instead of the build tree's) and ARCHIVE (the
# installed libasyncd.a), for make installcheck.
set -u
src=${top_srcdir:-.}
bld=${top_builddir:-.}
lib=${LIB:-$bld/.libs/libasyncd.so}
archive=${ARCHIVE:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/symbols.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

for tool in nm readelf; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "symbols.sh: no $tool (binutils): SKIP"
		exit 77
	fi
done
if [ ! -f "$lib" ]; then
	echo "symbols.sh: $lib is missing (built with --disable-shared?)"
	exit 1
fi

# The declared: the identifier before the first '(' on each ASYNCD_API
# line (function declarations keep their name on that line), less
# asyncd_module, which ASYNCD_MODULE defines in a module, not the library.
sed -n 's/^ASYNCD_API[^(]*[[:space:]*]\([a-z_][a-z0-9_]*\)(.*/\1/p' \
    "$src"/include/asyncd/*.h | sort -u >"$tmp/declared"
# The exported: defined symbols of the dynamic table, less the linker's
# own section markers.
nm -D --defined-only "$lib" | awk '{ print $3 }' |
    grep -v -x -e __bss_start -e _edata -e _end | sort -u >"$tmp/exported"

n=$(wc -l <"$tmp/declared")
if [ "$n" -lt 100 ]; then
	echo "symbols.sh: only $n declarations found: the sed is broken"
	fail=1
fi
if grep -v -E '^(rt_|http_|asyncd_)' "$tmp/exported" >"$tmp/badprefix"; then
	echo "symbols.sh: exported without a public prefix:"
	sed 's/^/  /' "$tmp/badprefix"
	fail=1
fi
comm -23 "$tmp/exported" "$tmp/declared" >"$tmp/undeclared"
if [ -s "$tmp/undeclared" ]; then
	echo "symbols.sh: exported but not declared ASYNCD_API in a header:"
	sed 's/^/  /' "$tmp/undeclared"
	fail=1
fi
comm -13 "$tmp/exported" "$tmp/declared" >"$tmp/missing"
if [ -s "$tmp/missing" ]; then
	echo "symbols.sh: declared ASYNCD_API but not exported:"
	sed 's/^/  /' "$tmp/missing"
	fail=1
fi

if [ -n "$archive" ]; then
	nm --defined-only --extern-only "$archive" 2>/dev/null |
	    awk 'NF == 3 { print $3 }' | sort -u >"$tmp/archived"
	comm -3 "$tmp/archived" "$tmp/exported" >"$tmp/archdiff"
	if [ -s "$tmp/archdiff" ]; then
		echo "symbols.sh: $archive and the shared library differ" \
		    "(left: only in the archive):"
		sed 's/^/  /' "$tmp/archdiff"
		fail=1
	fi
fi

abi=$(sed -n 's/^#define ASYNCD_ABI_VERSION[^0-9]*\([0-9][0-9]*\).*/\1/p' \
    "$src/include/asyncd/version.h")
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "libasyncd.so.$abi" ]; then
	echo "symbols.sh: soname \"$soname\", but ASYNCD_ABI_VERSION is $abi:" \
	    "keep ASYNCD_LT_VERSION (configure.ac) and version.h in step"
	fail=1
fi

echo "symbols.sh: $(wc -l <"$tmp/exported") symbols exported," \
    "$n declared, soname $soname"
exit $fail
