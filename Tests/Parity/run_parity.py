#!/usr/bin/env python3
"""Side-by-side scrape parity: promsls vs `prometheus --enable-feature=agent` (Debian 2.42).

Both agents get the same scrape config (scrape_interval 1s) and the same scripted targets
(targets.py, plus a real node_exporter), and each remote-writes to its own path on a
recording receiver (receiver.py). Per target and per scrape index (the k-th scrape of a
target is the set of samples at that target's k-th distinct `up` timestamp; explicit
timestamps are attributed to the request that produced them), the series, the value bits
and the staleness markers must be identical, except the differences allowed below (each
with its reason; they are also described in docs/differences.md). Anything else is printed
as a diff and the exit code is 1.

Environment:
  PROMSLS_BIN      promsls binary (default .build/debug/promsls)
  PROMETHEUS_BIN   Prometheus binary (default /usr/bin/prometheus; must be 2.x with agent mode)
  NODE_EXPORTER_BIN  (default /usr/bin/prometheus-node-exporter; skipped if missing)
  PARITY_SECONDS   seconds of scraping once both agents scrape (default 22)
  PARITY_REMOVE    1 (default) = remove a target by config reload (SIGHUP) half way; 0 = skip
  PARITY_OUT       directory for configs, logs and the recorded scrapes (default .build/parity)
  PARITY_ONLY      comma-separated scenario names to run (debugging)
"""
import json
import math
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import receiver as receiver_mod  # noqa: E402
import targets as targets_mod  # noqa: E402

STALE = receiver_mod.STALE_NAN_BITS
AGENTS = ("promsls", "prometheus")

# --------------------------------------------------------------------------------------
# Allowed differences. Each: id, the doc section in docs/differences.md, the reason.
# Prometheus-2.42-vs-3.x differences are applied as a *normaliser* of the Prometheus side
# (what Prometheus 3 would have sent), so that everything else still has to match exactly.
# --------------------------------------------------------------------------------------
ALLOWED = {
    "le-quantile-normalisation": (
        "Prometheus 3 rewrites le (TYPE histogram only) and quantile (TYPE summary) label values "
        "to their canonical float spelling at ingestion (\"1\" -> \"1.0\"); 2.42 keeps the exposed "
        "text. promsls does what Prometheus 3 does. The Prometheus side is normalised with the "
        "Prometheus 3 rule (current TYPE of the body, sticky until the next TYPE line) before "
        "comparing."),
    "explicit-timestamp-before-start": (
        "A sample whose explicit timestamp is older than the agent's start (e.g. a constant "
        "1700000000000 or -1000): Prometheus's WAL watcher never sends samples older than its own "
        "start (to avoid re-sending after a restart); promsls keeps no such heuristic (its WAL "
        "positions are exact) and forwards them, as a server's TSDB would have ingested them."),
    "om-trailing-comma-2.42": (
        "OpenMetrics label set with a trailing comma: Prometheus 2.42's OM parser rejects it on the "
        "first line, Prometheus 3's accepts it (as promsls does) and fails later on the blank line; "
        "so the failed scrape's report counts differ (2.42: 0, promsls/Prometheus 3: 2)."),
    "agent-no-duplicate-check": (
        "A series repeated within one scrape: Prometheus 2.42's agent-mode appender has no "
        "duplicate check and forwards every copy; promsls keeps the first sample and counts the rest "
        "(prometheus_target_scrapes_sample_duplicate_timestamp_total), as a Prometheus server's "
        "TSDB appender does (issue 6)."),
}


def ok_value_bits(bits):
    return "StaleNaN" if bits == STALE else fmt_bits(bits)


