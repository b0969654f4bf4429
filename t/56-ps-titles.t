#!/bin/bash
# 56-ps-titles.t: each process shows its state in ps(1) (setproctitle):
#   ftserver: master
#   ftserver: worker K idle
#   ftserver: worker K handshake with 127.0.0.1:PORT
#   ftserver: worker K gathering NAME for 127.0.0.1:PORT
#   ftserver: worker K sending NAME to 127.0.0.1:PORT
#   ftserver: worker K confirming NAME to 127.0.0.1:PORT
# where PORT is the client's port; IPv6 peers in brackets. Read from
# /proc/PID/cmdline (the title is its first string) and from ps itself.
# ("ftserver-asan: ..." for the sanitizer build.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

BIG=$((200 << 20))
ok "a 200 MiB file" big_file "$CAT/big.bin" "$BIG"
all_idle() {
	[ "$(titles | awk '{ $1 = ""; print substr($0, 2) }' | sort)" = "$(for k in "$@"; do
	    echo "$PROG: worker $k idle"; done | sort)" ]
}

start_server -p 3
is "$(title "$SERVER_PID")" "$PROG: master" "the master: '$PROG: master'"
ok "three workers, titled 'worker 1 idle' .. 'worker 3 idle'" wait_for 10 all_idle 1 2 3
w=$(worker_titled "^$PROG: worker 2 idle\$")
like "$(ps -o args= -p "$w")" "^$PROG: worker 2 idle( |\$)" "ps(1) shows the title too"

raw_open
lport=$(raw_local_port)
ok "handshake: 'worker K handshake with 127.0.0.1:$lport'" \
    wait_titled 10 "^$PROG: worker [1-3] handshake with 127\\.0\\.0\\.1:$lport\$"
raw_send "GET 64k.bin group=2"
raw_read offer
ok "gathering: 'worker K gathering 64k.bin for 127.0.0.1:$lport'" \
    wait_titled 10 "^$PROG: worker [1-3] gathering 64k\\.bin for 127\\.0\\.0\\.1:$lport\$"
raw_close
ok "the client gone: idle again" wait_for 10 all_idle 1 2 3

raw_open
lport=$(raw_local_port)
ok "a raw client reads 64 KiB of big.bin and stops reading" raw_stall big.bin 65536
ok "sending: 'worker K sending big.bin to 127.0.0.1:$lport'" \
    wait_titled 10 "^$PROG: worker [1-3] sending big\\.bin to 127\\.0\\.0\\.1:$lport\$"
stalled=$RAW

raw_open
lport=$(raw_local_port)
raw_send "GET 64k.bin"
raw_read offer
raw_send READY
raw_read data
head -c 65536 <&"$RAW" >"$T/64k.got"
ok "confirming (the whole file read, no DONE yet): 'worker K confirming 64k.bin to 127.0.0.1:$lport'" \
    wait_titled 10 "^$PROG: worker [1-3] confirming 64k\\.bin to 127\\.0\\.0\\.1:$lport\$"
raw_send "DONE 65536 $(sha_of "$T/64k.got")"
raw_read bye
is "$bye" "BYE ok" "confirmed: BYE ok"
raw_close
RAW=$stalled
raw_close
ok "both clients gone: all idle again" wait_for 10 all_idle 1 2 3

# ftclient -c 2, stopped while its workers send: their titles name its ports.
client_bg two -c 2 -y -f big.bin -o "$T/two-out" -L "$T/two-logs"
ok "ftclient -c 2: a worker is sending" wait_titled 60 "^$PROG: worker [1-3] sending big\\.bin to "
pause_client two
sleep 0.2
seen=$(titles | sed -n "s/^[0-9]* $PROG: worker [1-3] sending big\\.bin to 127\\.0\\.0\\.1:\\([0-9]*\\)\$/\\1/p" | sort -n | tr '\n' ' ')
resume_client two
client_wait two
is "$CLIENT_RC" 0 "ftclient -c 2 exits 0"
is "$seen" "$(tsv_col "$(ls "$T/two-logs"/*-log*.tsv | head -1)" client_port | sort -n | tr '\n' ' ')" \
    "the two sending titles name the client's two ports ($seen)"
ok "idle again" wait_for 10 all_idle 1 2 3
stop_server

# UDP: the same titles (the client's control connection).
start_server -u -p 2
client_bg udp -u -c 1 -y -f big.bin -o "$T/udp-out" -L "$T/udp-logs"
ok "UDP: 'worker K sending big.bin to 127.0.0.1:PORT'" \
    wait_titled 60 "^$PROG: worker [12] sending big\\.bin to 127\\.0\\.0\\.1:[0-9]+\$"
client_wait udp
is "$CLIENT_RC" 0 "UDP: ftclient exits 0"
ok "UDP: idle again" wait_for 10 all_idle 1 2
stop_server

if grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	HOST=::1
	start_server -p 2
	raw_open
	lport=$(raw_local_port)
	ok "IPv6: 'worker K handshake with [::1]:$lport'" \
	    wait_titled 10 "^$PROG: worker [12] handshake with \\[::1\\]:$lport\$"
	raw_close
	stop_server
else
	skip 4 "no IPv6 loopback"
fi
done_testing
