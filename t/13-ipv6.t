#!/bin/bash
# 13-ipv6.t: the same test over IPv6 loopback (server -b ::1, client
# -H ::1): files byte for byte, and both logs with the IPv6 address (the
# text log writes it in brackets, [::1]:port).
. "$(dirname "$0")/lib.sh"

if ! grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
	echo "1..0 # SKIP no IPv6 loopback (::1) on this machine"
	exit 0
fi
HOST=::1
start_server -p 3
client v6 -c 3 -y -f odd.bin -o "$T/v6-out" -L "$T/v6-logs"
is "$CLIENT_RC" 0 "ftclient -H ::1 -c 3 exits 0"
check_received "$T/v6-out" 3 odd.bin
check_client_logs "$T/v6-logs" 3 odd.bin
check_server_log 1 3 odd.bin
check_logs_agree "$CLIENT_TSV" "$SERVER_TSV"
file_like "$SERVER_TSV" $'\t::1\t' "the server's tsv has the bare address ::1"
file_like "$(server_log 1)" '\[::1\]:[0-9]+ ' "the server's text log has [::1]:port"
stop_server
done_testing
