// The shape of what the page shows: one JSON snapshot of the mesh (bigints as strings,
// dates as ISO strings, every URL and message redacted).
import type { BufferedSpan } from '@nestmesh/telemetry';

import type { RedRow } from '../red/red-tracker.js';
import type { MergedTraceSummary } from '../traces/trace-merge.js';
import type { LeaderGroupView } from './leader-history.js';

export interface InstanceView {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly health: 'passing' | 'warning' | 'critical';
  readonly healthDetail?: string;
  readonly registeredAt?: string;
  readonly tags: readonly string[];
  readonly metadata: Record<string, string>;
}

export interface ServiceView {
  readonly name: string;
  readonly instances: InstanceView[];
}

export interface LockView {
  readonly key: string;
  readonly owner: string;
  readonly fencingToken: string;
  readonly remainingMs: number;
}

/** Where one instance's telemetry came from this round, and whether it answered. */
export interface SourceView {
  readonly id: string;
  readonly service: string;
  /** `in-process` or the base URL read. */
  readonly from: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** A part of the snapshot and why it is missing, when it is. */
export interface Section<Items> {
  readonly items: Items;
  readonly error?: string;
}

export interface MeshSnapshot {
  readonly generatedAt: string;
  readonly refreshMs: number;
  readonly backends: { readonly discovery: string; readonly election: string; readonly lock: string };
  readonly services: Section<ServiceView[]>;
  readonly leaders: Section<LeaderGroupView[]>;
  readonly locks: Section<LockView[]>;
  readonly sources: SourceView[];
  readonly red: RedRow[];
  readonly traces: MergedTraceSummary[];
}

/** One trace merged from every source, for the waterfall. */
export interface TraceView {
  readonly traceId: string;
  readonly spans: BufferedSpan[];
  readonly sources: SourceView[];
}
