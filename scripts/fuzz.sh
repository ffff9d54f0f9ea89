#!/usr/bin/env bash
# `make fuzz`: libFuzzer (+ AddressSanitizer) on promsls's input decoders, one harness each:
#   promsls-fuzz-text    Prometheus text 0.0.4 parser
#   promsls-fuzz-om      OpenMetrics 1.0 parser
#   promsls-fuzz-wal     WAL record decoder, start-up repair, writer/reader round trip
#   promsls-fuzz-config  config loader (any bytes as prometheus.yml)
# Each runs FUZZ_SECONDS (default 60; CI runs 30). Seeds: for the parsers the corpus-case
# inputs and real bodies in Tests/ExpositionTests/Fixtures; for the WAL segments of every
# record type (`promsls-fuzz-wal --write-seeds`); for the loader the config fixtures in
# Tests/AgentConfigTests/Fixtures; plus each harness's saved regressions. libFuzzer's own
# corpus grows in .build-fuzz/corpus-<name> across runs. Any crash / timeout / OOM input is
# copied to the harness's regression folder (below; replayed by FuzzRegressionTests,
# WALFuzzTests and ConfigFuzzTests in `make test`) and the target fails.
#
# Built in its own scratch path (.build-fuzz): the sanitizer flags must never reach .build.
# -enable-testing: the WAL harness reaches RemoteWrite's internals with @testable.
# Environment: FUZZ_SECONDS, FUZZ_MAX_LEN (default 4096 bytes), FUZZ_TARGETS ("text om wal
# config"), FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2" or "-seed=1"), SWIFT.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-4096}
FUZZ_TARGETS=${FUZZ_TARGETS:-text om wal config}
FUZZ_ARGS=${FUZZ_ARGS:-}
SCRATCH=.build-fuzz
FIXTURES=Tests/ExpositionTests/Fixtures
CONFIG_FIXTURES=Tests/AgentConfigTests/Fixtures
# Where each harness's crash inputs go (and are replayed by `make test`).
regressions_of() {
    case $1 in
    wal) echo Tests/RemoteWriteTests/Fixtures/fuzz-regressions ;;
    config) echo $CONFIG_FIXTURES/fuzz-regressions ;;
    *) echo $FIXTURES/fuzz-regressions ;;
    esac
}

# -sanitize=fuzzer,address in ONE flag: with two -sanitize= flags swiftc keeps only the last,
# and the coverage instrumentation silently disappears.
for t in $FUZZ_TARGETS; do
    "$SWIFT" build -c release --product "promsls-fuzz-$t" -Xswiftc -sanitize=fuzzer,address \
        -Xswiftc -enable-testing --scratch-path "$SCRATCH"
done

# Seeds, rebuilt each run (read-only for libFuzzer: it writes new inputs to the first dir only).
rm -rf "$SCRATCH"/seeds-*
mkdir -p "$SCRATCH/seeds-text" "$SCRATCH/seeds-wal" "$SCRATCH/seeds-config"
ln -sfn seeds-text "$SCRATCH/seeds-om"
seeds=$SCRATCH/seeds-text
for t in $FUZZ_TARGETS; do
    if [ "$t" = wal ]; then
        SWIFT_BACKTRACE=enable=no "./$SCRATCH/release/promsls-fuzz-wal" --write-seeds "$SCRATCH/seeds-wal"
    fi
done
for d in "$CONFIG_FIXTURES/good" "$CONFIG_FIXTURES/bad" "$CONFIG_FIXTURES/testdata" "$CONFIG_FIXTURES/fuzz-regressions"; do
    for f in "$d"/*; do
        case $f in *.yml | *.yaml | */config-*) cp "$f" "$SCRATCH/seeds-config/$(basename "$d")-$(basename "$f")" ;; esac
    done
done
for f in "$(regressions_of wal)"/wal-*; do [ -e "$f" ] && cp "$f" "$SCRATCH/seeds-wal/"; done
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
        "$corpus" "$SCRATCH/seeds-$t" >"$log" 2>&1 || rc=$?
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
        dest=$(regressions_of "$t")/$t-$(basename "$f")
        mkdir -p "$(dirname "$dest")"
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
    echo "fuzz: inputs saved in the regression folders above; replay one with" \
        "SWIFT_BACKTRACE=enable=no ./$SCRATCH/release/promsls-fuzz-<text|om|wal|config> FILE, then fix the code" >&2
    exit 1
fi
[ "$failed" -eq 0 ]
