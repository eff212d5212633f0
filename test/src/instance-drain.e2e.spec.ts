import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
} from '@nestmesh/contracts/grpc/health/v1';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { createMeshClient, meshClientToken, MeshGrpcServer, type MeshClient } from '@nestmesh/grpc';
import { startWorkers, waitFor } from '@nestmesh/testing';

import { startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

const WORKERS = 8;
// A liveness bound for a loaded machine, not a claim about speed.
const PROGRESS_TIMEOUT_MS = 60_000;

describe('stopping an inventory instance under load', () => {
  let cluster: EmbeddedCluster;
  before(async () => (cluster = await startEmbeddedCluster()));
  after(() => cluster?.close());

  it('fails no call, moves traffic to the survivor, and its health watch sees SERVING → NOT_SERVING', async (t) => {
    const client: MeshClient<typeof InventoryServiceService> = cluster.order.get(
      meshClientToken(InventoryServiceService),
    );
    const [leaving, staying] = cluster.inventories.map((app) => app.get(MeshGrpcServer));
    const leavingId = leaving.instance!.id;
    const stayingId = staying.instance!.id;

    const healthChannel = new Client(`127.0.0.1:${leaving.port}`, credentials.createInsecure());
    const health = createMeshClient(HealthService, healthChannel, { timeoutMs: 5000, streamTimeoutMs: 0 });
    const statuses: ServingStatus[] = [];
    const stopWatching = new AbortController();
    // Ends when the server closes the stream as it stops; stopWatching ends it if the test fails first.
    const watching = (async () => {
      const stream = health.watch({ service: '' }, { signal: stopWatching.signal });
      for await (const { status } of stream) statuses.push(status);
    })();
    void watching.catch(() => undefined); // awaited below on success; ignored once the test failed

    const served = new Map<string, number>();
    const failures: string[] = [];
    let closedAt = Number.POSITIVE_INFINITY;
    const startedAfterClose: string[] = [];
    const workers = startWorkers(
      WORKERS,
      async (signal) => {
        const startedAt = performance.now();
        try {
          const { servedBy } = await client.getStock({ sku: 'A-1' }, { signal });
          served.set(servedBy, (served.get(servedBy) ?? 0) + 1);
          if (startedAt > closedAt) startedAfterClose.push(servedBy);
        } catch (error) {
          if (!signal.aborted) failures.push(String(error));
        }
      },
      { signal: t.signal },
    );
    try {
      try {
        const waiting = { timeoutMs: PROGRESS_TIMEOUT_MS, signal: t.signal };
        await waitFor(() => (served.get(leavingId) ?? 0) >= 50 && (served.get(stayingId) ?? 0) >= 50, {
          ...waiting,
          description: 'both instances to serve traffic',
        });
        await cluster.inventories[0].close();
        closedAt = performance.now();
        await waitFor(() => startedAfterClose.length >= 200, {
          ...waiting,
          description: '200 calls after the instance left',
        });
      } finally {
        await workers.stop();
      }
      await watching;
    } finally {
      stopWatching.abort();
      healthChannel.close();
    }

    assert.deepEqual(failures, [], 'no call failed');
    assert.ok(
      startedAfterClose.every((id) => id === stayingId),
      'after it left, only the survivor served',
    );
    assert.deepEqual(statuses, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  });
});
