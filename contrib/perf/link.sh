# shellcheck shell=bash disable=SC2154  # tmp, data, link, PROG: perf-matrix's
# link.sh: the emulated links of contrib/perf-matrix --link (sourced by
# it; uses its die, cond, nsx, have, stop_pid, alive, $tmp, $ROOT and
# NAMESPACES). Issue 11, "Faithful links, calibrated".
#
# Model (measured: README, "Emulated links"): each veth end has TSO (and
# UDP segmentation offload) off and GSO on, so TCP (and UDP_SEGMENT) hand
# the qdisc 64 KiB GSO packets that are cut into wire-size packets *after*
# it: tbf meters every byte, the peer sees
# MTU-size packets, and the host does not pay per-packet costs above the
# qdisc. (gso_max_segs 1, the model before, made every wire packet its own
# trip through TCP and tbf: iperf3 got ~200 Mbit/s of 1 Gbit/s.)
#
#   lan1g, lan100m  server ns <-veth-> client ns, tbf on both ends
#   lossy           the same at 100 Mbit/s, nftables numgen drops 2 % at
#                   each end's ingress (each way)
#   wan20           server ns <-> router ns <-> client ns, 100 Mbit/s
#                   (tbf on the router's two egresses, a 20 ms queue),
#                   10 ms each way in the router (FORWARD): netem where the
#                   kernel has it, else contrib/delayline/ftdelay on an
#                   NFQUEUE. The delay is in the router, never at a host's
#                   ingress: the kernel takes receive timestamps before
#                   PREROUTING, so SO_TIMESTAMPNS would not see it.
#   wan20loss       wan20 and 2 % loss each way (numgen, router FORWARD)
#
# Every profile measures its own ceiling before ft runs (link_calibrate):
# iperf3 TCP and UDP in the same namespaces, into data/ceilings.tsv.

# shellcheck disable=SC2034  # perf-matrix's usage errors name them
LINK_PROFILES="lan1g, lan100m, lossy, wan20, wan20loss"
# each iperf3 run; 0: no calibration (FT_CALIBRATE_SECONDS, for tests
# that are about something else)
CALIBRATE_SECONDS=${FT_CALIBRATE_SECONDS:-3}
IPERF_PORT=5201		# inside the run's own namespaces: nothing else there
FTDELAY=${FTDELAY:-$ROOT/contrib/delayline/ftdelay}
LINK_EMULATOR=none LINK_DELAY_MS=0 LINK_TOPO=pair LINK_RTT="" DELAY_PID=""

# link_profile NAME: the profile's figures, or false when unknown. The tbf
# burst is about 1 ms at the rate and at least 64 KiB (a whole GSO packet
# fits in the bucket: tbf never has to cut one up itself).
link_profile() {
	case $1 in
	lan1g) LINK_RATE=1gbit LINK_BITS=1000000000 LINK_BURST=128kb LINK_LOSS=0 ;;
	lan100m) LINK_RATE=100mbit LINK_BITS=100000000 LINK_BURST=64kb LINK_LOSS=0 ;;
	lossy) LINK_RATE=100mbit LINK_BITS=100000000 LINK_BURST=64kb LINK_LOSS=2 ;;
	wan20 | wan20loss)
		LINK_RATE=100mbit LINK_BITS=100000000 LINK_BURST=64kb LINK_LOSS=0
		LINK_TOPO=router LINK_DELAY_MS=10
		[[ $1 == wan20loss ]] && LINK_LOSS=2
		;;
	*) return 1 ;;
	esac
	LINK_LATENCY=20ms	# tbf's queue: at 100 Mbit/s and 20 ms RTT, one BDP
}

# link_tools: what --link needs beyond perf-matrix's own tools.
link_tools() {
	local tool
	for tool in ip tc nft ethtool; do
		have "$tool" || die "--link needs $tool (apt-get install iproute2 nftables ethtool)"
	done
	have iperf3 || echo "$PROG: note: no iperf3: the link's ceiling will not be measured (apt-get install iperf3)" >&2
	[[ $LINK_TOPO == router ]] || return 0
	have ping || die "--link $link needs ping (apt-get install iputils-ping)"
}

# link_ns NAME...: new namespaces with lo up, removed by the trap.
link_ns() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns" || die "--link: ip netns add $ns failed"
		NAMESPACES+=("$ns")
		ip -n "$ns" link set lo up || die "--link: cannot bring lo up in $ns"
	done
}

