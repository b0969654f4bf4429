#!/bin/bash
# 16-windows.t: ftclient.exe (make windows, issue 12) under Wine against
# the Linux ftserver over loopback: TCP and UDP (reliable and raw) with
# 3 connections, every copy byte for byte, both logs checked as for the
# Linux client and paired with the server's, the store's rules (a second
# run never replaces the first's copies: -2), the plain-line output
# (stdout is a file, not a console), exit codes 0, 1 (refused, unknown
# file) and 2 (misuse), --list and --version.
#
# Wine runs in a prefix of this run's own under $T (WINEDEBUG=-all, no
# display: console programs need none), and its wineserver is stopped
# with `wineserver -k` for that prefix on exit. Wine's UDP receive path
# is slow (~15 MB/s before loss): the files stay small; this proves
# correctness, not speed. Skipped without wine or a .exe and mingw, and
# in the sanitizer pass (the .exe is the same in both; the ASan server is
# every other test's).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

EXE=$ROOT/client/ftclient.exe
[ -n "$FT_SUFFIX" ] && skip_all "the same ftclient.exe as in the plain pass"
command -v wine >/dev/null && command -v wineserver >/dev/null ||
    skip_all "no wine (apt-get install wine wine64)"
if [ ! -x "$EXE" ] || [ "$EXE" -ot common/ft_sys_win.c ]; then
	command -v x86_64-w64-mingw32-gcc >/dev/null ||
	    skip_all "no client/ftclient.exe and no mingw-w64 to build it (make windows)"
	make -s client/ftclient.exe >"$T/build.out" 2>&1 ||
	    bail "make client/ftclient.exe failed: $(tail -n 5 "$T/build.out")"
fi

export WINEPREFIX=$T/wine WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml='
unset DISPLAY WAYLAND_DISPLAY
wine_down() {
	WINEPREFIX=$T/wine timeout 20 wineserver -k 2>/dev/null
	WINEPREFIX=$T/wine timeout 20 wineserver -w 2>/dev/null
}
trap 'rc=$?; wine_down; (exit $rc); cleanup' EXIT

# The client the helpers run (client, udp_test): the .exe under wine.
CLIENT_BIN=$T/ftclient-wine
printf '#!/bin/sh\nexec wine %q "$@"\n' "$EXE" >"$CLIENT_BIN"
chmod +x "$CLIENT_BIN"

# The prefix's first start (wineboot) takes seconds: once, bounded.
if ! timeout 120 "$CLIENT_BIN" --version >"$T/version.out" 2>"$T/wineboot.err"; then
	sed 's/^/    /' "$T/wineboot.err" | tail -n 5 >&2
	skip_all "wine cannot run ftclient.exe here"
fi
like "$(tr -d '\r' <"$T/version.out")" '^ftclient [0-9]+\.[0-9]+' \
    "ftclient.exe --version under wine"

# Windows ends lines with CR LF on stdout: compared without the CR.
unix_lines() { tr -d '\r' <"$1" >"$1.lf"; }
no_vt() { ! grep -q $'\033' "$1"; }

# ---------------------------------------------------------------- TCP

start_server -p 25
client tcp -c 3 -y -f odd.bin -o "$T/tcp-out" -L "$T/tcp-logs"
is "$CLIENT_RC" 0 "tcp: ftclient.exe -c 3 exits 0"
[ "$CLIENT_RC" = 0 ] || tail -n 20 "$T/tcp.out" | sed 's/^/    /' >&2
check_received "$T/tcp-out" 3 odd.bin
check_client_logs "$T/tcp-logs" 3 odd.bin
check_server_log 1 3 odd.bin
check_logs_agree "$CLIENT_TSV" "$SERVER_TSV"
unix_lines "$T/tcp.out"
file_like "$T/tcp.out.lf" '^3 of 3 transfers verified' "tcp: the summary says 3 of 3 verified"
is "$(grep -c '^client [123]: done, 1000003 bytes, sha256 ok$' "$T/tcp.out.lf")" 3 \
    "tcp: plain lines (stdout is no console): a done line per connection"
ok "tcp: plain lines: no VT sequence" no_vt "$T/tcp.out"
file_like "$T/tcp.out.lf" 'tcp-out\\Cliente1-Prueba-3\.txt$' \
    "tcp: the summary names the copy with a Windows separator"
file_like "$T/tcp.out.lf" '^log: .*tcp-logs\\[0-9-]+-client-tcp-log\.txt$' \
    "tcp: ...and the log"

# A second run into the same folder never replaces the first's copies.
sha_before=$(sha_of "$T/tcp-out/Cliente1-Prueba-3.txt")
client tcp2 -c 3 -y -f 3m.bin -o "$T/tcp-out" -L "$T/tcp-logs"
is "$CLIENT_RC" 0 "tcp again, same folder: exits 0"
is "$(sha_of "$T/tcp-out/Cliente1-Prueba-3.txt")" "$sha_before" \
    "tcp again: the first run's copy is untouched"
bad=
for k in 1 2 3; do
	cmp -s "$CAT/3m.bin" "$T/tcp-out/Cliente$k-Prueba-3-2.txt" || bad+=" $k"
done
is "$bad" "" "tcp again: the new copies are Cliente1..3-Prueba-3-2.txt, byte for byte"
is "$(cd "$T/tcp-out" && ls -A | grep -vcE '^Cliente[123]-Prueba-3(-2)?\.txt$')" 0 \
    "tcp again: nothing else in the folder (no hidden aside file left)"

