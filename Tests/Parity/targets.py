#!/usr/bin/env python3
"""Scripted scrape targets for the parity suite (standard library only).

One HTTP server on 127.0.0.1 serves every scenario at /t/<name>/metrics. A scenario is a
sequence of steps; the N-th request *from a given client* gets step N (the last step repeats).
Clients are told apart by User-Agent: "promsls/..." vs "Prometheus/..." (anything else is
"other", e.g. curl while debugging), so both agents see exactly the same sequence.

A step is a body (with a Content-Type, or none) or a failure: HTTP 500, a truncated body
followed by a connection close, or a timeout (the answer comes after the scrape timeout).
Bodies may contain placeholders computed at request time:
  {T-5000}  request time in ms minus 5000 ({T1-5000} as in the corpus means the same)
  {T-5000s} the same in seconds with 3 decimals (OpenMetrics timestamps)
  {S-10000} server start time in ms minus 10000
  {F+250}   time of this client's first request to this target plus 250 (a timestamp that never
            moves but is newer than the agent's start: Prometheus's remote write never sends
            samples older than its own start)
Offsets are deliberately not whole seconds: with a 1s interval, {T-5000} of one request would
equal the scrape timestamp of an earlier scrape and the comparison could not tell them apart.
Every substituted value is logged with its placeholder text and request index, so the
comparison can express explicit timestamps relative to the scrape that produced them.

Run standalone to poke at it: python3 targets.py --port 9999 ; curl localhost:9999/t/
"""
import argparse
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")

TEXT = "text/plain; version=0.0.4; charset=utf-8"
OM = "application/openmetrics-text; version=1.0.0; charset=utf-8"
NONE = None  # no Content-Type header at all

# How long a "timeout" step sleeps before answering (the scrape timeout is 800ms).
TIMEOUT_SLEEP = 1.6


class Step:
    def __init__(self, kind, body=b"", ctype=TEXT):
        self.kind = kind  # "body", "500", "truncate", "timeout"
        self.body = body if isinstance(body, bytes) else body.encode()
        self.ctype = ctype

    def __repr__(self):
        return f"Step({self.kind}, {self.body[:30]!r}, {self.ctype!r})"


def B(body, ctype=TEXT):
    return Step("body", body, ctype)


FAIL500 = Step("500")
TRUNCATE = Step("truncate", b"# TYPE partial gauge\npartial_metric 1\npartial_metric2 ")
TIMEOUT = Step("timeout", b"late_metric 1\n")


WARMUP = B("parity_warmup 1\n")


class Scenario:
    """name: path component and value of the parity_target label; job: scrape job name.

    A scenario whose bodies carry request-relative timestamps ({T-...}) first serves WARMUP
    three times: Prometheus's remote write never sends a sample older than its own start, and
    a first scrape's {T-2500} can be (compare that on purpose in the .om-now / old-timestamp
    cases, not by accident everywhere)."""

    def __init__(self, name, job, steps, note="", ignore_values=False):
        if any(b"{T" in st.body for st in steps):
            steps = [WARMUP] * 3 + list(steps)
        self.name, self.job, self.steps, self.note = name, job, steps, note
        self.ignore_values = ignore_values

    def step(self, n):  # n is 1-based
        return self.steps[min(n, len(self.steps)) - 1]


def corpus_input(case_id):
    """The raw input bytes of a corpus case file (everything after '--- input ---\\n')."""
    with open(os.path.join(FIXTURES, case_id + ".txt"), "rb") as f:
        data = f.read()
    marker = b"\n--- input ---\n"
    i = data.index(marker)
    return data[i + len(marker):]


def corpus_scrapes(case_id):
    """Multi-scrape corpus inputs: bodies separated by lines starting with '### '."""
    bodies, cur = [], None
    for line in corpus_input(case_id).splitlines(keepends=True):
        if line.startswith(b"### "):
            if cur is not None:
                bodies.append(cur)
            cur = b""
        else:
            cur = (cur or b"") + line
    bodies.append(cur)
    return bodies


