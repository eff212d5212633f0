import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TELEMETRY_PORT_METADATA } from '@nestmesh/telemetry';

import type { CatalogInstance } from './mesh-backends.js';
import { remoteSources, TelemetryReader } from './telemetry-reader.js';

function instance(id: string, address: string, metadata: Record<string, string>): CatalogInstance {
  return { id, name: 'inventory', address, port: 50_051, tags: [], metadata, health: 'passing' };
}

describe('reading other instances’ telemetry', { timeout: 30_000 }, () => {
  let silent: Server;
  let answering: Server;
  let silentPort: number;
  let answeringPort: number;

  before(async () => {
    // Accepts and never answers: the timeout must end the read.
    silent = createServer(() => undefined);
    answering = createServer((request, response) => {
      if (request.url === '/metrics') response.end('up 1\n');
      else if (request.url === '/debug/traces')
        response.end(JSON.stringify({ traces: [{ traceId: 'a'.repeat(32) }] }));
      else response.writeHead(404).end('{}');
    });
    for (const server of [silent, answering])
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as AddressInfo).port;
    answeringPort = (answering.address() as AddressInfo).port;
  });
  after(async () => {
    for (const server of [silent, answering]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('only instances with a valid telemetry_port, not this process; IPv6 addresses bracketed', () => {
    const sources = remoteSources(
      [
        instance('self', '127.0.0.1', { [TELEMETRY_PORT_METADATA]: '9000' }),
        instance('a', '127.0.0.1', { [TELEMETRY_PORT_METADATA]: '9001' }),
        instance('b', '::1', { [TELEMETRY_PORT_METADATA]: '9002' }),
        instance('none', '127.0.0.1', {}),
        instance('bad', '127.0.0.1', { [TELEMETRY_PORT_METADATA]: '99999' }),
      ],
      'self',
    );
    assert.deepEqual(
      sources.map((source) => [source.id, source.baseUrl]),
      [
        ['a', 'http://127.0.0.1:9001'],
        ['b', 'http://[::1]:9002'],
      ],
    );
  });

  it('reads metrics and traces; a silent instance fails within the timeout, a closed port at once', async () => {
    const timeoutMs = 300;
    const reader = new TelemetryReader(timeoutMs);
    const good = { id: 'a', service: 'inventory', baseUrl: `http://127.0.0.1:${answeringPort}` };
    assert.equal(await reader.metrics(good), 'up 1\n');
    assert.equal((await reader.traces(good)).length, 1);
    assert.deepEqual(await reader.trace(good, 'b'.repeat(32)), [], 'a 404 is "holds none"');

    const started = performance.now();
    await assert.rejects(reader.metrics({ ...good, baseUrl: `http://127.0.0.1:${silentPort}` }), {
      message: `no answer within ${timeoutMs} ms`,
    });
    const waited = performance.now() - started;
    assert.ok(waited >= timeoutMs - 5 && waited < timeoutMs + 5000, `${waited} ms`);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await assert.rejects(reader.metrics({ ...good, baseUrl: `http://127.0.0.1:${closedPort}` }), {
      message: 'ECONNREFUSED',
    });
  });
});
