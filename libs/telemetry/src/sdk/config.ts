import { InvalidTelemetryConfigError } from '../telemetry.errors.js';

export type Protocol = 'http/protobuf' | 'http/json';
export type SamplerSetting =
  | { kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { kind: 'traceidratio' | 'parentbased_traceidratio'; ratio: number };

/** The OTEL_* settings NestMesh reads, parsed and checked. */
export interface TelemetryConfig {
  disabled: boolean;
  serviceName: string;
  /** From OTEL_RESOURCE_ATTRIBUTES (service.name/instance.id included when set there). */
  resourceAttributes: Record<string, string>;
  sampler: SamplerSetting;
  /** The full traces URL (…/v1/traces) or undefined: keep traces in process. */
  tracesEndpoint?: string;
  protocol: Protocol;
  /** Batch span processor delay, ms (OTEL_BSP_SCHEDULE_DELAY, default 5000). */
  scheduleDelayMs: number;
  /** Port of a standalone Prometheus endpoint (METRICS_PORT), if set. */
  metricsPort?: number;
  /** Auto-instrumentations to load (OTEL_NODE_ENABLED_INSTRUMENTATIONS): http, ioredis. */
  instrumentations: ('http' | 'ioredis')[];
}

const SAMPLERS = new Set([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);
const PROTOCOLS = new Set(['http/protobuf', 'http/json']);
const INSTRUMENTATIONS = new Set(['http', 'ioredis']);

function blank(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

/** `key1=value1,key2=value2`, percent-decoded, as the specification has it. */
export function parseResourceAttributes(raw: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  if (blank(raw)) return attributes;
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new InvalidTelemetryConfigError(
        'OTEL_RESOURCE_ATTRIBUTES',
        `must be key=value pairs separated by commas, got "${pair}"`,
      );
    }
    try {
      attributes[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(
        pair.slice(at + 1).trim(),
      );
    } catch {
      throw new InvalidTelemetryConfigError(
        'OTEL_RESOURCE_ATTRIBUTES',
        `has a bad percent-encoding in "${pair}"`,
      );
    }
  }
  return attributes;
}

function parseSampler(env: NodeJS.ProcessEnv): SamplerSetting {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  if (!SAMPLERS.has(name)) {
    throw new InvalidTelemetryConfigError(
      'OTEL_TRACES_SAMPLER',
      `must be one of ${[...SAMPLERS].join(', ')}, got "${env.OTEL_TRACES_SAMPLER}"`,
    );
  }
  if (name !== 'traceidratio' && name !== 'parentbased_traceidratio') {
    return { kind: name as 'always_on' };
  }
  const raw = env.OTEL_TRACES_SAMPLER_ARG;
  const ratio = blank(raw) ? 1 : Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new InvalidTelemetryConfigError(
      'OTEL_TRACES_SAMPLER_ARG',
      `must be a ratio in [0, 1], got "${raw}"`,
    );
  }
  return { kind: name, ratio };
}

function parseEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const [setting, raw, url] = !blank(specific)
    ? ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific, specific.trim()]
    : !blank(general)
      ? ['OTEL_EXPORTER_OTLP_ENDPOINT', general, `${general.trim().replace(/\/+$/, '')}/v1/traces`]
      : [undefined, undefined, undefined];
  if (!setting) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidTelemetryConfigError(setting, `must be an http(s) URL, got "${raw}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidTelemetryConfigError(setting, `must be an http(s) URL, got "${raw}"`);
  }
  return url;
}

function parseProtocol(env: NodeJS.ProcessEnv): Protocol {
  const setting = blank(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL)
    ? 'OTEL_EXPORTER_OTLP_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL';
  const raw = env[setting];
  const protocol = blank(raw) ? 'http/protobuf' : raw.trim();
  if (protocol === 'grpc') {
    throw new InvalidTelemetryConfigError(
      setting,
      'is "grpc", which NestMesh does not ship (one OTLP transport fewer to load); use http/protobuf (port 4318 of a collector)',
    );
  }
  if (!PROTOCOLS.has(protocol)) {
    throw new InvalidTelemetryConfigError(setting, `must be http/protobuf or http/json, got "${raw}"`);
  }
  return protocol as Protocol;
}

function parseWholeNumber(env: NodeJS.ProcessEnv, name: string, max: number): number | undefined {
  const raw = env[name];
  if (blank(raw)) return undefined;
  // Digits only: Number() would also take "0x10", "1e3" and " ".
  const value = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidTelemetryConfigError(name, `must be a whole number from 0 to ${max}, got "${raw}"`);
  }
  return value;
}

function parseInstrumentations(env: NodeJS.ProcessEnv): TelemetryConfig['instrumentations'] {
  const raw = env.OTEL_NODE_ENABLED_INSTRUMENTATIONS;
  if (blank(raw)) return [];
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!INSTRUMENTATIONS.has(name)) {
      throw new InvalidTelemetryConfigError(
        'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
        `lists "${name}"; NestMesh offers ${[...INSTRUMENTATIONS].join(', ')}`,
      );
    }
  }
  return [...new Set(names)] as TelemetryConfig['instrumentations'];
}

/** Reads the telemetry settings from `env`; a bad value throws InvalidTelemetryConfigError. */
export function readTelemetryConfig(defaultServiceName: string, env: NodeJS.ProcessEnv): TelemetryConfig {
  const disabledRaw = (env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase();
  if (disabledRaw !== '' && disabledRaw !== 'true' && disabledRaw !== 'false') {
    throw new InvalidTelemetryConfigError(
      'OTEL_SDK_DISABLED',
      `must be true or false, got "${env.OTEL_SDK_DISABLED}"`,
    );
  }
  const resourceAttributes = parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES);
  const serviceName = blank(env.OTEL_SERVICE_NAME)
    ? (resourceAttributes['service.name'] ?? defaultServiceName)
    : env.OTEL_SERVICE_NAME.trim();
  const metricsPort = parseWholeNumber(env, 'METRICS_PORT', 65_535);
  return {
    disabled: disabledRaw === 'true',
    serviceName,
    resourceAttributes,
    sampler: parseSampler(env),
    tracesEndpoint: parseEndpoint(env),
    protocol: parseProtocol(env),
    scheduleDelayMs: parseWholeNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', 3_600_000) ?? 5000,
    metricsPort,
    instrumentations: parseInstrumentations(env),
  };
}
