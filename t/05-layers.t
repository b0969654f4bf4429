#!/bin/bash
# 05-layers.t: calls run one way (ARCHITECTURE.md). Each server module has
# a rank; a file may include the headers of its own module and of lower
# ranks only, so no module can call up: main -> proc -> {console, lobby,
# status} -> {session, report} -> xfer -> {sched, catalogue} -> ft_shm ->
# common/. conf.h is data only and may be included anywhere. common/
# includes nothing of server/ or client/, the client nothing of server/,
# and the client program links neither the server's shared segment nor
# libmicrohttpd.
set -u
cd "$(dirname "$0")/.." || exit 1
n=0
failed=0
check() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		printf '#   %s\n' $2 >&2
		failed=$((failed + 1))
	fi
}

declare -A rank=(
	[ft_shm]=1 [sched]=2 [catalogue]=2 [xfer]=3
	[session]=4 [report]=4 [console]=5 [lobby]=5 [status]=5 [proc]=6
	[main]=7
)
# The module a header belongs to (xfer_tcp.c and xfer_udp.c share xfer.h).
module_of() { local m=${1%.[ch]}; m=${m%_tcp}; echo "${m%_udp}"; }

bad=
for f in server/*.c server/*.h; do
	[ "$f" = server/conf.h ] && continue
	self=$(module_of "$(basename "$f")")
	[ -n "${rank[$self]:-}" ] || { bad+=" $f:no-rank"; continue; }
	for h in $(sed -n 's/^#include "\([a-z_]*\.h\)".*/\1/p' "$f"); do
		[ -e "server/$h" ] || continue		# common/: always fine
		[ "$h" = conf.h ] && continue
		m=$(module_of "$h")
		[ "$m" = "$self" ] && continue
		[ "${rank[$m]}" -lt "${rank[$self]}" ] || bad+=" $f->$h"
	done
done
check "server: every include goes down a rank (no module calls up)" "$bad"

bad=
for f in common/*.[ch]; do
	for h in $(sed -n 's/^#include "\([a-z_]*\.h\)".*/\1/p' "$f"); do
		[ -e "common/$h" ] || bad+=" $f->$h"
	done
done
check "common/ includes only common/" "$bad"

bad=
for f in client/*.[ch]; do
	for h in $(sed -n 's/^#include "\([a-z_]*\.h\)".*/\1/p' "$f"); do
		[ -e "server/$h" ] && [ ! -e "common/$h" ] && bad+=" $f->$h"
	done
done
check "client/ includes nothing of server/" "$bad"

if [ -x client/ftclient ] && command -v nm >/dev/null; then
	bad=$(nm client/ftclient 2>/dev/null | awk '$3 ~ /^(ft_shm_|sched_|session_|proc_|status_|MHD_)/ { print $3 }')
	check "ftclient does not link the server's segment or modules" "$bad"
	bad=$(ldd client/ftclient 2>/dev/null | grep -o 'libmicrohttpd[^ ]*')
	check "ftclient does not link libmicrohttpd (the server's status endpoint)" "$bad"
else
	n=$((n + 1))
	echo "ok $n # skip no built client or no nm"
fi
echo "1..$n"
exit $((failed > 0))
