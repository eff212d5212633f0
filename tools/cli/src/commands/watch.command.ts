import type { ServiceInstance } from '@nestmesh/discovery';

import { InterruptedError } from '../cli.errors.js';
import { targetOf, withDiscovery } from '../discovery-backend.js';
import type { GlobalOptions } from '../global-options.js';
import { interruptSignal } from '../interrupt.js';
import { INSTANCE_HEADERS, instanceCells, instanceJson } from '../output/instances.js';
import { jsonLine } from '../output/json.js';
import { formatTable } from '../output/table.js';
import { formatTime } from '../output/time.js';

/** What changed between two lists of a service's instances, by id. */
export interface InstanceChanges {
  readonly joined: ServiceInstance[];
  readonly left: ServiceInstance[];
}

/**
 * The instances in `next` but not `previous` (joined) and the other way round (left), by id;
 * an instance re-registered under the same id with another address counts as left and joined.
 */
export function diffInstances(
  previous: readonly ServiceInstance[],
  next: readonly ServiceInstance[],
): InstanceChanges {
  const key = (instance: ServiceInstance) => `${instance.id}\u0000${targetOf(instance)}`;
  const before = new Set(previous.map(key));
  const after = new Set(next.map(key));
  return {
    joined: next.filter((instance) => !before.has(key(instance))),
    left: previous.filter((instance) => !after.has(key(instance))),
  };
}

/** The lines a change prints: `<time> + joined <id> <host:port>` / `<time> - left …`. */
export function changeLines({ joined, left }: InstanceChanges, now: Date, json: boolean): string {
  const lines = [
    ...left.map((instance) => ({ event: 'left', sign: '-', instance })),
    ...joined.map((instance) => ({ event: 'joined', sign: '+', instance })),
  ];
  return lines
    .map(({ event, sign, instance }) =>
      json
        ? jsonLine({ time: now.toISOString(), event, instance: instanceJson(instance) })
        : `${formatTime(now)} ${sign} ${event} ${instance.id} ${targetOf(instance)}\n`,
    )
    .join('');
}

/** An outage line: the registry failed, the watch is retried after `retryInMs`. */
export function outageLine(error: unknown, retryInMs: number, now: Date, json: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  return json
    ? jsonLine({ time: now.toISOString(), event: 'unavailable', error: message, retryInMs })
    : `${formatTime(now)} ! ${message} (retrying in ${Math.round(retryInMs)} ms)\n`;
}

function currentList(
  service: string,
  instances: readonly ServiceInstance[],
  now: Date,
  json: boolean,
): string {
  if (json)
    return jsonLine({
      time: now.toISOString(),
      event: 'instances',
      service,
      instances: instances.map(instanceJson),
    });
  if (instances.length === 0) return `${formatTime(now)} no live instance of "${service}" yet\n`;
  return formatTable([...INSTANCE_HEADERS], instances.map(instanceCells));
}

/**
 * `nestmesh watch <service>`: the live instances now, then a line per instance that joins or
 * leaves, and one per registry outage (the watch is retried with backoff meanwhile), until
 * Ctrl-C (exit 130). A registry unreachable at the start is an error (exit 4).
 */
export async function watchCommand(service: string, global: GlobalOptions): Promise<never> {
  const { watchWithRetry } = await import('@nestmesh/discovery');
  const signal = interruptSignal();
  return withDiscovery(global, async (backend) => {
    let previous = await backend.instances(service, { signal });
    process.stdout.write(currentList(service, previous, new Date(), global.json ?? false));
    const onError = (error: unknown, retryInMs: number) =>
      process.stdout.write(outageLine(error, retryInMs, new Date(), global.json ?? false));
    for await (const instances of watchWithRetry(backend, service, { signal, onError })) {
      process.stdout.write(changeLines(diffInstances(previous, instances), new Date(), global.json ?? false));
      previous = instances;
    }
    throw new InterruptedError();
  });
}
