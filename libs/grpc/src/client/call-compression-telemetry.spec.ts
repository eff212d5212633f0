import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { DiscoveryModule, MemoryRegistry } from '@nestmesh/discovery';
import { captureTelemetry } from '@nestmesh/telemetry/testing';
import { startContext, waitFor } from '@nestmesh/testing';

import { EncodingPeer } from '../test-fixtures/encoding-peer.js';
import { MeshClientModule, meshClientToken } from './mesh-client.module.js';
import type { MeshClient } from './typed-client.js';

// Registered before the app is built, as an app registers its SDK: the client gets tracing.
const telemetry = captureTelemetry({ serviceName: 'call-compression-telemetry-spec' });

function instance(id: string, port: number) {
  return { id, name: 'echo', address: '127.0.0.1', port, tags: [], metadata: {} };
}

describe('mesh client: compression siblings and telemetry', { timeout: 60_000 }, () => {
  const peers: EncodingPeer[] = [];
  let app: INestApplicationContext | undefined;
  after(async () => {
    await app?.close();
    await Promise.all(peers.map((peer) => peer.stop()));
    await telemetry.stop();
  });

  it('a sibling is traced like the main channel, and a discovery change is reported once for both', async () => {
    peers.push(await EncodingPeer.start(), await EncodingPeer.start());
    const [first, second] = peers as [EncodingPeer, EncodingPeer];
    const registryName = randomUUID();
    const registry = MemoryRegistry.named(registryName);
    await registry.register(instance('echo-1', first.port));
    @Module({
      imports: [
        DiscoveryModule.forRoot({ url: `memory://${registryName}` }),
        MeshClientModule.register({ service: 'echo', definition: EchoServiceService, timeoutMs: 10_000 }),
      ],
    })
    class CallerModule {}
    app = await startContext(CallerModule);
    const echo = app.get<MeshClient<typeof EchoServiceService>>(meshClientToken(EchoServiceService));
    await echo.echo({ message: 'plain', delayMs: 0 });
    await echo.echo({ message: 'zipped', delayMs: 0 }, { compression: 'gzip' });
    const clientSpans = telemetry
      .spans()
      .filter((span) => span.kind === SpanKind.CLIENT && span.name === 'echo.v1.EchoService/Echo');
    assert.equal(clientSpans.length, 2, 'the gzip call went through the same tracing interceptor');

    await registry.register(instance('echo-2', second.port));
    // Both channels' resolvers have the new list once calls of each reach the new instance.
    for (const options of [{}, { compression: 'gzip' as const }]) {
      await waitFor(
        async () => {
          await echo.echo({ message: 'probe', delayMs: 0 }, options);
          return second.calls.some((call) =>
            options.compression ? call.encoding === 'gzip' : !call.encoding,
          );
        },
        { description: `a ${options.compression ?? 'plain'} call to reach the new instance` },
      );
    }
    const updates = telemetry
      .spans()
      .filter(
        (span) =>
          span.name === 'nestmesh.discovery.update' &&
          (span.attributes['nestmesh.discovery.added'] as string[]).includes('echo-2'),
      );
    assert.equal(updates.length, 1, 'one update span for the change, not one per channel');
    const gauge = (await telemetry.points('nestmesh.discovery.instances')).filter(
      (point) => point.attributes['nestmesh.service'] === 'echo',
    );
    assert.deepEqual(
      gauge.map((point) => point.value),
      [2],
    );
  });
});
