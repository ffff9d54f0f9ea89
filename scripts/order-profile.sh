#!/usr/bin/env bash
# `make order-file`: writes packaging/promsls.order.gz, the functions a running agent executes,
# in the order callgrind first lists them. `make release` hands the list to lld
# (--symbol-ordering-file) so that these functions sit together at the start of .text: the code
# an agent runs then fills a few MiB of pages instead of being spread over all 28 MiB of the
# static binary, and the kernel maps (and counts in RSS) only those pages. See
# docs/performance.md, "The binary users run".
#
# The profiled run: promsls (the release build, under valgrind's callgrind) scrapes
# node_exporter, itself and the built-in receiver every second through static and file
# discovery with relabeling, writes through its WAL to `promsls receive`, answers every web
# page and API endpoint, reloads on SIGHUP and stops on SIGTERM. All on 127.0.0.1.
# Needs valgrind and prometheus-node-exporter (Debian packages). A stale list costs only
# memory: functions it does not name are laid out after it, and names it has that no longer
# exist are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/promsls}
OUT=${2:-packaging/promsls.order.gz}
SECS=${ORDER_PROFILE_SECS:-40}
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter || true)
[ -n "$NODE_EXPORTER" ] || { echo "node_exporter not found: run 'make deps'" >&2; exit 1; }
[ -x "$BIN" ] || { echo "$BIN not built: run 'make release'" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NODE=$(free_port) RECV=$(free_port) WEB=$(free_port)

# valgrind 3.19 cannot read the DWARF 5 of this toolchain: profile a copy without debug info.
strip --strip-debug -o "$work/promsls" "$BIN"
"$NODE_EXPORTER" --web.listen-address=127.0.0.1:$NODE --no-collector.systemd >/dev/null 2>&1 &
pids+=($!)
"$work/promsls" receive --listen 127.0.0.1:$RECV >"$work/receive.log" 2>&1 &
pids+=($!)
echo "[{\"targets\": [\"127.0.0.1:$RECV\"], \"labels\": {\"role\": \"receiver\"}}]" >"$work/targets.json"
cat >"$work/promsls.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  external_labels: {agent: order-profile}
scrape_configs:
  - job_name: node
    static_configs: [{targets: ["127.0.0.1:$NODE"], labels: {env: profile}}]
    relabel_configs:
      - {source_labels: [__address__], regex: "(.*):.*", target_label: host, replacement: "\$1"}
      - {action: labelmap, regex: "__meta_(.+)"}
    metric_relabel_configs:
      - {source_labels: [__name__], regex: "go_gc_.*", action: drop}
      - {source_labels: [__name__, cpu], regex: "node_cpu_seconds_total;(.*)", target_label: core, replacement: "\$1"}
  - job_name: self
    static_configs: [{targets: ["127.0.0.1:$WEB"]}]
  - job_name: files
    file_sd_configs: [{files: ["$work/targets.json"], refresh_interval: 2s}]
remote_write:
  - url: http://127.0.0.1:$RECV/api/v1/write
    queue_config: {batch_send_deadline: 1s, max_samples_per_send: 500}
    write_relabel_configs:
      - {source_labels: [__name__], regex: "node_scrape_collector_.*", action: drop}
EOF

valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" --compress-strings=no \
  --compress-pos=no --demangle=no "$work/promsls" --config.file="$work/promsls.yml" \
  --web.listen-address=127.0.0.1:$WEB --web.enable-lifecycle --storage.agent.path="$work/data" \
  >"$work/agent.log" 2>&1 &
agent=$!
pids+=($agent)
get() { curl -s -o /dev/null -m 20 "http://127.0.0.1:$WEB$1" || true; }
# Start-up under valgrind takes a while: wait for ready, then let the loops run.
for _ in $(seq 120); do curl -sf -o /dev/null "http://127.0.0.1:$WEB/-/ready" && break; sleep 1; done
sleep $((SECS / 2))
for p in /metrics /-/healthy /-/ready /targets "/targets?search=node" /service-discovery /config \
  /api/v1/targets "/api/v1/targets?state=active" /api/v1/status/config \
  "/api/v1/targets/metadata?match_target=%7Bjob%3D%22node%22%7D" /favicon.ico /nonexistent; do get "$p"; done
curl -s -o /dev/null -H 'Accept: application/openmetrics-text; version=1.0.0' "http://127.0.0.1:$WEB/metrics" || true
curl -s -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$WEB/metrics" || true
echo "[{\"targets\": [\"127.0.0.1:$RECV\", \"127.0.0.1:$NODE\"], \"labels\": {\"role\": \"both\"}}]" >"$work/targets.json"
kill -HUP "$agent"
curl -s -o /dev/null -X POST "http://127.0.0.1:$WEB/-/reload" || true
sleep $((SECS / 2))
sent=$(curl -s "http://127.0.0.1:$WEB/metrics" | awk '/^prometheus_remote_storage_samples_total/ {s += $2} END {print s + 0}')
kill -TERM "$agent"
wait "$agent" || true
grep '^fn=' "$work/callgrind.out" | sed 's/^fn=//' | awk '!seen[$0]++' | gzip -9n >"$OUT"
echo "$OUT: $(gzip -dc "$OUT" | wc -l) functions; the profiled agent sent $sent samples"
