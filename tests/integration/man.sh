#!/bin/sh
# man.sh - the manual pages: groff renders them without a warning, and the
# "every setting at its default" example of asyncd.conf(5) is what
# `asyncd -T` prints for an empty file, so the page cannot drift from
# config.c; the pages, the configurations and the README refer to each
# other and name the license.  SKIP (77) without groff.
set -u

: "${top_srcdir:=.}" "${top_builddir:=.}"
command -v groff >/dev/null 2>&1 || { echo "SKIP: no groff"; exit 77; }
asyncd=$top_builddir/asyncd
[ -x "$asyncd" ] || { echo "ERROR: $asyncd not built" >&2; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/asyncd-man.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

for page in asyncd.8 asyncd.conf.5; do
	f=$top_srcdir/man/$page
	# -ww: every warning; -z: no output.  mdoc's own complaints go to
	# stderr too.
	if ! groff -mandoc -ww -z "$f" >"$tmp/warn" 2>&1 || [ -s "$tmp/warn" ]
	then
		fail "$page: groff warns:"
		cat "$tmp/warn" >&2
	fi
done

# The example block that follows "Every setting at its default:".
: >"$tmp/empty.conf"
"$asyncd" -T -c "$tmp/empty.conf" 2>/dev/null | grep -v '^#' >"$tmp/dump" ||
    fail "asyncd -T on an empty file"
sed -n '/^Every setting at its default:$/,/^\.Ed$/p' \
    "$top_srcdir/man/asyncd.conf.5" | sed '1,2d;$d' >"$tmp/example"
if ! cmp -s "$tmp/dump" "$tmp/example"; then
	fail "asyncd.conf.5: the defaults example differs from asyncd -T:"
	diff -u "$tmp/example" "$tmp/dump" >&2
fi

# The documents point to each other: each page to the other, the shipped
# configurations and the README to the pages; and all name the license.
grep -q '^\.Xr asyncd\.conf 5' "$top_srcdir/man/asyncd.8" ||
    fail "asyncd.8 does not refer to asyncd.conf(5)"
grep -q '^\.Xr asyncd 8' "$top_srcdir/man/asyncd.conf.5" ||
    fail "asyncd.conf.5 does not refer to asyncd(8)"
for f in conf/asyncd.conf conf/asyncd-fast.conf; do
	grep -q 'asyncd\.conf(5)' "$top_srcdir/$f" ||
	    fail "$f does not refer to asyncd.conf(5)"
done
grep -q 'man 8 asyncd' "$top_srcdir/README.md" ||
    fail "README.md does not refer to asyncd(8)"
grep -q 'man/asyncd\.conf\.5' "$top_srcdir/README.md" ||
    fail "README.md does not refer to asyncd.conf(5)"
for f in man/asyncd.8 man/asyncd.conf.5 README.md; do
	grep -q 'MIT license' "$top_srcdir/$f" || fail "$f names no license"
done
grep -q '^MIT License$' "$top_srcdir/LICENSE" || fail "LICENSE is not MIT's"

[ "$fails" -eq 0 ] || exit 1
echo "ok: man pages"
