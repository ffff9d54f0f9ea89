#!/usr/bin/env python3
"""Recording remote-write 1.0 receiver for the parity suite (standard library only).

POST /write/<agent> with a snappy-compressed protobuf WriteRequest. Every sample is recorded
with its label set (as sent), timestamp and the exact 64 value bits, so StaleNaN
(0x7ff0000000000002) stays distinguishable from any other NaN. Decoding reuses rwdump.py
(snappy block format and protobuf wire format written by hand).
"""
import os
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rwdump import fields, snappy_decompress, zigzag_or_int64  # noqa: E402

STALE_NAN_BITS = 0x7FF0000000000002


def decode_samples(data):
    """-> list of (labels: tuple of (name, value) in the order sent, [(ts_ms, bits)])."""
    out = []
    for num, _wt, v in fields(data):
        if num != 1:
            continue
        labels, samples = [], []
        for n2, _w2, v2 in fields(v):
            if n2 == 1:
                name = value = b""
                for n3, _w3, v3 in fields(v2):
                    if n3 == 1:
                        name = v3
                    elif n3 == 2:
                        value = v3
                labels.append((name.decode("utf-8", "backslashreplace"), value.decode("utf-8", "backslashreplace")))
            elif n2 == 2:
                bits, ts = 0, 0
                for n3, w3, v3 in fields(v2):
                    if n3 == 1 and w3 == 1:
                        bits = struct.unpack("<Q", v3)[0]
                    elif n3 == 2:
                        ts = zigzag_or_int64(v3)
                samples.append((ts, bits))
        out.append((tuple(labels), samples))
    return out


class Receiver:
    def __init__(self, host="127.0.0.1", port=0):
        self.lock = threading.Lock()
        self.samples = {}  # agent -> list of (labels tuple, ts, bits)
        self.requests = {}  # agent -> count
        self.errors = []  # (agent, message)
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.httpd.daemon_threads = True
        # Agents drop connections on purpose (timeouts, truncated bodies): no tracebacks.
        self.httpd.handle_error = lambda request, client_address: None
        self.port = self.httpd.server_address[1]

    def url(self, agent):
        return f"http://127.0.0.1:{self.port}/write/{agent}"

    def start(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self):
        rcv = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _reply(self, code, body=b""):
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                agent = self.path.rstrip("/").rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    series = decode_samples(snappy_decompress(body))
                except Exception as e:  # noqa: BLE001 - any decode failure is reported
                    with rcv.lock:
                        rcv.errors.append((agent, f"decode error: {e}"))
                    return self._reply(400, f"decode error: {e}\n".encode())
                problems = []
                if self.headers.get("Content-Encoding") != "snappy":
                    problems.append(f"Content-Encoding {self.headers.get('Content-Encoding')!r}")
                if self.headers.get("X-Prometheus-Remote-Write-Version") != "0.1.0":
                    problems.append("X-Prometheus-Remote-Write-Version "
                                    f"{self.headers.get('X-Prometheus-Remote-Write-Version')!r}")
                with rcv.lock:
                    rcv.requests[agent] = rcv.requests.get(agent, 0) + 1
                    rec = rcv.samples.setdefault(agent, [])
                    for labels, samples in series:
                        names = [n for n, _ in labels]
                        if names != sorted(names) or len(set(names)) != len(names):
                            problems.append(f"labels not sorted/unique: {labels}")
                        for ts, bits in samples:
                            rec.append((labels, ts, bits))
                    for p in problems[:5]:
                        rcv.errors.append((agent, p))
                self._reply(204)

            def do_GET(self):
                with rcv.lock:
                    body = "".join(f"{a} {len(s)}\n" for a, s in rcv.samples.items()).encode()
                self._reply(200, body)

        return H
