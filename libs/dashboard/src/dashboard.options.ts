import {
  DEFAULT_DASHBOARD_PATH,
  DEFAULT_LEADER_HISTORY,
  DEFAULT_REFRESH_MS,
  DEFAULT_SOURCE_TIMEOUT_MS,
  DEFAULT_TRACE_LIMIT,
  MAX_REFRESH_MS,
  MIN_REFRESH_MS,
} from './dashboard.constants.js';
import { InvalidDashboardOptionsError } from './dashboard.errors.js';
import type { MeshDashboardModuleOptions } from './mesh-dashboard.module-definition.js';

export type ResolvedDashboardOptions = Required<MeshDashboardModuleOptions>;

const KNOWN = new Set<string>([
  'path',
  'discoveryUrl',
  'electionUrl',
  'lockUrl',
  'refreshMs',
  'sourceTimeoutMs',
  'leaderHistory',
  'traceLimit',
]);
const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

function wholeNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new InvalidDashboardOptionsError(
      `${name} must be a whole number from ${min} to ${max}, got ${value}`,
    );
  return value;
}

/** Options with their defaults (env as the apps read it); anything unusable is refused here. */
export function resolveDashboardOptions(
  options: MeshDashboardModuleOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedDashboardOptions {
  const unknown = Object.keys(options).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0)
    throw new InvalidDashboardOptionsError(
      `unknown option ${unknown.join(', ')} (known: ${[...KNOWN].join(', ')})`,
    );
  const path = (options.path ?? DEFAULT_DASHBOARD_PATH).replace(/\/+$/, '');
  if (!PATH.test(path))
    throw new InvalidDashboardOptionsError(
      `path must look like /mesh (segments of letters, digits, ._~-), got "${options.path}"`,
    );
  const refreshMs = wholeNumber(
    'refreshMs',
    options.refreshMs ?? DEFAULT_REFRESH_MS,
    MIN_REFRESH_MS,
    MAX_REFRESH_MS,
  );
  return {
    path,
    discoveryUrl: options.discoveryUrl ?? env.DISCOVERY_URL ?? 'memory://',
    electionUrl: options.electionUrl ?? env.ELECTION_URL ?? env.REDIS_URL ?? 'memory://',
    lockUrl: options.lockUrl ?? env.REDIS_URL ?? 'memory://',
    refreshMs,
    sourceTimeoutMs: wholeNumber(
      'sourceTimeoutMs',
      options.sourceTimeoutMs ?? Math.min(DEFAULT_SOURCE_TIMEOUT_MS, refreshMs),
      50,
      MAX_REFRESH_MS,
    ),
    leaderHistory: wholeNumber('leaderHistory', options.leaderHistory ?? DEFAULT_LEADER_HISTORY, 1, 1000),
    traceLimit: wholeNumber('traceLimit', options.traceLimit ?? DEFAULT_TRACE_LIMIT, 1, 1000),
  };
}
