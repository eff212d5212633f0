import { InvalidGrpcOptionsError } from '../../grpc.errors.js';

/** Time (ms, monotonic) and chance: the breaker's only inputs besides call outcomes. */
export interface BreakerClock {
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
}

export const SYSTEM_BREAKER_CLOCK: BreakerClock = { now: () => performance.now(), random: Math.random };

/** `MeshClientModule.register({ circuitBreaker })`: every field optional, see the defaults. */
export interface CircuitBreakerOptions {
  /**
   * SRE's K: requests are let through up to K × the accepted ones over the window. Lower
   * rejects sooner (1: at the first failure past `minRequests`), higher lets more load reach
   * a struggling service. ≥ 1.
   */
  k?: number;
  /** How far back requests and accepts count, in ms. */
  windowMs?: number;
  /** The window slides by `windowMs / buckets`: an integer ≥ 1. */
  buckets?: number;
  /** Fewer requests than this in the window never reject: an integer ≥ 0. */
  minRequests?: number;
  /**
   * The longest the breaker goes without letting a call out: a call it would reject goes out
   * anyway (a probe) when none has for this long. In ms, > 0; `Infinity`: no probes (the
   * book's throttle alone, whose trickle is about one call a window once nothing is accepted).
   */
  probeIntervalMs?: number;
  /** Time and chance; tests inject a manual clock and seeded draws. */
  clock?: BreakerClock;
}

export type CircuitBreakerSettings = Required<CircuitBreakerOptions>;

/**
 * Defaults, and why: K = 2 is the SRE book's choice — a service that accepts half of what it
 * gets is sent everything, one that accepts less is sent about twice what it accepts, enough
 * to see it recover. 10 s is go-zero's window (the book keeps two minutes): a total outage
 * trips the breaker within minRequests calls whatever the window, but once it has, traffic
 * comes back as a slow start, doubling about every 0.4 × windowMs with K 2 (docs/grpc.md,
 * "Circuit breaker"): a shorter window recovers sooner and judges on fewer calls. Ten 1 s
 * buckets forget in tenths of the window rather than all at once. 20 requests (2 per second
 * over the window) before anything is rejected: fewer say little (one failure in three calls
 * would already reject a quarter of them) and a client sending so few hardly loads a service.
 * A probe a second (go-zero forces one through after 1 s too): with nothing accepted the
 * book's chance lets about one call a window out, at random, so a service that is back could
 * go unnoticed for several windows; one call a second is no load for a service that is not.
 */
export const DEFAULT_CIRCUIT_BREAKER: Readonly<Omit<CircuitBreakerSettings, 'clock'>> = Object.freeze({
  k: 2,
  windowMs: 10_000,
  buckets: 10,
  minRequests: 20,
  probeIntervalMs: 1_000,
});

const KEYS = ['k', 'windowMs', 'buckets', 'minRequests', 'probeIntervalMs', 'clock'];

/**
 * The settings `option` asks for over the defaults; undefined when it is `false` (no
 * breaker). Anything else than `false`, undefined or an object of known, valid fields throws
 * InvalidGrpcOptionsError naming the field.
 */
export function circuitBreakerSettings(option: unknown): CircuitBreakerSettings | undefined {
  return option === false ? undefined : parseCircuitBreakerOptions(option);
}

/** The settings of a breaker built with `option` (an object; undefined: the defaults). */
export function parseCircuitBreakerOptions(option: unknown = {}): CircuitBreakerSettings {
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw new InvalidGrpcOptionsError(
      'circuitBreaker',
      `must be false or an object ({ k, windowMs, buckets, minRequests, probeIntervalMs }), got ${JSON.stringify(option)}`,
    );
  }
  const given = option as Record<string, unknown>;
  const unknown = Object.keys(given).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) {
    throw new InvalidGrpcOptionsError(
      `circuitBreaker.${unknown}`,
      `is not a setting (known: ${KEYS.join(', ')})`,
    );
  }
  const settings: CircuitBreakerSettings = {
    k: number(given, 'k', DEFAULT_CIRCUIT_BREAKER.k, (value) => value >= 1, 'a number ≥ 1'),
    windowMs: number(
      given,
      'windowMs',
      DEFAULT_CIRCUIT_BREAKER.windowMs,
      (value) => value > 0,
      'a duration in ms > 0',
    ),
    buckets: number(given, 'buckets', DEFAULT_CIRCUIT_BREAKER.buckets, isCount(1), 'an integer ≥ 1'),
    minRequests: number(
      given,
      'minRequests',
      DEFAULT_CIRCUIT_BREAKER.minRequests,
      isCount(0),
      'an integer ≥ 0',
    ),
    probeIntervalMs:
      given.probeIntervalMs === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : number(
            given,
            'probeIntervalMs',
            DEFAULT_CIRCUIT_BREAKER.probeIntervalMs,
            (value) => value > 0,
            'a duration in ms > 0, or Infinity (no probes)',
          ),
    clock: clockOf(given.clock),
  };
  if (settings.windowMs / settings.buckets < 1) {
    throw new InvalidGrpcOptionsError(
      'circuitBreaker.buckets',
      `must leave buckets of ≥ 1 ms, got ${settings.buckets}`,
    );
  }
  return settings;
}

function number(
  given: Record<string, unknown>,
  key: string,
  fallback: number,
  valid: (value: number) => boolean,
  what: string,
): number {
  const value = given[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
    throw new InvalidGrpcOptionsError(
      `circuitBreaker.${key}`,
      `must be ${what}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const isCount = (least: number) => (value: number) => Number.isInteger(value) && value >= least;

function isClock(value: unknown): value is BreakerClock {
  const candidate = value as Partial<BreakerClock> | null;
  return typeof candidate?.now === 'function' && typeof candidate.random === 'function';
}

function clockOf(clock: unknown): BreakerClock {
  if (clock === undefined) return SYSTEM_BREAKER_CLOCK;
  if (!isClock(clock)) {
    throw new InvalidGrpcOptionsError('circuitBreaker.clock', 'must have now() and random() methods');
  }
  return clock;
}
