// Leaders per election group, and a short history of each group's leaderships, kept by
// following ElectionInspector.watch for every group the backend knows.
import { redactUrl } from '@nestmesh/common';
import type { ElectionGroupState, ElectionInspector } from '../sources/mesh-backends.js';

/** One leadership as the page shows it (epochs as decimal strings: JSON has no bigint). */
export interface LeadershipView {
  readonly candidateId: string;
  readonly epoch: string;
  /** When it started, as the backend says (ISO). */
  readonly since?: string;
  /** When the dashboard first saw it (ISO). */
  readonly seenAt: string;
}

export interface LeaderGroupView {
  readonly group: string;
  /** The current leader; undefined while the lease is free. */
  readonly leader?: LeadershipView;
  readonly lastEpoch: string;
  /** Newest first, the current leadership included. */
  readonly history: LeadershipView[];
  /** Why the group's watch failed last, if it did (it is restarted on the next refresh). */
  readonly error?: string;
}

interface Followed {
  state?: ElectionGroupState;
  history: LeadershipView[];
  error?: string;
  running: boolean;
}

export class LeaderHistory {
  private readonly groups = new Map<string, Followed>();
  private readonly stopped = new AbortController();

  /** `clock` gives the wall clock of "seen at"; injected for tests. */
  constructor(
    private readonly historyLength: number,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Follows every group of `names` not followed yet (or whose watch ended). Resolves once each
   * newly followed group has its first state (or its watch failed), so that the snapshot taken
   * next shows it; groups already followed do not wait.
   */
  follow(inspector: ElectionInspector, names: readonly string[]): Promise<void> {
    const firstStates: Promise<void>[] = [];
    for (const name of names) {
      const followed = this.groups.get(name) ?? { history: [], running: false };
      this.groups.set(name, followed);
      if (followed.running || this.stopped.signal.aborted) continue;
      followed.running = true;
      firstStates.push(new Promise((resolve) => void this.watch(inspector, name, followed, resolve)));
    }
    return Promise.all(firstStates).then(() => undefined);
  }

  private async watch(
    inspector: ElectionInspector,
    name: string,
    followed: Followed,
    onFirstState: () => void,
  ): Promise<void> {
    try {
      for await (const state of inspector.watch(name, { signal: this.stopped.signal })) {
        this.record(name, state);
        followed.error = undefined;
        onFirstState();
      }
    } catch (error) {
      if (!this.stopped.signal.aborted) followed.error = redactUrl(String((error as Error).message ?? error));
    } finally {
      followed.running = false;
      onFirstState();
    }
  }

  /** One state of a group: a new (candidate, epoch) joins the history. */
  record(name: string, state: ElectionGroupState | undefined): void {
    const followed = this.groups.get(name) ?? { history: [], running: false };
    this.groups.set(name, followed);
    followed.state = state;
    const leader = state?.leader;
    if (!leader) return;
    const newest = followed.history[0];
    const epoch = leader.epoch.toString();
    if (newest && newest.epoch === epoch && newest.candidateId === leader.candidateId) return;
    followed.history.unshift({
      candidateId: leader.candidateId,
      epoch,
      ...(leader.since ? { since: leader.since.toISOString() } : {}),
      seenAt: this.clock().toISOString(),
    });
    followed.history.length = Math.min(followed.history.length, this.historyLength);
  }

  /** Every followed group, sorted by name. */
  view(): LeaderGroupView[] {
    return [...this.groups.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([group, { state, history, error }]) => ({
        group,
        ...(state?.leader ? { leader: history[0] } : {}),
        lastEpoch: (state?.lastEpoch ?? 0n).toString(),
        // A copy: the watches go on changing the list after the snapshot is taken.
        history: [...history],
        ...(error ? { error } : {}),
      }));
  }

  /** Ends every watch. */
  close(): void {
    this.stopped.abort();
  }
}
