#!/usr/bin/env python3
"""Loopback fake of a Kubernetes API server's read side (list, watch, get), over HTTPS.

  GET /api/v1/{pods,services,endpoints,nodes,namespaces}[/NAME]          cluster-wide
  GET /api/v1/namespaces/{ns}/{pods,services,endpoints}[/NAME]           one namespace
  GET /apis/discovery.k8s.io/v1[/namespaces/{ns}]/endpointslices[/NAME]
  GET /apis/networking.k8s.io/v1[/namespaces/{ns}]/ingresses[/NAME]
      LIST: labelSelector, fieldSelector, limit + continue (410 Expired once compacted)
      WATCH (?watch=1|true, or the old /watch/ paths): resourceVersion, allowWatchBookmarks,
      timeoutSeconds, sendInitialEvents, the same selectors; one JSON event per line, chunked
  GET /version /api /api/v1 /apis /apis/{group}[/v1] /healthz /livez /readyz

Bearer token from --token-file, re-read on every request (401 Status otherwise); --deny makes a
resource 403 Forbidden. A second, plain-HTTP port serves the control API (objects, compaction,
dropped watches, outages, RBAC, stats): see CONTROL below and README.md beside this file.

Stdlib only. Listens on 127.0.0.1, port 0 (both ports); writes --port-file and
--control-port-file atomically once listening and prints one
`kube_apiserver_fake ready on https://127.0.0.1:PORT control http://127.0.0.1:CPORT` line on
stdout; nothing else goes to stdout, and stderr gets only the fake's own errors.
SIGTERM/SIGINT stop it (exit 0). Protocol: https://kubernetes.io/docs/reference/using-api/api-concepts/
"""

import argparse
import base64
import bisect
import collections
import hmac
import json
import os
import random
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FIRST_BYTE_TIMEOUT = 10        # seconds a new connection may wait before its first byte / handshake
WRITE_CHUNK = 64 * 1024        # watch events are written in chunks of whole lines up to this size
GIT_VERSION = 'v1.31.0'

CONTROL = """Control API (plain HTTP, JSON bodies; answers JSON):
  PUT  /objects   {"pods":[...],"services":[...],...}  the server then holds exactly these objects of
                  each resource named (others of those resources: DELETED; new: ADDED; changed: MODIFIED)
  GET  /objects[?resource=pods]                       what the server holds
  POST /apply     {"resource":"pods","object":{...}} (or "objects":[...])  ADDED or MODIFIED
  POST /delete    {"resource":"pods","namespace":"default","name":"x"}  DELETED (404 if absent)
  POST /expire    compaction: every resourceVersion before now is too old; open watches get 410 and end
  POST /drop      close every open watch connection abruptly (no event, no last chunk)
  POST /bookmark  a BOOKMARK now on every watch that asked for bookmarks
  POST /deny      {"resource":"pods"[,"namespace":"ns" | "" for cluster scope only]}   403 from now on
  POST /allow     {"resource":"pods"} (or {} for all)                                  undo /deny
  POST /outage    {"seconds":N[,"mode":"refuse"|"reset"]}  drop every API connection; for N s refuse
                  (listening socket closed) or reset (accept, then RST) new ones; then serve again
  GET  /stats     {"requests":{"list":{"pods":n},"watch":{...},"get":{...}},"open_watches":n,...}
  GET  /requests  the last 10000 API requests: {"time","method","path","query","verb","resource",
                  "namespace","status","user_agent"}
  POST /generate  {"pods":5000,"nodes":50,"namespace":"default"[,"seed":1]}  realistic objects, fast
"""

JSON_SEPARATORS = (',', ':')


def dumps(doc):
    """JSON as the API server writes it: compact, UTF-8, with <, >, & and U+2028/9 escaped like Go."""
    text = json.dumps(doc, separators=JSON_SEPARATORS, ensure_ascii=False)
    if '<' in text or '>' in text or '&' in text or '\u2028' in text or '\u2029' in text:
        text = (text.replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
                .replace('\u2028', '\\u2028').replace('\u2029', '\\u2029'))
    return text.encode('utf-8')


def now_rfc3339():
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())


# ---- resources -------------------------------------------------------------------------------

class Resource:
    def __init__(self, name, kind, group, namespaced, singular, short=()):
        self.name, self.kind, self.group, self.namespaced = name, kind, group, namespaced
        self.singular, self.short = singular, list(short)
        self.api_version = f'{group}/v1' if group else 'v1'
        self.list_kind = kind + 'List'
        self.kind_prefix = b'{"kind":"%s","apiVersion":"%s",' % (kind.encode(), self.api_version.encode())
        # "pods" / "endpointslices.discovery.k8s.io", as RBAC messages name them
        self.qualified = f'{name}.{group}' if group else name


RESOURCES = {r.name: r for r in (
    Resource('pods', 'Pod', '', True, 'pod', ['po']),
    Resource('services', 'Service', '', True, 'service', ['svc']),
    Resource('endpoints', 'Endpoints', '', True, 'endpoints', ['ep']),
    Resource('nodes', 'Node', '', False, 'node', ['no']),
    Resource('namespaces', 'Namespace', '', False, 'namespace', ['ns']),
    Resource('endpointslices', 'EndpointSlice', 'discovery.k8s.io', True, 'endpointslice'),
    Resource('ingresses', 'Ingress', 'networking.k8s.io', True, 'ingress', ['ing']),
)}
GROUPS = {'': [r for r in RESOURCES.values() if not r.group]}
for _r in RESOURCES.values():
    if _r.group:
        GROUPS.setdefault(_r.group, []).append(_r)

# fieldSelector labels each resource supports (as the real registry's GetAttrs/field label conversion)
POD_FIELDS = {
    'spec.nodeName': lambda d: (d.get('spec') or {}).get('nodeName') or '',
    'spec.restartPolicy': lambda d: (d.get('spec') or {}).get('restartPolicy') or '',
    'spec.schedulerName': lambda d: (d.get('spec') or {}).get('schedulerName') or '',
    'spec.serviceAccountName': lambda d: (d.get('spec') or {}).get('serviceAccountName') or '',
    'spec.hostNetwork': lambda d: 'true' if (d.get('spec') or {}).get('hostNetwork') else 'false',
    'status.phase': lambda d: (d.get('status') or {}).get('phase') or '',
    'status.podIP': lambda d: (d.get('status') or {}).get('podIP') or '',
    'status.nominatedNodeName': lambda d: (d.get('status') or {}).get('nominatedNodeName') or '',
}
EXTRA_FIELDS = {
    'pods': POD_FIELDS,
    'nodes': {'spec.unschedulable': lambda d: 'true' if (d.get('spec') or {}).get('unschedulable') else 'false'},
    'namespaces': {'status.phase': lambda d: (d.get('status') or {}).get('phase') or ''},
    'services': {'spec.clusterIP': lambda d: (d.get('spec') or {}).get('clusterIP') or '',
                 'spec.type': lambda d: (d.get('spec') or {}).get('type') or ''},
}


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None, extra_metadata=None):
        super().__init__(f'{code} {reason}: {message}')
        self.code, self.reason, self.message = code, reason, message
        self.details, self.extra_metadata = details, extra_metadata

    def doc(self):
        d = {'kind': 'Status', 'apiVersion': 'v1', 'metadata': self.extra_metadata or {}, 'status': 'Failure',
             'message': self.message, 'reason': self.reason}
        if self.details is not None:
            d['details'] = self.details
        d['code'] = self.code
        return d


