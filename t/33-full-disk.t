#!/bin/bash
# 33-full-disk.t: the client's disk is full (simulated with ulimit -f,
# so space reservation and writes fail with EFBIG). The client exits 1
# with the reason on its output and in its log; nothing appears under a
# final name and no .part is left; the server logs the failure and keeps
# serving.
. "$(dirname "$0")/lib.sh"

start_server -p 4

# A 50 KiB limit (ulimit -f counts 1 KiB blocks in bash): room for logs,
# not for odd.bin (about 1 MB).
(ulimit -f 50 && client full -c 2 -y -f odd.bin -o "$T/full-out" -L "$T/full-logs" &&
    exit "$CLIENT_RC")
rc=$?
is "$rc" 1 "a full disk: exit 1"
file_like "$T/full.out" "File too large" "...with the reason (EFBIG) on the output"
is "$(ls -A "$T/full-out" 2>/dev/null)" "" "...no file under a final name, no .part left"
pairs=$(log_pairs "$T/full-logs" client)
ok "...a client log is written" test -n "$pairs" -a -f "$T/full-logs/$pairs.tsv"
is "$(tsv_col "$T/full-logs/$pairs.tsv" ok | sort -u)" no "...saying every connection failed"
file_like "$T/full-logs/$pairs.tsv" $'\tno\t[^\t]*File too large' "...and why"
ok "the server's event log says the test never started (cancelled)" \
    wait_event 'test [0-9]+ never started: .*\(odd\.bin, [12] of 2 connections; the last one: the client cancelled before the start\)'
is "$(count_lines 'test done:' "$SERVER_OUT")" 0 "...and it wrote no log pair for it"
transfer_ok after-full 2 odd.bin
stop_server
done_testing
