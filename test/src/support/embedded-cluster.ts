import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { MeshGrpcServer } from '@nestmesh/grpc';
import { InventoryModule } from '@nestmesh/inventory';
import { configureHttp, OrderModule } from '@nestmesh/order';
import { startContext, startHttpApp } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

/** order + N inventory instances in this process on an isolated memory registry and store. */
export interface EmbeddedCluster {
  registry: string;
  inventories: INestApplicationContext[];
  order: INestApplication;
  url: string;
  inventoryIds(): string[];
  close(): Promise<void>;
}

export async function startEmbeddedCluster({
  inventories = 2,
  seed,
  redisUrl,
  ordersInRedis = false,
}: {
  inventories?: number;
  seed?: Record<string, bigint>;
  redisUrl?: string;
  /** The order app keeps its orders in `redisUrl` too (default: in memory). */
  ordersInRedis?: boolean;
} = {}): Promise<EmbeddedCluster> {
  const registry = `memory://${randomUUID()}`;
  const stockStore = randomUUID();
  const started: INestApplicationContext[] = [];
  let order: INestApplication | undefined;
  // The edge first, then the inventories; each closes even when another fails (the first error is thrown).
  const close = async () => {
    const closed = [
      ...(await Promise.allSettled([order?.close()])),
      ...(await Promise.allSettled(started.map((app) => app.close()))),
    ];
    const failed = closed.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  };
  try {
    for (let index = 0; index < inventories; index++) {
      started.push(
        await startContext(
          InventoryModule.forRoot({
            discoveryUrl: registry,
            stockStore,
            seed,
            redisUrl,
            deregisterDelayMs: 50,
          }),
        ),
      );
    }
    // No rate limit: the suites on this cluster send waves of concurrent orders from one address
    // (inventory-redis: 200 at once); the limit itself is tested in http-edge.e2e.
    const http = await startHttpApp(
      OrderModule.forRoot({
        discoveryUrl: registry,
        rateLimit: false,
        ...(ordersInRedis && redisUrl ? { redisUrl } : {}),
      }),
      configureHttp,
    );
    order = http.app;
    return {
      registry,
      inventories: started,
      order,
      url: http.url,
      inventoryIds: () => started.map((app) => app.get(MeshGrpcServer).instance?.id ?? ''),
      close,
    };
  } catch (error) {
    await close().catch(() => undefined); // the startup error is the one worth reporting
    throw error;
  }
}

export async function postJson(
  url: string,
  body: unknown,
  { signal }: { signal?: AbortSignal } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
