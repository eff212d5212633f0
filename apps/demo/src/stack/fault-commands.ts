// The fault toggles both stacks understand (`npm run mesh -- <command> [name]`), and what
// "the leader" means: the inventory whose /metrics says it leads the restock election.

export const FAULT_COMMANDS = [
  'status',
  'kill',
  'pause',
  'resume',
  'start',
  'pause-leader',
  'restart-redis',
] as const;
export type FaultCommand = (typeof FAULT_COMMANDS)[number];

/** Commands that act on one named instance (`inventory-2`). */
export const NAMED_COMMANDS: readonly FaultCommand[] = ['kill', 'pause', 'resume', 'start'];

export function isFaultCommand(value: string): value is FaultCommand {
  return (FAULT_COMMANDS as readonly string[]).includes(value);
}

/** Whether a Prometheus exposition shows this process leading an election group. */
export function leadsAnElection(exposition: string): boolean {
  return /^nestmesh_election_leader\{[^}]*\} 1$/m.test(exposition);
}
