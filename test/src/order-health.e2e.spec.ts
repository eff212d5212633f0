import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Module, type INestApplication } from '@nestjs/common';
import { LeaderElectionModule } from '@nestmesh/coordination';
import { Registrar } from '@nestmesh/discovery';
import { MeshGrpcServer } from '@nestmesh/grpc';
import { configureHttp, OrderModule } from '@nestmesh/order';
import { startHttpApp, waitFor } from '@nestmesh/testing';

interface Health {
  status: string;
  code?: string;
  detail?: string;
  details?: Record<string, { status: string }>;
  checks?: Record<string, { status: string }>;
}

async function probe(url: string): Promise<{ status: number; contentType: string; body: Health }> {
  const response = await fetch(url);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Health,
  };
}

/** Runs `test` against an order app of its own, closed afterwards even when the test fails. */
async function withOrderApp(
  options: { deregisterDelayMs?: number; election?: boolean },
  test: (app: INestApplication, url: string) => Promise<void>,
): Promise<void> {
  const order = OrderModule.forRoot({
    discoveryUrl: `memory://${randomUUID()}`,
    deregisterDelayMs: options.deregisterDelayMs ?? 0,
  });
  @Module({
    imports: [
      order,
      ...(options.election
        ? [LeaderElectionModule.forRoot({ group: `order-${randomUUID()}`, url: 'memory://', isGlobal: true })]
        : []),
    ],
  })
  class TestApp {}
  const { app, url } = await startHttpApp(TestApp, configureHttp);
  try {
    await test(app, url);
  } finally {
    await app.close();
  }
}

describe('/healthz and /readyz (@nestjs/terminus)', { timeout: 60_000 }, () => {
  it('a running app is live and ready: gRPC SERVING and listed in the registry', () =>
    withOrderApp({}, async (_app, url) => {
      const live = await probe(`${url}/healthz`);
      assert.equal(live.status, 200);
      assert.equal(live.body.status, 'ok');
      const ready = await probe(`${url}/readyz`);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.details?.grpc?.status, 'up');
      assert.equal(ready.body.details?.registration?.status, 'up');
      assert.equal(ready.body.details?.election, undefined, 'order runs no election');
    }));

  it('not listed in the registry: 503 NOT_READY (problem+json) naming registration', () =>
    withOrderApp({}, async (app, url) => {
      const server = app.get(MeshGrpcServer);
      await app.get<Registrar>(Registrar).deregister(server.instance!);
      const ready = await probe(`${url}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(ready.contentType, /^application\/problem\+json/);
      assert.equal(ready.body.code, 'NOT_READY');
      assert.match(ready.body.detail ?? '', /registration/);
      assert.equal(ready.body.checks?.registration?.status, 'down');
      assert.equal(ready.body.checks?.grpc?.status, 'up');
      assert.equal((await probe(`${url}/healthz`)).status, 200, 'still live');
    }));

  it('draining at shutdown: readyz turns 503 at once, healthz stays 200', () => {
    // The server deregisters, then waits deregisterDelayMs before it drains: HTTP still
    // answers during that window, and readiness must already say no.
    const deregisterDelayMs = 3000;
    return withOrderApp({ deregisterDelayMs }, async (app, url) => {
      assert.equal((await probe(`${url}/readyz`)).status, 200);
      const closing = app.close();
      try {
        const ready = await waitFor(
          async () => {
            const answer = await probe(`${url}/readyz`);
            return answer.status === 503 ? answer : undefined;
          },
          { timeoutMs: deregisterDelayMs, description: 'readyz to answer 503' },
        );
        assert.equal(ready.body.code, 'NOT_READY');
        assert.equal(ready.body.checks?.grpc?.status, 'down');
        assert.equal((await probe(`${url}/healthz`)).status, 200, 'live while draining');
      } finally {
        await closing;
      }
    });
  });

  it('an app with a leader election reports it in readiness', () =>
    withOrderApp({ election: true }, async (_app, url) => {
      const ready = await probe(`${url}/readyz`);
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(ready.body.details?.election?.status, 'up');
    }));
});
