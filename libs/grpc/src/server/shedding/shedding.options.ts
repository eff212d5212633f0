import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import type { EventLoopLoad } from './event-loop-load.js';

/** A monotonic clock in ms (`performance.now()` by default); tests inject their own. */
export interface SheddingClock {
  now(): number;
}

/** Adaptive shedding (BBR-like), see docs/grpc.md "Load shedding". */
export interface AdaptiveSheddingOptions {
  /** Event-loop utilisation (0..1) over `loadWindowMs` above which the server counts as saturated. Default 0.9. */
  utilizationThreshold?: number;
  /** Window of the event-loop utilisation, in ms. Default 1000. */
  loadWindowMs?: number;
  /** Window over which throughput and minimum latency are measured, in ms. Default 5000. */
  windowMs?: number;
  /** Buckets of that window (throughput is the best bucket's). Default 50 (100 ms each). */
  buckets?: number;
  /** After a shed, keep shedding above the limit for this long even if the loop looks idle, in ms. Default 1000. */
  coolDownMs?: number;
  /** `grpc-retry-pushback-ms` sent with a shed call: the client may retry after this delay (elsewhere). Default 0. */
  pushbackMs?: number;
  /** Event-loop utilisation source; default `performance.eventLoopUtilization()` over `loadWindowMs`. */
  eventLoop?: EventLoopLoad;
}

/** The deadline check, see docs/grpc.md "Load shedding". */
export interface DeadlineCheckOptions {
  /** Successful calls a method needs before its usual latency is trusted. Default 20. */
  minSamples?: number;
  /** The usual latency is this quantile of the method's recent successful durations. Default 0.1. */
  quantile?: number;
  /** Recent successful durations kept per method. Default 100. */
  samples?: number;
}

/** `MeshGrpcModule` option `shedding`: `false` turns every check off. */
export interface SheddingOptions {
  /** At most this many unary calls (streams too with `countStreams`) in flight; one more is refused RESOURCE_EXHAUSTED. Default none. */
  maxConcurrentCalls?: number;
  /** Count (and refuse) streaming calls of every kind against `maxConcurrentCalls` too. Default false. */
  countStreams?: boolean;
  /** Refuse calls UNAVAILABLE while the event loop is saturated and too many are in flight. Default false. */
  adaptive?: boolean | AdaptiveSheddingOptions;
  /** Refuse DEADLINE_EXCEEDED on arrival a call whose deadline is shorter than its method's usual latency. Default true. */
  deadlineCheck?: boolean | DeadlineCheckOptions;
  /** Clock of latencies, windows and cool-down; default `performance`. */
  clock?: SheddingClock;
}

export const DEFAULT_ADAPTIVE_SHEDDING: Readonly<Required<Omit<AdaptiveSheddingOptions, 'eventLoop'>>> =
  Object.freeze({
    utilizationThreshold: 0.9,
    loadWindowMs: 1000,
    windowMs: 5000,
    buckets: 50,
    coolDownMs: 1000,
    pushbackMs: 0,
  });

export const DEFAULT_DEADLINE_CHECK: Readonly<Required<DeadlineCheckOptions>> = Object.freeze({
  minSamples: 20,
  quantile: 0.1,
  samples: 100,
});

export type ResolvedAdaptive = Required<Omit<AdaptiveSheddingOptions, 'eventLoop'>> & {
  eventLoop?: EventLoopLoad;
};
export type ResolvedDeadlineCheck = Required<DeadlineCheckOptions>;

/** The settings with their defaults; `undefined` parts are off. */
export interface ResolvedShedding {
  maxConcurrentCalls: number;
  countStreams: boolean;
  adaptive: ResolvedAdaptive | undefined;
  deadlineCheck: ResolvedDeadlineCheck | undefined;
  clock: SheddingClock;
}

/** The shedding settings a server runs with, defaults filled in; `undefined` when it sheds nothing. */
export function resolveShedding(options: false | SheddingOptions | undefined): ResolvedShedding | undefined {
  if (options === false) return undefined;
  const given = options ?? {};
  const resolved: ResolvedShedding = {
    maxConcurrentCalls: given.maxConcurrentCalls ?? Infinity,
    countStreams: given.countStreams ?? false,
    adaptive: given.adaptive
      ? { ...DEFAULT_ADAPTIVE_SHEDDING, ...definedOf(given.adaptive === true ? {} : given.adaptive) }
      : undefined,
    deadlineCheck:
      given.deadlineCheck === false
        ? undefined
        : {
            ...DEFAULT_DEADLINE_CHECK,
            ...definedOf(given.deadlineCheck === true ? {} : given.deadlineCheck),
          },
    clock: given.clock ?? performance,
  };
  const active = resolved.maxConcurrentCalls < Infinity || resolved.adaptive || resolved.deadlineCheck;
  return active ? resolved : undefined;
}

