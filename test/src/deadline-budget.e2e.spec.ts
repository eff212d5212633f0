import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Injectable,
  Module,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { DEFAULT_CLIENT_TIMEOUT_MS, DEFAULT_BUDGET_MARGIN_MS } from '@nestmesh/grpc';
import { InventoryModule } from '@nestmesh/inventory';
import { configureHttp, OrderModule } from '@nestmesh/order';
import { startContext, startHttpApp } from '@nestmesh/testing';
import type { Observable } from 'rxjs';
import { randomUUID } from 'node:crypto';

/** What inventory's handlers had left of each call's deadline as they started, in ms. */
const received: number[] = [];

/** A global interceptor on inventory: reads the deadline of the grpc-js call it is given. */
@Injectable()
class DeadlineRecorder implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const call = context.getArgByIndex<{ getDeadline(): Date | number }>(2);
    const deadline = call.getDeadline();
    received.push((deadline instanceof Date ? deadline.getTime() : deadline) - Date.now());
    return next.handle();
  }
}

@Module({})
class RecordedInventoryModule {}

describe('HTTP deadline budgets: order edge → inventory', { timeout: 60_000 }, () => {
  let inventory: INestApplicationContext;
  let order: INestApplication;
  let url: string;

  before(async () => {
    const registry = `memory://${randomUUID()}`;
    inventory = await startContext({
      module: RecordedInventoryModule,
      imports: [
        InventoryModule.forRoot({ discoveryUrl: registry, stockStore: randomUUID(), seed: { 'A-1': 10n } }),
      ],
      providers: [{ provide: APP_INTERCEPTOR, useClass: DeadlineRecorder }],
    });
    ({ app: order, url } = await startHttpApp(OrderModule.forRoot({ discoveryUrl: registry }), (app) =>
      configureHttp(app, { deadlineMs: 20_000 }),
    ));
    // Connected first: the budgets below are then spent on the calls, not on dialling.
    assert.equal((await fetch(`${url}/stock/A-1`)).status, 200);
  });
  after(async () => {
    await order?.close();
    await inventory?.close();
  });

  /** GET /stock/A-1 (one GetStock to inventory) with these headers; the status and what inventory had left. */
  async function stock(
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string; remainingMs?: number }> {
    const before = received.length;
    const response = await fetch(`${url}/stock/A-1`, { headers });
    return { status: response.status, body: await response.text(), remainingMs: received[before] };
  }

  it('300 ms asked at the edge leaves inventory less than 300 ms, less the margin', async () => {
    const { status, remainingMs } = await stock({ 'request-timeout-ms': '300' });
    assert.equal(status, 200);
    assert.ok(remainingMs !== undefined && remainingMs > 0, `inventory had ${remainingMs} ms`);
    assert.ok(remainingMs <= 300 - DEFAULT_BUDGET_MARGIN_MS, `inventory had ${remainingMs} ms`);
  });

  it('a budget above the client’s default deadline leaves the default in force', async () => {
    const { status, remainingMs } = await stock({});
    assert.equal(status, 200);
    assert.ok(
      remainingMs !== undefined && remainingMs <= DEFAULT_CLIENT_TIMEOUT_MS,
      `inventory had ${remainingMs} ms`,
    );
    assert.ok(remainingMs > DEFAULT_CLIENT_TIMEOUT_MS / 2, `inventory had ${remainingMs} ms`);
  });

  it('a spent budget answers 504 DEADLINE_EXCEEDED and never reaches inventory', async () => {
    const calls = received.length;
    const { status, body } = await stock({ 'request-timeout-ms': String(DEFAULT_BUDGET_MARGIN_MS) });
    assert.equal(status, 504, body);
    assert.equal((JSON.parse(body) as { code: string }).code, 'DEADLINE_EXCEEDED');
    assert.equal(received.length, calls, 'inventory saw no call');
  });

  it('a header that is not a whole number of ms is refused with 400', async () => {
    const { status, body } = await stock({ 'request-timeout-ms': '1.5s' });
    assert.equal(status, 400, body);
    assert.match(body, /request-timeout-ms must be a whole number/);
  });
});
