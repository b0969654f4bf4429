# t/share-lib.sh: what the tests of sharing one server (issue 8: t/14,
# t/15, t/26..28, t/34, t/61..65) add to lib.sh. Each sources both:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/share-lib.sh"
#
# Peers:    many hand-driven connections at once, each by a NAME (bash
#           /dev/tcp, like lib.sh's raw_*): peer_open NAME, peer_send NAME
#           LINE, peer_read NAME VAR [SECONDS], peer_close NAME,
#           peer_close_all; peer_get NAME LINE [SECONDS] (LINE sent at once,
#           pipelined before the greeting; the first line that is not the
#           greeting in REPLY[NAME]); peer_reply NAME DEADLINE_MS (the same
#           read, for a GET already sent); peer_eof NAME DEADLINE_MS (the
#           server closed it: EOF before the deadline, any lines before it
#           in TAIL[NAME]); peer_transfer NAME... (READY on each, then DATA,
#           the bytes, DONE with their sha256, and BYE: XFER_OK counts the
#           "BYE ok", XFER_BAD lists the others with what went wrong)
# Time:     now_ms, ms_left DEADLINE_MS (seconds left, for read -t)
# Server:   try_server SECONDS ARGS (start_server that may fail: returns 1)
# Clients:  run_client is lib.sh's, but also closes every peer's socket in
#           the client (else a peer's close would not reach the server while
#           the client holds a copy)
#
# Every wait is bounded.

declare -A PEER=() REPLY=() GREET=() TAIL=()

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# ms_left DEADLINE_MS: the seconds until then (at least 0.01), for read -t.
ms_left() {
	local left=$(($1 - $(now_ms)))
	((left < 10)) && left=10
	printf '%d.%03d' $((left / 1000)) $((left % 1000))
}

run_client() {
	local fd
	for fd in "${PEER[@]}"; do exec {fd}>&-; done
	[ -n "${RAW:-}" ] && exec {RAW}>&-
	exec timeout -k 5 120 "$CLIENT_BIN" -H "$HOST" -P "$PORT" -t 30 "$@"
}

peer_open() {
	local fd
	# (The braces: a redirection of exec itself would stay for good.)
	{ exec {fd}<>"/dev/tcp/$HOST/$PORT"; } 2>/dev/null || return 1
	PEER[$1]=$fd
	REPLY[$1]=
	GREET[$1]=
	TAIL[$1]=
}

peer_send() { printf '%s\n' "$2" >&"${PEER[$1]}" 2>/dev/null; }

# peer_read NAME VAR [SECONDS]: one line (without CR LF) into VAR; the
# status of read (0, 1 at EOF, > 128 at the timeout).
peer_read() {
	local _line _rc
	IFS= read -r -t "${3:-10}" _line <&"${PEER[$1]}"
	_rc=$?
	printf -v "$2" '%s' "${_line%$'\r'}"
	return $_rc
}

peer_close() {
	local fd=${PEER[$1]:-}
	[ -n "$fd" ] && exec {fd}>&-
	unset "PEER[$1]"
}

peer_close_all() {
	local name
	for name in "${!PEER[@]}"; do peer_close "$name"; done
}

# peer_reply NAME DEADLINE_MS: reads the greeting (GREET[NAME]) if it
# comes first, and the next line (REPLY[NAME]); "(none)" when nothing came
# before the deadline, "(closed)" at EOF.
peer_reply() {
	local line rc
	while :; do
		peer_read "$1" line "$(ms_left "$2")"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			if [ -n "$line" ]; then :	# a last line without \n
			elif [ "$rc" -gt 128 ]; then REPLY[$1]="(none)"; return 1
			else REPLY[$1]="(closed)"; return 1
			fi
		fi
		if [[ -z ${GREET[$1]} && $line == FT/1\ * ]]; then
			GREET[$1]=$line
			continue
		fi
		REPLY[$1]=$line
		return 0
	done
}

# peer_get NAME LINE [SECONDS]: opens NAME, sends LINE at once and reads
# the greeting and the reply (within SECONDS, 5 by default).
peer_get() {
	peer_open "$1" || { REPLY[$1]="(refused)"; return 1; }
	peer_send "$1" "$2"
	peer_reply "$1" $(($(now_ms) + ${3:-5} * 1000))
}

# peer_eof NAME DEADLINE_MS: true when the server closes the connection
# before the deadline; the lines it sent meanwhile in TAIL[NAME].
peer_eof() {
	local line rc
	TAIL[$1]=
	while :; do
		peer_read "$1" line "$(ms_left "$2")"
		rc=$?
		[ -n "$line" ] && TAIL[$1]+="$line;"
		[ "$rc" -eq 0 ] && continue
		[ "$rc" -eq 1 ] && return 0
		return 1
	done
}

# peer_transfer NAME...: the rest of a test for connections that were
# offered it: READY on each, then each one's DATA line and bytes, DONE
# with the sha256 of what arrived, and the verdict. XFER_OK counts the
# "BYE ok"; XFER_BAD lists the others.
peer_transfer() {
	local name line size sum fd
	XFER_OK=0
	XFER_BAD=
	for name in "$@"; do peer_send "$name" READY; done
	for name in "$@"; do
		fd=${PEER[$name]}
		if ! peer_read "$name" line 20 || [[ ! $line =~ ^DATA\ ([0-9]+)(\ start=[0-9]+\.[0-9]{9})?$ ]]; then
			XFER_BAD+=" $name:${line:-nodata}"
			continue
		fi
		size=${BASH_REMATCH[1]}
		sum=$(head -c "$size" <&"$fd" | tee "$T/xfer.$name" | sha256sum | cut -d' ' -f1)
		if [ "$(size_of "$T/xfer.$name")" != "$size" ]; then
			XFER_BAD+=" $name:short($(size_of "$T/xfer.$name"))"
			rm -f "$T/xfer.$name"
			continue
		fi
		rm -f "$T/xfer.$name"
		peer_send "$name" "DONE $size $sum"
		if peer_read "$name" line 10 && [ "$line" = "BYE ok" ]; then
			XFER_OK=$((XFER_OK + 1))
		else
			XFER_BAD+=" $name:${line:-nobye}"
		fi
	done
	XFER_BAD=${XFER_BAD# }
}

# try_server SECONDS ARGS...: start_server, but a server that does not
# say it listens within SECONDS is not the end of the test: returns 1
# (its stderr in SERVER_ERR, its exit status in SERVER_RC when it ended,
# SERVER_PID empty when it is gone).
try_server() {
	local wait=$1
	shift
	SERVER_N=$((SERVER_N + 1))
	SERVER_OUT=$T/server$SERVER_N.out
	SERVER_ERR=$T/server$SERVER_N.err
	SLOGS=$T/server$SERVER_N-logs
	SERVER_RC=
	(
		local fd
		for fd in "${PEER[@]}"; do exec {fd}>&-; done
		[ -n "${RAW:-}" ] && exec {RAW}>&-
		exec "$SERVER_BIN" -P 0 -b "$HOST" -d "$CAT" -L "$SLOGS" "$@"
	) >"$SERVER_OUT" 2>"$SERVER_ERR" &
	SERVER_PID=$!
	if ! wait_for "$wait" grep -qs 'listening on ' "$SERVER_OUT"; then
		if ! alive "$SERVER_PID"; then
			wait "$SERVER_PID" 2>/dev/null
			SERVER_RC=$?
			SERVER_PID=
		fi
		return 1
	fi
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\) .*/\1/p' "$SERVER_OUT")
	[ -n "$PORT" ]
}