def prelude(ctype):
    body = b'# TYPE parity_prelude gauge\nparity_prelude{step="p"} 1\n'
    return B(body + (b"# EOF\n" if ctype == OM else b""), ctype)


def corpus_case(name, body, ctype, job="parity"):
    """prelude, the case body twice, then the prelude again (repeats): shows how the case's
    scrape replaces the previous one (staleness / failure) and how it ends."""
    p = prelude(ctype)
    return Scenario(name, job, [p, B(body, ctype), B(body, ctype), p])


def build_scenarios():
    S = []
    ci = corpus_input
    # ---------------- corpus exposition cases (issue 3), each with its variants ----------
    S.append(corpus_case("content-type-missing", ci("content-type-missing"), NONE))
    S.append(corpus_case("content-type-missing.html", ci("content-type-missing"), "text/html; charset=utf-8"))
    S.append(corpus_case("crlf-line-endings", ci("crlf-line-endings"), TEXT))
    S.append(corpus_case("empty-label-value", ci("empty-label-value"), TEXT))
    S.append(corpus_case("empty-label-value.B", ci("empty-label-value") + b'build_info_like{job=""} 1\n', TEXT,
                         job="parity_honor"))
    S.append(corpus_case("float-timestamp-text-format", ci("float-timestamp-text-format"), TEXT))
    S.append(corpus_case("float-timestamp-text-format.om", ci("float-timestamp-text-format") + b"# EOF\n", OM))
    S.append(corpus_case("float-timestamp-text-format.om-now",
                         b"# TYPE jobs_processed counter\njobs_processed_total 17 {T-2500s}\n# EOF\n", OM))
    S.append(corpus_case("hex-and-underscore-values", ci("hex-and-underscore-values"), TEXT))
    S.append(corpus_case("hex-and-underscore-values.accepted",
                         b"v_dot_5 .5\nv_5_dot 5.\nv_plus_3 +3\nv_007 007\nv_neg_zero -0\nv_1e06 1e+06\n"
                         b"v_1E_3 1E-3\nv_nan NaN\nv_nan_lower nan\nv_inf +Inf\nv_ninf -Inf\nv_inf_lower inf\n"
                         b"v_big 1.7976931348623157e308\nv_tiny 5e-324\nv_neg -12.5\n", TEXT))
    S.append(corpus_case("hex-and-underscore-values.1e400", b"ok_line 1\noverflow 1e400\n", TEXT))
    S.append(corpus_case("histogram-missing-inf-bucket", ci("histogram-missing-inf-bucket"), TEXT))
    S.append(corpus_case("histogram-missing-inf-bucket.histogram",
                         ci("histogram-missing-inf-bucket").replace(b"summary", b"histogram"), TEXT))
    S.append(corpus_case("invalid-utf8-label-value", ci("invalid-utf8-label-value"), TEXT))
    S.append(corpus_case("invalid-utf8-label-value.B", ci("invalid-utf8-label-value").split(b"\n")[0] + b"\n"
                         + 'x_info{team="\U0001F680",name="\u6771\u4eac"} 1\n'.encode(), TEXT))
    S.append(corpus_case("label-value-braces-commas", ci("label-value-braces-commas"), TEXT))
    S.append(corpus_case("label-value-escaped-backslash", ci("label-value-escaped-backslash"), TEXT))
    S.append(corpus_case("label-value-length-limit", ci("label-value-length-limit"), TEXT, job="parity_lvlimit"))
    S.append(corpus_case("label-value-unescaped-quote", ci("label-value-unescaped-quote"), TEXT))
    S.append(corpus_case("label-value-unescaped-quote.B", b'note_info{text="line one\nline two"} 1\n', TEXT))
    S.append(corpus_case("label-value-unescaped-quote.B-om", b'note_info{text="line one\nline two"} 1\n# EOF\n', OM))
    S.append(corpus_case("label-value-unescaped-quote.C", b'secret_age_days{name="ops 7\\" key",id="12"} 3\n', TEXT))
    S.append(corpus_case("le-quantile-normalization", ci("le-quantile-normalization"), TEXT))
    S.append(corpus_case("le-quantile-normalization.om", ci("le-quantile-normalization") + b"# EOF\n", OM))
    S.append(corpus_case("metric-relabel-dunder-labels-kept", ci("metric-relabel-dunder-labels-kept"), TEXT,
                         job="parity_mrelabel"))
    S.append(corpus_case("missing-final-newline", ci("missing-final-newline"), TEXT))
    S.append(corpus_case("missing-final-newline.om", ci("missing-final-newline") + b"\n# EOF", OM))
    S.append(corpus_case("negative-timestamp", ci("negative-timestamp"), TEXT))
    S.append(corpus_case("negative-timestamp.om", b"# TYPE x gauge\nx 0 -1\n# EOF\n", OM))
    S.append(corpus_case("om-counter-without-total", ci("om-counter-without-total"), OM))
    S.append(corpus_case("om-created-series", ci("om-created-series"), OM))
    S.append(corpus_case("om-created-series.text", ci("om-created-series").replace(b"# EOF\n", b""), TEXT))
    S.append(corpus_case("om-missing-eof", ci("om-missing-eof"), OM))
    S.append(corpus_case("om-missing-eof.B", ci("om-missing-eof"), TEXT))
    S.append(corpus_case("om-missing-eof.C", ci("om-missing-eof") + b"# EOF\n\n", OM))
    S.append(Scenario("om-missing-eof.E", "parity", [prelude(NONE), B(b"", NONE), B(b"", NONE), prelude(NONE)],
                      "0-byte body, no Content-Type: empty scrape, up=1, staleness for the prelude"))
    S.append(corpus_case("repeated-help-type-split-family", ci("repeated-help-type-split-family"), TEXT))
    S.append(corpus_case("space-after-label-comma", ci("space-after-label-comma"), OM))
    S.append(corpus_case("space-after-label-comma.text", ci("space-after-label-comma"), TEXT))
    S.append(corpus_case("space-after-label-comma.text-nocomma", b'm{ a = "1" b = "2" } 1\n', TEXT))
    sx = corpus_scrapes("staleness-explicit-timestamps")
    # {T1-5000} -> {T1-2500}: a whole-second offset would collide with an earlier scrape time.
    sx = [b.replace(b"{T1-5000}", b"{T1-2500}") for b in sx]
    S.append(Scenario("staleness-explicit-timestamps", "parity",
                      [B(sx[0]), B(sx[1]), B(sx[0]), B(sx[1]), B(sx[1])]))
    S.append(corpus_case("trailing-comma-exponent-blank-lines", ci("trailing-comma-exponent-blank-lines"), TEXT))
    S.append(corpus_case("trailing-comma-exponent-blank-lines.om",
                         ci("trailing-comma-exponent-blank-lines") + b"# EOF\n", OM))
    S.append(corpus_case("trailing-whitespace", ci("trailing-whitespace"), TEXT))
    S.append(corpus_case("trailing-whitespace.B",
                         ci("trailing-whitespace").replace(b"counter\n", b"counter \n"), TEXT))
    S.append(corpus_case("type-unknown-vs-untyped", ci("type-unknown-vs-untyped"), TEXT))
    S.append(corpus_case("type-unknown-vs-untyped.untyped-text",
                         ci("type-unknown-vs-untyped").replace(b"unknown", b"untyped"), TEXT))
    S.append(corpus_case("type-unknown-vs-untyped.untyped-om",
                         ci("type-unknown-vs-untyped").replace(b"unknown", b"untyped") + b"# EOF\n", OM))
    S.append(corpus_case("type-unknown-vs-untyped.unknown-om", ci("type-unknown-vs-untyped") + b"# EOF\n", OM))
    S.append(corpus_case("relabel-regex-anchoring", b"relabelled_target_metric 1\n", TEXT, job="parity_relabel"))

    # ---------------- scrape semantics (issue 6) ----------------
    S.append(Scenario("appear-vanish", "parity", [
        B("# TYPE a gauge\na 1\nb{x=\"1\"} 10\n"),
        B("# TYPE a gauge\na 2\nb{x=\"1\"} 11\nc 100\n"),
        B("# TYPE a gauge\na 3\nc 101\n"),
        B("# TYPE a gauge\na 4\nc 102\nb{x=\"2\"} 20\n"),
        B("a 5\n"),
        B("a 6\nb{x=\"1\"} 12\n"),
    ], "series appear, vanish (StaleNaN at the next scrape) and come back"))
    good1 = "# TYPE svc_requests counter\nsvc_requests_total{code=\"200\"} 5\nsvc_temp 21.5\n"
    good2 = "# TYPE svc_requests counter\nsvc_requests_total{code=\"200\"} 7\nsvc_requests_total{code=\"500\"} 1\n"
    S.append(Scenario("fail-recover", "parity", [
        B(good1), B(good1), FAIL500, FAIL500, B(good2), TRUNCATE, B(good2), TIMEOUT, B(good1), B(good1),
    ], "500 twice, recover, truncated body + connection close, recover, timeout, recover"))
    S.append(Scenario("parse-error", "parity", [
        B("g1 1\ng2 2\n"), B("g1 1\ng2 2\n"), B("g1 3\ng2{bad=\"x} 4\n"), B("g1 5\ng2 6\n"),
        B("g1 5\nbad line here\n"), B("g1 7\ng2 8\n"),
    ], "a parse error fails the whole scrape (stale markers, up=0) and the next good scrape recovers"))
    S.append(Scenario("explicit-ts", "parity", [
        B("ets_a 1 {T-2500}\nets_b 2\nets_c 3 {T-1250}\n"),
        B("ets_a 11 {T-2500}\nets_b 12\nets_c 13 {T-1250}\n"),
        B("ets_b 22\nets_c 23\n"),
        B("ets_b 32\n"),
        B("ets_a 41 {T-2500}\nets_b 42\n"),
    ], "explicit timestamps; series with explicit timestamps get no staleness markers"))
    S.append(Scenario("explicit-ts-nohonor", "parity_nohonorts", [
        B("nts_a 1 {T-2500}\nnts_b 2\n"), B("nts_a 11 {T-2500}\nnts_b 12\n"), B("nts_b 22\n"),
    ], "honor_timestamps: false: explicit timestamps replaced by the scrape time (and staleness applies)"))
    S.append(Scenario("duplicates", "parity", [
        B("dup_a 1\ndup_a 2\ndup_b{k=\"v\"} 5\ndup_b{k=\"v\"} 5\nuniq 1\n"),
        B("dup_a 3\ndup_a 4\ndup_b{k=\"v\"} 6\ndup_b{k=\"v\"} 6\nuniq 2\n"),
        B("dup_ts 1 {T-3500}\ndup_ts 2 {T-3500}\nuniq 3\n"),
        B("uniq 4\n"),
    ], "a series repeated within one scrape"))
    S.append(Scenario("out-of-order", "parity", [
        B("ooo 1 {T-1250}\nooo_steady 1\n"),
        B("ooo 2 {T-2500}\nooo_steady 2\n"),
        B("ooo 3 {T-750}\nooo_steady 3\n"),
        B("ooo 4 {T-3900}\nooo_steady 4\n"),
    ], "an explicit timestamp older than the previous one for that series"))
    S.append(Scenario("stuck-timestamp", "parity", [
        B("stuck 7 {F+250}\nstuck_steady 1\n"),
        B("stuck 7 {F+250}\nstuck_steady 2\n"),
        B("stuck 8 {F+250}\nstuck_steady 3\n"),
    ], "the same explicit timestamp every scrape (an exporter caching its values)"))
    S.append(Scenario("honor-labels-false", "parity", [
        B('hl_m{job="exp_job",instance="exp_inst"} 1\nhl_e{job=""} 2\n'
          'hl_x{exported_job="pre",job="j"} 3\nhl_plain 4\n'),
    ], "job/instance in the body with honor_labels: false -> exported_*"))
    S.append(Scenario("honor-labels-true", "parity_honor", [
        B('hl_m{job="exp_job",instance="exp_inst"} 1\nhl_e{job=""} 2\nhl_plain 4\n'),
    ], "job/instance in the body with honor_labels: true"))
    S.append(Scenario("histogram-summary", "parity", [
        B("# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"10\"} 3\n"
          "h_bucket{le=\"+Inf\"} 4\nh_sum 12.5\nh_count 4\n"
          "# TYPE s summary\ns{quantile=\"0.5\"} 1.5\ns{quantile=\"1\"} 9\ns{quantile=\"0.99\"} 8\n"
          "s_sum 20\ns_count 10\n"
          "# TYPE u untyped\nu_bucket{le=\"1\"} 5\n"),
        B("# TYPE h histogram\nh_bucket{le=\"0.1\"} 2\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"10\"} 4\n"
          "h_bucket{le=\"+Inf\"} 5\nh_sum 13.5\nh_count 5\n"),
    ], "histogram/summary le/quantile spellings, then the summary vanishes"))
    S.append(Scenario("histogram-summary.om", "parity", [
        B("# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 4\n"
          "h_sum 12.5\nh_count 4\nh_created 1.7e+09\n"
          "# TYPE s summary\ns{quantile=\"0.5\"} 1.5\ns{quantile=\"1\"} 9\ns_sum 20\ns_count 10\n"
          "# TYPE gh gaugehistogram\ngh_bucket{le=\"1\"} 1\ngh_bucket{le=\"+Inf\"} 2\ngh_gcount 2\ngh_gsum 3\n"
          "# EOF\n", OM),
    ]))
    S.append(Scenario("om-features", "parity", [
        B("# TYPE req counter\n# UNIT req requests\n# HELP req Requests.\nreq_total 5 {T-1500s}\n"
          "req_created 1.6e+09\n"
          "# TYPE build info\nbuild_info{version=\"1.2\"} 1\n"
          "# TYPE feat stateset\nfeat{feat=\"a\"} 1\nfeat{feat=\"b\"} 0\n"
          "# TYPE cnt counter\ncnt 7\n"
          "# TYPE ex counter\nex_total 3 # {trace_id=\"abc\"} 1.0 1.6e+09\n"
          "# TYPE nan_vals gauge\nnan_vals{s=\"a\"} NaN\nnan_vals{s=\"b\"} nan\nnan_vals{s=\"c\"} +inf\n"
          "nan_vals{s=\"d\"} -Inf\n# EOF\n", OM),
        B("# TYPE req counter\nreq_total 6 {T-1500s}\n# TYPE cnt counter\ncnt 8\n# EOF\n", OM),
    ], "OpenMetrics: # EOF, _created, counters without _total, info, stateset, exemplar, NaN spellings"))
    S.append(Scenario("empty-body", "parity", [
        B("eb 1\n"), B(""), B(""), B("eb 2\n"),
    ], "0-byte body with text Content-Type: empty scrape, up=1"))
    S.append(Scenario("removed-job", "parity_removable", [B("rm_metric 1\n")],
                      "whole scrape job removed from the config by a reload (SIGHUP)"))
    S.append(Scenario("sd-removed", "parity_filesd", [B("sd_metric 1\n")],
                      "target removed from file_sd: StaleNaN for its series and report series after ~2 intervals"))
    S.append(Scenario("sd-kept", "parity_filesd", [B("sd_kept_metric 1\n")],
                      "the other target of the file_sd job, unchanged"))
    return S