def fmt_bits(bits):
    if bits == STALE:
        return "StaleNaN"
    v = struct.unpack("<d", struct.pack("<Q", bits))[0]
    if math.isnan(v):
        return f"NaN(0x{bits:016x})"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def go_format_om_float(f):
    """labels.FormatOpenMetricsFloat: strconv 'g' -1 plus '.0' when there is neither '.' nor 'e'."""
    if f == 1:
        return "1.0"
    if f == 0:
        return "0.0"
    if f == -1:
        return "-1.0"
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    d = Decimal(repr(f))  # shortest round-trip digits, like Go's shortest formatting
    sign, digits, exp = d.as_tuple()
    digits = "".join(map(str, digits)).rstrip("0") or "0"
    nd = len(digits)
    x = exp + len("".join(map(str, d.as_tuple().digits))) - 1  # decimal exponent of first digit
    s = "-" if sign else ""
    if x < -4 or x >= 6:  # %e form, Go: at least two exponent digits
        mant = digits[0] + ("." + digits[1:] if nd > 1 else "")
        out = f"{s}{mant}e{'+' if x >= 0 else '-'}{abs(x):02d}"
    elif x >= nd - 1:
        out = s + digits + "0" * (x - nd + 1)
    elif x >= 0:
        out = s + digits[:x + 1] + "." + digits[x + 1:]
    else:
        out = s + "0." + "0" * (-x - 1) + digits
    if "." not in out and "e" not in out:
        out += ".0"
    return out


def parse_go_float(s):
    try:
        t = s.strip()
        if t.lower() in ("+inf", "inf"):
            return math.inf
        if t.lower() == "-inf":
            return -math.inf
        return float(t)
    except ValueError:
        return None


NAME_RE = re.compile(rb"[a-zA-Z_:][a-zA-Z0-9_:]*")


def type_context(body):
    """metric name -> set of 'current TYPE' values seen at its sample lines (Prometheus 3's rule)."""
    ctx, cur = {}, None
    for line in body.split(b"\n"):
        if line.startswith(b"# TYPE "):
            parts = line.split(b" ")
            cur = parts[3].decode(errors="replace") if len(parts) > 3 else None
        elif line and not line.startswith(b"#"):
            m = NAME_RE.match(line)
            if m:
                ctx.setdefault(m.group(0).decode(), set()).add(cur)
    return ctx


def prom3_normalise(labels, ctx):
    """Apply Prometheus 3's le/quantile normalisation to a 2.42 label tuple. -> (labels, changed)."""
    d = dict(labels)
    types = ctx.get(d.get("__name__", ""), set())
    changed = False
    # Prometheus 3 model/textparse normalizeFloatsInLabelValues: histogram/le and summary/quantile
    # only (not gaugehistogram).
    for lname, kinds in (("le", ("histogram",)), ("quantile", ("summary",))):
        if lname in d and any(t in kinds for t in types):
            f = parse_go_float(d[lname])
            if f is not None:
                nv = go_format_om_float(f)
                if nv != d[lname]:
                    d[lname] = nv
                    changed = True
    return tuple(sorted(d.items())), changed


# --------------------------------------------------------------------------------------
# Processes and config
# --------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)  # a JSON string is a valid YAML double-quoted scalar


def to_yaml(obj, indent=0):
    pad = " " * indent
    lines = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_yaml(v, indent + 2))
            else:
                lines.append(f"{pad}{k}: {yaml_scalar(v) if not isinstance(v, (dict, list)) else '[]'}")
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, (dict, list)):
                sub = to_yaml(item, indent + 2).lstrip()
                lines.append(f"{pad}- {sub}")
            else:
                lines.append(f"{pad}- {yaml_scalar(item)}")
    return "\n".join(lines)


JOB_SETTINGS = {
    "parity": {},
    "parity_honor": {"honor_labels": True},
    "parity_nohonorts": {"honor_timestamps": False},
    "parity_lvlimit": {"label_value_length_limit": 40},
    "parity_mrelabel": {"metric_relabel_configs": [
        {"source_labels": ["__name__"], "regex": "go_goroutines", "target_label": "__tmp_mark",
         "replacement": "yes"}]},
    "parity_relabel": {"relabel_configs": [
        {"source_labels": ["__meta_consul_tags"], "regex": ",svc:(.*),", "target_label": "svc_a"},
        {"source_labels": ["__meta_consul_tags"], "regex": ".*,svc:([^,]*),.*", "target_label": "svc_b"},
        {"source_labels": ["__meta_consul_tags"], "regex": ",tier:(.*?),", "target_label": "tier_a"},
        {"source_labels": ["__meta_consul_tags"], "regex": ",tier:(.*?),.*", "target_label": "tier_b"}]},
    "parity_removable": {},
    "parity_filesd": {},
}


