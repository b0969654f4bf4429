# t/udp-lib.sh: what the UDP tests (t/4x-udp-*.t) add to lib.sh. Each
# sources both:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/udp-lib.sh"
#
# Server:  start_udp_server ARGS (sets UDP_FIRST, UDP_LAST, UDP_PORTS)
# Peer:    peer ARGS (t/udp-peer.pl, bounded by timeout), peer_bg NAME ARGS
# Tests:   udp_test TAG N NAME MODE K [DSIZE] [CLIENT ARGS]: ftclient -u,
#          then check_udp_test: both logs, every received file, the exit
#          status (see below)
# TSV:     udp_sum FILE COLUMN, udp_violations FILE AWK [VAR=VALUE...]
# Netns:   netns_pair, netns_bins (server in one namespace, clients in the
#          other), skip_all REASON

PEER=$ROOT/t/udp-peer.pl
UDP_LOG_NAME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}(-(server|client)-udp-log(-[0-9]+)?\.(txt|tsv)|-client-udp-samples(-[0-9]+)?\.tsv)$'
# IP + UDP headers as both programs count them in wire_bytes (28 bytes
# over IPv4, 48 over IPv6), plus ft's 20-byte header.
udp_overhead() { case $HOST in *:*) echo $((48 + 20)) ;; *) echo $((28 + 20)) ;; esac; }

# start_udp_server ARGS: start_server -u ARGS, and the worker ports from
# its "UDP ports A-B" (worker k owns PORT+k).
start_udp_server() {
	start_server -u "$@"
	udp_parse_ports
	[ -n "$UDP_FIRST" ] || abort_test "the UDP server names its worker ports"
}

udp_parse_ports() {
	UDP_FIRST=$(sed -n 's/.*UDP ports \([0-9]*\)-\([0-9]*\).*/\1/p' "$SERVER_OUT")
	UDP_LAST=$(sed -n 's/.*UDP ports \([0-9]*\)-\([0-9]*\).*/\2/p' "$SERVER_OUT")
	UDP_PORTS=$(seq "${UDP_FIRST:-1}" "${UDP_LAST:-0}" | tr '\n' ' ')
}

# peer ARGS: t/udp-peer.pl in the foreground, output in PEER_OUT, status
# in PEER_RC. peer_bg NAME ARGS: in the background, output in $T/NAME.out,
# pid in BG[NAME] (lib.sh stops it on exit).
peer() {
	PEER_OUT=$(timeout -k 5 90 perl "$PEER" "$@" 2>&1)
	PEER_RC=$?
}

peer_bg() {
	local name=$1
	shift
	timeout -k 5 90 perl "$PEER" "$@" >"$T/$name.out" 2>&1 &
	BG[$name]=$!
}

# peer_value TEXT KEY: the rest of the first line of TEXT starting "KEY ".
peer_value() { printf '%s\n' "$1" | sed -n "s/^$2 //p" | head -1; }

# udp_sum FILE COLUMN: the column's total over the rows.
udp_sum() { tsv_col "$1" "$2" | awk '{ s += $1 } END { print s + 0 }'; }

# udp_violations FILE AWK [VAR=VALUE...]: runs AWK on every row of a
# .tsv with f["column"] set to that row's fields; AWK prints what is
# wrong, prefixed with the row's client number. Prints nothing when all
# is well.
udp_violations() {
	local file=$1 code=$2 vars=() v
	shift 2
	for v in "$@"; do vars+=(-v "$v"); done
	awk -F'\t' "${vars[@]}" '
	    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	    { for (k in col) f[k] = $col[k]; who = "client " f["client"] ": " }
	    '"$code" "$file"
}

