import type { Cluster, Redis } from 'ioredis';

/**
 * What createRedisClient returns: one Redis (`redis://`, `rediss://`) or ioredis' Cluster
 * client (`redis+cluster://`). Both share ioredis' command methods, `status`, `disconnect`
 * and `duplicate`; code that must reach every primary (SCAN) asks {@link primariesOf}.
 */
export type RedisClient = Redis | Cluster;

/** Whether `client` is a Cluster client (without importing ioredis' value at runtime). */
export function isCluster(client: RedisClient): client is Cluster {
  return 'nodes' in client && typeof client.nodes === 'function';
}

/**
 * The connections to every primary: the client itself for one Redis, each primary's for a
 * cluster (connecting first when it is lazy and not connected yet, since a cluster client
 * knows its primaries only once it has read the slot map).
 */
export async function primariesOf(client: RedisClient): Promise<Redis[]> {
  if (!isCluster(client)) return [client];
  if (client.status === 'wait') await client.connect();
  return client.nodes('master');
}
