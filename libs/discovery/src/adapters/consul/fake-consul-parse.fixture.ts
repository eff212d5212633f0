// How a Consul agent reads the parameters the stand-in agent models (facts from Consul's
// source, not its code): durations are Go's time.ParseDuration (agent/http.go parseWait for
// `wait`; the registration's TTL, Interval and DeregisterCriticalServiceAfter alike), booleans
// Go's strconv.ParseBool (agent/agent_endpoint.go AgentServiceMaintenance for `enable`).

/** A Go duration's units, in ms. */
const GO_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const GO_DURATION_PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/g;

/**
 * Go's time.ParseDuration in ms: every number carries a unit (`10s`, `1m30s`, `1.5h`, `300ms`),
 * only `0` may go without; undefined where Go answers "missing unit in duration" (`10`) or
 * any other error. Consul answers a `wait` it cannot parse with 400 "Invalid wait time".
 */
export function goDurationMs(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  if (!GO_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(GO_DURATION_PART)) total += Number(amount) * GO_UNITS_MS[unit];
  return text.startsWith('-') ? -total : total;
}

/** Go's strconv.ParseBool: `1 t T TRUE true True`, `0 f F FALSE false False`; undefined otherwise. */
export function goBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/**
 * The timers of the stand-in's checks (TTL expiry, critical time, the reaper): the shape of
 * ManualClock from @nestmesh/testing, so a test can move them by hand; `realClock` otherwise.
 */
export interface FakeAgentClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): object;
  clearTimeout(timer: object | undefined): void;
}

/** Wall-clock timers, unref'd: the stand-in never keeps a test process alive. */
export const realClock: FakeAgentClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};
