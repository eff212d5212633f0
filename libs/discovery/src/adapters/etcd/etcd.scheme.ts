import type { DiscoveryBackends } from '../../discovery-backend.js';
import { ETCD_MIN_KEEPALIVE_MS } from './etcd.constants.js';

/**
 * `etcd://[user:password@]host:2379[,host:2379…][?ttl=<s>&prefix=<key prefix>&timeout=<ms>&keepalive=<ms>]`:
 * several hosts are members of one cluster. `etcd3` is imported only when such a URL is used.
 */
export function registerEtcdScheme(backends: DiscoveryBackends): void {
  backends.register('etcd', {
    query: ['ttl', 'prefix', 'timeout', 'keepalive'],
    create: async ([url]) => {
      if (url.hosts.length === 0) url.fail('names no etcd host (etcd://host:2379)');
      if (url.path) url.fail(`takes no path; the key prefix is ?prefix=${url.path}`);
      const options = {
        hosts: url.hosts.map((host) => `http://${host}`),
        auth: url.credentials,
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
      return new EtcdRegistry(options);
    },
  });
}
