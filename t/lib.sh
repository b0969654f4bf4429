# t/lib.sh: what the integration tests share. Each test sources it first:
#
#   . "$(dirname "$0")/lib.sh"
#
# It moves to the top folder, picks the binaries (FT_SUFFIX=-asan selects
# the sanitizer build, so the same scripts run against both), makes a
# temp folder $T under t/tmp/, and on exit always stops the server and any
# client it started, then removes $T (kept when a test failed, or with
# FT_KEEP=1, so the logs can be read).
#
# TAP:      ok DESC CMD..., is GOT WANT DESC, like TEXT REGEX DESC,
#           file_like FILE REGEX DESC, pass, fail, diag, skip [N] REASON, bail,
#           done_testing (prints the plan last and exits)
# Server:   make_catalogue DIR, start_server [ARGS], stop_server
# Client:   client NAME ARGS, client_bg NAME ARGS, client_wait NAME
# Raw:      raw_open, raw_send LINE, raw_read VAR [SECONDS], raw_close
# Checks:   check_received, check_client_logs, check_server_log, ...
#
# Every wait is bounded; no test measures speed.

set -u
# A raw connection writing to a socket the server already closed must get
# EPIPE (and a failed write), not kill the test script.
trap '' PIPE
exec </dev/null

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
FT_SUFFIX=${FT_SUFFIX:-}
SERVER_BIN=$ROOT/server/ftserver$FT_SUFFIX
CLIENT_BIN=$ROOT/client/ftclient$FT_SUFFIX
T=$ROOT/t/tmp/$(basename "$0" .t).$$
CAT=$T/files
HOST=127.0.0.1
SERVER_PID=
SERVER_N=0
declare -A BG=()

# Sanitizer findings must end the process (a failed exit status), not
# scroll by in a log nobody reads.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# ---------------------------------------------------------------- TAP

_tests=0
_failed=0

pass() { _tests=$((_tests + 1)); echo "ok $_tests - $*"; }

fail() {
	_tests=$((_tests + 1))
	_failed=$((_failed + 1))
	echo "not ok $_tests - $*"
	return 1
}

diag() {
	local line
	for line in "$@"; do printf '# %s\n' "$line" >&2; done
}

# ok DESC CMD...: passes when CMD succeeds.
ok() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "     got: '$1'" "  wanted: '$2'"
		return 1
	fi
}

# like TEXT ERE DESC
like() {
	if [[ $1 =~ $2 ]]; then
		pass "$3"
	else
		fail "$3"
		diag "'$1'" "does not match /$2/"
		return 1
	fi
}

# file_like FILE ERE DESC: some line of FILE matches.
file_like() {
	if grep -Eq -- "$2" "$1" 2>/dev/null; then
		pass "$3"
	else
		fail "$3"
		diag "no line of $1 matches /$2/; its end:"
		[ -f "$1" ] && tail -n 15 "$1" | sed 's/^/    /' >&2
		return 1
	fi
}

# skip [N] REASON: N tests (default 1) counted as skipped.
skip() {
	local i n=1
	if [[ $1 =~ ^[0-9]+$ ]]; then
		n=$1
		shift
	fi
	for ((i = 0; i < n; i++)); do
		_tests=$((_tests + 1))
		echo "ok $_tests # skip $*"
	done
}

bail() {
	echo "Bail out! $*"
	exit 255
}

done_testing() {
	echo "1..$_tests"
	exit $((_failed > 0))
}

# abort_test DESC: a failure that makes the rest pointless (no server).
abort_test() {
	fail "$1"
	done_testing
}

# ---------------------------------------------------------------- helpers

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -gt "$deadline" ] && return 1
		sleep 0.05
	done
}

# alive PID: running and not a zombie (an orphaned zombie still answers
# kill -0 where PID 1 does not reap).
alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

gone() { ! alive "$1"; }

