import {
  BACKEND_TLS_QUERY,
  type BackendTls,
  type BackendUrl,
  readTlsFile,
  tlsOf,
  credentialsCheckedOrClosed,
} from '@nestmesh/common';

import type { DiscoveryBackends } from '../../discovery-backend.js';

/**
 * The TLS settings of a Consul URL: `consuls://` (or `consul://` with CONSUL_HTTP_SSL=true, as
 * Consul's own CLI reads it) is HTTPS; the files come from `?ca=`/`?cert=`/`?key=`, else from
 * CONSUL_CACERT, CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY. Undefined for plain HTTP.
 */
function consulTls(url: BackendUrl, env: NodeJS.ProcessEnv): BackendTls | undefined {
  const fromUrl = tlsOf(url); // refuses ?ca= on consul://
  if (!fromUrl && env.CONSUL_HTTP_SSL?.toLowerCase() !== 'true') return undefined;
  const tls: BackendTls = { ...fromUrl };
  const fromEnv = [
    ['ca', 'CONSUL_CACERT'],
    ['cert', 'CONSUL_CLIENT_CERT'],
    ['key', 'CONSUL_CLIENT_KEY'],
  ] as const;
  for (const [field, variable] of fromEnv) {
    const file = env[variable];
    if (tls[field] === undefined && file) tls[field] = readTlsFile(url, variable, file);
  }
  if ((tls.cert === undefined) !== (tls.key === undefined))
    url.fail(
      'a client certificate needs both a certificate and a key (?cert= and ?key=, or CONSUL_CLIENT_CERT and CONSUL_CLIENT_KEY)',
    );
  return tls;
}

/**
 * `consul[s]://[host:8500][?dc=<dc>&token=<ACL token>&ns=<namespace>&check=grpc|ttl&wait=<ms>]`:
 * one local agent; the token defaults to CONSUL_HTTP_TOKEN. `consuls://` is HTTPS (see
 * consulTls for the CA and client certificate). An unknown token fails at startup with
 * BackendAuthError. `consul` is imported only when such a URL is used.
 */
export function registerConsulScheme(backends: DiscoveryBackends): void {
  backends.register(['consul', 'consuls'], {
    query: ['dc', 'token', 'ns', 'check', 'wait', ...BACKEND_TLS_QUERY],
    create: async ([url]) => {
      if (url.hosts.length > 1) url.fail('name one Consul agent (the local one)');
      if (url.credentials) url.fail('Consul takes no user or password; pass the ACL token as ?token=');
      if (url.path) url.fail('takes no path');
      const tls = consulTls(url, process.env);
      const options = {
        host: url.hosts[0],
        secure: tls !== undefined,
        tls,
        url: String(url),
        token: url.string('token') ?? process.env.CONSUL_HTTP_TOKEN,
        datacenter: url.string('dc'),
        namespace: url.string('ns'),
        check: url.oneOf('check', ['grpc', 'ttl'], 'grpc'),
        waitMs: url.positiveNumber('wait'),
      };
      const { ConsulRegistry } = await import('./consul.registry.js');
      const registry = new ConsulRegistry(options);
      return credentialsCheckedOrClosed(registry);
    },
  });
}