def target_groups(scenarios, target_port, job):
    groups = []
    for sc in scenarios:
        if sc.job != job:
            continue
        labels = {"__metrics_path__": f"/t/{sc.name}/metrics", "parity_target": sc.name}
        if sc.name == "relabel-regex-anchoring":
            labels["__meta_consul_tags"] = ",tier:backend,svc:billing,"
        groups.append({"targets": [f"127.0.0.1:{target_port}"], "labels": labels})
    return groups


def write_file_sd(path, scenarios, target_port, removed):
    groups = [g for g in target_groups(scenarios, target_port, "parity_filesd")
              if g["labels"]["parity_target"] not in removed]
    with open(path + ".tmp", "w") as f:
        json.dump(groups, f, indent=1)
    os.replace(path + ".tmp", path)


def make_config(scenarios, target_port, node_port, rw_url, sd_file, include_removable=True):
    scrape_configs = []
    for job in dict.fromkeys(sc.job for sc in scenarios):
        if job == "parity_removable" and not include_removable:
            continue
        jc = {"job_name": job}
        jc.update(JOB_SETTINGS[job])
        if job == "parity_filesd":
            jc["file_sd_configs"] = [{"files": [sd_file]}]
        else:
            jc["static_configs"] = target_groups(scenarios, target_port, job)
        scrape_configs.append(jc)
    # hashmod-md5-shard: four unreachable TEST-NET targets; only 192.0.2.12:9100 survives.
    scrape_configs.append({
        "job_name": "parity_hashmod",
        "relabel_configs": [
            {"source_labels": ["__address__"], "modulus": 3, "target_label": "__tmp_hash", "action": "hashmod"},
            {"source_labels": ["__tmp_hash"], "regex": "1", "action": "keep"}],
        "static_configs": [{"targets": [f"192.0.2.{i}:9100" for i in (10, 11, 12, 13)],
                            "labels": {"parity_target": "hashmod-md5-shard"}}],
    })
    if node_port:
        # Target and metric relabeling over node_exporter's real body (issue 4): the series
        # after both relabelings must be the same on both agents.
        scrape_configs.append({"job_name": "node", "static_configs": [
            {"targets": [f"127.0.0.1:{node_port}"], "labels": {"parity_target": "node"}}],
            "relabel_configs": [
                {"source_labels": ["__address__"], "regex": "([^:]+):(\\d+)", "target_label": "host",
                 "replacement": "${1}"},
                {"source_labels": ["__address__"], "regex": ".*:(.*)", "target_label": "port"},
                {"target_label": "env", "replacement": "parity"}],
            "metric_relabel_configs": [
                {"source_labels": ["__name__"], "regex": "go_.*|promhttp_.*", "action": "drop"},
                {"source_labels": ["__name__", "mode"], "separator": "@", "regex": "node_cpu_seconds_total@(.*)",
                 "target_label": "cpu_mode", "replacement": "$1"},
                {"regex": "mode", "action": "labeldrop"},
                {"source_labels": ["__name__"], "modulus": 4, "target_label": "shard", "action": "hashmod"},
                {"source_labels": ["device"], "regex": "(.*)", "target_label": "device", "action": "uppercase"},
                {"source_labels": ["__name__"], "regex": "node_(.*)_bytes", "target_label": "__name__",
                 "replacement": "nodebytes_$1"}]})
    cfg = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "800ms"},
        "scrape_configs": scrape_configs,
        "remote_write": [{"url": rw_url, "queue_config": {"batch_send_deadline": "1s"}}],
    }
    return to_yaml(cfg) + "\n"


class Proc:
    def __init__(self, name, argv, logdir):
        self.name = name
        self.log_path = os.path.join(logdir, f"{name}.log")
        self.log = open(self.log_path, "wb")
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def alive(self):
        return self.p.poll() is None

    def signal(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, grace):
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                return False
        self.log.close()
        return True

    def tail(self, n=15):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""


def http_ok(url, timeout=1.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status == 200
    except Exception:  # noqa: BLE001
        return False


def http_text(url, timeout=2.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode(errors="replace")
    except Exception as e:  # noqa: BLE001
        return f"<{e}>"


def metric_value(text, name, label_filter=""):
    total, found = 0.0, False
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name):len(name) + 1] in (" ", "{")) and label_filter in line:
            try:
                total += float(line.rsplit(" ", 1)[1])
                found = True
            except ValueError:
                pass
    return total if found else None


