// The health checks of the stand-in Consul agent (fake-consul-agent.fixture.ts), as Consul
// documents them and its source behaves (facts, not code):
// - ids: a service's check is `service:<id>`, `service:<id>:<n>` (from 1) when it has several
//   (the checks configuration reference; agent.go names them so);
// - a new check starts `critical` unless the registration gives a `Status` ("Initial Health
//   Check Status" in the checks docs), whatever its kind;
// - a TTL check goes `critical` with the output "TTL expired" when no pass/warn/fail arrives
//   within its TTL; pass/warn/fail (agent/check API) reset the TTL and set Output to `note`; on a
//   check without a TTL (or unknown) they fail with 500 `CheckID "<id>" does not have
//   associated TTL` (agent.go updateTTLCheck returns a plain error);
// - the critical time starts at the first update that reports `critical` (a lapsed TTL, a fail,
//   a probe), not at registration (local state's UpdateCheck sets CriticalTime);
// - `DeregisterCriticalServiceAfter`: raised to Consul's minimum of one minute (agent.go, with
//   a warning), the service is reaped once a check has been critical longer (see the reaper in
//   fake-consul-state.fixture.ts);
// - maintenance is a critical check `_service_maintenance:<id>` whose Notes are the reason
//   (Consul's default text without one); enabling it twice keeps the first.
// The stand-in runs no gRPC, HTTP or TCP probe: such a check stays at its initial status until a
// test plays the agent's probe with `probe()` (Consul would dial the instance's address).
import { goDurationMs, type FakeAgentClock } from './fake-consul-parse.fixture.js';

/** A check as `/v1/health/service/<name>` shows it (the fields Consul documents). */
export interface FakeCheck {
  Node: string;
  CheckID: string;
  Name: string;
  Status: 'passing' | 'warning' | 'critical';
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
}

interface CheckState extends FakeCheck {
  ttlMs?: number;
  reapAfterMs?: number;
  /** Clock time of the first update reporting critical since the last non-critical one. */
  criticalSince?: number;
  timer?: object;
}

/** The node's own check, present in every health entry of the node. */
export const FAKE_NODE = { Node: 'agent-one', Address: '127.0.0.9' };
export const SERF_HEALTH: FakeCheck = {
  Node: FAKE_NODE.Node,
  CheckID: 'serfHealth',
  Name: 'Serf Health Status',
  Status: 'passing',
  Notes: '',
  Output: 'Agent alive and reachable',
  ServiceID: '',
  ServiceName: '',
  ServiceTags: [],
  Type: '',
};

/** Consul's minimum DeregisterCriticalServiceAfter: a shorter one is raised to it. */
export const CONSUL_MIN_DEREGISTER_AFTER_MS = 60_000;
/** Consul's Notes for maintenance enabled without a reason. */
const DEFAULT_MAINTENANCE_REASON =
  'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.';

interface CheckDefinition {
  TTL?: string;
  GRPC?: string;
  HTTP?: string;
  TCP?: string;
  Status?: FakeCheck['Status'];
  Notes?: string;
  CheckID?: string;
  Name?: string;
  DeregisterCriticalServiceAfter?: string;
}

/** A registration's duration in ms; throws what Consul's decoder would refuse (a 400). */
function durationOf(field: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = goDurationMs(text);
  if (ms === undefined) throw new Error(`Request decode failed: ${field}: time: invalid duration "${text}"`);
  return ms;
}

/** The checks of one registered service, with their TTL timers on the agent's clock. */
export class FakeServiceChecks {
  readonly checks = new Map<string, CheckState>();

