import { BACKEND_TLS_QUERY, etcdConnectionOf, credentialsCheckedOrClosed } from '@nestmesh/common';

import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { inspectionTimeoutMs } from '../../../inspection.js';
import type { ElectionInspectors } from '../../election-inspector.js';
import type { ElectionBackends } from '../../leader-election.factory.js';

/** The query an etcd election URL takes: TLS files and `timeout`, the request deadline in ms. */
const ETCD_URL_QUERY = ['timeout', ...BACKEND_TLS_QUERY];

/**
 * `etcd[s]://[user:password@]host:2379[,host:2379…][?timeout=<ms>]`: several hosts are members
 * of one cluster; user and password authenticate every request (etcd auth); `etcds://` is TLS
 * (`?ca=`, `?cert=`, `?key=`, `?servername=`). A refused password fails at startup with
 * BackendAuthError. etcd3 is imported only when such a URL is used.
 */
export function registerEtcdElectionScheme(backends: ElectionBackends): void {
  backends.register(['etcd', 'etcds'], {
    query: ETCD_URL_QUERY,
    create: async (urls, { group, timing, requestTimeoutMs: option }) => {
      const [url] = urls;
      if (url.path) url.fail('takes no path (etcd://host:2379[,host:2379])');
      const connection = etcdConnectionOf(url);
      const requestTimeoutMs = agreedTimeoutMs(urls, { name: 'requestTimeoutMs', value: option });
      const { EtcdLeaderElection } = await import('./etcd.election.js');
      const election = new EtcdLeaderElection({
        ...connection,
        url: String(url),
        group,
        timing,
        requestTimeoutMs,
      });
      return credentialsCheckedOrClosed(election);
    },
  });
}

/**
 * `etcd://` election inspection, the URL form of the elections; `?timeout=` is the deadline of
 * each read (default 2000 ms). etcd3 is imported only when such a URL is used.
 */
export function registerEtcdElectionInspector(inspectors: ElectionInspectors): void {
  inspectors.register(['etcd', 'etcds'], {
    query: ETCD_URL_QUERY,
    create: async ([url]) => {
      if (url.path) url.fail('takes no path (etcd://host:2379[,host:2379])');
      const connection = etcdConnectionOf(url);
      const timeoutMs = inspectionTimeoutMs([url]);
      const { EtcdElectionInspector } = await import('./etcd.election-inspector.js');
      return new EtcdElectionInspector(String(url), connection, timeoutMs);
    },
  });
}
