#!/usr/bin/env python3
"""Fetch credentials from the loopback fakes (alibaba_fakes.py) with Alibaba's own Python client.

    crosscheck_credentials.py --base http://127.0.0.1:PORT --provider ecs|oidc|uri
        [--role NAME] [--disable-imds-v1]                       (ecs)
        [--token-file F] [--role-arn A] [--oidc-provider-arn B]
        [--role-session-name S] [--duration-seconds N]           (oidc)
        [--calls N]

Prints one JSON object on stdout:
    {"provider", "provider_name", "access_key_id", "access_key_secret", "security_token", "expiration"}
or {"error": "..."} and exits 1. Needs `pip install alibabacloud-credentials==1.0.12`.

How each provider is pointed at the fake (alibabacloud-credentials 1.0.12, read from its source):
  ecs   EcsRamRoleCredentialsProvider hard-codes host 100.100.100.200 in the name-mangled instance
        attribute _EcsRamRoleCredentialsProvider__metadata_service_host; it is set to 127.0.0.1:PORT
        right after construction (nothing is fetched before the first get_credentials()). No module
        code is patched. async_update_enabled=False, so no APScheduler thread runs.
  oidc  OIDCRoleArnCredentialsProvider(sts_endpoint='http://127.0.0.1:PORT'): Tea drops the forced
        https because the host string already carries a scheme.
  uri   URLCredentialsProvider(uri=BASE/credentials).

Only loopback is ever contacted: the base URL must be http://127.0.0.1:PORT, and an audit hook refuses
every socket connect and name lookup for any other host, whatever the library tries.
"""

import argparse
import json
import os
import sys
import tempfile
from urllib.parse import urlsplit

LOOPBACK = '127.0.0.1'


def fail(message):
    print(json.dumps({'error': message}))
    sys.exit(1)


def loopback_guard(event, args):
    if event == 'socket.connect':
        address = args[1]
        if isinstance(address, tuple) and address and address[0] != LOOPBACK:
            raise PermissionError(f'crosscheck: refusing to connect to {address!r} (loopback only)')
    elif event == 'socket.getaddrinfo':
        host = args[0]
        if host not in (LOOPBACK, b'127.0.0.1'):
            raise PermissionError(f'crosscheck: refusing to resolve {host!r} (loopback only)')


def parse_args():
    ap = argparse.ArgumentParser(description='Alibaba Python credentials client against the loopback fakes')
    ap.add_argument('--base', required=True, help='http://127.0.0.1:PORT of alibaba_fakes.py')
    ap.add_argument('--provider', required=True, choices=('ecs', 'oidc', 'uri'))
    ap.add_argument('--role', default=None, help='ecs: role name (default: looked up from the metadata service)')
    ap.add_argument('--disable-imds-v1', action='store_true', help='ecs: no fallback to requests without a token')
    ap.add_argument('--token-file', default=None, help='oidc: OIDC token file (default: a generated dummy JWT)')
    ap.add_argument('--role-arn', default='acs:ram::123456789012:role/promsls-test-role')
    ap.add_argument('--oidc-provider-arn', default='acs:ram::123456789012:oidc-provider/promsls-test-provider')
    ap.add_argument('--role-session-name', default=None, help='oidc: default is the client\'s credentials-python-<epoch>')
    ap.add_argument('--duration-seconds', type=int, default=None, help='oidc: default is the client\'s 3600')
    ap.add_argument('--calls', type=int, default=1, help='call get_credentials() N times; the last result is printed')
    return ap.parse_args()


def dummy_token_file():
    import base64

    def seg(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b'=').decode()
    jwt = '.'.join([seg({'alg': 'RS256', 'kid': 'fake'}),
                    seg({'iss': 'https://oidc.fake.invalid', 'sub': 'system:serviceaccount:default:promsls',
                         'aud': ['sts.aliyuncs.com']}),
                    'c2lnbmF0dXJl'])
    f = tempfile.NamedTemporaryFile('w', prefix='crosscheck-oidc-', suffix='.jwt', delete=False)
    f.write(jwt)
    f.close()
    return f.name


def main():
    args = parse_args()

    # 1. Loopback only, checked before anything else happens.
    base = urlsplit(args.base)
    if base.scheme != 'http' or base.hostname != LOOPBACK:
        fail(f'--base must be http://127.0.0.1:PORT, got {args.base!r}')
    try:
        port = base.port
    except ValueError:
        port = None
    if not port:
        fail(f'--base needs an explicit port (Tea would build "host:None" without one): {args.base!r}')
    base_url = f'http://{LOOPBACK}:{port}'
    sys.addaudithook(loopback_guard)

    # 2. Environment, before the import: auth_util reads ALIBABA_CLOUD_* once, at import time, and
    #    Tea reads HTTP(S)_PROXY itself on every request (NO_PROXY is not honoured).
    for name in list(os.environ):
        if name.startswith('ALIBABA_CLOUD_') or name.lower() in (
                'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy') or name == 'DEBUG':
            del os.environ[name]
    os.environ['ALIBABA_CLOUD_CLI_PROFILE_DISABLED'] = 'true'

    try:
        import alibabacloud_credentials
        from alibabacloud_credentials.provider import (
            EcsRamRoleCredentialsProvider, OIDCRoleArnCredentialsProvider, URLCredentialsProvider)
    except ImportError as e:
        fail(f'alibabacloud_credentials is not installed ({e}); pip install alibabacloud-credentials==1.0.12')

    # 3. The provider, pointed at the fake.
    try:
        if args.provider == 'ecs':
            provider = EcsRamRoleCredentialsProvider(role_name=args.role,
                                                     disable_imds_v1=args.disable_imds_v1,
                                                     async_update_enabled=False)
            attr = '_EcsRamRoleCredentialsProvider__metadata_service_host'
            if getattr(provider, attr, None) != '100.100.100.200':
                fail(f'alibabacloud_credentials {alibabacloud_credentials.__version__}: {attr} not found; '
                     'the ECS provider changed, re-read its source')
            setattr(provider, attr, f'{LOOPBACK}:{port}')
        elif args.provider == 'oidc':
            kwargs = dict(role_arn=args.role_arn, oidc_provider_arn=args.oidc_provider_arn,
                          oidc_token_file_path=args.token_file or dummy_token_file(),
                          sts_endpoint=base_url)
            if args.role_session_name:
                kwargs['role_session_name'] = args.role_session_name
            if args.duration_seconds is not None:
                kwargs['duration_seconds'] = args.duration_seconds
            provider = OIDCRoleArnCredentialsProvider(**kwargs)
        else:
            provider = URLCredentialsProvider(uri=f'{base_url}/credentials')

        creds = None
        for _ in range(max(1, args.calls)):
            creds = provider.get_credentials()
    except SystemExit:
        raise
    except Exception as e:
        fail(f'{type(e).__name__}: {e}')

    print(json.dumps({
        'provider': args.provider,
        'provider_name': creds.get_provider_name(),
        'access_key_id': creds.get_access_key_id(),
        'access_key_secret': creds.get_access_key_secret(),
        'security_token': creds.get_security_token(),
        'expiration': creds.get_expiration(),
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())
