#!/bin/bash
# 23-ready-timeout.t: a client that joins but never says READY (server
# -t 2). Alone, it gets ERR 408; the test never started, and the event
# log says so (no log pair). In a group (-n 2), its partner, which did
# confirm, is released at the test's deadline and completes; the log has
# the silent one as failed with "never confirmed ready".
. "$(dirname "$0")/lib.sh"

start_server -p 3 -t 2
raw_open
raw_send "GET one.bin"
raw_read offer
like "$offer" '^OK member=1 group=1 file=one\.bin ' "GET one.bin is offered"
# Say nothing; the server must give up after 2 s (we wait up to 15).
raw_read reply 15
is "$reply" "ERR 408 no READY within 2 s" "no READY: ERR 408 after the timeout"
raw_close
ok "the event log says the test never started: nobody confirmed ready" \
    wait_event 'test [0-9]+ never started: no connection confirmed ready within 2 s \(one\.bin, 1 of 1 connections; the last one: the client never confirmed ready \(the test.s 2 s\)\)'
is "$(server_logs_count)" 0 "no test log for it"
transfer_ok after-timeout 1 64k.bin
stop_server

start_server -p 3 -t 2 -n 2
raw_open
raw_send "GET 64k.bin"
raw_read offer
like "$offer" '^OK member=1 group=2 file=64k\.bin ' "group: the silent connection is member 1 of 2"
# Its partner joins a second later, so its own wait for the start ends
# well after the silent one's READY deadline.
sleep 1
client_bg partner -c 1 -y -f 64k.bin -o "$T/partner-out" -L "$T/partner-logs"
raw_read reply 15
is "$reply" "ERR 408 no READY within 2 s" "group: the silent one gets ERR 408"
client_wait partner
is "$CLIENT_RC" 0 "group: the partner that confirmed completes"
ok "group: its file (member 2) is byte-identical" cmp -s "$CAT/64k.bin" "$T/partner-out/Cliente2-Prueba-2.txt"
raw_close
ok "group: the server logs the test" wait_server_logs 1
tsv=$(server_log 1)
tsv=${tsv%.txt}.tsv
is "$(tsv_col "$tsv" ok | sort | tr '\n' ' ')" "no yes " "group: one yes, one no"
file_like "$tsv" $'\tno\tthe client never confirmed ready' "group: the no says it never confirmed ready"
stop_server
done_testing
