#!/bin/bash
# 14-admission.t: "runs starve each other" (issue 8). A test is seated
# whole or not at all. On -p 25, two runs of group=20 whose connections
# interleave (A1, B1, A2, B2, ...: 13 of A and 12 of B, written by hand so
# the interleaving is certain) must not each hold part of the pool and
# wait for the rest forever: A, the first to arrive, is seated and its 20
# seats are reserved; B is told `QUEUED ahead=0 need=20 free=5` and closed;
# A's last 7 connections are seated, A runs to the end, then B comes back
# (same run id) and is seated.
# Then four runs: A, B, C of 10 interleaved and a D of 5 after them: A
# and B are seated, C is queued, and D, although it would fit in the 5
# free seats, is queued behind C (first come, first served between runs).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/share-lib.sh"

RUN_A=a1a1a1a1a1a1a1a1
RUN_B=b2b2b2b2b2b2b2b2
RUN_C=c3c3c3c3c3c3c3c3
RUN_D=d4d4d4d4d4d4d4d4

# get NAME RUN GROUP K: the GET a client run sends for its connection K.
get() { peer_get "$1" "GET odd.bin group=$3 client=$4 run=$2 proto=tcp" "${5:-5}"; }

# replies ERE NAME...: how many of these connections got a reply
# matching, in N; the others' replies in ODD.
replies() {
	local re=$1 name
	shift
	N=0
	ODD=
	for name in "$@"; do
		if [[ ${REPLY[$name]:-} =~ $re ]]; then N=$((N + 1)); else ODD+=" $name:${REPLY[$name]:-}"; fi
	done
	ODD=${ODD# }
}

# closed DEADLINE_MS NAME...: how many the server closed by then, in N.
closed() {
	local deadline=$1 name
	shift
	N=0
	for name in "$@"; do peer_eof "$name" "$deadline" && N=$((N + 1)); done
}

# come_back NAME RUN GROUP K SECONDS: a queued run's new connection, again
# every 0.5 s while it is told QUEUED (bounded), as ftclient does.
come_back() {
	local deadline=$(($(now_ms) + $5 * 1000)) tries=0
	while :; do
		tries=$((tries + 1))
		get "$1" "$2" "$3" "$4" 3
		[[ ${REPLY[$1]} == QUEUED* ]] || break
		peer_close "$1"
		[ "$(now_ms)" -ge "$deadline" ] && break
		sleep 0.5
	done
	TRIES=$tries
}

seq_names() { local k; for ((k = $2; k <= $3; k++)); do printf '%s%d ' "$1" "$k"; done; }

# ---------------------------------------------------------------- two runs of 20

start_server -p 25 -t 20

for ((k = 1; k <= 13; k++)); do
	get "a$k" $RUN_A 20 "$k"
	((k <= 12)) && get "b$k" $RUN_B 20 "$k"
done
A13=$(seq_names a 1 13)
B12=$(seq_names b 1 12)
replies '^OK member=[0-9]+ group=20 file=odd\.bin ' $A13
is "$N" 13 \
    "interleaved: A's first 13 connections are offered its test of 20 ($ODD)"
diag "A1: ${REPLY[a1]}" "B1: ${REPLY[b1]}"
like "${REPLY[b1]}" '^QUEUED ahead=0 need=20 free=5( |$)' \
    "interleaved: B's first GET is told QUEUED ahead=0 need=20 free=5"
replies '^QUEUED ' $B12
is "$N" 12 "interleaved: every one of B's 12 connections is told QUEUED ($ODD)"
closed $(($(now_ms) + 2000)) $B12
is "$N" 12 \
    "interleaved: and the server closes each of them (EOF within 2 s)"

# A's last 7 arrive: its reserved seats are free for them. (B's sockets
# stay open on this side, as a waiting client's would: today B's
# connections hold the other 12 workers, and these 7 wait in the listen
# queue.)
t0=$(now_ms)
for ((k = 14; k <= 20; k++)); do
	peer_open "a$k" && peer_send "a$k" "GET odd.bin group=20 client=$k run=$RUN_A proto=tcp"
done
for ((k = 14; k <= 20; k++)); do peer_reply "a$k" $((t0 + 3000)); done
A7=$(seq_names a 14 20)
replies '^OK member=[0-9]+ group=20 file=odd\.bin ' $A7
is "$N" 7 \
    "A's last 7 connections are seated within 3 s ($ODD)"

for name in $B12; do peer_close "$name"; done

# B comes back while A holds its seats: queued again, not seated.
get b1 $RUN_B 20 1 3
like "${REPLY[b1]}" '^QUEUED ahead=0 need=20 free=5( |$)' "B coming back while A gathers: QUEUED again"
peer_close b1

A20=$(seq_names a 1 20)
replies '^OK ' $A20
if [ "$N" = 20 ]; then
	peer_transfer $A20
	is "$XFER_OK" 20 "A's test runs to the end: BYE ok on its 20 connections ($XFER_BAD)"
else
	fail "A's test runs to the end: it never had its 20 connections"
fi
peer_close_all

# B comes back (same run id): now seated, whole.
come_back b1 $RUN_B 20 1 5
like "${REPLY[b1]}" '^OK member=[0-9]+ group=20 file=odd\.bin ' \
    "B comes back after A: seated (after $TRIES tries; ${REPLY[b1]})"
if [[ ${REPLY[b1]} == OK* ]]; then
	for ((k = 2; k <= 20; k++)); do get "b$k" $RUN_B 20 "$k" 3; done
	B20=$(seq_names b 1 20)
	replies '^OK member=[0-9]+ group=20 file=odd\.bin ' $B20
	is "$N" 20 "B's 20 connections are seated ($ODD)"
	peer_transfer $B20
	is "$XFER_OK" 20 "B's test runs to the end: BYE ok on its 20 connections ($XFER_BAD)"
else
	fail "B's 20 connections are seated"
	fail "B's test runs to the end"
fi
peer_close_all
ok "the server logs A's and B's tests" wait_server_logs 2
is "$(log_pairs "$SLOGS" server | grep -c .)" 2 \
    "two log pairs, none for the queued attempts ($(ls "$SLOGS" | wc -l) files)"
for k in 1 2; do
	tsv=$(server_log "$k")
	tsv=${tsv%.txt}.tsv
	is "$(tsv_rows "$tsv") $(tsv_col "$tsv" ok | sort -u | tr '\n' ' ')" "20 yes " \
	    "log $k: 20 rows, all ok"
done
transfer_ok after-two 25 64k.bin
stop_server

# ---------------------------------------------------------------- four runs

start_server -p 25 -t 20
for ((k = 1; k <= 10; k++)); do
	get "a$k" $RUN_A 10 "$k"
	get "b$k" $RUN_B 10 "$k"
	get "c$k" $RUN_C 10 "$k"
done
get d1 $RUN_D 5 1
A10=$(seq_names a 1 10)
B10=$(seq_names b 1 10)
C10=$(seq_names c 1 10)
diag "A1: ${REPLY[a1]}" "C1: ${REPLY[c1]}" "D1: ${REPLY[d1]}"
replies '^OK member=[0-9]+ group=10 file=odd\.bin ' $A10 $B10
is "$N" 20 \
    "four runs: A and B (10 each) are seated ($ODD)"
like "${REPLY[c1]}" '^QUEUED ahead=0 need=10 free=5( |$)' "four runs: C is told QUEUED ahead=0 need=10 free=5"
replies '^QUEUED ' $C10
is "$N" 10 "four runs: each of C's connections is told QUEUED ($ODD)"
like "${REPLY[d1]}" '^QUEUED ahead=1 need=5 free=5( |$)' \
    "four runs: D (5) would fit but C came first: QUEUED ahead=1 need=5 free=5"
closed $(($(now_ms) + 2000)) $C10 d1
is "$N" 11 "four runs: the queued connections are closed"
replies '^OK ' $A10
if [ "$N" = 10 ]; then
	peer_transfer $A10
	is "$XFER_OK" 10 "four runs: A runs to the end ($XFER_BAD)"
else
	fail "four runs: A runs to the end: it never had its 10 connections"
fi
for name in $A10 $C10 d1; do peer_close "$name"; done
come_back c1 $RUN_C 10 1 5
like "${REPLY[c1]}" '^OK member=[0-9]+ group=10 file=odd\.bin ' "four runs: C comes back after A: seated (${REPLY[c1]})"
for ((k = 2; k <= 10; k++)); do get "c$k" $RUN_C 10 "$k" 3; done
replies '^OK ' $C10
is "$N" 10 "four runs: all of C is seated ($ODD)"
come_back d1 $RUN_D 5 1 5
like "${REPLY[d1]}" '^OK member=[0-9]+ group=5 file=odd\.bin ' "four runs: D comes back: seated in the last 5 seats (${REPLY[d1]})"
for ((k = 2; k <= 5; k++)); do get "d$k" $RUN_D 5 "$k" 3; done
D5=$(seq_names d 1 5)
replies '^OK ' $D5
is "$N" 5 "four runs: all of D is seated ($ODD)"
bad=
for run in B10 C10 D5; do
	replies '^OK ' ${!run}
	if [ "$N" = "${run:1}" ]; then
		peer_transfer ${!run}
		[ "$XFER_OK" = "${run:1}" ] || bad+=" ${run:0:1}:$XFER_BAD"
	else
		bad+=" ${run:0:1}:not-seated"
	fi
done
is "${bad# }" "" "four runs: B, C and D run to the end"
[ -n "$bad" ] && diag "not to the end:$bad"
peer_close_all
ok "four runs: four tests logged" wait_server_logs 4
is "$(log_pairs "$SLOGS" server | grep -c .)" 4 "four runs: four log pairs ($(ls "$SLOGS" | wc -l) files)"
stop_server
done_testing