size_of() { stat -c %s "$1"; }
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
count_lines() { grep -c -- "$1" "$2" 2>/dev/null; }

# make_catalogue DIR: small files of random bytes whose sizes hit the
# edges: empty, one byte, exactly 64 KiB, an odd size that is no multiple
# of any buffer, and 3 MiB.
make_catalogue() {
	mkdir -p "$1"
	: >"$1/empty.bin"
	head -c 1 /dev/urandom >"$1/one.bin"
	head -c 65536 /dev/urandom >"$1/64k.bin"
	head -c 1000003 /dev/urandom >"$1/odd.bin"
	head -c 3145728 /dev/urandom >"$1/3m.bin"
}

# no_sanitizer_reports FILE...: ASan, LSan and UBSan all print one of these.
no_sanitizer_reports() {
	! grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' \
	    "$@" 2>/dev/null
}

# ---------------------------------------------------------------- server

# start_server [ARGS]: the real server, in the foreground of a background
# job, on a free loopback port with the test's catalogue and its own log
# folder. Waits (bounded) for "listening on ADDR:PORT" and sets PORT,
# SERVER_PID, SERVER_OUT, SERVER_ERR and SLOGS.
start_server() {
	SERVER_N=$((SERVER_N + 1))
	SERVER_OUT=$T/server$SERVER_N.out
	SERVER_ERR=$T/server$SERVER_N.err
	SLOGS=$T/server$SERVER_N-logs
	# Client logs newer than this are the ones this server could pair.
	: >"$T/.server$SERVER_N.start"
	# The subshell becomes the server (exec), without any raw socket.
	(
		[ -n "${RAW:-}" ] && exec {RAW}>&-
		exec "$SERVER_BIN" -P 0 -b "$HOST" -d "$CAT" -L "$SLOGS" "$@"
	) >"$SERVER_OUT" 2>"$SERVER_ERR" &
	SERVER_PID=$!
	if ! wait_for 20 grep -qs 'listening on ' "$SERVER_OUT"; then
		diag "ftserver $* did not say it listens; its stderr:"
		sed 's/^/    /' "$SERVER_ERR" >&2
		abort_test "the server starts"
	fi
	PORT=$(sed -n 's/.*listening on .*:\([0-9][0-9]*\) .*/\1/p' "$SERVER_OUT")
	[ -n "$PORT" ] || abort_test "the server prints its port"
}

