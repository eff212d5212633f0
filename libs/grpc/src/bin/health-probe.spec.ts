import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { startContext } from '@nestmesh/testing';

import { ServingStatus } from '../server/health.service.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import { EchoFixtureModule } from '../test-fixtures/fixture-echo.js';

const PROBE = fileURLToPath(new URL('./health-probe.js', import.meta.url));
/** One probe is a Node start (1.5 s at load 7 here): a bound for a machine at load 20 and more. */
const PROBE_RUN_LIMIT_MS = 90_000;

/** Runs the probe as a container healthcheck would; resolves with its exit code and output. */
function probe(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PROBE, ...args], { timeout: PROBE_RUN_LIMIT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe('nestmesh-grpc-health, the container healthcheck', { timeout: 400_000 }, () => {
  let app: INestApplicationContext;
  let server: MeshGrpcServer;
  let target: string;

  before(async () => {
    app = await startContext(EchoFixtureModule.forRoot());
    server = app.get(MeshGrpcServer);
    target = `127.0.0.1:${server.port}`;
  });
  after(() => app?.close());

  it('exits 0 for a SERVING server, as a whole and per service', async () => {
    assert.deepEqual(await probe(target), { code: 0, output: `${target}: SERVING\n` });
    assert.equal((await probe(target, 'echo.v1.EchoService')).code, 0);
  });

  it('exits 1 when the server answers but is not serving, or does not know the service', async () => {
    server.health.setStatus('', ServingStatus.NOT_SERVING);
    try {
      const answer = await probe(target);
      assert.equal(answer.code, 1);
      assert.match(answer.output, /NOT_SERVING/);
    } finally {
      server.health.setStatus('', ServingStatus.SERVING);
    }
    const unknown = await probe(target, 'nope.v1.Nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.output, /NOT_FOUND/);
  });

  it('exits 2 when nothing answers: a closed port, a peer that never speaks HTTP/2, bad arguments', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    assert.equal((await probe(`127.0.0.1:${port}`)).code, 2);

    // Accepts the connection and says nothing: the probe's own deadline ends it.
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port: silentPort } = silent.address() as { port: number };
      const started = performance.now();
      const answer = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          process.execPath,
          [PROBE, `127.0.0.1:${silentPort}`],
          { env: { ...process.env, PROBE_TIMEOUT_MS: '300' }, timeout: PROBE_RUN_LIMIT_MS },
          (error, stdout, stderr) =>
            resolve({ code: typeof error?.code === 'number' ? error.code : 0, output: `${stdout}${stderr}` }),
        );
      });
      assert.equal(answer.code, 2, answer.output);
      assert.match(answer.output, /DEADLINE_EXCEEDED/);
      assert.ok(performance.now() - started >= 300, 'not before its deadline');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    assert.equal((await probe('no-port')).code, 2);
  });
});
