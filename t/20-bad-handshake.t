#!/bin/bash
# 20-bad-handshake.t: what arrives instead of a proper request. Each case
# gets a clear ERR line on the connection and a line on the server's
# stderr, and right after it a normal transfer on the same server works.
. "$(dirname "$0")/lib.sh"

start_server -p 3 --idle-timeout 2

# 4 KiB of random bytes instead of a request.
raw_open
like "$GREETING" '^FT/1 ftserver [^ ]+ tcp workers=3$' "the greeting names the protocol and server"
head -c 4096 /dev/urandom >&"$RAW" 2>/dev/null
raw_read reply
like "$reply" '^ERR 4(00|14) ' "garbage: refused with ERR 400 or 414"
raw_close
file_like "$SERVER_ERR" 'refused \(4(00|14)\)' "garbage: the server says so on stderr"
transfer_ok after-garbage 1 64k.bin

# One 64 KiB line without a newline.
raw_open
{ printf 'GET '; head -c 65532 /dev/zero | tr '\0' a; } >&"$RAW" 2>/dev/null
raw_read reply
is "$reply" "ERR 414 request line too long" "a 64 KiB line: ERR 414 request line too long"
raw_close
file_like "$SERVER_ERR" 'refused \(414\): request line too long' "64 KiB line: logged on stderr"
transfer_ok after-long-line 1 64k.bin

# A connection that says nothing: dropped after --idle-timeout.
raw_open
raw_read reply 10
is "$reply" "ERR 408 no request in time" "silence: ERR 408 after the idle timeout"
raw_close
transfer_ok after-silence 1 64k.bin

# Verbs out of order.
for verb in READY "DONE 1 $(sha_of "$CAT/one.bin")"; do
	raw_open
	raw_send "$verb"
	raw_read reply
	is "$reply" "ERR 400 GET comes first" "'${verb%% *}' before GET: ERR 400 GET comes first"
	raw_close
done

# A proper GET, then garbage instead of READY: refused; the test never
# started, so the server's event log says why, and no log pair is written.
logs_before=$(server_logs_count)
raw_open
raw_send "GET one.bin"
raw_read offer
like "$offer" '^OK member=1 group=1 file=one\.bin size=1 sha256=[0-9a-f]{64} test=[0-9]+$' "GET one.bin: the offer"
raw_send "HELLO"
raw_read reply
is "$reply" "ERR 400 expected READY" "garbage instead of READY: ERR 400 expected READY"
raw_close
ok "the event log says the test never started, and why" \
    wait_event 'test [0-9]+ never started: .*\(one\.bin, 1 of 1 connections; the last one: protocol error: expected READY\)'
is "$(server_logs_count)" "$logs_before" "...and no test log was written for it"
transfer_ok after-bad-ready 2 odd.bin

stop_server
done_testing
