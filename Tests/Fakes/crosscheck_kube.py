#!/usr/bin/env python3
"""Cross-check kube_apiserver_fake.py with the official Kubernetes Python client (PyPI `kubernetes`).

    python3 Tests/Fakes/crosscheck_kube.py [--keep]

Makes a throwaway CA and server certificate (openssl) and a token, starts the fake over HTTPS,
and drives it with kubernetes.client: discovery, typed lists of every resource (the client's
models reject objects missing required fields), label and field selectors, limit/continue
pagination (a consistent snapshot, then 410 once compacted), watches with bookmarks and
ADDED/MODIFIED/DELETED (selector transitions included) for control-API changes, 410 after
/expire, an abruptly dropped watch, 403 after /deny, 401 for a bad or rotated token, an
outage, and /generate of 5,000 pods read back page by page. Prints one PASS/FAIL line per
check and exits 1 if any failed. Installs `kubernetes` with pip if it is missing.
Only 127.0.0.1 is contacted. --keep leaves the temporary directory (certificates, logs).
"""

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, 'kube_apiserver_fake.py')
TOKEN = 'crosscheck-token-1'
FAILED = []


def check(name, ok, detail=''):
    print(f'{"PASS" if ok else "FAIL"} {name}{": " + detail if detail and not ok else ""}', flush=True)
    if not ok:
        FAILED.append(name)
    return ok


def import_kubernetes():
    try:
        import kubernetes  # noqa: F401
    except ImportError:
        print('installing: kubernetes', flush=True)
        cmd = [sys.executable, '-m', 'pip', 'install', '-q', 'kubernetes']
        if subprocess.call(cmd) != 0 and subprocess.call(cmd + ['--break-system-packages']) != 0:
            print('FAIL pip install kubernetes')
            sys.exit(1)
    import kubernetes
    return kubernetes


