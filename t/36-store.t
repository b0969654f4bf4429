#!/bin/bash
# 36-store.t: a copy reported verified is, on disk, exactly the verified
# bytes, whatever runs share the output folder, and nothing outside it is
# followed or overwritten.
# - Two runs at once into one folder, asking for different files, three
#   rounds: both exit 0, no copy is replaced (the second of a name gets
#   ClienteK-Prueba-N-2.txt, as logs get -log-2), and the file each run's
#   log names holds the file that run asked for.
# - A TCP run, then a UDP run of the same test size into the same folder:
#   the UDP copies do not replace the TCP ones.
# - Symbolic links planted where the copy is written aside (the old
#   .ClienteK-Prueba-N.txt.part) and at the final name: neither is
#   followed, the files they point to are untouched.
# - Without /proc (chroot, minimal container) copies are still published.
# - No free name for a copy: said before the start.
# - A server that answers BYE mismatch after a transfer: the copy is not
#   published (with --keep-failed it is kept as ClienteK-Prueba-N-failed.txt);
#   a copy whose hash differs likewise.
. "$(dirname "$0")/lib.sh"

# named_file LOG.tsv K: the file the client log's row K names, from its
# text twin's "file or reason" column is not in the TSV: use the summary.
copy_of() { sed -n "s/^ *$2 .* yes  *\\(.*\\)\$/\\1/p" "$1" | head -1; }

