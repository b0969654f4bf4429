#!/bin/bash
# 28-silent-member.t: a silent member of an -n group (issue 8). Server
# -n 3 -t 4: two ftclient -c 1 runs join and confirm, and a raw
# connection GETs and never says READY. The test has one deadline,
# counted from its first offer: every seat was taken, so at that deadline
# the silent one is dropped with ERR 408 and the test starts with the two
# ready ones. Both exit 0 with their files, and the test's log has 3
# rows: 2 ok, and one no saying the client never confirmed ready.
# The silent one arrives last (a second after the others: today the ready
# ones then give up first, the test aborted with a misleading reason), and
# then first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/share-lib.sh"

# silent_member TAG DELAY ORDER: ORDER "last": the two runs, DELAY, the
# silent one; "first": the silent one, then the two runs.
silent_member() {
	local tag=$1 delay=$2 order=$3 t0 p got tsv member
	start_server -p 4 -n 3 -t 4
	t0=$(now_ms)
	if [ "$order" = last ]; then
		client_bg "$tag-a" -c 1 -y -f odd.bin -o "$T/$tag-a-out" -L "$T/$tag-a-logs"
		client_bg "$tag-b" -c 1 -y -f odd.bin -o "$T/$tag-b-out" -L "$T/$tag-b-logs"
		sleep "$delay"
		member=3
	else
		member=1
	fi
	raw_open
	raw_send "GET odd.bin"
	raw_read offer
	like "$offer" "^OK member=$member group=3 file=odd\\.bin " "$tag: the silent connection is member $member of 3"
	if [ "$order" = first ]; then
		client_bg "$tag-a" -c 1 -y -f odd.bin -o "$T/$tag-a-out" -L "$T/$tag-a-logs"
		client_bg "$tag-b" -c 1 -y -f odd.bin -o "$T/$tag-b-out" -L "$T/$tag-b-logs"
	fi
	raw_read reply 15
	took=$(($(now_ms) - t0))
	like "$reply" '^ERR 408 ' "$tag: the silent one gets ERR 408 ($reply)"
	ok "$tag: at the test's deadline, 4 s after its first offer ($took ms, <= 4800)" test "$took" -le 4800
	raw_close
	client_wait "$tag-a"
	rc_a=$CLIENT_RC
	client_wait "$tag-b"
	is "$rc_a $CLIENT_RC" "0 0" "$tag: both ftclient runs that confirmed exit 0"
	for p in a b; do
		grep -h 'failed' "$T/$tag-$p.out" | head -2 | sed "s/^/    $tag-$p: /" >&2
		got=$(ls "$T/$tag-$p-out"/Cliente*-Prueba-3.txt 2>/dev/null | head -1)
		ok "$tag-$p: its file ${got:+$(basename "$got") }is byte-identical to odd.bin" \
		    cmp -s "$CAT/odd.bin" "${got:-/nonexistent}"
	done
	ok "$tag: the server logs the test" wait_server_logs 1
	is "$(log_pairs "$SLOGS" server | grep -vc unpaired)" 1 "$tag: one log pair"
	tsv=$(server_log 1)
	tsv=${tsv%.txt}.tsv
	is "$(tsv_rows "$tsv")" 3 "$tag: its log has 3 rows"
	is "$(tsv_col "$tsv" ok | sort | tr '\n' ' ')" "no yes yes " "$tag: two ok, one no"
	paste <(tsv_col "$tsv" ok) <(tsv_col "$tsv" reason) | sed "s/^/    $tag row: /" >&2
	file_like "$tsv" $'\tno\tthe client never confirmed ready' "$tag: the no says the client never confirmed ready"
	transfer_ok "$tag-after" 3 64k.bin
	stop_server
}

silent_member last 1 last
silent_member first 0 first
done_testing