# link_veth NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: a veth pair, addressed,
# up, TSO off and GSO on at both ends.
link_veth() {
	local ns dev
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" ||
	    die "--link: cannot create a veth pair (is the veth module available?)"
	if ! ip -n "$1" addr add "$3" dev "$2" || ! ip -n "$4" addr add "$6" dev "$5"; then
		die "--link: cannot address the veth pair $2-$5"
	fi
	for ns in "$1:$2" "$4:$5"; do
		dev=${ns#*:} ns=${ns%%:*}
		ip -n "$ns" link set "$dev" up || die "--link: cannot bring $dev up in $ns"
		# tx-udp-segmentation off: else veth passes UDP GSO sends
		# (UDP_SEGMENT, up to 64 datagrams) whole, and a loss rule
		# drops them as one, in bursts no wire makes.
		nsx "$ns" ethtool -K "$dev" tso off gso on tx-udp-segmentation off \
		    >/dev/null 2>"$tmp/ethtool.err" ||
		    die "--link: ethtool -K $dev tso off gso on tx-udp-segmentation off failed ($(cat "$tmp/ethtool.err"))"
	done
}

# link_tbf NS DEV [PARENT]: the rate limit on DEV's egress.
link_tbf() {
	local where=(root)
	[[ -n ${3:-} ]] && where=(parent "$3")
	nsx "$1" tc qdisc add dev "$2" "${where[@]}" tbf rate "$LINK_RATE" \
	    burst "$LINK_BURST" latency "$LINK_LATENCY" 2>"$tmp/tc.err" ||
	    die "--link: tc tbf does not work on this kernel ($(cat "$tmp/tc.err")):" \
	        "cannot emulate $link; nothing was measured"
}

# link_loss NS HOOK DEV...: nftables drops LINK_LOSS % of IP packets, one
# counted rule per device (ingress of each, or, with HOOK forward, the
# packets forwarded from each).
link_loss() {
	local ns=$1 hook=$2 dev rules="" family=netdev
	shift 2
	((LINK_LOSS > 0)) || return 0
	if [[ $hook == forward ]]; then
		family=inet
		for dev in "$@"; do
			rules+="		iifname \"$dev\" numgen random mod 100 < $LINK_LOSS counter drop"$'\n'
		done
		rules="		type filter hook forward priority -10; policy accept;"$'\n'$rules
	else
		rules="		type filter hook ingress device \"$1\" priority 0; policy accept;"$'\n'
		rules+="		meta protocol ip numgen random mod 100 < $LINK_LOSS counter drop"$'\n'
	fi
	nsx "$ns" nft -f - 2>"$tmp/nft.err" <<EOF || die "--link: nftables numgen drop does not work here ($(cat "$tmp/nft.err")): cannot emulate $link; nothing was measured"
table $family ftloss {
	chain loss {
$rules	}
}
EOF
}

# link_up: the namespaces, veths, qdiscs, loss and delay of the profile.
link_up() {
	local tag
	tag=$(printf '%x%04x' $$ $((RANDOM % 65536)))
	LNS_S=ftpm-$tag-srv LNS_C=ftpm-$tag-cli LNS_R=""
	LDEV_S=fp${tag}s LDEV_C=fp${tag}c
	if [[ $LINK_TOPO == pair ]]; then
		link_ns "$LNS_S" "$LNS_C"
		link_veth "$LNS_S" "$LDEV_S" 198.18.0.1/30 "$LNS_C" "$LDEV_C" 198.18.0.2/30
		link_tbf "$LNS_S" "$LDEV_S"
		link_tbf "$LNS_C" "$LDEV_C"
		link_loss "$LNS_S" ingress "$LDEV_S"
		link_loss "$LNS_C" ingress "$LDEV_C"
	else
		link_router "$tag"
	fi
	NS_S=(ip netns exec "$LNS_S") NS_C=(ip netns exec "$LNS_C")
	SERVER_ADDR=198.18.0.1
	LINK_MTU=$(ip -n "$LNS_S" -o link show "$LDEV_S" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
}

# link_router TAG: server 198.18.0.1 - .2 router .5 - client .6; the
# rate and the delay on the router's egresses, the loss in its FORWARD.
link_router() {
	LNS_R=ftpm-$1-rtr LRDEV_S=fp${1}rs LRDEV_C=fp${1}rc
	link_ns "$LNS_S" "$LNS_R" "$LNS_C"
	link_veth "$LNS_S" "$LDEV_S" 198.18.0.1/30 "$LNS_R" "$LRDEV_S" 198.18.0.2/30
	link_veth "$LNS_C" "$LDEV_C" 198.18.0.6/30 "$LNS_R" "$LRDEV_C" 198.18.0.5/30
	if ! ip -n "$LNS_S" route add default via 198.18.0.2 ||
	    ! ip -n "$LNS_C" route add default via 198.18.0.5 ||
	    ! nsx "$LNS_R" sysctl -qw net.ipv4.ip_forward=1; then
		die "--link: cannot route through $LNS_R"
	fi
	if [[ ${FT_LINK_DELAY:-auto} != ftdelay ]] && link_netem "$LRDEV_S" &&
	    link_netem "$LRDEV_C"; then
		LINK_EMULATOR=netem
	else
		[[ ${FT_LINK_DELAY:-auto} != netem ]] ||
		    die "--link: FT_LINK_DELAY=netem, but netem does not work here"
		# whatever half of netem got set up goes
		nsx "$LNS_R" tc qdisc del dev "$LRDEV_S" root 2>/dev/null
		nsx "$LNS_R" tc qdisc del dev "$LRDEV_C" root 2>/dev/null
		link_tbf "$LNS_R" "$LRDEV_S"
		link_tbf "$LNS_R" "$LRDEV_C"
		link_ftdelay
		LINK_EMULATOR=ftdelay
	fi
	link_loss "$LNS_R" forward "$LRDEV_S" "$LRDEV_C"
}

# link_netem DEV: netem's delay on the router's egress DEV, tbf under it;
# false (and nothing left behind) where the kernel has no netem.
link_netem() {
	nsx "$LNS_R" tc qdisc add dev "$1" root handle 1: netem \
	    delay "${LINK_DELAY_MS}ms" limit 100000 2>/dev/null || return 1
	link_tbf "$LNS_R" "$1" 1:1
}

# link_ftdelay: the in-tree delay line on NFQUEUE 0 of the router's
# FORWARD chain, both ways; no bypass: if ftdelay dies, the path is cut
# rather than silently undelayed.
link_ftdelay() {
	local i
	[[ -x $FTDELAY ]] || die "--link $link: this kernel has no netem and $FTDELAY is not" \
	    "built (make delayline; it needs libnetfilter-queue-dev)"
	have iptables || die "--link $link: the delay line needs iptables (apt-get install iptables)"
	nsx "$LNS_R" iptables -A FORWARD -j NFQUEUE --queue-num 0 2>"$tmp/ipt.err" ||
	    die "--link $link: no NFQUEUE target here ($(cat "$tmp/ipt.err"))"
	# -T: a bound if perf-matrix is killed too hard to stop it.
	# Not through nsx: a function in the background would be a subshell,
	# and DELAY_PID must be ftdelay's own pid (ip netns exec execs it).
	ip netns exec "$LNS_R" "$FTDELAY" -q 0 -d "$LINK_DELAY_MS" -T 86400 \
	    >"$data/ftdelay.out" 2>&1 </dev/null &
	DELAY_PID=$!
	for ((i = 0; i < 50; i++)); do
		grep -qs ': ready$' "$data/ftdelay.out" && return 0
		alive "$DELAY_PID" || break
		sleep 0.1
	done
	die "--link $link: ftdelay did not start: $(tail -n 3 "$data/ftdelay.out")"
}

# link_down: stops the delay line (its counters go to data/ftdelay.out);
# the namespaces go with perf-matrix's cleanup.
link_down() {
	[[ -z $DELAY_PID ]] && return 0
	stop_pid "$DELAY_PID" || true
	DELAY_PID=""
}

# ---------------------------------------------------------------- counters

# nft drops of the rule on line N of NS's ftloss table.
nft_drops() {
	((LINK_LOSS > 0)) || return 0
	nsx "$1" nft list table "$2" ftloss 2>/dev/null |
	    sed -n 's/.*counter packets \([0-9]*\) .*/\1/p' | sed -n "${3}p"
}
tbf_drops() {
	nsx "$1" tc -s qdisc show dev "$2" 2>/dev/null |
	    awk '$1 == "qdisc" { tbf = ($2 == "tbf") } tbf && /dropped/ {
		sub(/.*\(dropped /, ""); sub(/,.*/, ""); print; exit }'
}
# link_counters: drops server -> client and client -> server by nftables,
# then by tbf on the server -> client and client -> server paths.
link_counters() {
	[[ -n $link ]] || { printf '\t\t\t'; return; }
	if [[ $LINK_TOPO == pair ]]; then
		printf '%s\t%s\t%s\t%s' "$(nft_drops "$LNS_C" netdev 1)" \
		    "$(nft_drops "$LNS_S" netdev 1)" \
		    "$(tbf_drops "$LNS_S" "$LDEV_S")" "$(tbf_drops "$LNS_C" "$LDEV_C")"
	else
		printf '%s\t%s\t%s\t%s' "$(nft_drops "$LNS_R" inet 1)" \
		    "$(nft_drops "$LNS_R" inet 2)" \
		    "$(tbf_drops "$LNS_R" "$LRDEV_C")" "$(tbf_drops "$LNS_R" "$LRDEV_S")"
	fi
}

# ---------------------------------------------------------------- calibration

# link_rtt: ping's min/avg/max through the link (20 pings, 20 ms apart).
link_rtt() {
	have ping || return 0
	LINK_RTT=$(timeout 20 "${NS_C[@]}" ping -n -q -c 20 -i 0.02 -W 1 "$SERVER_ADDR" 2>&1 |
	    sed -n 's|^rtt min/avg/max/mdev = \([^/]*\)/\([^/]*\)/\([^/]*\)/.*|\1 \2 \3|p')
}

# iperf3_run PROTO JSON ARGS...: one iperf3 test through the link, its
# server started for it in the server's namespace (-1: one test, then it
# exits; bounded either way).
iperf3_run() {
	local proto=$1 json=$2 spid rc=0 i
	shift 2
	# --forceflush: its "listening" line must reach the file at once
	"${NS_S[@]}" timeout -k 2 $((CALIBRATE_SECONDS + 20)) iperf3 -s -1 --forceflush \
	    -B "$SERVER_ADDR" -p "$IPERF_PORT" >"$json.server" 2>&1 </dev/null &
	spid=$!
	for ((i = 0; i < 50; i++)); do
		grep -qs 'listening' "$json.server" && break
		alive "$spid" || break
		sleep 0.1
	done
	timeout -k 2 $((CALIBRATE_SECONDS + 15)) "${NS_C[@]}" iperf3 -c "$SERVER_ADDR" \
	    -p "$IPERF_PORT" -t "$CALIBRATE_SECONDS" -J "$@" >"$json" 2>"$json.err" </dev/null || rc=$?
	stop_pid "$spid" || true
	return "$rc"
}

# link_calibrate: the link's ceilings, measured now in these namespaces:
# iperf3 TCP (one stream), and UDP sent at the link's rate (its loss is
# what the link dropped); into data/ceilings.tsv, read by column name.
link_calibrate() {
	local ceil=$data/ceilings.tsv proto json line
	link_rtt
	have iperf3 && ((CALIBRATE_SECONDS > 0)) || return 0
	printf 'tool\tprotocol\tbits_per_second\tretransmits\tlost_percent\tseconds\tcongestion\n' >"$ceil"
	for proto in tcp udp; do
		json=$data/iperf3-$proto.json
		# UDP: a 4 MiB socket buffer, so that the receiving host's
		# buffer is not what loses datagrams (it would be, by default)
		if [[ $proto == tcp ]]; then
			iperf3_run tcp "$json"
		else
			iperf3_run udp "$json" -u -b "$LINK_BITS" -w 4M
		fi
		if line=$(python3 "$LIB/ceiling.py" "$proto" "$json" 2>&1); then
			printf '%s\n' "$line" >>"$ceil"
			echo "$PROG: ceiling of $link, iperf3 $proto: $(awk -F'\t' '{
			    printf "%.1f Mbit/s (%.2f MB/s)", $3 / 1e6, $3 / 8e6
			    if ($4 != "") printf ", %s retransmissions", $4
			    if ($5 != "") printf ", %s %% lost", $5 }' <<<"$line")"
		else
			echo "$PROG: note: the iperf3 $proto ceiling failed: $line" >&2
		fi
	done
}

# ---------------------------------------------------------------- conditions

# link_qdiscs: tc qdisc show of every device of the link, one line.
link_qdiscs() {
	local ns dev out=""
	for ns in "$LNS_S:$LDEV_S" "$LNS_R:${LRDEV_S:-}" "$LNS_R:${LRDEV_C:-}" "$LNS_C:$LDEV_C"; do
		dev=${ns#*:} ns=${ns%%:*}
		[[ -n $ns && -n $dev ]] || continue
		out+="$ns $dev: $(nsx "$ns" tc qdisc show dev "$dev" | tr '\n' ';' | sed 's/;$//'); "
	done
	printf '%s' "${out%; }"
}

# link_offloads NS DEV: tso/udp segmentation/gso/gro as ethtool -k says.
link_offloads() {
	nsx "$1" ethtool -k "$2" 2>/dev/null | awk -F': ' '
	    $1 == "tcp-segmentation-offload" { t = $2 }
	    $1 ~ /tx-udp-segmentation$/ { u = $2 }
	    $1 == "generic-segmentation-offload" { g = $2 }
	    $1 == "generic-receive-offload" { r = $2 }
	    END { printf "tso %s, udp segmentation %s, gso %s, gro %s", t, u, g, r }'
}

link_conditions() {
	local ns cc="" where rule
	cond "iproute2, nft, ethtool" "$(ip -V 2>&1 | head -n 1), $(nft --version 2>&1 | head -n 1), $(ethtool --version 2>&1 | head -n 1)"
	if [[ $LINK_TOPO == pair ]]; then
		cond link "$link: namespaces $LNS_S (server, 198.18.0.1) and $LNS_C (clients, 198.18.0.2), veth $LDEV_S–$LDEV_C, MTU $LINK_MTU"
		cond "rate limit" "tc tbf rate $LINK_RATE burst $LINK_BURST latency $LINK_LATENCY on both ends"
		where="at both ends' ingress" rule="meta protocol ip numgen random mod 100 < $LINK_LOSS drop"
	else
		cond link "$link: namespaces $LNS_S (server, 198.18.0.1), $LNS_R (router, 198.18.0.2 and .5, forwarding) and $LNS_C (clients, 198.18.0.6), veths $LDEV_S–$LRDEV_S and $LRDEV_C–$LDEV_C, MTU $LINK_MTU"
		cond "rate limit" "tc tbf rate $LINK_RATE burst $LINK_BURST latency $LINK_LATENCY on the router's two egresses"
		where="in the router's FORWARD chain, one rule per input device" rule="iifname DEV numgen random mod 100 < $LINK_LOSS drop"
	fi
	case $LINK_EMULATOR in
	netem) cond "delay emulator" "netem delay ${LINK_DELAY_MS}ms on each of the router's egresses (tbf under it): $((2 * LINK_DELAY_MS)) ms RTT added" ;;
	ftdelay) cond "delay emulator" "ftdelay (contrib/delayline, NFQUEUE 0 in the router's FORWARD chain, ${LINK_DELAY_MS} ms each way: $((2 * LINK_DELAY_MS)) ms RTT added): $(grep -m 1 '^ftdelay: queued' "$data/ftdelay.out" 2>/dev/null || echo 'counters at the end of data/ftdelay.out')" ;;
	*) cond "delay emulator" "none (no delay added)" ;;
	esac
	[[ -n $LINK_RTT ]] && cond "ping RTT through the link" "min/avg/max ${LINK_RTT// //} ms (20 pings, before the tests)"
	if ((LINK_LOSS > 0)); then
		cond loss "nftables '$rule' $where ($LINK_LOSS % each way)"
	else
		cond loss "none added"
	fi
	# What full-size packets can carry at the nominal rate (tbf meters the
	# Ethernet frame: 14 + 20 + 20 or 8 bytes of headers, 1500-byte MTU).
	cond "nominal payload rate" "$(awk -v r="$LINK_BITS" -v m="${LINK_MTU:-1500}" 'BEGIN {
	    printf "%.1f MB/s of TCP payload (%d-byte segments, timestamps on), %.1f MB/s of UDP payload, at %.0f Mbit/s",
		r / 8e6 * (m - 52) / (m + 14), m - 52, r / 8e6 * (m - 28) / (m + 14), r / 1e6 }')"
	cond qdiscs "$(link_qdiscs)"
	cond offloads "$LDEV_S (server): $(link_offloads "$LNS_S" "$LDEV_S"); $LDEV_C (clients): $(link_offloads "$LNS_C" "$LDEV_C")"
	for ns in "$LNS_S" "$LNS_C"; do
		cc+="$ns $(nsx "$ns" sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null || echo n/a); "
	done
	cond "TCP congestion control (in the namespaces)" "${cc%; }"
	if [[ -s $data/ceilings.tsv ]]; then
		cond "ceilings" "measured before the tests by iperf3 ($(iperf3 --version 2>&1 | head -n 1)), ${CALIBRATE_SECONDS} s each, in the same namespaces: TCP one stream, UDP at $LINK_RATE with 4 MiB socket buffers; data/ceilings.tsv, data/iperf3-*.json"
	else
		cond "ceilings" "not measured ($(have iperf3 && echo FT_CALIBRATE_SECONDS=0 || echo 'no iperf3'))"
	fi
}
