#!/bin/bash
# 12-group-size.t: the server's -n N mode. Separate ftclient processes
# of one connection each form one test of N: they start together, and the
# server writes one log with N rows. Two processes sharing an output
# folder (the default ArchivosRecibidos when run side by side) must not
# collide: the files are ClienteK-Prueba-N.txt for K = 1..N of the test.
. "$(dirname "$0")/lib.sh"

start_server -p 4 -n 2

# Two processes, their own folders: the grouping itself.
client_bg a -c 1 -y -f odd.bin -o "$T/a-out" -L "$T/a-logs"
client_bg b -c 1 -y -f odd.bin -o "$T/b-out" -L "$T/b-logs"
client_wait a
is "$CLIENT_RC" 0 "first ftclient -c 1 exits 0"
client_wait b
is "$CLIENT_RC" 0 "second ftclient -c 1 exits 0"
for p in a b; do
	ok "$p: its file is byte-identical to odd.bin" \
	    cmp -s "$CAT/odd.bin" "$(ls "$T/$p-out"/Cliente*-Prueba-2.txt 2>/dev/null | head -1)"
done
check_server_log 1 2 odd.bin
is "$(log_pairs "$SLOGS" server | grep -vc unpaired)" 1 "one server log for the two processes"
file_like "$SERVER_OUT" "test done: odd\.bin to 2 connections, 2 ok" \
    "the server reports one test of 2 connections"

# The same, sharing one output folder.
client_bg c -c 1 -y -f 64k.bin -o "$T/shared-out" -L "$T/c-logs"
client_bg d -c 1 -y -f 64k.bin -o "$T/shared-out" -L "$T/d-logs"
client_wait c
rc_c=$CLIENT_RC
client_wait d
is "$rc_c $CLIENT_RC" "0 0" "two processes sharing an output folder both exit 0"
[ "$rc_c $CLIENT_RC" = "0 0" ] || grep -h 'failed' "$T/c.out" "$T/d.out" | sed 's/^/    /' >&2
check_received "$T/shared-out" 2 64k.bin
check_server_log 2 2 64k.bin

# One test, one file: runs asking for another file while a test is
# gathering get a test of their own (never the gathering one's file).
raw_open
raw_send "GET 64k.bin"
raw_read offer
like "$offer" '^OK member=1 group=2 file=64k\.bin ' "a test of 64k.bin is gathering"
client_bg other -c 1 -y -f odd.bin -o "$T/other-out" -L "$T/other-logs"
client other2 -c 1 -y -f odd.bin -o "$T/other2-out" -L "$T/other2-logs"
is "$CLIENT_RC" 0 "two runs asking for odd.bin meanwhile: a test of their own (exit 0)"
client_wait other
is "$CLIENT_RC" 0 "...both"
ok "...with odd.bin" cmp -s "$CAT/odd.bin" "$(ls "$T/other-out"/Cliente*-Prueba-2.txt | head -1)"
raw_close
transfer_ok after-conflict 2 odd.bin
stop_server

# Without -n each run is its own group (by its run id): two runs of 2 in
# parallel, different files, never mix.
start_server -p 4
client_bg run1 -c 2 -y -f odd.bin -o "$T/run1-out" -L "$T/run1-logs"
client_bg run2 -c 2 -y -f 3m.bin -o "$T/run2-out" -L "$T/run2-logs"
client_wait run1
is "$CLIENT_RC" 0 "parallel runs: the first exits 0"
client_wait run2
is "$CLIENT_RC" 0 "parallel runs: the second exits 0"
check_received "$T/run1-out" 2 odd.bin
check_received "$T/run2-out" 2 3m.bin
ok "parallel runs: two server logs" wait_server_logs 2
for k in 1 2; do
	tsv=$(server_log "$k")
	tsv=${tsv%.txt}.tsv
	is "$(tsv_rows "$tsv") $(tsv_col "$tsv" file | sort -u | wc -l)" "2 1" \
	    "parallel runs: log $k has 2 rows, all for one file"
done
stop_server
done_testing
