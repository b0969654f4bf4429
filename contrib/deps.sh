#!/bin/sh
# deps.sh: checks what ft needs and installs what is missing when run as
# root (apt-get), or prints the exact command to run otherwise.
#   deps.sh check   only says what is missing (and the command), exit 1;
#                   a plain `make` runs this: it never installs anything
#   deps.sh build   compiler, pkg-config, OpenSSL, libbsd and libmicrohttpd
#                   headers (the server's --status endpoint), prove
#                   (make deps, make test, make demo)
#   deps.sh bench   the above, plus iperf3 (the loopback ceiling), GNU
#                   time (the client's peak RSS), nginx and curl (the
#                   receive path's reference), all optional in the bench
#   deps.sh windows the mingw-w64 cross-compiler (make windows); wine, to
#                   run the .exe (the test suite's t/16-windows.t)
#   deps.sh delayline  libnetfilter-queue (make delayline: the delay line of
#                   perf-matrix --link wan20 where the kernel has no netem)
set -u
need=""
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_pc() { pkg-config --exists "$1" 2>/dev/null; }

if [ "${1:-build}" = delayline ]; then
	have_cmd cc || need="$need gcc"
	have_pc libnetfilter_queue || need="$need libnetfilter-queue-dev"
elif [ "${1:-build}" = windows ]; then
	have_cmd x86_64-w64-mingw32-gcc || need="$need gcc-mingw-w64-x86-64"
	# wine64 alone puts no `wine` on PATH: the wine package does.
	have_cmd wine || need="$need wine wine64"
else
have_cmd cc || need="$need gcc"
have_cmd make || need="$need make"
have_cmd pkg-config || need="$need pkg-config"
have_pc libcrypto || need="$need libssl-dev"
have_pc libbsd || need="$need libbsd-dev"
have_pc libmicrohttpd || need="$need libmicrohttpd-dev"
have_cmd prove || need="$need perl"
have_cmd openssl || need="$need openssl"
fi
if [ "${1:-build}" = bench ]; then
	have_cmd iperf3 || need="$need iperf3"
	[ -x /usr/bin/time ] || need="$need time"
	have_cmd curl || need="$need curl"
	have_cmd nginx || [ -x /usr/sbin/nginx ] || need="$need nginx-light"
fi

[ -z "$need" ] && exit 0
# $need is a list of words on purpose: unquoted below.
# shellcheck disable=SC2086
if [ "${1:-build}" != check ] && [ "$(id -u)" = 0 ] && have_cmd apt-get; then
	echo "deps: installing:$need" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >&2 ||
	{ apt-get update -q >&2 &&
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >&2; } ||
	{ echo "deps: apt-get failed" >&2; exit 1; }
else
	echo "deps: missing:$need" >&2
	if [ "$(id -u)" = 0 ]; then
		echo "deps: run: make deps (or apt-get install -y$need)" >&2
	else
		echo "deps: run: sudo apt-get install -y$need" >&2
	fi
	exit 1
fi
