import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidTelemetryConfigError } from '../telemetry.errors.js';
import { parseResourceAttributes, readTelemetryConfig } from './config.js';

const read = (env: NodeJS.ProcessEnv) => readTelemetryConfig('order', env);

/** Asserts that `env` is refused with InvalidTelemetryConfigError naming `setting`. */
function refuses(env: NodeJS.ProcessEnv, setting: string, message?: RegExp): void {
  assert.throws(
    () => read(env),
    (error: unknown) => {
      assert.ok(error instanceof InvalidTelemetryConfigError, String(error));
      assert.equal(error.code, 'INVALID_TELEMETRY_CONFIG');
      assert.equal(error.setting, setting);
      assert.match(error.message, new RegExp(`^telemetry: ${setting} `));
      if (message) assert.match(error.message, message);
      return true;
    },
  );
}

describe('readTelemetryConfig', () => {
  it('defaults: enabled, the app name, parent-based always-on, in-process traces, protobuf, 5 s batches', () => {
    assert.deepEqual(read({}), {
      disabled: false,
      serviceName: 'order',
      resourceAttributes: {},
      sampler: { kind: 'parentbased_always_on' },
      tracesEndpoint: undefined,
      protocol: 'http/protobuf',
      scheduleDelayMs: 5000,
      metricsPort: undefined,
      instrumentations: [],
    });
  });

  it('OTEL_SDK_DISABLED: true/false in any case, blank is false, anything else is refused', () => {
    assert.equal(read({ OTEL_SDK_DISABLED: 'TRUE' }).disabled, true);
    assert.equal(read({ OTEL_SDK_DISABLED: ' false ' }).disabled, false);
    assert.equal(read({ OTEL_SDK_DISABLED: '' }).disabled, false);
    refuses({ OTEL_SDK_DISABLED: 'yes' }, 'OTEL_SDK_DISABLED', /"yes"/);
  });

  it('OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES, which wins over the default', () => {
    assert.equal(read({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=shop' }).serviceName, 'shop');
    assert.equal(
      read({ OTEL_SERVICE_NAME: ' orders-eu ', OTEL_RESOURCE_ATTRIBUTES: 'service.name=shop' }).serviceName,
      'orders-eu',
    );
    assert.equal(read({ OTEL_SERVICE_NAME: '  ' }).serviceName, 'order');
  });

  it('OTEL_RESOURCE_ATTRIBUTES: percent-decoded key=value pairs; a pair without "=" or a bad escape is refused', () => {
    assert.deepEqual(parseResourceAttributes('deployment.environment.name=prod, team=a%2Cb,,note=x%3Dy'), {
      'deployment.environment.name': 'prod',
      team: 'a,b',
      note: 'x=y',
    });
    assert.deepEqual(parseResourceAttributes(undefined), {});
    refuses({ OTEL_RESOURCE_ATTRIBUTES: 'team' }, 'OTEL_RESOURCE_ATTRIBUTES', /key=value/);
    refuses({ OTEL_RESOURCE_ATTRIBUTES: '=x' }, 'OTEL_RESOURCE_ATTRIBUTES');
    refuses({ OTEL_RESOURCE_ATTRIBUTES: 'team=%E0%A4%A' }, 'OTEL_RESOURCE_ATTRIBUTES', /percent-encoding/);
  });

  it('OTEL_TRACES_SAMPLER: every standard sampler; the ratio ones take OTEL_TRACES_SAMPLER_ARG (default 1)', () => {
    for (const kind of ['always_on', 'always_off', 'parentbased_always_on', 'parentbased_always_off']) {
      assert.deepEqual(read({ OTEL_TRACES_SAMPLER: kind, OTEL_TRACES_SAMPLER_ARG: 'ignored' }).sampler, {
        kind,
      });
    }
    assert.deepEqual(read({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).sampler, {
      kind: 'traceidratio',
      ratio: 0.25,
    });
    assert.deepEqual(
      read({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' }).sampler,
      { kind: 'parentbased_traceidratio', ratio: 0 },
    );
    assert.deepEqual(read({ OTEL_TRACES_SAMPLER: 'traceidratio' }).sampler, {
      kind: 'traceidratio',
      ratio: 1,
    });
    refuses({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, 'OTEL_TRACES_SAMPLER', /parentbased_traceidratio/);
    for (const arg of ['1.5', '-0.1', 'half', 'NaN']) {
      refuses(
        { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: arg },
        'OTEL_TRACES_SAMPLER_ARG',
      );
    }
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended; the TRACES one is used as given and wins', () => {
    assert.equal(
      read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracesEndpoint,
      'http://collector:4318/v1/traces',
    );
    assert.equal(
      read({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/custom',
      }).tracesEndpoint,
      'https://traces.example/custom',
    );
    refuses(
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      /http\(s\) URL/,
    );
    refuses({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf or http/json (the TRACES one wins); grpc is refused with a way out', () => {
    assert.equal(read({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol, 'http/json');
    assert.equal(
      read({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })
        .protocol,
      'http/protobuf',
    );
    refuses({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, 'OTEL_EXPORTER_OTLP_PROTOCOL', /use http\/protobuf/);
    refuses({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' }, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
  });

  it('OTEL_BSP_SCHEDULE_DELAY and METRICS_PORT: whole numbers in range, digits only', () => {
    assert.equal(read({ OTEL_BSP_SCHEDULE_DELAY: '200' }).scheduleDelayMs, 200);
    assert.equal(read({ METRICS_PORT: '0' }).metricsPort, 0);
    assert.equal(read({ METRICS_PORT: '9464' }).metricsPort, 9464);
    for (const bad of ['65536', '-1', '1.5', '0x10', '1e3', 'abc']) {
      refuses({ METRICS_PORT: bad }, 'METRICS_PORT', /whole number from 0 to 65535/);
    }
    refuses({ OTEL_BSP_SCHEDULE_DELAY: 'soon' }, 'OTEL_BSP_SCHEDULE_DELAY');
  });

  it('OTEL_NODE_ENABLED_INSTRUMENTATIONS: http and ioredis, deduplicated; others are refused', () => {
    assert.deepEqual(read({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http, ioredis,http,' }).instrumentations, [
      'http',
      'ioredis',
    ]);
    refuses(
      { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,grpc' },
      'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
      /"grpc"/,
    );
  });
});