/** The keys whose value is not `undefined`, so that `{ coolDownMs: undefined }` keeps the default. */
function definedOf<T extends object>(options: T | undefined): Partial<T> {
  return Object.fromEntries(
    Object.entries(options ?? {}).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

const ADAPTIVE_KEYS = new Set([...Object.keys(DEFAULT_ADAPTIVE_SHEDDING), 'eventLoop']);
const DEADLINE_KEYS = new Set(Object.keys(DEFAULT_DEADLINE_CHECK));
const SHEDDING_KEYS = new Set(['maxConcurrentCalls', 'countStreams', 'adaptive', 'deadlineCheck', 'clock']);

/** Refuses shedding options that cannot work, naming the option (`shedding.adaptive.coolDownMs`). */
export function validateShedding(options: unknown): void {
  if (options === undefined || options === false) return;
  const shedding = plainObject('shedding', options, SHEDDING_KEYS, 'false or an object');
  const { maxConcurrentCalls, countStreams, adaptive, deadlineCheck, clock } = shedding;
  if (
    maxConcurrentCalls !== undefined &&
    !(Number.isInteger(maxConcurrentCalls) && Number(maxConcurrentCalls) >= 1)
  )
    fail('shedding.maxConcurrentCalls', `must be a whole number ≥ 1, got ${shown(maxConcurrentCalls)}`);
  assertBoolean('shedding.countStreams', countStreams);
  if (clock !== undefined && typeof (clock as SheddingClock | null)?.now !== 'function')
    fail('shedding.clock', 'must have a now() returning ms');
  if (adaptive !== undefined && typeof adaptive !== 'boolean') validateAdaptive(adaptive);
  if (deadlineCheck !== undefined && typeof deadlineCheck !== 'boolean') validateDeadlineCheck(deadlineCheck);
}

function validateAdaptive(options: unknown): void {
  const adaptive = plainObject('shedding.adaptive', options, ADAPTIVE_KEYS, 'true, false or an object');
  const { utilizationThreshold, eventLoop } = adaptive;
  if (utilizationThreshold !== undefined && !inRange(utilizationThreshold, 0, 1, false))
    fail('shedding.adaptive.utilizationThreshold', `must be in (0, 1], got ${shown(utilizationThreshold)}`);
  for (const name of ['loadWindowMs', 'windowMs', 'coolDownMs', 'pushbackMs'] as const) {
    const value = adaptive[name];
    const least = name === 'coolDownMs' || name === 'pushbackMs' ? 0 : 1;
    if (value !== undefined && !(Number.isInteger(value) && Number(value) >= least))
      fail(`shedding.adaptive.${name}`, `must be a whole number of ms ≥ ${least}, got ${shown(value)}`);
  }
  const buckets = adaptive.buckets ?? DEFAULT_ADAPTIVE_SHEDDING.buckets;
  const windowMs = adaptive.windowMs ?? DEFAULT_ADAPTIVE_SHEDDING.windowMs;
  if (!Number.isInteger(buckets) || Number(buckets) < 2 || Number(buckets) > Number(windowMs))
    fail(
      'shedding.adaptive.buckets',
      `must be a whole number in 2..windowMs (${shown(windowMs)}), got ${shown(buckets)}`,
    );
  if (eventLoop !== undefined && typeof (eventLoop as EventLoopLoad | null)?.utilization !== 'function')
    fail('shedding.adaptive.eventLoop', 'must have a utilization() returning 0..1');
}

function validateDeadlineCheck(options: unknown): void {
  const check = plainObject('shedding.deadlineCheck', options, DEADLINE_KEYS, 'true, false or an object');
  const samples = check.samples ?? DEFAULT_DEADLINE_CHECK.samples;
  if (!Number.isInteger(samples) || Number(samples) < 1)
    fail('shedding.deadlineCheck.samples', `must be a whole number ≥ 1, got ${shown(samples)}`);
  const minSamples = check.minSamples;
  if (
    minSamples !== undefined &&
    !(Number.isInteger(minSamples) && inRange(minSamples, 1, Number(samples), true))
  )
    fail(
      'shedding.deadlineCheck.minSamples',
      `must be a whole number in 1..samples (${shown(samples)}), got ${shown(minSamples)}`,
    );
  if (check.quantile !== undefined && !inRange(check.quantile, 0, 1, true))
    fail('shedding.deadlineCheck.quantile', `must be in [0, 1], got ${shown(check.quantile)}`);
}

function plainObject(
  name: string,
  value: unknown,
  keys: Set<string>,
  expected: string,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(name, `must be ${expected}, got ${JSON.stringify(value)}`);
  const unknown = Object.keys(value).filter((key) => !keys.has(key));
  if (unknown.length > 0)
    fail(name, `has unknown key(s) ${unknown.join(', ')}; known: ${[...keys].join(', ')}`);
  return value as Record<string, unknown>;
}

function assertBoolean(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean')
    fail(name, `must be true or false, got ${JSON.stringify(value)}`);
}

function inRange(value: unknown, low: number, high: number, lowIncluded: boolean): boolean {
  return typeof value === 'number' && (lowIncluded ? value >= low : value > low) && value <= high;
}

/** A value as the user wrote it, for an error message. */
function shown(value: unknown): string {
  return JSON.stringify(value) ?? typeof value;
}

function fail(option: string, message: string): never {
  throw new InvalidGrpcOptionsError(option, message);
}
