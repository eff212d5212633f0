// Gathers one snapshot of the mesh: the registry's catalog, the elections, the held locks,
// and every instance's telemetry (RED figures, recent traces), all reads concurrent and each
// failure kept to its own part of the page.
import { parsePrometheusText } from '../prometheus/prometheus-text.js';
import { RedTracker } from '../red/red-tracker.js';
import { redactUrl } from '@nestmesh/common';

import { redactMetadata } from '../redaction.js';
import type { ResolvedDashboardOptions } from '../dashboard.options.js';
import type {
  Catalog,
  CatalogInstance,
  ElectionInspector,
  LockInspector,
  MeshBackends,
} from '../sources/mesh-backends.js';
import {
  remoteSources,
  selfSource,
  TelemetryReader,
  type TelemetrySource,
} from '../sources/telemetry-reader.js';
import { mergeSpans, mergeTraceLists } from '../traces/trace-merge.js';
import { LeaderHistory } from './leader-history.js';
import type { LockView, MeshSnapshot, Section, ServiceView, SourceView, TraceView } from './mesh-snapshot.js';
import type { TraceSummary } from '@nestmesh/telemetry';

function messageOf(error: unknown): string {
  return redactUrl(error instanceof Error ? error.message : String(error));
}

/** A backend client created on first use; a failed creation is tried again next time. */
class Lazy<Client extends { close?(): unknown }> {
  private pending?: Promise<Client>;
  constructor(private readonly create: () => Promise<Client>) {}
  get(): Promise<Client> {
    this.pending ??= this.create().catch((error: unknown) => {
      this.pending = undefined;
      throw error;
    });
    return this.pending;
  }
  async close(): Promise<void> {
    const client = await this.pending?.catch(() => undefined);
    await client?.close?.();
  }
}

export class MeshCollector {
  private readonly catalog: Lazy<Catalog & { close?(): unknown }>;
  private readonly elections: Lazy<ElectionInspector>;
  private readonly locks: Lazy<LockInspector>;
  private readonly leaders: LeaderHistory;
  private readonly red: RedTracker;
  private readonly reader: TelemetryReader;
  private instances: CatalogInstance[] = [];
  private collecting: Promise<MeshSnapshot> | undefined;
  private lastRed: { atMs: number; rows: MeshSnapshot['red'] } | undefined;
  /** Aborted by close(): reads still running stop. */
  private readonly closing = new AbortController();

  constructor(
    private readonly options: ResolvedDashboardOptions,
    backends: MeshBackends,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.catalog = new Lazy(() => backends.catalog());
    this.elections = new Lazy(() => backends.elections());
    this.locks = new Lazy(() => backends.locks());
    this.leaders = new LeaderHistory(options.leaderHistory);
    this.red = new RedTracker(clock);
    this.reader = new TelemetryReader(options.sourceTimeoutMs);
  }

  /**
   * One snapshot; never rejects (each failure is reported in its section). Callers at the same
   * time (the event stream, a page's JSON request) share one collection.
   */
  snapshot(): Promise<MeshSnapshot> {
    this.collecting ??= this.collect().finally(() => {
      this.collecting = undefined;
    });
    return this.collecting;
  }

  private async collect(): Promise<MeshSnapshot> {
    const { signal } = this.closing;
    const [services, leaders, locks] = await Promise.all([
      this.readServices(signal),
      this.readLeaders(signal),
      this.readLocks(signal),
    ]);
    const telemetry = await this.readTelemetry(signal);
    return {
      generatedAt: new Date().toISOString(),
      refreshMs: this.options.refreshMs,
      backends: {
        discovery: redactUrl(this.options.discoveryUrl),
        election: redactUrl(this.options.electionUrl),
        lock: redactUrl(this.options.lockUrl),
      },
      services,
      leaders,
      locks,
      ...telemetry,
    };
  }

