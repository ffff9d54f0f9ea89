#!/usr/bin/env bash
# `make run`: node_exporter + the built-in remote-write receiver + promsls on
# configs/promsls.yml, all on 127.0.0.1. Ctrl-C stops promsls first (it delivers what is
# pending to the still-running receiver), then the receiver and node_exporter.
set -euo pipefail
BIN=${1:-.build/debug/promsls}
cd "$(dirname "$0")/.."
# A fixed data dir: what is not delivered at Ctrl-C is sent after the next `make run`.
DATA=${PROMSLS_DATA:-.build/run-data}
mkdir -p "$DATA"
helpers=()
agent=""
cleanup() {
  trap - INT TERM EXIT
  echo "stopping promsls (it delivers pending samples first)..."
  [ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null || true
  for p in "${helpers[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
}
trap cleanup INT TERM EXIT

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in 9090 9100 9201; do
  if port_busy "$p"; then echo "port 127.0.0.1:$p is in use; configs/promsls.yml needs 9090, 9100 and 9201 free" >&2; exit 1; fi
done

NODE_EXPORTER=$(command -v prometheus-node-exporter || command -v node_exporter || true)
if [ -z "$NODE_EXPORTER" ]; then echo "node_exporter not found: run 'make deps'" >&2; exit 1; fi
# The helpers run in their own sessions so that Ctrl-C reaches only promsls and this script.
setsid "$NODE_EXPORTER" --web.listen-address=127.0.0.1:9100 --no-collector.systemd >/dev/null 2>&1 &
helpers+=($!)
setsid "$BIN" receive --listen 127.0.0.1:9201 &
helpers+=($!)

echo "promsls: http://127.0.0.1:9090/targets  (data dir $DATA)"
"$BIN" --config.file=configs/promsls.yml --web.listen-address=127.0.0.1:9090 --storage.agent.path="$DATA" \
  --shutdown-timeout=10s --web.enable-lifecycle &
agent=$!
wait "$agent" || true