  /** `changed` is called whenever a timer changes a status (the agent writes, bumping its index). */
  constructor(
    private readonly service: Record<string, unknown>,
    private readonly clock: FakeAgentClock,
    private readonly changed: () => void,
  ) {
    const { Check, Checks } = service as { Check?: CheckDefinition; Checks?: CheckDefinition[] };
    const definitions = [...(Check ? [Check] : []), ...(Checks ?? [])];
    definitions.forEach((definition, index) => {
      const suffix = definitions.length > 1 ? `:${index + 1}` : '';
      const id = definition.CheckID ?? `service:${String(service.ID)}${suffix}`;
      const reapAfterMs = durationOf(
        'DeregisterCriticalServiceAfter',
        definition.DeregisterCriticalServiceAfter,
      );
      this.checks.set(id, {
        ...this.base(id),
        Name: definition.Name ?? `Service '${String(service.Name)}' check`,
        Status: definition.Status ?? 'critical',
        Notes: definition.Notes ?? '',
        Type:
          (['TTL', 'GRPC', 'HTTP', 'TCP'] as const).find((kind) => kind in definition)?.toLowerCase() ?? '',
        ttlMs: durationOf('TTL', definition.TTL),
        reapAfterMs:
          reapAfterMs && reapAfterMs > 0 ? Math.max(reapAfterMs, CONSUL_MIN_DEREGISTER_AFTER_MS) : undefined,
      });
    });
    this.armAll();
  }

  /**
   * `PUT /v1/agent/check/{pass,warn,fail}/<id>?note=`: whether the status or output changed
   * (Consul writes, and bumps its index, only then); undefined for a check without a TTL.
   */
  update(id: string, status: FakeCheck['Status'], note: string): boolean | undefined {
    const check = this.checks.get(id);
    if (check?.ttlMs === undefined) return undefined;
    const changed = this.set(check, status, note);
    this.arm(check);
    return changed;
  }

  /** Plays the agent's probe of a gRPC/HTTP/TCP check: whether the status or output changed. */
  probe(id: string, status: FakeCheck['Status'], output: string): boolean {
    const check = this.checks.get(id);
    if (!check || check.ttlMs !== undefined) throw new Error(`the stand-in has no probed check ${id}`);
    return this.set(check, status, output);
  }

  /** Enables or disables maintenance; whether that changed anything. */
  maintenance(enable: boolean, reason: string): boolean {
    const id = `_service_maintenance:${String(this.service.ID)}`;
    if (!enable) return this.checks.delete(id);
    if (this.checks.has(id)) return false;
    this.checks.set(id, {
      ...this.base(id),
      Name: 'Service Maintenance Mode',
      Notes: reason || DEFAULT_MAINTENANCE_REASON,
      Type: 'maintenance',
    });
    return true;
  }

  /** Whether a check with a reap timeout has been critical longer than it (the reaper's test). */
  dueForReaping(): boolean {
    const now = this.clock.now();
    return [...this.checks.values()].some(
      ({ reapAfterMs, criticalSince }) =>
        reapAfterMs !== undefined && criticalSince !== undefined && now - criticalSince > reapAfterMs,
    );
  }

  list(): FakeCheck[] {
    return [...this.checks.values()].map(
      ({ ttlMs: _ttl, reapAfterMs: _reap, criticalSince: _since, timer: _timer, ...check }) => ({ ...check }),
    );
  }

  /** (Re)starts every TTL timer, as an agent does when it starts with its checks. */
  armAll(): void {
    for (const check of this.checks.values()) this.arm(check);
  }

  stopTimers(): void {
    for (const check of this.checks.values()) this.clock.clearTimeout(check.timer);
  }

  private set(check: CheckState, status: FakeCheck['Status'], output: string): boolean {
    if (status !== 'critical') check.criticalSince = undefined;
    else check.criticalSince ??= this.clock.now();
    const changed = check.Status !== status || check.Output !== output;
    Object.assign(check, { Status: status, Output: output });
    return changed;
  }

  private arm(check: CheckState): void {
    this.clock.clearTimeout(check.timer);
    if (check.ttlMs === undefined) return;
    check.timer = this.clock.setTimeout(() => {
      const last = check.Output;
      const output = last ? `TTL expired (last output before timeout follows): ${last}` : 'TTL expired';
      if (this.set(check, 'critical', output)) this.changed();
    }, check.ttlMs);
  }

  private base(id: string): FakeCheck {
    return {
      Node: FAKE_NODE.Node,
      CheckID: id,
      Name: '',
      Status: 'critical',
      Notes: '',
      Output: '',
      ServiceID: String(this.service.ID),
      ServiceName: String(this.service.Name),
      ServiceTags: (this.service.Tags as string[] | undefined) ?? [],
      Type: '',
    };
  }
}
