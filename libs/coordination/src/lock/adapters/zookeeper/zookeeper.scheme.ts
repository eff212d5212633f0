import { agreedTimeoutMs } from '../../../backend-timeout.js';
import type { LockBackends } from '../../lock-backend.factory.js';
import { DEFAULT_LOCK_TTL_MS } from '../../lock.constants.js';
import {
  DEFAULT_ZOOKEEPER_REQUEST_TIMEOUT_MS,
  ZOOKEEPER_URL_QUERY,
  zookeeperConnectionOf,
} from './zookeeper.url.js';

/**
 * `zk://host:port[,host:port…][/chroot][?sessionTimeout=<ms>&timeout=<ms>]`: locks on one
 * ZooKeeper ensemble (ZookeeperLockBackend). The session timeout asked for defaults to the
 * default lock TTL (10 s): a lock's `ttlMs` may not exceed what the server grants. The request
 * deadline is `?timeout=` or LockModule's `commandTimeoutMs` (default 1000 ms).
 * node-zookeeper-client is imported only when such a URL is used.
 */
export function registerZookeeperLockScheme(backends: LockBackends): void {
  backends.register('zk', {
    query: ZOOKEEPER_URL_QUERY,
    create: async (urls, { commandTimeoutMs: option }) => {
      const [url] = urls;
      const { connectionString, sessionTimeoutMs } = zookeeperConnectionOf(url);
      const requestTimeoutMs =
        agreedTimeoutMs(urls, { name: 'commandTimeoutMs', value: option }) ??
        DEFAULT_ZOOKEEPER_REQUEST_TIMEOUT_MS;
      const { ZookeeperLockBackend } = await import('./zookeeper.lock-backend.js');
      return new ZookeeperLockBackend({
        connectionString,
        sessionTimeoutMs: sessionTimeoutMs ?? DEFAULT_LOCK_TTL_MS,
        requestTimeoutMs,
      });
    },
  });
}
