#!/bin/bash
# 3b-offers.t: the client does not take a server's offers on trust. A
# server that offers another file than the one asked for (-f), offers one
# run's connections different files, gives two connections the same
# member number, or dates the test 30 days ahead: the first three cancel
# the test before the start, saying why, with no copy kept; the last one
# transfers, but the log is dated by this machine's clock and the output
# says how far the server's is off.
. "$(dirname "$0")/lib.sh"

copies() { find "$1" -type f 2>/dev/null | wc -l; }

fake good
client asked -c 1 -y -f wanted.bin -o "$T/asked-out" -L "$T/asked-logs"
is "$CLIENT_RC" 1 "a server offering x.bin for -f wanted.bin: exit 1"
file_like "$T/asked.out" "the server offered x.bin, not wanted.bin" "...saying so"
is "$(copies "$T/asked-out")" 0 "...no copy kept"
client plain -c 1 -y -o "$T/plain-out" -L "$T/plain-logs"
is "$CLIENT_RC" 0 "the same server without -f: the transfer is ok"
unfake

fake mixed
client mixed -c 2 -y -o "$T/mixed-out" -L "$T/mixed-logs"
is "$CLIENT_RC" 1 "two connections of one run offered different files: exit 1"
file_like "$T/mixed.out" "not one test: offered [wx]\\.bin .*, connection 1 [wx]\\.bin" "...saying which"
file_like "$T/mixed.out" "cancelling the test" "...the test is cancelled before the start"
is "$(copies "$T/mixed-out")" 0 "...no copy kept"
unfake

fake dup-member
client dup -c 2 -y -o "$T/dup-out" -L "$T/dup-logs"
is "$CLIENT_RC" 1 "two connections offered member 1 of 2: exit 1"
file_like "$T/dup.out" "member 1 of 2 .* connection 1 has it" "...saying so"
is "$(copies "$T/dup-out")" 0 "...no copy kept"
unfake

fake skewed-start
client skew -c 1 -y -o "$T/skew-out" -L "$T/skew-logs"
is "$CLIENT_RC" 0 "a server whose clock is 30 days ahead: the transfer is ok"
today=$(date -u +%Y-%m-%d)
ok "...the log is dated by this machine's clock ($today)" \
    eval 'ls "$T/skew-logs" | grep -q "^$today-"'
file_like "$T/skew.out" "the server's clock is 2592[0-9]{3} s ahead" "...and the output says how far off the server's is"
unfake

done_testing