start_server -p 6
for round in 1 2 3; do
	client_bg a$round -c 1 -y -f 3m.bin -o "$T/shared" -L "$T/a$round-logs"
	client_bg b$round -c 1 -y -f odd.bin -o "$T/shared" -L "$T/b$round-logs"
	client_wait a$round
	rc_a=$CLIENT_RC
	client_wait b$round
	is "$rc_a $CLIENT_RC" "0 0" "round $round: two runs into one folder, different files: both exit 0"
	fa=$(copy_of "$T/a$round.out" 1)
	fb=$(copy_of "$T/b$round.out" 1)
	ok "round $round: run A's copy ($fa) is 3m.bin" cmp -s "$CAT/3m.bin" "$fa"
	ok "round $round: run B's copy ($fb) is odd.bin" cmp -s "$CAT/odd.bin" "$fb"
	# The log names the copy too: a folder's -2, -3 are told apart
	# without the terminal's summary.
	is "$(tsv_col "$(ls "$T/a$round-logs"/*-log*.tsv)" copy)" "$(basename "$fa")" \
	    "round $round: run A's log names its copy in the copy column"
	is "$(tsv_col "$(ls "$T/b$round-logs"/*-log*.tsv)" copy)" "$(basename "$fb")" \
	    "round $round: run B's log names its copy in the copy column"
	file_like "$(ls "$T/b$round-logs"/*.txt)" "^1 .* yes +$(basename "$fb")\$" \
	    "round $round: ...and in the text log's row"
	file_like "$(ls "$T/b$round-logs"/*.txt)" "^copies in +$T/shared\$" \
	    "round $round: ...which says the folder"
done
is "$(ls -A "$T/shared" | sort | tr '\n' ' ')" \
    "Cliente1-Prueba-1-2.txt Cliente1-Prueba-1-3.txt Cliente1-Prueba-1-4.txt Cliente1-Prueba-1-5.txt Cliente1-Prueba-1-6.txt Cliente1-Prueba-1.txt " \
    "six copies, none replaced, nothing else left (no aside file)"
stop_server

# TCP, then UDP, same test size, same folder.
start_server -p 3
client tcp -c 2 -y -f 64k.bin -o "$T/mixed" -L "$T/mixed-logs"
is "$CLIENT_RC" 0 "TCP run: exit 0"
stop_server
start_server -u -p 3
client udp -u -c 2 -y -f odd.bin -o "$T/mixed" -L "$T/mixed-logs"
is "$CLIENT_RC" 0 "UDP run into the same folder: exit 0"
ok "the TCP copies are still the TCP run's" eval 'cmp -s "$CAT/64k.bin" "$T/mixed/Cliente1-Prueba-2.txt" && cmp -s "$CAT/64k.bin" "$T/mixed/Cliente2-Prueba-2.txt"'
ok "the UDP copies are beside them" eval 'cmp -s "$CAT/odd.bin" "$T/mixed/Cliente1-Prueba-2-2.txt" && cmp -s "$CAT/odd.bin" "$T/mixed/Cliente2-Prueba-2-2.txt"'
stop_server

# Planted symlinks.
start_server -p 2
mkdir -p "$T/planted"
echo "precious" >"$T/outside-part"
echo "precious" >"$T/outside-final"
ln -s "$T/outside-part" "$T/planted/.Cliente1-Prueba-1.txt.part"
ln -s "$T/outside-final" "$T/planted/Cliente1-Prueba-1.txt"
client planted -c 1 -y -f odd.bin -o "$T/planted" -L "$T/planted-logs"
is "$CLIENT_RC" 0 "symlinks planted at the aside and final names: exit 0"
is "$(cat "$T/outside-part")" precious "...the file behind the aside name's link is untouched"
is "$(cat "$T/outside-final")" precious "...the file behind the final name's link is untouched"
ok "...the link at the final name is still a link" test -L "$T/planted/Cliente1-Prueba-1.txt"
ok "...and the copy went to a name of its own" cmp -s "$CAT/odd.bin" "$(copy_of "$T/planted.out" 1)"
stop_server

# No /proc (a chroot, a minimal container): an anonymous copy cannot be
# given a name through /proc/self/fd, so the copy is written under a
# hidden name instead, and still published. An empty tmpfs over /proc in
# a mount namespace of the client's own. Not for the sanitizer build: it
# needs /proc (its options come from /proc/self/environ, LeakSanitizer
# reads /proc/PID/task), and a mount over /proc/self/fd alone does not
# survive the exec.
if [ -n "$FT_SUFFIX" ]; then
	skip 7 "the sanitizers need /proc"
elif [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	cat >"$T/noproc-client" <<-EOF
	#!/bin/sh
	exec unshare -m sh -c 'mount -t tmpfs -o size=64k none /proc && exec "\$@"' \\
	    sh "$CLIENT_BIN" "\$@"
	EOF
	chmod +x "$T/noproc-client"
	start_server -p 2
	real_client=$CLIENT_BIN
	CLIENT_BIN=$T/noproc-client
	client noproc -c 2 -y -f odd.bin -o "$T/noproc-out" -L "$T/noproc-logs"
	CLIENT_BIN=$real_client
	is "$CLIENT_RC" 0 "no /proc: every copy verified and published, exit 0"
	check_received "$T/noproc-out" 2 odd.bin
	stop_server
else
	skip 7 "needs root and unshare -m to hide /proc"
fi

# Every name the copy could get (.txt, -2 to -999) is taken: the run is
# told before the transfer, not after it has thrown the copy away (or,
# with --keep-failed, published a correct copy as -failed).
start_server -p 2
mkdir -p "$T/full-names"
(cd "$T/full-names" && touch Cliente1-Prueba-1.txt Cliente1-Prueba-1-{2..999}.txt)
client names -c 1 -y --keep-failed -f odd.bin -o "$T/full-names" -L "$T/names-logs"
is "$CLIENT_RC" 1 "all 999 names taken: exit 1"
file_like "$T/names.out" 'no free name for Cliente1-Prueba-1 \(.txt and -2 to -999 all exist\) in .*full-names' "...saying so"
file_like "$T/names.out" 'failed before the start; cancelling the test' "...before the start"
is "$(tsv_col "$T"/names-logs/*-log*.tsv bytes)" 0 "...nothing was received"
is "$(ls -A "$T/full-names" | grep -vc '^Cliente1-Prueba-1\(-[0-9]*\)\?\.txt$')" 0 "...and no file was added"
LOGS_NEED_NOT_PAIR="cancelled before the start: the server logs no test" stop_server

# fake MODE: the hostile server (t/fake-server.pl).

fake bye-mismatch
client mism -c 1 -y -o "$T/mism-out" -L "$T/mism-logs"
is "$CLIENT_RC" 1 "the server answers BYE mismatch: exit 1"
file_like "$T/mism.out" 'the server reports: BYE mismatch' "...saying so"
is "$(ls -A "$T/mism-out" 2>/dev/null)" "" "...and no copy is published"
client keep -c 1 -y --keep-failed -o "$T/keep-out" -L "$T/keep-logs"
is "$(ls -A "$T/keep-out" 2>/dev/null)" "Cliente1-Prueba-1-failed.txt" "with --keep-failed: kept aside as Cliente1-Prueba-1-failed.txt"
is "$(tsv_col "$(ls "$T/keep-logs"/*-log*.tsv)" copy)" "Cliente1-Prueba-1-failed.txt" "...the log's copy column names it"
file_like "$(ls "$T/keep-logs"/*.txt)" "BYE mismatch; kept as Cliente1-Prueba-1-failed.txt\$" "...and the text log's reason says it was kept"
is "$(tsv_col "$(ls "$T/mism-logs"/*-log*.tsv)" copy)" "-" "...without --keep-failed the copy column says -"
unfake

fake corrupt
client corrupt -c 1 -y --keep-failed -o "$T/corrupt-out" -L "$T/corrupt-logs"
is "$CLIENT_RC" 1 "a copy whose hash differs: exit 1"
is "$(ls -A "$T/corrupt-out" 2>/dev/null)" "Cliente1-Prueba-1-failed.txt" "...kept aside for inspection with --keep-failed"
is "$(cat "$T/corrupt-out/Cliente1-Prueba-1-failed.txt")" y "...holding what arrived"
unfake
done_testing
