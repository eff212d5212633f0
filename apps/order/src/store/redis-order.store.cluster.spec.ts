import { after, before, describe } from 'node:test';
import { startRedisCluster, type RedisCluster } from '@nestmesh/testing';

import { orderStoreContract } from './order-store.contract.js';
import { RedisOrderStore } from './redis-order.store.js';

// Every command and script of the order store touches one key: on a cluster the orders and
// idempotency keys spread over every primary, and the contract holds as on one Redis.
describe('RedisOrderStore on a Redis Cluster (3 primaries + 3 replicas)', { timeout: 90_000 }, () => {
  let cluster: RedisCluster;
  const opened: RedisOrderStore[] = [];
  before(async () => (cluster = await startRedisCluster()));
  after(async () => {
    await Promise.allSettled(opened.map((store) => store.close()));
    await cluster?.stop();
  });

  orderStoreContract('redis+cluster', () => {
    const [first, second] = [new RedisOrderStore(cluster.url), new RedisOrderStore(cluster.url)];
    opened.push(first, second);
    return Promise.resolve({ first, second, close: () => Promise.resolve() });
  });
});
