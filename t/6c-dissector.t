#!/bin/bash
# 6c-dissector.t: contrib/wireshark/ft.lua decodes what the real programs
# send. tcpdump captures loopback, restricted to the test's server ports
# with tcpdump (bounded in time and packets), while ftclient fetches a file over TCP,
# then over reliable UDP with 1200-byte datagrams (GSO super-frames on
# loopback); then tshark -X lua_script: decodes each capture and the
# decoded fields are checked against what the test knows: the file's
# name, size and SHA-256 in the OK and DONE lines, the file's bytes after
# DATA, the transfer ids, the datagram types (HELLO, DATA, STATUS, FIN),
# every DATA datagram's offset and length against the file's geometry,
# HELLOs and STATUSes carrying the OK line's secret and no data. Crafted
# malformed datagrams sent to a worker port must be flagged
# (ft.udp.malformed), and no packet may raise a Lua error. The port
# preference (-o ft.tcp_port) decodes without the heuristic, and without
# either nothing is decoded (the heuristic did the work).
#
# It checks a Lua script, not the C binaries' memory: the ASan pass skips.
if [ -n "${FT_SUFFIX:-}" ]; then
	echo "1..0 # SKIP checks the Wireshark Lua dissector, not the C binaries (nothing for $FT_SUFFIX to find)"
	exit 0
fi
# shellcheck source=t/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=t/udp-lib.sh
. "$(dirname "$0")/udp-lib.sh"

for tool in tshark tcpdump python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool is not installed (apt-get install tshark tcpdump python3)"
		exit 0
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP capturing on lo needs root (tcpdump)"
	exit 0
fi

LUA=$ROOT/contrib/wireshark/ft.lua
mkdir -p "$CAT"
head -c 200003 /dev/urandom >"$CAT/tcp.bin"
head -c 100003 /dev/urandom >"$CAT/udp.bin"
TSIZE=200003 TSHA=$(sha_of "$CAT/tcp.bin")
USIZE=100003 USHA=$(sha_of "$CAT/udp.bin")
DGRAM=1200
CAP_PID=

# capture NAME FILTER: tcpdump on lo into $T/NAME.pcap, whole packets
# (snaplen 65535: the tests' packets are small) into a 32 MiB buffer
# (more than a test sends: the default 2 MiB overflowed once under load,
# with GSO frames of 39 KB), each written as it comes (--immediate-mode -U: dumpcap's ring hands packets over only every
# 250 ms, so the last ones could miss the stop), at most 30 s and 20000
# packets; waits (bounded) until it listens.
capture() {
	local zroot=()
	CAP=$T/$1.pcap
	CAP_ERR=$T/$1.tcpdump.err
	[ "$(id -u)" = 0 ] && zroot=(-Z root)	# write $T as root, not as user tcpdump
	timeout -k 5 30 tcpdump -i lo -s 65535 -B 32768 --immediate-mode -U -n -c 20000 "${zroot[@]}" \
	    -w "$CAP" "$2" 2>"$CAP_ERR" &
	CAP_PID=$!
	BG[tcpdump]=$CAP_PID
	wait_for 10 grep -qs 'listening on' "$CAP_ERR" || abort_test "tcpdump starts ($(cat "$CAP_ERR"))"
}

