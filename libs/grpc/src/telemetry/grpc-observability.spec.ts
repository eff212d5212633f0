import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SpanKind } from '@opentelemetry/api';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { meshTracer } from '@nestmesh/telemetry';
import { captureTelemetry } from '@nestmesh/telemetry/testing';
import { startContext, waitFor } from '@nestmesh/testing';

import { meshClientToken } from '../client/mesh-client.module.js';
import type { MeshClient } from '../client/typed-client.js';
import { InvalidGrpcOptionsError } from '../grpc.errors.js';
import { consoleLogger, MeshConsoleLogger } from '../logging/console-logger.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import { FixtureModule } from '../test-fixtures/fixture-inventory.js';
import { healthClient } from '../test-fixtures/raw-clients.js';

const telemetry = captureTelemetry({ serviceName: 'grpc-observability-spec' });
const HEALTH_CHECK = 'grpc.health.v1.Health/Check';
const GET_STOCK = 'inventory.v1.InventoryService/GetStock';

/** MeshConsoleLogger keeping each line it writes, as written. */
class CapturingLogger extends MeshConsoleLogger {
  readonly lines: string[] = [];
  protected override formatMessage(...args: Parameters<MeshConsoleLogger['formatMessage']>): string {
    const line = super.formatMessage(...args);
    this.lines.push(line);
    return line;
  }
  protected override stringifyJsonLogObject(record: Record<string, unknown>): string {
    const line = super.stringifyJsonLogObject(record);
    this.lines.push(line);
    return line;
  }
}

const ID_PATTERN = / trace_id=([0-9a-f]{32}) span_id=([0-9a-f]{16})\n?$/;

