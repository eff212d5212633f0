import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

import type { ElectionTiming } from '../leader-election.js';
import type { CandidateEvent } from '../test-fixtures/candidate.js';

export type { CandidateEvent } from '../test-fixtures/candidate.js';

/** One running candidate, whatever runs it. */
export interface CandidateControl {
  readonly id: string;
  readonly events: CandidateEvent[];
  /** SIGKILL (or, in one process, cut off from the backend and stopped without resigning). */
  kill(): Promise<void>;
  /** SIGTERM: drain, resign, exit. Resolves once it has ended. */
  term(): Promise<void>;
  /** SIGSTOP / SIGCONT; only where candidates are processes. */
  pause?(): void;
  resume?(): void;
}

const fixture = fileURLToPath(new URL('../test-fixtures/candidate.fixture.js', import.meta.url));

/** Candidates as separate processes (candidate.fixture.js), for Redis and etcd. */
export function processCandidate(
  electionUrl: string,
  storeUrl: string,
  timing: Partial<ElectionTiming>,
  group: string,
  candidateId: string,
): Promise<CandidateControl & { exited: Promise<unknown> }> {
  const child = spawn(
    process.execPath,
    [fixture, electionUrl, group, candidateId, storeUrl, JSON.stringify(timing)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const events: CandidateEvent[] = [];
  let buffer = '';
  let started: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const event = JSON.parse(line) as CandidateEvent | { event: 'started' };
      if (event.event === 'started') started();
      else events.push(event);
    }
  });
  const exited = once(child, 'exit');
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return Promise.race([
    ready.then(() => ({
      id: candidateId,
      events,
      exited,
      kill: () => signal('SIGKILL'),
      term: () => signal('SIGTERM'),
      pause: () => void child.kill('SIGSTOP'),
      resume: () => void child.kill('SIGCONT'),
    })),
    exited.then(() => {
      throw new Error(`candidate ${candidateId} exited before starting`);
    }),
  ]);
}