# stop_capture: once the file has stopped growing for 0.3 s (at most 3 s:
# tcpdump may not have read the last packets yet on a busy machine, and
# INT drops what it has not read), INT, bounded, then KILL.
stop_capture() {
	local i size last=-1 still=0
	for ((i = 0; i < 30 && still < 3; i++)); do
		sleep 0.1
		size=$(stat -c %s "$CAP" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then still=$((still + 1)); else still=0; fi
		last=$size
	done
	kill -INT "$CAP_PID" 2>/dev/null
	wait_for 10 gone "$CAP_PID" || kill -KILL "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	unset 'BG[tcpdump]'
	ok "$(basename "$CAP"): captured ($(sed -n 's/ packets captured//p' "$CAP_ERR") packets)" test -s "$CAP"
	is "$(sed -n 's/ packets\{0,1\} dropped by kernel//p' "$CAP_ERR")" 0 "$(basename "$CAP"): tcpdump dropped nothing"
}

# decode CAP OUT ARGS...: tshark with the dissector, fields tab-separated
# (several values of a field in one frame joined by ','), errors apart.
decode() {
	local cap=$1 out=$2
	shift 2
	timeout -k 5 60 tshark -n -X "lua_script:$LUA" -o udp.try_heuristic_first:TRUE -r "$cap" \
	    "$@" >"$out" 2>"$out.err"
}

# ---------------------------------------------------------------- TCP

start_server -p 2
capture tcp "tcp port $PORT"
client tcp -c 2 -y -f tcp.bin -o "$T/tcp-out" -L "$T/client-logs"
is "$CLIENT_RC" 0 "TCP: a run of 2 verifies"
stop_capture
wait_server_logs 1
stop_server
TCP_CAP=$CAP TCP_PORT=$PORT

F=(-T fields -E separator=/t -E occurrence=a -E 'aggregator=,')
decode "$TCP_CAP" "$T/tcp.tsv" -Y ft "${F[@]}" -e frame.number -e tcp.srcport -e ft.cmd \
    -e ft.file -e ft.size -e ft.sha256 -e ft.bytes -e ft.verdict -e ft.proto -e ft.workers \
    -e ft.member -e ft.group -e ft.file_data
is "$?" 0 "TCP: tshark -X lua_script:ft.lua decodes the capture (exit 0)"
# col N CMD FILE: column N of the rows whose ft.cmd is CMD (first of a frame's).
col() { awk -F'\t' -v n="$1" -v c="$3" '{ split($3, cmds, ","); if (cmds[1] == c) print $n }' "$2"; }
is "$(col 4 "$T/tcp.tsv" GET | sort | uniq -c | awk '{ print $1, $2 }')" "2 tcp.bin" "TCP: two GET lines for tcp.bin (ft.file)"
is "$(col 9 "$T/tcp.tsv" FT/1 | sort -u):$(col 10 "$T/tcp.tsv" FT/1 | sort -u)" "tcp:2" \
    "TCP: the greeting says tcp, workers=2 (ft.proto, ft.workers)"
is "$(awk -F'\t' '$3 == "OK" { print $4, $5, $6 }' "$T/tcp.tsv" | sort -u)" "tcp.bin $TSIZE $TSHA" \
    "TCP: the OK lines carry the file, its size and SHA-256 (ft.file, ft.size, ft.sha256)"
is "$(awk -F'\t' '$3 == "OK" { print $11 "/" $12 }' "$T/tcp.tsv" | sort | tr '\n' ' ')" "1/2 2/2 " \
    "TCP: members 1 and 2 of a group of 2 (ft.member, ft.group)"
is "$(col 5 "$T/tcp.tsv" DATA | sort -u)" "$TSIZE" "TCP: DATA announces the size"
is "$(awk -F'\t' '$3 == "DONE" { print $7, $6 }' "$T/tcp.tsv" | sort | uniq -c | awk '{ print $1, $2, $3 }')" \
    "2 $TSIZE $TSHA" "TCP: both DONE lines confirm the size and the hash (ft.bytes, ft.sha256)"
is "$(col 8 "$T/tcp.tsv" BYE | sort | uniq -c | awk '{ print $1, $2 }')" "2 ok" "TCP: two BYE ok (ft.verdict)"
# The file's bytes: everything the server sent after DATA, per connection.
is "$(awk -F'\t' '{ split($13, d, ","); for (i in d) s += d[i] } END { print s + 0 }' "$T/tcp.tsv")" \
    $((2 * TSIZE)) "TCP: the segments after DATA are the file's bytes, $((2 * TSIZE)) in all (ft.file_data)"
is "$(awk -F'\t' '$13 != "" && $2 != '"$TCP_PORT"'' "$T/tcp.tsv" | wc -l)" 0 \
    "TCP: only the server's segments carry file data"
# Every line decoded, none unknown (ft.unknown warns) or malformed.
decode "$TCP_CAP" "$T/tcp-V.txt" -V
is "$(grep -c 'Lua Error' "$T/tcp-V.txt")" 0 "TCP: no Lua error in any packet (tshark -V)"
is "$(grep -cE 'Expert Info \((Error/Malformed|Warning/Undecoded)\)|Malformed Packet' "$T/tcp-V.txt")" 0 \
    "TCP: no line flagged malformed or unknown, nothing malformed"

# The port preference decodes without the heuristic; without either,
# nothing is FT/1: the heuristic did the work above.
decode "$TCP_CAP" "$T/pref.txt" --disable-heuristic ft_tcp -o "ft.tcp_port:$TCP_PORT" -Y 'ft.cmd == "OK"'
is "$(wc -l <"$T/pref.txt")" 2 "TCP: -o ft.tcp_port:PORT without the heuristic decodes both OK lines"
decode "$TCP_CAP" "$T/none.txt" --disable-heuristic ft_tcp -Y ft
is "$(wc -l <"$T/none.txt")" 0 "TCP: neither port nor heuristic: nothing decoded (the test can fail)"

# datagrams NAME CAP: the OK lines (NAME-ok.tsv) and every datagram but
# the malformed ones (NAME.tsv) of a capture, then a check of each
# datagram (one line per datagram: a GSO super-frame holds several)
# against the OK lines and the file, in NAME-check.txt: the types seen,
# whether each transfer's DATA covers every seq, GSO seen, DATA re-sent,
# and what is wrong (bad N, then "# " lines).
datagrams() {
	local name=$1 cap=$2
	decode "$cap" "$T/$name-ok.tsv" -Y 'ft.cmd == "OK"' "${F[@]}" -e ft.xfer -e ft.secret \
	    -e ft.datagram -e ft.mode -e ft.size
	decode "$cap" "$T/$name.tsv" -Y 'ft.udp && !ft.udp.malformed' "${F[@]}" -e frame.number \
	    -e ft.udp.type -e ft.udp.xfer -e ft.udp.seq -e ft.udp.len -e ft.udp.offset \
	    -e ft.udp.secret_ok -e ft.udp.datagrams -e ft.udp.file -e ft.udp.flags.resent || return 1
	python3 - "$T/$name.tsv" "$T/$name-ok.tsv" "$USIZE" "$DGRAM" >"$T/$name-check.txt" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
oks = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
size, dsize = int(sys.argv[3]), int(sys.argv[4])
secrets = {int(o[0], 16): o[1] for o in oks}
names = {1: "DATA", 2: "FIN", 3: "STATUS", 4: "HELLO"}
seen, seqs, bad, gso, resent = set(), {}, [], 0, 0
count = -(-size // dsize)
for r in rows:
    split = lambda i: r[i].split(",") if r[i] else []
    types, xfers, seqn, lens, offs, oks_, files = (split(i) for i in (1, 2, 3, 4, 5, 6, 8))
    gso = max(gso, int(r[7] or 1))
    o = iter(offs)
    for t, x, s, n in zip(types, xfers, seqn, lens):
        t, x, s, n = names[int(t)], int(x, 16), int(s), int(n)
        seen.add(t)
        if x not in secrets:
            bad.append(f"frame {r[0]}: xfer {x:08x} is no OK line's")
        if t == "DATA":
            off = int(next(o))
            want = min(dsize, size - s * dsize)
            if off != s * dsize or n != want:
                bad.append(f"frame {r[0]}: DATA seq {s} offset {off} len {n}, want {s * dsize} {want}")
            seqs.setdefault(x, set()).add(s)
        elif t == "HELLO" and n != 8:
            bad.append(f"frame {r[0]}: HELLO carries {n} bytes")
    if any(v != "1" for v in oks_):
        bad.append(f"frame {r[0]}: a secret differs from the OK line's")
    resent += sum(v == "1" for v in split(9))
    if any(f != "udp.bin" for f in files):
        bad.append(f"frame {r[0]}: file {files}")
print("types", " ".join(sorted(seen)))
print("complete", sorted(len(v) == count and v == set(range(count)) for v in seqs.values()))
print("gso", "yes" if gso > 1 else "no")
print("resent", resent)
print("bad", len(bad))
for b in bad[:10]:
    print("#", b)
EOF
	grep '^#' "$T/$name-check.txt" >&2
	return 0
}
got() { sed -n "s/^$2 //p" "$T/$1-check.txt"; }

# ---------------------------------------------------------------- UDP

start_udp_server -p 2 -m reliable -s $DGRAM
capture udp "tcp port $PORT or udp portrange $UDP_FIRST-$UDP_LAST"
client udp -u -c 2 -y -f udp.bin -o "$T/udp-out" -L "$T/client-logs"
is "$CLIENT_RC" 0 "UDP: a reliable run of 2 verifies"
# Crafted datagrams to a worker's port (it counts them as bad and drops
# them): an unknown type, a length beyond the datagram, a STATUS claiming
# more ranges than it holds, a datagram shorter than the header.
python3 - "$UDP_FIRST" <<'EOF'
import socket, struct, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
head = lambda t, n, seq=0: b"FTD2" + struct.pack(">BBHIII", t, 0, n, 0x1234, seq, 7)
for d in (head(9, 0), head(1, 1000, 3) + b"0123456789",
          head(3, 24) + struct.pack(">QIIII", 1, 2, 3, 4, 500), b"FTD2\x01\x00"):
    s.sendto(d, ("127.0.0.1", port))
EOF
stop_capture
wait_server_logs 1
stop_server
UDP_CAP=$CAP

ok "UDP: tshark decodes the capture" datagrams udp "$UDP_CAP"
is "$(cut -f3- "$T/udp-ok.tsv" | sort -u)" "$DGRAM	reliable	$USIZE" \
    "UDP: the OK lines give datagram=$DGRAM, mode=reliable, the size (ft.datagram, ft.mode, ft.size)"
decode "$UDP_CAP" "$T/done.tsv" -Y 'ft.cmd == "DONE"' "${F[@]}" -e ft.bytes -e ft.sha256
is "$(sort "$T/done.tsv" | uniq -c | awk '{ print $1, $2, $3 }')" "2 $USIZE $USHA" \
    "UDP: both DONE lines (over TCP) confirm the size and the hash"
like "$(got udp types)" '^DATA (FIN )?HELLO STATUS$' "UDP: HELLO, DATA and STATUS datagrams decoded (ft.udp.type; FIN when a pass ended)"
is "$(got udp complete)" "[True, True]" "UDP: both transfers' DATA datagrams, every seq 0..$(((USIZE + DGRAM - 1) / DGRAM - 1)) (ft.udp.xfer, ft.udp.seq)"
is "$(got udp bad)" 0 "UDP: every DATA at seq x $DGRAM with the file's length there (ft.udp.offset, ft.udp.len), HELLOs of 8 bytes, secrets and xfers the OK lines' (ft.udp.secret_ok)"
diag "UDP: GSO super-frames seen: $(got udp gso)"
decode "$UDP_CAP" "$T/udp-V.txt" -V
is "$(grep -c 'Lua Error' "$T/udp-V.txt")" 0 "UDP: no Lua error in any packet (tshark -V)"
is "$(grep -c 'Expert Info (Error/Malformed)' "$T/udp-V.txt")" 4 \
    "UDP: the 4 crafted datagrams, and nothing else, are flagged malformed (ft.udp.malformed)"
file_like "$T/udp-V.txt" 'Expert Info \(Error/Malformed\): unknown datagram type 9' "UDP: ...an unknown type"
file_like "$T/udp-V.txt" 'Expert Info \(Error/Malformed\): the header says 1000 payload bytes; the datagram has 10' \
    "UDP: ...a length beyond the datagram"
file_like "$T/udp-V.txt" 'Expert Info \(Error/Malformed\): STATUS: 500 ranges in a payload of 24 bytes' \
    "UDP: ...a STATUS with more ranges than bytes"
file_like "$T/udp-V.txt" 'Expert Info \(Error/Malformed\): 6 bytes: shorter than the 20-byte header' \
    "UDP: ...a datagram shorter than the header"
decode "$UDP_CAP" "$T/mal.tsv" -Y ft.udp.malformed
is "$(wc -l <"$T/mal.tsv")" 4 "UDP: the filter ft.udp.malformed finds them"

# ---------------------------------------------------------------- raw

# Raw mode: one pass, never a repair. It may lose datagrams even here, so
# only what was captured is checked, not that every seq came.
start_udp_server -p 2 -m raw -s $DGRAM
capture raw "tcp port $PORT or udp portrange $UDP_FIRST-$UDP_LAST"
client raw -u -c 2 -y -f udp.bin -o "$T/raw-out" -L "$T/client-logs"
stop_capture
wait_server_logs 1
stop_server
ok "raw: tshark decodes the capture" datagrams raw "$CAP"
is "$(cut -f4 "$T/raw-ok.tsv" | sort -u)" raw "raw: the OK lines say mode=raw"
like "$(got raw types)" '^DATA ' "raw: DATA datagrams decoded"
is "$(got raw resent)" 0 "raw: no DATA flagged re-sent (ft.udp.flags.resent)"
is "$(got raw bad)" 0 "raw: every DATA at its offset with its length, xfers and secrets the OK lines'"

done_testing
