import { experimental } from '@grpc/grpc-js';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';

/** The name of the policy in a service config: `{ loadBalancingConfig: [{ nestmesh_p2c: {…} }] }`. */
export const P2C_POLICY_NAME = 'nestmesh_p2c';

/**
 * Channel option carrying the {@link BalancerClock} of a channel's p2c balancer (tests inject a
 * manual one). The prefix keeps it out of the subchannel key, as the discovery option.
 */
export const BALANCER_CLOCK_CHANNEL_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.nestmesh_balancer_clock`;

/** Time (ms, monotonic) and chance, the only inputs of the balancer besides call outcomes. */
export interface BalancerClock {
  now(): number;
  /** Uniform in [0, 1). */
  random(): number;
}

export const SYSTEM_BALANCER_CLOCK: BalancerClock = { now: () => performance.now(), random: Math.random };

/** The settings of `nestmesh_p2c`, all optional in the service config (numbers, in ms where named so). */
export interface P2cSettings {
  /** Time constant of the latency and success-rate averages: a sample weighs e^(-age/decayMs). */
  decayMs: number;
  /** An instance not picked for this long is picked at its next draw whatever its cost (a probe). */
  probeAfterMs: number;
  /** Consecutive failures (UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED) that eject an instance. */
  failuresToEject: number;
  /** The first ejection's length; each further one doubles it, up to maxEjectionMs. */
  baseEjectionMs: number;
  maxEjectionMs: number;
  /** The most of a service's instances ejected at once, as a share (rounded down: 1 of 3, 0 of 2). */
  maxEjectedShare: number;
}

/**
 * Defaults, and why: a 1 s decay forgets a hiccup of a healthy instance within a second and
 * still averages many calls; a probe each second keeps the latency of an avoided instance
 * current; five failures in a row is not chance on a healthy instance; ejections of 1 s
 * doubling to 30 s readmit a recovered instance soon and keep a dead one out; a third
 * ejected at most keeps most of the capacity whatever the failures say.
 */
export const DEFAULT_P2C_SETTINGS: Readonly<P2cSettings> = Object.freeze({
  decayMs: 1_000,
  probeAfterMs: 1_000,
  failuresToEject: 5,
  baseEjectionMs: 1_000,
  maxEjectionMs: 30_000,
  maxEjectedShare: 1 / 3,
});

/** The settings of `raw` over the defaults; unknown keys or bad values throw InvalidGrpcOptionsError. */
export function parseP2cSettings(raw: unknown): P2cSettings {
  if (raw === undefined || raw === null) return { ...DEFAULT_P2C_SETTINGS };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidGrpcOptionsError(P2C_POLICY_NAME, `must be an object, got ${JSON.stringify(raw)}`);
  }
  const settings: P2cSettings = { ...DEFAULT_P2C_SETTINGS };
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in DEFAULT_P2C_SETTINGS)) {
      const known = Object.keys(DEFAULT_P2C_SETTINGS).join(', ');
      throw new InvalidGrpcOptionsError(`${P2C_POLICY_NAME}.${key}`, `is not a setting (known: ${known})`);
    }
    settings[key as keyof P2cSettings] = checked(key as keyof P2cSettings, value);
  }
  if (settings.maxEjectionMs < settings.baseEjectionMs) {
    throw new InvalidGrpcOptionsError(`${P2C_POLICY_NAME}.maxEjectionMs`, 'must be ≥ baseEjectionMs');
  }
  return settings;
}

function checked(key: keyof P2cSettings, value: unknown): number {
  const name = `${P2C_POLICY_NAME}.${key}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidGrpcOptionsError(name, `must be a number, got ${JSON.stringify(value)}`);
  }
  if (key === 'maxEjectedShare' && (value < 0 || value > 1 / 3)) {
    throw new InvalidGrpcOptionsError(name, `must be between 0 and 1/3, got ${value}`);
  }
  if (key === 'failuresToEject' && (!Number.isInteger(value) || value < 1)) {
    throw new InvalidGrpcOptionsError(name, `must be an integer ≥ 1, got ${value}`);
  }
  if (key.endsWith('Ms') && value <= 0) {
    throw new InvalidGrpcOptionsError(name, `must be a duration in ms > 0, got ${value}`);
  }
  return value;
}

/** A service config selecting p2c with `settings` (validated now), round robin where p2c is not registered. */
export function p2cServiceConfig(settings: Partial<P2cSettings> = {}): { loadBalancingConfig: object[] } {
  parseP2cSettings(settings);
  return { loadBalancingConfig: [{ [P2C_POLICY_NAME]: settings }, { round_robin: {} }] };
}
