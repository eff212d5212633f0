import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { Client, credentials, status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { startContext, waitFor } from '@nestmesh/testing';
import { setTimeout as sleep } from 'node:timers/promises';

import { MeshGrpcServer } from '../../server/mesh-grpc.server.js';
import { EchoPeer, type EchoArrival } from '../../test-fixtures/echo-peer.js';
import { callFailure } from '../../test-fixtures/fixture-app.js';
import {
  MARGIN_MS,
  RELAY_TIMEOUT_MS,
  RelayLog,
  relayModule,
  type EchoClient,
} from '../../test-fixtures/relay-echo.js';
import { createMeshClient } from '../typed-client.js';

/**
 * The edge's budget. The invariants hold for any value; this one leaves a loaded machine room
 * for both hops (a 300 ms one timed out in the edge's balancer pick at a load of 16 on 2 cores).
 */
const EDGE_BUDGET_MS = 2_000;

describe('deadline budgets: edge → A → B over TCP', { timeout: 60_000 }, () => {
  let peer: EchoPeer;
  let relay: INestApplicationContext;
  let downstreamChannel: Client;
  let edgeChannel: Client;
  let downstream: EchoClient;
  let edge: EchoClient;
  let log: RelayLog;

  before(async () => {
    peer = await EchoPeer.start();
    downstreamChannel = new Client(`127.0.0.1:${peer.port}`, credentials.createInsecure());
    downstream = createMeshClient(EchoServiceService, downstreamChannel, {
      timeoutMs: RELAY_TIMEOUT_MS,
      streamTimeoutMs: RELAY_TIMEOUT_MS,
      budgetMarginMs: MARGIN_MS,
    });
    relay = await startContext(relayModule(downstream));
    log = relay.get(RelayLog);
    edgeChannel = new Client(`127.0.0.1:${relay.get(MeshGrpcServer).port}`, credentials.createInsecure());
    edge = createMeshClient(EchoServiceService, edgeChannel, { timeoutMs: 5000, streamTimeoutMs: 5000 });
    // Connected before the tests: a budget is then spent on the calls, not on dialling.
    await edge.echo({ message: 'warm-up', delayMs: 0 }, { timeoutMs: 30_000 });
  });
  after(async () => {
    edgeChannel?.close();
    await relay?.close();
    downstreamChannel?.close();
    peer?.stop();
  });

  function arrival(message: string): EchoArrival {
    const found = peer.arrivals.find((candidate) => candidate.message === message);
    assert.ok(found, `B never received "${message}"`);
    return found;
  }

  /** B got less than A had left when it called on, by at least the margin, and more than nothing. */
  function assertInherited(message: string, edgeTimeoutMs: number): void {
    const relayRemaining = log.remainingBeforeCall.get(message);
    assert.ok(relayRemaining !== undefined && relayRemaining <= edgeTimeoutMs, `A had ${relayRemaining} ms`);
    const { remainingMs: received } = arrival(message);
    assert.ok(received > 0, `B got ${received} ms`);
    assert.ok(received <= relayRemaining - MARGIN_MS, `B got ${received} ms, A had ${relayRemaining} ms`);
  }

  it('a unary call made in a handler gets what is left of the inbound deadline, less the margin', async () => {
    await edge.echo({ message: 'unary', delayMs: 0 }, { timeoutMs: EDGE_BUDGET_MS });
    assertInherited('unary', EDGE_BUDGET_MS);
  });

  it('a server-streaming call made in a handler inherits the budget too', async () => {
    const responses = [];
    for await (const response of edge.expand(
      { message: 'stream', count: 3, intervalMs: 0 },
      { timeoutMs: EDGE_BUDGET_MS },
    ))
      responses.push(response);
    assert.equal(responses.length, 3);
    assertInherited('stream', EDGE_BUDGET_MS);
  });

  it('a bidirectional call made in a handler inherits the budget too', async () => {
    await edge.echo({ message: 'bidi', delayMs: 0 }, { timeoutMs: EDGE_BUDGET_MS });
    const relayRemaining = log.remainingBeforeCall.get('bidi');
    const chat = peer.arrivals.find((candidate) => candidate.method === 'Chat');
    assert.ok(relayRemaining !== undefined && chat, 'A called B');
    assert.ok(
      chat.remainingMs > 0 && chat.remainingMs <= relayRemaining - MARGIN_MS,
      `B got ${chat.remainingMs} ms`,
    );
  });

  it('a call made on a message of an inbound stream inherits that stream’s budget', async () => {
    const chat = edge.chat({ timeoutMs: EDGE_BUDGET_MS });
    await chat.write({ message: 'chat', delayMs: 0 });
    chat.end();
    for await (const response of chat) assert.equal(response.message, 'chat');
    assertInherited('chat', EDGE_BUDGET_MS);
  });

  it('a call per message of a long stream leaves no listener behind on the inbound call', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const chat = edge.chat({ timeoutMs: EDGE_BUDGET_MS });
      // More than EventEmitter's 10 listeners, had each call left its own.
      for (let index = 0; index < 15; index++) await chat.write({ message: `many-${index}`, delayMs: 0 });
      chat.end();
      let answers = 0;
      for await (const _response of chat) answers++;
      assert.equal(answers, 15);
      await sleep(10); // warnings are emitted on the next tick
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a shorter deadline of the call’s own wins over the budget', async () => {
    await edge.echo({ message: 'shorter', delayMs: 0 }, { timeoutMs: 5000 });
    const { remainingMs: received } = arrival('shorter');
    assert.ok(received > 0 && received <= 50, `B got ${received} ms`);
  });

  it('a spent budget fails with DEADLINE_EXCEEDED without sending anything', async () => {
    await callFailure(edge.echo({ message: 'spend', delayMs: 0 }, { timeoutMs: EDGE_BUDGET_MS }));
    await waitFor(() => log.errors.has('spend'), { description: 'the relay to fail its call' });
    assert.equal(log.errors.get('spend')!.status, Status.DEADLINE_EXCEEDED);
    assert.match(log.errors.get('spend')!.message, /deadline budget spent/);
    assert.equal(
      peer.arrivals.some((candidate) => candidate.message === 'spend'),
      false,
      'B must not see it',
    );
  });

  it('cancelling the inbound unary call cancels the call made for it', async () => {
    const controller = new AbortController();
    const failure = callFailure(
      edge.echo({ message: 'cancel', delayMs: 30_000 }, { signal: controller.signal }),
    );
    await waitFor(() => peer.arrivals.some((candidate) => candidate.message === 'cancel'), {
      description: 'B to receive the call',
    });
    controller.abort();
    await waitFor(() => arrival('cancel').cancelled, { description: 'B to see the cancellation' });
    assert.equal((await failure).status, Status.CANCELLED);
  });

  it('breaking out of an inbound stream cancels the stream made for it', async () => {
    const stream = edge.expand({ message: 'cancel-stream', count: 10_000, intervalMs: 20 });
    for await (const response of stream) {
      assert.equal(response.message, 'cancel-stream');
      break;
    }
    await waitFor(() => arrival('cancel-stream').cancelled, { description: 'B to see the cancellation' });
  });

  it('an inbound call without a deadline leaves the call its own', async () => {
    await edge.echo({ message: 'unlimited', delayMs: 0 }, { timeoutMs: 0 });
    const { remainingMs: received } = arrival('unlimited');
    assert.ok(received > RELAY_TIMEOUT_MS / 2 && received <= RELAY_TIMEOUT_MS, `B got ${received} ms`);
  });

  it('a call made outside any handler keeps its own deadline', async () => {
    await downstream.echo({ message: 'outside', delayMs: 0 });
    const { remainingMs: received } = arrival('outside');
    assert.ok(received > RELAY_TIMEOUT_MS / 2, `B got ${received} ms`);
    // Nor is it cancelled by a handler that ended meanwhile.
    assert.equal(arrival('outside').cancelled, false);
  });
});
