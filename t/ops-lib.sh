# t/ops-lib.sh: what the operations tests (t/5x-*.t, t/90-valgrind.t)
# add to lib.sh. Each sources both:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/ops-lib.sh"
#
# Files:    big_file PATH BYTES (incompressible, fast)
# Workers:  workers (pids, sorted), nworkers, title PID (its ps title, as
#           /proc/PID/cmdline has it), titles (pid and title per worker),
#           worker_titled ERE (the first worker whose title matches),
#           count_titled ERE, wait_titled SECONDS ERE (polls every 10 ms;
#           sets VICTIM); PROG is the program name the titles start with
# Stats:    dump (SIGUSR1, waits for the dump; DUMP), dumped N, dump_rows,
#           slot_pid K
# Clients:  client_pid NAME (the ftclient under client_bg NAME's timeout),
#           pause_client NAME / resume_client NAME (SIGSTOP / SIGCONT): a
#           stopped client holds its transfers in the middle
# Raw:      raw_local_port (the local port of the raw connection),
#           raw_stall NAME BYTES (a transfer that stops being read)
# Time:     now_ms
#
# Every wait is bounded.

# big_file PATH BYTES: incompressible bytes, an AES-CTR keystream (about
# 1 GB/s), or /dev/urandom where openssl is missing.
big_file() {
	if command -v openssl >/dev/null 2>&1; then
		openssl enc -aes-128-ctr -nosalt -pass pass:ft-ops -pbkdf2 \
		    -in /dev/zero 2>/dev/null | head -c "$2" >"$1"
	else
		head -c "$2" /dev/urandom >"$1"
	fi
	[ "$(size_of "$1")" = "$2" ]
}

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# ---------------------------------------------------------------- workers

# The titles start with the program's name: "ftserver: worker 3 idle"
# ("ftserver-asan: ..." for the sanitizer build).
PROG=${SERVER_BIN##*/}

workers() { pgrep -P "$SERVER_PID" | sort -n | tr '\n' ' '; }
nworkers() { pgrep -P "$SERVER_PID" | grep -c .; }

# title PID: the process title, i.e. the first NUL-terminated string of
# its command line (libbsd's setproctitle may leave padding after it).
title() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -1; }

titles() {
	local p
	for p in $(workers); do printf '%s %s\n' "$p" "$(title "$p")"; done
}

# worker_titled ERE: prints the pid of the first worker whose title matches.
worker_titled() {
	local p
	for p in $(workers); do
		[[ $(title "$p") =~ $1 ]] && { echo "$p"; return 0; }
	done
	return 1
}

# wait_titled SECONDS ERE: polls every 10 ms (bounded) for a worker whose
# title matches; its pid in VICTIM.
wait_titled() {
	local deadline=$(($(now_ms) + $1 * 1000))
	VICTIM=
	while [ "$(now_ms)" -le "$deadline" ]; do
		VICTIM=$(worker_titled "$2") && return 0
		sleep 0.01
	done
	return 1
}

# count_titled ERE: how many workers' titles match.
count_titled() {
	local p n=0
	for p in $(workers); do [[ $(title "$p") =~ $1 ]] && n=$((n + 1)); done
	echo "$n"
}

# ---------------------------------------------------------------- stats

# dump: sends USR1 to the master and waits for one more totals line; DUMP
# is that dump (header, a row per slot, totals). DUMPS counts them.
DUMPS=0
dump() {
	local before
	before=$(count_lines '^totals:' "$SERVER_OUT")
	before=${before:-0}
	kill -USR1 "$SERVER_PID"
	DUMP=
	if wait_for 10 dumped "$((before + 1))"; then
		DUMPS=$((before + 1))
		DUMP=$(awk -v n="$DUMPS" '/^slot +pid +state/ { k++ } k == n' "$SERVER_OUT" |
		    sed '/^totals:/q')
		[ -n "$DUMP" ]
	else
		return 1
	fi
}

dumped() { [ "$(count_lines '^totals:' "$SERVER_OUT")" -ge "$1" ]; }

# dump_rows: "slot pid state" of each worker row in DUMP.
dump_rows() { echo "$DUMP" | awk '$1 ~ /^[0-9]+$/ { print $1, $2, $3 }'; }

# slot_pid K: the pid the last DUMP shows in slot K.
slot_pid() { dump_rows | awk -v k="$1" '$1 == k { print $2 }'; }

# ---------------------------------------------------------------- clients

# client_pid NAME: client_bg runs timeout(1), which runs ftclient.
client_pid() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$(pgrep -P "${BG[$1]}" | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.01
	done
	return 1
}

pause_client() { kill -STOP "$(client_pid "$1")"; }
resume_client() { kill -CONT "$(client_pid "$1")" 2>/dev/null; }

# ---------------------------------------------------------------- raw

# raw_local_port: the local (client) port of the raw connection, from the
# socket's inode in /proc/net/tcp{,6}.
raw_local_port() {
	local ino hex
	ino=$(readlink "/proc/$BASHPID/fd/$RAW" | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
	[ -n "$ino" ] || return 1
	hex=$(awk -v ino="$ino" '$10 == ino { split($2, a, ":"); print a[2]; exit }' \
	    /proc/net/tcp /proc/net/tcp6 2>/dev/null)
	[ -n "$hex" ] && echo $((16#$hex))
}

# raw_stall NAME BYTES: over the raw connection (already greeted), asks for
# NAME, says READY, reads the DATA line and BYTES of the body, and then
# stops reading: its worker stays "sending", blocked on a full socket.
raw_stall() {
	raw_send "GET $1"
	raw_read OFFER 10 || return 1
	[[ $OFFER == OK* ]] || return 1
	raw_send READY
	raw_read DATA_LINE 30 || return 1
	[[ $DATA_LINE == DATA* ]] || return 1
	head -c "$2" <&"$RAW" >"$T/stall.head"
	[ "$(size_of "$T/stall.head")" = "$2" ]
}
