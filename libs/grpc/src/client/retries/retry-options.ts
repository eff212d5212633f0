import { status as Status } from '@grpc/grpc-js';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';

/** A gRPC status by name, as service configs and these options spell it (`'UNAVAILABLE'`). */
export type StatusName = Exclude<keyof typeof Status, 'OK'>;

/** The retry budget: extra attempts (retries and hedges) allowed per service, Finagle style. */
export interface RetryBudgetOptions {
  /** Extra attempts allowed per request sent in the window. Default 0.2 (20 %). */
  ratio?: number;
  /** Extra attempts allowed per second of the window whatever the traffic. Default 10. */
  minRetriesPerSecond?: number;
  /** The recent past the budget counts, in ms. Default 10 000. */
  windowMs?: number;
}

/** grpc-js' own retry throttle (gRFC A6 `retryThrottling`): a failure-rate gate per channel. */
export interface RetryThrottlingOptions {
  /** Default 10; retries stop while the tokens are ≤ half of it. */
  maxTokens?: number;
  /** Tokens a success gives back (a failure takes 1). Default 0.1. */
  tokenRatio?: number;
}

/** `MeshClientModule.register({ retry })`: how failed calls are tried again (docs/grpc.md, "Retries"). */
export interface RetryOptions {
  /** Attempts of one call, the first included: 2 to 5 (grpc-js' cap). Default 3. */
  maxAttempts?: number;
  /** Wait before the first retry, in ms (±20 % jitter by grpc-js). Default 50. */
  initialBackoffMs?: number;
  /** Longest wait between two attempts, in ms. Default 1000. */
  maxBackoffMs?: number;
  /** Each wait is the last one times this. Default 2. */
  backoffMultiplier?: number;
  /**
   * Codes retried on every method: only those that say the server did not run the handler.
   * Default `['UNAVAILABLE']`; `RESOURCE_EXHAUSTED` (a shed call) may be added.
   */
  codes?: StatusName[];
  /**
   * Codes retried on idempotent methods (proto `idempotency_level`, or `idempotentMethods`).
   * Default `['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'ABORTED']`.
   */
  idempotentCodes?: StatusName[];
  /** The retry budget; `false`: none (grpc-js' throttle only). */
  budget?: false | RetryBudgetOptions;
  /** grpc-js' retry throttle; `false`: none. */
  throttling?: false | RetryThrottlingOptions;
}

/** `MeshClientModule.register({ hedging })`: extra attempts sent before the first one answered. */
export interface HedgingOptions {
  /** Idempotent methods to hedge, by proto name (`GetStock`) or client name (`getStock`). */
  methods: string[];
  /** Wait before each further attempt, in ms: set it near the method's p95 latency. */
  delayMs: number;
  /** Attempts in all, the first included: 2 to 5. Default 2. */
  maxAttempts?: number;
}

export type RetryBudgetSettings = Required<RetryBudgetOptions>;
export type RetryThrottlingSettings = Required<RetryThrottlingOptions>;

export interface RetrySettings {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  backoffMultiplier: number;
  codes: StatusName[];
  idempotentCodes: StatusName[];
  budget: RetryBudgetSettings | false;
  throttling: RetryThrottlingSettings | false;
}

/** 20 % of the requests plus 10 a second over 10 s: Finagle's defaults (Envoy's ratio is 20 % too). */
export const DEFAULT_RETRY_BUDGET: Readonly<RetryBudgetSettings> = Object.freeze({
  ratio: 0.2,
  minRetriesPerSecond: 10,
  windowMs: 10_000,
});

/**
 * Retries stop once more than a third of the attempts fail (the gate closes when failures
 * outrun tokenRatio ÷ (1 + tokenRatio) of them), over about the last 100. gRFC A6's example
 * (10 tokens, 0.1) closes above 9 %: one instance of three failing 30 % of its calls (10 % of
 * all) shut retries off for every call, which is exactly when they help (bench:chaos, flaky).
 * The retry budget bounds retries in an outage either way.
 */
export const DEFAULT_RETRY_THROTTLING: Readonly<RetryThrottlingSettings> = Object.freeze({
  maxTokens: 100,
  tokenRatio: 0.5,
});

/**
 * Defaults, and why: three attempts ride over one lost instance and one more blip; 50 ms then
 * 100 ms stays far inside the default 5 s deadline; only UNAVAILABLE for every method, because
 * it is the code of a call that did not reach a handler (connection refused, drain, shedding);
 * RESOURCE_EXHAUSTED and ABORTED only where running the call twice is harmless.
 */
