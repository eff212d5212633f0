// The health checks of the stand-in Consul agent (fake-consul-agent.fixture.ts), as Consul
// documents them: a service's check is `service:<id>` (`service:<id>:<n>` for several), starts
// `critical` unless registered with a `Status`, and a TTL check goes `critical` with the output
// "TTL expired" when no pass/warn/fail arrives within its TTL. Maintenance is a critical check
// `_service_maintenance:<id>` whose Notes are the reason. The stand-in runs no gRPC or HTTP
// probes: such checks are taken as passing (Consul would ask the instance).

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
}

/** `10s`, `300ms`, `1m` → ms. */
function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`the stand-in agent cannot read the duration ${JSON.stringify(text)}`);
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms'];
}

/** The checks of one registered service, with its TTL timers. */
export class FakeServiceChecks {
  readonly checks = new Map<string, FakeCheck & { ttlMs?: number }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** `changed` is called whenever a TTL expiry changes a status (the agent bumps its index). */
  constructor(
    service: Record<string, unknown>,
    private readonly changed: () => void,
  ) {
    const { Check, Checks } = service as { Check?: CheckDefinition; Checks?: CheckDefinition[] };
    const definitions = Checks ?? (Check ? [Check] : []);
    definitions.forEach((definition, index) => {
      const id =
        definition.CheckID ?? `service:${String(service.ID)}${definitions.length > 1 ? `:${index + 1}` : ''}`;
      const ttlMs = definition.TTL === undefined ? undefined : durationMs(definition.TTL);
      this.checks.set(id, {
        ...this.base(service, id),
        Name: definition.Name ?? `Service '${String(service.Name)}' check`,
        Status: definition.Status ?? (ttlMs === undefined ? 'passing' : 'critical'),
        Notes: definition.Notes ?? '',
        Type:
          (['TTL', 'GRPC', 'HTTP', 'TCP'] as const).find((kind) => kind in definition)?.toLowerCase() ?? '',
        ttlMs,
      });
    });
    this.armAll();
  }

  /**
   * `PUT /v1/agent/check/{pass,warn,fail}/<id>?note=`: whether the status or output changed
   * (Consul writes, and bumps its index, only then); undefined for an unknown check.
   */
  update(id: string, status: FakeCheck['Status'], note: string): boolean | undefined {
    const check = this.checks.get(id);
    if (!check) return undefined;
    const changed = check.Status !== status || check.Output !== note;
    Object.assign(check, { Status: status, Output: note });
    this.arm(id);
    return changed;
  }

  maintenance(service: Record<string, unknown>, enable: boolean, reason: string): void {
    const id = `_service_maintenance:${String(service.ID)}`;
    if (!enable) return void this.checks.delete(id);
    this.checks.set(id, {
      ...this.base(service, id),
      Name: 'Service Maintenance Mode',
      Notes: reason || DEFAULT_MAINTENANCE_REASON,
      Type: 'maintenance',
    });
  }

  list(): FakeCheck[] {
    return [...this.checks.values()].map(({ ttlMs: _ttlMs, ...check }) => ({ ...check }));
  }

  /** (Re)starts every TTL timer, as an agent does when it starts with its checks. */
  armAll(): void {
    for (const id of this.checks.keys()) this.arm(id);
  }

  stopTimers(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(id: string): void {
    const check = this.checks.get(id);
    clearTimeout(this.timers.get(id));
    if (check?.ttlMs === undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      const last = check.Output;
      Object.assign(check, {
        Status: 'critical',
        Output: last ? `TTL expired (last output before timeout follows): ${last}` : 'TTL expired',
      });
      this.changed();
    }, check.ttlMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  private base(service: Record<string, unknown>, id: string): FakeCheck {
    return {
      Node: FAKE_NODE.Node,
      CheckID: id,
      Name: '',
      Status: 'critical',
      Notes: '',
      Output: '',
      ServiceID: String(service.ID),
      ServiceName: String(service.Name),
      ServiceTags: (service.Tags as string[] | undefined) ?? [],
      Type: '',
    };
  }
}
