import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { DEFAULT_INSPECTION_TIMEOUT_MS } from '../../../inspection.js';
import type { ElectionInspectors } from '../../election-inspector.js';
import type { ElectionBackends } from '../../leader-election.factory.js';

/**
 * `etcd://[user:password@]host:2379[,host:2379…][?timeout=<ms>]`: several hosts are members of
 * one cluster; user and password authenticate every request (etcd auth). etcd3 is imported
 * only when such a URL is used.
 */
export function registerEtcdElectionScheme(backends: ElectionBackends): void {
  backends.register('etcd', {
    query: ['timeout'],
    create: async (urls, { group, timing, requestTimeoutMs: option }) => {
      const [url] = urls;
      if (url.hosts.length === 0) url.fail('names no etcd host (etcd://host:2379)');
      if (url.path) url.fail('takes no path (etcd://host:2379[,host:2379])');
      const requestTimeoutMs = agreedTimeoutMs(urls, { name: 'requestTimeoutMs', value: option });
      const { EtcdLeaderElection } = await import('./etcd.election.js');
      return new EtcdLeaderElection({
        hosts: url.hosts.map((host) => `http://${host}`),
        auth: url.credentials,
        group,
        timing,
        requestTimeoutMs,
      });
    },
  });
}

/**
 * `etcd://` election inspection, the URL form of the elections; `?timeout=` is the deadline of
 * each read (default 2000 ms). etcd3 is imported only when such a URL is used.
 */
export function registerEtcdElectionInspector(inspectors: ElectionInspectors): void {
  inspectors.register('etcd', {
    query: ['timeout'],
    create: async ([url]) => {
      if (url.hosts.length === 0) url.fail('names no etcd host (etcd://host:2379)');
      if (url.path) url.fail('takes no path (etcd://host:2379[,host:2379])');
      const timeoutMs =
        agreedTimeoutMs([url], { name: 'timeout', value: undefined }) ?? DEFAULT_INSPECTION_TIMEOUT_MS;
      const { EtcdElectionInspector } = await import('./etcd.election-inspector.js');
      const hosts = url.hosts.map((host) => `http://${host}`);
      return new EtcdElectionInspector(String(url), hosts, timeoutMs, url.credentials);
    },
  });
}
