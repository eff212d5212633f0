import { Logger } from '@nestjs/common';
import { watchWithRetry, type Discovery, type ServiceInstance } from '@nestmesh/discovery';

import { clientOffset, ringPosition, subsetOf } from './subset.js';
import type { SubsetSettings } from './subset.options.js';

/** How often a client whose own instance is not registered yet looks again, in ms. */
const SELF_LOOKUP_INTERVAL_MS = 1_000;

/**
 * One client's subsetting: its place on the ring and the subset it takes of a list. The place
 * is the one given (`clientIndex`/`clientCount`), or the client's rank among the live
 * instances of its own service (followed through the registry: when a peer comes or goes the
 * ranks move, the place with them, and `onChange` listeners re-pick), or, while the app has no
 * registered instance of its own, a random place kept for the life of the process.
 */
export class SubsetPolicy {
  private readonly logger = new Logger('MeshSubsetting');
  private offset: number;
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private following = false;
  private lookup: NodeJS.Timeout | undefined;
  /** Ring positions by instance id: a SHA-256 per instance once, not once per list (a list per registry event). */
  private readonly positions = new Map<string, number>();

  constructor(
    private readonly settings: SubsetSettings,
    private readonly discovery: Discovery,
    /** The app's own registered instance, once it is (undefined for a client-only app). */
    private readonly self: () => ServiceInstance | undefined,
  ) {
    const place = settings.place;
    this.offset = place ? clientOffset(place.clientIndex, place.clientCount) : Math.random();
  }

  /** The instances this client connects to: all of them up to the threshold, else its subset. */
  pick<T extends ServiceInstance>(instances: readonly T[]): T[] {
    if (instances.length <= this.settings.threshold) return [...instances];
    if (!this.settings.place) this.followRank();
    // Ids of instances long gone are dropped now and then, not tracked one by one.
    if (this.positions.size > 2 * instances.length + 1_000) this.positions.clear();
    return subsetOf(instances, this.settings.size, this.offset, (id) => this.positionOf(id));
  }

  private positionOf(id: string): number {
    let position = this.positions.get(id);
    if (position === undefined) {
      position = ringPosition(id);
      this.positions.set(id, position);
    }
    return position;
  }

  /** Calls `listener` when the place moved (the subset of the same list may differ); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following the rank; idempotent. */
  close(): void {
    this.abort.abort();
    clearTimeout(this.lookup);
    this.listeners.clear();
  }

  /** Starts following the app's own service, once its instance is known (started once). */
  private followRank(): void {
    if (this.following || this.abort.signal.aborted) return;
    const self = this.self();
    if (!self) {
      this.lookup ??= setTimeout(() => {
        this.lookup = undefined;
        this.followRank();
      }, SELF_LOOKUP_INTERVAL_MS).unref();
      return;
    }
    this.following = true;
    void this.follow(self);
  }

  private async follow(self: ServiceInstance): Promise<void> {
    const options = { signal: this.abort.signal };
    try {
      for await (const peers of watchWithRetry(this.discovery, self.name, options)) {
        const ids = peers.map((peer) => peer.id).sort();
        const rank = ids.indexOf(self.id);
        // Not listed (draining, or not yet seen): the last place stands.
        if (rank >= 0) this.moveTo(clientOffset(rank, ids.length, self.name));
      }
    } catch (error) {
      this.logger.error(`following the rank of "${self.id}" stopped: ${String(error)}`);
    }
  }

  private moveTo(offset: number): void {
    if (offset === this.offset) return;
    this.offset = offset;
    for (const listener of this.listeners) listener();
  }
}
