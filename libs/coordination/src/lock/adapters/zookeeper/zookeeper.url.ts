import type { BackendUrl } from '@nestmesh/common';

/** The query a `zk://` URL takes: `timeout` (request deadline) and `sessionTimeout`, both in ms. */
export const ZOOKEEPER_URL_QUERY = ['timeout', 'sessionTimeout'] as const;

/** Deadline of each ZooKeeper request when neither `?timeout=` nor the module option gives one, in ms. */
export const DEFAULT_ZOOKEEPER_REQUEST_TIMEOUT_MS = 1000;

/**
 * What `zk://host:port[,host:port…][/chroot][?sessionTimeout=&timeout=]` names: the
 * connection string of node-zookeeper-client (hosts of one ensemble, default port 2181, and an
 * optional chroot under which every node of NestMesh lives) and the session timeout asked for,
 * if given. Refuses no host, a bad port or chroot, and credentials (digest auth is not
 * supported: nodes are created with open ACLs, which a password would not protect).
 */
export function zookeeperConnectionOf(url: BackendUrl): {
  connectionString: string;
  sessionTimeoutMs: number | undefined;
} {
  if (url.scheme !== 'zk') url.fail('is not a zk:// URL');
  if (url.hosts.length === 0) url.fail('names no ZooKeeper host (zk://host:2181[,host:2181][/chroot])');
  if (url.credentials)
    url.fail('takes no user or password: ZooKeeper digest auth is not supported (nodes have open ACLs)');
  const hosts = url.hosts.map((item) => {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item);
    if (!match) url.fail(`"${item}" is not host[:port]`);
    const port = match[2] === undefined ? 2181 : Number(match[2]);
    if (port < 1 || port > 65_535) url.fail(`port ${port} is not 1–65535`);
    return `${match[1]}:${port}`;
  });
  const chroot = url.path === '/' ? '' : url.path;
  if (chroot && !/^(\/[^/]+)+$/.test(chroot))
    url.fail(`the chroot "${chroot}" must be /name[/name…] (no empty part, no trailing slash)`);
  if (chroot.split('/').some((part) => part === '.' || part === '..'))
    url.fail(`the chroot "${chroot}" may not contain . or ..`);
  return {
    connectionString: `${hosts.join(',')}${chroot}`,
    sessionTimeoutMs: url.positiveNumber('sessionTimeout', { integer: true }),
  };
}
