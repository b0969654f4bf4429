#!/bin/bash
# 52-sigusr1.t: SIGUSR1 sent 50 times during a transfer: each one gives a
# stats dump (a row per slot and the totals), the dumps show the
# transfers progressing, and no byte of the files changes (ftclient
# verifies, cmp agrees). The workers ignore a USR1 sent to them.
#
# To keep the transfer in flight for all 50, the client runs in pulses:
# it is continued just before each signal and stopped again right after,
# while the test waits for that dump.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

BIG=$((200 << 20))
ok "a 200 MiB file" big_file "$CAT/big.bin" "$BIG"
ROUNDS=50

start_server -p 4
pids=$(workers)
client_bg usr1 -c 3 -y -f big.bin -o "$T/usr1-out" -L "$T/usr1-logs"
ok "the transfer starts" wait_titled 60 "^$PROG: worker [0-9]+ sending big\\.bin to "
cpid=$(client_pid usr1)
kill -STOP "$cpid"
missed=0 during=0 bad_rows=0 partial=0
for ((i = 1; i <= ROUNDS; i++)); do
	kill -CONT "$cpid"
	kill -USR1 "$SERVER_PID"
	for w in $pids; do kill -USR1 "$w"; done
	kill -STOP "$cpid"
	if ! wait_for 10 dumped "$i"; then
		missed=$((missed + 1))
		continue
	fi
	DUMP=$(awk -v n="$i" '/^slot +pid +state/ { k++ } k == n' "$SERVER_OUT" | sed '/^totals:/q')
	[ "$(dump_rows | wc -l)" = 4 ] || bad_rows=$((bad_rows + 1))
	dump_rows | grep -q ' sending$' && during=$((during + 1))
	echo "$DUMP" | awk -v size="$BIG" '$1 ~ /^[0-9]+$/ && $3 == "sending" && $6 > 0 && $6 < size { f = 1 }
	    END { exit !f }' && partial=$((partial + 1))
done
kill -CONT "$cpid"
is "$missed" 0 "USR1 x $ROUNDS: every signal gave a dump"
is "$(count_lines '^totals:' "$SERVER_OUT")" "$ROUNDS" "USR1 x $ROUNDS: exactly $ROUNDS dumps (one per signal)"
is "$(count_lines '^slot  *pid  *state' "$SERVER_OUT")" "$ROUNDS" "USR1 x $ROUNDS: each with its header"
is "$bad_rows" 0 "USR1 x $ROUNDS: each with a row per slot (4)"
ok "USR1: $during of the dumps show transfers sending" test "$during" -ge $((ROUNDS / 2))
ok "USR1: $partial of them show a transfer part way (0 < bytes < size)" test "$partial" -ge 1
client_wait usr1
is "$CLIENT_RC" 0 "ftclient exits 0: every file verified by SHA-256"
check_received "$T/usr1-out" 3 big.bin
is "$(workers)" "$pids" "the workers (sent USR1 too) are the same processes"
ok "the server logs the test" wait_server_logs 1
tsv=$(server_log 1)
is "$(tsv_col "${tsv%.txt}.tsv" ok | tr '\n' ' ')" "yes yes yes " "the server's log: three yes"
dump
like "$(echo "$DUMP" | tail -1)" "^totals: 1 tests, 3 connections, 3 transfers ok, 0 failed, $((3 * BIG)) bytes sent\$" \
    "a last dump: the totals count the test, every byte once"
stop_server
done_testing
