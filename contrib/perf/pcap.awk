# pcap.awk: one capture's summary, from `tcpdump -r FILE -nn -e -tt`.
# Prints one tab-separated line:
#   packets wire_bytes tcp_packets tcp_data tcp_retrans tcp_retrans_bytes
#   udp_packets ip_fragments
# wire_bytes sums the frame lengths tcpdump reports (link header included),
# not the snapped bytes. A TCP retransmission is a segment with data whose
# sequence range starts below the highest sequence number already seen in
# its direction (captured at the sender's side, so reordering is not
# mistaken for it). Sequence numbers are unwrapped per direction, so a
# flow longer than 4 GiB still counts right.
BEGIN { W = 4294967296; H = 2147483648 }
{
	if (!match($0, /, length [0-9]+: /))
		next
	packets++
	len = substr($0, RSTART + 9, RLENGTH - 11) + 0
	wire += len
	rest = substr($0, RSTART + RLENGTH)
	if (rest ~ /ip-proto-17/ || rest ~ /\(frag [0-9]+:[0-9]+@[1-9]/) {
		frags++
		next
	}
	if (rest ~ /: UDP, /) {
		udp++
		next
	}
	if (rest !~ /: Flags \[/)
		next
	tcp++
	split(rest, w, " ")
	flow = w[1] " " w[3]
	if (!match(rest, /seq [0-9]+:[0-9]+/))
		next
	split(substr(rest, RSTART + 4, RLENGTH - 4), s, ":")
	start = s[1] + 0
	n = s[2] - s[1]
	if (n <= 0)
		n += W
	data++
	if (!(flow in hi)) {
		off[flow] = 0
		hi[flow] = start + n
		next
	}
	u = start + off[flow]
	if (u - hi[flow] < -H) {
		off[flow] += W
		u += W
	} else if (u - hi[flow] > H) {
		u -= W
	}
	if (u < hi[flow]) {
		retrans++
		rbytes += n
	}
	if (u + n > hi[flow])
		hi[flow] = u + n
}
END {
	printf "%d\t%.0f\t%d\t%d\t%d\t%.0f\t%d\t%d\n", packets, wire, tcp, data,
	    retrans, rbytes, udp, frags
}
