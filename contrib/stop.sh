# contrib/stop.sh: how the contrib scripts stop a process they started
# (sourced by demo.sh, bench.sh and perf-matrix). Every wait is bounded.

# wait_exit PID SECONDS: 0 once PID is gone, 1 if it still runs after
# SECONDS (polled every 0.1 s).
wait_exit() {
	local pid=$1 seconds=$2 i
	for ((i = 0; i < seconds * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# stop_pid PID [SECONDS]: SIGTERM (ftserver lets transfers finish), after
# SECONDS (15) a second TERM (ftserver then stops its workers at once),
# after 3 s more KILL for PID and the children it had. Returns PID's exit
# status.
stop_pid() {
	local pid=$1 grace=${2:-15} children c status=0
	if kill -0 "$pid" 2>/dev/null; then
		children=$(pgrep -P "$pid" || true)
		kill -TERM "$pid" 2>/dev/null || true
		if ! wait_exit "$pid" "$grace"; then
			echo "stop: pid $pid still runs after ${grace} s: TERM again" >&2
			kill -TERM "$pid" 2>/dev/null || true
			if ! wait_exit "$pid" 3; then
				echo "stop: killing pid $pid and its children" >&2
				kill -KILL "$pid" 2>/dev/null || true
				for c in $children; do
					kill -KILL "$c" 2>/dev/null || true
				done
			fi
		fi
	fi
	wait "$pid" 2>/dev/null || status=$?
	return "$status"
}
