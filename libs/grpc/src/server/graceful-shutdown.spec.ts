import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import type { INestApplicationContext } from '@nestjs/common';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { HealthCheckResponse_ServingStatus as ServingStatus } from '@nestmesh/contracts/grpc/health/v1';
import { MemoryRegistry } from '@nestmesh/discovery';
import { startContext, waitFor } from '@nestmesh/testing';

import { meshClientToken } from '../client/mesh-client.module.js';
import type { MeshClient } from '../client/typed-client.js';
import { RpcError } from '../grpc.errors.js';
import { FixtureLog, FixtureModule } from '../test-fixtures/fixture-inventory.js';
import { healthClient } from '../test-fixtures/raw-clients.js';
import { MeshGrpcServer } from './mesh-grpc.server.js';

type Inventory = MeshClient<typeof InventoryServiceService>;

/** Closes `app` once however often it is called: by the test, and by its after hook if it failed first. */
function closeOnce(app: INestApplicationContext): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= app.close());
}

describe('graceful shutdown', () => {
  it('reports NOT_SERVING, deregisters, then lets in-flight calls finish before closing', async (t) => {
    const registryName = randomUUID();
    const app = await startContext(FixtureModule.forRoot({ registry: `memory://${registryName}` }));
    const close = closeOnce(app);
    t.after(close);
    const server = app.get(MeshGrpcServer);
    const client: Inventory = app.get(meshClientToken(InventoryServiceService));
    const log = app.get(FixtureLog);
    const registry = MemoryRegistry.named(registryName);
    assert.deepEqual(
      (await registry.instances('fixture')).map((i) => i.port),
      [server.port],
    );

    const statuses: ServingStatus[] = [];
    const watch = (async () => {
      for await (const { status } of healthClient(server.port).watch({ service: '' })) statuses.push(status);
    })();
    await waitFor(() => statuses.length === 1, { description: 'the first health status' });

    const inFlight = client.getStock({ sku: 'slow:300' });
    await waitFor(() => log.inFlight === 1, { description: 'the slow call to start' });
    const registryDuringShutdown: number[] = [];
    const closing = close();
    await waitFor(
      async () => {
        registryDuringShutdown.push((await registry.instances('fixture')).length);
        return statuses.length === 2;
      },
      { description: 'NOT_SERVING on the health watch' },
    );

    const response = await inFlight;
    assert.equal(response.stock!.sku, 'slow:300', 'the in-flight call completed');
    await closing;
    await watch;
    assert.deepEqual(statuses, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    assert.equal(registryDuringShutdown.at(-1), 0, 'deregistered while the call was still running');
  });

  it('cancels calls still running when the drain deadline passes', async (t) => {
    const app = await startContext(
      FixtureModule.forRoot({
        registry: `memory://${randomUUID()}`,
        server: { drainTimeoutMs: 50, deregisterDelayMs: 0 },
      }),
    );
    const close = closeOnce(app);
    t.after(close);
    const client: Inventory = app.get(meshClientToken(InventoryServiceService));
    const log = app.get(FixtureLog);
    const stuck = client.getStock({ sku: 'slow:30000' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await waitFor(() => log.inFlight === 1, { description: 'the slow call to start' });
    await close();
    const error = await stuck;
    assert.ok(error instanceof RpcError, String(error));
    assert.ok([Status.CANCELLED, Status.UNAVAILABLE].includes(error.status), error.message);
  });
});