# --------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------

def series_str(labels):
    d = dict(labels)
    name = d.pop("__name__", "")
    inner = ",".join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in sorted(d.items())
                     if k not in ("parity_target",))
    return f"{name}{{{inner}}}"


class Scrapes:
    """One agent's samples grouped by target and scrape index."""

    def __init__(self, agent, samples, tserver, scenarios):
        self.agent = agent
        self.by_target = {}  # target -> {k: {series: [(ts_norm, bits)]}}
        self.scrape_ts = {}  # target -> sorted distinct up timestamps
        self.unattributed = {}  # target -> list
        ups = {}
        for labels, ts, bits in samples:
            d = dict(labels)
            if d.get("__name__") == "up" and "parity_target" in d:
                ups.setdefault(d["parity_target"], set()).add(ts)
        for t, s in ups.items():
            self.scrape_ts[t] = sorted(s)
        index = {t: {ts: k + 1 for k, ts in enumerate(s)} for t, s in self.scrape_ts.items()}
        # explicit timestamps -> (request index, placeholder) from the target server's log
        logs = {}
        for (name, client), reqs in tserver.log.items():
            if client != agent:
                continue
            m = logs.setdefault(name, {})
            for n in sorted(reqs):
                for v, text in reqs[n]["ts"].items():
                    m.setdefault(v, []).append((n, text))
        seen = {}  # (target, series, ts) -> occurrences so far
        for labels, ts, bits in samples:
            d = dict(labels)
            t = d.get("parity_target", "<no parity_target label>")
            key = tuple(sorted(labels))
            if ts in index.get(t, {}):
                k, tsn = index[t][ts], "@T"
            elif ts in logs.get(t, {}):
                # The j-th sample of a series at this timestamp belongs to the j-th request that
                # produced the timestamp (one that never moves, {F+250}, comes from every request).
                reqs = logs[t][ts]
                j = seen.get((t, key, ts), 0)
                seen[(t, key, ts)] = j + 1
                k, text = reqs[min(j, len(reqs) - 1)]
                tsn = "@" + re.sub(r"T\d+", "T", text.strip("{}"))
            else:
                self.unattributed.setdefault(t, []).append((key, ts, bits))
                continue
            self.by_target.setdefault(t, {}).setdefault(k, {}).setdefault(key, []).append((tsn, bits))
        for t in self.by_target:
            for k in self.by_target[t]:
                for key in self.by_target[t][k]:
                    self.by_target[t][k][key].sort()

    def is_stale_tick(self, target, k):
        sc = self.by_target.get(target, {}).get(k, {})
        return bool(sc) and all(b == STALE for vals in sc.values() for _, b in vals)


def render(vals, ignore):
    out = []
    for tsn, bits in vals:
        v = fmt_bits(bits)
        if ignore and bits != STALE:
            v = "*"
        out.append(v + ("" if tsn == "@T" else " " + tsn))
    return ", ".join(out) if out else "(absent)"


