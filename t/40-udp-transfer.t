#!/bin/bash
# 40-udp-transfer.t: UDP over loopback, raw and reliable, with 1, 5 and 25
# connections and datagrams of 1200 bytes, the default (the path MTU's,
# capped) and the largest allowed (65487), on files whose sizes are no
# multiple of any of them; then the edge sizes (empty, one byte, an exact
# multiple). Each test: the exit status, every ClienteK-Prueba-N.txt byte
# for byte, both logs with their datagram columns consistent. Raw mode
# may lose datagrams even here: the tests then require the log to say
# exactly how many (lost = total - received) and exit status 1, not zero
# loss.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

head -c 2000003 /dev/urandom >"$CAT/2m.bin"	# odd.bin is 1000003

# Without -s the datagram is the largest that crosses the path unfragmented
# (MTU - 20 IPv4 - 8 UDP - 20 ours), at most 32 KiB: on loopback's MTU
# (65536 usually) that is 32768.
AUTO=
if mtu=$(cat /sys/class/net/lo/mtu 2>/dev/null) && [ -n "$mtu" ]; then
	AUTO=$((mtu - 48 > 32768 ? 32768 : mtu - 48))
fi

# The listening line names the mode, the worker ports and the size.
listening_says() {
	like "$(head -1 "$SERVER_OUT")" \
	    "listening on $HOST:$PORT \\(udp, $1, UDP ports $((PORT + 1))-$((PORT + $2)), datagram $3" \
	    "server -u $4: says udp, $1, UDP ports PORT+1..PORT+$2, datagram $3"
}

# Reliable, 1200-byte datagrams: 1, 5 and 25 connections.
start_udp_server -p 25 -m reliable -s 1200
listening_says reliable 25 1200 "-m reliable -s 1200"
udp_test rel1200-c1 1 2m.bin reliable 1 1200
udp_test rel1200-c5 5 odd.bin reliable 2 1200
udp_test rel1200-c25 25 odd.bin reliable 3 1200
stop_server

# Raw, the default size: 1, 5 and 25 connections, and the edge sizes.
start_udp_server -p 25 -m raw
listening_says raw 25 'auto' "-m raw"
udp_test raw-c1 1 2m.bin raw 1 "$AUTO"
udp_test raw-c5 5 2m.bin raw 2
udp_test raw-c25 25 odd.bin raw 3
udp_test raw-empty 2 empty.bin raw 4
udp_test raw-one 2 one.bin raw 5
udp_test raw-64k 2 64k.bin raw 6
stop_server

# Reliable is the default mode; the largest datagrams, then the smallest.
start_udp_server -p 5 -s 65487
listening_says reliable 5 65487 "-s 65487 (no -m)"
udp_test rel-max-c5 5 2m.bin reliable 1 65487
udp_test rel-max-3m 1 3m.bin reliable 2 65487
udp_test rel-max-empty 2 empty.bin reliable 3 65487
udp_test rel-max-one 1 one.bin reliable 4 65487
stop_server

# Raw with the largest and with small datagrams.
start_udp_server -p 5 -m raw -s 65487
udp_test raw-max-c5 5 2m.bin raw 1 65487
stop_server
start_udp_server -p 5 -m raw -s 1200
udp_test raw1200-c5 5 odd.bin raw 1 1200
stop_server

# Reliable with the default size, 25 connections.
start_udp_server -p 25
listening_says reliable 25 'auto' "(no -m, no -s)"
udp_test rel-c25 25 2m.bin reliable 1 "$AUTO"
stop_server
done_testing
