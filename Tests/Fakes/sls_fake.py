#!/usr/bin/env python3
"""Loopback fake of an Alibaba Cloud SLS Metricstore's Prometheus endpoints, over HTTPS.

  POST /prometheus/{project}/{metricstore}/api/v1/write   Prometheus remote write 1.0
        (snappy block-compressed protobuf prometheus.WriteRequest, HTTP Basic auth:
        AccessKey ID / AccessKey Secret, or Secret$STSToken)
  GET  /prometheus/{project}/{metricstore}/api/v1/query   PromQL instant query (POST with a form too);
        only a bare metric name selects anything, any other expression gives an empty vector
  anything else                                            404 with an SLS error body

Control routes (plain GET, no auth, any Host, not themselves recorded; served over HTTPS and,
on the same port, over plain HTTP; plain HTTP gets nothing else):
  GET /_received  every series of every accepted write: {"labels","samples":[[ts_ms,value]...],"request","request_id"}
  GET /_requests  every request: {"method","path","status","code","authorization_user","content_encoding","samples",...}
  GET /_tls       every failed TLS handshake: {"time","client","error"}

Error answers are {"errorCode","errorMessage"} JSON with the documented HTTP status; every answer
carries x-log-requestid (24 upper-case hex digits), Date and x-log-time, except in scenario
`proxy`, which imitates a captive portal. Stdlib only. Listens on 127.0.0.1, port 0, and prints
one `sls_fake ready on https://127.0.0.1:PORT` line on stdout once listening; nothing else goes
to stdout, and stderr gets only the fake's own errors. SIGTERM/SIGINT stop it (exit 0).
See README.md beside this file, and /work/research/sls-errors.md for the sources of the codes.
"""

import argparse
import base64
import calendar
import datetime
import email.utils
import json
import math
import os
import re
import secrets
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

SKEW_SECONDS = 20 * 60                     # scenario skew: the server's clock is 20 minutes behind
LOOKBACK_MS = 5 * 60 * 1000                # PromQL instant-vector lookback
STALE_NAN_BITS = 0x7FF0000000000002        # Prometheus staleness marker
MAX_UNCOMPRESSED = 256 << 20               # refuse snappy bodies that claim more than this
FIRST_BYTE_TIMEOUT = 10                    # seconds a new connection may wait before its first byte / handshake
EXPIRATION_FORMAT = '%Y-%m-%dT%H:%M:%SZ'   # alibaba_fakes.py's Expiration
METRIC_NAME_RE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*$')
PROM_PATH_RE = re.compile(r'^/prometheus/([^/]+)/([^/]+)(/.*)?$')
ISSUED_ID_RE = re.compile(r'^STS\.test-(\d+)$')
CONTROL_ROUTES = ('/_received', '/_requests', '/_tls')
WRITE_CONTENT_TYPES = ('application/x-protobuf', 'application/x-protobuf;proto=prometheus.writerequest')
SCENARIOS = {'ok': False, 'quota-first': True, 'too-large-over': True, 'skew': False,
             'timestamps': False, 'proxy': False, 'busy-first': True}  # name -> takes N

PROXY_PAGE = ('<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n'
              '<body><h1>Network login required</h1>\n'
              '<p>This network requires you to sign in before you can reach the Internet.</p>\n'
              '<hr><address>captive-portal</address></body></html>\n')
PLAIN_HTTP_PAGE = ('<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n'
                   '<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n'
                   '<center>The plain HTTP request was sent to HTTPS port</center>\r\n'
                   '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n')


class DecodeError(Exception):
    pass


class SLSError(Exception):
    def __init__(self, status, code, message):
        super().__init__(f'{status} {code}: {message}')
        self.status, self.code, self.message = status, code, message


# ---- snappy (raw block format) -------------------------------------------------------------

