# shellcheck shell=bash
# shellcheck disable=SC2154  # catdir, data, FILES...: perf-matrix's
# contrib/perf/hosts.sh: perf-matrix over several hosts (issue 11,
# "Several hosts"), sourced by contrib/perf-matrix.
#
# The server runs through one command prefix (--server-cmd 'ssh lab0', or
# 'ip netns exec S' in the tests), the clients through one prefix per
# client host (--client-cmd, repeatable). A test of N connections over H
# client hosts runs one ftclient per host at once, with N/H connections
# each (the first N mod H hosts one more); the server runs with -n N so
# it gathers those runs into one test (ftserver(1), -n: a run is seated
# whole, runs join by arrival). After each test the logs are copied back
# from every host into DATA/host-NAME/, and ft-report pairs them by run
# id, test number and client number as it pairs any hosts' Logs/.
#
# Every remote command is a POSIX sh script fed on standard input to
# `PREFIX sh -s`: that works alike through ssh (which joins its arguments
# into one command line) and through `ip netns exec` (which takes argv).
# Assumptions, stated in --help and the README: ftserver, ftclient and the
# catalogue folder have the same paths on the hosts as here (FTSERVER,
# FTCLIENT, -d), the hosts have sh, tar, timeout and mkdir, and
# --remote-dir (default /tmp/ft-perf-matrix-TAG) is writable on each.

HOSTS=0			# 1 when --server-cmd or --client-cmd was given
SERVER_PREFIX=""	# the option's text, split on blanks into HPFX_S
CLIENT_PREFIXES=()
HOST_S=""		# the server host's name (from its prefix)
HOST_C=(local)		# the client hosts' names (one, here, without options)
REMOTE_DIR=""
# shellcheck disable=SC2034  # perf-matrix sets and reads it
SERVER_RPID=""		# the server's pid on its host (to stop it there)
CLIENT_PIDS=()		# the local prefix processes of a test's clients

