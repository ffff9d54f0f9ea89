#!/usr/bin/env python3
"""Loopback fakes of three Alibaba Cloud credential services, on one port.

  * ECS instance metadata service (real host: http://100.100.100.200)
      PUT /latest/api/token                                 -> IMDSv2 token (text)
      GET /latest/meta-data/ram/security-credentials/       -> role name (text)
      GET /latest/meta-data/ram/security-credentials/<role> -> credentials JSON
  * STS AssumeRoleWithOIDC (real host: https://sts.aliyuncs.com), any path,
      GET with query parameters or POST with an application/x-www-form-urlencoded body
      (query and form are merged; the Go SDK splits them between the two).
  * Credentials URI endpoint: GET /credentials -> credentials JSON.

Control endpoints (not themselves recorded):
  GET /_log     -> every request so far: {"method","path","query","form","headers","status","time"}
  GET /_issued  -> every credential issued: {"serial","AccessKeyId","Expiration","via","time"}

Stdlib only. Listens on 127.0.0.1, port 0; the chosen port is written to --port-file once
listening (atomically, by rename) and one ready line is printed on stdout. Nothing else is
printed on stdout; stderr gets only unexpected errors. SIGTERM/SIGINT stop it cleanly (exit 0).
See README.md beside this file for the protocol sources.
"""

import argparse
import base64
import datetime
import json
import os
import re
import secrets
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

EXPIRATION_FORMAT = '%Y-%m-%dT%H:%M:%SZ'  # UTC, whole seconds, literal Z: the only form the SDKs parse
IMDS_CREDS_PREFIX = '/latest/meta-data/ram/security-credentials/'
IMDS_TOKEN_PATH = '/latest/api/token'
IMDS_TOKEN_TTL_MAX = 21600  # DOC-ECS: X-aliyun-ecs-metadata-token-ttl-seconds is 1..21600
FAKE_ACCOUNT = '123456789012'
STS_HOST_ID = 'sts.aliyuncs.com'
ROLE_ARN_RE = re.compile(r'^acs:ram::\d+:role/[^/\s]+$')
OIDC_PROVIDER_ARN_RE = re.compile(r'^acs:ram::\d+:oidc-provider/[^/\s]+$')
SESSION_NAME_RE = re.compile(r'^[\w.@-]{2,64}$')  # DOC-STS: 2-64 chars, letters digits . @ - _


def fmt_time(epoch):
    return time.strftime(EXPIRATION_FORMAT, time.gmtime(epoch))


class State:
    """Everything the handlers share, behind one lock."""

    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.serial = 0            # successful issuances
        self.attempts = 0          # issuance attempts that reached the issuing step
        self.imds_tokens = {}      # token -> expiry epoch
        self.log = []
        self.issued = []

    def record(self, entry):
        with self.lock:
            self.log.append(entry)

    def issue(self, via):
        """Returns a credentials dict, or None when --fail-first says this attempt fails."""
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.opts.fail_first:
                return None
            self.serial += 1
            n = self.serial
            now = time.time()
            creds = {
                'AccessKeyId': f'STS.test-{n}',
                'AccessKeySecret': f'secret-{n}',
                'SecurityToken': f'token-{n}',
                'Expiration': fmt_time(now + self.opts.expire_seconds),
            }
            self.issued.append({'serial': n, 'AccessKeyId': creds['AccessKeyId'],
                                'Expiration': creds['Expiration'], 'via': via,
                                'time': fmt_time(now)})
            return creds

    def new_imds_token(self, ttl):
        token = 'imds-' + secrets.token_hex(16)
        with self.lock:
            self.imds_tokens[token] = time.time() + ttl
        return token

    def imds_token_valid(self, token):
        with self.lock:
            expiry = self.imds_tokens.get(token)
        return expiry is not None and time.time() < expiry


def single_values(pairs):
    """parse_qs result -> {name: value}; a repeated name keeps a list."""
    return {k: (v[0] if len(v) == 1 else v) for k, v in pairs.items()}


