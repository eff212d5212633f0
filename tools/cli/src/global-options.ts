import { UsageError } from './cli.errors.js';

/** The options every command accepts, as commander parses them (before defaults from env). */
export interface GlobalOptions {
  discovery?: string;
  election?: string;
  redis?: string;
  json?: boolean;
}

/** The environment variables the options default to, as the apps read them. */
export const ENVIRONMENT = {
  discovery: 'DISCOVERY_URL',
  election: 'ELECTION_URL',
  redis: 'REDIS_URL',
} as const;

type Environment = Readonly<Record<string, string | undefined>>;

/** `memory://` names a registry inside one process; the CLI is a process of its own. */
function refuseMemory(url: string, option: string): string {
  if (/^\s*memory:/i.test(url))
    throw new UsageError(
      `${option} memory:// is a registry inside one process, so from this command it is always empty; ` +
        `give the URL the mesh shares (etcd://…, consul://…, redis://…)`,
    );
  return url;
}

/** The registry to read: `--discovery`, else DISCOVERY_URL; required, never `memory://`. */
export function discoveryUrlOf(options: GlobalOptions, environment: Environment = process.env): string {
  const url = options.discovery || environment[ENVIRONMENT.discovery];
  if (!url)
    throw new UsageError(
      `no registry: pass --discovery <url> or set ${ENVIRONMENT.discovery} (e.g. etcd://127.0.0.1:2379)`,
    );
  return refuseMemory(url, '--discovery');
}

/** The election backend: `--election`, else ELECTION_URL, else REDIS_URL (as the apps do). */
export function electionUrlOf(options: GlobalOptions, environment: Environment = process.env): string {
  const url = options.election || environment[ENVIRONMENT.election] || environment[ENVIRONMENT.redis];
  if (!url)
    throw new UsageError(
      `no election backend: pass --election <url> or set ${ENVIRONMENT.election} or ${ENVIRONMENT.redis}`,
    );
  return refuseMemory(url, '--election');
}

/** The lock backend: `--redis`, else REDIS_URL. */
export function redisUrlOf(options: GlobalOptions, environment: Environment = process.env): string {
  const url = options.redis || environment[ENVIRONMENT.redis];
  if (!url) throw new UsageError(`no lock backend: pass --redis <url> or set ${ENVIRONMENT.redis}`);
  return refuseMemory(url, '--redis');
}