describe('gRPC observability: health, logs, discovery', { timeout: 120_000 }, () => {
  const apps: INestApplicationContext[] = [];
  after(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await telemetry.stop();
  });

  async function start(
    registry: string,
    server = {},
    logLevels: LogLevel[] | false = false,
    dialled: { service?: string } = {},
  ) {
    const logger = new CapturingLogger({ logLevels: logLevels || [], colors: false });
    const app = await NestFactory.createApplicationContext(
      FixtureModule.forRoot({ registry, server, client: dialled }),
      {
        logger: logLevels ? logger : false,
        abortOnError: false,
      },
    );
    apps.push(await app.init());
    const client: MeshClient<typeof InventoryServiceService> = app.get(
      meshClientToken(InventoryServiceService),
    );
    return { app, client, logger, server: app.get(MeshGrpcServer) };
  }

  it('does not trace health checks unless traceHealthChecks is set', async () => {
    const registry = `memory://${randomUUID()}`;
    const plain = await start(registry);
    const traced = await start(`memory://${randomUUID()}`, { traceHealthChecks: true });
    telemetry.resetSpans();
    await healthClient(plain.server.port).check({ service: '' });
    assert.deepEqual(
      telemetry.spans().filter((span) => span.name === HEALTH_CHECK),
      [],
      'no span for a health check by default',
    );
    const methods = (await telemetry.points('rpc.server.call.duration')).map(
      (point) => point.attributes['rpc.method'],
    );
    assert.ok(!methods.includes(HEALTH_CHECK), 'no duration recorded for it either');

    await healthClient(traced.server.port).check({ service: '' });
    const span = telemetry.span(HEALTH_CHECK);
    assert.equal(span.kind, SpanKind.SERVER);
    assert.equal(span.attributes['rpc.status_code'], 'OK');

    await assert.rejects(
      startContext(FixtureModule.forRoot({ registry, server: { traceHealthChecks: 'yes' as never } })),
      (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === 'traceHealthChecks',
    );
  });

  it('log lines written while handling a call carry its trace and span ids', async () => {
    const { client, logger } = await start(`memory://${randomUUID()}`, {}, ['log', 'warn', 'error']);
    telemetry.resetSpans();
    // The fixture's unknown errors are logged by the server with the call's stack: inside the span.
    await assert.rejects(client.getStock({ sku: 'boom' }));
    const server = telemetry
      .spans()
      .find((span) => span.name === GET_STOCK && span.kind === SpanKind.SERVER)!;
    const line = logger.lines.find((candidate) => candidate.includes('secret internal detail'));
    assert.ok(line, 'the handler failure was logged');
    const [, traceId, spanId] = ID_PATTERN.exec(line) ?? [];
    assert.equal(traceId, server.spanContext().traceId);
    assert.equal(spanId, server.spanContext().spanId);
    assert.ok(
      logger.lines.some((candidate) => candidate.includes('serving') && !ID_PATTERN.test(candidate)),
      'a line written outside any span carries no ids',
    );
  });

  it('LOG_FORMAT=json writes one JSON object per line, with trace_id and span_id fields', () => {
    const logger = consoleLogger(['log'], { LOG_FORMAT: 'json' });
    assert.ok(logger instanceof MeshConsoleLogger);
    const capturing = new CapturingLogger({ logLevels: ['log'], json: true, colors: false });
    meshTracer('spec').startActiveSpan('json', (span) => {
      capturing.log('multi\nline', 'Spec');
      span.end();
    });
    const [line] = capturing.lines;
    assert.ok(!line.trimEnd().includes('\n'), 'one line');
    const record = JSON.parse(line) as Record<string, unknown>;
    const { traceId, spanId } = telemetry.span('json').spanContext();
    assert.deepEqual(
      [record.message, record.context, record.trace_id, record.span_id],
      ['multi\nline', 'Spec', traceId, spanId],
    );
    assert.throws(
      () => consoleLogger(['log'], { LOG_FORMAT: 'xml' }),
      (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === 'LOG_FORMAT',
    );
  });

  it('reports instances added and removed as nestmesh.discovery.update spans, and the live count as a gauge', async () => {
    const registry = `memory://${randomUUID()}`;
    const served = { name: 'discovered' };
    const first = await start(registry, served, false, { service: 'discovered' });
    await first.client.getStock({ sku: 'A-1' });
    const firstId = first.server.instance!.id;
    const update = (key: 'added' | 'removed', id: string) =>
      waitFor(
        () =>
          telemetry
            .spans()
            .find(
              (span) =>
                span.name === 'nestmesh.discovery.update' &&
                span.attributes['nestmesh.service'] === 'discovered' &&
                (span.attributes[`nestmesh.discovery.${key}`] as string[]).includes(id),
            ),
        { description: `an update span with ${id} ${key}` },
      );
    const gauge = (expected: number) =>
      waitFor(
        async () =>
          (await telemetry.points('nestmesh.discovery.instances')).find(
            (point) => point.attributes['nestmesh.service'] === 'discovered',
          )?.value === expected,
        { description: `the gauge to read ${expected}` },
      );
    const initial = await update('added', firstId);
    assert.equal(initial.parentSpanContext, undefined, 'a root span, not part of a call');
    await gauge(1);

    // Its own client dials another service: only the first app's resolver follows "discovered".
    const second = await start(registry, served, false, { service: 'bystander' });
    const secondId = second.server.instance!.id;
    const added = await update('added', secondId);
    assert.deepEqual(added.attributes['nestmesh.discovery.added'], [secondId]);
    assert.equal(added.attributes['nestmesh.discovery.instances'], 2);
    assert.deepEqual(
      added.events.map((event) => [event.name, event.attributes?.['nestmesh.instance.id']]),
      [['nestmesh.discovery.instance_added', secondId]],
    );
    await gauge(2);

    apps.splice(apps.indexOf(second.app), 1);
    await second.app.close();
    const removed = await update('removed', secondId);
    assert.deepEqual(removed.attributes['nestmesh.discovery.removed'], [secondId]);
    await gauge(1);
  });
});
