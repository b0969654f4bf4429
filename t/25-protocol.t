#!/bin/bash
# 25-protocol.t: the wire protocol by hand, as one would try it with nc:
# greeting, LIST, QUIT, and a whole transfer (GET, OK, READY, DATA, the
# bytes, DONE, BYE); a DONE with a wrong hash or byte count is answered
# "BYE mismatch" and logged as failed with the reason.
. "$(dirname "$0")/lib.sh"

start_server -p 3

raw_open
like "$GREETING" '^FT/1 ftserver [0-9.]+ tcp workers=3$' "greeting: FT/1 ftserver VERSION tcp workers=3"
raw_send LIST
listing=
while raw_read line 5; do
	listing+="$line;"
	[[ $line == END* ]] && break
done
is "$listing" "FILE 3m.bin 3145728;FILE 64k.bin 65536;FILE empty.bin 0;FILE odd.bin 1000003;FILE one.bin 1;END 5;" \
    "LIST: a FILE line per file, sorted, then END 5"
raw_send QUIT
raw_read reply
is "$reply" "BYE ok" "QUIT: BYE ok"
raw_close

CLIENT_LIST=$(timeout 20 "$CLIENT_BIN" -H "$HOST" -P "$PORT" --list)
is "$?" 0 "ftclient --list exits 0"
is "$(echo "$CLIENT_LIST" | tr '\n' ';')" "3m.bin 3145728;64k.bin 65536;empty.bin 0;odd.bin 1000003;one.bin 1;" \
    "ftclient --list prints each file and its size"

# raw_transfer NAME DONE-LINE-MAKER: GET, READY, read the bytes, DONE.
# Sets RECEIVED (a file) and BYE.
raw_transfer() {
	local name=$1 size sha
	size=$(size_of "$CAT/$name")
	sha=$(sha_of "$CAT/$name")
	raw_open
	raw_send "GET $name"
	raw_read offer
	like "$offer" "^OK member=1 group=1 file=$name size=$size sha256=$sha test=[1-9][0-9]*\$" \
	    "GET $name: the offer, with the server's test number"
	raw_send READY
	raw_read data
	like "$data" "^DATA $size start=[1-9][0-9]*\\.[0-9]{9}\$" "READY: DATA $size, with the test's start"
	RECEIVED=$T/raw-$name
	head -c "$size" <&"$RAW" >"$RECEIVED"
	raw_send "$2"
	raw_read BYE
	raw_close
}

raw_transfer 64k.bin "DONE 65536 $(sha_of "$CAT/64k.bin")"
ok "the bytes after DATA are the file" cmp -s "$CAT/64k.bin" "$RECEIVED"
is "$BYE" "BYE ok" "DONE with the right count and hash: BYE ok"
ok "...logged as a success" wait_server_row $'\t64k\\.bin\t.*\tyes\t-\t'

raw_transfer odd.bin "DONE 1000003 $(sha_of "$CAT/64k.bin")"
is "$BYE" "BYE mismatch" "DONE with a wrong hash: BYE mismatch"
ok "...logged as failed: the SHA-256 differs" wait_server_row $'\todd\\.bin\t.*\tno\tthe client.s SHA-256 differs\t'

raw_transfer one.bin "DONE 0 $(sha_of "$CAT/empty.bin")"
is "$BYE" "BYE mismatch" "DONE with a wrong byte count: BYE mismatch"
ok "...logged as failed: received 0 of 1 bytes" wait_server_row $'\tone\\.bin\t.*\tno\tthe client received 0 of 1 bytes\t'

raw_transfer empty.bin "DONE 0 $(sha_of "$CAT/empty.bin")"
is "$BYE" "BYE ok" "an empty file: DATA 0, then DONE 0: BYE ok"

raw_transfer 3m.bin "DONE twelve"
like "$BYE" "^(ERR|BYE)" "a malformed DONE gets an answer ($BYE)"
ok "...and is logged as failed" wait_server_row $'\t3m\\.bin\t.*\tno\tbad confirmation from the client\t'
stop_server
done_testing
