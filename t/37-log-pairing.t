#!/bin/bash
# 37-log-pairing.t: the logs of one test pair and never lie. Both TSVs
# carry the client run's id and the server's test number; the client's
# test start is the server's (same test_start, same name stamp); every
# client row finds its server row (ports, data and control, agree). With
# -n gathering two runs (3 + 2 connections), each client log says the test
# had 5 connections and how many were its run's, its aggregate is over the
# transfers' span (over TCP, not below its slowest connection's rate), and
# server times are at least client times (stop_server's pairing check).
. "$(dirname "$0")/lib.sh"

# one_value FILE COLUMN: the column's values, deduplicated.
one_value() { tsv_col "$1" "$2" | sort -u | tr '\n' ' '; }

# Big enough that a run's connections overlap (tens of ms each): a few ms
# of scheduling between their starts then cannot put the aggregate below
# the slowest connection, as it can with 1 MB transfers of 2 ms.
head -c $((32 << 20)) /dev/urandom >"$CAT/big.bin"

for proto in tcp udp; do
	flag=()
	[ "$proto" = udp ] && flag=(-u)
	start_server "${flag[@]}" -p 6 -n 5
	client_bg a$proto "${flag[@]}" -c 3 -y -f big.bin -o "$T/a$proto-out" -L "$T/a$proto-logs"
	client_bg b$proto "${flag[@]}" -c 2 -y -f big.bin -o "$T/b$proto-out" -L "$T/b$proto-logs"
	client_wait a$proto
	rc=$CLIENT_RC
	client_wait b$proto
	is "$rc $CLIENT_RC" "0 0" "$proto: two runs gathered by -n 5: both exit 0"
	wait_server_logs 1
	stsv=$(server_log 1)
	stsv=${stsv%.txt}.tsv
	for r in a b; do
		ctsv=$(ls "$T/$r$proto-logs"/*-log*.tsv)
		n=$([ $r = a ] && echo 3 || echo 2)
		is "$(one_value "$ctsv" test_start)" "$(one_value "$stsv" test_start)" \
		    "$proto run $r: its test_start is the server's"
		is "$(basename "${ctsv%%-client-*}")" "$(basename "${stsv%%-server-*}")" \
		    "$proto run $r: so its log's name has the server log's stamp"
		is "$(one_value "$ctsv" test)" "$(one_value "$stsv" test)" \
		    "$proto run $r: the server's test number"
		like "$(one_value "$ctsv" run)" '^[0-9a-f]{16} $' "$proto run $r: its run id"
		ok "$proto run $r: ...which the server's log has for $n rows" \
		    test "$(tsv_col "$stsv" run | grep -cx "$(one_value "$ctsv" run | tr -d ' ')")" = "$n"
		is "$(one_value "$ctsv" clients)/$(one_value "$ctsv" run_clients)" "5 /$n " \
		    "$proto run $r: clients is the test's 5, run_clients its $n"
		file_like "${ctsv%.tsv}.txt" "^connections +5 in the test, $n of them this run's\$" \
		    "$proto run $r: the text log says so"
		# Over TCP the connections send at once: the aggregate (bytes
		# over the transfers' span, not over the wait for the other
		# run) cannot be below the slowest. Over UDP one worker's
		# datagrams may follow another's: no such bound.
		[ "$proto" = udp ] && continue
		agg=$(grep -o '([0-9.]* MB/s aggregate)' "$T/$r$proto.out" | tr -dc '0-9.')
		min=$(tsv_col "$ctsv" mb_per_s | sort -n | head -1)
		ok "$proto run $r: its aggregate ($agg MB/s) is not below its slowest connection ($min)" \
		    awk -v a="$agg" -v m="$min" 'BEGIN { exit !(a + 0.05 >= m) }'
	done
	# The server's log holds every run's rows: no run is "this run".
	file_like "$(server_log 1)" "^connections +5\$" \
	    "$proto: the server's text log says the test's 5 connections, no run's share"
	stop_server
done
done_testing
