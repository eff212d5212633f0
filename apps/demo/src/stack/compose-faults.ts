// The fault toggles against the docker-compose stack: each one `docker compose …` command.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { leadsAnElection, type FaultCommand } from './fault-commands.js';

const run = promisify(execFile);
/** The inventory services of docker-compose.yml, where the restock election runs. */
export const COMPOSE_INVENTORIES = ['inventory-1', 'inventory-2', 'inventory-3'];
/** Prints an inventory's own /metrics from inside its container (METRICS_PORT 9464). */
const PRINT_METRICS =
  "fetch('http://127.0.0.1:9464/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";

/** The `docker compose` arguments of a fault toggle on one service (the leader is found first). */
export function composeArguments(command: FaultCommand, name: string | undefined): string[] {
  switch (command) {
    case 'status':
      return ['ps'];
    case 'kill':
      return ['kill', '-s', 'SIGKILL', name!];
    case 'pause':
      return ['pause', name!];
    case 'resume':
      return ['unpause', name!];
    case 'start':
      return ['start', name!];
    case 'restart-redis':
      return ['restart', 'redis'];
    case 'pause-leader':
      return ['pause', name!];
  }
}

export type Runner = (args: string[]) => Promise<string>;

/** `docker compose <args>` in `cwd`, resolving with its standard output. */
export function dockerCompose(cwd: string): Runner {
  return async (args) => (await run('docker', ['compose', ...args], { cwd })).stdout;
}

/** Runs a fault toggle against the compose stack; `pause-leader` asks each inventory first. */
export async function composeFault(
  command: FaultCommand,
  name: string | undefined,
  compose: Runner,
): Promise<string> {
  if (command !== 'pause-leader') return compose(composeArguments(command, name));
  for (const inventory of COMPOSE_INVENTORIES) {
    const metrics = await compose(['exec', '-T', inventory, 'node', '-e', PRINT_METRICS]).catch(() => '');
    if (leadsAnElection(metrics)) {
      await compose(composeArguments('pause-leader', inventory));
      return `${inventory} led the restock election and is paused; resume it with: npm run mesh -- --compose resume ${inventory}`;
    }
  }
  throw new Error('no running inventory leads the restock election right now');
}