# kill_server: TERM, up to 10 s to finish gracefully, then KILL. Sets
# SERVER_RC and WORKERS_LEFT (workers still alive afterwards).
kill_server() {
	local pid=$SERVER_PID workers w deadline=$((SECONDS + 10))
	workers=$(pgrep -P "$pid")
	kill -TERM "$pid" 2>/dev/null
	while alive "$pid" && [ "$SECONDS" -le "$deadline" ]; do sleep 0.05; done
	if alive "$pid"; then
		diag "ftserver did not stop within 10 s of TERM: KILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	SERVER_RC=$?
	SERVER_PID=
	WORKERS_LEFT=
	# Workers get the TERM from their master; give them a moment.
	for w in $workers; do
		wait_for 5 gone "$w" || WORKERS_LEFT+=" $w"
	done
	for w in $WORKERS_LEFT; do kill -KILL "$w" 2>/dev/null; done
	WORKERS_LEFT=${WORKERS_LEFT# }
}

# stop_server: kill_server, and the things every stop must show; the
# logs pair (check_logs_pair).
stop_server() {
	kill_server
	is "$SERVER_RC" 0 "server: exit status 0 after TERM"
	is "$WORKERS_LEFT" "" "server: no worker left behind"
	ok "server: no sanitizer report" no_sanitizer_reports "$SERVER_ERR"
	check_logs_pair
}

# check_logs_pair: every row of a client log under $T whose test this
# server logged (same test_start and test number, the pairing ids) pairs
# with the server's row for that client number: the same run id, the same
# data and control ports, and over TCP a server time at least the
# client's (the timing rules: the server's clock starts before the first
# byte leaves and stops after the confirmation arrives). With BEHIND_NAT
# set the client's ports are not compared: the server logs the NAT's.
# And some row must pair when client logs were written while this server
# ran (since start_server): else a regression in the pairing ids would
# leave every row unpaired and pass. A test whose runs there are not
# meant to pair says why in LOGS_NEED_NOT_PAIR (LOGS_NEED_NOT_PAIR="..."
# stop_server).
check_logs_pair() {
	local clients out mark=$T/.server$SERVER_N.start since=()
	[ -e "$mark" ] && since=(-newer "$mark")
	clients=$(find "$T" -name '*-client-*-log*.tsv' "${since[@]}" 2>/dev/null |
	    grep -v "^$SLOGS/")
	out=$(awk -F'\t' '
	    FNR == 1 { delete col; for (i = 1; i <= NF; i++) col[$i] = i; next }
	    { k = $col["test_start"] SUBSEP $col["test"] SUBSEP $col["client"]
	      v = $col["run"] " ports " (nat ? "-" : $col["client_port"]) "/" $col["server_port"] \
	          " ctl " (nat ? "-" : $col["ctl_client_port"]) "/" $col["ctl_server_port"] }
	    $col["role"] == "server" { s[k] = v; secs[k] = $col["seconds"]; next }
	    { rows++ }
	    !(k in s) { next }
	    { paired++
	      if (s[k] != v) print "client " $col["client"] " of test " $col["test"] ": client says " v ", server " s[k]
	      if ($col["proto"] == "tcp" && $col["ok"] == "yes" && secs[k] + 0 < $col["seconds"] + 0)
	          print "client " $col["client"] " of test " $col["test"] ": server time " secs[k] " < client time " $col["seconds"] }
	    END { if (rows > 0 && paired == 0 && !excused)
	              print "none of the " rows " client rows logged while this server ran pairs with its rows"
	          print "paired " paired + 0 }' nat="${BEHIND_NAT:-}" excused="${LOGS_NEED_NOT_PAIR:-}" \
	    $(find "$SLOGS" -name '*.tsv' 2>/dev/null) $clients)
	is "$(echo "$out" | grep -v '^paired ')" "" \
	    "logs pair ($(echo "$out" | tail -1) client rows with the server's): run ids, ports and times agree"
}

# wait_server_logs N: the master writes a test's log just after the last
# member leaves, a little after the client has exited; wait until it has
# announced N logs.
wait_server_logs() { wait_for 20 logged_at_least "$1"; }
logged_at_least() { [ "$(count_lines 'test done:' "$SERVER_OUT")" -ge "$1" ]; }

# server_log N: the .txt path of the Nth test this server logged.
server_log() {
	sed -n 's/.*test done: .*; log \(.*\)$/\1/p' "$SERVER_OUT" | sed -n "$1p"
}

# wait_server_row ERE: waits (bounded) until a row of some server .tsv
# matches, and puts the first such row in ROW.
wait_server_row() {
	ROW=
	wait_for 20 grep -rqE --include='*.tsv' -- "$1" "$SLOGS" 2>/dev/null || return 1
	ROW=$(grep -rhE --include='*.tsv' -- "$1" "$SLOGS" | head -1)
}

# wait_event ERE: waits (bounded) until a line of the server's event log
# (its stderr) matches, and puts the first such line in EVENT. A test
# that never started is one such line ("test N never started: ..."),
# not a log pair.
wait_event() {
	EVENT=
	wait_for 20 grep -qE -- "$1" "$SERVER_ERR" || return 1
	EVENT=$(grep -E -- "$1" "$SERVER_ERR" | head -1)
}

# server_logs_count: how many test logs (.txt) the server wrote.
server_logs_count() { find "$SLOGS" -name '*-log*.txt' 2>/dev/null | grep -c .; }

# row_field ROW COLUMN: one field of a server .tsv row, by column name.
row_field() {
	local header
	header=$(head -1 "$(ls "$SLOGS"/*.tsv | head -1)")
	printf '%s\n%s\n' "$header" "$1" | awk -F'\t' -v c="$2" '
	    NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next } { print $k }'
}

# ---------------------------------------------------------------- client

# client NAME ARGS...: runs ftclient against the server; output (stdout and
# stderr) in $T/NAME.out, exit status in CLIENT_RC. Bounded by timeout(1).
client() {
	local name=$1
	shift
	(run_client "$@") >"$T/$name.out" 2>&1
	CLIENT_RC=$?
}

client_bg() {
	local name=$1
	shift
	run_client "$@" >"$T/$name.out" 2>&1 &
	BG[$name]=$!
}

# Runs in a subshell (the callers fork one) that becomes the client. It
# must not keep an open raw connection: the raw side's close would not
# reach the server while the client still holds a copy of the socket.
run_client() {
	[ -n "${RAW:-}" ] && exec {RAW}>&-
	exec timeout -k 5 120 "$CLIENT_BIN" -H "$HOST" -P "$PORT" -t 30 "$@"
}

client_wait() {
	wait "${BG[$1]}"
	CLIENT_RC=$?
	unset "BG[$1]"
}

# ---------------------------------------------------------------- raw

# fake MODE: t/fake-server.pl in MODE (a hostile or broken ft server, see
# its header) on a free port, which becomes PORT; unfake stops it.
fake() {
	rm -f "$T/fake.port"
	perl "$ROOT/t/fake-server.pl" "$1" "$T/fake.port" &
	BG[fake]=$!
	wait_for 10 test -s "$T/fake.port" || bail "the fake server did not start"
	PORT=$(cat "$T/fake.port")
}
unfake() { kill "${BG[fake]}" 2>/dev/null; wait "${BG[fake]}" 2>/dev/null; unset 'BG[fake]'; }

# raw_open: a hand-driven connection through bash's /dev/tcp (no netcat
# needed). Sets RAW (its fd) and GREETING (the server's first line).
raw_open() {
	exec {RAW}<>"/dev/tcp/$HOST/$PORT" || return 1
	raw_read GREETING
}

raw_send() { printf '%s\n' "$1" >&"$RAW" 2>/dev/null; }

# raw_read VAR [SECONDS]: one line (without CR LF) into VAR.
raw_read() {
	local _line _rc
	IFS= read -r -t "${2:-10}" _line <&"$RAW"
	_rc=$?
	printf -v "$1" '%s' "${_line%$'\r'}"
	return $_rc
}

raw_close() {
	[ -n "${RAW:-}" ] && exec {RAW}>&-
	RAW=
}

# ---------------------------------------------------------------- checks

LOG_NAME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}(-(server|client)-tcp-log(-[0-9]+)?\.(txt|tsv)|-client-tcp-samples(-[0-9]+)?\.tsv)$'

