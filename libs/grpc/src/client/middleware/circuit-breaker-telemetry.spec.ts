import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_NESTMESH_SERVICE,
  ATTR_RPC_METHOD,
  ATTR_RPC_STATUS_CODE,
  ATTR_SERVER_PORT,
} from '@nestmesh/telemetry';
import { captureTelemetry } from '@nestmesh/telemetry/testing';
import { ManualClock } from '@nestmesh/testing';

import { drive, echoOnce, rejectedOf, seededRandom } from '../../test-fixtures/breaker-outcomes.js';
import { startFaultyEchoMesh, type FaultyEchoMesh } from '../../test-fixtures/faulty-echo-mesh.js';
import { settle } from '../../telemetry/telemetry-test-helpers.js';
import {
  ATTR_BREAKER_REJECTION_PROBABILITY,
  EVENT_BREAKER_REJECTED,
  METRIC_CLIENT_BREAKER_REJECTIONS,
} from './circuit-breaker.js';

// Registered before the app is built, as an app registers its SDK: the client gets tracing.
const telemetry = captureTelemetry({ serviceName: 'circuit-breaker-telemetry-spec' });
const METHOD = 'echo.v1.EchoService/Echo';

describe('circuit breaker telemetry', { timeout: 60_000 }, () => {
  let mesh: FaultyEchoMesh | undefined;
  after(async () => {
    await mesh?.close();
    await telemetry.stop();
  });

  it('counts each rejection and notes it on the rejected call’s CLIENT span', async () => {
    const clock = new ManualClock();
    mesh = await startFaultyEchoMesh(['unavailable', 'unavailable'], {
      circuitBreaker: { clock: { now: () => clock.now(), random: seededRandom() } },
    });
    const echo = mesh.echo;
    const outcomes = await drive(() => echoOnce(echo), 100);
    const rejected = rejectedOf(outcomes);
    assert.ok(rejected > 50, `rejected ${rejected} of 100`);

    const attributes = { [ATTR_RPC_METHOD]: METHOD, [ATTR_NESTMESH_SERVICE]: 'echo' };
    assert.equal(await telemetry.sum(METRIC_CLIENT_BREAKER_REJECTIONS, attributes), rejected);

    await settle(telemetry, METHOD, 100);
    const clientSpans = telemetry
      .spans()
      .filter((span) => span.kind === SpanKind.CLIENT && span.name === METHOD);
    const noted = clientSpans.filter((span) =>
      span.events.some((event) => event.name === EVENT_BREAKER_REJECTED),
    );
    assert.equal(noted.length, rejected, 'one event per rejected call, on its own span');
    for (const span of noted) {
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.equal(span.attributes[ATTR_RPC_STATUS_CODE], 'UNAVAILABLE');
      assert.equal(span.attributes[ATTR_SERVER_PORT], undefined, 'no instance was reached');
      const event = span.events.find((each) => each.name === EVENT_BREAKER_REJECTED);
      const probability = event?.attributes?.[ATTR_BREAKER_REJECTION_PROBABILITY];
      assert.ok(typeof probability === 'number' && probability > 0 && probability < 1, String(probability));
    }
  });
});
