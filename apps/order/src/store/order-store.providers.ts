import { Inject } from '@nestjs/common';
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import { BackendUrl, splitBackendUrls, credentialsCheckedOrClosed } from '@nestmesh/common';
import { isRedisClusterUrl, redisClusterOptionsOf, redisOptionsOf } from '@nestmesh/coordination/redis';
import { DEFAULT_CLIENT_TIMEOUT_MS } from '@nestmesh/grpc';

import { MemoryOrderStore } from './memory-order.store.js';
import { OrderStore } from './order.store.js';
import { RedisOrderStore } from './redis-order.store.js';

/** The deadline of each call to inventory, in ms, which bounds how long a placement takes. */
export const INVENTORY_TIMEOUT_MS = Symbol.for('nestmesh.order.InventoryTimeoutMs');

export interface OrderStoreOptions {
  redisUrl?: string;
  inventoryTimeoutMs?: number;
  idempotencyRetentionMs?: number;
}

/**
 * The OrderStore (Redis when `redisUrl` is given, else in memory), its closer, and the inventory
 * deadline OrdersService derives a placement's longest duration from. With Redis, a placement
 * must be bounded (an idempotency key is held that long), so an inventory timeout of 0 (no
 * deadline) is refused here, at startup.
 */
export function orderStoreProviders(options: OrderStoreOptions): Provider[] {
  const inventoryTimeoutMs = options.inventoryTimeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
  const { redisUrl, idempotencyRetentionMs } = options;
  if (redisUrl && !(inventoryTimeoutMs > 0 && Number.isFinite(inventoryTimeoutMs))) {
    throw new Error(
      `order: with Redis, inventoryTimeoutMs must be a positive number of ms (it bounds how long an idempotency key is held while placing), got ${inventoryTimeoutMs}`,
    );
  }
  if (
    idempotencyRetentionMs !== undefined &&
    !(Number.isSafeInteger(idempotencyRetentionMs) && idempotencyRetentionMs > 0)
  ) {
    throw new Error(
      `order: idempotencyRetentionMs must be a positive whole number of ms, got ${idempotencyRetentionMs}`,
    );
  }
  const connection = redisUrl ? redisConnection(redisUrl) : undefined;
  return [
    { provide: INVENTORY_TIMEOUT_MS, useValue: inventoryTimeoutMs },
    {
      provide: OrderStore,
      useFactory: async () => {
        if (!connection) return new MemoryOrderStore();
        const store = new RedisOrderStore(connection.url, { idempotencyRetentionMs, ...connection });
        // A refused password stops the app at startup (BackendAuthError), not every request later.
        return credentialsCheckedOrClosed(store);
      },
    },
    OrderStoreCloser,
  ];
}

/**
 * The one Redis the orders live in, checked at startup: `redis[s]://[user:password@]host[:port][/db]`
 * with the TLS files (`?ca=&cert=&key=`), the primary of `redis+sentinel://…/<master>[/db]`, or a
 * Redis Cluster (`redis+cluster://host:port[,host:port…]`), and the optional `?timeout=<ms>` command deadline the
 * lock backend takes too. A Redlock list of several URLs (locks only) or another query
 * parameter is refused rather than half-used; so is an unreadable TLS file.
 */
function redisConnection(value: string): { url: BackendUrl; commandTimeoutMs?: number } {
  const invalid = (message: string) => new Error(`order: REDIS_URL ${message}`);
  const urls = splitBackendUrls(value);
  if (urls.length !== 1) {
    throw invalid(
      `names ${urls.length} Redis servers; the order store needs one (a list of several is for locks only)`,
    );
  }
  const url = BackendUrl.parse(urls[0], invalid);
  // Scheme, hosts, database path, known query, readable TLS files.
  if (isRedisClusterUrl(url)) redisClusterOptionsOf(url);
  else redisOptionsOf(url);
  const commandTimeoutMs = url.positiveNumber('timeout', { integer: true });
  return { url, commandTimeoutMs };
}

/** Closes the store's connection after the gRPC server has drained. */
class OrderStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(OrderStore) private readonly store: OrderStore & { close?(): Promise<void> }) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close?.();
  }
}
