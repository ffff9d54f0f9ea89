#!/usr/bin/env bash
# `make package-test`: the .deb on a fresh Debian 12 that has no Swift, as an operator uses it.
#  1. debootstrap a minimal bookworm into .build-chroot/root (the first run keeps a tarball of
#     it in .build-chroot/; FRESH=1 debootstraps again);
#  2. dpkg -i the .deb, apt-get -f install its Depends from Debian's mirror;
#  3. promsls --version, check config on /etc/promsls/promsls.yml, and the agent started with
#     the unit's ExecStart line as the promsls user against node_exporter and a Prometheus
#     receiver on this machine's loopback (the chroot shares the network);
#  4. upgrade: a receiver outage fills the WAL, the next version is installed over it, and
#     the backlog reaches a new receiver.
# Usage: packaging/test-chroot.sh DEB VERSION (as root: debootstrap, chroot and mount).
set -euo pipefail
DEB=$(realpath "$1") VERSION=$2
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${CHROOT_DIR:-.build-chroot}
mkdir -p "$DIR/cache"
DIR=$(realpath "$DIR")
R=$DIR/root
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
T0=$(date +%s)
step() { echo "== [$(($(date +%s) - T0))s] $*"; }
fail() { echo "package-test FAILED: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (debootstrap, chroot, mount)"

pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  wait 2>/dev/null
  for m in "$R/proc" "$R/dev"; do mountpoint -q "$m" && umount -l "$m"; done
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_get() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1"; }
# Polls `$2` (a shell condition) every 0.5 s for up to $1 seconds.
wait_for() {
  local timeout=$1 what=$3 end=$(($(date +%s) + $1))
  until eval "$2" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || fail "timed out after ${timeout}s waiting for $what"
    sleep 0.5
  done
}
# A Prometheus instant query's first value (or empty).
prom_value() {
  http_get "http://127.0.0.1:$PROM_PORT/api/v1/query?query=$(python3 -c 'import sys,urllib.parse;print(urllib.parse.quote(sys.argv[1]))' "$1")" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# --- 1. A fresh bookworm ------------------------------------------------------------------
for m in "$R/proc" "$R/dev"; do mountpoint -q "$m" && umount -l "$m"; done
rm -rf "$R"
if [ -f "$DIR/bookworm-minbase.tar" ] && [ -z "${FRESH:-}" ]; then
  step "unpacking the debootstrapped bookworm kept in $DIR/bookworm-minbase.tar (FRESH=1 to debootstrap again)"
  mkdir -p "$R" && tar -C "$R" -xf "$DIR/bookworm-minbase.tar"
else
  step "debootstrap --variant=minbase bookworm $R ($MIRROR)"
  debootstrap --variant=minbase --cache-dir="$DIR/cache" bookworm "$R" "$MIRROR" > "$DIR/debootstrap.log" 2>&1 ||
    { tail -20 "$DIR/debootstrap.log"; fail "debootstrap"; }
  tar -C "$R" -cf "$DIR/bookworm-minbase.tar" .
fi
step "$(cat "$R/etc/debian_version"): $(in_root dpkg-query -W -f '.\n' | wc -l) packages"
[ ! -e "$R/opt/swift" ] || fail "/opt/swift exists in the chroot"
swiftlibs=$(find "$R" -xdev \( -name 'libswift*' -o -name 'libFoundation*' -o -name 'libdispatch*' -o -name swift \) -print)
[ -z "$swiftlibs" ] || fail "the chroot has Swift files: $swiftlibs"
mount -t proc proc "$R/proc"
mount --bind /dev "$R/dev"
cp /etc/resolv.conf "$R/etc/resolv.conf"

# --- 2. Install as the README says ---------------------------------------------------------
step "dpkg -i $(basename "$DEB") (its Depends are not installed yet)"
cp "$DEB" "$R/tmp/"
if in_root dpkg -i "/tmp/$(basename "$DEB")" > "$DIR/dpkg-i.log" 2>&1; then
  fail "dpkg -i succeeded without libsnappy1v5/libre2-9: are the Depends empty?"
fi
grep -q "dependency problems" "$DIR/dpkg-i.log" || { cat "$DIR/dpkg-i.log"; fail "dpkg -i failed for another reason"; }
step "apt-get update && apt-get -f install"
in_root apt-get update -qq > "$DIR/apt.log" 2>&1 || { tail "$DIR/apt.log"; fail "apt-get update"; }
in_root env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -q > "$DIR/apt.log" 2>&1 ||
  { tail -20 "$DIR/apt.log"; fail "apt-get -f install"; }
grep -A3 "NEW packages" "$DIR/apt.log" | sed 's/^/   /'
grep '^promsls: ' "$DIR/apt.log" | sed 's/^/   postinst says: /'
[ "$(in_root dpkg-query -W -f '${Status} ${Version}' promsls)" = "install ok installed $VERSION" ] ||
  fail "promsls is not installed: $(in_root dpkg-query -W -f '${Status} ${Version}' promsls)"
user=$(in_root getent passwd promsls) || fail "no promsls user"
IFS=: read -r _ _ uid _ _ home shell <<<"$user"
[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/promsls ] && [ "$shell" = /usr/sbin/nologin ] ||
  fail "promsls user: $user"
[ "$(in_root stat -c '%U:%G %a' /var/lib/promsls)" = "promsls:promsls 750" ] ||
  fail "/var/lib/promsls: $(in_root stat -c '%U:%G %a' /var/lib/promsls)"
[ "$(stat -c '%U %a' "$R/etc/default/promsls")" = "root 600" ] || fail "/etc/default/promsls: $(stat -c '%U %a' "$R/etc/default/promsls")"
[ -L "$R/etc/systemd/system/multi-user.target.wants/promsls.service" ] || fail "promsls.service is not enabled"
libs=$(in_root ldd /usr/bin/promsls)
echo "$libs" | sed 's/^/   ldd: /'
! grep -Eq 'not found|swift|Foundation|dispatch' <<<"$libs" || fail "ldd in the chroot: $libs"

# --- 3. Use it ---------------------------------------------------------------------------
step "promsls --version (as promsls)"
as_promsls=(setpriv --reuid=promsls --regid=promsls --init-groups --)
version=$(in_root "${as_promsls[@]}" /usr/bin/promsls --version)
echo "$version" | sed 's/^/   /'
head -1 <<<"$version" | grep -Eq "^promsls, version $VERSION \(revision: [0-9a-f]{12}(-dirty)?\)$" || fail "--version: $version"

step "promsls check config /etc/promsls/promsls.yml (as promsls, with /etc/default/promsls)"
check() { in_root sh -c 'set -a; . /etc/default/promsls; set +a; exec "$@"' sh "${as_promsls[@]}" \
  /usr/bin/promsls check config /etc/promsls/promsls.yml 2>&1; }
if out=$(check); then fail "check config passed without an AccessKey: $out"; fi
grep -q "SLS_ACCESS_KEY_ID is not set or empty" <<<"$out" || fail "check config without AccessKey: $out"
echo "   without the AccessKey: $(tail -1 <<<"$out")"
sed -i -e 's/^SLS_ACCESS_KEY_ID=$/SLS_ACCESS_KEY_ID=LTAI-package-test/' \
  -e 's/^SLS_ACCESS_KEY_SECRET=$/SLS_ACCESS_KEY_SECRET=package-test-secret/' "$R/etc/default/promsls"
out=$(check) || fail "check config with the AccessKey set: $out"
grep -q SUCCESS <<<"$out" || fail "check config: $out"
! grep -q package-test-secret <<<"$out" || fail "check config printed the secret"
echo "   with the AccessKey: $(tail -1 <<<"$out")"

NE_PORT=$(free_port) PROM_PORT=$(free_port) AGENT_PORT=$(free_port)
step "node_exporter on 127.0.0.1:$NE_PORT, Prometheus (remote-write receiver) on 127.0.0.1:$PROM_PORT"
work=$DIR/work && rm -rf "$work" && mkdir -p "$work"
prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" --no-collector.systemd > "$work/node_exporter.log" 2>&1 &
pids+=($!)
printf 'global:\n  scrape_interval: 1m\n' > "$work/prometheus.yml"
start_prometheus() {
  prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/$1" --web.enable-remote-write-receiver \
    --web.listen-address="127.0.0.1:$PROM_PORT" > "$work/$1.log" 2>&1 &
  PROM_PID=$!
  pids+=("$PROM_PID")
  wait_for 60 'http_get http://127.0.0.1:$PROM_PORT/-/ready' "Prometheus to be ready"
}
start_prometheus prom1
wait_for 30 'http_get http://127.0.0.1:$NE_PORT/metrics' "node_exporter"

# The operator points the config at their receiver (SLS is not reachable from here) and sets
# the flags in /etc/default/promsls.
agent_config() {
  cat <<YML
# promsls package test: node_exporter and a Prometheus receiver on the host's loopback.
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  external_labels:
    agent: chroot
scrape_configs:
$1
remote_write:
  - name: receiver
    url: http://127.0.0.1:$PROM_PORT/api/v1/write
    queue_config:
      batch_send_deadline: 1s
      max_backoff: 1s
YML
}
NODE_JOB="  - job_name: node
    static_configs:
      - targets: [\"127.0.0.1:$NE_PORT\"]"
agent_config "$NODE_JOB" > "$R/etc/promsls/promsls.yml"
sed -i "s/^ARGS=.*/ARGS=\"--web.listen-address=127.0.0.1:$AGENT_PORT --shutdown-timeout=2s\"/" "$R/etc/default/promsls"
execstart=$(sed -n 's/^ExecStart=//p' "$R/lib/systemd/system/promsls.service")
# What systemd does for the unit, minus the sandbox: EnvironmentFile, User=, WorkingDirectory=.
start_agent() {
  chroot "$R" /usr/bin/env -i PATH=/usr/bin:/bin sh -c \
    'set -a; . /etc/default/promsls; set +a; cd /var/lib/promsls; exec setpriv --reuid=promsls --regid=promsls --init-groups -- '"$execstart" \
    > "$work/$1.log" 2>&1 &
  AGENT_PID=$!
  pids+=("$AGENT_PID")
  wait_for 30 'http_get http://127.0.0.1:$AGENT_PORT/-/ready' "the agent to be ready ($work/$1.log)"
}
stop_agent() {
  kill -TERM "$AGENT_PID"
  local rc=0
  wait "$AGENT_PID" || rc=$?
  [ "$rc" = 0 ] || { tail "$work/$1.log"; fail "the agent exited with $rc on SIGTERM"; }
  grep -q "shutting down" "$work/$1.log" || fail "no 'shutting down' in $work/$1.log"
}
agent_metric() {
  http_get "http://127.0.0.1:$AGENT_PORT/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {print s + 0}'
}

step "the agent as promsls: $execstart"
start_agent agent1
[ "$(in_root ps -o user= -p "$AGENT_PID")" = promsls ] || fail "the agent runs as $(in_root ps -o user= -p "$AGENT_PID")"
wait_for 60 '[ "$(prom_value "up{job=\"node\",agent=\"chroot\"}")" = 1 ]' "up{job=node} = 1 in Prometheus"
series=$(prom_value 'count({job="node",agent="chroot"})')
[ "${series:-0}" -gt 100 ] || fail "only ${series:-0} node_exporter series reached Prometheus"
build=$(http_get "http://127.0.0.1:$AGENT_PORT/metrics" | grep '^prometheus_build_info{')
grep -q "version=\"$VERSION\"" <<<"$build" || fail "prometheus_build_info: $build"
echo "   Prometheus has $series node_exporter series from the chroot; $build"
stop_agent agent1

# --- 4. Upgrade with a WAL written during a receiver outage --------------------------------
step "receiver outage: Prometheus stopped, the agent keeps scraping into its WAL"
kill -TERM "$PROM_PID" && wait "$PROM_PID" || true
outage_start=$(date +%s)
start_agent agent2
wait_for 60 '[ "$(agent_metric prometheus_remote_storage_samples_failed_total)$(agent_metric prometheus_remote_storage_samples_retried_total)" != 00 ] && [ "$(agent_metric prometheus_target_interval_length_seconds_count)" -ge 5 ]' \
  "five scrapes and a failed send"
scrapes=$(($(agent_metric prometheus_target_interval_length_seconds_count) + 1))
stop_agent agent2
outage_end=$(date +%s)
wal=$(in_root find /var/lib/promsls -type f -printf '%P %s %u\n' | sort)
echo "$wal" | sed 's/^/   WAL: /'
grep -q '^wal/' <<<"$wal" || fail "no WAL in /var/lib/promsls"
! grep -qv ' promsls$' <<<"$wal" || fail "WAL files not owned by promsls"

NEXT=$VERSION+upgradetest1
step "building $NEXT (the same binary, a higher Debian version) and installing it over $VERSION"
(cd "$HERE/.." && DEB_WORK="$work/deb" packaging/build-deb.sh "$R/usr/bin/promsls" "$NEXT" upgrade-test "$work" >/dev/null)
cp "$work/promsls_${NEXT}_amd64.deb" "$R/tmp/"
cp "$R/etc/promsls/promsls.yml" "$work/config-before"
in_root env DEBIAN_FRONTEND=noninteractive dpkg -i "/tmp/promsls_${NEXT}_amd64.deb" > "$work/upgrade.log" 2>&1 </dev/null ||
  { cat "$work/upgrade.log"; fail "dpkg -i $NEXT"; }
sed 's/^/   /' "$work/upgrade.log"
[ "$(in_root dpkg-query -W -f '${Version}' promsls)" = "$NEXT" ] || fail "not upgraded"
cmp -s "$work/config-before" "$R/etc/promsls/promsls.yml" || fail "the upgrade replaced the edited /etc/promsls/promsls.yml"
grep -q '^SLS_ACCESS_KEY_ID=LTAI-package-test$' "$R/etc/default/promsls" || fail "the upgrade replaced /etc/default/promsls"
wal_after=$(in_root find /var/lib/promsls -type f -printf '%P %s %u\n' | sort)
[ "$wal" = "$wal_after" ] || fail "the upgrade changed the WAL: $wal_after"

step "a new, empty receiver; $NEXT started without scrape targets: all it sends comes from the WAL"
start_prometheus prom2
agent_config "  []" > "$R/etc/promsls/promsls.yml"
start_agent agent3
range="up{job=\"node\",agent=\"chroot\"}[1h]"
wait_for 60 '[ -n "$(prom_value "count_over_time($range)")" ]' "the backlog in the new Prometheus"
wait_for 60 '[ "$(agent_metric prometheus_remote_storage_samples_pending)" = 0 ]' "nothing pending"
stop_agent agent3
n=$(prom_value "count_over_time($range)")
samples=$(http_get "http://127.0.0.1:$PROM_PORT/api/v1/query?query=$(python3 -c 'import urllib.parse,sys;print(urllib.parse.quote(sys.argv[1]))' "$range")" |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(" ".join("%d:%s" % (float(t), v) for t, v in (r[0]["values"] if r else [])))')
bad=$(for s in $samples; do t=${s%%:*} v=${s#*:}; { [ "$t" -ge "$outage_start" ] && [ "$t" -le "$outage_end" ] && [ "$v" = 1 ]; } || echo "$s"; done)
[ "${n:-0}" -ge "$scrapes" ] || fail "only ${n:-0} of the $scrapes up samples of the outage reached the new receiver"
[ -z "$bad" ] || fail "samples outside the outage ($outage_start..$outage_end) or not 1: $bad"
echo "   the new receiver has $n samples of up{job=\"node\"} scraped during the outage ($scrapes counted before the stop), all 1"

step "dpkg --purge promsls: config and WAL gone, the user stays"
in_root dpkg --purge promsls > "$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purge"; }
[ ! -e "$R/var/lib/promsls" ] && [ ! -e "$R/etc/promsls/promsls.yml" ] && [ ! -e "$R/etc/default/promsls" ] &&
  [ ! -e "$R/usr/bin/promsls" ] || fail "files left after purge"
step "package-test passed in $(($(date +%s) - T0))s"