def bad_request(message):
    return ApiError(400, 'BadRequest', message)


# ---- selectors -------------------------------------------------------------------------------

_SPECIAL = set(' \t\n!=(),<>')


def _lex_labels(text):
    toks, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in ' \t\n':
            i += 1
        elif text.startswith('==', i) or text.startswith('!=', i):
            toks.append(text[i:i + 2])
            i += 2
        elif c in '=!(),<>':
            toks.append(c)
            i += 1
        else:
            j = i
            while j < n and text[j] not in _SPECIAL:
                j += 1
            word = text[i:j]
            toks.append(('in',) if word == 'in' else ('notin',) if word == 'notin' else ('id', word))
            i = j
    return toks


def _valid_label_value(v):
    if len(v) > 63:
        return False
    if not v:
        return True
    ok = all(c.isascii() and (c.isalnum() or c in '-_.') for c in v)
    return ok and v[0].isalnum() and v[-1].isalnum()


def _valid_label_key(k):
    prefix, slash, name = k.rpartition('/')
    if slash and (not prefix or len(prefix) > 253 or not all(c.isascii() and (c.isalnum() or c in '-.') for c in prefix)):
        return False
    return bool(name) and _valid_label_value(name)


def parse_label_selector(text):
    """k8s.io/apimachinery labels.Parse: a list of requirements (key, op, values), ANDed."""
    toks = _lex_labels(text or '')
    reqs, i = [], 0

    def expect_id(what):
        nonlocal i
        if i >= len(toks) or not isinstance(toks[i], tuple):
            found = toks[i] if i < len(toks) else 'end of string'
            found = found[-1] if isinstance(found, tuple) else found
            raise bad_request(f"unable to parse requirement: found '{found}', expected: {what}")
        tok = toks[i]
        i += 1
        return tok[-1] if tok[0] != 'id' else tok[1]

    while i < len(toks):
        if toks[i] == '!':
            i += 1
            key = expect_id('identifier after \'!\'')
            reqs.append((key, '!', ()))
        else:
            key = expect_id('identifier')
            if i >= len(toks) or toks[i] == ',':
                reqs.append((key, 'exists', ()))
            else:
                op = toks[i]
                i += 1
                if op in ('=', '==', '!=', '<', '>'):
                    if i >= len(toks) or toks[i] == ',':
                        value = ''
                    else:
                        value = expect_id('identifier')
                    if op in ('<', '>'):
                        try:
                            int(value)
                        except ValueError:
                            raise bad_request(f'unable to parse requirement: for \'Gt\', \'Lt\' operators, the value must be an integer: {value!r}')
                    reqs.append((key, {'==': '='}.get(op, op), (value,)))
                elif op in (('in',), ('notin',)):
                    if i >= len(toks) or toks[i] != '(':
                        raise bad_request("unable to parse requirement: found '%s', expected: '('" % (toks[i] if i < len(toks) else 'end of string'))
                    i += 1
                    values = []
                    if i < len(toks) and toks[i] == ')':
                        i += 1
                    else:
                        while True:
                            values.append('' if i < len(toks) and toks[i] in (',', ')') else expect_id('identifier'))
                            if i < len(toks) and toks[i] == ',':
                                i += 1
                                continue
                            if i < len(toks) and toks[i] == ')':
                                i += 1
                                break
                            raise bad_request("unable to parse requirement: found '%s', expected: ',', ')'" % (
                                toks[i][-1] if i < len(toks) and isinstance(toks[i], tuple) else toks[i] if i < len(toks) else 'end of string'))
                    if not values:
                        raise bad_request("unable to parse requirement: for 'in', 'notin' operators, values set can't be empty")
                    reqs.append((key, op[0], tuple(values)))
                else:
                    raise bad_request(f"unable to parse requirement: found '{op[-1] if isinstance(op, tuple) else op}', expected: '=', '!=', '==', 'in', notin'")
        if not _valid_label_key(reqs[-1][0]):
            raise bad_request(f'unable to parse requirement: key: Invalid value: "{reqs[-1][0]}": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character')
        for v in reqs[-1][2]:
            if not _valid_label_value(v):
                raise bad_request(f'unable to parse requirement: values[0][{reqs[-1][0]}]: Invalid value: "{v}": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character')
        if i < len(toks):
            if toks[i] != ',':
                raise bad_request(f"found '{toks[i][-1] if isinstance(toks[i], tuple) else toks[i]}', expected: ',' or 'end of string'")
            i += 1
            if i >= len(toks):
                raise bad_request("found 'end of string', expected: identifier")
    return reqs


def labels_match(reqs, labels):
    for key, op, values in reqs:
        present = key in labels
        if op == 'exists':
            ok = present
        elif op == '!':
            ok = not present
        elif op in ('=', 'in'):
            ok = present and labels[key] in values
        elif op in ('!=', 'notin'):
            ok = not present or labels[key] not in values
        else:  # '<' '>'
            try:
                have = int(labels[key]) if present else None
            except ValueError:
                have = None
            ok = have is not None and (have > int(values[0]) if op == '>' else have < int(values[0]))
        if not ok:
            return False
    return True


