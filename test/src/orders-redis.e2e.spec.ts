import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client, credentials } from '@grpc/grpc-js';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { OrderServiceService } from '@nestmesh/contracts/order/v1';
import { createMeshClient, MeshGrpcServer, RpcError, Status } from '@nestmesh/grpc';
import { InventoryModule } from '@nestmesh/inventory';
import { configureHttp, OrderModule } from '@nestmesh/order';
import { startContext, startHttpApp, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

interface Answer {
  status: number;
  replayed: boolean;
  body: Record<string, unknown>;
}

interface OrderInstance {
  app: INestApplication;
  url: string;
}

async function post(instance: OrderInstance, items: unknown, key?: string): Promise<Answer> {
  const response = await fetch(`${instance.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify({ items }),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    body: (await response.json()) as Record<string, unknown>,
  };
}

async function read(
  instance: OrderInstance,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${instance.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** gRPC GetOrder on `instance`'s own gRPC server. */
async function getOrderOverGrpc(instance: OrderInstance, orderId: string) {
  const channel = new Client(
    `127.0.0.1:${instance.app.get(MeshGrpcServer).port}`,
    credentials.createInsecure(),
  );
  try {
    const client = createMeshClient(OrderServiceService, channel, { timeoutMs: 10_000, streamTimeoutMs: 0 });
    return await client.getOrder({ orderId });
  } finally {
    channel.close();
  }
}

describe('two order instances on one Redis (REDIS_URL) and one inventory', { timeout: 120_000 }, () => {
  const registry = `memory://${randomUUID()}`;
  let redis: RedisServer;
  let inventory: INestApplicationContext | undefined;
  const running = new Set<INestApplication>();
  let a: OrderInstance;
  let b: OrderInstance;

  const startOrder = async (): Promise<OrderInstance> => {
    const started = await startHttpApp(
      OrderModule.forRoot({ discoveryUrl: registry, redisUrl: redis.url, deregisterDelayMs: 50 }),
      configureHttp,
    );
    running.add(started.app);
    return started;
  };
  const stopOrder = async (instance: OrderInstance) => {
    running.delete(instance.app);
    await instance.app.close();
  };
  const available = async (sku: string) => Number((await read(a, `/stock/${sku}`)).body.available);

  before(async () => {
    redis = await startRedis();
    // Stock in memory, so that stopping Redis below stops only the order store.
    inventory = await startContext(
      InventoryModule.forRoot({
        discoveryUrl: registry,
        stockStore: randomUUID(),
        seed: { 'A-1': 1000n },
        redisUrl: '',
        deregisterDelayMs: 50,
      }),
    );
    a = await startOrder();
    b = await startOrder();
  });
  after(async () => {
    const closing = [...running].map((app) => app.close());
    await Promise.allSettled([...closing, inventory?.close()]);
    await redis?.stop();
  });

  it('an order placed on A is read on B, over HTTP and gRPC, exactly', async () => {
    const placed = await post(a, [{ sku: 'A-1', quantity: 3 }]);
    assert.equal(placed.status, 201);
    const id = String(placed.body.id);
    assert.deepEqual(await read(b, `/orders/${id}`), { status: 200, body: placed.body });
    const { order } = await getOrderOverGrpc(b, id);
    assert.equal(order?.orderId, id);
    assert.equal(order?.items[0].quantity, 3n);
    assert.equal(order?.createdAt?.toISOString(), placed.body.createdAt);
  });

  it('an instance closed and started again still serves the orders and replays the keys placed before', async () => {
    const placed = await post(a, [{ sku: 'A-1', quantity: 1 }], 'restart-0001');
    assert.equal(placed.status, 201);
    await stopOrder(a);
    a = await startOrder();
    assert.deepEqual(await read(a, `/orders/${String(placed.body.id)}`), { status: 200, body: placed.body });
    const again = await post(a, [{ sku: 'A-1', quantity: 1 }], 'restart-0001');
    assert.deepEqual([again.status, again.replayed, again.body], [201, true, placed.body]);
  });

  it('one key sent concurrently to A and B places one order: one answer placed it, every other replays it', async () => {
    const before = await available('A-1');
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        post(index % 2 ? b : a, [{ sku: 'A-1', quantity: 2 }], 'both-0001'),
      ),
    );
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([201]));
    assert.equal(new Set(answers.map((answer) => answer.body.id)).size, 1, 'one order id');
    assert.equal(answers.filter((answer) => !answer.replayed).length, 1, 'one placement');
    assert.equal(await available('A-1'), before - 2, 'reserved once');
  });

  it('a placement that failed (unknown SKU) under a key lets a retry with that key succeed on the other instance', async () => {
    const failed = await post(a, [{ sku: 'NOPE-1', quantity: 1 }], 'retry-0001');
    assert.equal(failed.status, 404);
    const retried = await post(b, [{ sku: 'A-1', quantity: 1 }], 'retry-0001');
    assert.deepEqual([retried.status, retried.replayed], [201, false]);
  });

  it('Redis stopped: 503 / UNAVAILABLE, nothing reserved, the app keeps serving; Redis back: orders work again', async () => {
    const placed = await post(a, [{ sku: 'A-1', quantity: 1 }]);
    const id = String(placed.body.id);
    const before = await available('A-1');
    await redis.kill();
    try {
      for (const answer of [
        await post(a, [{ sku: 'A-1', quantity: 1 }]),
        await post(b, [{ sku: 'A-1', quantity: 1 }], 'down-0001'),
        await read(a, `/orders/${id}`),
      ]) {
        assert.equal(answer.status, 503, JSON.stringify(answer.body));
        assert.equal(answer.body.code, 'UNAVAILABLE');
      }
      await assert.rejects(getOrderOverGrpc(b, id), (error: unknown) => {
        assert.ok(error instanceof RpcError, String(error));
        assert.equal(error.status, Status.UNAVAILABLE);
        assert.match(error.details, /order store is unavailable/);
        return true;
      });
      // Still running (inventory is reachable through it), and the order whose save failed holds no stock.
      assert.equal(await available('A-1'), before, 'the reservation of the unsaved order was released');
    } finally {
      await redis.start();
    }
    // The restarted server is empty (not persistent): new orders are placed and read again.
    const again = await waitFor(
      async () => {
        const answer = await post(b, [{ sku: 'A-1', quantity: 1 }]);
        return answer.status === 201 && answer;
      },
      { timeoutMs: 30_000, description: 'orders to succeed once Redis is back' },
    );
    assert.equal((await read(a, `/orders/${String(again.body.id)}`)).status, 200);
  });
});
