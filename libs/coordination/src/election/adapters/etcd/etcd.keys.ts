import type { Etcd3, IKeyValue } from 'etcd3';

import { parseLeadershipRecord, sinceOf, withSince, type LeaderInfo } from '../../leader-election.js';

/** Where candidates of `group` put their keys (the layout of Go's concurrency.Election). */
export function electionPrefix(group: string): string {
  return `nestmesh/election/${group}/`;
}

/**
 * Where the winner of `group` records `<epoch>:<ms>`, when its leadership began: outside the
 * candidates' prefix (Go's election and `etcdctl elect` see only candidate keys there), and
 * under no lease, so that it also keeps the group's last epoch while nobody leads.
 */
export function sinceKey(group: string): string {
  return `nestmesh/election-since/${group}`;
}

/** A candidate key: its value is the candidate id, its create revision the epoch. */
export function infoOf(kv: IKeyValue): LeaderInfo {
  return { candidateId: kv.value.toString(), epoch: BigInt(kv.create_revision) };
}

export function oldest(candidates: Iterable<LeaderInfo>): LeaderInfo | undefined {
  let leader: LeaderInfo | undefined;
  for (const candidate of candidates) if (!leader || candidate.epoch < leader.epoch) leader = candidate;
  return leader;
}

/**
 * The group's leader (its oldest candidate key, with `since` when the record is its own) and
 * the epoch of the last record, both at the revision of the listing.
 */
export async function readLeader(
  client: Etcd3,
  group: string,
  deadline: () => { deadline: number },
): Promise<{ leader?: LeaderInfo; recordedEpoch?: bigint }> {
  const first = await client
    .namespace(electionPrefix(group))
    .getAll()
    .sort('Create', 'Ascend')
    .limit(1)
    .options(deadline())
    .exec();
  const record = await client
    .get(sinceKey(group))
    .revision(first.header.revision)
    .options(deadline())
    .string();
  const recordedEpoch = parseLeadershipRecord(record)?.epoch;
  const candidate = first.kvs[0] && infoOf(first.kvs[0]);
  return { leader: candidate && withSince(candidate, sinceOf(record, candidate.epoch)), recordedEpoch };
}
