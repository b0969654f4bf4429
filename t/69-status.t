#!/bin/bash
# 69-status.t: ftserver --status ADDR:PORT (issue 13), against the real
# server and the real client.
# - Values refused at start: no port, a name, a port past 65535 (exit 2,
#   misuse); a port in use (exit 3, as -P in use), each with a message
#   naming the value and the reason, and no "listening on".
# - TCP, a 10-client test of a 3 MiB file: /metrics's counters exactly
#   (transfers ok 10, failed 0, bytes 10 x size, tests 1, connections 10,
#   refusals 0, 12 idle workers); promtool check metrics where installed
#   (and check config on contrib/prometheus.yml).
# - Refusals by code (a 404 and a 403 by hand), a killed worker
#   (worker_restarts_total 1, a new pid in its JSON row).
# - /status.json during a transfer (the client paused): a row per worker
#   with its pid, "sending" rows with the client's address and the file,
#   the running test; a hostile file name comes back exactly.
# - 404, 405 (with Allow), HEAD; the page: its rows, the name escaped,
#   a headless Chromium screenshot of sensible size where installed.
# - UDP, reliable, 5 clients: bytes, transfers and the datagram totals
#   equal the sums of the server log's columns.
# - After TERM the server exits 0 and the endpoint is gone.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ops-lib.sh"
. "$(dirname "$0")/status-lib.sh"

SIZE=3145728	# 3m.bin
HOSTILE="x<i>&\"y'.bin"
head -c 300001 /dev/urandom >"$CAT/$HOSTILE"
big_file "$CAT/big.bin" $((200 << 20)) || bail "cannot write a 200 MiB file"

# ---------------------------------------------------------------- refused

