#!/bin/bash
# 66-logs-quota.t: the logs folder has a quota (--logs-quota MB), so tests
# that do start but fail at once (a client that asks, says READY and hangs
# up, in a loop) cannot fill the disk with log pairs. Counted from what the
# folder holds at start plus what the server writes: past it, no test log
# is written, stderr says so (once, not per test), the stats dump counts
# the tests not logged, and transfers go on as before. Old logs removed,
# SIGHUP (or 10 s) makes the server measure again. A logs folder that
# cannot be written is likewise said once a minute at most.
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
like "$(echo "$DUMP" | grep '^logs:')" '^logs: 1 MB of test logs in .* \(quota 1 MB\), 21 tests not logged \(over it, or a failed write\)$' \
    "...on its logs line"
# Removing old logs, as the warning says, and SIGHUP: logged again.
rm -f "$T/full-logs/2026-01-01-00-00-00-server-tcp-log.txt"
kill -HUP "$SERVER_PID"
wait_event 'SIGHUP: catalogue rescanned'
transfer_ok after-cleanup 2 odd.bin
ok "old logs removed and SIGHUP: the next test is logged" wait_server_logs 1
stop_server

# Logs that cannot be written (the folder removed under the server, as a
# full disk would): said once a minute at most, not once per test.
start_server -p 3
rm -rf "$SLOGS"
for ((i = 0; i < 10; i++)); do
	raw_open
	raw_send "GET 64k.bin group=1"
	raw_send READY
	raw_read offer 5
	raw_close
done
transfer_ok unwritable 2 odd.bin
ok "an unwritable logs folder: stderr says so" wait_event 'cannot write the log of a test of'
is "$(grep -c 'cannot write the log' "$SERVER_ERR")" 1 "...once for 11 tests"
LOGS_NEED_NOT_PAIR="the server could write no log to pair with" stop_server
done_testing
