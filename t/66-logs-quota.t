#!/bin/bash
# 66-logs-quota.t: the logs folder has a quota (--logs-quota MB), so tests
# that do start but fail at once (a client that asks, says READY and hangs
# up, in a loop) cannot fill the disk with log pairs. Counted from what the
# folder holds at start plus what the server writes: past it, no test log
# is written, stderr says so (once, not per test), the stats dump counts
# the tests not logged, and transfers go on as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

# Under the quota: logs are written.
start_server -p 3 --logs-quota 1
transfer_ok under 2 odd.bin
ok "under the quota: the test is logged" wait_server_logs 1
stop_server

# A logs folder that already holds 1 MiB of test logs: at the quota.
mkdir -p "$T/full-logs"
head -c $((1 << 20)) /dev/zero >"$T/full-logs/2026-01-01-00-00-00-server-tcp-log.txt"
start_server -p 3 --logs-quota 1 -L "$T/full-logs"
SLOGS=$T/full-logs
# Ask, READY, hang up: tests that start and fail at once, 20 of them.
for ((i = 0; i < 20; i++)); do
	raw_open
	raw_send "GET 3m.bin group=1"
	raw_send READY
	raw_read offer 5
	raw_close
done
transfer_ok over 2 odd.bin
ok "over the quota: stderr says the logs are not written" \
    wait_event "the logs folder .* holds 1 MB of test logs, its quota \\(--logs-quota\\)"
is "$(grep -c 'its quota (--logs-quota)' "$SERVER_ERR")" 1 "...once, not for every test"
is "$(ls "$T/full-logs" | grep -c .)" 1 "...and no log pair was added to the folder"
is "$(count_lines 'test done:' "$SERVER_OUT")" 0 "...nor announced as written"
ok "the stats dump counts the 21 tests not logged" dump
like "$(echo "$DUMP" | grep '^logs:')" '^logs: 1 MB of test logs in .* \(quota 1 MB\), 21 tests not logged over it$' \
    "...on its logs line"
stop_server
done_testing
