#!/usr/bin/env bash
# fuzz.sh: runs, merges and replays the libFuzzer targets of fuzz/ (see the Makefile).
#
#   scripts/fuzz.sh run TARGET...     each target for $FUZZ_SECONDS (60), $FUZZ_JOBS (1)
#                                     at a time under nice -n 10; new inputs go to
#                                     build/fuzz/corpus/TARGET, crashes to
#                                     build/fuzz/artifacts/; prints execs and corpus sizes
#   scripts/fuzz.sh merge TARGET...   adds the inputs of build/fuzz/corpus/TARGET that
#                                     bring new coverage to fuzz/corpus/TARGET (-merge=1),
#                                     skipping inputs over $FUZZ_MERGE_MAX_BYTES (16384)
#   scripts/fuzz.sh replay TARGET...  fuzz/corpus/TARGET through build/asan/fuzz/TARGET (gcc,
#                                     ASan + UBSan, no libFuzzer); one summary line
#
# Exits 1 when a run found a crash or a replayed input crashed.
set -uo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
shift || true
[ -n "$mode" ] && [ $# -gt 0 ] || {
	echo "usage: $0 run|merge|replay TARGET..." >&2
	exit 2
}

# The dictionary of a target: fuzz/<target minus fuzz_>.dict, else fuzz/json.dict.
dict_of() {
	local own="fuzz/${1#fuzz_}.dict"
	if [ -f "$own" ]; then echo "$own"; else echo fuzz/json.dict; fi
}

count_files() {
	find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l
}

run_one() {
	local t=$1 seconds=$2
	local work=build/fuzz/corpus/$t log=build/fuzz/logs/$t.log
	mkdir -p "$work" build/fuzz/artifacts build/fuzz/logs "fuzz/corpus/$t"
	nice -n 10 "build/fuzz/bin/$t" -max_total_time="$seconds" -dict="$(dict_of "$t")" \
		-max_len=16384 -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
		-artifact_prefix="build/fuzz/artifacts/$t-" "$work" "fuzz/corpus/$t" >"$log" 2>&1
	echo $? >"build/fuzz/logs/$t.rc"
}

report_one() {
	local t=$1 log=build/fuzz/logs/$1.log rc
	rc=$(cat "build/fuzz/logs/$t.rc" 2>/dev/null || echo "?")
	local execs speed secs
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -n1 | awk '{print $5}')
	local crashes
	crashes=$(find build/fuzz/artifacts -name "$t-*" -type f 2>/dev/null | wc -l)
	printf '%-20s %6ss %12s execs %8s exec/s  corpus %5s (committed %s)  rc %s  artifacts %s\n' \
		"$t" "${secs:-?}" "${execs:-?}" "${speed:-?}" "$(count_files "build/fuzz/corpus/$t")" \
		"$(count_files "fuzz/corpus/$t")" "$rc" "$crashes"
	[ "$rc" = 0 ]
}

case $mode in
run)
	seconds=${FUZZ_SECONDS:-60}
	jobs=${FUZZ_JOBS:-1}
	pids=()
	for t in "$@"; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		echo "fuzz: $t for ${seconds}s (log: build/fuzz/logs/$t.log)"
		run_one "$t" "$seconds" &
		pids+=($!)
	done
	wait
	status=0
	for t in "$@"; do
		report_one "$t" || status=1
	done
	[ $status -eq 0 ] || echo "fuzz: a target failed; inputs in build/fuzz/artifacts/" >&2
	exit $status
	;;
merge)
	max=${FUZZ_MERGE_MAX_BYTES:-16384}
	for t in "$@"; do
		work=build/fuzz/corpus/$t
		[ -d "$work" ] || continue
		before=$(count_files "fuzz/corpus/$t")
		small=$(mktemp -d)
		find "$work" -maxdepth 1 -type f -size -"$((max + 1))"c -exec cp {} "$small/" \;
		"build/fuzz/bin/$t" -merge=1 "fuzz/corpus/$t" "$small" >"build/fuzz/logs/$t.merge.log" 2>&1
		rm -rf "$small"
		echo "merge: $t: $before -> $(count_files "fuzz/corpus/$t") files" \
			"($(du -sk "fuzz/corpus/$t" | cut -f1) KiB on disk)"
	done
	;;
replay)
	files=0
	crashes=0
	for t in "$@"; do
		out=$("build/asan/fuzz/$t" "fuzz/corpus/$t" 2>"build/asan/fuzz/$t.stderr")
		rc=$?
		n=$(count_files "fuzz/corpus/$t")
		files=$((files + n))
		if [ $rc -ne 0 ]; then
			crashes=$((crashes + 1))
			echo "fuzz replay: $t crashed (exit $rc) after: ${out:-0 files}" >&2
			tail -n 40 "build/asan/fuzz/$t.stderr" >&2
			echo "(rerun with FUZZ_REPLAY_VERBOSE=1 build/asan/fuzz/$t fuzz/corpus/$t)" >&2
		fi
	done
	echo "fuzz replay: $files files, $crashes crashes"
	[ $crashes -eq 0 ]
	;;
*)
	echo "usage: $0 run|merge|replay TARGET..." >&2
	exit 2
	;;
esac
