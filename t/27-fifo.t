#!/bin/bash
# 27-fifo.t: a FIFO in the files folder (issue 8). A catalogue file is
# replaced by a FIFO of the same name (rm + mkfifo) while the server runs,
# without a rescan. A GET of that name is answered at once with
# "ERR 404 cannot open NAME: not a regular file" (opening a FIFO for
# reading would wait for a writer forever); twice in a row; also for a
# file whose hash the server had already computed (offered before). No
# worker hangs: another file is served, and every worker is idle after.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"

# fifo_get NAME TAG: a raw GET of NAME; the answer (or "(nothing)" after
# 2 s) in ANSWER, the time it took in TOOK.
fifo_get() {
	local t0
	raw_open || { ANSWER="(no connection)"; return 1; }
	t0=$(now_ms)
	raw_send "GET $1"
	raw_read ANSWER 2 || ANSWER="(nothing within 2 s)"
	TOOK=$(($(now_ms) - t0))
	raw_close
	diag "$2: GET $1: '$ANSWER' after $TOOK ms"
}

# unblock FIFO: opening it for writing (read-write does not wait)
# releases anything stuck opening it for reading; then EOF.
unblock() { timeout 2 bash -c 'exec 3<>"$1"; sleep 0.2' _ "$1"; }

start_server -p 5
transfer_ok before 1 3m.bin	# the server has offered (and hashed) 3m.bin
rm -f "$CAT/64k.bin" "$CAT/3m.bin"
mkfifo "$CAT/64k.bin" "$CAT/3m.bin"

fifo_get 64k.bin first
like "$ANSWER" '^ERR 404 .*not a regular file$' "a FIFO under a catalogue name: ERR 404 ... not a regular file"
like "$ANSWER" '^ERR 404 cannot open 64k\.bin: not a regular file$' "...exactly: ERR 404 cannot open 64k.bin: not a regular file"
fifo_get 64k.bin second
like "$ANSWER" '^ERR 404 .*not a regular file$' "the same GET again: ERR 404 again, at once"
fifo_get 3m.bin hashed
like "$ANSWER" '^ERR 404 .*not a regular file$' "a file offered (hashed) before, now a FIFO: ERR 404 too"

transfer_ok after-fifo 2 odd.bin
ok "no worker is stuck: all 5 idle" wait_for 3 eval '[ "$(count_titled " idle$")" = 5 ]'
titles | grep -v ' idle$' | sed 's/^/    not idle: /' >&2
ok "no worker died" eval '! grep -q "killed by signal\|exited with status" "$SERVER_ERR"'
unblock "$CAT/64k.bin"
unblock "$CAT/3m.bin"
stop_server
rm -f "$CAT/64k.bin" "$CAT/3m.bin"
done_testing
