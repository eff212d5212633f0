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
}: {
  inventories?: number;
  seed?: Record<string, bigint>;
  redisUrl?: string;
} = {}): Promise<EmbeddedCluster> {
  const registry = `memory://${randomUUID()}`;
  const stockStore = randomUUID();
  const started: INestApplicationContext[] = [];
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
  const { app: order, url } = await startHttpApp(
    OrderModule.forRoot({ discoveryUrl: registry }),
    configureHttp,
  );
  return {
    registry,
    inventories: started,
    order,
    url,
    inventoryIds: () => started.map((app) => app.get(MeshGrpcServer).instance?.id ?? ''),
    close: async () => {
      await order.close();
      await Promise.all(started.map((app) => app.close()));
    },
  };
}

export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