def _split_unescaped(text, sep):
    parts, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == '\\' and i + 1 < len(text):
            cur.append(text[i:i + 2])
            i += 2
            continue
        if c == sep:
            parts.append(''.join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append(''.join(cur))
    return parts


def _unescape_field(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == '\\':
            if i + 1 >= len(v) or v[i + 1] not in '\\,=':
                raise bad_request(f'invalid field selector: invalid escape sequence in {v!r}')
            out.append(v[i + 1])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return ''.join(out)


def parse_field_selector(text, res):
    """k8s.io/apimachinery fields.ParseSelector, then the resource's supported field labels."""
    reqs = []
    if not text:
        return reqs
    supported = EXTRA_FIELDS.get(res.name, {})
    for term in _split_unescaped(text, ','):
        if not term:
            continue
        found = None
        for pos in range(len(term)):
            if term[pos] == '\\':
                continue
            for op in ('!=', '==', '='):
                if term.startswith(op, pos):
                    found = (pos, op)
                    break
            if found:
                break
        if not found:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        pos, op = found
        field, value = term[:pos], _unescape_field(term[pos + len(op):])
        if field not in ('metadata.name', 'metadata.namespace') and field not in supported:
            raise bad_request(f'field label not supported: {field}')
        reqs.append((field, op != '!=', value))
    return reqs


def field_value(res, d, field):
    if field == 'metadata.name':
        return (d.get('metadata') or {}).get('name') or ''
    if field == 'metadata.namespace':
        return (d.get('metadata') or {}).get('namespace') or ''
    return EXTRA_FIELDS[res.name][field](d)


# ---- state -----------------------------------------------------------------------------------

class Obj:
    """One stored object. The dict is never changed once stored; a change stores a new Obj."""
    __slots__ = ('d', 'key', 'ns', 'labels', 'rv', '_json')

    def __init__(self, d, key, ns, rv):
        self.d, self.key, self.ns, self.rv = d, key, ns, rv
        labels = (d.get('metadata') or {}).get('labels')
        self.labels = labels if isinstance(labels, dict) else {}
        self._json = None

    def json(self):
        j = self._json
        if j is None:
            j = self._json = dumps(self.d)
        return j

    def with_rv(self, rv):
        d = dict(self.d)
        d['metadata'] = dict(d['metadata'], resourceVersion=str(rv))
        return Obj(d, self.key, self.ns, rv)


class Event:
    __slots__ = ('rv', 'type', 'obj', 'prev', '_lines')

    def __init__(self, rv, type_, obj, prev=None):
        self.rv, self.type, self.obj, self.prev = rv, type_, obj, prev
        self._lines = {}

    def line(self, res, type_=None, obj=None):
        """`{"type":T,"object":{kind,apiVersion,...}}\\n`, cached per event and type."""
        type_ = type_ or self.type
        cached = self._lines.get(type_)
        if cached is None:
            cached = self._lines[type_] = event_line(res, type_, obj or self.obj)
        return cached


def event_line(res, type_, obj):
    body = obj.json()
    inner = res.kind_prefix + body[1:] if body != b'{}' else res.kind_prefix[:-1] + b'}'
    return b'{"type":"%s","object":%s}\n' % (type_.encode(), inner)


class Watcher:
    def __init__(self, res, ns, lsel, fsel, bookmarks, conn):
        self.res, self.ns, self.lsel, self.fsel = res, ns, lsel, fsel
        self.bookmarks, self.conn = bookmarks, conn
        self.pos = 0             # absolute index into the resource's event log
        self.last_rv = 0         # the newest resourceVersion this watch has passed on
        self.closed = None       # None | 'expire' | 'drop'
        self.bookmark_seq = 0


class State:
    def __init__(self, opts):
        self.opts = opts
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.rv = opts.start_resource_version
        self.compacted = 0                                   # the oldest resourceVersion still watchable
        self.objects = {r: {} for r in RESOURCES}            # resource -> key -> Obj
        self.logs = {r: [] for r in RESOURCES}               # resource -> [Event], rv ascending
        self.log_base = {r: 0 for r in RESOURCES}            # absolute index of logs[r][0]
        self.trimmed = {r: 0 for r in RESOURCES}             # rv of the newest event trimmed off logs[r]
        self.snapshots = collections.OrderedDict()           # (resource, rv) -> sorted [Obj], for continue
        self.watchers = set()
        self.conns = set()
        self.deny = set()                                    # (resource, scope): scope None = all, '' = cluster, else ns
        for spec in opts.deny or []:
            self.deny.add(parse_deny(spec))
        self.bookmark_seq = 0
        self.outage_until = 0.0
        self.outage_mode = None
        self.counts = {'list': collections.Counter(), 'watch': collections.Counter(), 'get': collections.Counter()}
        self.status_counts = collections.Counter()
        self.requests = collections.deque(maxlen=10000)
        self.generated = 0

    # -- objects (call with the lock held) --

    def _normalize(self, res, d):
        if not isinstance(d, dict) or not isinstance(d.get('metadata'), dict):
            raise ValueError(f'{res.name}: every object needs a "metadata" object')
        d = dict(d)
        d.pop('kind', None)
        d.pop('apiVersion', None)
        md = d['metadata'] = dict(d['metadata'])
        name = md.get('name')
        if not isinstance(name, str) or not name:
            raise ValueError(f'{res.name}: metadata.name is required')
        if res.namespaced:
            ns = md.get('namespace') or 'default'
            md['namespace'] = ns
            key = f'{ns}/{name}'
        else:
            md.pop('namespace', None)
            ns = ''
            key = name
        labels = md.get('labels')
        if labels is not None and not (isinstance(labels, dict) and all(isinstance(v, str) for v in labels.values())):
            raise ValueError(f'{res.name} {key}: metadata.labels must map strings to strings')
        return d, key, ns

    def _append(self, res, ev):
        log = self.logs[res.name]
        log.append(ev)
        cap = self.opts.retain_events
        if len(log) > cap + max(cap // 4, 1):
            drop = len(log) - cap
            self.trimmed[res.name] = log[drop - 1].rv
            del log[:drop]
            self.log_base[res.name] += drop

    def apply_locked(self, res, d):
        d, key, ns = self._normalize(res, d)
        store = self.objects[res.name]
        prev = store.get(key)
        md = d['metadata']
        if prev is not None:
            pmd = prev.d['metadata']
            md['uid'] = pmd['uid']
            md.setdefault('creationTimestamp', pmd.get('creationTimestamp'))
            md['resourceVersion'] = pmd['resourceVersion']
            if d == prev.d:
                return None
        else:
            md.setdefault('uid', str(uuid.uuid4()))
            md.setdefault('creationTimestamp', now_rfc3339())
        self.rv += 1
        md['resourceVersion'] = str(self.rv)
        obj = Obj(d, key, ns, self.rv)
        store[key] = obj
        ev = Event(self.rv, 'MODIFIED' if prev else 'ADDED', obj, prev)
        self._append(res, ev)
        return ev.type

    def delete_locked(self, res, key):
        prev = self.objects[res.name].pop(key, None)
        if prev is None:
            return None
        self.rv += 1
        self._append(res, Event(self.rv, 'DELETED', prev.with_rv(self.rv), prev))
        return 'DELETED'

    def replace_all(self, doc):
        unknown = [k for k in doc if k not in RESOURCES]
        if unknown:
            raise ValueError(f'unknown resources {unknown}: known are {sorted(RESOURCES)}')
        counts = collections.Counter()
        with self.lock:
            # validate everything first, so a bad object changes nothing
            for name, items in doc.items():
                if not isinstance(items, list):
                    raise ValueError(f'{name}: a list of objects, please')
                for d in items:
                    self._normalize(RESOURCES[name], d)
            for name, items in doc.items():
                res = RESOURCES[name]
                keep = set()
                for d in items:
                    keep.add(self._normalize(res, d)[1])
                    t = self.apply_locked(res, d)
                    if t:
                        counts[t] += 1
                for key in [k for k in self.objects[name] if k not in keep]:
                    counts[self.delete_locked(res, key)] += 1
            self.cond.notify_all()
            return dict(counts, resourceVersion=str(self.rv))

    # -- reading (lock held) --

    def snapshot_locked(self, res, rv):
        """Every object of res as of rv, sorted by key (the etcd key order)."""
        cache_key = (res.name, rv)
        snap = self.snapshots.get(cache_key)
        if snap is not None:
            self.snapshots.move_to_end(cache_key)
            return snap
        store = dict(self.objects[res.name])
        if rv < self.rv:  # undo the events after rv
            log = self.logs[res.name]
            start = bisect.bisect_right(log, rv, key=lambda e: e.rv)
            for ev in reversed(log[start:]):
                if ev.type == 'ADDED':
                    store.pop(ev.obj.key, None)
                else:  # MODIFIED, DELETED: the object as it was before
                    store[ev.obj.key] = ev.prev
        snap = [store[k] for k in sorted(store)]
        self.snapshots[cache_key] = snap
        while len(self.snapshots) > 16:
            self.snapshots.popitem(last=False)
        return snap

    def too_old_locked(self, res, rv):
        oldest = max(self.compacted, self.trimmed[res.name])
        return oldest if rv < oldest else None

    def count(self, verb, resource):
        with self.lock:
            self.counts[verb][resource] += 1

    def record(self, entry, status):
        with self.lock:
            self.status_counts[str(status)] += 1
            self.requests.append(entry)

    def denied(self, res, ns):
        for r, scope in self.deny:
            if r == res.name and (scope is None or scope == ns):
                return True
        return False


def parse_deny(spec):
    """'pods' -> all of pods; 'pods@' -> cluster-scope requests only; 'pods@ns' -> that namespace only."""
    name, at, scope = spec.partition('@')
    if name not in RESOURCES:
        raise SystemExit(f'kube_apiserver_fake: --deny {spec}: unknown resource (known: {", ".join(RESOURCES)})')
    return name, (scope if at else None)


# ---- continue tokens (the apiserver's: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":KEY\\0}) --

def encode_continue(rv, last_key):
    doc = {'v': 'meta.k8s.io/v1', 'rv': rv, 'start': last_key + '\x00'}
    return base64.urlsafe_b64encode(json.dumps(doc, separators=JSON_SEPARATORS).encode()).decode().rstrip('=')


def decode_continue(token):
    try:
        raw = base64.urlsafe_b64decode(token + '=' * (-len(token) % 4))
        doc = json.loads(raw)
        if doc.get('v') != 'meta.k8s.io/v1' or not isinstance(doc.get('rv'), int) or not isinstance(doc.get('start'), str):
            raise ValueError('not a meta.k8s.io/v1 continue token')
        return doc['rv'], doc['start']
    except Exception as e:
        raise bad_request(f'continue key is not valid: {e}')


# ---- generated objects -----------------------------------------------------------------------

def generate(state, spec):
    rnd = random.Random(spec.get('seed', 1) + state.generated)
    n_pods, n_nodes = int(spec.get('pods', 0)), int(spec.get('nodes', 0))
    ns = spec.get('namespace') or 'default'
    ts = now_rfc3339()
    start = state.generated
    state.generated += 1
    nodes = []
    for i in range(n_nodes):
        name = f'gen{start}-node-{i}'
        nodes.append({
            'metadata': {'name': name, 'labels': {
                'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
                'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux',
                'node.kubernetes.io/instance-type': 'ecs.g7.xlarge', 'topology.kubernetes.io/region': 'cn-hangzhou',
                'topology.kubernetes.io/zone': f'cn-hangzhou-{"hijk"[i % 4]}'},
                'annotations': {'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true'}},
            'spec': {'podCIDR': f'10.244.{i % 256}.0/24', 'podCIDRs': [f'10.244.{i % 256}.0/24'],
                     'providerID': f'alicloud://cn-hangzhou.i-{rnd.getrandbits(64):016x}'},
            'status': {
                'addresses': [{'type': 'InternalIP', 'address': f'10.0.{i // 250}.{i % 250 + 1}'},
                              {'type': 'Hostname', 'address': name}],
                'daemonEndpoints': {'kubeletEndpoint': {'Port': 10250}},
                'capacity': {'cpu': '4', 'memory': '16131552Ki', 'pods': '110'},
                'allocatable': {'cpu': '3900m', 'memory': '14900000Ki', 'pods': '110'},
                'conditions': [{'type': 'Ready', 'status': 'True', 'reason': 'KubeletReady',
                                'message': 'kubelet is posting ready status', 'lastHeartbeatTime': ts, 'lastTransitionTime': ts}],
                'nodeInfo': {'architecture': 'amd64', 'containerRuntimeVersion': 'containerd://1.7.13',
                             'kernelVersion': '5.10.134-16.al8.x86_64', 'kubeProxyVersion': GIT_VERSION,
                             'kubeletVersion': GIT_VERSION, 'operatingSystem': 'linux', 'osImage': 'Alibaba Cloud Linux 3',
                             'machineID': f'{rnd.getrandbits(128):032x}', 'systemUUID': str(uuid.UUID(int=rnd.getrandbits(128))),
                             'bootID': str(uuid.UUID(int=rnd.getrandbits(128)))}}})
    with state.lock:
        node_names = [n['metadata']['name'] for n in nodes] or \
            [o.d['metadata']['name'] for o in state.objects['nodes'].values()] or ['']
        node_ip = {n['metadata']['name']: n['status']['addresses'][0]['address'] for n in nodes}
        for o in state.objects['nodes'].values():
            for a in (o.d.get('status') or {}).get('addresses') or []:
                if a.get('type') == 'InternalIP':
                    node_ip.setdefault(o.d['metadata']['name'], a.get('address'))
    pods = []
    deployments = max(1, n_pods // 50)
    hashes = [f'{rnd.getrandbits(40):010x}'[:10] for _ in range(deployments)]
    for i in range(n_pods):
        dep = i % deployments
        app = f'gen{start}-app-{dep}'
        rs = f'{app}-{hashes[dep]}'
        name = f'{rs}-{"".join(rnd.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))}'
        node = node_names[i % len(node_names)]
        pod_ip = f'10.{244 + (i >> 16) % 8}.{(i >> 8) & 255}.{i & 255}'
        cid = f'containerd://{rnd.getrandbits(256):064x}'
        pods.append({
            'metadata': {
                'name': name, 'generateName': rs + '-', 'namespace': ns,
                'labels': {'app': app, 'pod-template-hash': hashes[dep], 'tier': ('web', 'worker', 'db')[dep % 3]},
                'annotations': {'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics'},
                'ownerReferences': [{'apiVersion': 'apps/v1', 'kind': 'ReplicaSet', 'name': rs,
                                     'uid': str(uuid.UUID(int=rnd.getrandbits(128))), 'controller': True, 'blockOwnerDeletion': True}]},
            'spec': {
                'containers': [{'name': 'app', 'image': f'registry.example.com/{app}:1.4.2', 'imagePullPolicy': 'IfNotPresent',
                                'ports': [{'name': 'http-metrics', 'containerPort': 8080, 'protocol': 'TCP'},
                                          {'name': 'grpc', 'containerPort': 9090, 'protocol': 'TCP'}],
                                'resources': {'requests': {'cpu': '100m', 'memory': '128Mi'}, 'limits': {'memory': '256Mi'}},
                                'terminationMessagePath': '/dev/termination-log', 'terminationMessagePolicy': 'File'}],
                'nodeName': node, 'restartPolicy': 'Always', 'schedulerName': 'default-scheduler',
                'serviceAccountName': 'default', 'terminationGracePeriodSeconds': 30, 'dnsPolicy': 'ClusterFirst'},
            'status': {
                'phase': 'Running', 'hostIP': node_ip.get(node, '10.0.0.1'), 'podIP': pod_ip, 'podIPs': [{'ip': pod_ip}],
                'startTime': ts, 'qosClass': 'Burstable',
                'conditions': [{'type': t, 'status': 'True', 'lastProbeTime': None, 'lastTransitionTime': ts}
                               for t in ('Initialized', 'Ready', 'ContainersReady', 'PodScheduled')],
                'containerStatuses': [{'name': 'app', 'ready': True, 'started': True, 'restartCount': 0,
                                       'image': f'registry.example.com/{app}:1.4.2',
                                       'imageID': f'registry.example.com/{app}@sha256:{rnd.getrandbits(256):064x}',
                                       'containerID': cid, 'state': {'running': {'startedAt': ts}}}]}})
    counts = collections.Counter()
    with state.lock:
        if ns not in state.objects['namespaces']:
            state.apply_locked(RESOURCES['namespaces'], {'metadata': {'name': ns, 'labels': {'kubernetes.io/metadata.name': ns}},
                                                         'spec': {'finalizers': ['kubernetes']}, 'status': {'phase': 'Active'}})
            counts['namespaces'] += 1
        for n in nodes:
            state.apply_locked(RESOURCES['nodes'], n)
        for p in pods:
            state.apply_locked(RESOURCES['pods'], p)
        counts['nodes'] += len(nodes)
        counts['pods'] += len(pods)
        state.cond.notify_all()
        return dict(counts, resourceVersion=str(state.rv))


# ---- the API server --------------------------------------------------------------------------

def parse_api_path(path):
    """-> (kind, value): ('resource', (res, ns, name, watch_path)) | ('doc', name) | None."""
    parts = [p for p in path.split('/') if p]
    if parts[:2] == ['api', 'v1']:
        group, rest = '', parts[2:]
    elif len(parts) >= 3 and parts[0] == 'apis' and parts[1] in GROUPS and parts[2] == 'v1':
        group, rest = parts[1], parts[3:]
    else:
        return None
    watch_path = False
    if rest[:1] == ['watch']:
        watch_path, rest = True, rest[1:]
    ns = None
    if len(rest) >= 3 and rest[0] == 'namespaces':
        ns, rest = rest[1], rest[2:]
    if not rest or len(rest) > 2:
        return None
    res = RESOURCES.get(rest[0])
    if res is None or res.group != group or (ns is not None and not res.namespaced):
        return None
    name = rest[1] if len(rest) == 2 else None
    if watch_path and name is not None:
        return None  # /watch/.../NAME is legal but deprecated; not served
    return res, ns, name, watch_path


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'kube-apiserver-fake/1'
    sys_version = ''
    state = None  # set in main
    plain = False

    def log_message(self, fmt, *args):  # quiet
        pass

    def send_response(self, code, message=None):  # Go's net/http sends Date but no Server header
        self.send_response_only(code, message)
        self.send_header('Date', self.date_time_string())

    def _send(self, status, body, ctype='application/json'):
        self.send_response(status)
        self.send_header('Audit-Id', str(uuid.uuid4()))
        self.send_header('Cache-Control', 'no-cache, private')
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        self._status = status

    def _json(self, status, doc):
        self._send(status, dumps(doc) + b'\n')

    def _token_ok(self):
        """None: no Authorization header; True/False: a bearer token that is / is not the current one."""
        h = self.headers.get('Authorization')
        if h is None:
            return None
        opts = self.state.opts
        if opts.token_file is None:
            return True
        scheme, _, tok = h.strip().partition(' ')
        if scheme.lower() != 'bearer' or not tok.strip():
            return False
        try:
            with open(opts.token_file, 'rb') as f:
                want = f.read().strip()
        except OSError:
            return False
        return bool(want) and hmac.compare_digest(tok.strip().encode(), want)

    def _handle(self):
        self._status = None
        split = urlsplit(self.path)
        path = split.path.rstrip('/') or '/'   # /version/ and /api/v1/pods/ are served too
        params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        verb = resource = ns = None
        try:
            length = int(self.headers.get('Content-Length') or 0)
            if length:
                self.rfile.read(length)
            auth = self._token_ok()
            public = path in ('/healthz', '/livez', '/readyz', '/version') and self.command in ('GET', 'HEAD')
            if auth is False or (auth is None and not public and self.state.opts.token_file is not None):
                raise ApiError(401, 'Unauthorized', 'Unauthorized')
            if self.command not in ('GET', 'HEAD'):
                raise ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource',
                               details={})
            if public or path in ('/api', '/apis') or path.startswith('/api/') or path.startswith('/apis/'):
                route = parse_api_path(path)
                if route is None:
                    return self._doc(path)
                res, ns, name, watch_path = route
                watch = watch_path or params.get('watch') in ('1', 'true', 'True')
                verb = 'get' if name is not None else 'watch' if watch else 'list'
                resource = res.name
                self.state.count(verb, resource)
                if self.state.denied(res, ns or ''):
                    scope = f'in the namespace "{ns}"' if ns else 'at the cluster scope'
                    named = f'"{name}" ' if name else ''
                    raise ApiError(403, 'Forbidden',
                                   f'{res.qualified} {named}is forbidden: User "{self.state.opts.user}" '
                                   f'cannot {verb} resource "{res.name}" in API group "{res.group}" {scope}',
                                   details=dict({'name': name} if name else {}, **({'group': res.group} if res.group else {}), kind=res.name))
                if verb == 'get':
                    return self._get(res, ns, name)
                lsel = parse_label_selector(params.get('labelSelector', ''))
                fsel = parse_field_selector(params.get('fieldSelector', ''), res)
                if verb == 'list':
                    return self._list(res, ns, lsel, fsel, params)
                return self._watch(res, ns, lsel, fsel, params)
            raise ApiError(404, 'NotFound', 'the server could not find the requested resource', details={})
        except ApiError as e:
            if self._status is None:
                self._json(e.code, e.doc())
        except (ConnectionError, ssl.SSLError, OSError):
            self.close_connection = True
            if self._status is None:
                self._status = 499
        except Exception as e:  # a bug in the fake
            sys.stderr.write(f'kube_apiserver_fake: internal error on {self.command} {self.path}: {e!r}\n')
            if self._status is None:
                self._json(500, ApiError(500, 'InternalError', f'fake internal error: {e!r}').doc())
        finally:
            self.state.record({'time': time.time(), 'method': self.command, 'path': path, 'query': params,
                               'verb': verb, 'resource': resource, 'namespace': ns, 'status': self._status,
                               'user_agent': self.headers.get('User-Agent')}, self._status)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _handle

    # -- documents --

    def _doc(self, path):
        if path in ('/healthz', '/livez', '/readyz'):
            return self._send(200, b'ok', 'text/plain; charset=utf-8')
        if path == '/version':
            return self._json(200, {'major': '1', 'minor': GIT_VERSION.split('.')[1], 'gitVersion': GIT_VERSION,
                                    'gitCommit': '0000000000000000000000000000000000000000', 'gitTreeState': 'clean',
                                    'buildDate': '2024-08-13T07:28:49Z', 'goVersion': 'go1.22.5', 'compiler': 'gc',
                                    'platform': 'linux/amd64'})
        port = self.server.server_address[1]
        if path == '/api':
            return self._json(200, {'kind': 'APIVersions', 'versions': ['v1'], 'serverAddressByClientCIDRs': [
                {'clientCIDR': '0.0.0.0/0', 'serverAddress': f'127.0.0.1:{port}'}]})
        groups = [g for g in GROUPS if g]
        if path == '/apis':
            return self._json(200, {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': [self._group(g) for g in groups]})
        for g in groups:
            if path == f'/apis/{g}':
                return self._json(200, dict(self._group(g), kind='APIGroup', apiVersion='v1'))
        for g in GROUPS:
            if path == (f'/apis/{g}/v1' if g else '/api/v1'):
                return self._json(200, {'kind': 'APIResourceList', 'apiVersion': 'v1', 'groupVersion': f'{g}/v1' if g else 'v1',
                                        'resources': [{'name': r.name, 'singularName': r.singular, 'namespaced': r.namespaced,
                                                       'kind': r.kind, 'verbs': ['get', 'list', 'watch'],
                                                       **({'shortNames': r.short} if r.short else {})} for r in GROUPS[g]]})
        raise ApiError(404, 'NotFound', 'the server could not find the requested resource', details={})

    @staticmethod
    def _group(g):
        gv = {'groupVersion': f'{g}/v1', 'version': 'v1'}
        return {'name': g, 'versions': [gv], 'preferredVersion': gv}

    # -- get / list --

    def _get(self, res, ns, name):
        key = f'{ns}/{name}' if res.namespaced else name
        with self.state.lock:
            obj = self.state.objects[res.name].get(key) if (ns is not None) == res.namespaced else None
        if obj is None:
            raise ApiError(404, 'NotFound', f'{res.qualified} "{name}" not found',
                           details=dict({'name': name}, **({'group': res.group} if res.group else {}), kind=res.name))
        self._send(200, res.kind_prefix + obj.json()[1:] + b'\n')

    def _list(self, res, ns, lsel, fsel, params):
        try:
            limit = int(params.get('limit') or 0)
        except ValueError:
            raise bad_request(f'limit: Invalid value: "{params.get("limit")}"')
        token = params.get('continue') or ''
        st = self.state
        with st.lock:
            if token:
                rv, start = decode_continue(token)
                oldest = st.too_old_locked(res, rv)
                if oldest is not None or rv > st.rv:
                    # the apiserver's answer to a compacted continue, with a token that goes on inconsistently
                    raise ApiError(410, 'Expired',
                                   'The provided continue parameter is too old to display a consistent list result. '
                                   'You can start a new list without the continue parameter, or use the continue token '
                                   'in this response to retrieve the remainder of the results. Continuing with the provided '
                                   'token results in an inconsistent list - objects that were created, modified, or deleted '
                                   'between the time the first chunk was returned and now may show up in the list.',
                                   extra_metadata={'continue': encode_continue(st.rv, start.rstrip('\x00'))})
            else:
                rv, start = st.rv, ''
            snap = st.snapshot_locked(res, rv) if limit > 0 or token else \
                [st.objects[res.name][k] for k in sorted(st.objects[res.name])]
        prefix = f'{ns}/' if ns is not None else ''
        keys = None
        i = 0
        if prefix or start:
            keys = [o.key for o in snap]
            i = bisect.bisect_left(keys, max(prefix, start))
        items, last, more = [], None, False
        n = len(snap)
        while i < n:
            o = snap[i]
            if prefix and not o.key.startswith(prefix):
                break
            i += 1
            if lsel and not labels_match(lsel, o.labels):
                continue
            if fsel and not all((field_value(res, o.d, f) == v) == eq for f, eq, v in fsel):
                continue
            if limit > 0 and len(items) == limit:
                more = True
                i -= 1
                break
            items.append(o.json())
            last = o.key
        md = {'resourceVersion': str(rv)}
        if more:
            md['continue'] = encode_continue(rv, last)
            if not lsel and not fsel:
                remaining = n - i if not prefix else sum(1 for o in snap[i:] if o.key.startswith(prefix))
                md['remainingItemCount'] = remaining
        head = b'{"kind":"%s","apiVersion":"%s","metadata":%s,"items":[' % (
            res.list_kind.encode(), res.api_version.encode(), dumps(md))
        self._send(200, head + b','.join(items) + b']}\n')

    # -- watch --

    def _matches(self, w, obj):
        if w.ns is not None and obj.ns != w.ns:
            return False
        if w.lsel and not labels_match(w.lsel, obj.labels):
            return False
        if w.fsel and not all((field_value(w.res, obj.d, f) == v) == eq for f, eq, v in w.fsel):
            return False
        return True

    def _chunk(self, data):
        self.wfile.write(b'%x\r\n' % len(data) + data + b'\r\n')

    def _watch(self, res, ns, lsel, fsel, params):
        st = self.state
        rv_param = params.get('resourceVersion', '')
        bookmarks = params.get('allowWatchBookmarks') in ('1', 'true', 'True')
        initial_events = params.get('sendInitialEvents') in ('1', 'true', 'True')
        if initial_events and (params.get('resourceVersionMatch') != 'NotOlderThan' or not bookmarks):
            raise ApiError(422, 'Invalid', 'sendInitialEvents requires resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true',
                           details={})
        try:
            timeout = int(params.get('timeoutSeconds') or 0)
        except ValueError:
            raise bad_request(f'timeoutSeconds: Invalid value: "{params.get("timeoutSeconds")}"')
        if timeout <= 0:  # unset and 0 alike, as the apiserver's getTimeout
            timeout = st.opts.watch_timeout_pick()
        try:
            start_rv = int(rv_param) if rv_param not in ('', '0') else None
        except ValueError:
            raise bad_request(f'resourceVersion: Invalid value: "{rv_param}": must be an integer')
        w = Watcher(res, ns, lsel, fsel, bookmarks, self.connection)
        initial, too_old = [], None
        with st.lock:
            log = st.logs[res.name]
            if start_rv is None or initial_events:
                snap = [st.objects[res.name][k] for k in sorted(st.objects[res.name])]
                initial = [o for o in snap if self._matches(w, o)]
                w.pos = st.log_base[res.name] + len(log)
                w.last_rv = st.rv
            else:
                too_old = st.too_old_locked(res, start_rv)
                w.pos = st.log_base[res.name] + bisect.bisect_right(log, start_rv, key=lambda e: e.rv)
                w.last_rv = start_rv
            w.bookmark_seq = st.bookmark_seq
            if too_old is None:
                st.watchers.add(w)
        self.send_response(200)
        self.send_header('Audit-Id', str(uuid.uuid4()))
        self.send_header('Cache-Control', 'no-cache, private')
        self.send_header('Content-Type', 'application/json')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        self._status = 200
        if too_old is not None:
            self._chunk(self._expired_line(start_rv, too_old))
            self._chunk(b'')
            return
        try:
            self._stream(w, initial, initial_events, timeout)
        finally:
            with st.lock:
                st.watchers.discard(w)

    def _expired_line(self, rv, oldest):
        status = ApiError(410, 'Expired', f'too old resource version: {rv} ({oldest})').doc()
        return b'{"type":"ERROR","object":%s}\n' % dumps(status)

    def _bookmark_line(self, res, rv, initial_end=False):
        md = {'resourceVersion': str(rv)}
        if initial_end:
            md['annotations'] = {'k8s.io/initial-events-end': 'true'}
        return b'{"type":"BOOKMARK","object":%s}\n' % dumps({'kind': res.kind, 'apiVersion': res.api_version, 'metadata': md})

    def _stream(self, w, initial, initial_events, timeout):
        st, res = self.state, w.res
        deadline = time.monotonic() + timeout
        interval = st.opts.bookmark_interval
        next_bookmark = time.monotonic() + interval
        next_check = time.monotonic() + 1.0
        buf = bytearray()

        def flush():
            if buf:
                self._chunk(bytes(buf))
                buf.clear()

        for o in initial:
            buf += event_line(res, 'ADDED', o)
            if len(buf) >= WRITE_CHUNK:
                flush()
        if initial_events:
            buf += self._bookmark_line(res, w.last_rv, initial_end=True)
        flush()
        while True:
            batch, bookmark, end = None, None, None
            with st.cond:
                while True:
                    now = time.monotonic()
                    if w.closed:
                        end = w.closed
                        break
                    base = st.log_base[res.name]
                    log = st.logs[res.name]
                    if w.pos < base:
                        end = 'slow'   # fell out of the retained log: closed, as the watch cache closes a laggard
                        break
                    if w.pos < base + len(log):
                        batch = log[w.pos - base:]
                        w.pos = base + len(log)
                        break
                    if now >= deadline:
                        end = 'timeout'
                        break
                    if w.bookmarks and (now >= next_bookmark or w.bookmark_seq != st.bookmark_seq):
                        w.bookmark_seq = st.bookmark_seq
                        bookmark = st.rv
                        w.last_rv = st.rv
                        next_bookmark = now + interval
                        break
                    if now >= next_check:  # an idle watch: has the client gone away?
                        next_check = now + 1.0
                        if client_gone(self.connection):
                            end = 'gone'
                            break
                    wake = min(deadline, next_check)
                    if w.bookmarks:
                        wake = min(wake, next_bookmark)
                    st.cond.wait(max(0.0, wake - now))
                if end == 'expire':
                    oldest = st.compacted
            if end in ('drop', 'gone'):
                self.close_connection = True
                return
            if end == 'expire':
                self._chunk(self._expired_line(w.last_rv, oldest))
                self._chunk(b'')
                return
            if end is not None:  # timeout, slow
                self._chunk(b'')
                return
            if bookmark is not None:
                self._chunk(self._bookmark_line(res, bookmark))
                continue
            for ev in batch:
                w.last_rv = ev.rv
                if ev.type == 'MODIFIED':
                    cur, old = self._matches(w, ev.obj), self._matches(w, ev.prev)
                    if cur and old:
                        buf += ev.line(res)
                    elif cur:
                        buf += ev.line(res, 'ADDED')
                    elif old:  # the previous object, with this event's resourceVersion (as the watch cache sends it)
                        buf += ev.line(res, 'DELETED', ev.prev.with_rv(ev.rv))
                elif self._matches(w, ev.obj):
                    buf += ev.line(res)
                if len(buf) >= WRITE_CHUNK:
                    flush()
            flush()


def client_gone(conn):
    """True once the peer has closed (EOF or reset) a connection that is otherwise idle."""
    try:
        return socket.socket.recv(conn, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b''
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True


class ApiServer(ThreadingHTTPServer):
    """TLS per connection in the connection's own thread; every connection is tracked so /drop and
    /outage can cut it."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler, context, state):
        super().__init__(address, handler)
        self.context, self.state = context, state

    def finish_request(self, request, client_address):
        st = self.state
        if time.monotonic() < st.outage_until:
            request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))  # RST
            return
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as Go's net/http: no Nagle delay
        conn = request
        if self.context is not None:
            request.settimeout(FIRST_BYTE_TIMEOUT)
            try:
                conn = self.context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            conn.settimeout(None)
        with st.lock:
            st.conns.add(conn)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            with st.lock:
                st.conns.discard(conn)
            if conn is not request:
                try:
                    conn.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        if isinstance(e, (OSError, ValueError)):
            return  # the client went away, or /drop cut the connection
        sys.stderr.write(f'kube_apiserver_fake: error on a connection from {client_address}: {e!r}\n')


class ApiListener:
    """The API port: serve_forever in a thread; /outage mode refuse closes and later re-binds it."""

    def __init__(self, state, context, port=0):
        self.state, self.context = state, context
        self.httpd = ApiServer(('127.0.0.1', port), Handler, context, state)
        self.port = self.httpd.server_address[1]
        self.lock = threading.Lock()
        self.listening = True
        self.generation = 0   # the newest outage; only its thread listens again
        self._start()

    def _start(self):
        threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True).start()

    def outage(self, seconds, mode):
        st = self.state
        with st.lock:
            st.outage_until = time.monotonic() + seconds
            st.outage_mode = mode
            for w in st.watchers:
                w.closed = 'drop'
            st.cond.notify_all()
            conns = list(st.conns)
        for c in conns:
            try:
                socket.socket.shutdown(c, socket.SHUT_RDWR)
            except OSError:
                pass
        if mode == 'refuse':
            with self.lock:
                if self.listening:
                    self.httpd.shutdown()
                    self.httpd.server_close()
                    self.listening = False
                self.generation += 1
                gen = self.generation
            threading.Thread(target=self._reopen, args=(gen,), daemon=True).start()

    def _reopen(self, gen):
        while True:
            left = self.state.outage_until - time.monotonic()
            if left <= 0:
                break
            time.sleep(left)
        for attempt in range(50):
            try:
                with self.lock:
                    if gen != self.generation or self.listening:
                        return
                    self.httpd = ApiServer(('127.0.0.1', self.port), Handler, self.context, self.state)
                    self.listening = True
                    self._start()
                return
            except OSError as e:
                if attempt == 49:
                    sys.stderr.write(f'kube_apiserver_fake: cannot listen on port {self.port} again after the outage: {e}\n')
                time.sleep(0.1)



# ---- control API -----------------------------------------------------------------------------

class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    disable_nagle_algorithm = True  # headers and body are two writes: else 40 ms per call on a kept-alive connection
    state = None
    listener = None

    def log_message(self, fmt, *args):
        pass

    def _json(self, status, doc):
        body = json.dumps(doc, separators=JSON_SEPARATORS).encode() + b'\n'
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        split = urlsplit(self.path)
        path = split.path
        params = {k: v[-1] for k, v in parse_qs(split.query).items()}
        try:
            length = int(self.headers.get('Content-Length') or 0)
            raw = self.rfile.read(length) if length else b''
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError('the body must be a JSON object')
            route = (self.command, path)
            handler = {
                ('PUT', '/objects'): self._put_objects, ('POST', '/objects'): self._put_objects,
                ('GET', '/objects'): lambda b: self._get_objects(params),
                ('POST', '/apply'): self._apply, ('POST', '/delete'): self._delete,
                ('POST', '/expire'): self._expire, ('POST', '/drop'): self._drop,
                ('POST', '/bookmark'): self._bookmark, ('POST', '/deny'): self._deny, ('POST', '/allow'): self._allow,
                ('POST', '/outage'): self._outage, ('GET', '/stats'): self._stats, ('GET', '/requests'): self._requests,
                ('POST', '/generate'): self._generate,
            }.get(route)
            if handler is None:
                return self._json(404, {'error': f'no control route {self.command} {path}', 'help': CONTROL})
            status, doc = handler(body)
            self._json(status, doc)
        except (ValueError, KeyError, TypeError) as e:
            self._json(400, {'error': f'{type(e).__name__}: {e}'})

    do_GET = do_PUT = do_POST = do_DELETE = _handle

    def _res(self, body):
        name = body.get('resource')
        if name not in RESOURCES:
            raise ValueError(f'"resource" must be one of {sorted(RESOURCES)}, not {name!r}')
        return RESOURCES[name]

    def _put_objects(self, body):
        objects = body.get('objects') if isinstance(body.get('objects'), dict) else body
        return 200, self.state.replace_all(objects)

    def _get_objects(self, params):
        st = self.state
        with st.lock:
            names = [params['resource']] if params.get('resource') else list(RESOURCES)
            return 200, {n: [st.objects[n][k].d for k in sorted(st.objects[n])] for n in names if n in RESOURCES}

    def _apply(self, body):
        res = self._res(body)
        objs = body['objects'] if 'objects' in body else [body['object']]
        st = self.state
        with st.lock:
            for d in objs:
                st._normalize(res, d)
            types = [st.apply_locked(res, d) for d in objs]
            st.cond.notify_all()
            out = {'resourceVersion': str(st.rv), 'events': [t or 'UNCHANGED' for t in types]}
        if len(types) == 1:
            out['event'] = out['events'][0]
        return 200, out

    def _delete(self, body):
        res = self._res(body)
        name = body['name']
        key = f'{body.get("namespace") or "default"}/{name}' if res.namespaced else name
        st = self.state
        with st.lock:
            t = st.delete_locked(res, key)
            st.cond.notify_all()
            rv = st.rv
        if t is None:
            return 404, {'error': f'{res.name} {key} does not exist'}
        return 200, {'event': t, 'resourceVersion': str(rv)}

    def _expire(self, body):
        st = self.state
        with st.lock:
            st.rv += 1      # the compaction is itself a write, as the apiserver's compactor's is
            st.compacted = st.rv
            for name in RESOURCES:
                st.log_base[name] += len(st.logs[name])
                st.logs[name] = []
                st.trimmed[name] = st.rv
            st.snapshots.clear()
            n = len(st.watchers)
            for w in st.watchers:
                w.closed = 'expire'
            st.cond.notify_all()
            return 200, {'resourceVersion': str(st.rv), 'compacted': str(st.compacted), 'watches_expired': n}

    def _drop(self, body):
        st = self.state
        with st.lock:
            ws = list(st.watchers)
            for w in ws:
                w.closed = 'drop'
            st.cond.notify_all()
        for w in ws:
            try:
                socket.socket.shutdown(w.conn, socket.SHUT_RDWR)
            except OSError:
                pass
        return 200, {'watches_dropped': len(ws)}

    def _bookmark(self, body):
        st = self.state
        with st.lock:
            st.bookmark_seq += 1
            st.cond.notify_all()
            return 200, {'watches': sum(1 for w in st.watchers if w.bookmarks), 'resourceVersion': str(st.rv)}

    def _deny(self, body):
        res = self._res(body)
        ns = body.get('namespace')
        with self.state.lock:
            self.state.deny.add((res.name, ns))
            return 200, {'deny': [{'resource': r, 'namespace': s} for r, s in sorted(self.state.deny, key=str)]}

    def _allow(self, body):
        with self.state.lock:
            if body.get('resource'):
                res = self._res(body)
                self.state.deny = {(r, s) for r, s in self.state.deny if r != res.name}
            else:
                self.state.deny = set()
            return 200, {'deny': [{'resource': r, 'namespace': s} for r, s in sorted(self.state.deny, key=str)]}

    def _outage(self, body):
        seconds = float(body.get('seconds', 5))
        mode = body.get('mode', 'refuse')
        if mode not in ('refuse', 'reset'):
            raise ValueError('"mode" is "refuse" or "reset"')
        self.listener.outage(seconds, mode)
        return 200, {'seconds': seconds, 'mode': mode}

    def _stats(self, body):
        st = self.state
        with st.lock:
            by_res = collections.Counter(w.res.name for w in st.watchers)
            return 200, {'requests': {v: dict(c) for v, c in st.counts.items()}, 'status': dict(st.status_counts),
                         'open_watches': len(st.watchers), 'open_watches_by_resource': dict(by_res),
                         'open_connections': len(st.conns),
                         'resourceVersion': str(st.rv), 'compacted': str(st.compacted),
                         'objects': {n: len(o) for n, o in st.objects.items()},
                         'retained_events': {n: len(l) for n, l in st.logs.items()},
                         'outage': max(0.0, st.outage_until - time.monotonic())}

    def _requests(self, body):
        with self.state.lock:
            return 200, list(self.state.requests)

    def _generate(self, body):
        return 200, generate(self.state, body)


def write_port_file(path, port):
    tmp = f'{path}.tmp.{os.getpid()}'
    with open(tmp, 'w') as f:
        f.write(f'{port}\n')
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=CONTROL,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--cert', help='PEM certificate (chain) the API port presents (required unless --plain-http)')
    ap.add_argument('--key', help='PEM private key of --cert')
    ap.add_argument('--plain-http', action='store_true', help='serve the API over plain HTTP (debugging)')
    ap.add_argument('--token-file', help='the accepted bearer token, re-read on every request (without it: no auth)')
    ap.add_argument('--port-file', help='write the API port here (atomically) once listening')
    ap.add_argument('--control-port-file', help='write the control port here (atomically) once listening')
    ap.add_argument('--objects', help='a JSON file of objects to hold at start ({"pods":[...],...}, or a fixture with "objects")')
    ap.add_argument('--deny', action='append', metavar='RESOURCE[@NS]',
                    help='403 for this resource (repeatable); RESOURCE@ = cluster-scope requests only, RESOURCE@NS = that namespace only')
    ap.add_argument('--user', default='system:serviceaccount:monitoring:promsls', help='the user 403 messages name')
    ap.add_argument('--bookmark-interval', type=float, default=60.0, help='seconds between BOOKMARKs on a quiet watch (default 60)')
    ap.add_argument('--watch-timeout', default='1800-3600', metavar='SECONDS|MIN-MAX',
                    help='watch length when timeoutSeconds is not given; MIN-MAX picks at random (default 1800-3600, '
                         "kube-apiserver's --min-request-timeout=1800 rule)")
    ap.add_argument('--retain-events', type=int, default=10000,
                    help='events kept per resource for watches to resume from (default 10000); older ones: 410')
    ap.add_argument('--start-resource-version', type=int, default=1, help='the first resourceVersion (default 1)')
    opts = ap.parse_args(argv)
    if not opts.plain_http and not (opts.cert and opts.key):
        ap.error('--cert and --key are required (or --plain-http)')
    lo, _, hi = opts.watch_timeout.partition('-')
    lo, hi = float(lo), float(hi or lo)
    opts.watch_timeout_pick = (lambda: lo) if lo == hi else (lambda: random.uniform(lo, hi))
    if opts.retain_events < 1:
        ap.error('--retain-events must be at least 1')

    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})

    context = None
    if not opts.plain_http:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(opts.cert, opts.key)
        context.set_alpn_protocols(['http/1.1'])

    state = State(opts)
    if opts.objects:
        with open(opts.objects) as f:
            doc = json.load(f)
        if isinstance(doc.get('objects'), dict):
            doc = doc['objects']
        state.replace_all(doc)
    Handler.state = state
    listener = ApiListener(state, context)
    ControlHandler.state, ControlHandler.listener = state, listener
    control = ThreadingHTTPServer(('127.0.0.1', 0), ControlHandler)
    control.daemon_threads = True
    cport = control.server_address[1]
    threading.Thread(target=control.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True).start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())

    if opts.port_file:
        write_port_file(opts.port_file, listener.port)
    if opts.control_port_file:
        write_port_file(opts.control_port_file, cport)
    scheme = 'http' if opts.plain_http else 'https'
    print(f'kube_apiserver_fake ready on {scheme}://127.0.0.1:{listener.port} control http://127.0.0.1:{cport}', flush=True)
    while not stop.wait(0.5):
        pass
    control.shutdown()
    return 0


if __name__ == '__main__':
    sys.exit(main())