def snappy_decompress(data):
    """Decompresses one snappy block: a varint uncompressed length, then elements whose tag's
    low two bits say literal (00), copy with a 1-byte (01), 2-byte (10) or 4-byte (11) offset."""
    data = memoryview(data)
    n = len(data)
    pos = 0
    length = 0
    shift = 0
    while True:
        if pos >= n:
            raise DecodeError('snappy: truncated length varint')
        b = data[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        if b < 0x80:
            break
        shift += 7
        if shift > 28:
            raise DecodeError('snappy: length varint too long')
    if length > 0xFFFFFFFF:
        raise DecodeError('snappy: length over 32 bits')
    if length > MAX_UNCOMPRESSED:
        raise DecodeError(f'snappy: uncompressed length {length} over the fake\'s limit')
    out = bytearray()
    while pos < n:
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:  # literal
            size = tag >> 2
            if size >= 60:
                extra = size - 59  # 1..4 little-endian bytes hold size-1
                if pos + extra > n:
                    raise DecodeError('snappy: truncated literal length')
                size = int.from_bytes(data[pos:pos + extra], 'little')
                pos += extra
            size += 1
            if pos + size > n:
                raise DecodeError('snappy: literal runs past the input')
            if len(out) + size > length:
                raise DecodeError('snappy: output longer than its declared length')
            out += data[pos:pos + size]
            pos += size
            continue
        if kind == 1:  # copy, 1-byte offset: 3 bits of length-4, 11 bits of offset
            if pos + 1 > n:
                raise DecodeError('snappy: truncated copy-1')
            size = 4 + ((tag >> 2) & 7)
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:  # copy, 2-byte offset
            if pos + 2 > n:
                raise DecodeError('snappy: truncated copy-2')
            size = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 2], 'little')
            pos += 2
        else:  # copy, 4-byte offset
            if pos + 4 > n:
                raise DecodeError('snappy: truncated copy-4')
            size = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 4], 'little')
            pos += 4
        if offset == 0 or offset > len(out):
            raise DecodeError(f'snappy: copy offset {offset} outside the {len(out)} bytes so far')
        if len(out) + size > length:
            raise DecodeError('snappy: output longer than its declared length')
        start = len(out) - offset
        if offset >= size:
            out += out[start:start + size]
        else:  # overlapping copy: the last `offset` bytes repeat
            pattern = bytes(out[start:])
            out += (pattern * (size // offset + 1))[:size]
    if len(out) != length:
        raise DecodeError(f'snappy: {len(out)} bytes decoded, {length} declared')
    return bytes(out)


# ---- protobuf: prometheus.WriteRequest -------------------------------------------------------

def _varint(buf, pos, end):
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise DecodeError('protobuf: truncated varint')
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if shift >= 70:
            raise DecodeError('protobuf: varint too long')


def _fields(buf, pos, end):
    """Yields (field number, wire type, value) over buf[pos:end]; a length-delimited value is
    (start, stop), a fixed64 is its 8 raw bytes."""
    while pos < end:
        key, pos = _varint(buf, pos, end)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise DecodeError('protobuf: field number 0')
        if wire == 0:
            value, pos = _varint(buf, pos, end)
        elif wire == 1:
            if pos + 8 > end:
                raise DecodeError('protobuf: truncated fixed64')
            value = bytes(buf[pos:pos + 8])
            pos += 8
        elif wire == 2:
            size, pos = _varint(buf, pos, end)
            if pos + size > end:
                raise DecodeError('protobuf: length-delimited field runs past its message')
            value = (pos, pos + size)
            pos += size
        elif wire == 5:
            if pos + 4 > end:
                raise DecodeError('protobuf: truncated fixed32')
            value = bytes(buf[pos:pos + 4])
            pos += 4
        else:
            raise DecodeError(f'protobuf: unsupported wire type {wire} (field {field})')
        yield field, wire, value


def _expect(field, wire, want):
    if wire != want:
        raise DecodeError(f'protobuf: field {field} has wire type {wire}, expected {want}')


def _string(buf, span, what):
    try:
        return bytes(buf[span[0]:span[1]]).decode('utf-8')
    except UnicodeDecodeError:
        raise DecodeError(f'protobuf: {what} is not UTF-8')


def decode_write_request(raw):
    """-> [(labels [(name, value)...], samples [(timestamp_ms, value, stale)...])]. Unknown
    fields (metadata 3, exemplars 3, histograms 4...) are skipped."""
    buf = memoryview(raw)
    series = []
    for field, wire, value in _fields(buf, 0, len(buf)):
        if field != 1:
            continue
        _expect(field, wire, 2)
        labels, samples = [], []
        for f2, w2, v2 in _fields(buf, *value):
            if f2 == 1:  # Label
                _expect(f2, w2, 2)
                name = val = ''
                for f3, w3, v3 in _fields(buf, *v2):
                    if f3 == 1:
                        _expect(f3, w3, 2)
                        name = _string(buf, v3, 'a label name')
                    elif f3 == 2:
                        _expect(f3, w3, 2)
                        val = _string(buf, v3, 'a label value')
                labels.append((name, val))
            elif f2 == 2:  # Sample
                _expect(f2, w2, 2)
                sample_value, bits, ts = 0.0, 0, 0
                for f3, w3, v3 in _fields(buf, *v2):
                    if f3 == 1:
                        _expect(f3, w3, 1)
                        bits = int.from_bytes(v3, 'little')
                        sample_value = struct.unpack('<d', v3)[0]
                    elif f3 == 2:
                        _expect(f3, w3, 0)
                        ts = v3 - (1 << 64) if v3 >= (1 << 63) else v3
                samples.append((ts, sample_value, bits == STALE_NAN_BITS))
        series.append((labels, samples))
    return series


# ---- formatting ------------------------------------------------------------------------------

def json_value(value, stale):
    """A sample value for /_received: a JSON number, or a string when not finite."""
    if stale:
        return 'StaleNaN'
    if math.isnan(value):
        return 'NaN'
    if math.isinf(value):
        return '+Inf' if value > 0 else '-Inf'
    return value


def prom_value(value):
    """A value as the Prometheus HTTP API writes it (Go's FormatFloat(v, 'f', -1, 64))."""
    if math.isnan(value):
        return 'NaN'
    if math.isinf(value):
        return '+Inf' if value > 0 else '-Inf'
    text = repr(value)
    if 'e' in text or 'E' in text:
        from decimal import Decimal
        text = format(Decimal(text), 'f')
    if '.' in text:
        text = text.rstrip('0').rstrip('.')
    return text


def prom_time(ms):
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


def parse_prom_time(text):
    """A PromQL `time` parameter (unix seconds, possibly fractional, or RFC 3339) -> ms."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        return round(seconds * 1000) if math.isfinite(seconds) else None
    try:
        t = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    except ValueError:
        return None
    if t.tzinfo is None:
        return None
    return round(t.timestamp() * 1000)


# ---- state -----------------------------------------------------------------------------------

class Key:
    def __init__(self, secret, token, expiration):
        self.secret, self.token, self.expiration = secret, token, expiration


class State:
    """Everything the handlers share, behind one lock."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.requests = []        # /_requests
        self.received = []        # /_received
        self.tls_failures = []    # /_tls
        self.series = {}          # sorted label tuple -> {"labels": dict, "samples": [(ts, value, stale)]}
        self.writes_counted = 0   # writes that reached the scenario step
        self.skew = SKEW_SECONDS if opts.scenario == 'skew' else 0
        self.no_proxy_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def now(self):
        """The fake server's clock (behind by 20 minutes in scenario skew)."""
        return time.time() - self.skew

    def record(self, entry, series=None):
        """Appends a /_requests entry; with series (an accepted write), stores them too."""
        with self.lock:
            self.requests.append(entry)
            index = len(self.requests)
            for labels, samples in series or ():
                self.received.append({
                    'labels': dict(labels),
                    'samples': [[ts, json_value(v, stale)] for ts, v, stale in samples],
                    'request': index, 'request_id': entry['request_id']})
                key = tuple(sorted(labels))
                stored = self.series.setdefault(key, {'labels': dict(labels), 'samples': []})
                stored['samples'].extend(samples)

    def count_write(self):
        with self.lock:
            self.writes_counted += 1
            return self.writes_counted

    def tls_failed(self, client, error):
        with self.lock:
            self.tls_failures.append({'time': fmt_iso(time.time()), 'client': f'{client[0]}:{client[1]}',
                                      'error': str(error)})

    def lookup_key(self, access_key_id):
        """-> Key, or None when this AccessKey ID is unknown."""
        o = self.opts
        if o.access_key_id is not None and access_key_id == o.access_key_id:
            return Key(o.access_key_secret, o.sts_token, None)
        if o.credentials_url is None:
            return None
        try:
            with self.no_proxy_opener.open(o.credentials_url, timeout=5) as r:
                issued = json.loads(r.read())
        except Exception as e:
            sys.stderr.write(f'sls_fake: cannot read --credentials-url {o.credentials_url}: {e!r}\n')
            raise SLSError(500, 'InternalServerError', f'fake: cannot read --credentials-url: {e}')
        for item in issued:
            if not isinstance(item, dict) or item.get('AccessKeyId') != access_key_id:
                continue
            m = ISSUED_ID_RE.match(access_key_id)
            serial = item.get('serial') if isinstance(item.get('serial'), int) else (int(m.group(1)) if m else None)
            if serial is None:
                continue
            expiration = None
            if item.get('Expiration'):
                expiration = calendar.timegm(time.strptime(item['Expiration'], EXPIRATION_FORMAT))
            return Key(f'secret-{serial}', f'token-{serial}', expiration)
        return None


def fmt_iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).isoformat()


# ---- HTTP ------------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'sls-fake/1'
    state: State = None  # set in main()

    def version_string(self):
        return 'nginx' if self.state.opts.scenario == 'proxy' else self.server_version

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(self.state.now() if timestamp is None else timestamp, usegmt=True)

    def log_message(self, fmt, *args):  # no access log
        pass

    def log_error(self, fmt, *args):
        pass  # malformed requests are answered (send_error) and recorded; nothing to print

    @property
    def tls(self):
        return isinstance(self.connection, ssl.SSLSocket)

    # ---- answers ------------------------------------------------------------------------------

    def _send(self, status, body, content_type=None, sls=True, series=None):
        data = body.encode('utf-8') if isinstance(body, str) else body
        self._status = status
        if self._entry is not None:
            # Recorded (and the series stored) before the answer leaves: a client that reads
            # /_requests or /_received once it has its answer sees this request there.
            self._entry['status'] = status
            self._entry['code'] = self._code
            self.state.record(self._entry, series)
            self._entry = None
        self.send_response(status)
        if sls:
            self.send_header('x-log-requestid', self._request_id)
            self.send_header('x-log-time', str(int(self.state.now())))
        if content_type is not None:
            self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD' and data:
            self.wfile.write(data)

    def _json(self, status, obj):
        self._send(status, json.dumps(obj, allow_nan=False), 'application/json')

    def _error(self, e):
        self._code = e.code
        self._json(e.status, {'errorCode': e.code, 'errorMessage': e.message})

    def send_error(self, code, message=None, explain=None):
        """BaseHTTPRequestHandler's own errors (bad request line, oversized headers, unknown
        method): an SLS-style body, and the connection closes."""
        self.close_connection = True
        if not hasattr(self, '_request_id'):
            self._request_id = secrets.token_hex(12).upper()
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = 'Error'
        if getattr(self, '_entry', None) is None:
            self._entry = self._new_entry('', b'', None)
        self._error(SLSError(code, phrase.replace(' ', '').replace('-', ''), message or phrase))

    # ---- plumbing -----------------------------------------------------------------------------

    def _read_body(self):
        if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b';')[0].strip() or b'0', 16)
                if size == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass  # trailers
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b''.join(chunks)
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length > 0 else b''

    def _authorization_user(self):
        """(user, password), or None when there is no readable Basic Authorization."""
        h = self.headers.get('Authorization')
        if not h:
            return None
        scheme, _, cred = h.strip().partition(' ')
        if scheme.lower() != 'basic':
            return None
        try:
            text = base64.b64decode(cred.strip(), validate=True).decode('utf-8')
        except Exception:
            return None
        user, sep, password = text.partition(':')
        return (user, password) if sep else None

    def _new_entry(self, query, body, basic):
        """A /_requests entry for this request (robust to a request that failed to parse)."""
        headers = getattr(self, 'headers', None) or {}
        path = getattr(self, 'path', None)
        return {
            'method': getattr(self, 'command', None) or None,
            'path': urlsplit(path).path if path else None, 'query': query,
            'host': headers.get('Host'), 'scheme': 'https' if self.tls else 'http',
            'request_id': self._request_id, 'authorization_user': basic[0] if basic else None,
            'content_encoding': headers.get('Content-Encoding'), 'content_type': headers.get('Content-Type'),
            'remote_write_version': headers.get('X-Prometheus-Remote-Write-Version'),
            'user_agent': headers.get('User-Agent'), 'content_length': len(body),
            'samples': None, 'status': None, 'code': None, 'time': fmt_iso(time.time())}

    def _handle(self):
        self._status = None
        self._code = None
        self._entry = None
        self._request_id = secrets.token_hex(12).upper()
        split = urlsplit(self.path)
        path = split.path or '/'
        try:
            body = self._read_body()
        except (ValueError, OSError):
            return self.send_error(400, 'unreadable request body')
        if self.command == 'GET' and path in CONTROL_ROUTES:
            return self._control(path)
        basic = self._authorization_user()
        self._entry = self._new_entry(split.query, body, basic)
        try:
            if not self.tls:
                # What nginx in front of SLS says to plain HTTP on 443; not an SLS answer.
                self.close_connection = True
                self._send(400, PLAIN_HTTP_PAGE, 'text/html', sls=False)
            elif self.state.opts.scenario == 'proxy':
                self._send(502, PROXY_PAGE, 'text/html', sls=False)
            else:
                self._route(path, split.query, body, basic)
        except SLSError as e:
            self._error(e)
        except Exception as e:  # a bug in the fake (or the client went away): say so, answer 500
            if self._status is None:
                sys.stderr.write(f'sls_fake: internal error on {self.command} {self.path}: {e!r}\n')
                self._error(SLSError(500, 'InternalServerError', f'fake internal error: {e!r}'))
        finally:
            if self._entry is not None:  # no answer went out
                self.state.record(self._entry)
                self._entry = None

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _handle

    def _control(self, path):
        with self.state.lock:
            if path == '/_received':
                doc = list(self.state.received)
            elif path == '/_requests':
                doc = list(self.state.requests)
            else:
                doc = list(self.state.tls_failures)
        self._send(200, json.dumps(doc, allow_nan=False), 'application/json', sls=False)

    # ---- SLS ----------------------------------------------------------------------------------

    def _route(self, path, query, body, basic):
        m = PROM_PATH_RE.match(path)
        if not m:
            raise SLSError(404, 'NotFound', f'the request path {path} is not an SLS API (fake)')
        project, store, rest = m.group(1), m.group(2), m.group(3) or ''
        host = (self.headers.get('Host') or '').strip().lower()
        host_name = host if host.endswith(']') else host.rsplit(':', 1)[0]
        host_project = host_name.split('.', 1)[0]
        if host_project != project.lower():
            raise SLSError(400, 'ProjectNotMatch',
                           f'The project in the host ({host_project or "-"}) does not match the project in the path ({project})')
        if project not in self.state.opts.project:
            raise SLSError(404, 'ProjectNotExist', f'The Project does not exist : {project}')
        if rest == '/api/v1/write':
            return self._write(project, store, body, basic)
        if rest == '/api/v1/query':
            return self._query(project, store, query, body, basic)
        self._authenticate(basic, 'log:GetLogStoreLogs', project, store)
        self._check_store(store)
        raise SLSError(404, 'NotFound', f'this fake serves only api/v1/write and api/v1/query, not {rest or "/"}')

    def _check_store(self, store):
        if store not in self.state.opts.metricstore:
            raise SLSError(404, 'LogStoreNotExist', f'logstore {store} does not exist')

    def _authenticate(self, basic, action, project, store):
        denied = SLSError(401, 'Unauthorized',
                          f'denied by sts or ram, action: {action}, resource: acs:log:*:*:project/{project}/logstore/{store}')
        if basic is None:
            raise denied
        user, password = basic
        key = self.state.lookup_key(user)
        if key is None:
            raise SLSError(401, 'InvalidAccessKeyId', f'The access key id you provided is invalid: {user}.')
        secret, dollar, token = password.partition('$')
        if secret != key.secret:
            raise SLSError(401, 'SignatureNotMatch', 'Signature is not matched.')
        invalid_token = SLSError(401, 'Unauthorized', 'The security token you provided is invalid.')
        if key.token is None:
            if dollar:
                raise invalid_token
        else:
            if not dollar or token != key.token:
                raise invalid_token
            if key.expiration is not None and time.time() >= key.expiration:
                raise SLSError(401, 'Unauthorized', 'The security token you provided has expired.')

    def _write(self, project, store, body, basic):
        series = error = None
        try:
            series = decode_write_request(snappy_decompress(body))
            self._entry['samples'] = sum(len(s) for _, s in series)
        except DecodeError as e:
            error = e
        if self.command != 'POST':
            raise SLSError(405, 'MethodNotAllowed', f'{self.command} is not allowed on api/v1/write: use POST')
        self._authenticate(basic, 'log:PostLogStoreLogs', project, store)
        self._check_store(store)
        if 'Content-Length' not in self.headers and 'chunked' not in (self.headers.get('Transfer-Encoding') or '').lower():
            raise SLSError(411, 'MissingContentLength', 'Content-Length does not exist in http header when it is necessary.')
        encoding = (self.headers.get('Content-Encoding') or '').strip().lower()
        if encoding != 'snappy':
            raise SLSError(400, 'InvalidCompressType',
                           f'Content-Encoding {encoding or "(none)"} is unsupported: remote write bodies are snappy')
        ctype = (self.headers.get('Content-Type') or '').replace(' ', '').lower()
        if ctype not in WRITE_CONTENT_TYPES:
            raise SLSError(415, 'InvalidContentType',
                           f'Content-Type {ctype or "(none)"} is unsupported: remote write 1.0 sends application/x-protobuf')

        scenario, n = self.state.opts.scenario, self.state.opts.scenario_n
        count = self.state.count_write()
        if scenario == 'quota-first' and count <= n:
            raise SLSError(403, 'WriteQuotaExceed', 'Project write quota exceed: qps: 1000')
        if scenario == 'busy-first' and count <= n:
            raise SLSError(503, 'ServerBusy', 'The server is busy, please try again later.')
        if scenario == 'skew':
            raise SLSError(400, 'RequestTimeTooSkewed', 'Request time exceeds server time more than 15 minutes.')
        if error is not None:
            if str(error).startswith('snappy'):
                raise SLSError(400, 'PostBodyUncompressError', f'Failed to decompress logs. ({error})')
            raise SLSError(400, 'PostBodyInvalid', f'Protobuffer content cannot be parsed. ({error})')
        samples = self._entry['samples']
        if scenario == 'too-large-over' and samples > n:
            raise SLSError(400, 'PostBodyTooLarge',
                           f'Logs must be less than or equal to 3 MB and 4096 entries. (fake limit: {n} samples, got {samples})')
        if scenario == 'timestamps':
            raise SLSError(400, 'InvalidTimestamp', 'Invalid timestamps are in logs.')
        self._send(200, b'', series=series)

    def _query(self, project, store, query, body, basic):
        if self.command not in ('GET', 'POST'):
            raise SLSError(405, 'MethodNotAllowed', f'{self.command} is not allowed on api/v1/query')
        self._authenticate(basic, 'log:GetLogStoreLogs', project, store)
        self._check_store(store)
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if self.command == 'POST' and body:
            params.update({k: v[-1] for k, v in parse_qs(body.decode('utf-8', 'replace'), keep_blank_values=True).items()})
        q = params.get('query')
        if not q:
            return self._json(400, {'status': 'error', 'errorType': 'bad_data',
                                    'error': 'invalid parameter "query": 1:1: parse error: no expression found in input'})
        eval_ms = round(self.state.now() * 1000)
        if params.get('time'):
            eval_ms = parse_prom_time(params['time'])
            if eval_ms is None:
                return self._json(400, {'status': 'error', 'errorType': 'bad_data',
                                        'error': f'invalid parameter "time": cannot parse "{params["time"]}" to a valid timestamp'})
        result = []
        name = q.strip()
        if METRIC_NAME_RE.match(name):
            with self.state.lock:
                for entry in self.state.series.values():
                    if entry['labels'].get('__name__') != name:
                        continue
                    window = [s for s in entry['samples'] if eval_ms - LOOKBACK_MS < s[0] <= eval_ms]
                    if not window:
                        continue
                    _, value, stale = max(reversed(window), key=lambda s: s[0])  # the last one written wins a tie
                    if stale:
                        continue
                    result.append({'metric': dict(entry['labels']), 'value': [prom_time(eval_ms), prom_value(value)]})
        self._json(200, {'status': 'success', 'data': {'resultType': 'vector', 'result': result}})