export const DEFAULT_RETRY_SETTINGS: Readonly<RetrySettings> = Object.freeze<RetrySettings>({
  maxAttempts: 3,
  initialBackoffMs: 50,
  maxBackoffMs: 1_000,
  backoffMultiplier: 2,
  codes: ['UNAVAILABLE'],
  idempotentCodes: ['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'ABORTED'],
  budget: DEFAULT_RETRY_BUDGET,
  throttling: DEFAULT_RETRY_THROTTLING,
});

/** grpc-js caps attempts at 5 (`grpc-node.retry_max_attempts_limit`): more would be cut silently. */
const MAX_ATTEMPTS_LIMIT = 5;
/** Codes after which the handler did not run, so that retrying any method is safe. */
const CODES_FOR_EVERY_METHOD: readonly StatusName[] = ['UNAVAILABLE', 'RESOURCE_EXHAUSTED'];

/** The settings of `retry` over the defaults, or false; bad values throw InvalidGrpcOptionsError. */
export function parseRetryOptions(retry: false | RetryOptions | undefined): RetrySettings | false {
  if (retry === false) return false;
  if (retry === undefined) return { ...DEFAULT_RETRY_SETTINGS };
  if (typeof retry !== 'object' || retry === null) {
    throw new InvalidGrpcOptionsError('retry', `must be false or an object, got ${String(retry)}`);
  }
  checkKeys('retry', retry, Object.keys(DEFAULT_RETRY_SETTINGS));
  const settings = { ...DEFAULT_RETRY_SETTINGS, ...definedOnly(retry) } as RetrySettings;
  checkAttempts('retry.maxAttempts', settings.maxAttempts);
  checkNumber('retry.initialBackoffMs', settings.initialBackoffMs, 0);
  checkNumber('retry.maxBackoffMs', settings.maxBackoffMs, settings.initialBackoffMs);
  checkNumber('retry.backoffMultiplier', settings.backoffMultiplier, Number.MIN_VALUE);
  checkCodes('retry.codes', settings.codes);
  checkCodes('retry.idempotentCodes', settings.idempotentCodes);
  const broad = settings.codes.filter((code) => !CODES_FOR_EVERY_METHOD.includes(code));
  if (broad.length > 0) {
    throw new InvalidGrpcOptionsError(
      'retry.codes',
      `may hold only ${CODES_FOR_EVERY_METHOD.join(', ')} (a handler may have run after ${broad.join(', ')}: put them in retry.idempotentCodes)`,
    );
  }
  settings.budget = retry.budget === false ? false : parseBudget(retry.budget);
  settings.throttling = retry.throttling === false ? false : parseThrottling(retry.throttling);
  return settings;
}

export interface HedgingSettings {
  methods: string[];
  delayMs: number;
  maxAttempts: number;
}

/** `hedging` checked for shape (its methods are checked against the definition by the caller). */
export function parseHedgingOptions(hedging: HedgingOptions | undefined): HedgingSettings | undefined {
  if (hedging === undefined) return undefined;
  if (typeof hedging !== 'object' || hedging === null || !Array.isArray(hedging.methods)) {
    throw new InvalidGrpcOptionsError('hedging', 'must be { methods: string[], delayMs, maxAttempts? }');
  }
  checkKeys('hedging', hedging, ['methods', 'delayMs', 'maxAttempts']);
  if (hedging.methods.length === 0) throw new InvalidGrpcOptionsError('hedging.methods', 'is empty');
  checkNumber('hedging.delayMs', hedging.delayMs, 0);
  const maxAttempts = hedging.maxAttempts ?? 2;
  checkAttempts('hedging.maxAttempts', maxAttempts);
  return { methods: [...hedging.methods], delayMs: hedging.delayMs, maxAttempts };
}

function parseBudget(budget: RetryBudgetOptions | undefined): RetryBudgetSettings {
  if (budget !== undefined && (typeof budget !== 'object' || budget === null)) {
    throw new InvalidGrpcOptionsError('retry.budget', `must be false or an object, got ${String(budget)}`);
  }
  checkKeys('retry.budget', budget ?? {}, Object.keys(DEFAULT_RETRY_BUDGET));
  const settings = { ...DEFAULT_RETRY_BUDGET, ...definedOnly(budget ?? {}) };
  checkNumber('retry.budget.ratio', settings.ratio, 0);
  checkNumber('retry.budget.minRetriesPerSecond', settings.minRetriesPerSecond, 0);
  checkNumber('retry.budget.windowMs', settings.windowMs, 1);
  return settings;
}

function parseThrottling(throttling: RetryThrottlingOptions | undefined): RetryThrottlingSettings {
  if (throttling !== undefined && (typeof throttling !== 'object' || throttling === null)) {
    throw new InvalidGrpcOptionsError(
      'retry.throttling',
      `must be false or an object, got ${String(throttling)}`,
    );
  }
  checkKeys('retry.throttling', throttling ?? {}, Object.keys(DEFAULT_RETRY_THROTTLING));
  const settings = { ...DEFAULT_RETRY_THROTTLING, ...definedOnly(throttling ?? {}) };
  checkNumber('retry.throttling.maxTokens', settings.maxTokens, Number.MIN_VALUE, 1000);
  checkNumber('retry.throttling.tokenRatio', settings.tokenRatio, Number.MIN_VALUE);
  return settings;
}

/** A misspelt option (`maxAttempt`) is refused, not silently left at its default. */
function checkKeys(option: string, given: object, known: readonly string[]): void {
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      throw new InvalidGrpcOptionsError(`${option}.${key}`, `is not an option (known: ${known.join(', ')})`);
    }
  }
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function checkNumber(option: string, value: unknown, min: number, max = Infinity): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new InvalidGrpcOptionsError(option, `must be a number ${range}, got ${String(value)}`);
  }
}

function checkAttempts(option: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 2 || (value as number) > MAX_ATTEMPTS_LIMIT) {
    throw new InvalidGrpcOptionsError(
      option,
      `must be a whole number from 2 to ${MAX_ATTEMPTS_LIMIT}, got ${String(value)}`,
    );
  }
}

function checkCodes(option: string, codes: unknown): void {
  if (!Array.isArray(codes) || codes.length === 0) {
    throw new InvalidGrpcOptionsError(option, 'must be a non-empty list of status names');
  }
  for (const code of codes) {
    if (typeof code !== 'string' || code === 'OK' || typeof Status[code as StatusName] !== 'number') {
      throw new InvalidGrpcOptionsError(option, `holds ${JSON.stringify(code)}, not a status name`);
    }
  }
}
