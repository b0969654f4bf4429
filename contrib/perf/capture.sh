# shellcheck shell=bash
# contrib/perf/capture.sh: a test's capture summarised with tshark, for
# perf-matrix --capture (sourced: bash). contrib/ft-report reads what it
# writes, each column by name, from the log folders alone, so the report
# can be rebuilt without measuring again.
#
#   capture_summary PCAP DIR PROTO IFACE MTU PORT_LO PORT_HI RUN TEST
#
# PROTO is the test's (tcp or udp), the server's ports are PORT_LO..PORT_HI
# (the control port and, over UDP, the workers' PORT+k): the other end of
# a conversation is the client. It writes into DIR:
#   capture.tsv         item/value: run (the client run id ft-report
#                       matches), test, pcap, interface, loopback, mtu,
#                       frames, bytes, largest_frame, bin_seconds, tshark,
#                       status ("ok", or why there is no summary)
#   capture-conv.tsv    one row per conversation that tshark -z conv,tcp
#                       and -z conv,udp list (conv_frames, their frame
#                       count), with exact bytes and frames each way, the
#                       first frame's time and the span to the last (its
#                       -z conv columns print rounded units) and the TCP
#                       expert messages per kind, all from -T fields
#                       (mb_per_s: bytes to the client over the span):
#                       proto client server frames_to_client
#                       bytes_to_client frames_to_server bytes_to_server
#                       start_s duration_s conv_frames mb_per_s
#                       retransmission fast_retransmission
#                       spurious_retransmission lost_segment
#                       ack_lost_segment duplicate_ack out_of_order
#   capture-expert.tsv  tshark -z expert, a row per message: severity
#                       count group protocol kind summary (kind names the
#                       retransmission kinds above, else "-")
#   capture-io.tsv      the I/O graph: bytes per bin per conversation of
#                       PROTO, every bin from its first to its last:
#                       client t_s bytes_to_client bytes_to_server frames
#   capture-tshark.txt  tshark's own -z output, for people
# Bytes are frame lengths (link header included). On loopback a frame is
# what one send handed the kernel (TSO/GSO super-frames up to 64 KiB, or
# several datagrams glued by UDP GSO): counts are not wire packets.

CAPTURE_TSHARK_SECONDS=${CAPTURE_TSHARK_SECONDS:-300}	# per tshark pass
# The I/O graph's bin: about a hundredth of the capture (10 ms at least,
# 1-2-5 steps), at most 100 ms unless that makes over 2000 bins; frames
# are summed in 10 ms bins first.
CAPTURE_BIN_BASE=0.01

# The retransmission kinds, from Wireshark's TCP expert messages (its
# filter names: tcp.analysis.KIND).
CAPTURE_KIND_AWK='
function kind(m) {
	if (m ~ /\(suspected\) fast retransmission/) return "fast_retransmission"
	if (m ~ /\(suspected\) spurious retransmission/) return "spurious_retransmission"
	if (m ~ /\(suspected\) retransmission/) return "retransmission"
	if (m ~ /^Previous segment\(s\) not captured/) return "lost_segment"
	if (m ~ /^ACKed segment that wasn.t captured/) return "ack_lost_segment"
	if (m ~ /^Duplicate ACK/) return "duplicate_ack"
	if (m ~ /out-of-order/) return "out_of_order"
	return "-"
}'
CAPTURE_KINDS="retransmission fast_retransmission spurious_retransmission lost_segment ack_lost_segment duplicate_ack out_of_order"

# capture_mtu IFACE: its MTU, or "-".
capture_mtu() { cat "/sys/class/net/$1/mtu" 2>/dev/null || echo -; }

# capture_meta DIR ITEM VALUE: one line of capture.tsv.
capture_meta() { printf '%s\t%s\n' "$2" "$(printf '%s' "$3" | tr '\t\n' '  ')" >>"$1/capture.tsv"; }

