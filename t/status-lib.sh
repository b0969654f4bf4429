# t/status-lib.sh: what the status endpoint's tests (t/69, t/6a) add to
# lib.sh. Each sources both:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/status-lib.sh"
#
# Server:   start_status_server ARGS (start_server with --status on a free
#           loopback port; SPORT and SURL)
# HTTP:     http PATH [CURL ARGS] (body in HTTP_BODY, status in HTTP_CODE),
#           metric SERIES (its value now, from /metrics), wait_metric
#           SERIES VALUE (polls until equal; METRIC has the last value)
# JSON:     json_get (fetches /status.json into $T/status.json),
#           json PERL-EXPR (evaluates it with $j the decoded document)
#
# Every request has a deadline (curl -m), every wait is bounded.

command -v curl >/dev/null 2>&1 || { echo "1..0 # skip no curl"; exit 0; }

# start_status_server ARGS: the real server with --status 127.0.0.1:0;
# its "status on http://ADDR:PORT/" line comes before "listening on".
start_status_server() {
	start_server --status "$HOST:0" "$@"
	SPORT=$(sed -n 's|.*status on http://.*:\([0-9][0-9]*\)/ .*|\1|p' "$SERVER_OUT")
	[ -n "$SPORT" ] || abort_test "the server says where its status is"
	SURL=http://$HOST:$SPORT
}

# http PATH [CURL ARGS]: one request; HTTP_CODE (000 when none came back)
# and HTTP_BODY.
http() {
	local path=$1
	shift
	HTTP_BODY=$(curl -s -m 5 -o - -w '\n%{http_code}' "$@" "$SURL$path" 2>/dev/null)
	HTTP_CODE=${HTTP_BODY##*$'\n'}
	HTTP_BODY=${HTTP_BODY%$'\n'*}
}

# metric SERIES: e.g. metric 'ftserver_transfers_total{result="ok"}'.
metric() {
	curl -s -m 5 "$SURL/metrics" 2>/dev/null | awk -v s="$1" '$1 == s { print $2 }'
}

metric_is() { METRIC=$(metric "$1"); [ "$METRIC" = "$2" ]; }

# wait_metric SERIES VALUE: counters move a moment after the client has
# exited (the worker accounts after its BYE, the master logs after).
wait_metric() { wait_for 20 metric_is "$1" "$2"; }

json_get() { curl -s -m 5 -o "$T/status.json" "$SURL/status.json"; }

json() {
	perl -MJSON::PP -0777 -e 'my $j = decode_json(<STDIN>); my $v = eval $ARGV[0];
	    die $@ if $@; print defined $v ? "$v\n" : "undef\n"' "$1" <"$T/status.json"
}