class Server(ThreadingHTTPServer):
    """TLS is set up per connection, in the connection's own thread (a client that connects and
    never completes a handshake holds up only itself). A connection whose first byte is not a
    TLS handshake record is served as plain HTTP: the control routes answer, all else gets
    nginx's "plain HTTP request was sent to HTTPS port" 400."""

    daemon_threads = True
    request_queue_size = 128  # many remote-write shards may connect at once

    def __init__(self, address, handler, context, state):
        super().__init__(address, handler)
        self.context = context
        self.state = state

    def finish_request(self, request, client_address):
        request.settimeout(FIRST_BYTE_TIMEOUT)
        try:
            first = request.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if not first:
            return
        conn = request
        if first == b'\x16':  # TLS handshake record
            try:
                conn = self.context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                self.state.tls_failed(client_address, e)
                return
        conn.settimeout(None)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            if conn is not request:
                try:
                    conn.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        if isinstance(e, (ConnectionError, ssl.SSLError, TimeoutError)):
            return  # the client went away
        sys.stderr.write(f'sls_fake: error on a connection from {client_address}: {e!r}\n')


def parse_scenario(words):
    """['quota-first', '3'], ['quota-first=3'] or ['quota-first:3'] -> ('quota-first', 3)."""
    if len(words) == 1 and re.match(r'^[a-z-]+[=:]\d+$', words[0]):
        words = re.split(r'[=:]', words[0])
    name = words[0]
    if name not in SCENARIOS:
        raise SystemExit(f'sls_fake: unknown scenario {name!r} (known: {", ".join(SCENARIOS)})')
    if SCENARIOS[name]:
        if len(words) != 2 or not words[1].isdigit():
            raise SystemExit(f'sls_fake: scenario {name} takes a count: --scenario {name} N')
        return name, int(words[1])
    if len(words) != 1:
        raise SystemExit(f'sls_fake: scenario {name} takes no count')
    return name, 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--cert', required=True, help='PEM certificate (chain) the fake presents')
    ap.add_argument('--key', required=True, help='PEM private key of --cert')
    ap.add_argument('--project', action='append', required=True, help='a project that exists (repeatable)')
    ap.add_argument('--metricstore', action='append', required=True,
                    help='a Metricstore that exists, in every --project (repeatable)')
    ap.add_argument('--access-key-id', help='the AccessKey ID accepted')
    ap.add_argument('--access-key-secret', help='its AccessKey Secret')
    ap.add_argument('--sts-token', help='the key is an STS one: the Basic password must be SECRET$TOKEN')
    ap.add_argument('--credentials-url',
                    help="alibaba_fakes.py's /_issued URL: also accept any key it issued, until it expires")
    ap.add_argument('--scenario', nargs='+', default=['ok'], metavar='NAME [N]',
                    help='ok | quota-first N | too-large-over N | skew | timestamps | proxy | busy-first N')
    ap.add_argument('--port-file', help='also write the port here (atomically) once listening')
    opts = ap.parse_args(argv)
    opts.scenario, opts.scenario_n = parse_scenario(opts.scenario)
    if (opts.access_key_id is None) != (opts.access_key_secret is None):
        ap.error('--access-key-id and --access-key-secret go together')
    if opts.access_key_id is None and opts.credentials_url is None:
        ap.error('give --access-key-id/--access-key-secret, --credentials-url, or both')
    if opts.sts_token is not None and opts.access_key_id is None:
        ap.error('--sts-token needs --access-key-id/--access-key-secret')

    # A parent may have blocked these (signal masks survive exec): unblock them first.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(opts.cert, opts.key)
    context.set_alpn_protocols(['http/1.1'])

    state = State(opts)
    Handler.state = state
    httpd = Server(('127.0.0.1', 0), Handler, context, state)
    port = httpd.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if opts.port_file:
        tmp = f'{opts.port_file}.tmp.{os.getpid()}'
        with open(tmp, 'w') as f:
            f.write(f'{port}\n')
        os.replace(tmp, opts.port_file)
    print(f'sls_fake ready on https://127.0.0.1:{port}', flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