capture_summary() {
	local pcap=$1 dir=$2 proto=$3 iface=$4 mtu=$5 lo=$6 hi=$7 run=$8 test=$9 why=""
	printf 'item\tvalue\n' >"$dir/capture.tsv"
	capture_meta "$dir" run "$run"
	capture_meta "$dir" test "$test"
	capture_meta "$dir" pcap "$(basename "$pcap")"
	capture_meta "$dir" interface "$iface"
	capture_meta "$dir" loopback "$([[ $iface == lo ]] && echo yes || echo no)"
	capture_meta "$dir" mtu "$mtu"
	# asked once per run: tshark takes half a second to start
	[[ -n ${CAPTURE_TSHARK_VERSION:-} ]] ||
	    CAPTURE_TSHARK_VERSION=$(tshark --version 2>/dev/null | head -n 1)
	capture_meta "$dir" tshark "${CAPTURE_TSHARK_VERSION:-not installed}"
	if ! command -v tshark >/dev/null 2>&1; then
		why="tshark is not installed (apt-get install tshark)"
	elif ! capture_tshark "$pcap" "$dir" "$proto" "$lo" "$hi"; then
		why="tshark failed or took over $CAPTURE_TSHARK_SECONDS s: $(grep -v '^Running as user' "$dir/capture-tshark.err" | tail -n 1)"
	else
		capture_expert "$dir"
	fi
	capture_meta "$dir" status "${why:-ok}"
	[[ -z $why ]]
}

# capture_expert DIR: tshark -z expert's rows (in capture-tshark.txt) as
# TSV.
capture_expert() {
	awk -v OFS='\t' "$CAPTURE_KIND_AWK"'
	    BEGIN { print "severity", "count", "group", "protocol", "kind", "summary" }
	    /^(Errors|Warns|Notes|Chats|Comments) \([0-9]+\)$/ { sev = $1; next }
	    /^[A-Z]+ Conversations$/ { sev = ""; next }
	    sev != "" && $1 ~ /^[0-9]+$/ && NF >= 4 {
		s = $0; sub(/^ *[0-9]+ +[^ ]+ +[^ ]+ +/, "", s)
		print sev, $1, $2, $3, kind(s), s
	    }' "$1/capture-tshark.txt" >"$1/capture-expert.tsv"
}

