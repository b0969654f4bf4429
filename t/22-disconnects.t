#!/bin/bash
# 22-disconnects.t: clients that go away. Alone, before READY: the test
# never started, which the event log says (with the reason) instead of a
# log pair. In a group (server -n 2, one real
# ftclient plus one hand-driven connection): one that leaves before READY
# or in the middle of the file does not hold back or break the other,
# which completes; the log has one yes and one no with the reason.
. "$(dirname "$0")/lib.sh"

# A file larger than what loopback socket buffers can hold, so that
# closing after 64 KiB really is in the middle of the transfer.
head -c $((32 << 20)) /dev/urandom >"$CAT/big.bin"
BIG=$(size_of "$CAT/big.bin")

# --- Alone: connect, GET, close. The test never started: an event line,
# no log pair.
start_server -p 3
raw_open
raw_send "GET one.bin"
raw_read offer
like "$offer" '^OK member=1 group=1 file=one\.bin ' "alone: GET one.bin is offered"
raw_close
ok "alone: the event log says the test never started, and why" \
    wait_event 'test [0-9]+ never started: every connection left before the start \(one\.bin, 1 of 1 connections; the last one: before ready: the client disconnected\)'
is "$(server_logs_count)" 0 "alone: no test log for it"
transfer_ok alone-after 1 64k.bin
stop_server

# --- In a group of 2, one leaves before READY.
start_server -p 4 -n 2
raw_open
raw_send "GET 64k.bin"
raw_read offer
like "$offer" '^OK member=1 group=2 file=64k\.bin ' "group: the raw connection is member 1 of 2"
client_bg early -c 1 -y -f 64k.bin -o "$T/early-out" -L "$T/early-logs"
# Leave only once the real client has joined (it says ready), else the
# group would end before it arrives and it would wait for a new partner.
ok "group: the real client joins and is ready" wait_for 20 grep -qsE 'client [0-9]+: ready' "$T/early.out"
raw_close
client_wait early
is "$CLIENT_RC" 0 "group: the real client completes although its partner left before READY"
ok "group: its file (member 2) is byte-identical" cmp -s "$CAT/64k.bin" "$T/early-out/Cliente2-Prueba-2.txt"
ok "group: the server logs the test" wait_server_logs 1
tsv=$(server_log 1)
tsv=${tsv%.txt}.tsv
is "$(tsv_rows "$tsv")" 2 "group: two rows"
is "$(tsv_col "$tsv" ok | sort | tr '\n' ' ')" "no yes " "group: one yes, one no"
file_like "$tsv" $'\tno\tbefore ready: the client disconnected\t' "group: the no says it left before ready"

# --- In a group of 2, one leaves in the middle of the file.
raw_open
raw_send "GET big.bin"
raw_read offer
like "$offer" "^OK member=1 group=2 file=big\.bin size=$BIG " "mid-file: the raw connection is member 1 of 2"
raw_send READY
client_bg mid -c 1 -y -f big.bin -o "$T/mid-out" -L "$T/mid-logs"
raw_read data 30
like "$data" "^DATA $BIG start=" "mid-file: the start releases the raw connection too"
head -c 65536 <&"$RAW" >"$T/first-64k"
raw_close
is "$(size_of "$T/first-64k")" 65536 "mid-file: it read 64 KiB, then closed"
cmp -s "$T/first-64k" <(head -c 65536 "$CAT/big.bin")
is "$?" 0 "mid-file: those bytes were the start of the file"
client_wait mid
is "$CLIENT_RC" 0 "mid-file: the real client completes"
ok "mid-file: its file (member 2) is byte-identical" cmp -s "$CAT/big.bin" "$T/mid-out/Cliente2-Prueba-2.txt"
ok "mid-file: the server logs the test" wait_server_logs 2
tsv=$(server_log 2)
tsv=${tsv%.txt}.tsv
is "$(tsv_rows "$tsv")" 2 "mid-file: two rows"
is "$(tsv_col "$tsv" ok | sort | tr '\n' ' ')" "no yes " "mid-file: one yes, one no"
reason=$(awk -F'\t' 'NR > 1 && $16 == "no" { print $17 }' "$tsv")
like "$reason" "after [0-9]+ of $BIG bytes\$" "mid-file: the reason says how far it got ($reason)"
bytes=$(awk -F'\t' 'NR > 1 && $16 == "no" { print $13 }' "$tsv")
ok "mid-file: bytes logged for it are fewer than the file ($bytes)" test "${bytes:-0}" -lt "$BIG"
transfer_ok group-after 2 odd.bin
stop_server
done_testing
