#!/bin/bash
# 26-pipelined-list.t: pipelined LIST never read (issue 8). A connection
# sends 5000 LIST lines in one write and never reads the replies. The
# handshake phase, buffered lines and every LIST reply included, must fit
# in --idle-timeout (2 s here): the server closes the connection and its
# worker is idle again within idle-timeout + 2 s, although --io-timeout is
# 30 s (each blocked send must not wait for it). A normal test of every
# worker works afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

# 100 more files with long names: a LIST reply of about 8 KB, 40 MB for
# the 5000 of them, far more than any socket buffer holds.
for ((i = 1; i <= 100; i++)); do
	printf 'x' >"$CAT/$(printf 'pad-a-long-file-name-so-that-a-listing-of-the-catalogue-is-large-%03d.bin' "$i")"
done

start_server -p 2 --idle-timeout 2 --io-timeout 30
t0=$(now_ms)
raw_open
like "$GREETING" '^FT/1 ftserver ' "a connection is greeted"
lport=$(raw_local_port)
ok "a worker holds it (its title names 127.0.0.1:$lport)" wait_titled 3 "^$PROG: worker [0-9]+ .* 127\\.0\\.0\\.1:$lport\$"
held=$VICTIM
k=$(title "$held" | awk '{ print $3 }')
timeout 5 perl -e 'syswrite(STDOUT, "LIST\n" x 5000)' >&"$RAW"
is "$?" 0 "5000 LIST lines sent in one write (25000 bytes)"

# Never read; wait (at most 8 s from the connection) for the worker to be
# idle again.
idle_at=
while [ $(($(now_ms) - t0)) -le 8000 ]; do
	if [ "$(title "$held")" = "$PROG: worker $k idle" ]; then idle_at=$(($(now_ms) - t0)); break; fi
	sleep 0.05
done
if [ -n "$idle_at" ]; then
	diag "worker $k (pid $held): idle again $idle_at ms after the connection"
else
	diag "worker $k (pid $held): still '$(title "$held")' 8 s after the connection"
fi
ok "the worker is idle again within idle-timeout + 2 s (${idle_at:-more than 8000} ms <= 4000)" \
    test -n "$idle_at" -a "${idle_at:-99999}" -le 4000
drained() { timeout 3 cat <&"$RAW" >/dev/null; }
ok "the server closed the connection (EOF after what it buffered, within 3 s)" drained
raw_close
ok "every worker is idle" wait_for 5 eval '[ "$(count_titled " idle$")" = 2 ]'
transfer_ok after-lists 2 odd.bin
ok "the server did not lose a worker" test "$(nworkers)" = 2
stop_server
done_testing