def compare(promsls, prom, scenarios, removed, ctxs):
    """-> (failures, allowed) lists of (target, k, series, promsls_vals, prometheus_vals, note)."""
    failures, allowed = [], []
    by_name = {s.name: s for s in scenarios}
    all_targets = sorted(set(promsls.scrape_ts) | set(prom.scrape_ts) | set(by_name)
                         | {"hashmod-md5-shard", "node"} & (set(promsls.scrape_ts) | set(prom.scrape_ts)))
    summary = {}
    for t in all_targets:
        sc = by_name.get(t)
        ignore_all = t == "node" or (sc is not None and sc.ignore_values)
        ns, np_ = len(promsls.scrape_ts.get(t, [])), len(prom.scrape_ts.get(t, []))
        if ns == 0 or np_ == 0:
            summary[t] = (0, ns, np_)
            failures.append((t, 0, "up", f"{ns} scrapes", f"{np_} scrapes", "target never scraped by one agent"))
            continue
        if t in removed:
            # Compare the regular scrapes by index; the final all-StaleNaN tick separately.
            ls = ns - 1 if promsls.is_stale_tick(t, ns) else ns
            lp = np_ - 1 if prom.is_stale_tick(t, np_) else np_
            last = min(ls, lp)
            pairs = [(k, k, k) for k in range(1, last + 1)]
            pairs.append(("removed", ns if ls < ns else None, np_ if lp < np_ else None))
        else:
            last = min(ns, np_) - 2  # the newest scrapes may still be in flight at shutdown
            pairs = [(k, k, k) for k in range(1, last + 1)]
        summary[t] = (last, ns, np_)
        ctx = ctxs.get(t, {})
        for label, ks, kp in pairs:
            a = promsls.by_target.get(t, {}).get(ks, {}) if ks else {}
            b_raw = prom.by_target.get(t, {}).get(kp, {}) if kp else {}
            b, normalised = {}, set()
            for key, vals in b_raw.items():
                nkey, changed = prom3_normalise(key, ctx)
                if changed:
                    normalised.add(nkey)
                b.setdefault(nkey, []).extend(vals)
            for key in sorted(set(a) | set(b)):
                ignore = ignore_all or dict(key).get("__name__") == "scrape_duration_seconds"
                va, vb = sorted(a.get(key, [])), sorted(b.get(key, []))
                if label == "removed":  # timestamps of the stale tick are not index-aligned
                    va = [("@T", bits) for _, bits in va]
                    vb = [("@T", bits) for _, bits in vb]
                same = (len(va) == len(vb) and all(
                    x[0] == y[0] and (x[1] == y[1] or (ignore and x[1] != STALE and y[1] != STALE))
                    for x, y in zip(va, vb)))
                entry = (t, label, series_str(key), render(va, ignore), render(vb, ignore))
                if same:
                    if key in normalised:
                        allowed.append(entry + ("le-quantile-normalisation",))
                    continue
                reason = classify(va, vb)
                if reason is None and t == "trailing-comma-exponent-blank-lines.om" and \
                        dict(key).get("__name__", "").startswith("scrape_") and vb and \
                        all(bits == 0 for _, bits in vb):
                    reason = "om-trailing-comma-2.42"
                (allowed if reason else failures).append(entry + (reason or "",))
        # explicit timestamps that match no request (e.g. a constant like 1700000000000)
        ua = sorted((k, ts, b) for k, ts, b in promsls.unattributed.get(t, []))
        ub = sorted((k, ts, b) for k, ts, b in prom.unattributed.get(t, []))
        starts = [min(x.scrape_ts.get(t) or [0]) for x in (promsls, prom)]
        if ua and not ub and all(ts < min(starts) for _, ts, _ in ua):
            allowed.append((t, "unattributed", "samples with timestamps outside every scrape",
                            "; ".join(f"{series_str(k)} {fmt_bits(b)} @{ts}" for k, ts, b in ua), "(none)",
                            "explicit-timestamp-before-start"))
        elif ua != ub:
            failures.append((t, "unattributed", "samples with timestamps outside every scrape",
                             "; ".join(f"{series_str(k)} {fmt_bits(b)} @{ts}" for k, ts, b in ua) or "(none)",
                             "; ".join(f"{series_str(k)} {fmt_bits(b)} @{ts}" for k, ts, b in ub) or "(none)",
                             ""))
    return failures, allowed, summary


def classify(va, vb):
    """Name the allowed difference this (promsls, prometheus) pair is an instance of, if any."""
    # agent-no-duplicate-check: Prometheus sent several samples at the same timestamp,
    # promsls exactly the first of them.
    if vb and len(va) < len(vb):
        groups = {}
        for tsn, bits in vb:
            groups.setdefault(tsn, []).append(bits)
        # vb is sorted by (ts, bits), so "first" is by body order only when values are equal;
        # accept when promsls has one sample per timestamp and each is one of Prometheus's.
        if all(len(v) >= 1 for v in groups.values()) and sorted({t for t, _ in va}) == sorted(groups) and \
                len(va) == len(groups) and all(bits in groups[tsn] for tsn, bits in va) and \
                any(len(v) > 1 for v in groups.values()):
            return "agent-no-duplicate-check"
    return None


