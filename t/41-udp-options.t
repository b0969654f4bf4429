#!/bin/bash
# 41-udp-options.t: the UDP options of ftserver. A datagram size outside
# 512..65487 (the largest UDP payload less the 20-byte header) or a mode
# other than raw|reliable is refused at start, with a clear message and
# exit status 2, before anything listens. The sizes at both ends work,
# the long spellings too, and the OK line offers the worker's port, the
# transfer id, the size and the mode; a UDP server refuses a TCP request
# and a READY without udp_port.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/udp-lib.sh"

# refused WHAT ERE ARGS...: ftserver ARGS exits 2 at once, its first line
# of output matches ERE (the usage may follow), and nothing listens.
refused() {
	local what=$1 ere=$2 out rc
	shift 2
	out=$(timeout -k 5 20 "$SERVER_BIN" -P 0 -b "$HOST" -d "$CAT" \
	    -L "$T/refused-logs" "$@" 2>&1)
	rc=$?
	is "$rc" 2 "ftserver $*: $what: exit status 2"
	like "$(head -1 <<<"$out")" "$ere" "ftserver $*: says why"
	[[ $out == *"listening on"* ]] && fail "ftserver $*: did not listen" ||
	    pass "ftserver $*: did not listen"
}

refused "datagram one below the smallest" \
    'datagram size 511: must be 512\.\.65487' -u -s 511
refused "datagram one above the largest" \
    'datagram size 65488: must be 512\.\.65487' -u -s 65488
refused "datagram the largest UDP payload, header forgotten" \
    'datagram size 65507: must be 512\.\.65487' -u -s 65507
refused "datagram 65535" 'datagram size 65535: must be 512\.\.65487' -u -s 65535
# One past what fits in 16 bits: the message must still give the real
# range, not the parser's 0..65535.
refused "datagram 65536" 'datagram.*65536.*512\.\.65487' -u -s 65536
refused "datagram not a number" 'datagram' -u -s 8k
refused "datagram negative" 'datagram' -u --datagram -1
refused "unknown mode" 'mode bogus: must be raw or reliable' -u -m bogus
refused "mode in capitals" 'mode RAW: must be raw or reliable' -u --mode RAW
refused "empty mode" 'must be raw or reliable' -u -m ''

# The smallest size, with the long spellings: a whole test.
start_server --udp --datagram 512 --mode raw --workers 2
like "$(head -1 "$SERVER_OUT")" "\\(udp, raw, UDP ports $((PORT + 1))-$((PORT + 2)), datagram 512," \
    "--udp --datagram 512 --mode raw: the listening line says so"
udp_test long512 2 odd.bin raw 1 512

# The OK line of a UDP server, by hand: the worker's port (PORT+1 or
# PORT+2), an 8-digit hex transfer id, the size and the mode.
raw_open
like "$GREETING" '^FT/1 ftserver [^ ]+ udp workers=2$' "greeting: FT/1 ... udp workers=2"
raw_send "GET 64k.bin group=1 proto=udp"
raw_read offer
like "$offer" "^OK member=1 group=1 file=64k\\.bin size=65536 sha256=$(sha_of "$CAT/64k.bin") udp_port=($((PORT + 1))|$((PORT + 2))) xfer=[0-9a-f]{8} secret=[0-9a-f]{16} datagram=512 mode=raw test=[0-9]+\$" \
    "OK line: udp_port=PORT+k xfer=8hex datagram=512 mode=raw"
raw_send "READY"
raw_read reply
like "$reply" '^ERR 400 expected READY udp_port=N' "READY without udp_port: ERR 400"
raw_close
ok "the event log says the test never started, and why" \
    wait_event 'test [0-9]+ never started: .*\(64k\.bin, 1 of 1 connections; the last one: protocol error: expected READY udp_port=N\)'

raw_open
raw_send "GET 64k.bin group=1 proto=tcp"
raw_read reply
like "$reply" '^ERR 400 this server sends over udp' "a TCP request to a UDP server: ERR 400"
raw_close

# And the largest size.
stop_server
start_server -u -s 65487 -m reliable -p 1
like "$(head -1 "$SERVER_OUT")" "\\(udp, reliable, UDP ports $((PORT + 1))-$((PORT + 1)), datagram 65487," \
    "-u -s 65487 -m reliable -p 1: the listening line says so"
udp_test short65487 1 odd.bin reliable 1 65487
stop_server
done_testing
