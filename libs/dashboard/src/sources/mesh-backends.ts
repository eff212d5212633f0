// What the dashboard reads the mesh through: the registry's catalog (@nestmesh/discovery) and
// the election and lock inspectors (@nestmesh/coordination), each built from its URL.
import { catalogOf, createDiscoveryBackend, type Catalog } from '@nestmesh/discovery';
import {
  createElectionInspector,
  createLockInspector,
  type ElectionInspector,
  type LockInspector,
} from '@nestmesh/coordination';

export type { Catalog, CatalogInstance } from '@nestmesh/discovery';
export type { ElectionGroupState, ElectionInspector, HeldLock, LockInspector } from '@nestmesh/coordination';

/** The dashboard's backends; the module builds them from URLs, tests may pass their own. */
export interface MeshBackends {
  catalog(): Promise<Catalog & { close?(): unknown }>;
  elections(): Promise<ElectionInspector>;
  locks(): Promise<LockInspector>;
}

/** The backends the URLs name, each created when first asked for. */
export function meshBackendsOf(urls: {
  discoveryUrl: string;
  electionUrl: string;
  lockUrl: string;
}): MeshBackends {
  return {
    catalog: async () => {
      const backend = await createDiscoveryBackend({ url: urls.discoveryUrl });
      // catalogOf refuses a backend that cannot list its registry: close what was opened.
      try {
        return Object.assign(catalogOf(backend), { close: () => backend.close?.() });
      } catch (error) {
        await backend.close?.();
        throw error;
      }
    },
    elections: () => createElectionInspector(urls.electionUrl),
    locks: () => createLockInspector(urls.lockUrl),
  };
}
