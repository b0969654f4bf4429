#!/bin/bash
# 11-consecutive.t: two tests in a row on the same server, each with its
# own file, logging into the same folders. Both get complete logs under
# distinct names (a test that starts in the same second as the previous
# one gets -2, never overwriting it), and each log names its own file.
. "$(dirname "$0")/lib.sh"

start_server -p 6
client first -c 3 -y -f odd.bin -o "$T/first-out" -L "$T/clogs"
is "$CLIENT_RC" 0 "first test (odd.bin, 3 connections) exits 0"
client second -c 2 -y -f 64k.bin -o "$T/second-out" -L "$T/clogs"
is "$CLIENT_RC" 0 "second test (64k.bin, 2 connections) exits 0"
check_received "$T/first-out" 3 odd.bin
check_received "$T/second-out" 2 64k.bin

# The client logs: two pairs in one folder, distinct, one per file.
pairs=$(log_pairs "$T/clogs" client)
is "$(echo "$pairs" | grep -c .)" 2 "client: two log pairs, one per test"
is "$(echo "$pairs" | sort -u | grep -vc unpaired)" 2 "client: both complete, with distinct names"
check_names_well_formed "$T/clogs" client
first_log=$(sed -n 's/^log: //p' "$T/first.out")
second_log=$(sed -n 's/^log: //p' "$T/second.out")
ok "client: each run printed its own log path" test -n "$first_log" -a \
    "$first_log" != "$second_log"
check_tsv "${first_log%.txt}.tsv" client 3 odd.bin
check_tsv "${second_log%.txt}.tsv" client 2 64k.bin

# The server logs: test 1 then test 2, each about its own file.
check_server_log 1 3 odd.bin
first_server=$SERVER_TSV
check_server_log 2 2 64k.bin
ok "server: the two logs have distinct names" test "$first_server" != "$SERVER_TSV"
is "$(log_pairs "$SLOGS" server | grep -vc unpaired)" 2 "server: two complete log pairs"
check_names_well_formed "$SLOGS" server

# A third run straight after still gets its own name.
client third -c 1 -y -f one.bin -o "$T/third-out" -L "$T/clogs"
is "$CLIENT_RC" 0 "a third test right after exits 0"
is "$(log_pairs "$T/clogs" client | grep -vc unpaired)" 3 "client: three complete log pairs"
ok "server: third log written" wait_server_logs 3
is "$(log_pairs "$SLOGS" server | grep -vc unpaired)" 3 "server: three complete log pairs"
stop_server
done_testing