# bad_status VALUE RC REASON-ERE: refused at start, saying so.
bad_status() {
	local rc msg
	timeout 5 "$SERVER_BIN" -p 2 -P 0 -b "$HOST" -d "$CAT" -L "$T/bad-logs" \
	    --status "$1" >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	msg=$(head -1 "$T/bad.err")
	is "$rc" "$2" "--status $1: exit status $2 at start (124: it ran)"
	if [[ $msg == *"--status $1: "* ]] && [[ ${msg#*"--status $1: "} =~ $3 ]]; then
		pass "--status $1: says why ($msg)"
	else
		fail "--status $1: says why"
		diag "'$msg'" "does not name the value and match /$3/"
	fi
	ok "--status $1: never said it listens" eval '! grep -q "listening on" "$T/bad.out"'
}
bad_status 127.0.0.1 2 'needs ADDR:PORT'
bad_status nohost:9105 2 'not a numeric address'
bad_status 127.0.0.1:65536 2 'the port must be a number'

# ---------------------------------------------------------------- TCP

start_status_server -p 12
bad_status "$HOST:$SPORT" 3 "^cannot listen on 127\\.0\\.0\\.1 port $SPORT: Address already in use$"
ok "status: the workers are all idle at first" wait_metric 'ftserver_workers{state="idle"}' 12
is "$(metric 'ftserver_transfers_total{result="ok"}')" 0 "status: no transfer yet"

client c10 -c 10 -y -f 3m.bin -o "$T/c10-out" -L "$T/c10-logs"
is "$CLIENT_RC" 0 "ftclient -c 10 exits 0"
check_received "$T/c10-out" 10 3m.bin
ok "after the test: tests_total 1" wait_metric ftserver_tests_total 1
ok "after the test: the workers are all idle again" wait_metric 'ftserver_workers{state="idle"}' 12
curl -s -m 5 -o "$T/metrics1.txt" "$SURL/metrics"
want() { is "$(awk -v s="$1" '$1 == s { print $2 }' "$T/metrics1.txt")" "$2" "after 10 x 3m.bin: $1 $2"; }
want 'ftserver_transfers_total{result="ok"}' 10
want 'ftserver_transfers_total{result="failed"}' 0
want ftserver_bytes_sent_total $((10 * SIZE))
want ftserver_tests_total 1
want ftserver_connections_total 10
want ftserver_tests_queued 0
want ftserver_worker_restarts_total 0
want ftserver_udp_datagrams_sent_total 0
is "$(grep -c '^ftserver_workers{state=' "$T/metrics1.txt")" 9 "/metrics: a ftserver_workers series per slot state (9)"
is "$(awk '/^ftserver_refused_total/ { s += $2 } END { print s + 0 }' "$T/metrics1.txt")" 0 \
    "/metrics: no refusal"
ok "/metrics: every series has HELP and TYPE" awk '
    /^# HELP / { help[$3] = 1; next } /^# TYPE / { type[$3] = 1; next }
    { n = $1; sub(/\{.*/, "", n); if (!(n in help) || !(n in type)) bad = 1 }
    END { exit bad }' "$T/metrics1.txt"
ok "/metrics: no client address in any series" eval '! grep -q "127\.0\.0\.1" "$T/metrics1.txt"'
mapfile -t lines < <(grep -E '^ftserver_(transfers|bytes_sent|tests|connections)_total' "$T/metrics1.txt")
diag "/metrics after 10 x 3m.bin:" "${lines[@]}"
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check metrics <"$T/metrics1.txt" 2>&1)
	rc=$?
	is "$rc:$out" "0:" "promtool check metrics: no problem"
	ok "promtool check config contrib/prometheus.yml" eval 'promtool check config contrib/prometheus.yml >/dev/null 2>&1'
else
	skip 2 "promtool not installed (Debian: prometheus)"
fi

# Refusals by code, by hand.
refuse() { raw_open && raw_send "$1" && raw_read ANSWER 10; raw_close; }
refuse "GET nope.bin"
like "$ANSWER" '^ERR 404 ' "GET nope.bin: ERR 404"
refuse "GET ../etc/passwd"
like "$ANSWER" '^ERR 403 ' "GET ../etc/passwd: ERR 403"
ok "refused_total{code=404} 1" wait_metric 'ftserver_refused_total{code="404"}' 1
is "$(metric 'ftserver_refused_total{code="403"}')" 1 "refused_total{code=403} 1"
is "$(metric ftserver_connections_total)" 12 "connections_total 12"

# The JSON's worker rows: one per worker, the pids the server's children.
json_get
is "$(json 'scalar @{$j->{workers}}')" 12 "status.json: 12 worker rows"
is "$(json 'join " ", map { $_->{slot} } @{$j->{workers}}')" "$(seq -s ' ' 1 12)" "status.json: slots 1..12"
is "$(json 'join " ", sort { $a <=> $b } map { $_->{pid} } @{$j->{workers}}')" "$(workers | sed 's/ $//')" \
    "status.json: their pids are the server's workers"
is "$(json '$j->{totals}{transfers_ok} . " " . $j->{totals}{bytes_sent} . " " . $j->{totals}{refused}')" \
    "10 $((10 * SIZE)) 2" "status.json: totals (10 ok, the bytes, 2 refused)"
is "$(json 'my $s = 0; $s += $_->{transfers} for @{$j->{workers}}; $s')" 10 \
    "status.json: the workers' transfers add up to 10"
is "$(json '$j->{config}{workers} . " " . $j->{config}{port} . " " . $j->{config}{proto}')" "12 $PORT tcp" \
    "status.json: configuration (workers, port, proto)"
is "$(json '$j->{version}')" "$("$SERVER_BIN" --version | awk '{ print $2 }')" "status.json: the version"

# A killed worker is respawned and counted.
victim=$(json '$j->{workers}[2]{pid}')
kill -KILL "$victim"
ok "a killed worker: worker_restarts_total 1" wait_metric ftserver_worker_restarts_total 1
json_get
new=$(json '$j->{workers}[2]{pid}')
ok "a killed worker: slot 3 has a new pid ($victim -> $new)" test "$new" != "$victim" -a "$new" -gt 0

# During a transfer: sending rows, the client's address, the test.
client_bg mid -c 3 -y -f big.bin -o "$T/mid-out" -L "$T/mid-logs"
ok "the transfer starts" wait_titled 60 "^$PROG: worker [0-9]+ sending big\\.bin to "
pause_client mid
sending_rows() { json_get && [ "$(json 'scalar grep { $_->{state} eq "sending" } @{$j->{workers}}')" = 3 ]; }
ok "status.json mid-transfer: 3 workers sending" wait_for 10 sending_rows
is "$(json 'join ",", map { "$_->{client_ip}:$_->{file}:$_->{size}" } grep { $_->{state} eq "sending" } @{$j->{workers}}')" \
    "$HOST:big.bin:$((200 << 20)),$HOST:big.bin:$((200 << 20)),$HOST:big.bin:$((200 << 20))" \
    "status.json mid-transfer: each sending row names the client's address, the file and its size"
ok "status.json mid-transfer: client ports are real ports" test \
    "$(json 'scalar grep { $_->{state} eq "sending" && $_->{client_port} > 0 } @{$j->{workers}}')" = 3
is "$(json 'join " ", map { "$_->{state}:$_->{file}:$_->{expected}:$_->{joined}" } @{$j->{tests}}')" \
    "running:big.bin:3:3" "status.json mid-transfer: the running test, 3 of 3"
is "$(metric 'ftserver_workers{state="sending"}')" 3 "/metrics mid-transfer: workers{state=sending} 3"
is "$(metric ftserver_tests_in_progress)" 1 "/metrics mid-transfer: one test in progress"
http /
like "$HTTP_BODY" "<td>$HOST:[0-9]+</td><td>big\\.bin</td>" "the page mid-transfer: a sending row with the client and the file"
resume_client mid
client_wait mid
is "$CLIENT_RC" 0 "the paused transfer completes and verifies"
check_received "$T/mid-out" 3 big.bin
rm -f "$T"/mid-out/*

# A hostile file name, through the JSON and the page.
client hostile -c 1 -y -f "$HOSTILE" -o "$T/hostile-out" -L "$T/hostile-logs"
is "$CLIENT_RC" 0 "ftclient -f '$HOSTILE' exits 0"
ok "tests_total 3" wait_metric ftserver_tests_total 3
json_get
is "$(json 'my ($w) = grep { $_->{size} == 300001 } @{$j->{workers}}; $w->{file}')" "$HOSTILE" \
    "status.json: the hostile name decodes back exactly"
http /
ok "the page: the hostile name escaped" eval '[[ $HTTP_BODY == *"x&lt;i&gt;&amp;&quot;y&#39;.bin"* ]]'
ok "the page: no raw <i> from it" eval '[[ $HTTP_BODY != *"<i>"* ]]'

# ---------------------------------------------------------------- HTTP

http /nope
is "$HTTP_CODE" 404 "GET /nope: 404"
http /metrics -X POST
is "$HTTP_CODE" 405 "POST /metrics: 405"
allow=$(curl -s -m 5 -o /dev/null -D - -X DELETE "$SURL/" | tr -d '\r' | sed -n 's/^Allow: //Ip')
is "$allow" "GET, HEAD" "DELETE /: 405 says Allow: GET, HEAD"
head=$(curl -s -m 5 -I "$SURL/metrics" | tr -d '\r')
like "$head" '^HTTP/1\.1 200 .*Content-Type: text/plain; version=0\.0\.4' "HEAD /metrics: 200, the exposition's content type"
http '/metrics?x=1'
is "$HTTP_CODE" 200 "GET /metrics?x=1: 200 (the query is ignored)"
http /status.json
is "$HTTP_CODE" 200 "GET /status.json: 200"
ok "GET /status.json: valid JSON" eval 'printf "%s" "$HTTP_BODY" | perl -MJSON::PP -0777 -e "decode_json(<STDIN>)"'

http /
is "$HTTP_CODE" 200 "GET /: 200"
like "$HTTP_BODY" '<meta http-equiv=refresh content=[0-9]+>' "the page reloads itself"
like "$HTTP_BODY" 'name=viewport' "the page has a viewport (phones)"
is "$(grep -o '<tr class=' <<<"$HTTP_BODY" | wc -l)" 12 "the page: a row per worker"
if command -v chromium >/dev/null 2>&1; then
	timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu \
	    --hide-scrollbars --user-data-dir="$T/chromium" \
	    --screenshot="$T/page.png" --window-size=412,915 "$SURL/" \
	    >"$T/chromium.out" 2>&1
	is "$(head -c 8 "$T/page.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a \
	    "chromium: the screenshot is a PNG"
	is "$(od -An -tu1 -j 16 -N 8 "$T/page.png" 2>/dev/null | awk '{ print $3 * 256 + $4 "x" $7 * 256 + $8 }')" \
	    412x915 "chromium: the phone-sized viewport (412x915)"
	png=$(size_of "$T/page.png" 2>/dev/null || echo 0)
	# A blank page of that size is about 3 KB; text and tables make more.
	ok "chromium: a screenshot of sensible size ($png bytes)" test "$png" -gt 10000 -a "$png" -lt 5000000
else
	skip 3 "chromium not installed (Debian: chromium): no screenshot"
fi
stop_server
ok "after TERM the status endpoint is gone" eval '! curl -s -m 2 -o /dev/null "$SURL/metrics"'

# ---------------------------------------------------------------- UDP

. "$(dirname "$0")/udp-lib.sh"
start_status_server -u -p 6 -m reliable
client udp5 -c 5 -u -y -f odd.bin -o "$T/udp5-out" -L "$T/udp5-logs"
is "$CLIENT_RC" 0 "UDP: ftclient -u -c 5 exits 0"
check_received "$T/udp5-out" 5 odd.bin
ok "UDP: tests_total 1" wait_metric ftserver_tests_total 1
tsv=$(server_log 1)
tsv=${tsv%.txt}.tsv
curl -s -m 5 -o "$T/metrics2.txt" "$SURL/metrics"
m2() { awk -v s="$1" '$1 == s { print $2 }' "$T/metrics2.txt"; }
is "$(m2 'ftserver_transfers_total{result="ok"}')" 5 "UDP: transfers_total{ok} 5"
is "$(m2 ftserver_bytes_sent_total)" $((5 * 1000003)) "UDP: bytes_sent_total 5 x odd.bin"
is "$(m2 ftserver_udp_datagrams_sent_total)" "$(udp_sum "$tsv" datagrams)" \
    "UDP: datagrams_sent_total = the server log's datagrams ($(udp_sum "$tsv" datagrams))"
is "$(m2 ftserver_udp_datagrams_resent_total)" "$(udp_sum "$tsv" datagrams_resent)" \
    "UDP: datagrams_resent_total = the log's"
is "$(m2 ftserver_udp_datagrams_lost_total)" "$(udp_sum "$tsv" datagrams_lost)" \
    "UDP: datagrams_lost_total = the log's"
ok "UDP: at least the file's datagrams, 5 times" test "$(m2 ftserver_udp_datagrams_sent_total)" -ge 5
like "$(grep '^ftserver_info' "$T/metrics2.txt")" 'proto="udp",mode="reliable"' "UDP: ftserver_info says udp, reliable"
stop_server
done_testing