# tsv_col FILE COLUMN: that column's values, one line per row.
tsv_col() {
	awk -F'\t' -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
	    k { print $k }' "$1"
}

tsv_rows() { awk 'END { print NR - 1 }' "$1"; }

# tsv_rectangular FILE: every row has as many fields as the header.
tsv_rectangular() { awk -F'\t' 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' "$1"; }

# tsv_all FILE COL=VALUE...: every row has these values; prints the
# mismatches it finds.
tsv_all() {
	local file=$1 pair
	shift
	for pair in "$@"; do
		awk -F'\t' -v c="${pair%%=*}" -v want="${pair#*=}" '
		    NR == 1 { for (i = 1; i <= NF; i++) if ($i == c) k = i; next }
		    !k { print "no column " c; exit 1 }
		    $k != want { print "row " NR - 1 ": " c " is \"" $k "\", not \"" want "\""; bad = 1 }
		    END { exit bad }' "$file" || return 1
	done
}

# check_tsv FILE ROLE N NAME: the machine-readable log of a test of N
# connections that all succeeded, receiving catalogue file NAME.
check_tsv() {
	local f=$1 role=$2 n=$3 src=$CAT/$4 what mism
	what="$role log $(basename "$f")"
	is "$(tsv_rows "$f")" "$n" "$what: $n rows"
	ok "$what: every row has as many fields as the header" tsv_rectangular "$f"
	mism=$(tsv_all "$f" role="$role" proto=tcp file="$4" size="$(size_of "$src")" \
	    sha256="$(sha_of "$src")" clients="$n" client_ip="$HOST" \
	    server_port="$PORT" bytes="$(size_of "$src")" ok=yes reason=-)
	is "$mism" "" "$what: file, size, sha256, ip, server port, bytes, ok=yes"
	is "$(tsv_col "$f" client | sort -n | tr '\n' ' ')" "$(seq -s ' ' 1 "$n") " \
	    "$what: client numbers 1..$n"
	ok "$what: client ports are $n distinct port numbers" ports_distinct "$f" "$n"
	ok "$what: times and rates are numbers" times_numeric "$f"
}

ports_distinct() {
	[ "$(tsv_col "$1" client_port | grep -Ec '^[1-9][0-9]{0,4}$')" = "$2" ] &&
	    [ "$(tsv_col "$1" client_port | sort -u | wc -l)" = "$2" ]
}

times_numeric() {
	! paste <(tsv_col "$1" seconds) <(tsv_col "$1" mb_per_s) |
	    grep -vE '^[0-9]+\.[0-9]+	[0-9]+\.[0-9]+$'
}

# check_text FILE N NAME: the human log of the same test.
check_text() {
	local f=$1 n=$2 src=$CAT/$3 what rows
	what="$(basename "$f")"
	file_like "$f" "^file +$3\$" "$what: the file name"
	file_like "$f" "^size +$(size_of "$src") bytes\$" "$what: the size"
	file_like "$f" "^sha256 +$(sha_of "$src")\$" "$what: the sha256"
	file_like "$f" "^succeeded +$n of $n\$" "$what: $n of $n succeeded"
	# the last field: the copy on the client's side, "-" on the server's
	rows=$(awk -v port="$PORT" -v size="$(size_of "$src")" -v ip="$HOST" \
	    -v client="$([[ $what == *-client-* ]] && echo 1)" '
	    $1 ~ /^[0-9]+$/ && (index($2, ip ":") == 1 || index($2, "[" ip "]:") == 1) && $3 == port &&
	    $4 == size && $5 ~ /^[0-9.]+$/ && $6 ~ /^[0-9.]+$/ && $7 == "yes" &&
	    (client ? $8 ~ /^Cliente[0-9]+-Prueba-[0-9]+(-[0-9]+)?\.txt$/ : $8 == "-") \
	    { n++ } END { print n + 0 }' "$f")
	is "$rows" "$n" "$what: a row per connection: number, address, server port, bytes, time, rate, yes, copy"
}

# log_pairs DIR ROLE: the stems of the logs there (each must have both
# files and a well-formed name).
log_pairs() {
	local f
	for f in "$1"/*; do
		[ -e "$f" ] || continue
		case $f in *-samples.tsv | *-samples-[0-9]*.tsv) continue ;; esac
		basename "$f"
	done | sed -n 's/\.\(txt\|tsv\)$//p' | sort | uniq -c |
	    awk -v role="-$2-" '{ print $1 == 2 && index($2, role) ? $2 : "unpaired:" $2 }'
}

check_names_well_formed() {
	local f bad=
	for f in "$1"/*; do
		[ -e "$f" ] || continue
		[[ $(basename "$f") =~ $LOG_NAME_RE ]] || bad+=" $(basename "$f")"
	done
	is "$bad" "" "$2: log names are YYYY-MM-DD-HH-MM-SS-role-tcp-log[-N].txt/.tsv"
}

# check_received OUT N NAME: ClienteK-Prueba-N.txt for K = 1..N, each
# byte-identical to the catalogue file, and nothing else (no .part).
check_received() {
	local out=$1 n=$2 src=$CAT/$3 k bad= extra
	for ((k = 1; k <= n; k++)); do
		cmp -s "$src" "$out/Cliente$k-Prueba-$n.txt" || bad+=" $k"
	done
	is "$bad" "" "$n received files Cliente1..$n-Prueba-$n.txt equal $3 byte for byte"
	extra=$(cd "$out" 2>/dev/null && ls -A | grep -vxE "Cliente[0-9]+-Prueba-$n\.txt")
	is "$extra" "" "no other file (no .part) in the output folder"
}

# check_client_logs DIR N NAME: exactly one client log pair for this run,
# with every field.
check_client_logs() {
	local dir=$1 n=$2 name=$3 pairs
	pairs=$(log_pairs "$dir" client)
	is "$(echo "$pairs" | grep -c .)" 1 "one client log pair (.txt and .tsv)"
	check_names_well_formed "$dir" "client"
	check_tsv "$dir/$pairs.tsv" client "$n" "$name"
	check_text "$dir/$pairs.txt" "$n" "$name"
	CLIENT_TSV=$dir/$pairs.tsv
}

# check_server_log K N NAME: the Kth test this server logged.
check_server_log() {
	local k=$1 n=$2 name=$3 txt
	ok "server: log of test $k written" wait_server_logs "$k"
	txt=$(server_log "$k")
	ok "server: log $k has both .txt and .tsv" test -f "$txt" -a -f "${txt%.txt}.tsv"
	check_tsv "${txt%.txt}.tsv" server "$n" "$name"
	check_text "$txt" "$n" "$name"
	SERVER_TSV=${txt%.txt}.tsv
}

# The two logs describe the same connections: (client number, port) pairs.
check_logs_agree() {
	local port=client_port
	# Behind a NAT the server logs the ports the NAT chose.
	[ -n "${BEHIND_NAT:-}" ] && port=client
	is "$(paste -d: <(tsv_col "$1" client) <(tsv_col "$1" "$port") | sort)" \
	    "$(paste -d: <(tsv_col "$2" client) <(tsv_col "$2" "$port") | sort)" \
	    "client and server logs list the same client numbers and ports"
}

# transfer_ok TAG N NAME: one normal test of N connections: exit 0 and
# the files byte for byte. Run after each bad input to show the server
# still serves everyone else.
transfer_ok() {
	local tag=$1 n=$2 name=$3
	client "$tag" -c "$n" -y -f "$name" -o "$T/$tag-out" -L "$T/$tag-logs"
	is "$CLIENT_RC" 0 "$tag: ftclient -c $n -f $name exits 0"
	[ "$CLIENT_RC" = 0 ] || sed 's/^/    /' "$T/$tag.out" | tail -n 20 >&2
	check_received "$T/$tag-out" "$n" "$name"
}

# ---------------------------------------------------------------- cleanup

cleanup() {
	local rc=$? name
	for name in "${!BG[@]}"; do
		alive "${BG[$name]}" && kill -TERM "${BG[$name]}" 2>/dev/null
	done
	if [ -n "$SERVER_PID" ]; then
		kill_server
	fi
	raw_close 2>/dev/null
	if [ "$_failed" -eq 0 ] && [ "$rc" -eq 0 ] && [ -z "${FT_KEEP:-}" ]; then
		rm -rf "$T"
	else
		diag "files kept in $T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$SERVER_BIN" ] && [ -x "$CLIENT_BIN" ] ||
	bail "build first: make CI=1 server/ftserver$FT_SUFFIX client/ftclient$FT_SUFFIX"
mkdir -p "$T"
make_catalogue "$CAT"
