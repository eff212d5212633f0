import { BACKEND_TLS_QUERY, etcdConnectionOf } from '@nestmesh/common';

import type { DiscoveryBackends } from '../../discovery-backend.js';
import { ETCD_MIN_KEEPALIVE_MS } from './etcd.constants.js';

/**
 * `etcd[s]://[user:password@]host:2379[,host:2379…][?ttl=<s>&prefix=<key prefix>&timeout=<ms>&keepalive=<ms>]`:
 * several hosts are members of one cluster; `etcds://` is TLS (`?ca=`, `?cert=`, `?key=`,
 * `?servername=`); user and password are etcd auth. A refused password fails at startup
 * with BackendAuthError. `etcd3` is imported only when such a URL is used.
 */
export function registerEtcdScheme(backends: DiscoveryBackends): void {
  backends.register(['etcd', 'etcds'], {
    query: ['ttl', 'prefix', 'timeout', 'keepalive', ...BACKEND_TLS_QUERY],
    create: async ([url]) => {
      if (url.path) url.fail(`takes no path; the key prefix is ?prefix=${url.path}`);
      const options = {
        ...etcdConnectionOf(url),
        url: String(url),
        ttlSeconds: url.positiveNumber('ttl', { integer: true }),
        requestTimeoutMs: url.positiveNumber('timeout'),
        prefix: url.string('prefix'),
        keepaliveMs: url.positiveNumber('keepalive'),
      };
      if (options.keepaliveMs !== undefined && options.keepaliveMs < ETCD_MIN_KEEPALIVE_MS) {
        url.fail(
          `keepalive=${options.keepaliveMs} is below ${ETCD_MIN_KEEPALIVE_MS} ms; etcd refuses pings more often`,
        );
      }
      const { EtcdRegistry } = await import('./etcd.registry.js');
      const registry = new EtcdRegistry(options);
      await registry.credentialsChecked().catch((error: unknown) => {
        registry.close();
        throw error;
      });
      return registry;
    },
  });
}
