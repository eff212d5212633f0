import type { ElectionGroupState, ElectionInspector } from '@nestmesh/coordination';

import { UnknownGroupError } from '../cli.errors.js';
import { electionUrlOf, type GlobalOptions } from '../global-options.js';
import { jsonLine } from '../output/json.js';
import { formatTable } from '../output/table.js';
import { formatAge, formatTime } from '../output/time.js';

/** The groups as a table; a group whose lease is free shows `-` for its leader. */
export function leaderTable(states: readonly ElectionGroupState[], now: Date): string {
  return formatTable(
    ['group', 'leader', 'epoch', 'since', 'for', 'last epoch'],
    states.map(({ group, leader, lastEpoch }) => [
      group,
      leader?.candidateId,
      leader?.epoch,
      formatTime(leader?.since),
      leader ? formatAge(leader.since, now) : undefined,
      lastEpoch,
    ]),
  );
}

/** The machine shape: epochs as strings, `since` ISO 8601, `leader: null` when the lease is free. */
export function leaderJson({ group, leader, lastEpoch }: ElectionGroupState): unknown {
  return {
    group,
    leader: leader
      ? { candidateId: leader.candidateId, epoch: leader.epoch, since: leader.since?.toISOString() }
      : null,
    lastEpoch,
  };
}

async function statesOf(
  inspector: ElectionInspector,
  group: string | undefined,
): Promise<ElectionGroupState[]> {
  if (group === undefined) {
    const states = await Promise.all((await inspector.groups()).map((name) => inspector.group(name)));
    return states.filter((state): state is ElectionGroupState => state !== undefined);
  }
  const state = await inspector.group(group);
  if (!state) throw new UnknownGroupError(group, await inspector.groups());
  return [state];
}

/**
 * `nestmesh leader [group]`: the group's leader, epoch and since when (every group the backend
 * knows when none is named); an unknown group is an error (exit 7) listing the known ones.
 */
export async function leaderCommand(group: string | undefined, global: GlobalOptions): Promise<void> {
  const { createElectionInspector } = await import('@nestmesh/coordination');
  const inspector = await createElectionInspector(electionUrlOf(global));
  try {
    const states = await statesOf(inspector, group);
    if (global.json)
      process.stdout.write(
        jsonLine(group === undefined ? { groups: states.map(leaderJson) } : leaderJson(states[0])),
      );
    else process.stdout.write(leaderTable(states, new Date()));
  } finally {
    await inspector.close();
  }
}