def make_certs(d):
    def run(*args):
        subprocess.run(args, cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=crosscheck-kube-ca', '-keyout', 'ca.key', '-out', 'ca.crt',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign')
    run('openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-subj', '/CN=kube-apiserver', '-keyout', 'server.key', '-out', 'server.csr')
    with open(os.path.join(d, 'ext.cnf'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
                'keyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n')
    run('openssl', 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
        '-days', '1', '-extfile', 'ext.cnf', '-out', 'server.crt')


def pod(name, ns, labels, node, ip):
    return {'metadata': {'name': name, 'namespace': ns, 'labels': labels},
            'spec': {'nodeName': node, 'containers': [{'name': 'c', 'image': 'example/app:1',
                                                        'ports': [{'name': 'metrics', 'containerPort': 9100, 'protocol': 'TCP'}]}]},
            'status': {'phase': 'Running', 'podIP': ip, 'hostIP': '10.0.0.1'}}


PODS = [
    pod('web-1', 'default', {'app': 'web', 'tier': 'frontend'}, 'n1', '10.1.0.1'),
    pod('web-2', 'default', {'app': 'web', 'tier': 'backend', 'canary': 'true'}, 'n2', '10.1.0.2'),
    pod('db-1', 'default', {'app': 'db', 'tier': 'backend'}, 'n1', '10.1.0.3'),
    pod('cache-1', 'default', {'app': 'cache'}, 'n2', '10.1.0.4'),
    pod('dns-1', 'kube-system', {'app': 'web', 'k8s-app': 'kube-dns'}, 'n1', '10.1.0.5'),
    pod('proxy-1', 'kube-system', {'app': 'proxy'}, 'n2', '10.1.0.6'),
]
OBJECTS = {
    'pods': PODS,
    'nodes': [{'metadata': {'name': n, 'labels': {'kubernetes.io/hostname': n}},
               'status': {'addresses': [{'type': 'InternalIP', 'address': ip}],
                          'daemonEndpoints': {'kubeletEndpoint': {'Port': 10250}}}}
              for n, ip in (('n1', '10.0.0.1'), ('n2', '10.0.0.2'))],
    'namespaces': [{'metadata': {'name': n}, 'status': {'phase': 'Active'}} for n in ('default', 'kube-system')],
    'services': [{'metadata': {'name': 'web', 'namespace': 'default', 'labels': {'app': 'web'}},
                  'spec': {'type': 'ClusterIP', 'clusterIP': '10.96.0.10', 'selector': {'app': 'web'},
                           'ports': [{'name': 'http', 'port': 80, 'targetPort': 8080, 'protocol': 'TCP'}]}}],
    'endpoints': [{'metadata': {'name': 'web', 'namespace': 'default'},
                   'subsets': [{'addresses': [{'ip': '10.1.0.1', 'nodeName': 'n1',
                                               'targetRef': {'kind': 'Pod', 'name': 'web-1', 'namespace': 'default'}}],
                                'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}]}]}],
    'endpointslices': [{'metadata': {'name': 'web-abcde', 'namespace': 'default',
                                     'labels': {'kubernetes.io/service-name': 'web'}},
                        'addressType': 'IPv4',
                        'endpoints': [{'addresses': ['10.1.0.1'], 'conditions': {'ready': True}, 'nodeName': 'n1',
                                       'targetRef': {'kind': 'Pod', 'name': 'web-1', 'namespace': 'default'}}],
                        'ports': [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}]}],
    'ingresses': [{'metadata': {'name': 'web', 'namespace': 'default'},
                   'spec': {'rules': [{'host': 'web.example.com', 'http': {'paths': [
                       {'path': '/', 'pathType': 'Prefix',
                        'backend': {'service': {'name': 'web', 'port': {'number': 80}}}}]}}]}}],
}


class Fake:
    def __init__(self, d):
        self.d = d
        self.token_file = os.path.join(d, 'token')
        with open(self.token_file, 'w') as f:
            f.write(TOKEN + '\n')
        self.stderr = open(os.path.join(d, 'fake.stderr'), 'w')
        self.proc = subprocess.Popen(
            [sys.executable, FAKE, '--cert', os.path.join(d, 'server.crt'), '--key', os.path.join(d, 'server.key'),
             '--token-file', self.token_file, '--port-file', os.path.join(d, 'port'),
             '--control-port-file', os.path.join(d, 'cport'), '--bookmark-interval', '1'],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        line = self.proc.stdout.readline()
        if 'ready on https://127.0.0.1:' not in line:
            raise SystemExit(f'FAIL the fake did not start: {line!r}')
        self.port = int(line.split('https://127.0.0.1:')[1].split()[0])
        self.control = 'http://127.0.0.1:' + line.rsplit('http://127.0.0.1:', 1)[1].strip()

    def ctl(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control + path, data=data, method=method)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=30) as r:
            return json.loads(r.read())

    def rss_kib(self):
        with open(f'/proc/{self.proc.pid}/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.stderr.close()


def client_for(k8s, fake, ca, token):
    cfg = k8s.client.Configuration()
    cfg.host = f'https://127.0.0.1:{fake.port}'
    cfg.ssl_ca_cert = ca
    cfg.api_key = {'BearerToken': token}
    cfg.api_key_prefix = {'BearerToken': 'Bearer'}
    cfg.retries = False
    return k8s.client.ApiClient(cfg)


def status_of(fn):
    """The HTTP status an API call ends with (200 when it succeeds), and the exception."""
    from kubernetes.client.rest import ApiException
    try:
        fn()
        return 200, None
    except ApiException as e:
        return e.status, e


class WatchThread:
    """Runs kubernetes.watch.Watch().stream in a thread; events go to a queue as
    (type, name-or-resourceVersion), then ('END', None) or ('EXC', exception)."""

    def __init__(self, k8s, func, *args, **kwargs):
        self.q = queue.Queue()
        self.w = k8s.watch.Watch()

        def run():
            try:
                for ev in self.w.stream(func, *args, **kwargs):
                    obj = ev['raw_object']
                    md = obj.get('metadata', {})
                    self.q.put((ev['type'], md.get('name') or md.get('resourceVersion'), ev))
                self.q.put(('END', None, None))
            except Exception as e:  # noqa: BLE001 - the test inspects it
                self.q.put(('EXC', e, None))
        self.t = threading.Thread(target=run, daemon=True)
        self.t.start()

    def next(self, timeout=5, skip_bookmarks=True):
        end = time.monotonic() + timeout
        while True:
            try:
                item = self.q.get(timeout=max(0.01, end - time.monotonic()))
            except queue.Empty:
                return ('TIMEOUT', None, None)
            if skip_bookmarks and item[0] == 'BOOKMARK':
                continue
            return item


def main():
    keep = '--keep' in sys.argv[1:]
    for name in list(os.environ):
        if name.lower() in ('http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'):
            del os.environ[name]
    k8s = import_kubernetes()
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    t0 = time.monotonic()
    d = tempfile.mkdtemp(prefix='crosscheck-kube-')
    make_certs(d)
    ca = os.path.join(d, 'ca.crt')
    fake = Fake(d)
    try:
        run_checks(k8s, client, ApiException, fake, ca)
    except Exception as e:  # noqa: BLE001 - an unexpected error is a failed check, not a traceback
        import traceback
        traceback.print_exc()
        check('no unexpected exception', False, repr(e))
    finally:
        fake.stop()
        with open(os.path.join(d, 'fake.stderr')) as f:
            err = f.read()
        check('the fake wrote nothing on stderr', not err.strip(), err[:500])
        if keep:
            print(f'kept {d}')
        else:
            shutil.rmtree(d, ignore_errors=True)
    print(f'{"FAIL" if FAILED else "PASS"}: {len(FAILED)} failed, kubernetes {k8s.__version__}, '
          f'{time.monotonic() - t0:.1f} s', flush=True)
    return 1 if FAILED else 0


def run_checks(k8s, client, ApiException, fake, ca):
    api = client_for(k8s, fake, ca, TOKEN)
    v1 = client.CoreV1Api(api)

    # -- discovery ------------------------------------------------------------------------------
    ver = client.VersionApi(api).get_code()
    check('GET /version', ver.major == '1' and ver.git_version.startswith('v1.'), repr(ver))
    check('GET /api', 'v1' in client.CoreApi(api).get_api_versions().versions)
    groups = {g.name for g in client.ApisApi(api).get_api_versions().groups}
    check('GET /apis', {'discovery.k8s.io', 'networking.k8s.io'} <= groups, repr(groups))
    res = client.CoreV1Api(api).get_api_resources()
    check('GET /api/v1', {'pods', 'services', 'endpoints', 'nodes', 'namespaces'} <= {r.name for r in res.resources})

    # -- typed lists of every resource ------------------------------------------------------------
    loaded = fake.ctl('PUT', '/objects', OBJECTS)
    check('PUT /objects', loaded.get('ADDED') == sum(len(v) for v in OBJECTS.values()), repr(loaded))
    pods = v1.list_pod_for_all_namespaces()
    names = sorted(p.metadata.name for p in pods.items)
    check('list pods (all namespaces)', names == sorted(p['metadata']['name'] for p in PODS), repr(names))
    check('list metadata.resourceVersion = the server\'s', pods.metadata.resource_version == loaded['resourceVersion'],
          f'{pods.metadata.resource_version} vs {loaded["resourceVersion"]}')
    check('objects carry uid and resourceVersion',
          all(p.metadata.uid and p.metadata.resource_version for p in pods.items))
    raw = json.loads(v1.list_pod_for_all_namespaces(_preload_content=False).data)
    check('list items carry no kind/apiVersion; the list does',
          raw['kind'] == 'PodList' and raw['apiVersion'] == 'v1' and all('kind' not in i for i in raw['items']))
    typed = {
        'services': lambda: client.CoreV1Api(api).list_service_for_all_namespaces(),
        'endpoints': lambda: client.CoreV1Api(api).list_endpoints_for_all_namespaces(),
        'nodes': lambda: client.CoreV1Api(api).list_node(),
        'namespaces': lambda: client.CoreV1Api(api).list_namespace(),
        'endpointslices': lambda: client.DiscoveryV1Api(api).list_endpoint_slice_for_all_namespaces(),
        'ingresses': lambda: client.NetworkingV1Api(api).list_ingress_for_all_namespaces(),
        'endpointslices in default': lambda: client.DiscoveryV1Api(api).list_namespaced_endpoint_slice('default'),
        'ingresses in default': lambda: client.NetworkingV1Api(api).list_namespaced_ingress('default'),
    }
    for what, fn in typed.items():
        try:
            n = len(fn().items)
            check(f'list {what} (typed)', n == len(OBJECTS[what.split()[0]]), f'{n} items')
        except Exception as e:  # noqa: BLE001
            check(f'list {what} (typed)', False, repr(e))
    p = v1.read_namespaced_pod('web-1', 'default')
    check('get one pod', p.kind == 'Pod' and p.metadata.name == 'web-1')
    st, e = status_of(lambda: v1.read_namespaced_pod('nope', 'default'))
    check('get a missing pod: 404 NotFound', st == 404 and json.loads(e.body)['reason'] == 'NotFound')

    # -- selectors --------------------------------------------------------------------------------
    def names_of(**kw):
        return sorted(p.metadata.name for p in v1.list_pod_for_all_namespaces(**kw).items)

    def expect(pred):
        return sorted(p['metadata']['name'] for p in PODS if pred(p['metadata']['labels'], p))
    cases = [
        ({'label_selector': 'app=web'}, expect(lambda l, p: l.get('app') == 'web')),
        ({'label_selector': 'app==web,tier!=frontend'}, expect(lambda l, p: l.get('app') == 'web' and l.get('tier') != 'frontend')),
        ({'label_selector': 'app in (web, db),tier'}, expect(lambda l, p: l.get('app') in ('web', 'db') and 'tier' in l)),
        ({'label_selector': 'app notin (web,db)'}, expect(lambda l, p: l.get('app') not in ('web', 'db'))),
        ({'label_selector': '!canary,app=web'}, expect(lambda l, p: 'canary' not in l and l.get('app') == 'web')),
        ({'field_selector': 'spec.nodeName=n1'}, expect(lambda l, p: p['spec']['nodeName'] == 'n1')),
        ({'field_selector': 'metadata.namespace!=default,spec.nodeName==n2'},
         expect(lambda l, p: p['metadata']['namespace'] != 'default' and p['spec']['nodeName'] == 'n2')),
        ({'field_selector': 'metadata.name=db-1', 'label_selector': 'tier=backend'}, ['db-1']),
    ]
    for kw, want in cases:
        got = names_of(**kw)
        check(f'list pods {kw}', got == want, f'got {got}, want {want}')
    got = sorted(p.metadata.name for p in v1.list_namespaced_pod('kube-system', label_selector='app=web').items)
    check('list pods in kube-system, app=web', got == ['dns-1'], repr(got))
    st, e = status_of(lambda: v1.list_pod_for_all_namespaces(label_selector='app in ()'))
    check('bad label selector: 400 BadRequest', st == 400 and json.loads(e.body)['reason'] == 'BadRequest', f'{st}')
    st, e = status_of(lambda: v1.list_pod_for_all_namespaces(field_selector='spec.bogus=1'))
    check('unsupported field selector: 400', st == 400 and 'field label not supported' in json.loads(e.body)['message'], f'{st}')

    # -- pagination ------------------------------------------------------------------------------
    first = v1.list_pod_for_all_namespaces(limit=2)
    seen = [p.metadata.name for p in first.items]
    token, rv = first.metadata._continue, first.metadata.resource_version
    check('limit=2: 2 items, a continue token, remainingItemCount',
          len(seen) == 2 and bool(token) and first.metadata.remaining_item_count == len(PODS) - 2, repr(first.metadata))
    fake.ctl('POST', '/apply', {'resource': 'pods', 'object': pod('aaa-new', 'default', {'app': 'web'}, 'n1', '10.1.0.9')})
    fake.ctl('POST', '/delete', {'resource': 'pods', 'namespace': 'kube-system', 'name': 'proxy-1'})
    pages, rvs = 1, {rv}
    while token:
        page = v1.list_pod_for_all_namespaces(limit=2, _continue=token)
        seen += [p.metadata.name for p in page.items]
        token = page.metadata._continue
        rvs.add(page.metadata.resource_version)
        pages += 1
    want = sorted(PODS, key=lambda p: p['metadata']['namespace'] + '/' + p['metadata']['name'])
    check('paginated list is the snapshot of its first page, in key order',
          seen == [p['metadata']['name'] for p in want] and pages == 3 and rvs == {rv}, f'{seen} {pages} {rvs}')
    now = v1.list_pod_for_all_namespaces()
    check('a new list sees the changes', 'aaa-new' in {p.metadata.name for p in now.items}
          and 'proxy-1' not in {p.metadata.name for p in now.items})
    first = v1.list_pod_for_all_namespaces(limit=2)
    fake.ctl('POST', '/expire')
    st, e = status_of(lambda: v1.list_pod_for_all_namespaces(limit=2, _continue=first.metadata._continue))
    body = json.loads(e.body) if e else {}
    check('continue after /expire: 410 Expired with an inconsistent-continue token',
          st == 410 and body.get('reason') == 'Expired' and bool(body.get('metadata', {}).get('continue')), f'{st} {body}')

    # -- watch ------------------------------------------------------------------------------------
    rv = v1.list_namespaced_pod('default').metadata.resource_version
    w = WatchThread(k8s, v1.list_namespaced_pod, 'default', label_selector='app=web', resource_version=rv,
                    allow_watch_bookmarks=True, timeout_seconds=30)
    time.sleep(0.3)
    fake.ctl('POST', '/apply', {'resource': 'pods', 'object': pod('watched', 'default', {'app': 'web'}, 'n1', '10.1.0.10')})
    ev = w.next()
    check('watch: ADDED for /apply of a new pod', ev[:2] == ('ADDED', 'watched') and ev[2]['object'].kind == 'Pod',
          repr(ev[:2]))
    fake.ctl('POST', '/apply', {'resource': 'pods', 'object': pod('watched', 'default', {'app': 'web', 'v': '2'}, 'n1', '10.1.0.10')})
    ev = w.next()
    check('watch: MODIFIED for /apply of a change', ev[:2] == ('MODIFIED', 'watched')
          and ev[2]['object'].metadata.labels.get('v') == '2', repr(ev[:2]))
    fake.ctl('POST', '/apply', {'resource': 'pods', 'object': pod('watched', 'default', {'app': 'other'}, 'n1', '10.1.0.10')})
    ev = w.next()
    check('watch: DELETED when a pod stops matching the label selector (with its old labels)',
          ev[:2] == ('DELETED', 'watched') and ev[2]['object'].metadata.labels.get('app') == 'web', repr(ev[:2]))
    fake.ctl('POST', '/apply', {'resource': 'pods', 'object': pod('watched', 'default', {'app': 'web'}, 'n1', '10.1.0.10')})
    ev = w.next()
    check('watch: ADDED when it starts matching again', ev[:2] == ('ADDED', 'watched'), repr(ev[:2]))
    fake.ctl('POST', '/apply', {'resource': 'pods', 'object': pod('other-ns', 'kube-system', {'app': 'web'}, 'n1', '10.1.0.11')})
    out = fake.ctl('POST', '/delete', {'resource': 'pods', 'namespace': 'default', 'name': 'watched'})
    ev = w.next()
    check('watch: DELETED for /delete, with the deletion\'s resourceVersion (other namespace unseen)',
          ev[:2] == ('DELETED', 'watched') and ev[2]['object'].metadata.resource_version == out['resourceVersion'],
          repr(ev[:2]))
    fake.ctl('POST', '/bookmark')
    ev = w.next(skip_bookmarks=False)
    check('watch: BOOKMARK on /bookmark (kind, apiVersion, resourceVersion only)',
          ev[0] == 'BOOKMARK' and set(ev[2]['raw_object']) == {'kind', 'apiVersion', 'metadata'}
          and ev[2]['raw_object']['metadata'] == {'resourceVersion': out['resourceVersion']}, repr(ev[2] and ev[2]['raw_object']))
    t = time.monotonic()
    ev = w.next(timeout=3, skip_bookmarks=False)
    check('watch: a BOOKMARK every --bookmark-interval (1 s)', ev[0] == 'BOOKMARK', f'{ev[0]} after {time.monotonic() - t:.1f} s')
    stats = fake.ctl('GET', '/stats')
    check('/stats: 1 open watch', stats['open_watches'] == 1 and stats['requests']['watch'].get('pods', 0) >= 1, repr(stats))
    fake.ctl('POST', '/expire')
    ev = w.next()
    check('watch: /expire ends an open watch with 410 (ApiException)', ev[0] == 'EXC' and isinstance(ev[1], ApiException)
          and ev[1].status == 410 and 'too old resource version' in str(ev[1].reason), repr(ev[:2]))
    w2 = WatchThread(k8s, v1.list_namespaced_pod, 'default', resource_version=rv, timeout_seconds=10)
    ev = w2.next()
    check('watch from a compacted resourceVersion: 410 Expired', ev[0] == 'EXC' and getattr(ev[1], 'status', None) == 410,
          repr(ev[:2]))
    # resourceVersion unset: the current objects as ADDED, then live
    w3 = WatchThread(k8s, client.NetworkingV1Api(api).list_ingress_for_all_namespaces, timeout_seconds=1)
    evs = [w3.next(), w3.next(timeout=3)]
    check('watch without resourceVersion: current objects as ADDED, then the end after timeoutSeconds',
          [e[:2] for e in evs] == [('ADDED', 'web'), ('END', None)], repr([e[:2] for e in evs]))
    rv = v1.list_node().metadata.resource_version
    w4 = WatchThread(k8s, v1.list_node, resource_version=rv, timeout_seconds=30)
    time.sleep(0.3)
    dropped = fake.ctl('POST', '/drop')
    ev = w4.next()
    check('/drop cuts an open watch (the client sees an error or the end)', dropped['watches_dropped'] == 1 and ev[0] in ('EXC', 'END'),
          repr(ev[:2]))
    time.sleep(0.2)
    check('/stats: no open watches after /drop', fake.ctl('GET', '/stats')['open_watches'] == 0)

    # -- RBAC and authentication ------------------------------------------------------------------
    fake.ctl('POST', '/deny', {'resource': 'pods'})
    st, e = status_of(lambda: v1.list_pod_for_all_namespaces())
    body = json.loads(e.body) if e else {}
    check('/deny pods: 403 Forbidden Status', st == 403 and body.get('reason') == 'Forbidden' and body.get('message', '').startswith(
        'pods is forbidden: User "system:serviceaccount:') and 'cannot list resource "pods" in API group "" at the cluster scope'
        in body.get('message', ''), f'{st} {body}')
    st, e = status_of(lambda: list(k8s.watch.Watch().stream(v1.list_namespaced_pod, 'default', timeout_seconds=1)))
    check('/deny pods: a watch is 403 too', st == 403 and 'cannot watch resource "pods"' in json.loads(e.body)['message'], f'{st}')
    check('/deny pods: nodes still listed', status_of(lambda: v1.list_node())[0] == 200)
    fake.ctl('POST', '/allow', {})
    fake.ctl('POST', '/deny', {'resource': 'endpointslices', 'namespace': ''})
    d1 = client.DiscoveryV1Api(api)
    st1, e1 = status_of(lambda: d1.list_endpoint_slice_for_all_namespaces())
    st2, _ = status_of(lambda: d1.list_namespaced_endpoint_slice('default'))
    check('deny at cluster scope only: cluster list 403, namespaced list 200', st1 == 403 and st2 == 200
          and 'endpointslices.discovery.k8s.io is forbidden' in json.loads(e1.body)['message'], f'{st1} {st2}')
    fake.ctl('POST', '/allow', {})
    check('/allow: pods listed again', status_of(lambda: v1.list_pod_for_all_namespaces())[0] == 200)

    bad = client.CoreV1Api(client_for(k8s, fake, ca, 'wrong-token'))
    st, e = status_of(lambda: bad.list_pod_for_all_namespaces())
    body = json.loads(e.body) if e else {}
    check('bad token: 401 with the Unauthorized Status', st == 401 and body == {
        'kind': 'Status', 'apiVersion': 'v1', 'metadata': {}, 'status': 'Failure', 'message': 'Unauthorized',
        'reason': 'Unauthorized', 'code': 401}, f'{st} {body}')
    with open(fake.token_file + '.tmp', 'w') as f:
        f.write('crosscheck-token-2\n')
    os.replace(fake.token_file + '.tmp', fake.token_file)
    rotated = client.CoreV1Api(client_for(k8s, fake, ca, 'crosscheck-token-2'))
    check('token rotated: the old token 401, the new one 200', status_of(lambda: v1.list_node())[0] == 401
          and status_of(lambda: rotated.list_node())[0] == 200)
    v1 = rotated
    api = rotated.api_client

    # -- outage -----------------------------------------------------------------------------------
    before = v1.list_pod_for_all_namespaces().metadata.resource_version
    def answers():
        """The status of a list, or None when no HTTP answer came (the client raises urllib3's
        errors, or ApiException with status 0 for a TLS EOF)."""
        try:
            st, _ = status_of(lambda: v1.list_pod_for_all_namespaces(_request_timeout=2))
            return st or None
        except Exception:  # noqa: BLE001
            return None

    for mode in ('refuse', 'reset'):
        fake.ctl('POST', '/outage', {'seconds': 1, 'mode': mode})
        down = answers()
        t = time.monotonic()
        st = None
        while st is None and time.monotonic() - t < 10:
            time.sleep(0.1)
            st = answers()
        after = v1.list_pod_for_all_namespaces().metadata.resource_version
        check(f'/outage {mode}: connections fail, then the same state is served', down is None and st == 200
              and after == before, f'down={down} {st} {before}->{after} back after {time.monotonic() - t:.1f} s')

    # -- scale ------------------------------------------------------------------------------------
    rv = v1.list_namespaced_pod('scale').metadata.resource_version
    w5 = WatchThread(k8s, v1.list_namespaced_pod, 'scale', resource_version=rv, timeout_seconds=60, _preload_content=True)
    time.sleep(0.3)
    t = time.monotonic()
    gen = fake.ctl('POST', '/generate', {'pods': 5000, 'nodes': 50, 'namespace': 'scale'})
    t_gen = time.monotonic() - t
    t = time.monotonic()
    count, token, pages = 0, None, 0
    while True:
        r = v1.list_namespaced_pod('scale', limit=500, _continue=token, _preload_content=False)
        doc = json.loads(r.data)
        count += len(doc['items'])
        pages += 1
        token = doc['metadata'].get('continue')
        if not token:
            break
    t_list = time.monotonic() - t
    check('/generate 5000 pods, 50 nodes; listed back in 10 pages of 500', gen['pods'] == 5000 and count == 5000 and pages == 10,
          f'{gen} {count} {pages}')
    typed_pods = v1.list_namespaced_pod('scale', limit=100)
    typed_nodes = v1.list_node(label_selector='node.kubernetes.io/instance-type')
    check('generated pods and nodes deserialize into the client\'s models', len(typed_pods.items) == 100
          and len(typed_nodes.items) == 50 and typed_pods.items[0].status.pod_ip and typed_nodes.items[0].status.addresses)
    t = time.monotonic()
    n_added = 0
    while n_added < 5000:
        ev = w5.next(timeout=20)
        if ev[0] != 'ADDED':
            break
        n_added += 1
    t_watch = time.monotonic() - t
    check('a watch sees the 5000 generated pods ADDED', n_added == 5000, f'{n_added}, then {ev[:2]}')
    w5.w.stop()
    rss = fake.rss_kib()
    print(f'     scale: generate {t_gen:.2f} s, paginated list {t_list:.2f} s, watch {t_watch:.2f} s, '
          f'fake RSS {rss // 1024} MiB', flush=True)
    check('fake RSS with 5000 pods under 200 MiB', rss < 200 * 1024, f'{rss} KiB')
    stats = fake.ctl('GET', '/stats')
    check('/stats counts lists and watches by resource', stats['requests']['list'].get('pods', 0) >= 10
          and stats['requests']['watch'].get('nodes', 0) >= 1, repr(stats['requests']))


if __name__ == '__main__':
    sys.exit(main())