def b64url_json(segment):
    try:
        pad = '=' * (-len(segment) % 4)
        return json.loads(base64.urlsafe_b64decode(segment + pad))
    except Exception:
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'alibaba-fakes/1'
    state: State = None  # set in main()

    def version_string(self):
        return self.server_version

    # ---- plumbing -------------------------------------------------------------------------

    def log_message(self, fmt, *args):  # silence the per-request access log
        pass

    def log_error(self, fmt, *args):
        sys.stderr.write('alibaba_fakes: ' + (fmt % args) + '\n')

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

    def _send(self, status, body, content_type):
        data = body.encode('utf-8') if isinstance(body, str) else body
        self._status = status
        # Recorded before the reply goes out: a client that reads /_log right after its answer
        # finds its request there.
        if self._entry is not None:
            self._entry['status'] = status
            self.state.record(self._entry)
            self._entry = None
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(data)

    def _json(self, status, obj):
        self._send(status, json.dumps(obj), 'application/json;charset=utf-8')

    def _text(self, status, text):
        self._send(status, text, 'text/plain')

    def _handle(self):
        self._status = None
        self._entry = None
        split = urlsplit(self.path)
        path = split.path or '/'
        query = single_values(parse_qs(split.query, keep_blank_values=True))
        body = self._read_body()
        form = {}
        ctype = (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        if body and ctype == 'application/x-www-form-urlencoded':
            form = single_values(parse_qs(body.decode('utf-8', 'replace'), keep_blank_values=True))
        control = self.command == 'GET' and path in ('/_log', '/_issued')
        entry = None
        if not control:
            entry = {'method': self.command, 'path': path, 'query': query, 'form': form,
                     'headers': {k.lower(): v for k, v in self.headers.items()},
                     'time': datetime.datetime.now(datetime.timezone.utc).isoformat()}
        self._entry = entry
        try:
            self._route(path, query, form)
        except Exception as e:  # a bug in the fake: say so, answer 500
            self.log_error('internal error on %s %s: %r', self.command, self.path, e)
            if self._status is None:
                self._text(500, 'fake internal error\n')
        finally:
            if self._entry is not None:  # no reply was sent
                self._entry['status'] = self._status
                self.state.record(self._entry)
                self._entry = None

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = _handle

    # ---- routing --------------------------------------------------------------------------

    def _route(self, path, query, form):
        m = self.command
        if path == '/_log' and m == 'GET':
            with self.state.lock:
                return self._json(200, list(self.state.log))
        if path == '/_issued' and m == 'GET':
            with self.state.lock:
                return self._json(200, list(self.state.issued))
        if path == IMDS_TOKEN_PATH:
            return self._imds_token() if m == 'PUT' else self._text(405, 'Method Not Allowed\n')
        if path.startswith('/latest/'):
            return self._imds_get(path) if m == 'GET' else self._text(405, 'Method Not Allowed\n')
        if path == '/credentials':
            return self._uri_credentials() if m == 'GET' else self._text(405, 'Method Not Allowed\n')
        if m in ('GET', 'POST'):
            params = dict(query)
            params.update(form)
            return self._sts(params)
        return self._text(405, 'Method Not Allowed\n')

    # ---- ECS instance metadata service ----------------------------------------------------

    def _imds_token(self):
        ttl = self.headers.get('X-aliyun-ecs-metadata-token-ttl-seconds')
        try:
            ttl_n = int(ttl)
        except (TypeError, ValueError):
            return self._text(400, 'X-aliyun-ecs-metadata-token-ttl-seconds must be an integer 1-21600\n')
        if not 1 <= ttl_n <= IMDS_TOKEN_TTL_MAX:
            return self._text(400, 'X-aliyun-ecs-metadata-token-ttl-seconds must be an integer 1-21600\n')
        self._text(200, self.state.new_imds_token(ttl_n))

    def _imds_authorized(self):
        token = self.headers.get('X-aliyun-ecs-metadata-token')
        if token is None:
            return not self.state.opts.require_imdsv2
        return self.state.imds_token_valid(token)  # a token sent is checked even in v1 mode

    def _imds_get(self, path):
        if not self._imds_authorized():
            return self._text(401, 'Unauthorized\n')
        role = self.state.opts.role
        if path == IMDS_CREDS_PREFIX:
            return self._text(200, role)  # no trailing newline, as on ECS
        if path.startswith(IMDS_CREDS_PREFIX):
            name = path[len(IMDS_CREDS_PREFIX):]
            if name.endswith('/'):
                name = name[:-1]
            if name != role:
                return self._text(404, 'Not Found\n')
            creds = self.state.issue('ecs')
            if creds is None:
                return self._text(500, 'Internal Server Error\n')
            doc = {'Code': 'Success', **creds, 'LastUpdated': fmt_time(time.time())}
            # Pretty-printed, as in DOC-ECS's sample; served as text/plain like other metadata items,
            # so a client must not depend on the Content-Type.
            return self._send(200, json.dumps(doc, indent=2), 'text/plain')
        return self._text(404, 'Not Found\n')

    # ---- credentials URI ------------------------------------------------------------------

    def _uri_credentials(self):
        creds = self.state.issue('uri')
        if creds is None:
            return self._json(500, {'Code': 'InternalError', 'Message': 'fake: --fail-first'})
        self._json(200, {'Code': 'Success', **creds})

    # ---- STS AssumeRoleWithOIDC -----------------------------------------------------------

    def _sts_error(self, status, code, message):
        self._json(status, {'RequestId': str(uuid.uuid4()).upper(), 'HostId': STS_HOST_ID,
                            'Code': code, 'Message': message})

    def _sts(self, p):
        action = p.get('Action')
        if not action:
            return self._sts_error(400, 'MissingParameter', 'The input parameter "Action" that is mandatory for processing this request is not supplied.')
        if action != 'AssumeRoleWithOIDC':
            return self._sts_error(404, 'InvalidAction.NotFound', f'Specified api is not found, please check your url and method. (fake knows only AssumeRoleWithOIDC, got {action!r})')
        fmt = p.get('Format', 'JSON')
        if str(fmt).upper() != 'JSON':
            return self._sts_error(400, 'InvalidParameter.Format', 'this fake answers Format=JSON only')
        version = p.get('Version')
        if version is not None and version != '2015-04-01':
            return self._sts_error(400, 'InvalidVersion', f'Specified parameter Version is not valid: {version!r}')
        for name in ('RoleArn', 'OIDCProviderArn', 'OIDCToken'):
            if not p.get(name):
                return self._sts_error(400, 'MissingParameter', f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')
        role_arn, provider_arn, token = p['RoleArn'], p['OIDCProviderArn'], p['OIDCToken']
        if not ROLE_ARN_RE.match(role_arn):
            return self._sts_error(400, 'InvalidParameter.RoleArn', 'The parameter RoleArn is wrongly formed.')
        if not OIDC_PROVIDER_ARN_RE.match(provider_arn):
            return self._sts_error(400, 'InvalidParameter.OIDCProviderArn', 'The parameter OIDCProviderArn is wrongly formed.')
        session = p.get('RoleSessionName') or f'fake-session-{int(time.time())}'
        if not SESSION_NAME_RE.match(session):
            return self._sts_error(400, 'InvalidParameter.RoleSessionName', 'The parameter RoleSessionName is wrongly formed.')
        duration = p.get('DurationSeconds')
        if duration is not None:
            try:
                d = int(duration)
            except ValueError:
                d = -1
            if not 900 <= d <= 43200:
                return self._sts_error(400, 'InvalidParameter.DurationSeconds', 'The DurationSeconds is out of range (900-43200).')
        expected = self.state.opts.oidc_token
        if expected is not None and token != expected:
            return self._sts_error(400, 'InvalidParameter.OIDCToken', 'The OIDCToken is invalid: it does not match the token this fake was started with.')
        creds = self.state.issue('sts')
        if creds is None:
            return self._sts_error(500, 'InternalError', 'The request processing has failed due to some unknown error. (fake: --fail-first)')

        claims = {}
        parts = token.split('.')
        if len(parts) == 3:
            claims = b64url_json(parts[1]) or {}
        aud = claims.get('aud', 'sts.aliyuncs.com')
        now = time.time()
        role_name = role_arn.rsplit('/', 1)[1]
        account = role_arn.split(':')[3]
        self._json(200, {
            'RequestId': str(uuid.uuid4()).upper(),
            'AssumedRoleUser': {'Arn': f'acs:ram::{account}:role/{role_name}/{session}',
                                'AssumedRoleId': f'3{account[:17]}:{session}'},
            'OIDCTokenInfo': {
                'Subject': str(claims.get('sub', 'system:serviceaccount:default:promsls')),
                'Issuer': str(claims.get('iss', 'https://oidc.fake.invalid')),
                'ClientIds': ','.join(aud) if isinstance(aud, list) else str(aud),
                'IssuanceTime': fmt_time(claims['iat']) if isinstance(claims.get('iat'), int) else fmt_time(now),
                'ExpirationTime': fmt_time(claims['exp']) if isinstance(claims.get('exp'), int) else fmt_time(now + 3600),
                'VerificationInfo': 'Success',
            },
            'SourceIdentity': '',
            'Credentials': creds,
        })


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--port-file', required=True, help='write the listening port here')
    ap.add_argument('--role', default='promsls-test-role', help='ECS RAM role name served by the metadata fake')
    ap.add_argument('--expire-seconds', type=int, default=3600, help='lifetime of issued credentials (may be <= 0)')
    ap.add_argument('--require-imdsv2', action='store_true', help='metadata GETs without a valid token get 401')
    ap.add_argument('--oidc-token', default=None, help='AssumeRoleWithOIDC accepts only this exact OIDCToken')
    ap.add_argument('--fail-first', type=int, default=0, help='the first N issuance attempts (any service) answer 500')
    opts = ap.parse_args(argv)

    Handler.state = State(opts)
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    # A parent may have blocked these (signal masks survive exec): unblock them first.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    tmp = f'{opts.port_file}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(f'{port}\n')
    os.replace(tmp, opts.port_file)
    print(f'alibaba_fakes ready on http://127.0.0.1:{port}', flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
