import {
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_ORDERS_PER_SECOND,
  DEFAULT_REPORT_MS,
  DEFAULT_SKUS,
  DEFAULT_STOCK_READS_PER_SECOND,
  DEFAULT_TIMEOUT_MS,
  MAX_IN_FLIGHT_LIMIT,
  MAX_RATE_PER_SECOND,
  MAX_REPORT_MS,
  MAX_TIMEOUT_MS,
  MIN_REPORT_MS,
  SKU_PATTERN,
} from './loadgen.constants.js';
import type { LoadgenSettings } from './loadgen.js';
import { InvalidLoadgenConfigError } from './loadgen.errors.js';

export interface LoadgenConfig extends LoadgenSettings {
  /** The order edge, without a trailing slash: `${orderUrl}/orders`, `${orderUrl}/stock/<sku>`. */
  orderUrl: string;
  /** `host:port` of a gRPC edge in front of the inventory instances, or undefined (gRPC reads off). */
  stockGrpcTarget?: string;
}

type Env = Record<string, string | undefined>;

/** A set value, trimmed; unset and empty both mean "use the default". */
function valueOf(env: Env, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === '' ? undefined : value;
}

function numberFrom(
  env: Env,
  variable: string,
  fallback: number,
  range: { min: number; max: number; whole: boolean },
) {
  const raw = valueOf(env, variable);
  if (raw === undefined) return fallback;
  const pattern = range.whole ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(raw);
  if (!pattern.test(raw) || value < range.min || value > range.max) {
    const what = range.whole ? 'a whole number' : 'a number';
    throw new InvalidLoadgenConfigError(
      variable,
      `must be ${what} from ${range.min} to ${range.max}, got "${raw}"`,
    );
  }
  return value;
}

function orderUrlFrom(env: Env): string {
  const raw = valueOf(env, 'ORDER_URL');
  if (raw === undefined)
    throw new InvalidLoadgenConfigError('ORDER_URL', 'is required (e.g. http://127.0.0.1:3000)');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidLoadgenConfigError('ORDER_URL', `must be an http:// or https:// URL, got "${raw}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new InvalidLoadgenConfigError(
      'ORDER_URL',
      `must be an http:// or https:// URL without query, got "${raw}"`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

/** `host:port`, `[v6]:port`; a port from 1 to 65535. */
const TARGET_PATTERN = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

function grpcTargetFrom(env: Env): string | undefined {
  const raw = valueOf(env, 'STOCK_GRPC_TARGET');
  if (raw === undefined) return undefined;
  const port = TARGET_PATTERN.exec(raw)?.[1];
  if (port === undefined || Number(port) < 1 || Number(port) > 65535) {
    throw new InvalidLoadgenConfigError(
      'STOCK_GRPC_TARGET',
      `must be host:port (e.g. haproxy:9090), got "${raw}"`,
    );
  }
  return raw;
}

function skusFrom(env: Env): string[] {
  const raw = valueOf(env, 'LOADGEN_SKUS');
  if (raw === undefined) return [...DEFAULT_SKUS];
  const skus = raw.split(',').map((sku) => sku.trim());
  const bad = skus.find((sku) => !SKU_PATTERN.test(sku));
  if (bad !== undefined) {
    throw new InvalidLoadgenConfigError(
      'LOADGEN_SKUS',
      `must be SKUs separated by commas (1-64 letters, digits, - or _, starting with a letter or digit), got "${raw}"`,
    );
  }
  return skus;
}

/** Reads and checks every LOADGEN setting; throws InvalidLoadgenConfigError naming the variable. */
export function readLoadgenConfig(env: Env): LoadgenConfig {
  const rate = { min: 0, max: MAX_RATE_PER_SECOND, whole: false };
  const config: LoadgenConfig = {
    orderUrl: orderUrlFrom(env),
    stockGrpcTarget: grpcTargetFrom(env),
    ordersPerSecond: numberFrom(env, 'ORDERS_PER_SECOND', DEFAULT_ORDERS_PER_SECOND, rate),
    stockReadsPerSecond: numberFrom(env, 'STOCK_READS_PER_SECOND', DEFAULT_STOCK_READS_PER_SECOND, rate),
    skus: skusFrom(env),
    maxInFlight: numberFrom(env, 'LOADGEN_MAX_IN_FLIGHT', DEFAULT_MAX_IN_FLIGHT, {
      min: 1,
      max: MAX_IN_FLIGHT_LIMIT,
      whole: true,
    }),
    reportMs: numberFrom(env, 'LOADGEN_REPORT_MS', DEFAULT_REPORT_MS, {
      min: MIN_REPORT_MS,
      max: MAX_REPORT_MS,
      whole: true,
    }),
    timeoutMs: numberFrom(env, 'LOADGEN_TIMEOUT_MS', DEFAULT_TIMEOUT_MS, {
      min: 1,
      max: MAX_TIMEOUT_MS,
      whole: true,
    }),
  };
  if (config.ordersPerSecond === 0 && config.stockReadsPerSecond === 0) {
    throw new InvalidLoadgenConfigError(
      'ORDERS_PER_SECOND',
      'and STOCK_READS_PER_SECOND are both 0: nothing to do',
    );
  }
  return config;
}
