#!/bin/bash
# 91-completion.t: the bash completions of contrib/completion/, driven as
# bash drives them (COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD, then
# the function) in this non-interactive shell, with bash-completion's
# helpers loaded:
# - options come from each program's --help (_parse_help);
# - -m/--mode offers raw and reliable, also as --mode=r;
# - -d, -L, -o offer folders only;
# - ftserver -f offers the files of the folder -d names on the line;
# - ftclient -f offers the catalogue of the server the line names (a real
#   server on a free loopback port), nothing (and asks nobody) when the
#   line names no server, nothing quickly when nobody answers; a name
#   from the network is quoted, never expanded.
# Skipped without bash-completion.
. "$(dirname "$0")/lib.sh"

BC=/usr/share/bash-completion/bash_completion
if [ ! -r "$BC" ]; then
	echo "1..0 # SKIP bash-completion is not installed ($BC)"
	exit 0
fi
# bash-completion is not written for nounset.
set +u
. "$BC"
. contrib/completion/ftserver
. contrib/completion/ftclient

# comp FUNCTION LINE: completes the end of LINE, whose first word is the
# program; the words split as bash splits them (at spaces and at "=").
# Sets GOT: the candidates, sorted, on one line.
comp() {
	local func=$1 line=$2
	COMP_LINE=$line
	COMP_POINT=${#line}
	read -r -a COMP_WORDS <<<"${line//=/ = }"
	[[ $line == *' ' ]] && COMP_WORDS+=('')
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" \
	    "${COMP_WORDS[COMP_CWORD - 1]}"
	GOT=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs -d '\n' echo)
}

# has WORD...: every WORD is among the candidates.
has() {
	local w
	for w in "$@"; do
		[[ " $GOT " == *" $w "* ]] || { diag "no $w in: $GOT"; return 1; }
	done
}

ok "the functions are bound to the programs' names" \
    eval 'complete -p ftserver | grep -q _ftserver && complete -p ftclient | grep -q _ftclient'

# ---------------------------------------------------------------- ftserver

comp _ftserver "$SERVER_BIN -"
ok "ftserver -: the options of --help" \
    has --workers --port --bind --files --logs --file --clients --udp \
    --datagram --mode --timeout --idle-timeout --grace --logs-quota --pidfile
comp _ftserver "$SERVER_BIN --id"
is "$GOT" "--idle-timeout" "ftserver --id: --idle-timeout"
comp _ftserver "$SERVER_BIN -u -m "
is "$GOT" "raw reliable" "ftserver -m: raw reliable"
comp _ftserver "$SERVER_BIN --mode=r"
is "$GOT" "raw reliable" "ftserver --mode=r: raw reliable"
comp _ftserver "$SERVER_BIN --mode re"
is "$GOT" "reliable" "ftserver --mode re: reliable"
comp _ftserver "$SERVER_BIN -p "
is "$GOT" "" "ftserver -p (a number): nothing"

mkdir -p "$T/tree/dir1" "$T/tree/dir2"
: >"$T/tree/file1"
comp _ftserver "$SERVER_BIN -d $T/tree/"
is "$GOT" "$T/tree/dir1 $T/tree/dir2" "ftserver -d: folders only"
comp _ftserver "$SERVER_BIN -L $T/tree/d"
is "$GOT" "$T/tree/dir1 $T/tree/dir2" "ftserver -L: folders only"

make_catalogue "$CAT"
mkdir "$CAT/subdir"
comp _ftserver "$SERVER_BIN -d $CAT -f "
is "$GOT" "3m.bin 64k.bin empty.bin odd.bin one.bin" \
    "ftserver -d DIR -f: the files of DIR (no folder)"
comp _ftserver "$SERVER_BIN --files=$CAT --file o"
is "$GOT" "odd.bin one.bin" "ftserver --files=DIR --file o: those starting with o"

# ---------------------------------------------------------------- ftclient

comp _ftclient "$CLIENT_BIN -"
ok "ftclient -: the options of --help" \
    has --clients --host --port --udp --file --yes --out --logs --timeout \
    --queue-timeout --keep-failed --list
comp _ftclient "$CLIENT_BIN -c 3 -o $T/tree/"
is "$GOT" "$T/tree/dir1 $T/tree/dir2" "ftclient -o: folders only"

# A name from the network that a careless completion would expand (it
# would make the file pwned in the current folder).
hostile='x$(touch${IFS}pwned).bin'
: >"$CAT/$hostile"
start_server -p 2
comp _ftclient "$CLIENT_BIN -c 2 -H $HOST -P $PORT -f "
is "$GOT" "3m.bin 64k.bin empty.bin odd.bin one.bin $(printf '%q' "$hostile")" \
    "ftclient -H HOST -P PORT -f: the server's catalogue (--list), quoted"
ok "...and a name from the network is never expanded" test ! -e pwned
rm -f pwned
comp _ftclient "$CLIENT_BIN --port=$PORT --host=$HOST -y --file=o"
is "$GOT" "odd.bin one.bin" "ftclient --port=P --host=H --file=o: those starting with o"
comp _ftclient "$CLIENT_BIN -H $HOST -P $PORT -f 3"
is "$GOT" "3m.bin" "ftclient -f 3: 3m.bin"
stop_server

comp _ftclient "$CLIENT_BIN -c 2 -f "
is "$GOT" "" "ftclient -f without -H or -P: nothing (no server asked)"
# The port of the server just stopped: nobody listens there now.
start=$SECONDS
comp _ftclient "$CLIENT_BIN -H $HOST -P $PORT -f "
is "$GOT" "" "ftclient -f with nobody at -H/-P: nothing"
ok "...within the bound (timeout 2)" test $((SECONDS - start)) -le 3

done_testing