def main():
    promsls_bin = os.environ.get("PROMSLS_BIN") or os.path.join(REPO, ".build/debug/promsls")
    prom_bin = os.environ.get("PROMETHEUS_BIN", "/usr/bin/prometheus")
    node_bin = os.environ.get("NODE_EXPORTER_BIN", "/usr/bin/prometheus-node-exporter")
    run_seconds = float(os.environ.get("PARITY_SECONDS", "22"))
    do_remove = os.environ.get("PARITY_REMOVE", "1") != "0"
    outdir = os.environ.get("PARITY_OUT") or os.path.join(REPO, ".build/parity")
    only = [s for s in os.environ.get("PARITY_ONLY", "").split(",") if s]
    for b in (promsls_bin, prom_bin):
        if not os.access(b, os.X_OK):
            print(f"parity: FAIL: {b} not found or not executable (PROMSLS_BIN / PROMETHEUS_BIN)")
            return 1
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    scenarios = [s for s in targets_mod.SCENARIOS if not only or s.name in only]
    t_start = time.time()

    tserver = targets_mod.TargetServer(scenarios).start()
    rcv = receiver_mod.Receiver().start()
    procs = []
    node_port = None
    if os.access(node_bin, os.X_OK):
        node_port = free_port()
        procs.append(Proc("node_exporter", [node_bin, f"--web.listen-address=127.0.0.1:{node_port}"], outdir))
    else:
        print(f"parity: note: {node_bin} missing, node_exporter target skipped")
    ports = {a: free_port() for a in AGENTS}
    cfg_paths = {a: os.path.join(outdir, f"{a}.yml") for a in AGENTS}

    def write_configs(include_removable):
        for a in AGENTS:
            with open(cfg_paths[a], "w") as f:
                f.write(make_config(scenarios, tserver.port, node_port, rcv.url(a), sd_file, include_removable))

    sd_file = os.path.join(outdir, "file_sd.json")
    write_file_sd(sd_file, scenarios, tserver.port, set())
    write_configs(True)
    tmp = tempfile.mkdtemp(prefix="parity-")
    agents = {
        "prometheus": Proc("prometheus", [
            prom_bin, "--enable-feature=agent", f"--storage.agent.path={tmp}/prom",
            f"--config.file={cfg_paths['prometheus']}", f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
            "--log.level=debug"], outdir),
        "promsls": Proc("promsls", [
            promsls_bin, f"--config.file={cfg_paths['promsls']}",
            f"--web.listen-address=127.0.0.1:{ports['promsls']}", f"--storage.agent.path={tmp}/promsls",
            "--log.level=debug", "--shutdown-timeout=5s"], outdir),
    }
    problems = []
    removed = set()
    node_body = b""
    selfmetrics = {}
    try:
        deadline = time.time() + 30
        ready = {a: False for a in AGENTS}
        while time.time() < deadline and not all(ready.values()):
            for a in AGENTS:
                if not agents[a].alive():
                    raise RuntimeError(f"{a} exited early (rc {agents[a].p.returncode}):\n{agents[a].tail()}")
                ready[a] = ready[a] or http_ok(f"http://127.0.0.1:{ports[a]}/-/ready")
            time.sleep(0.2)
        if node_port:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{node_port}/metrics", timeout=5) as r:
                    node_body = r.read()  # TYPE lines, for Prometheus 3's le/quantile rule
            except OSError as e:
                problems.append(f"node_exporter: {e}")
        if not all(ready.values()):
            raise RuntimeError(f"not ready after 30 s: {ready}")
        # Prometheus starts its scrape loops up to 5 s after it is ready: wait for both.
        probe = scenarios[0].name
        while time.time() < deadline + 15 and not all((probe, a) in tserver.counts for a in AGENTS):
            time.sleep(0.2)
        print(f"parity: {len(scenarios)} scripted targets, node_exporter={'yes' if node_port else 'no'}; "
              f"scraping for {run_seconds:.0f} s")
        time.sleep(run_seconds * 0.3)
        if do_remove:
            write_file_sd(sd_file, scenarios, tserver.port, {"sd-removed"})
            write_configs(False)
            for a in AGENTS:
                agents[a].signal(signal.SIGHUP)
            removed.update({"removed-job", "sd-removed"})
            time.sleep(1.5)
            for a in AGENTS:
                m = http_text(f"http://127.0.0.1:{ports[a]}/metrics")
                v = metric_value(m, "prometheus_config_last_reload_successful")
                if v is not None and v != 1:
                    problems.append(f"{a}: reload after removing a target failed "
                                    f"(prometheus_config_last_reload_successful {v})")
        time.sleep(run_seconds * 0.7 - (1.5 if do_remove else 0))
        for a in AGENTS:
            selfmetrics[a] = http_text(f"http://127.0.0.1:{ports[a]}/metrics")
            with open(os.path.join(outdir, f"{a}.metrics.txt"), "w") as f:
                f.write(selfmetrics[a])
    except RuntimeError as e:
        problems.append(str(e))
    finally:
        # Agents first (Prometheus waits for unreachable remotes on shutdown), receivers after.
        for a in AGENTS:
            agents[a].signal(signal.SIGTERM)
        for a in AGENTS:
            if not agents[a].stop(15):
                problems.append(f"{a} did not stop within 15 s of SIGTERM (killed)")
        for p in procs:
            p.stop(5)
        time.sleep(0.2)
        rcv.stop()
        tserver.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    with rcv.lock:
        samples = {a: list(rcv.samples.get(a, [])) for a in AGENTS}
        errors = list(rcv.errors)
    for a, msg in errors:
        problems.append(f"receiver: {a}: {msg}")
    for a in AGENTS:
        if not samples[a]:
            problems.append(f"{a}: no samples received\n{agents[a].tail()}")

    ctxs = {}
    for sc in scenarios:
        c = {}
        for st in sc.steps:
            for n, kinds in type_context(st.body).items():
                c.setdefault(n, set()).update(kinds)
        ctxs[sc.name] = c
    ctxs["node"] = type_context(node_body)
    S = {a: Scrapes(a, samples[a], tserver, scenarios) for a in AGENTS}
    failures, allowed, summary = compare(S["promsls"], S["prometheus"], scenarios, removed, ctxs)

    # No staleness markers when the agent itself shuts down (issue 6).
    for a in AGENTS:
        for t, tss in S[a].scrape_ts.items():
            if t in removed or not tss:
                continue
            last = S[a].by_target.get(t, {}).get(len(tss), {})
            if last and all(b == STALE for vals in last.values() for _, b in vals):
                problems.append(f"{a}: staleness markers at shutdown for target {t} ({len(last)} series)")

    # Dump everything for debugging.
    dump = {}
    for a in AGENTS:
        dump[a] = {t: {str(k): {series_str(key): render(v, False) for key, v in sorted(sc.items())}
                       for k, sc in sorted(ks.items())} for t, ks in sorted(S[a].by_target.items())}
    with open(os.path.join(outdir, "scrapes.json"), "w") as f:
        json.dump(dump, f, indent=1, ensure_ascii=False)
    with open(os.path.join(outdir, "requests.json"), "w") as f:
        json.dump({f"{n}|{c}": {str(i): {"kind": r.get("kind"), "t_ms": r["t_ms"], "ua": r["ua"]}
                                for i, r in reqs.items()} for (n, c), reqs in tserver.log.items()}, f, indent=1)

    # Report.
    elapsed = time.time() - t_start
    by_reason = {}
    for e in allowed:
        by_reason.setdefault(e[5], []).append(e)
    for reason, es in sorted(by_reason.items()):
        print(f"parity: allowed difference [{reason}] x{len(es)}: {ALLOWED[reason][:100]}...")
        for t, k, s, va, vb, _ in es[:3]:
            print(f"    {t} #{k} {s}: promsls {va} | prometheus {vb}")
    for p in problems:
        print(f"parity: FAIL: {p}")
    if failures:
        print(f"parity: FAIL: {len(failures)} mismatches (target, scrape index, series: promsls | prometheus)")
        cur = None
        for t, k, s, va, vb, _ in failures:
            if t != cur:
                lk, ns, np_ = summary.get(t, (0, 0, 0))
                sc = targets_mod.BY_NAME.get(t)
                print(f"  --- {t}  (compared scrapes 1..{lk}; promsls {ns}, prometheus {np_} scrapes)"
                      + (f"  [{sc.note}]" if sc and sc.note else ""))
                cur = t
            print(f"    #{k} {s}\n        promsls:    {va}\n        prometheus: {vb}")
    ok = not failures and not problems
    ntargets = len(summary)
    print(f"parity: {'PASS' if ok else 'FAIL'}: {ntargets} targets compared, {len(failures)} mismatches, "
          f"{len(allowed)} allowed differences, {len(problems)} other problems; {elapsed:.0f} s; "
          f"details in {outdir}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
