import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What every process of a Sentinel deployment is configured with. */
export interface SentinelSettings {
  masterName: string;
  downAfterMs: number;
  failoverTimeoutMs: number;
  password?: string;
  sentinelPassword?: string;
  /** The throwaway folder of the Sentinels' config files. */
  dir: string;
}

/**
 * A data node's redis-server arguments: nothing persisted, files in the deployment's throwaway
 * folder, announced as 127.0.0.1, a replica of `primaryPort` unless it is that port.
 */
export function nodeArguments(
  port: number,
  primaryPort: number,
  { password, dir }: SentinelSettings,
): string[] {
  // A replica writes the RDB of its full sync to disk: into the throwaway folder, never into the
  // working directory, where every later redis-server (another test's) would load it at start.
  // Removed before each start, so that a node comes back empty.
  const dbfilename = `node-${port}.rdb`;
  rmSync(join(dir, dbfilename), { force: true });
  return [
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    ...['--dir', dir, '--dbfilename', dbfilename],
    ...['--replica-announce-ip', '127.0.0.1', '--loglevel', 'warning'],
    // A new replica syncs at once instead of waiting 5 s for others to join the transfer.
    ...['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'],
    ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
    ...(primaryPort === port ? [] : ['--replicaof', '127.0.0.1', String(primaryPort)]),
  ];
}

/**
 * A Sentinel's arguments, its config file written at its first start only: Sentinel rewrites
 * the file with what it learnt (the current primary, the replicas and the other Sentinels),
 * which a restart must keep. The quorum is a majority of `sentinelCount`.
 */
export function sentinelArguments(
  port: number,
  firstPrimaryPort: number,
  sentinelCount: number,
  settings: SentinelSettings,
): string[] {
  const { masterName, downAfterMs, failoverTimeoutMs, password, sentinelPassword, dir } = settings;
  const file = join(dir, `sentinel-${port}.conf`);
  if (!existsSync(file)) {
    const lines = [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      'sentinel announce-ip 127.0.0.1',
      `sentinel monitor ${masterName} 127.0.0.1 ${firstPrimaryPort} ${Math.floor(sentinelCount / 2) + 1}`,
      `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
      `sentinel failover-timeout ${masterName} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(password === undefined ? [] : [`sentinel auth-pass ${masterName} ${quoted(password)}`]),
      ...(sentinelPassword === undefined ? [] : [`requirepass ${quoted(sentinelPassword)}`]),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
  }
  return [file, '--sentinel', '--loglevel', 'warning'];
}

/** A value in a Redis config file, quoted so that spaces and quotes stay part of it. */
function quoted(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