# 25 connections, as the Linux client must do.
client c25 -c 25 -y -f 64k.bin -o "$T/c25-out" -L "$T/c25-logs"
is "$CLIENT_RC" 0 "25 connections: exit 0"
check_received "$T/c25-out" 25 64k.bin
# Samples on Windows (a hidden aside file renamed beside the log): each
# connection's intervals tile its transfer (t/samples-check.py).
if command -v python3 >/dev/null; then
	samples=$(ls "$T"/c25-logs/*-samples.tsv 2>/dev/null | head -1)
	out=$(python3 "$ROOT/t/samples-check.py" tsv "$(ls "$T"/c25-logs/*-log.tsv | head -1)" \
	    "${samples:-none}" 65536 25 2>&1 | grep -v 'several intervals')
	is "$(grep -vc '^PASS' <<<"$out")" 0 "25 connections: the samples TSV beside the log tiles each transfer"
	[[ $out == *FAIL* || -z $samples ]] && sed 's/^/    /' <<<"$out" >&2
else
	skip 1 "no python3 for the samples check"
fi

# Exit codes: an unknown file (1), a misuse (2), --list.
client unknown -c 2 -y -f nosuch.bin -o "$T/unknown-out" -L "$T/unknown-logs"
is "$CLIENT_RC" 1 "unknown file: exits 1"
file_like "$T/unknown.out" 'failed: server: .*nosuch' "unknown file: the server's reason is shown"
client misuse -c 0 -y
is "$CLIENT_RC" 2 "-c 0: exits 2 (misuse)"
client list --list
is "$CLIENT_RC" 0 "--list: exits 0"
# A --json FILE that cannot be created ends the run before it connects:
# the samples file, created aside under a hidden name on Windows, goes too.
client nojson -c 1 -y -o "$T/nojson-out" -L "$T/nojson-logs" --json "$T/no-such-dir/x.json"
is "$CLIENT_RC" 1 "--json FILE in a missing folder: exits 1"
is "$(ls -A "$T/nojson-logs" 2>/dev/null | grep -c '\.part$')" 0 "...and leaves no samples aside file in the logs folder"
file_like "$T/list.out" 'odd\.bin' "--list: names the catalogue's files"

# Without --yes: the go is Enter on stdin, a pipe here.
(printf '\n' | run_client -c 2 -f 64k.bin -o "$T/enter-out" -L "$T/enter-logs") \
    >"$T/enter.out" 2>&1
is "$?" 0 "no --yes: Enter on stdin (a pipe) starts the test"
check_received "$T/enter-out" 2 64k.bin

# Ctrl-C at the prompt (SIGINT, which wine makes a console Ctrl-C event):
# nothing starts, exit 130, the log says why.
mkfifo "$T/stdin"
exec {HOLD}<>"$T/stdin"
(exec <&"$HOLD"; run_client -c 2 -f odd.bin -o "$T/int-out" -L "$T/int-logs") \
    >"$T/int.out" 2>&1 &
int_pid=$!
ok "Ctrl-C: the client asks for the go" wait_for 60 grep -q 'Press Enter' "$T/int.out"
# To the .exe itself (timeout's child): timeout would relay a second one
# to its whole group, and a second Ctrl-C ends a run at once.
exe_pid=$(pgrep -P "$int_pid" | head -1)
kill -INT "${exe_pid:-$int_pid}"
wait "$int_pid"
is "$?" 130 "Ctrl-C at the prompt: exits 130 (128 + SIGINT)"
exec {HOLD}>&-
file_like "$T/int.out" 'interrupted after 0 bytes' "Ctrl-C: each connection says it was interrupted"
is "$(ls -A "$T/int-out" 2>/dev/null)" "" "Ctrl-C: no copy, no aside file left"
is "$(ls -A "$T/int-logs" 2>/dev/null | grep -c '\.part$')" 0 "Ctrl-C: no samples aside file left in the logs folder"
file_like "$(ls "$T"/int-logs/*-log*.tsv | head -1)" 'interrupted' "Ctrl-C: the client log says why"
stop_server

# Nothing listens on the port any more: refused, exit 1, said as on Linux.
client refused -c 2 -y -f odd.bin -o "$T/refused-out" -L "$T/refused-logs"
is "$CLIENT_RC" 1 "connection refused: exits 1"
file_like "$T/refused.out" 'cannot connect to 127\.0\.0\.1 port [0-9]+: Connection refused' \
    "connection refused: the reason, in the Linux client's words"
file_like "$(ls "$T"/refused-logs/*-log*.tsv | head -1)" 'Connection refused' \
    "connection refused: the client log says why"

# ---------------------------------------------------------------- UDP

start_udp_server -p 4 -m reliable -s 1200
udp_test udp-rel 3 odd.bin reliable 1 1200
unix_lines "$T/udp-rel.out"
is "$(grep -c '^client [123]: done, 1000003 bytes, sha256 ok$' "$T/udp-rel.out.lf")" 3 \
    "udp reliable: plain lines: a done line per connection"
stop_server

start_udp_server -p 4 -m raw
udp_test udp-raw 3 odd.bin raw 1
# Without kernel receive stamps a burst queued before the first read
# must not shrink the time to nothing (it printed 111111 MB/s for 1 MB):
# the first datagram counts from when the socket became readable.
rates=$(tsv_col "$(ls "$T"/udp-raw-logs/*-log*.tsv | head -1)" mb_per_s | tr '\n' ' ')
ok "udp raw: every rate is plausible, under 20000 MB/s ($rates)" \
    awk -v r="$rates" 'BEGIN { n = split(r, a, " "); for (i = 1; i <= n; i++) if (a[i] + 0 >= 20000 || a[i] + 0 <= 0) exit 1; exit n == 0 }'
stop_server

# The summary table of each run, for the record (TAP comments).
for run in tcp udp-rel udp-raw; do
	{ echo "$run:"; tr -d '\r' <"$T/$run.out" | sed -n '/local address/,/^log:/p'; } |
	    sed 's/^/# /' >&2
done
done_testing
