#!/bin/bash
# 31-options.t: --help and --version (long and short) of both programs
# exit 0 and print to stdout; long options work as the short ones do.
. "$(dirname "$0")/lib.sh"

for bin in "$SERVER_BIN" "$CLIENT_BIN"; do
	name=$(basename "$bin")
	name=${name%-asan}
	for opt in --help -h; do
		out=$(timeout 20 "$bin" "$opt" 2>/dev/null)
		is "$?" 0 "$name $opt: exit 0"
		like "$out" "^usage: $name " "$name $opt: the usage on stdout"
	done
	for opt in --version -V; do
		out=$(timeout 20 "$bin" "$opt" 2>/dev/null)
		is "$?" 0 "$name $opt: exit 0"
		like "$out" "^$name [0-9]+\.[0-9]+\.[0-9]+$" "$name $opt: name and version"
	done
done

# The long spellings of the options used everywhere else.
start_server --workers 2 --clients 0 --timeout 5 --file 64k.bin
client long --clients 2 --yes --host "$HOST" --port "$PORT" --file odd.bin \
    --out "$T/long-out" --logs "$T/long-logs" --timeout 20
is "$CLIENT_RC" 0 "long options: ftclient --clients 2 --yes ... exits 0"
check_received "$T/long-out" 2 odd.bin
is "$(log_pairs "$T/long-logs" client | grep -vc unpaired)" 1 "long options: --logs gets the client log"
stop_server
done_testing
