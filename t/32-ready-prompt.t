#!/bin/bash
# 32-ready-prompt.t: without --yes the client asks before starting. A
# newline on stdin starts the transfer; stdin closed without one cancels
# it: exit 1, a message, no received file and the server keeps serving.
. "$(dirname "$0")/lib.sh"

start_server -p 4
client enter -c 2 -f 64k.bin -o "$T/enter-out" -L "$T/enter-logs" < <(printf '\n')
is "$CLIENT_RC" 0 "a newline on stdin: exit 0"
file_like "$T/enter.out" "Press Enter to start" "the client asked"
check_received "$T/enter-out" 2 64k.bin

client closed -c 2 -f 64k.bin -o "$T/closed-out" -L "$T/closed-logs" </dev/null
is "$CLIENT_RC" 1 "stdin closed without a newline: exit 1"
file_like "$T/closed.out" "no confirmation" "...saying there was no confirmation"
is "$(ls -A "$T/closed-out" 2>/dev/null)" "" "...and no file was received"
ok "the server's event log says the cancelled test never started" \
    wait_event 'test [0-9]+ never started: .*\(64k\.bin, 2 of 2 connections; the last one: the client cancelled before the start\)'
is "$(count_lines 'test done:' "$SERVER_OUT")" 1 "...and it wrote no log pair for it"
transfer_ok after-cancel 2 odd.bin
stop_server
done_testing