check_udp_names() {
	local f bad=
	for f in "$1"/*; do
		[ -e "$f" ] || continue
		[[ $(basename "$f") =~ $UDP_LOG_NAME_RE ]] || bad+=" $(basename "$f")"
	done
	is "$bad" "" "$2: log names are YYYY-MM-DD-HH-MM-SS-role-udp-log[-N].txt/.tsv"
}

# The checks every row of a UDP log must pass, client or server. total is
# ceil(size / datagram_size) for that row.
UDP_COMMON='
	{ total = f["datagram_size"] > 0 ? int((size + f["datagram_size"] - 1) / f["datagram_size"]) : -1 }
	f["role"] != role { print who "role " f["role"] }
	f["proto"] != "udp" { print who "proto " f["proto"] }
	f["mode"] != mode { print who "mode " f["mode"] ", not " mode }
	f["file"] != file || f["size"] != size || f["sha256"] != sha { print who "file, size or sha256" }
	f["clients"] != n { print who "clients " f["clients"] }
	f["datagram_size"] !~ /^[0-9]+$/ || f["datagram_size"] < 512 || f["datagram_size"] > 65487 {
		print who "datagram_size " f["datagram_size"] " outside 512..65487" }
	dsize != "" && f["datagram_size"] != dsize { print who "datagram_size " f["datagram_size"] ", not " dsize }
	f["seconds"] !~ /^[0-9]+\.[0-9]+$/ || f["mb_per_s"] !~ /^[0-9]+\.[0-9]+$/ { print who "time or rate not a number" }
	f["ok"] == "yes" && f["reason"] != "-" { print who "ok=yes with a reason" }
	f["ok"] == "no" && f["reason"] == "-" { print who "ok=no without a reason" }
	f["ok"] != "yes" && f["ok"] != "no" { print who "ok " f["ok"] }
	f["sockbuf_asked"] !~ /^[1-9][0-9]*$/ || f["sockbuf_got"] !~ /^[1-9][0-9]*$/ { print who "socket buffer sizes" }
'

# The client: datagrams are the unique ones received; wire bytes count
# each with its headers (exactly so when there was no duplicate and no bad
# one); raw: lost = total - received; complete means ok.
UDP_CLIENT='
	f["datagrams_resent"] != 0 { print who "the client counts re-sent datagrams" }
	f["wire_bytes"] < f["bytes"] + overhead * f["datagrams"] ||
	    (f["datagrams_dup"] + f["datagrams_bad"] == 0 && f["wire_bytes"] != f["bytes"] + overhead * f["datagrams"]) {
		print who "wire_bytes " f["wire_bytes"] ", not bytes + " overhead " * datagrams" }
	f["datagrams"] > total || f["bytes"] > size { print who "more than the file" }
	mode == "raw" && f["datagrams"] + f["datagrams_lost"] != total {
		print who "raw: datagrams " f["datagrams"] " + lost " f["datagrams_lost"] " != " total }
	(f["ok"] == "yes") != (f["datagrams"] == total && f["bytes"] == size) {
		print who "ok=" f["ok"] " with " f["datagrams"] " of " total " datagrams, " f["bytes"] " bytes" }
	f["ok"] == "no" && mode == "raw" && f["reason"] !~ ("^lost " f["datagrams_lost"] " of " total " datagrams") {
		print who "raw loss reason: " f["reason"] }
	bad != "" && f["datagrams_bad"] != bad { print who "datagrams_bad " f["datagrams_bad"] ", not " bad }
'

# The server: the first pass sends every datagram once, so whatever it
# sent beyond the file is a repair; raw mode never repairs. The time with
# the confirmation includes the time to the last datagram.
UDP_SERVER='
	f["datagrams"] - f["datagrams_resent"] != total {
		print who "datagrams " f["datagrams"] " - resent " f["datagrams_resent"] " != " total }
	mode == "raw" && f["datagrams_resent"] != 0 { print who "raw mode re-sent " f["datagrams_resent"] }
	f["bytes"] != size { print who "bytes sent " f["bytes"] }
	f["wire_bytes"] < size + overhead * f["datagrams"] { print who "wire_bytes " f["wire_bytes"] " too small" }
	f["confirm_seconds"] + 0.0000015 < f["seconds"] { print who "confirm_seconds " f["confirm_seconds"] " < seconds " f["seconds"] }
	bad != "" && f["datagrams_bad"] != bad { print who "datagrams_bad " f["datagrams_bad"] ", not " bad }
'

# check_udp_test TAG N NAME MODE K [DSIZE]: after `client TAG -u -c N -f
# NAME -o $T/TAG-out -L $T/TAG-logs`, the Kth test this server logged:
# - the client log pair: N rows, every column consistent (above);
# - the exit status: 0 when every row says ok, else 1 (raw mode may lose
#   datagrams: then the log must say exactly how many, never zero loss);
# - ClienteK-Prueba-N.txt equal to NAME byte for byte for each ok row,
#   absent for the others, and nothing else (no .part);
# - the server's log: N rows, consistent, ok where the client's is;
# - both logs: the same connections, the same datagram size, the
#   server sent at least what the client received.
# Sets CLIENT_TSV and SERVER_TSV. CLIENT_BAD / SERVER_BAD, when set, are
# the datagrams_bad every row must show (default: the client 0, the
# server unchecked: a report of a previous transfer that arrives late is
# counted by that worker's next one).
check_udp_test() {
	local tag=$1 n=$2 name=$3 mode=$4 k=$5 dsize=${6:-} src=$CAT/$3 pairs
	local vars want_rc=0 out=$T/$1-out bad= kk txt extra
	vars=(role=client mode="$mode" file="$name" size="$(size_of "$src")"
	    sha="$(sha_of "$src")" n="$n" dsize="$dsize" overhead="$(udp_overhead)")

	pairs=$(log_pairs "$T/$tag-logs" client)
	is "$(echo "$pairs" | grep -c .)" 1 "$tag: one client log pair (.txt and .tsv)"
	check_udp_names "$T/$tag-logs" "$tag: client"
	CLIENT_TSV=$T/$tag-logs/$(echo "$pairs" | head -1).tsv
	is "$(tsv_rows "$CLIENT_TSV")" "$n" "$tag: client log: $n rows"
	ok "$tag: client log: every row has as many fields as the header" \
	    tsv_rectangular "$CLIENT_TSV"
	is "$(tsv_col "$CLIENT_TSV" client | sort -n | tr '\n' ' ')" "$(seq -s ' ' 1 "$n") " \
	    "$tag: client log: client numbers 1..$n"
	is "$(udp_violations "$CLIENT_TSV" "$UDP_COMMON$UDP_CLIENT" "${vars[@]}" \
	    bad="${CLIENT_BAD-0}")" "" \
	    "$tag: client log: $mode, file, datagram columns consistent (datagrams, lost, bytes, wire bytes, ok)"
	[ "$mode" = reliable ] && is "$(tsv_col "$CLIENT_TSV" ok | sort -u | tr '\n' ' ')" "yes " \
	    "$tag: reliable: every client row ok=yes"
	grep -q $'\tno\t' "$CLIENT_TSV" && want_rc=1
	is "$CLIENT_RC" "$want_rc" "$tag: ftclient exits $want_rc ($(udp_sum "$CLIENT_TSV" datagrams_lost) datagrams lost in all)"
	[ "$CLIENT_RC" = "$want_rc" ] || tail -n 20 "$T/$tag.out" | sed 's/^/    /' >&2

	for ((kk = 1; kk <= n; kk++)); do
		if [ "$(udp_violations "$CLIENT_TSV" "f[\"client\"] == $kk { print f[\"ok\"] }")" = yes ]; then
			cmp -s "$src" "$out/Cliente$kk-Prueba-$n.txt" || bad+=" $kk"
		else
			[ -e "$out/Cliente$kk-Prueba-$n.txt" ] && bad+=" $kk(incomplete-but-stored)"
		fi
	done
	is "$bad" "" "$tag: Cliente1..$n-Prueba-$n.txt: equal to $name byte for byte where ok, absent where not"
	extra=$(cd "$out" 2>/dev/null && ls -A | grep -vxE "Cliente[0-9]+-Prueba-$n\.txt")
	is "$extra" "" "$tag: no other file (no .part) in the output folder"

	if ! ok "$tag: server: log of test $k written" wait_server_logs "$k"; then
		return 1
	fi
	txt=$(server_log "$k")
	SERVER_TSV=${txt%.txt}.tsv
	ok "$tag: server: log $k has both .txt and .tsv" test -f "$txt" -a -f "$SERVER_TSV"
	is "$(tsv_rows "$SERVER_TSV")" "$n" "$tag: server log: $n rows"
	is "$(udp_violations "$SERVER_TSV" "$UDP_COMMON$UDP_SERVER" "${vars[@]}" \
	    role=server bad="${SERVER_BAD-}")" "" \
	    "$tag: server log: $mode, file, datagram columns consistent (sent = total + re-sent, bytes, times)"
	check_logs_agree "$CLIENT_TSV" "$SERVER_TSV"
	udp_parse_ports
	is "$(join_rows "$CLIENT_TSV" "$SERVER_TSV")" "" \
	    "$tag: per connection: same ports, datagram size and ok; server sent >= client received, re-sent >= duplicates"
	# Over UDP the ports logged are the data's: the server's is the
	# worker's, one per connection of the test.
	is "$(tsv_col "$SERVER_TSV" server_port | awk -v lo="$UDP_FIRST" -v hi="$UDP_LAST" '
	    $1 < lo || $1 > hi { print "port " $1 " is no worker port" } seen[$1]++ { print "port " $1 " twice" }')" "" \
	    "$tag: server ports: $n distinct worker ports in $UDP_FIRST..$UDP_LAST"
	file_like "$txt" "^protocol +udp, mode $mode\$" "$tag: server .txt: protocol udp, mode $mode"
	ok "$tag: no sanitizer report from the clients" no_sanitizer_reports "$T/$tag.out"
}

# join_rows CLIENT_TSV SERVER_TSV: rows joined by client number; prints
# what does not agree.
join_rows() {
	awk -F'\t' '
	    FNR == 1 { delete col; for (i = 1; i <= NF; i++) col[$i] = i; file++; next }
	    file == 1 { c = $col["client"]; cd[c] = $col["datagram_size"]; cok[c] = $col["ok"]; csp[c] = $col["server_port"]
	        cdg[c] = $col["datagrams"]; cdup[c] = $col["datagrams_dup"]; next }
	    { c = $col["client"]
	      if (!(c in cd)) { print "client " c ": only in the server log"; next }
	      if ($col["datagram_size"] != cd[c]) print "client " c ": datagram size " cd[c] " vs " $col["datagram_size"]
	      if ($col["server_port"] != csp[c]) print "client " c ": server port " csp[c] " (client) vs " $col["server_port"] " (server)"
	      if ($col["ok"] != cok[c]) print "client " c ": ok " cok[c] " (client) vs " $col["ok"] " (server)"
	      if ($col["datagrams"] < cdg[c]) print "client " c ": server sent " $col["datagrams"] " < received " cdg[c]
	      if ($col["datagrams_resent"] < cdup[c]) print "client " c ": re-sent " $col["datagrams_resent"] " < duplicates " cdup[c] }
	' "$1" "$2"
}

# udp_test TAG N NAME MODE K [DSIZE] [CLIENT ARGS...]: runs the client and
# check_udp_test.
udp_test() {
	local tag=$1 n=$2 name=$3 mode=$4 k=$5 dsize=${6:-}
	shift 6 2>/dev/null || shift $#
	client "$tag" -u -c "$n" -y -f "$name" -o "$T/$tag-out" -L "$T/$tag-logs" "$@"
	check_udp_test "$tag" "$n" "$name" "$mode" "$k" "$dsize"
}

# ---------------------------------------------------------------- namespaces

# skip_all REASON: the whole test is skipped (TAP "1..0 # SKIP").
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# netns_pair: two network namespaces of this test's own, ft-PID-a and
# ft-PID-b, joined by a veth pair: 198.18.0.1/24 in a, 198.18.0.2/24 in
# b (the benchmarking range). Skips the whole test, with the reason,
# without root, ip netns or a veth pair. They are deleted on exit,
# whatever happens (after lib.sh's cleanup has stopped what ran inside).
NS_MADE=
netns_down() {
	local ns
	for ns in $NS_MADE; do ip netns del "$ns" 2>/dev/null; done
	NS_MADE=
}

netns_pair() {
	NS_A=ft-$$-a
	NS_B=ft-$$-b
	VETH_A=fta$$
	VETH_B=ftb$$
	trap 'cleanup; netns_down' EXIT
	[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
	command -v ip >/dev/null || skip_all "no ip(8) (iproute2)"
	ip netns add "$NS_A" 2>/dev/null || skip_all "ip netns add does not work here"
	NS_MADE=$NS_A
	ip netns add "$NS_B" 2>/dev/null || skip_all "ip netns add does not work here"
	NS_MADE+=" $NS_B"
	ip link add "$VETH_A" type veth peer name "$VETH_B" 2>/dev/null ||
	    skip_all "cannot create a veth pair"
	if ! { ip link set "$VETH_A" netns "$NS_A" && ip link set "$VETH_B" netns "$NS_B" &&
	    ip -n "$NS_A" addr add 198.18.0.1/24 dev "$VETH_A" &&
	    ip -n "$NS_B" addr add 198.18.0.2/24 dev "$VETH_B" &&
	    ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up &&
	    ip -n "$NS_A" link set "$VETH_A" up && ip -n "$NS_B" link set "$VETH_B" up; }; then
		ip link del "$VETH_A" 2>/dev/null
		skip_all "cannot set up the veth pair between the namespaces"
	fi
}

# netns_nat: three namespaces of this test's own, like a client at home
# and a server on the Internet: the server's (a, 198.18.0.1/24), a router
# (r: 198.18.0.254/24 towards a, 10.99.0.1/24 towards b) and the
# clients' (b, 10.99.0.2/24, default route through r). The router
# masquerades what b sends out towards a, with fully random source
# ports, as a carrier-grade NAT may: a has no route to 10.99.0.0/24, so
# only answers to what the clients sent come back, and a port the client
# names is never the one the server sees. Sets NS_A, NS_R, NS_B; skips
# like netns_pair; everything is deleted on exit.
netns_nat() {
	local ra=ftra$$ rb=ftrb$$
	NS_A=ft-$$-a NS_R=ft-$$-r NS_B=ft-$$-b VETH_A=fta$$ VETH_B=ftb$$
	trap 'cleanup; netns_down' EXIT
	[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
	command -v ip >/dev/null || skip_all "no ip(8) (iproute2)"
	command -v nft >/dev/null || skip_all "no nft(8) (nftables)"
	for ns in "$NS_A" "$NS_R" "$NS_B"; do
		ip netns add "$ns" 2>/dev/null || skip_all "ip netns add does not work here"
		NS_MADE+=" $ns"
		ip -n "$ns" link set lo up
	done
	ip link add "$VETH_A" netns "$NS_A" type veth peer name "$ra" netns "$NS_R" 2>/dev/null &&
	    ip link add "$VETH_B" netns "$NS_B" type veth peer name "$rb" netns "$NS_R" 2>/dev/null ||
	    skip_all "cannot create veth pairs"
	{ ip -n "$NS_A" addr add 198.18.0.1/24 dev "$VETH_A" &&
	    ip -n "$NS_R" addr add 198.18.0.254/24 dev "$ra" &&
	    ip -n "$NS_R" addr add 10.99.0.1/24 dev "$rb" &&
	    ip -n "$NS_B" addr add 10.99.0.2/24 dev "$VETH_B" &&
	    ip -n "$NS_A" link set "$VETH_A" up && ip -n "$NS_R" link set "$ra" up &&
	    ip -n "$NS_R" link set "$rb" up && ip -n "$NS_B" link set "$VETH_B" up &&
	    ip -n "$NS_B" route add default via 10.99.0.1 &&
	    ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1; } ||
	    skip_all "cannot set up the namespaces' addresses and routes"
	ip netns exec "$NS_R" nft -f - <<-EOF 2>/dev/null || skip_all "nft cannot load a NAT ruleset in a namespace"
	table ip ftnat {
		chain post {
			type nat hook postrouting priority 100; policy accept;
			oifname "$ra" masquerade fully-random
		}
	}
	EOF
	BEHIND_NAT=1	# the server logs the NAT's ports, not the clients'
}

# netns_firewall NS: NS accepts only what belongs to a connection or
# flow it started (Fedora's and ufw's default for input): nothing that
# arrives unasked. Skips the test when nft cannot load it.
netns_firewall() {
	ip netns exec "$1" nft -f - <<-EOF 2>/dev/null || skip_all "nft cannot load a firewall in a namespace"
	table inet ftfw {
		chain input {
			type filter hook input priority 0; policy drop;
			iif "lo" accept
			ct state established,related counter accept
			counter
		}
	}
	EOF
}

# netns_bins: from here on lib.sh runs the server in namespace a and the
# clients in b. It runs "$SERVER_BIN" and "$CLIENT_BIN" by exec, and so
# does ip netns exec: the pids stay theirs.
netns_bins() {
	local side ns bin
	for side in server:$NS_A client:$NS_B; do
		ns=${side#*:}
		bin=$ROOT/${side%%:*}/ft${side%%:*}$FT_SUFFIX
		printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$ns" "$bin" \
		    >"$T/ft${side%%:*}-in-ns"
		chmod +x "$T/ft${side%%:*}-in-ns"
	done
	SERVER_BIN=$T/ftserver-in-ns
	CLIENT_BIN=$T/ftclient-in-ns
}
