#!/bin/sh
# aarch64.sh - builds the coro layer for aarch64 and runs switch-smoke under
# qemu-user, so switch-aarch64.S is tested on an x86-64 machine.  Needs the
# Debian packages gcc-aarch64-linux-gnu and qemu-user; without them it
# exits 77, which automake's harness reports as SKIP.
set -eu
srcdir=${top_srcdir:-$(dirname "$0")/../..}
cc=aarch64-linux-gnu-gcc
command -v "$cc" >/dev/null 2>&1 || { echo "no $cc: skipped"; exit 77; }
command -v qemu-aarch64 >/dev/null 2>&1 || { echo "no qemu-aarch64: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# coro/ needs only what config.h gives it on glibc.
echo '#define _GNU_SOURCE 1' > "$tmp/config.h"
"$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -static -I"$tmp" \
    -I"$srcdir/src/coro" "$srcdir/tests/cross/switch-smoke.c" \
    "$srcdir/src/coro/coro.c" "$srcdir/src/coro/stack.c" \
    "$srcdir/src/coro/switch-aarch64.S" -o "$tmp/switch-smoke" -lm
qemu-aarch64 "$tmp/switch-smoke"
