#!/bin/bash
# 70-fuzz.t: runs each libFuzzer harness briefly on its seed corpus (the
# long runs are `make fuzz`). The harnesses are ASan builds already, so
# the sanitizer pass of the suite skips them.
cd "$(dirname "$0")/.." || exit 1
fuzzers="t/fuzz/fuzz-request t/fuzz/fuzz-dgram"
echo "1..2"
n=0
for f in $fuzzers; do
	n=$((n + 1))
	name=${f##*/}
	if [ -n "${FT_SUFFIX:-}" ]; then
		echo "ok $n # skip $name: already runs under ASan in the plain pass"
		continue
	fi
	if [ ! -x "$f" ]; then
		echo "ok $n # skip $name: not built (needs clang with libFuzzer)"
		continue
	fi
	work=t/tmp/$name
	mkdir -p "$work"
	if "$f" -max_total_time=5 -timeout=5 "$work" "t/fuzz/corpus-${name#fuzz-}" \
	    > "$work.log" 2>&1; then
		echo "ok $n - $name: $(grep -o 'Done [0-9]* runs' "$work.log")"
	else
		echo "not ok $n - $name found a crash:"
		sed 's/^/# /' "$work.log" | tail -30
	fi
done
