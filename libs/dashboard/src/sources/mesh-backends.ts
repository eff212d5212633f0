// The operator APIs of the discovery and coordination libs (issue 13's shared API) as the
// dashboard uses them: the registry's catalog, the election inspector, the lock inspector.
import type { ServiceInstance } from '@nestmesh/discovery';
import * as discovery from '@nestmesh/discovery';
import * as coordination from '@nestmesh/coordination';

export type InstanceHealth = 'passing' | 'warning' | 'critical';

export interface CatalogInstance extends ServiceInstance {
  readonly health: InstanceHealth;
  readonly healthDetail?: string;
  readonly registeredAt?: Date;
}

export interface Catalog {
  services(options?: { signal?: AbortSignal }): Promise<string[]>;
  catalog(name: string, options?: { signal?: AbortSignal }): Promise<CatalogInstance[]>;
}

export interface LeaderInfo {
  readonly candidateId: string;
  readonly epoch: bigint;
  readonly since?: Date;
}

export interface ElectionGroupState {
  readonly group: string;
  readonly leader?: LeaderInfo;
  readonly lastEpoch: bigint;
}

export interface ElectionInspector {
  groups(options?: { signal?: AbortSignal }): Promise<string[]>;
  watch(name: string, options?: { signal?: AbortSignal }): AsyncIterable<ElectionGroupState | undefined>;
  close(): Promise<void>;
}

export interface HeldLock {
  readonly key: string;
  readonly owner: string;
  readonly fencingToken: bigint;
  readonly remainingMs: number;
}

export interface LockInspector {
  heldLocks(prefix?: string, options?: { signal?: AbortSignal }): Promise<HeldLock[]>;
  close(): Promise<void>;
}

/** What the dashboard reads the mesh through; the module builds it from URLs, tests may pass their own. */
export interface MeshBackends {
  catalog(): Promise<Catalog & { close?(): unknown }>;
  elections(): Promise<ElectionInspector>;
  locks(): Promise<LockInspector>;
}

interface SharedDiscoveryApi {
  catalogOf(backend: discovery.DiscoveryBackend): Catalog;
}
interface SharedCoordinationApi {
  createElectionInspector(url: string): Promise<ElectionInspector>;
  createLockInspector(url: string): Promise<LockInspector>;
}

/** The backends the URLs name, each created when first asked for. */
export function meshBackendsOf(urls: {
  discoveryUrl: string;
  electionUrl: string;
  lockUrl: string;
}): MeshBackends {
  const shared = { ...discovery, ...coordination } as unknown as SharedDiscoveryApi & SharedCoordinationApi;
  return {
    catalog: async () => {
      const backend = await discovery.createDiscoveryBackend({ url: urls.discoveryUrl });
      return Object.assign(shared.catalogOf(backend), { close: () => backend.close?.() });
    },
    elections: () => shared.createElectionInspector(urls.electionUrl),
    locks: () => shared.createLockInspector(urls.lockUrl),
  };
}
