#!/usr/bin/env bash
# `make fuzz`: libFuzzer (+ AddressSanitizer) on the exposition parsers, one harness per format:
#   promsls-fuzz-text  Prometheus text 0.0.4     promsls-fuzz-om  OpenMetrics 1.0
# Each runs FUZZ_SECONDS (default 60). Seeds: the corpus-case inputs and real bodies in
# Tests/ExpositionTests/Fixtures plus the saved regressions; libFuzzer's own corpus grows in
# .build-fuzz/corpus-<name> across runs. Any crash / timeout / OOM input is copied to
# Tests/ExpositionTests/Fixtures/fuzz-regressions/ (replayed by FuzzRegressionTests) and the
# target fails.
#
# Built in its own scratch path (.build-fuzz): the sanitizer flags must never reach .build.
# Environment: FUZZ_SECONDS, FUZZ_MAX_LEN (default 4096 bytes), FUZZ_TARGETS ("text om"),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2" or "-seed=1"), SWIFT.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-4096}
FUZZ_TARGETS=${FUZZ_TARGETS:-text om}
FUZZ_ARGS=${FUZZ_ARGS:-}
SCRATCH=.build-fuzz
FIXTURES=Tests/ExpositionTests/Fixtures
REGRESSIONS=$FIXTURES/fuzz-regressions

# -sanitize=fuzzer,address in ONE flag: with two -sanitize= flags swiftc keeps only the last,
# and the coverage instrumentation silently disappears.
for t in $FUZZ_TARGETS; do
    "$SWIFT" build -c release --product "promsls-fuzz-$t" -Xswiftc -sanitize=fuzzer,address \
        --scratch-path "$SCRATCH"
done

# Seeds, rebuilt each run (read-only for libFuzzer: it writes new inputs to the first dir only).
seeds=$SCRATCH/seeds
rm -rf "$seeds"
mkdir -p "$seeds"
python3 - "$FIXTURES" "$seeds" <<'PY'
import os, sys
fixtures, out = sys.argv[1], sys.argv[2]
marker = b"--- input ---\n"
for name in sorted(os.listdir(os.path.join(fixtures, "cases"))):
    data = open(os.path.join(fixtures, "cases", name), "rb").read()
    at = data.find(b"\n" + marker)
    body = data[at + 1 + len(marker):] if at >= 0 else data
    open(os.path.join(out, "case-" + name), "wb").write(body)
for sub in ("real", "fuzz-regressions"):
    d = os.path.join(fixtures, sub)
    for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if not name.startswith("README"):
            open(os.path.join(out, sub + "-" + name), "wb").write(open(os.path.join(d, name), "rb").read())
PY

artifacts=$(mktemp -d "${TMPDIR:-/tmp}/promsls-fuzz.XXXXXX")
found=0
failed=0
summary=""
for t in $FUZZ_TARGETS; do
    corpus=$SCRATCH/corpus-$t
    log=$SCRATCH/fuzz-$t.log
    mkdir -p "$corpus" "$artifacts/$t"
    echo "== promsls-fuzz-$t: ${FUZZ_SECONDS}s, max_len $FUZZ_MAX_LEN (log: $log)"
    rc=0
    # SWIFT_BACKTRACE=enable=no: libFuzzer, not Swift's backtracer, must catch the trap.
    # shellcheck disable=SC2086
    SWIFT_BACKTRACE=enable=no "./$SCRATCH/release/promsls-fuzz-$t" \
        -max_total_time="$FUZZ_SECONDS" -max_len="$FUZZ_MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$t/" $FUZZ_ARGS \
        "$corpus" "$seeds" >"$log" 2>&1 || rc=$?
    if grep -q "not built with -sanitize=fuzzer" "$log"; then
        echo "promsls-fuzz-$t is not a libFuzzer binary (see $log)" >&2
        exit 1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([^ ]*\).*/cov \1, ft \2, corpus \3/p' <<<"$last")
    line="promsls-fuzz-$t: ${execs:-?} execs, ${rate:-?} exec/s, ${cov:-no coverage line}, exit $rc"
    crashes=()
    for f in "$artifacts/$t"/crash-* "$artifacts/$t"/timeout-* "$artifacts/$t"/oom-* "$artifacts/$t"/leak-*; do
        [ -e "$f" ] || continue
        dest=$REGRESSIONS/$t-$(basename "$f")
        mkdir -p "$REGRESSIONS"
        cp "$f" "$dest"
        crashes+=("$dest")
    done
    if [ ${#crashes[@]} -gt 0 ]; then
        found=1
        line="$line, FOUND: ${crashes[*]}"
        grep -E -A25 '^==[0-9]+==ERROR|Fatal error|SUMMARY|deadly signal' "$log" | head -60 >&2 || true
    elif [ "$rc" -ne 0 ]; then
        failed=1
        line="$line, FAILED without an artifact"
        tail -30 "$log" >&2
    fi
    echo "$line"
    summary+="$line"$'\n'
done

echo
echo "== fuzz summary"
printf '%s' "$summary"
if [ "$found" -ne 0 ]; then
    echo "fuzz: inputs saved under $REGRESSIONS; replay one with" \
        "SWIFT_BACKTRACE=enable=no ./$SCRATCH/release/promsls-fuzz-<text|om> FILE, then fix the parser" >&2
    exit 1
fi
[ "$failed" -eq 0 ]