SCENARIOS = build_scenarios()
BY_NAME = {s.name: s for s in SCENARIOS}

PLACEHOLDER = re.compile(rb"\{([TSF])\d*([+-]\d+)?(s?)\}")


class TargetServer:
    def __init__(self, scenarios=None, host="127.0.0.1", port=0):
        self.scenarios = {s.name: s for s in (scenarios or SCENARIOS)}
        self.start_ms = int(time.time() * 1000)
        self.lock = threading.Lock()
        self.counts = {}  # (scenario, client) -> requests so far
        # (scenario, client) -> {request index: {"t_ms": ..., "ts": {value_ms: placeholder text}}}
        self.log = {}
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        # Agents drop connections on purpose (timeouts, truncated bodies): no tracebacks.
        self.httpd.handle_error = lambda request, client_address: None
        self.port = self.httpd.server_address[1]

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _substitute(self, body, now_ms, first_ms, rec):
        def repl(m):
            base = {b"T": now_ms, b"S": self.start_ms, b"F": first_ms}[m.group(1)]
            ms = base + int(m.group(2) or b"0")
            rec[ms] = m.group(0).decode()
            if m.group(3):
                return b"%d.%03d" % (ms // 1000, ms % 1000)
            return b"%d" % ms
        return PLACEHOLDER.sub(repl, body)

    def _handler(self):
        server = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                m = re.fullmatch(r"/t/([^/]+)/metrics", self.path.split("?")[0])
                if self.path.rstrip("/") == "/t":
                    body = "".join(f"/t/{n}/metrics\n" for n in server.scenarios).encode()
                    return self._send(200, body, "text/plain")
                if not m or m.group(1) not in server.scenarios:
                    return self._send(404, b"no such target\n", "text/plain")
                sc = server.scenarios[m.group(1)]
                ua = self.headers.get("User-Agent", "")
                client = "promsls" if ua.startswith("promsls/") else (
                    "prometheus" if ua.startswith("Prometheus/") else "other")
                now_ms = int(time.time() * 1000)
                with server.lock:
                    n = server.counts.get((sc.name, client), 0) + 1
                    server.counts[(sc.name, client)] = n
                    rec = {"t_ms": now_ms, "ts": {}, "ua": ua, "accept": self.headers.get("Accept", "")}
                    server.log.setdefault((sc.name, client), {})[n] = rec
                    first_ms = server.log[(sc.name, client)][1]["t_ms"]
                step = sc.step(n)
                rec["kind"] = step.kind
                body = server._substitute(step.body, now_ms, first_ms, rec["ts"])
                if step.kind == "500":
                    return self._send(500, b"injected failure\n", "text/plain")
                if step.kind == "truncate":
                    self.send_response(200)
                    self.send_header("Content-Type", TEXT)
                    self.send_header("Content-Length", str(len(body) + 100))
                    self.end_headers()
                    self.wfile.write(body)
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if step.kind == "timeout":
                    time.sleep(TIMEOUT_SLEEP)
                    try:
                        return self._send(200, body, TEXT)
                    except OSError:
                        return
                return self._send(200, body, step.ctype)

            def _send(self, code, body, ctype):
                self.send_response(code)
                if ctype is not None:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def send_response(self, code, message=None):
                # Like the base class but without a Server/Date header pair we do not need.
                self.log_request(code)
                self.send_response_only(code, message)

        return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=9999)
    args = ap.parse_args()
    srv = TargetServer(port=args.port).start()
    print(f"serving {len(srv.scenarios)} targets on 127.0.0.1:{srv.port}/t/<name>/metrics")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.stop()


if __name__ == "__main__":
    main()