# capture_tshark PCAP DIR PROTO LO HI: one tshark pass (its start costs
# more than a small capture): every frame's time, length, endpoints and
# expert messages as tab-separated fields, summed per conversation and
# binned; then its -z conversation tables and expert summary, which are
# the lines without those tabs (kept in capture-tshark.txt).
capture_tshark() {
	local pcap=$1 dir=$2 codes
	timeout -k 5 "$CAPTURE_TSHARK_SECONDS" tshark -n -r "$pcap" -T fields -E separator=/t \
	    -E occurrence=a -E aggregator='|' -e frame.time_relative -e frame.len \
	    -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst -e tcp.srcport -e tcp.dstport \
	    -e udp.srcport -e udp.dstport -e _ws.expert.message \
	    -z conv,tcp -z conv,udp -z expert 2>"$dir/capture-tshark.err" |
	    awk -F'\t' -v OFS='\t' -v proto="$3" -v lo="$4" -v hi="$5" -v bin0="$CAPTURE_BIN_BASE" \
	        -v kinds="$CAPTURE_KINDS" -v dir="$dir" -v zout="$dir/capture-tshark.txt" \
	        "$CAPTURE_KIND_AWK"'
	    function ep(a, p) { return (a ~ /:/ ? "[" a "]" : a) ":" p }
	    function nice(x,   e, m) {
		for (e = bin0; ; e *= 10)
			for (m = 1; m <= 5; m += (m == 1 ? 1 : 3))
				if (m * e >= x - 1e-12) return m * e
	    }
	    BEGIN { printf "" >zout }
	    # -z conv rows: "A <-> B  frames n unit  frames n unit  frames n unit  start duration"
	    NF != 11 {
		print >zout
		if ($0 ~ /^TCP Conversations/) cp = "tcp"
		else if ($0 ~ /^UDP Conversations/) cp = "udp"
		if (split($0, w, " +") == 14 && w[2] == "<->")
			zc[cp, w[1], w[3]] = w[10] "\t" w[13] "\t" w[14]
		next
	    }
	    {
		t = $1 + 0; len = $2 + 0; frames++; bytes += len
		if (len > big) big = len
		if (t > last) last = t
		src = $3 != "" ? $3 : $4; dst = $5 != "" ? $5 : $6
		if ($7 != "") { p = "tcp"; sp = $7; dp = $8 } else if ($9 != "") { p = "udp"; sp = $9; dp = $10 } else next
		if (sp + 0 >= lo && sp + 0 <= hi) { c = ep(dst, dp); s = ep(src, sp); down = 1 }
		else if (dp + 0 >= lo && dp + 0 <= hi) { c = ep(src, sp); s = ep(dst, dp); down = 0 }
		else next
		k = p SUBSEP c
		if (!(k in server)) { order[++nconv] = k; server[k] = s; first[k] = t }
		lastt[k] = t
		if (down) { fdn[k]++; bdn[k] += len } else { fup[k]++; bup[k] += len }
		if ($11 != "") {
			m = split($11, msgs, "|")
			for (i = 1; i <= m; i++) { kd = kind(msgs[i]); if (kd != "-") ex[k, kd]++ }
		}
		if (p == proto) {
			b = int(t / bin0)
			io[k, b, "d"] += down ? len : 0; io[k, b, "u"] += down ? 0 : len; io[k, b, "f"]++
		}
	    }
	    END {
		nk = split(kinds, kn, " ")
		binw = nice(last / 100)
		if (binw > 0.1) binw = 0.1
		if (last / binw > 2000) binw = nice(last / 2000)
		cf = dir "/capture-conv.tsv"
		printf "proto\tclient\tserver\tframes_to_client\tbytes_to_client\tframes_to_server\tbytes_to_server\tstart_s\tduration_s\tconv_frames\tmb_per_s" >cf
		for (i = 1; i <= nk; i++) printf "\t%s", kn[i] >cf
		printf "\n" >cf
		iof = dir "/capture-io.tsv"
		print "client", "t_s", "bytes_to_client", "bytes_to_server", "frames" >iof
		for (j = 1; j <= nconv; j++) {
			k = order[j]; split(k, pc, SUBSEP)
			z = zc[pc[1], pc[2], server[k]]
			if (z == "") z = zc[pc[1], server[k], pc[2]]
			split(z == "" ? "-" : z, zz, "\t")
			span = lastt[k] - first[k]
			rate = span > 0 ? sprintf("%.6f", bdn[k] / span / 1e6) : "-"
			printf "%s\t%s\t%s\t%d\t%.0f\t%d\t%.0f\t%.6f\t%.6f\t%s\t%s", pc[1], pc[2], server[k],
			    fdn[k], bdn[k], fup[k], bup[k], first[k], span, zz[1], rate >cf
			for (i = 1; i <= nk; i++) printf "\t%d", ex[k, kn[i]] >cf
			printf "\n" >cf
			if (pc[1] != proto) continue
			# the bins of this conversation, re-binned to binw
			delete d; delete u; delete f
			b0 = int(first[k] / bin0); b1 = int(lastt[k] / bin0)
			for (b = b0; b <= b1; b++) {
				nb = int(b * bin0 / binw + 1e-6)
				d[nb] += io[k, b, "d"]; u[nb] += io[k, b, "u"]; f[nb] += io[k, b, "f"]
			}
			for (nb = int(b0 * bin0 / binw + 1e-6); nb <= int(b1 * bin0 / binw + 1e-6); nb++)
				printf "%s\t%.3f\t%.0f\t%.0f\t%d\n", pc[2], nb * binw, d[nb], u[nb], f[nb] >iof
		}
		printf "frames\t%d\nbytes\t%.0f\nlargest_frame\t%d\nduration_s\t%.6f\nbin_seconds\t%s\n",
		    frames, bytes, big, last, binw >>(dir "/capture.tsv")
	    }'
	codes=("${PIPESTATUS[@]}")
	((codes[0] == 0 && codes[1] == 0))
}
