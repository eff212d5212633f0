import { agreedTimeoutMs } from '../../../backend-timeout.js';
import {
  ZOOKEEPER_URL_QUERY,
  zookeeperConnectionOf,
} from '../../../lock/adapters/zookeeper/zookeeper.url.js';
import type { ElectionBackends } from '../../leader-election.factory.js';

/**
 * `zk://host:port[,host:port…][/chroot][?sessionTimeout=<ms>&timeout=<ms>]`: an election on
 * one ZooKeeper ensemble (ZookeeperLeaderElection). The session timeout asked for defaults to
 * the timing's `ttlMs`; one the server grants shorter is refused at startup. node-zookeeper-client
 * is imported only when such a URL is used.
 */
export function registerZookeeperElectionScheme(backends: ElectionBackends): void {
  backends.register('zk', {
    query: ZOOKEEPER_URL_QUERY,
    create: async (urls, { group, timing, requestTimeoutMs: option }) => {
      const [url] = urls;
      const { connectionString, sessionTimeoutMs } = zookeeperConnectionOf(url);
      const requestTimeoutMs = agreedTimeoutMs(urls, { name: 'requestTimeoutMs', value: option });
      const { ZookeeperLeaderElection } = await import('./zookeeper.election.js');
      const election = new ZookeeperLeaderElection({
        connectionString,
        group,
        timing,
        requestTimeoutMs,
        sessionTimeoutMs,
      });
      await election.startupChecked().catch(async (error: unknown) => {
        await election.close();
        throw error;
      });
      return election;
    },
  });
}
