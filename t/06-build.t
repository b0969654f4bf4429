#!/bin/bash
# 06-build.t: the build a packager runs. `make CFLAGS=...` keeps the
# project's own flags (standard, warnings, hardening, -Icommon: they are
# in their own variables) and builds both programs; a plain `make` only
# says what is missing and never installs anything (deps.sh runs as an
# installer from `make deps`, `make test`, `make demo` and .ci/run only).
# Built in a copy of the tree, so the suite's own binaries are untouched.
set -u
cd "$(dirname "$0")/.." || exit 1
# The sanitizer pass would build the same sources the same way again (this
# test never runs the suite's binaries): once is the check, and it is the
# suite's slowest test.
if [ -n "${FT_SUFFIX:-}" ]; then
	echo "1..0 # SKIP the packager's build is checked in the plain pass only (FT_SUFFIX=$FT_SUFFIX)"
	exit 0
fi
T=$PWD/t/tmp/06-build.$$
n=0 failed=0
ok() {
	n=$((n + 1))
	if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
# The sources only: not t/tmp (other tests' leftovers, gigabytes on a
# developer's tree) nor the objects (make clean would remove them).
tar -c --exclude=t/tmp --exclude='*.o' --exclude='*.d' --exclude='*.t' \
    GNUmakefile common server client contrib t | tar -x -C "$T" ||
    { echo "Bail out! cannot copy the tree into $T"; exit 1; }
(cd "$T" && make clean >/dev/null 2>&1)

out=$(cd "$T" && make -j2 CFLAGS=-O0 server/ftserver client/ftclient 2>&1)
rc=$?
ok "make CFLAGS=-O0 builds both programs (exit $rc)" '[ "$rc" = 0 ] && [ -x "$T/server/ftserver" ] && [ -x "$T/client/ftclient" ]'
ok "...compiling with -O0, as asked" 'grep -q -- " -O0 " <<<"$out"'
ok "...and still with the project's flags (-std=gnu11 -Wall -Icommon, hardening)" \
    'grep -q -- "-std=gnu11" <<<"$out" && grep -q -- "-Wall" <<<"$out" && grep -q -- "-Icommon" <<<"$out" && grep -q -- "-fstack-protector-strong" <<<"$out"'
ok "...and the server links its shared segment, the client does not" \
    'grep -q "server/ft_shm.o" <<<"$(grep -- "-o server/ftserver " <<<"$out")" && ! grep -q "ft_shm" <<<"$(grep -- "-o client/ftclient " <<<"$out")"'
ok "...and libmicrohttpd (the status endpoint) links into the server only" \
    'grep -q -- "-lmicrohttpd" <<<"$(grep -- "-o server/ftserver " <<<"$out")" && ! grep -q "microhttpd" <<<"$(grep -- "-o client/ftclient " <<<"$out")"'
dry=$(cd "$T" && make -n 2>&1)
ok "a plain make never runs the installer (apt-get) through deps.sh" '! grep -q "deps.sh build" <<<"$dry" && ! grep -q "deps.sh install" <<<"$dry"'
ok "...but checks what is missing" 'grep -q "deps.sh check" <<<"$dry"'
echo "1..$n"
exit $((failed > 0))