  /** One trace's spans from every source that holds some (the waterfall). */
  async trace(traceId: string, signal?: AbortSignal): Promise<TraceView> {
    const sources = this.sources();
    const results = await Promise.allSettled(
      sources.map((source) => this.reader.trace(source, traceId, signal)),
    );
    return {
      traceId,
      spans: mergeSpans(results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))),
      sources: sources.map((source, index) => sourceView(source, results[index])),
    };
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.leaders.close();
    await Promise.allSettled([this.catalog.close(), this.elections.close(), this.locks.close()]);
  }

  private async readServices(signal?: AbortSignal): Promise<Section<ServiceView[]>> {
    try {
      const catalog = await this.catalog.get();
      const names = await catalog.services({ signal });
      const lists = await Promise.all(names.map((name) => catalog.catalog(name, { signal })));
      this.instances = lists.flat();
      return { items: names.map((name, index) => ({ name, instances: lists[index].map(instanceView) })) };
    } catch (error) {
      return { items: [], error: messageOf(error) };
    }
  }

  private async readLeaders(signal?: AbortSignal): Promise<MeshSnapshot['leaders']> {
    try {
      const inspector = await this.elections.get();
      await this.leaders.follow(inspector, await inspector.groups({ signal }));
      return { items: this.leaders.view() };
    } catch (error) {
      return { items: this.leaders.view(), error: messageOf(error) };
    }
  }

  private async readLocks(signal?: AbortSignal): Promise<Section<LockView[]>> {
    try {
      const held = await (await this.locks.get()).heldLocks(undefined, { signal });
      return {
        items: held.map((lock) => ({
          key: lock.key,
          owner: lock.owner,
          fencingToken: lock.fencingToken.toString(),
          remainingMs: lock.remainingMs,
        })),
      };
    } catch (error) {
      return { items: [], error: messageOf(error) };
    }
  }

  /** This process (in process) and every instance that registered a telemetry port. */
  private sources(): TelemetrySource[] {
    const self = selfSource();
    return [...(self ? [self] : []), ...remoteSources(this.instances, self?.id)];
  }

  private async readTelemetry(
    signal?: AbortSignal,
  ): Promise<Pick<MeshSnapshot, 'sources' | 'red' | 'traces'>> {
    const sources = this.sources();
    const results = await Promise.allSettled(
      sources.map(async (source) => {
        const [text, traces] = await Promise.all([
          this.reader.metrics(source, signal),
          this.reader.traces(source, signal).catch((): TraceSummary[] => []),
        ]);
        return { samples: parsePrometheusText(text), traces };
      }),
    );
    const scrapes = sources.flatMap((source, index) => {
      const result = results[index];
      return result.status === 'fulfilled'
        ? [{ source: source.id, service: source.service, ...result.value }]
        : [];
    });
    return {
      sources: sources.map((source, index) => sourceView(source, results[index])),
      red: this.redRound(scrapes),
      traces: mergeTraceLists(
        scrapes.map((scrape) => ({ source: scrape.source, traces: scrape.traces })),
        this.options.traceLimit,
      ),
    };
  }

  /**
   * A RED round, unless the last one is younger than half a refresh period (a page's request
   * between two stream rounds): a shorter window would make the figures jump.
   */
  private redRound(scrapes: Parameters<RedTracker['round']>[0]): MeshSnapshot['red'] {
    const now = this.clock();
    if (this.lastRed && now - this.lastRed.atMs < this.options.refreshMs / 2) return this.lastRed.rows;
    this.lastRed = { atMs: now, rows: this.red.round(scrapes) };
    return this.lastRed.rows;
  }
}

function instanceView(instance: CatalogInstance): ServiceView['instances'][number] {
  return {
    id: instance.id,
    address: instance.address,
    port: instance.port,
    health: instance.health,
    ...(instance.healthDetail ? { healthDetail: redactUrl(instance.healthDetail) } : {}),
    ...(instance.registeredAt ? { registeredAt: instance.registeredAt.toISOString() } : {}),
    tags: [...instance.tags],
    metadata: redactMetadata(instance.metadata),
  };
}

function sourceView(source: TelemetrySource, result: PromiseSettledResult<unknown>): SourceView {
  return {
    id: source.id,
    service: source.service,
    from: source.baseUrl ? redactUrl(source.baseUrl) : 'in-process',
    ok: result.status === 'fulfilled',
    ...(result.status === 'rejected' ? { error: messageOf(result.reason) } : {}),
  };
}
