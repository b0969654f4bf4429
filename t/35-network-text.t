#!/bin/bash
# 35-network-text.t: text from the network never reaches a terminal or a
# log raw. A hostile server puts terminal escape sequences (OSC title,
# clear screen, colours, BEL, CR, DEL) in an ERR line, in LIST names and in
# its BYE line; ftclient shows them escaped (\x1b...) on its output and in
# both logs, and no control byte gets through. A backslash is shown as \\,
# so text that looks like an escape ("\x1b" sent as such) is told apart.
# The server's own event log gets the same treatment for what a client
# sends.
. "$(dirname "$0")/lib.sh"

# has_raw_control FILE: a byte that a terminal would act on (ESC, BEL, CR,
# DEL, any C0 control but tab and newline).
has_raw_control() { LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$1"; }


fake err-escape
client err -c 1 -y -o "$T/err-out" -L "$T/err-logs"
is "$CLIENT_RC" 1 "an ERR with escapes: exit 1"
ok "...its output holds no raw control byte" eval '! has_raw_control "$T/err.out"'
file_like "$T/err.out" 'server: \\x1b\]0;PWNED\\x07\\x1b\[2J\\x1b\[31mred\\x0d\\x7f' "...but shows them escaped"
for f in "$T"/err-logs/*; do
	ok "...$(basename "$f"): no raw control byte" eval '! has_raw_control "$f"'
done
file_like "$(ls "$T"/err-logs/*-log*.tsv)" '\\x1b\]0;PWNED' "...the TSV has the reason escaped"
file_like "$T/err.out" 'server: .*\\x7f forged:\\\\x1b\[2J' "...a backslash too: forged text cannot pass for an escape"
file_like "$(ls "$T"/err-logs/*-log*.tsv)" 'forged:\\\\x1b\[2J' "...in the TSV as well"
unfake

fake list-escape
client list --list
is "$CLIENT_RC" 0 "LIST with escapes in names: exit 0"
ok "...no raw control byte on the output" eval '! has_raw_control "$T/list.out"'
file_like "$T/list.out" '^a\\x1b\]0;PWNED\\x07' "...the name shown escaped"
file_like "$T/list.out" '^ok\.bin 3$' "...the clean one as it is"
unfake

fake bye-escape
client bye -c 1 -y -o "$T/bye-out" -L "$T/bye-logs"
ok "a BYE with escapes: no raw control byte on the output" eval '! has_raw_control "$T/bye.out"'
for f in "$T"/bye-logs/*; do
	ok "...$(basename "$f"): no raw control byte" eval '! has_raw_control "$f"'
done
unfake

# The server side: a client's garbage never reaches the event log raw.
start_server -p 2
raw_open
raw_send $'\e]0;PWNED\a\e[2J GET x'
raw_read reply
raw_close
raw_open
raw_send $'GET -\e[2J'
raw_read reply
raw_close
ok "server: its event log holds no raw control byte" eval '! has_raw_control "$SERVER_ERR"'
stop_server
done_testing
