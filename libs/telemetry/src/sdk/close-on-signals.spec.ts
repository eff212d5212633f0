import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAppProcess, startOtlpReceiver, type OtlpReceiver } from '@nestmesh/testing';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'test-fixtures/close-on-signals.fixture.js');

describe('closeOnSignals', { timeout: 120_000 }, () => {
  let receiver: OtlpReceiver;
  before(async () => {
    receiver = await startOtlpReceiver();
  });
  after(async () => receiver?.stop());

  const run = (mode: 'ok' | 'throw') =>
    startAppProcess(fixture, {
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // An hour: only the flush after close() can send the span close() records.
        OTEL_BSP_SCHEDULE_DELAY: '3600000',
        OTEL_SERVICE_NAME: `fixture-${mode}`,
      },
      args: [mode],
      readyPattern: /^ready$/m,
    });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: closes the app, then exports what it recorded while closing, then dies of ${signal}`, async () => {
      receiver.clear();
      const app = await run('ok');
      assert.equal(await app.stop(signal), signal);
      assert.deepEqual(
        receiver.spans().map((span) => [span.name, span.service]),
        [['drained', 'fixture-ok']],
      );
    });
  }

  it('a close() that throws: reported, telemetry still flushed, exit status 1', async () => {
    receiver.clear();
    const app = await run('throw');
    assert.equal(await app.stop('SIGTERM'), 1);
    assert.match(app.output(), /SIGTERM: the app did not close cleanly: Error: close failed/);
    assert.deepEqual(
      receiver.spans().map((span) => span.name),
      ['drained'],
    );
  });
});