# host_name PREFIX DEFAULT: the prefix's last word, in safe characters
# ("ssh -p 22 lab1" -> lab1, "ip netns exec C1" -> C1), else DEFAULT.
host_name() {
	local words name
	read -r -a words <<<"$1"
	name=${words[-1]:-$2}
	name=${name##*@}
	name=${name//[^A-Za-z0-9._-]/_}
	echo "${name:-$2}"
}

# hosts_parse: names, checked and unique; the server's prefix default:
# none (this host).
hosts_parse() {
	local i name seen=" "
	HOST_C=()
	((${#CLIENT_PREFIXES[@]} <= MAX_CLIENT_HOSTS)) ||
	    misuse "--client-cmd: at most $MAX_CLIENT_HOSTS client hosts"
	HOST_S=$(host_name "$SERVER_PREFIX" server)
	[[ -n $SERVER_PREFIX ]] || HOST_S=server
	seen+="$HOST_S "
	for i in "${!CLIENT_PREFIXES[@]}"; do
		name=$(host_name "${CLIENT_PREFIXES[$i]}" "client$((i + 1))")
		[[ $seen == *" $name "* ]] && name=$name-$((i + 1))
		seen+="$name "
		HOST_C+=("$name")
	done
	((${#CLIENT_PREFIXES[@]} > 0)) || { CLIENT_PREFIXES=(""); HOST_C=(client); }
}

# prefix_of INDEX: the words of a side's prefix into PFX (S: the server,
# 0..: a client host).
prefix_of() {
	if [[ $1 == S ]]; then
		read -r -a PFX <<<"$SERVER_PREFIX"
	else
		read -r -a PFX <<<"${CLIENT_PREFIXES[$1]}"
	fi
}

# on_host INDEX SCRIPT [TIMEOUT]: SCRIPT run by sh on that host, its
# output on ours; bounded (default 60 s).
on_host() {
	local PFX
	prefix_of "$1"
	timeout -k 5 "${3:-60}" "${PFX[@]}" sh -s <<<"$2"
}

# rdir INDEX: that host's own folder under --remote-dir (namespaces share
# one file system: each host writes apart).
rdir() {
	if [[ $1 == S ]]; then
		echo "$REMOTE_DIR/host-$HOST_S"
	else
		echo "$REMOTE_DIR/host-${HOST_C[$1]}"
	fi
}

# q WORD...: the words quoted for the remote sh, joined by blanks. POSIX
# single quotes (each ' written '\''), not bash's printf %q, whose $'...'
# form for control bytes dash would not read.
q() {
	local w out="" sep=""
	for w in "$@"; do
		out+="$sep'${w//\'/\'\\\'\'}'"
		sep=" "
	done
	printf '%s' "$out"
}

# hosts_setup: each host's folder made, the binaries and files checked
# there; a clear failure otherwise.
hosts_setup() {
	local i out
	[[ -n $REMOTE_DIR ]] || REMOTE_DIR=/tmp/ft-perf-matrix-$(printf '%x%04x' $$ $((RANDOM % 65536)))
	HOSTS_MADE=()
	out=$(on_host S "mkdir -p $(q "$(rdir S)") && test -x $(q "$FTSERVER") &&
	    for f in $(q "${FILES[@]}"); do test -f $(q "$catdir")/\"\$f\" || echo \"missing \$f\"; done" 2>&1) ||
	    die "--server-cmd '$SERVER_PREFIX': cannot run $FTSERVER there or make $(rdir S) ($out)"
	HOSTS_MADE+=(S)
	[[ -z $out ]] || die "--server-cmd '$SERVER_PREFIX': the catalogue $catdir lacks files there: $out"
	for i in "${!CLIENT_PREFIXES[@]}"; do
		out=$(on_host "$i" "mkdir -p $(q "$(rdir "$i")") && test -x $(q "$FTCLIENT")" 2>&1) ||
		    die "--client-cmd '${CLIENT_PREFIXES[$i]}': cannot run $FTCLIENT there or make $(rdir "$i") ($out)"
		HOSTS_MADE+=("$i")
	done
}

# hosts_cleanup: each host's folder removed (from the traps too).
hosts_cleanup() {
	local i
	for i in "${HOSTS_MADE[@]}"; do
		on_host "$i" "rm -rf $(q "$(rdir "$i")")" 10 >/dev/null 2>&1 ||
		    echo "$PROG: could not remove $(rdir "$i") through '$( [[ $i == S ]] && echo "$SERVER_PREFIX" || echo "${CLIENT_PREFIXES[$i]}")'" >&2
	done
	HOSTS_MADE=()
}

# file_facts FILE: "SIZE SHA256" of a catalogue file, read where the
# server runs.
file_facts() {
	if ((HOSTS)) && [[ -n $SERVER_PREFIX ]]; then
		on_host S "f=$(q "$catdir/$1"); echo \$(stat -c %s \"\$f\") \$(sha256sum <\"\$f\" | cut -d' ' -f1)" 300
	else
		echo "$(stat -c %s "$catdir/$1") $(sha256sum <"$catdir/$1" | cut -d' ' -f1)"
	fi
}

# split_clients N: each client host's share of N connections, in order.
split_clients() {
	local n=$1 h=${#HOST_C[@]} i
	for ((i = 0; i < h; i++)); do
		echo $((n / h + (i < n % h ? 1 : 0)))
	done
}

# collect INDEX SUBDIR: that host's SUBDIR of its folder, copied into
# data/host-NAME/SUBDIR (tar through the prefix).
collect() {
	local name dest
	if [[ $1 == S ]]; then name=$HOST_S; else name=${HOST_C[$1]}; fi
	dest=$data/host-$name
	mkdir -p "$dest" || return 1
	on_host "$1" "cd $(q "$(rdir "$1")") && tar -cf - $(q "$2")" 120 | tar -xf - -C "$dest"
}

# start_client_host INDEX K TEST LIMIT PROTO FILE: ftclient with K
# connections on that host, in the background (its local pid appended to
# CLIENT_PIDS); output in data/TEST/client-NAME.out.
start_client_host() {
	local i=$1 k=$2 test=$3 limit=$4 udp=() dir
	[[ $5 == udp* ]] && udp=(-u)
	dir=$(rdir "$i")
	on_host "$i" "timeout -k 5 $limit $(q "$FTCLIENT") -c $k -H $(q "$SERVER_ADDR") \
	    -P $PORT ${udp[*]} -f $(q "$6") -y -o $(q "$dir/recv-$test") -L $(q "$dir/$test") \
	    -t 60 </dev/null; rc=\$?; rm -rf $(q "$dir/recv-$test"); exit \$rc" $((limit + 15)) \
	    >"$data/$test/client-${HOST_C[$i]}.out" 2>&1 &
	CLIENT_PIDS+=($!)
}
